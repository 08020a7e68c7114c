"""The same answer on a cluster: every sample log, and a generated 200,000-record log read
as many byte ranges (with request ids repeated across ranges, exact-repeat prompts and bad
lines), give the very JSON report a single process gives, byte for byte.

Nothing in the analyze report is approximate or timed, so nothing is exempt: the merged sums
replay the per-chunk sums in input order (``_Accumulator.merge``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from llmaudit.analyze.run import AnalyzeOptions, analyze
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "sample_logs"
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth_logs  # noqa: E402

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.cluster.analyze import analyze_on  # noqa: E402
from llmaudit.cluster.plan import plan  # noqa: E402


def _both(client: Any, logs: list[str], ingest: IngestOptions, options: AnalyzeOptions, **kw: Any) -> tuple[str, str]:
    one = analyze(RequestReader(logs, ingest), load_pricing([]), options)
    two = analyze_on(client, expand_inputs(logs), ingest, load_pricing([]), options, **kw)
    return render(one, "json", RenderOptions()), render(two, "json", RenderOptions())


@pytest.mark.parametrize("logs", [*sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()), "all"])
def test_every_sample_log(client: Any, logs: str) -> None:
    paths = [str(SAMPLES)] if logs == "all" else [str(SAMPLES / logs)]
    one, two = _both(client, paths, IngestOptions(), AnalyzeOptions(group_by=("feature", "user", "tag"), sample=2))
    assert json.loads(one)["summary"]["requests"] > 0
    assert one == two


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 OpenAI chat completions (wrapped); ids repeated across ranges, a bad line, blank lines."""
    path = tmp_path_factory.mktemp("synth") / "openai.jsonl"
    synth_logs.generate(synth_logs.SHAPES["openai"], path, 200_000)
    lines = path.read_bytes().split(b"\n")
    lines[150_000] = lines[10]  # the same response logged twice, far apart: a duplicate id
    lines[190_000] = lines[120_001]
    lines[120_000] = b'{"model": "gpt-4o", "usage": '  # a truncated line
    lines[60_000] = b""
    path.write_bytes(b"\n".join(lines))
    return path


def test_a_generated_log_read_as_ranges(client: Any, big_log: Path) -> None:
    ingest = IngestOptions(chunk_bytes=1 << 20)
    tasks = plan(expand_inputs([str(big_log)]), ingest, range_chunks=8)
    assert len(tasks) > 10 and all(t.byte_range is not None for t in tasks)
    one, two = _both(client, [str(big_log), str(SAMPLES / "app")], ingest, AnalyzeOptions(sample=3), range_chunks=8)
    report = json.loads(one)
    assert report["summary"]["requests"] > 190_000
    skipped = {row["reason"]: row for row in report["skipped"]}
    assert skipped["duplicate_request_id"]["count"] >= 2  # the two made here, across ranges
    assert any(e.endswith(":120001") for e in skipped["malformed_json"]["examples"])
    assert one == two
