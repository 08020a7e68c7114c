"""Langfuse's "download trace" file (fixture: tests/fixtures/logs/langfuse/trace_download.json).

One pretty-printed ``{"trace": ..., "observations": [...]}`` object: its GENERATION
observations are requests, read by the Langfuse observation rules; a "line" is one
observation. Expected counts are worked out beside each row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.ingest.formats import langfuse_trace
from tests.conftest import LOGS, read_all, write_lines
from tests.conftest import token_rows as tokens_of

DOWNLOAD = LOGS / "langfuse" / "trace_download.json"


def test_generations_of_a_downloaded_trace_are_requests() -> None:
    frame, stats = read_all(DOWNLOAD)
    file = stats.files[0]
    assert file.format == "langfuse-trace"
    # 4 observations: a span and an event are not generations
    assert (file.lines_read, file.parsed, dict(file.skipped)) == (4, 2, {"not_a_generation": 2})
    assert stats.examples["not_a_generation"] == [f"{DOWNLOAD}:1", f"{DOWNLOAD}:3"]
    assert tokens_of(frame) == [
        # gen-1: input 900 + cached 100 = 1000 (inputUsage says 1000 too), output 50
        [1000, 100, 0, 0, 50, 0],
        # gen-2: 10 + 2000 read + 500 written = 2510, output 120
        [2510, 2000, 500, 0, 120, 0],
    ]
    assert frame["source_line"].tolist() == [2, 4]
    assert frame["request_id"].tolist() == ["gen-1", "gen-2"]
    assert frame["model"].tolist() == ["gpt-4o-mini", "claude-haiku-4-5"]


def test_trace_fields_fill_what_observations_lack() -> None:
    frame, _ = read_all(DOWNLOAD)
    assert frame["feature"].tolist() == ["support-answer"] * 2  # the trace's name
    assert frame["user"].tolist() == ["u-17"] * 2  # gen-2's userId is null: the trace's
    assert frame["session"].tolist() == ["sess-9"] * 2
    assert frame["project"].tolist() == ["proj-x"] * 2
    assert frame["latency_ms"].tolist() == [1000.0, 1400.0]
    assert frame["source_cost_usd"].iloc[0] == pytest.approx(0.00018)


@pytest.mark.parametrize("chunk_bytes", [64, 300, 1 << 20])
def test_chunk_size_never_changes_the_result(chunk_bytes: int) -> None:
    whole, _ = read_all(DOWNLOAD)
    frame, stats = read_all(DOWNLOAD, chunk_bytes=chunk_bytes)
    assert tokens_of(frame) == tokens_of(whole)
    assert frame["source_line"].tolist() == [2, 4]
    assert stats.files[0].lines_read == 4


def test_one_trace_per_line_api_shape_empty_trace_and_a_bad_line(tmp_path: Path) -> None:
    download = json.loads(DOWNLOAD.read_text())
    api_shape = {**download["trace"], "observations": download["observations"][1:2], "scores": []}
    empty = {"trace": {"id": "t-empty", "name": "noop"}, "observations": []}
    path = write_lines(
        tmp_path / "traces.jsonl",
        [json.dumps(download), json.dumps(empty), "{not json", json.dumps(api_shape)],
    )
    frame, stats = read_all(path)
    file = stats.files[0]
    assert file.format == "langfuse-trace"
    # observations 1-4, the empty trace (5), the bad line (6), then gen-1 again (7)
    assert file.lines_read == 7
    assert dict(file.skipped) == {
        "not_a_generation": 2,
        "not_a_request": 1,
        "malformed_json": 1,
        "duplicate_request_id": 1,
    }
    assert stats.examples["not_a_request"] == [f"{path}:5"]
    assert stats.examples["malformed_json"] == [f"{path}:6"]
    assert frame["request_id"].tolist() == ["gen-1", "gen-2"]


def test_sniff() -> None:
    assert langfuse_trace.sniff({"trace": {"id": "t"}, "observations": []})
    assert langfuse_trace.sniff({"id": "t", "timestamp": "2025-01-01T00:00:00Z", "observations": []})
    assert not langfuse_trace.sniff({"observations": "none"})
    assert not langfuse_trace.sniff({"id": "obs1", "type": "GENERATION", "traceId": "t"})
    assert langfuse_trace.sniff_bytes(b'{\n  "trace": {\n')
    assert langfuse_trace.sniff_bytes(b'  {"observations": [')
    assert not langfuse_trace.sniff_bytes(b'{"id": "obs1", "type": "GENERATION"}')
