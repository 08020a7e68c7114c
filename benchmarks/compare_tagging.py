"""Compare the tagger's output with another checkout's, every column of every row.

Usage (from the repository root)::

    git worktree add /tmp/tag-before <commit>
    python benchmarks/compare_tagging.py /tmp/tag-before [--rows 200000] [--analyze-chunks 9]

For a change meant to speed tagging up without changing a result. The inputs are built
once, here, and each checkout tags them in a process of its own (importing its own
``llmaudit``); the two outputs (``tag_requests``' whole frame) must be equal, NaN equal
to NaN, with the same columns and dtypes (otherwise every row counts as differing). Inputs:

- ``benchmarks/data/tagging_loso.jsonl`` (the 4,346 evaluation items, if present), as
  one frame and in chunks of 500 rows, and ``tests/data/tagging_eval.jsonl``;
- ``sample_logs/``, chunk by chunk as the reader yields it;
- ``bench_tagging.py``'s synthetic rows (``--rows``, templated prompts each made unique,
  and the same with unique instruction windows) in chunks of 23,000 rows, as ``analyze``
  tags them;
- the first ``--analyze-chunks`` reader chunks of ``benchmarks/data/openai_wrapped_1000000.jsonl``
  (if present).

Chunked inputs are tagged one chunk after another in one process, so whatever a chunk
leaves behind for the next (the match rates the pass planner records) is exercised too.
Exit status 0 when every output is equal, 1 otherwise.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LOSO = HERE / "data" / "tagging_loso.jsonl"
ANALYZE = HERE / "data" / "openai_wrapped_1000000.jsonl"
CHUNK_ROWS = 23_000


def _chunks(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size].reset_index(drop=True) for i in range(0, len(frame), size)]


def build_inputs(rows: int, analyze_chunks: int) -> dict[str, list[pd.DataFrame]]:
    """Named inputs, each a list of frames tagged one after another."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from bench_tagging import EVAL, eval_frame, speed_frame

    from llmaudit.ingest.reader import RequestReader

    def items_frame(path: Path) -> pd.DataFrame:
        items = pd.read_json(path, lines=True)
        frame = eval_frame(items)
        if "system" in items:
            frame["system_text"] = pd.array(items["system"].where(items["system"].notna(), None), dtype="str")
        return frame

    inputs: dict[str, list[pd.DataFrame]] = {}
    if LOSO.exists():
        loso = items_frame(LOSO)
        inputs["loso (one frame)"] = [loso]
        inputs["loso (chunks of 500)"] = _chunks(loso, 500)
    inputs["tests/data/tagging_eval.jsonl"] = [items_frame(EVAL)]
    inputs["sample_logs"] = list(RequestReader([str(ROOT / "sample_logs")]))
    if rows:
        inputs[f"synthetic {rows:,} (chunks)"] = _chunks(speed_frame(rows, False), CHUNK_ROWS)
        inputs[f"synthetic {rows:,} unique heads (chunks)"] = _chunks(speed_frame(rows, True), CHUNK_ROWS)
    if analyze_chunks and ANALYZE.exists():
        frames = []
        for frame in RequestReader([str(ANALYZE)]):
            frames.append(frame)
            if len(frames) == analyze_chunks:
                break
        inputs[f"{ANALYZE.name}, first {len(frames)} reader chunks"] = frames
    return inputs


def tag_all(checkout: str, inputs_path: str, output_path: str) -> None:
    """Child process: tag every input with ``checkout``'s llmaudit."""
    sys.path.insert(0, checkout)
    from llmaudit.tagging import tag_requests

    with open(inputs_path, "rb") as f:
        inputs = pickle.load(f)
    out = {name: pd.concat([tag_requests(f) for f in frames], ignore_index=True) for name, frames in inputs.items()}
    with open(output_path, "wb") as f:
        pickle.dump(out, f)


def run(checkout: Path, inputs_path: Path, output_path: Path) -> dict[str, pd.DataFrame]:
    subprocess.run(
        [sys.executable, __file__, "--child", str(checkout), str(inputs_path), str(output_path)], check=True, cwd="/"
    )
    with open(output_path, "rb") as f:
        return pickle.load(f)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="the other checkout (a git worktree of the older commit)")
    parser.add_argument("--rows", type=int, default=200_000, help="synthetic rows (0: none)")
    parser.add_argument("--analyze-chunks", type=int, default=9, help="reader chunks of the 1M file (0: none)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        inputs_path = Path(tmp) / "inputs.pkl"
        inputs = build_inputs(args.rows, args.analyze_chunks)
        with open(inputs_path, "wb") as f:
            pickle.dump(inputs, f)
        before = run(args.before.resolve(), inputs_path, Path(tmp) / "before.pkl")
        after = run(ROOT, inputs_path, Path(tmp) / "after.pkl")
    print("| input | rows | columns | rows that differ |")
    print("|---|---:|---:|---:|")
    failed = False
    for name in inputs:
        old, new = before[name], after[name]
        same_shape = list(old.columns) == list(new.columns) and len(old) == len(new)
        same_shape &= list(old.dtypes) == list(new.dtypes)
        differ = len(new) if not same_shape else int((~((old == new) | (old.isna() & new.isna()))).any(axis=1).sum())
        failed |= differ > 0
        print(f"| {name} | {len(new):,} | {len(new.columns)} | {differ:,} |")
    print("\nidentical" if not failed else "\nOUTPUTS DIFFER")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        tag_all(*sys.argv[2:])
        sys.exit(0)
    sys.exit(main())
