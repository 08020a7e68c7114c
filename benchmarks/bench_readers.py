"""Benchmark: every log reader against a bare parse of its own file, and memory from 1M to 5M records.

Usage (from the repository root, with llmaudit installed):

    python benchmarks/bench_readers.py                          # readers at 1M; openai, CSV, Parquet at 1M and 5M
    python benchmarks/bench_readers.py --records 100000 --scale 100000 --scale 500000   # a quick run
    python benchmarks/bench_readers.py --formats openai,otel --no-scale                 # some readers only
    python benchmarks/bench_readers.py --list                   # the formats and what each file holds

Inputs are generated once per format and size by ``synth_logs.py`` (seeded, block by block,
so generation memory stays small) into the git-ignored ``benchmarks/data/readers/``, in
the wire shape of each format's test fixtures (``tests/fixtures/logs/<format>/``). A
"record" is one line of JSON Lines or one CSV / Parquet row (for ``claude-code`` a line:
about 44% of them are API calls, the rest user turns and repeated streamed lines).
``claude-code-sessions`` holds the same lines as a directory of 500-line session files
(about 200 KB each), the way ``~/.claude/projects`` holds them: per-file costs show there.

Each measurement runs in a fresh process (``bench_analyze.measure``: wall time, and the
child's own peak resident memory); the fastest of ``--repeats`` runs is kept:

- ``bare parse``: pyarrow reads the whole file and does nothing else:
  ``pyarrow.json.read_json``, ``pyarrow.csv.read_csv`` or ``pyarrow.parquet.read_table``
  (schema inferred, all fields, all cores);
  For ``claude-code`` no one inferred shape fits the lines (a user turn's ``content`` is a
  string or a list), so its bare parse reads the fields the reader reads, by explicit
  schema, and ignores the rest;
- ``reader``: the reader alone, as ``analyze`` drives it but without pricing, analysis or
  report: a child process imports llmaudit, then times iterating
  ``RequestReader([FILE], IngestOptions(input_format=FMT))`` to the end (detection, parse,
  conversion to canonical frames, validation, accounting; all of it for a directory).
  ``MB/s`` is the input's size on disk over that time (issue 14.10's goal: 60 MB/s);
- ``analyze``: ``python -m llmaudit analyze FILE --input-format FMT --format json -q -o
  /dev/null``, the whole command including start-up, imports, pricing and the report.

Two Markdown tables go to stdout: each reader's speed relative to the bare parse (at each
``--records`` size), and ``analyze`` at each ``--scale`` size for the ``--scale-formats``
(memory should stay flat as the input grows). Files with more records than
``--keep-max`` are deleted once measured. docs/performance.md records the results.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench_analyze import measure
from synth_logs import SHAPES, Shape, generate

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "readers"

BARE_PARSE = {
    "": "import pathlib, pyarrow.json as pj; [pj.read_json(p) for p in pathlib.Path({path!r}).rglob('*.jsonl')]",
    ".jsonl": "import pyarrow.json as pj; pj.read_json({path!r})",
    ".csv": "import pyarrow.csv as pc; pc.read_csv({path!r})",
    ".parquet": "import pyarrow.parquet as pq; pq.read_table({path!r})",
}

# Lines of varying shape: pyarrow reads the fields the format reads, ignoring the others.
_CLAUDE_FIELDS = (
    "pa.schema([('type', pa.string()), ('sessionId', pa.string()), ('timestamp', pa.string()), "
    "('message', pa.struct([('id', pa.string()), ('model', pa.string()), ('usage', pa.struct("
    "[(k, pa.int64()) for k in ('input_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', "
    "'output_tokens')]))]))])"
)
_CLAUDE_OPTIONS = f"pj.ParseOptions(explicit_schema={_CLAUDE_FIELDS}, unexpected_field_behavior='ignore')"
BARE_BY_FORMAT = {
    "claude-code": "import pathlib, pyarrow as pa, pyarrow.json as pj; p = pathlib.Path({path!r}); "
    f"[pj.read_json(f, parse_options={_CLAUDE_OPTIONS}) for f in (sorted(p.rglob('*.jsonl')) if p.is_dir() else [p])]"
}
READER = (
    "import json, sys, time; from llmaudit.ingest.reader import IngestOptions, RequestReader; "
    "t, cpu = time.perf_counter(), time.process_time(); "
    "reader = RequestReader([sys.argv[1]], IngestOptions(input_format=sys.argv[2])); "
    "rows = sum(len(f) for f in reader); "
    "print(json.dumps({{'seconds': time.perf_counter() - t, 'cpu': time.process_time() - cpu, 'rows': rows}}))"
)


def time_reader(path: Path, input_format: str) -> tuple[float, float]:
    """Wall and CPU seconds (all threads) the reader alone takes over ``path`` in a fresh
    process, imports excluded. CPU time is the steadier figure on a shared machine."""
    out = subprocess.run(
        [sys.executable, "-c", READER.format(), str(path), input_format], capture_output=True, text=True, check=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return float(result["seconds"]), float(result["cpu"])


@dataclass(frozen=True)
class Result:
    shape: Shape
    records: int
    size_mb: float
    parse_s: float
    parse_rss_mb: float
    analyze_s: float
    analyze_rss_mb: float
    reader_s: float
    reader_cpu_s: float

    @property
    def reader_mb_s(self) -> float:
        return self.size_mb / self.reader_s

    @property
    def ratio(self) -> float:
        return self.analyze_s / self.parse_s


def data_file(shape: Shape, records: int) -> Path:
    """The generated input for ``shape`` at ``records``, generating it on first use."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"{shape.name}_{records}{shape.suffix}"
    if not path.exists():
        print(f"generating {records:,} {shape.name} records -> {path}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        generate(shape, path, records)
        print(f"  {time.perf_counter() - start:.0f} s", file=sys.stderr)
    return path


def bench(shape: Shape, records: int, repeats: int, cache: dict[tuple[str, int], Result]) -> Result:
    key = (shape.name, records)
    if key in cache:
        return cache[key]
    path = data_file(shape, records)
    bare = BARE_BY_FORMAT.get(shape.input_format, BARE_PARSE[shape.suffix])
    parse_cmd = [sys.executable, "-c", bare.format(path=str(path))]
    analyze_cmd = [sys.executable, "-m", "llmaudit", "analyze", str(path), "--input-format", shape.input_format]
    analyze_cmd += ["--format", "json", "-q", "-o", os.devnull]
    print(f"measuring {shape.name} at {records:,}", file=sys.stderr, flush=True)
    parse = min(measure(parse_cmd) for _ in range(repeats))
    analyze = min(measure(analyze_cmd) for _ in range(repeats))
    reader = min(time_reader(path, shape.input_format) for _ in range(repeats))  # the fastest wall time
    size = sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size
    result = Result(shape, records, size / 1e6, parse[0], parse[1], analyze[0], analyze[1], *reader)
    cache[key] = result
    return result


def readers_table(results: list[Result]) -> str:
    lines = [
        "| format | file | records | MB | bare parse | reader | reader MB/s | reader CPU | analyze | ratio "
        "| parse peak RSS | analyze peak RSS |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.shape.input_format} | {r.shape.note} ({r.shape.suffix[1:] or 'directory'}) | {r.records:,} | "
            f"{r.size_mb:,.0f} | {r.parse_s:.2f} s | {r.reader_s:.2f} s | {r.reader_mb_s:,.0f} | "
            f"{r.reader_cpu_s:.2f} s | "
            f"{r.analyze_s:.2f} s | {r.ratio:.2f}x | {r.parse_rss_mb:,.0f} MB | {r.analyze_rss_mb:,.0f} MB |"
        )
    ratios = [r.ratio for r in results]
    if ratios:
        median = statistics.median(ratios)
        slow = [f"{r.shape.name} ({r.ratio:.2f}x)" for r in results if r.ratio > 2 * median]
        lines.append("")
        lines.append(f"median ratio {median:.2f}x; over twice the median: {', '.join(slow) or 'none'}")
    return "\n".join(lines)


def scale_table(results: list[Result]) -> str:
    lines = [
        "| format | records | MB | bare parse | parse peak RSS | analyze | analyze peak RSS | records/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.shape.name} | {r.records:,} | {r.size_mb:,.0f} | {r.parse_s:.2f} s | {r.parse_rss_mb:,.0f} MB | "
            f"{r.analyze_s:.2f} s | {r.analyze_rss_mb:,.0f} MB | {r.records / r.analyze_s:,.0f} |"
        )
    return "\n".join(lines)


def names(text: str) -> list[str]:
    chosen = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in chosen if n not in SHAPES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(SHAPES)}")
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, action="append", help="sizes for the reader table (default 1M)")
    parser.add_argument("--formats", type=names, default=list(SHAPES), help="comma-separated (default: all)")
    parser.add_argument("--scale", type=int, action="append", help="sizes for the memory table (default 1M and 5M)")
    parser.add_argument(
        "--scale-formats",
        type=names,
        default=["openai", "generic-csv", "generic-parquet"],
        help="comma-separated (default: openai,generic-csv,generic-parquet)",
    )
    parser.add_argument("--no-readers", action="store_true", help="skip the reader table")
    parser.add_argument("--no-scale", action="store_true", help="skip the memory table")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--keep-max", type=int, default=1_000_000, help="delete measured files with more records")
    parser.add_argument("--list", action="store_true", help="list the formats and exit")
    args = parser.parse_args()
    if args.list:
        for shape in SHAPES.values():
            print(f"{shape.name:16} --input-format {shape.input_format:13} {shape.note} ({shape.suffix[1:]})")
        return
    cache: dict[tuple[str, int], Result] = {}

    def run(shape: Shape, records: int) -> Result:
        result = bench(shape, records, args.repeats, cache)
        path = DATA / f"{shape.name}_{records}{shape.suffix}"
        if records > args.keep_max and path.exists():
            shutil.rmtree(path) if path.is_dir() else path.unlink()
        return result

    # Scale first: it shares its smallest size with the reader table, measured once.
    scale = (
        []
        if args.no_scale
        else [run(SHAPES[n], k) for n in args.scale_formats for k in args.scale or [1_000_000, 5_000_000]]
    )
    readers = [] if args.no_readers else [run(SHAPES[n], k) for k in args.records or [1_000_000] for n in args.formats]
    load = os.getloadavg()
    print(
        f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, repeats: {args.repeats} (fastest shown), ", end=""
    )
    print(f"load average at the end: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}\n")
    if readers:
        print(readers_table(readers) + "\n")
    if scale:
        print(scale_table(scale))


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
