"""Benchmark: `analyze --scheduler local:2` against the single-process `analyze`.

Usage (from the repository root, with the dask extra installed):

    python benchmarks/bench_cluster.py                          # 250k and 1M records
    python benchmarks/bench_cluster.py --records 200000 --repeat 1
    python benchmarks/bench_cluster.py --records 1000000 --cold   # workers as Dask starts them

For each size it generates (once, cached in benchmarks/data/, git-ignored) a JSON Lines
file of wrapped OpenAI chat completions (``synth_logs``' "openai" shape), then times, each
in a fresh process and ``--repeat`` times (the best is kept):

- ``single``: ``python -m llmaudit analyze PATH -f json -q`` (all the reader's threads);
- ``cluster``: the same analysis on a local cluster of 2 worker processes of 1 thread
  each, started before the clock starts (a real cluster is already running) as
  ``--scheduler local:2`` starts it (``cluster.connect.local_cluster``: llmaudit preloaded
  in the workers, Dask's profiler off; ``--cold``: Dask's defaults, llmaudit imported by
  each worker's first task inside the clock); the cluster's start-up is reported apart.

The single process's time includes its own start-up (the interpreter and llmaudit's
imports, about 1 s); the cluster client's imports happen before the clock. Single and
cluster runs alternate, so a change in the machine's load hits both alike;

and checks the two JSON reports are identical. It prints the load average at the start of
each size (``load``: other jobs on a shared machine), the ratio cluster/single of wall
time and of CPU time (the workers' and the client's against the single process's: on a
shared machine the wall times follow the other jobs, the CPU seconds much less), and the
peak resident memory of each worker (ru_maxrss): flat as the input grows means the workers
stream their ranges in chunks.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"

CLUSTER_RUN = """
import json, logging, resource, sys, time
from distributed import Client, LocalCluster
from llmaudit.cluster.analyze import analyze_on
from llmaudit.cluster.connect import local_cluster
from llmaudit.ingest import IngestOptions, expand_inputs
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

def cpu_s():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

if __name__ == "__main__":
    started = time.perf_counter()
    if sys.argv[3] == "cold":  # Dask's defaults: the profiler on, llmaudit imported by the first task
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR)
    else:  # as --scheduler local:2 starts it
        cluster = local_cluster(2, dashboard_address=None)
    with cluster, Client(cluster) as client:
        up = time.perf_counter() - started
        before, mine = client.run(cpu_s), cpu_s()
        started = time.perf_counter()
        report = analyze_on(client, expand_inputs([sys.argv[1]]), IngestOptions(), load_pricing([]))
        text = render(report, "json", RenderOptions())
        took = time.perf_counter() - started
        after = client.run(cpu_s)
        cpu = sum(after[w] - before[w] for w in after) + cpu_s() - mine
        workers = sorted(client.run(peak_mb).values())
    open(sys.argv[2], "w").write(text)
    print(json.dumps({"startup_s": up, "seconds": took, "cpu_s": cpu, "worker_peak_mb": workers}))
"""


def log_file(records: int) -> Path:
    sys.path.insert(0, str(HERE))
    import synth_logs

    DATA.mkdir(exist_ok=True)
    path = DATA / f"cluster_openai_{records}.jsonl"
    if not path.exists():
        synth_logs.generate(synth_logs.SHAPES["openai"], path, records)
    return path


def single(path: Path, out: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of the single-process CLI."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "llmaudit", "analyze", str(path), "-f", "json", "-q", "-o", str(out)],
        check=True,
        cwd=ROOT,
    )
    took = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return took, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def cluster(path: Path, out: Path, cold: bool) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", CLUSTER_RUN, str(path), str(out), "cold" if cold else "local"]
    done = subprocess.run(command, check=True, cwd=ROOT, env=env, capture_output=True)
    return json.loads(done.stdout.decode().strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, nargs="*", default=[250_000, 1_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="workers as Dask starts them by default (profiler on, llmaudit imported by the first task), "
        "not as --scheduler local:N starts them",
    )
    args = parser.parse_args()
    print(
        "| records | MB | load | single s | cluster s | cluster/single | single CPU s | cluster CPU s | CPU ratio "
        "| cluster start-up s | worker peak MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for records in args.records:
        path = log_file(records)
        load = os.getloadavg()[0]  # other jobs on the machine: the wall times follow them
        scratch = Path(tempfile.mkdtemp(prefix="bench_cluster_"))
        one_out, two_out = scratch / "single.json", scratch / "cluster.json"
        ones, runs = [], []
        for _ in range(args.repeat):  # interleaved: a change in the machine's load hits both alike
            ones.append(single(path, one_out))
            runs.append(cluster(path, two_out, args.cold))
        one, one_cpu = min(ones)
        best = min(runs, key=lambda r: r["seconds"])
        same = one_out.read_text() == two_out.read_text()
        if not same:
            raise SystemExit(f"{path}: the cluster's report differs from the single process's (see {scratch})")
        shutil.rmtree(scratch)
        peaks = "/".join(f"{mb:.0f}" for mb in best["worker_peak_mb"])
        print(
            f"| {records:,} | {path.stat().st_size / 1e6:.0f} | {load:.1f} | {one:.1f} | {best['seconds']:.1f} | "
            f"{best['seconds'] / one:.2f}x | {one_cpu:.1f} | {best['cpu_s']:.1f} | {best['cpu_s'] / one_cpu:.2f}x | "
            f"{best['startup_s']:.1f} | {peaks} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
