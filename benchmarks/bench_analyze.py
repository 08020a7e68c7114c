"""Benchmark: `llmaudit analyze` against a bare pyarrow parse of the same file.

Usage (from the repository root, with llmaudit installed):

    python benchmarks/bench_analyze.py                    # 1M and 3M records
    python benchmarks/bench_analyze.py --records 200000   # a quick run

For each size it generates (once, cached in benchmarks/data/, git-ignored) a JSON Lines
file of OpenAI Chat Completions in the common logging wrapper (request messages,
response with usage, timestamp, user, feature: about 800 bytes a record, seeded), then
runs, each in a fresh process:

- ``parse``: ``pyarrow.json.read_json(path)``, the time pyarrow takes merely to parse
  the file (schema inferred, all fields, all cores);
- ``parse (llmaudit schema)``: the same read with the explicit schema llmaudit's reader
  declares for this file, for reference: the part of ``analyze`` that is parsing;
- ``analyze``: ``python -m llmaudit analyze PATH --format json -q -o /dev/null``,
  the whole CLI including interpreter start-up and imports.

It prints wall time, the ratio analyze/parse, and each process's peak resident memory
(ru_maxrss of that child alone). Results go to stdout as a Markdown table; the numbers
in docs/performance.md were produced by this script.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SEED = 20261123

MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini", "o3-2025-04-16", "gpt-4.1", "gpt-4.1-mini"]
FEATURES = ["triage", "summarize", "extract", "search", "chat", "code-review"]
PROMPTS = [
    "Classify the sentiment of this review: {n}",
    "Extract the invoice number and total from: INV-{n} total 1,234.50 EUR",
    "Summarize the following support thread in two sentences. Thread #{n}: customer reports late delivery.",
    "Rewrite this sentence in a friendly tone: your ticket {n} is closed.",
    "Find the bug in this function: def f(x): return x + {n} / 0",
]


# Parses the file chunk by chunk exactly as llmaudit's reader does (same chunks, same
# declared schema, same thread pool), and does nothing else.
SCHEMA_PARSE = """
from llmaudit.ingest import envelope
from llmaudit.ingest.formats import openai
from llmaudit.ingest.jsonl import iter_chunks, parse_chunk
from llmaudit.ingest.parallel import ordered_map
from llmaudit.ingest.reader import _sample_records
with open({path!r}, "rb") as f:
    chunks = iter_chunks(f)
    first = next(chunks)
    schema = envelope.wrapped_schema(openai.FORMAT, _sample_records(first.data))
    def all_chunks():
        yield first
        yield from chunks
    for _ in ordered_map(lambda c: parse_chunk(c, schema), all_chunks()):
        pass
"""


def generate(path: Path, records: int) -> None:
    """Write ``records`` wrapped chat completions to ``path`` (deterministic)."""
    rng = np.random.default_rng(SEED)
    model = rng.integers(0, len(MODELS), records)
    feature = rng.integers(0, len(FEATURES), records)
    prompt = rng.integers(0, len(PROMPTS), records)
    prompt_tokens = rng.integers(40, 6000, records)
    cached = np.where(rng.random(records) < 0.3, (prompt_tokens * 0.8).astype(int) // 128 * 128, 0)
    completion = rng.integers(1, 1500, records)
    reasoning = np.where(model == 2, (completion * 0.7).astype(int), 0)
    user = rng.integers(0, 5000, records)
    start = 1_740_787_200  # 2025-03-01T00:00:00Z
    seconds = np.sort(rng.integers(0, 30 * 86400, records))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as out:
        for i in range(records):
            created = start + int(seconds[i])
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
            text = PROMPTS[prompt[i]].format(n=int(rng.integers(0, 50))) if i % 2 else PROMPTS[prompt[i]].format(n=i)
            record = {
                "timestamp": stamp,
                "request": {
                    "model": MODELS[model[i]].split("-2024")[0].split("-2025")[0],
                    "messages": [
                        {
                            "role": "system",
                            "content": "You are a careful assistant for the ACME support team.",
                        },
                        {"role": "user", "content": text},
                    ],
                    "temperature": 0.2,
                },
                "response": {
                    "id": f"chatcmpl-{i:09d}",
                    "object": "chat.completion",
                    "created": created,
                    "model": MODELS[model[i]],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "ok"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {
                        "prompt_tokens": int(prompt_tokens[i]),
                        "completion_tokens": int(completion[i]),
                        "total_tokens": int(prompt_tokens[i] + completion[i]),
                        "prompt_tokens_details": {"cached_tokens": int(cached[i])},
                        "completion_tokens_details": {"reasoning_tokens": int(reasoning[i])},
                    },
                },
                "latency_ms": int(rng.integers(80, 9000)),
                "user": f"user-{user[i]}",
                "feature": FEATURES[feature[i]],
            }
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    os.replace(tmp, path)


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process running ``command``."""
    wall, rss, _cpu = measure_cpu(command)
    return wall, rss


