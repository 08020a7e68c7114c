"""Benchmark the tagger: accuracy on the labeled evaluation set, and speed on 1M rows.

Usage (from the repository root)::

    python benchmarks/bench_tagging.py                 # evaluation + 1M-row speed
    python benchmarks/bench_tagging.py --rows 200000   # a quicker speed run
    python benchmarks/bench_tagging.py --no-speed      # evaluation only

Evaluation: tests/data/tagging_eval.jsonl (see tests/data/README.md), per split
(``heldout``, ``tuning``): per-class precision, recall, F1, macro-F1 and the confusion
matrix (rows: true task type, columns: predicted), printed as Markdown.

Speed: canonical rows built from the evaluation prompts (drawn with a fixed seed, each
given a trailing request number so no two prompts are equal, turns and token counts
set), tagged with ``tag_requests`` (in chunks of ``--chunk-rows`` rows if given, as
``analyze`` does); fastest of ``--repeats`` runs, wall and CPU time (the budget is in CPU
seconds: tagging runs on the reader's worker threads). ``--unique-heads``
also puts the number in front, so no two instruction windows repeat (the worst case:
nothing can be matched once per distinct window).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from llmaudit.tagging import TASK_TYPES, tag_requests  # noqa: E402

EVAL = ROOT / "tests" / "data" / "tagging_eval.jsonl"
LABELS = [t for t in TASK_TYPES if t != "unknown"]


def eval_frame(items: pd.DataFrame) -> pd.DataFrame:
    """Canonical-shaped rows for evaluation items (text, earlier turns for chats)."""
    history = items["history"].fillna("") if "history" in items else pd.Series("", index=items.index)
    turns = items["turns"].fillna(1).astype(int) if "turns" in items else pd.Series(1, index=items.index)
    prompt = np.where(history != "", history + "\nuser: " + items["text"], "user: " + items["text"])
    return pd.DataFrame(
        {"user_text": items["text"].to_numpy(), "prompt_text": prompt, "turns": turns.to_numpy()}
    ).astype({"user_text": "str", "prompt_text": "str"})


def scores(truth: np.ndarray, pred: np.ndarray) -> tuple[pd.DataFrame, float, pd.DataFrame]:
    """Per-class P/R/F1, macro-F1 over the classes present, confusion matrix."""
    rows = []
    for label in LABELS:
        tp = int(((pred == label) & (truth == label)).sum())
        fp = int(((pred == label) & (truth != label)).sum())
        fn = int(((pred != label) & (truth == label)).sum())
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        rows.append({"task_type": label, "precision": p, "recall": r, "f1": f, "support": tp + fn})
    table = pd.DataFrame(rows)
    macro = float(table.loc[table.support > 0, "f1"].mean())
    cols = [*LABELS, "unknown"]
    confusion = pd.crosstab(pd.Categorical(truth, LABELS), pd.Categorical(pred, cols), dropna=False)
    return table, macro, confusion


def evaluate(split: str) -> tuple[pd.DataFrame, float, pd.DataFrame, pd.DataFrame]:
    items = pd.read_json(EVAL, lines=True)
    items = items[items["split"] == split].reset_index(drop=True)
    tagged = tag_requests(eval_frame(items))
    table, macro, confusion = scores(items["label"].to_numpy(), tagged["task_type"].to_numpy(dtype=object))
    return table, macro, confusion, tagged


def markdown(table: pd.DataFrame, macro: float, confusion: pd.DataFrame, split: str, n: int) -> str:
    lines = [f"### {split} ({n} prompts): macro-F1 {macro:.3f}", "", "| task type | precision | recall | F1 | n |"]
    lines.append("|---|---:|---:|---:|---:|")
    for row in table.itertuples():
        lines.append(f"| {row.task_type} | {row.precision:.2f} | {row.recall:.2f} | {row.f1:.2f} | {row.support} |")
    short = {t: t[:5] for t in confusion.columns}
    lines += ["", "Confusion matrix (rows: true, columns: predicted):", ""]
    lines.append("| true \\ predicted | " + " | ".join(short[c] for c in confusion.columns) + " |")
    lines.append("|---|" + "---:|" * len(confusion.columns))
    for label, row in confusion.iterrows():
        lines.append(f"| {label} | " + " | ".join(str(int(v)) if v else "." for v in row) + " |")
    return "\n".join(lines)


def speed_frame(rows: int, unique_heads: bool) -> pd.DataFrame:
    items = pd.read_json(EVAL, lines=True)
    base = eval_frame(items)
    rng = np.random.default_rng(20261123)
    pick = rng.integers(0, len(base), rows)
    text = base["user_text"].to_numpy(dtype=object)[pick]
    number = np.arange(rows).astype(str)
    if unique_heads:
        text = np.char.add(np.char.add(number.astype(object).astype(str), ": "), text.astype(str)).astype(object)
    else:
        text = np.char.add(text.astype(str), np.char.add(" #", number)).astype(object)
    chars = np.char.str_len(text.astype(str))
    return pd.DataFrame(
        {
            "user_text": pd.array(text, dtype="str"),
            "system_text": pd.array(
                np.where(rng.random(rows) < 0.5, "You are a helpful assistant.", None), dtype="str"
            ),
            "turns": base["turns"].to_numpy()[pick],
            "input_tokens": (chars // 4 + 20).astype(np.int64),
            "output_tokens": rng.integers(1, 1500, rows),
            "reasoning_tokens": np.zeros(rows, dtype=np.int64),
            "max_output_tokens": np.full(rows, np.nan),
            "structured_output": rng.random(rows) < 0.1,
            "tool_count": np.zeros(rows, dtype=np.int64),
            "feature": pd.array(rng.choice(["chat", "triage", "summarize", "extract"], rows), dtype="str"),
        }
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--unique-heads", action="store_true")
    parser.add_argument(
        "--chunk-rows", type=int, default=0, help="tag in chunks of this many rows, as analyze does (0: one frame)"
    )
    args = parser.parse_args(argv)
    for split in ("heldout", "tuning"):
        table, macro, confusion, _tagged = evaluate(split)
        print(markdown(table, macro, confusion, split, int(table.support.sum())))
        print()
    if args.no_speed:
        return 0
    frame = speed_frame(args.rows, args.unique_heads)
    mb = frame["user_text"].str.len().sum() / 1e6
    size = args.chunk_rows or len(frame)
    chunks = [frame.iloc[i : i + size] for i in range(0, len(frame), size)]
    tag_requests(frame.head(100))  # load the lexicon outside the timing
    best_wall = best_cpu = float("inf")
    for _ in range(args.repeats):
        start, cpu = time.perf_counter(), time.process_time()
        for chunk in chunks:
            tag_requests(chunk)
        best_wall = min(best_wall, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    kind = "unique instruction windows" if args.unique_heads else "templated prompts, each row unique"
    per = f"chunks of {size:,} rows" if args.chunk_rows else "one frame"
    print(
        f"speed: {args.rows:,} rows ({kind}, {mb:.0f} MB of user text, {per}): {best_wall:.2f} s wall, "
        f"{best_cpu:.2f} CPU-s, {args.rows / best_cpu:,.0f} rows per CPU-s, "
        f"{best_cpu / args.rows * 1e6:.2f} CPU-s per 1M rows"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
