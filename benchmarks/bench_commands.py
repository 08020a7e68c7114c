"""Benchmark the speed targets of tagging and simulate against `analyze`.

Usage (from the repository root, with llmaudit installed):

    python benchmarks/bench_commands.py                      # 1M records, 5 rounds
    python benchmarks/bench_commands.py --records 200000 --rounds 3

Targets (issues 5 and 6): tagging every request adds at most 50% to `analyze`
(`analyze` against `analyze --no-tag`), and `simulate` with three policies takes at most
1.5x `analyze`. On the same file as `bench_analyze.py` (generated once into the
git-ignored `benchmarks/data/`), each round runs, each in a fresh process:

- ``analyze --no-tag``: read and price only;
- ``analyze``: the default, which tags every request and computes the overspend finding;
- ``simulate`` with ``examples/policies/task-map.yaml``, ``four-tiers.yaml`` and
  ``cascade.yaml``.

Rounds alternate the three commands, so slow phases of a shared machine hit them alike.
The script prints every run (wall seconds, peak RSS of the child), the two ratios per
round, and their medians: a ratio of neighbouring runs is steadier than a ratio of
separate best times on a noisy machine. Results go to stdout as Markdown; the numbers
in docs/performance.md were produced by this script.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_analyze import DATA, generate, measure  # noqa: E402

POLICIES = ("task-map.yaml", "four-tiers.yaml", "cascade.yaml")


def commands(path: Path) -> dict[str, list[str]]:
    quiet = ["--format", "json", "-q", "-o", os.devnull]
    policies = [arg for name in POLICIES for arg in ("--policy", str(HERE.parent / "examples" / "policies" / name))]
    llmaudit = [sys.executable, "-m", "llmaudit"]
    return {
        "analyze --no-tag": [*llmaudit, "analyze", str(path), "--no-tag", *quiet],
        "analyze": [*llmaudit, "analyze", str(path), *quiet],
        "simulate (3 policies)": [*llmaudit, "simulate", str(path), *policies, *quiet],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the benchmark file (default 1M)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three commands (default 5)")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"openai_wrapped_{args.records}.jsonl"
    if not path.exists():
        print(f"generating {args.records:,} records -> {path}", file=sys.stderr)
        generate(path, args.records)
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands(path)}
    print("| round | analyze --no-tag | analyze | simulate (3 policies) | analyze / no-tag | simulate / analyze |")
    print("|---:|---:|---:|---:|---:|---:|")
    tagging, simulate = [], []
    for number in range(1, args.rounds + 1):
        for name, command in commands(path).items():
            runs[name].append(measure(command))
            print(f"  {name}: {runs[name][-1][0]:.2f} s", file=sys.stderr)
        plain, tagged, simulated = (runs[name][-1][0] for name in runs)
        tagging.append(tagged / plain)
        simulate.append(simulated / tagged)
        print(
            f"| {number} | {plain:.2f} s | {tagged:.2f} s | {simulated:.2f} s "
            f"| {tagging[-1]:.2f}x | {simulate[-1]:.2f}x |"
        )
    print()
    print(f"Median ratios: tagging {statistics.median(tagging):.2f}x (target at most 1.50x), ", end="")
    print(f"simulate {statistics.median(simulate):.2f}x (target at most 1.50x).")
    print()
    print("| command | median wall | fastest | peak RSS (largest) |")
    print("|---|---:|---:|---:|")
    for name, values in runs.items():
        walls = [wall for wall, _ in values]
        print(
            f"| `{name}` | {statistics.median(walls):.2f} s | {min(walls):.2f} s "
            f"| {max(rss for _, rss in values):,.0f} MB |"
        )


if __name__ == "__main__":
    main()