def measure_cpu(command: list[str]) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MB) and CPU seconds (user + system) of one child running ``command``.

    A fresh runner process starts the child and reads ``RUSAGE_CHILDREN``: its only child
    is the command, so the usage is the command's alone (with any processes it waited for).
    """
    runner = (
        "import resource, subprocess, sys, time, json;"
        "t = time.perf_counter(); rc = subprocess.call(sys.argv[1:]);"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN);"
        "print(json.dumps({'rc': rc, 'seconds': time.perf_counter() - t,"
        "'rss_mb': u.ru_maxrss / 1024, 'cpu': u.ru_utime + u.ru_stime}))"
    )
    out = subprocess.run([sys.executable, "-c", runner, *command], capture_output=True, text=True, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"command failed: {' '.join(command)}\n{out.stderr}")
    return result["seconds"], result["rss_mb"], result["cpu"]


def bench(records: int, repeats: int) -> dict[str, float]:
    DATA.mkdir(exist_ok=True)
    path = DATA / f"openai_wrapped_{records}.jsonl"
    if not path.exists():
        print(f"generating {records:,} records -> {path}", file=sys.stderr)
        generate(path, records)
    size_mb = path.stat().st_size / 1e6
    parse_cmd = [sys.executable, "-c", f"import pyarrow.json as pj; pj.read_json({str(path)!r})"]
    schema_cmd = [sys.executable, "-c", SCHEMA_PARSE.format(path=str(path))]
    analyze_cmd = [
        sys.executable,
        "-m",
        "llmaudit",
        "analyze",
        str(path),
        "--format",
        "json",
        "-q",
        "-o",
        os.devnull,
    ]
    parse = min(measure(parse_cmd) for _ in range(repeats))
    schema_parse = min(measure(schema_cmd) for _ in range(repeats))
    analyze = min(measure(analyze_cmd) for _ in range(repeats))
    return {
        "records": records,
        "size_mb": size_mb,
        "parse_s": parse[0],
        "parse_rss_mb": parse[1],
        "schema_parse_s": schema_parse[0],
        "analyze_s": analyze[0],
        "analyze_rss_mb": analyze[1],
        "ratio": analyze[0] / parse[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, action="append", help="record counts (default: 1M and 3M)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the fastest counts")
    args = parser.parse_args()
    sizes = args.records or [1_000_000, 3_000_000]
    rows = [bench(n, args.repeats) for n in sizes]
    print(f"cores: {os.cpu_count()}, python {sys.version.split()[0]}, repeats: {args.repeats} (fastest shown)\n")
    print(
        "| records | file | bare parse | parse, llmaudit schema | analyze | ratio | parse peak RSS | analyze peak RSS |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['records']:,} | {r['size_mb']:,.0f} MB | {r['parse_s']:.2f} s | {r['schema_parse_s']:.2f} s | "
            f"{r['analyze_s']:.2f} s | {r['ratio']:.2f}x | {r['parse_rss_mb']:,.0f} MB | "
            f"{r['analyze_rss_mb']:,.0f} MB |"
        )


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    main()
