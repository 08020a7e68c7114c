"""Benchmark the speed targets of tagging and simulate against `analyze`.

Usage (from the repository root, with llmaudit installed):

    python benchmarks/bench_commands.py                      # 1M records, 5 rounds
    python benchmarks/bench_commands.py --records 200000 --rounds 3

Targets (issues 5, 6 and 12): tagging every request adds at most 30% to `analyze`
(`analyze` against `analyze --no-tag`), and `simulate` with three policies takes at most
1.5x `analyze`. On the same file as `bench_analyze.py` (generated once into the
git-ignored `benchmarks/data/`), each round runs, each in a fresh process:

- ``analyze --no-tag``: read and price only;
- ``analyze``: the default, which tags every request and computes the overspend finding;
- ``simulate`` with ``examples/policies/task-map.yaml``, ``four-tiers.yaml`` and
  ``cascade.yaml``.

Rounds alternate the three commands, so slow phases of a shared machine hit them alike.
The script prints every run (wall seconds, CPU seconds: user + system of the child and
anything it waited for, peak RSS of the child), the two ratios per round in wall time and
in CPU time, and their medians: a ratio of neighbouring runs is steadier than a ratio of
separate best times on a noisy machine, and CPU time is steadier than wall time where
other jobs share the cores (it still grows somewhat under load: caches, frequency).
Results go to stdout as Markdown (with the load average around the rounds); the numbers
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

from bench_analyze import DATA, generate, measure_cpu  # noqa: E402

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


def _median_ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x"


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
    loads = [os.getloadavg()[0]]
    runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in commands(path)}
    print(
        "| round | analyze --no-tag | analyze | simulate (3 policies) | analyze / no-tag | simulate / analyze "
        "| CPU: no-tag | CPU: analyze | CPU: simulate | CPU analyze / no-tag | CPU simulate / analyze |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    ratios: dict[str, list[float]] = {"tagging": [], "simulate": [], "tagging CPU": [], "simulate CPU": []}
    for number in range(1, args.rounds + 1):
        for name, command in commands(path).items():
            runs[name].append(measure_cpu(command))
            wall, _rss, cpu = runs[name][-1]
            print(f"  {name}: {wall:.2f} s, {cpu:.2f} CPU-s", file=sys.stderr)
        loads.append(os.getloadavg()[0])
        (plain, _, plain_cpu), (tagged, _, tagged_cpu), (simulated, _, simulated_cpu) = (
            runs[name][-1] for name in runs
        )
        ratios["tagging"].append(tagged / plain)
        ratios["simulate"].append(simulated / tagged)
        ratios["tagging CPU"].append(tagged_cpu / plain_cpu)
        ratios["simulate CPU"].append(simulated_cpu / tagged_cpu)
        print(
            f"| {number} | {plain:.2f} s | {tagged:.2f} s | {simulated:.2f} s "
            f"| {ratios['tagging'][-1]:.2f}x | {ratios['simulate'][-1]:.2f}x "
            f"| {plain_cpu:.2f} s | {tagged_cpu:.2f} s | {simulated_cpu:.2f} s "
            f"| {ratios['tagging CPU'][-1]:.2f}x | {ratios['simulate CPU'][-1]:.2f}x |"
        )
    print()
    print(f"Median ratios: tagging {_median_ratio(ratios['tagging'])} (target at most 1.30x, issue 12), ", end="")
    print(f"simulate {_median_ratio(ratios['simulate'])} (target at most 1.50x).")
    print(
        f"Median CPU ratios (user + system CPU seconds of each command): tagging "
        f"{_median_ratio(ratios['tagging CPU'])}, simulate {_median_ratio(ratios['simulate CPU'])}."
    )
    print(f"Load average (1 min) before and after each round: {', '.join(f'{x:.2f}' for x in loads)}.")
    print()
    print("| command | median wall | fastest | median CPU | least CPU | peak RSS (largest) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, values in runs.items():
        walls = [wall for wall, _, _ in values]
        cpus = [cpu for _, _, cpu in values]
        print(
            f"| `{name}` | {statistics.median(walls):.2f} s | {min(walls):.2f} s "
            f"| {statistics.median(cpus):.2f} s | {min(cpus):.2f} s "
            f"| {max(rss for _, rss, _ in values):,.0f} MB |"
        )


if __name__ == "__main__":
    main()
