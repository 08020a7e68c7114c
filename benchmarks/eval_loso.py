"""Leave-one-source-out evaluation of the task tagger (docs/tagging.md, "Evaluation").

Reads benchmarks/data/tagging_loso.jsonl (built by build_loso_eval.py) and prints, as
Markdown: per source its items, labels and task accuracy, the macro over sources (each
source weighs the same, however many items it has), the micro accuracy, and the
confusion matrix (rows: true task type, columns: predicted). A source's prompts in non-Latin
scripts (items with ``script: non-latin``: Arena-Hard v2.0's, AGIEval's, Auto-J's) get a row
of their own, outside the macro. The blind sources of each round get a macro line of their own.

The shipped tagger has no fitted weights: the lexicon and the engine's weights are
written by hand, so there is nothing to re-fit per fold, and each source's accuracy is
already a left-out score in the fitting sense. It is not blind in the authoring sense:
the lexicon was written while reading prompts of some of these sources (the ones of
tests/data); docs/tagging.md says which.

Usage::

    python benchmarks/eval_loso.py [--data benchmarks/data/tagging_loso.jsonl]
    python benchmarks/eval_loso.py --data benchmarks/data/tagging_loso_next.jsonl  # with round 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_tagging import LABELS, eval_frame  # noqa: E402

from llmaudit.tagging import tag_requests  # noqa: E402

DATA = HERE / "data" / "tagging_loso.jsonl"
# Sources that are blind: neither their items nor their errors were read while the lexicon
# and the engine were written, and nothing was changed after their first run
# (docs/tagging.md, "Blind sources"). Their macro is printed apart.
BLIND_SOURCES = ("alignbench", "arena-hard-v2", "vicuna-80", "wizardlm-testset")
# The second blind round (docs/tagging.md, "Second blind round"): sources chosen and mapped
# by someone who never ran the tagger on them, while the tagger was changed by someone who
# never saw them; run once. In tagging_loso_next.jsonl until the integrator adopts it.
BLIND_ROUND2 = ("agieval", "auto-j", "belle-eval", "jmmlu-japan", "logickor")
# The third blind round (docs/tagging.md, "Third blind round"): one label each, recall only.
BLIND_ROUND3 = ("eq-bench-creative", "svamp")


def predict(items: pd.DataFrame) -> np.ndarray:
    frame = eval_frame(items)
    if "system" in items:
        frame["system_text"] = pd.array(items["system"].where(items["system"].notna(), None), dtype="str")
    return tag_requests(frame)["task_type"].to_numpy(dtype=object)


def per_source(items: pd.DataFrame, pred: np.ndarray) -> pd.DataFrame:
    frame = items.assign(pred=pred, right=pred == items["label"].to_numpy(dtype=object))
    rows = []
    for source, group in frame.groupby("source", sort=True):
        labels = ", ".join(f"{k} {v}" for k, v in group["label"].value_counts().items())
        wrong = group.loc[~group["right"], "pred"].value_counts().head(2)
        rows.append(
            {
                "source": source,
                "items": len(group),
                "labels": labels,
                "accuracy": group["right"].mean(),
                "top errors": ", ".join(f"{k} {v}" for k, v in wrong.items()),
            }
        )
    return pd.DataFrame(rows)


def print_tables(items: pd.DataFrame, pred: np.ndarray) -> None:
    """The per-source table, the macro and micro accuracy and the confusion matrix, as Markdown."""
    table = per_source(items, pred)
    print(f"{len(items)} items, {len(table)} sources\n")
    print("| source | items | labels | accuracy | most frequent errors |\n|---|---:|---|---:|---|")
    for row in table.itertuples():
        print(f"| {row.source} | {row.items} | {row.labels} | {row.accuracy:.2f} | {row._5} |")
    if "script" in items:  # a source's prompts in non-Latin scripts, apart (not in the macro)
        right = pred == items["label"].to_numpy(dtype=object)
        apart = items["script"].eq("non-latin").to_numpy()
        for source in sorted(items.loc[apart, "source"].unique()):
            rows = apart & (items["source"] == source).to_numpy()
            print(f"| ({source}, non-Latin script) | {rows.sum()} |  | {right[rows].mean():.2f} | |")
    macro = table["accuracy"].mean()
    micro = float((pred == items["label"].to_numpy(dtype=object)).mean())
    print(f"\nmacro over sources: **{macro:.3f}**; micro (over items): {micro:.3f}")
    for names, which in (
        (BLIND_SOURCES, "blind sources"),
        (BLIND_ROUND2, "second-round blind sources"),
        (BLIND_ROUND3, "third-round blind sources"),
    ):
        blind = table.loc[table["source"].isin(names), "accuracy"]
        if len(blind):
            print(f"macro over the {len(blind)} {which} ({', '.join(names)}): **{blind.mean():.3f}**")
    print()
    confusion = pd.crosstab(
        pd.Categorical(items["label"], LABELS), pd.Categorical(pred, [*LABELS, "unknown"]), dropna=False
    )
    print("| true \\ predicted | " + " | ".join(confusion.columns) + " |")
    print("|---|" + "---:|" * len(confusion.columns))
    for label, row in confusion.iterrows():
        print(f"| {label} | " + " | ".join(str(v) for v in row) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)
    items = pd.read_json(args.data, lines=True, dtype={"text": str})
    print_tables(items, predict(items))
    return 0


if __name__ == "__main__":
    sys.exit(main())
