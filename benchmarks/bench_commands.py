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

``--stages N`` runs no commands: in this process it reads the first N reader chunks of the
file and prints the CPU milliseconds each per-chunk stage of the three commands takes
(tagging, pricing, the overspend annotation, analyze's aggregation with and without tags,
what simulate keeps of a chunk): fastest of ``--rounds`` runs per chunk, median over the
chunks. Stages are comparable within one such run even on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

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


def stages(path: Path, chunks: int, repeats: int) -> None:
    """The per-chunk stage table (see the module doc)."""
    import time

    sys.path.insert(0, str(HERE.parent))  # this checkout's llmaudit, as the commands' ``-m llmaudit`` run

    from llmaudit.analyze.overspend import Overspend
    from llmaudit.ingest import RequestReader
    from llmaudit.pricing import load_pricing

    table = load_pricing([])
    overspend = Overspend(table)
    read = []
    for chunk in RequestReader([str(path)]):
        read.append(chunk)
        if len(read) == chunks:
            break

    def fastest(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(repeats):
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        return min(times) * 1000

    table_rows: dict[str, list[float]] = {}
    for chunk in read:
        timed = _chunk_stages(chunk, table, overspend)
        for name, fn in timed.items():
            table_rows.setdefault(name, []).append(fastest(fn))
    size = statistics.mean(len(c) for c in read)
    print(f"{len(read)} chunks of {size:,.0f} records; CPU ms a chunk, fastest of {repeats}, median over the chunks")
    print()
    print("| stage | median | range over the chunks |")
    print("|---|---:|---:|")
    for name, values in table_rows.items():
        print(f"| {name} | {statistics.median(values):.1f} | {min(values):.1f}-{max(values):.1f} |")
    print(f"\nLoad average (1 min): {os.getloadavg()[0]:.2f}.")


def _chunk_stages(chunk: Any, table: Any, overspend: Any) -> dict[str, Callable[[], object]]:
    """Each per-chunk stage of one reader chunk, on its own input."""
    from llmaudit.analyze.run import AnalyzeOptions, _Accumulator
    from llmaudit.analyze.tagsummary import TagAccumulator
    from llmaudit.pricing import price_requests
    from llmaudit.schema import PRICED, SIMULATE_KEPT
    from llmaudit.simulate.blocks import file_runs
    from llmaudit.tagging import tag_requests

    tagged = tag_requests(chunk, None)
    priced = price_requests(tagged, table)
    annotated = overspend.annotate(priced)
    plain = price_requests(chunk, table)
    return {
        "tagging (workers; analyze, simulate)": lambda: tag_requests(chunk, None),
        "pricing (workers)": lambda: price_requests(tagged, table),
        "overspend annotation (workers; analyze)": lambda: overspend.annotate(priced),
        "aggregation with tags (main; analyze)": lambda: _Accumulator(table, AnalyzeOptions()).update(annotated),
        "of which TagAccumulator.update": lambda: TagAccumulator().update(annotated),
        "aggregation without tags (main; analyze --no-tag)": lambda: _Accumulator(
            table, AnalyzeOptions(tag=False)
        ).update(plain),
        "what simulate keeps (main; simulate)": lambda: (
            file_runs(priced),
            PRICED.require(priced, "bench")[list(SIMULATE_KEPT)],
        ),
    }


def _median_ratio(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000, help="records in the benchmark file (default 1M)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three commands (default 5)")
    parser.add_argument(
        "--stages", type=int, default=0, metavar="N", help="per-chunk stage times on the first N chunks instead"
    )
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    path = DATA / f"openai_wrapped_{args.records}.jsonl"
    if not path.exists():
        print(f"generating {args.records:,} records -> {path}", file=sys.stderr)
        generate(path, args.records)
    if args.stages:
        stages(path, args.stages, args.rounds)
        return
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
