"""How fast the CLI answers `--version` and `--help` (goal: under 0.15 s each).

Runs each command N times in a fresh interpreter (the same one running this script, not a
shim), after one warm-up run, and prints the median and the fastest wall time. Measure on
an idle machine; the numbers in docs/performance.md say when and where they were taken.

    python benchmarks/bench_startup.py [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass (interpreter floor)": [sys.executable, "-c", "pass"],
    "llmaudit --version": [sys.executable, "-m", "llmaudit", "--version"],
    "llmaudit --help": [sys.executable, "-m", "llmaudit", "--help"],
    "llmaudit analyze --help": [sys.executable, "-m", "llmaudit", "analyze", "--help"],
}


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    print(f"{'command':38} {'median':>8} {'fastest':>8}   ({args.runs} runs)")
    for name, command in COMMANDS.items():
        timed(command)  # warm the file cache
        times = [timed(command) for _ in range(args.runs)]
        print(f"{name:38} {statistics.median(times):8.3f} {min(times):8.3f}")


if __name__ == "__main__":
    main()
