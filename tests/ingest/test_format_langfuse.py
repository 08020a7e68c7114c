"""Langfuse observation exports (fixtures: tests/fixtures/logs/langfuse).

``usageDetails`` buckets are exclusive, with free-form keys; every expected count below is
the sum of the fixture's buckets, worked out in the comment beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.errors import MalformedRecordError
from llmaudit.ingest.formats import langfuse
from tests.conftest import LOGS, read_all, write_lines
from tests.conftest import token_rows as tokens_of

LANGFUSE = LOGS / "langfuse"
OBSERVATIONS = LANGFUSE / "observations.jsonl"


def texts(column: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in column]


def test_exclusive_buckets_become_inclusive() -> None:
    frame, stats = read_all(OBSERVATIONS)
    assert stats.files[0].format == "langfuse"
    assert frame["request_id"].tolist() == ["obs1", "obs2", "obs3", "obs4", "obs5", "obs6"]
    assert tokens_of(frame) == [
        # obs1 (docs/formats.md): input 176 + input_cached_tokens 1024 = 1200
        [1200, 1024, 0, 0, 300, 0],
        # obs2: 1000 + cache_read_input_tokens 5000 + cache_creation_input_tokens 1500
        #       + input_cache_creation_1h 500 = 8000; writes 1500 + 500 = 2000, of which 500 1h
        [8000, 5000, 2000, 500, 500, 0],
        # obs3: input 200 + cached 1000 = 1200; output 500 + output_reasoning_tokens 2500 = 3000
        [1200, 1000, 0, 0, 3000, 2500],
        # obs4: input_tokens 300 + input_cache_read 100 = 400; output_tokens 80 + output_reasoning 20 = 100
        [400, 100, 0, 0, 100, 20],
        # obs5: failed, empty usageDetails: bills nothing
        [0, 0, 0, 0, 0, 0],
        # obs6: legacy usage {input 20, output 10, unit TOKENS}, no cache split
        [20, 0, 0, 0, 10, 0],
    ]
    assert not frame["tokens_estimated"].any()


def test_cost_status_and_times() -> None:
    frame, _ = read_all(OBSERVATIONS)
    # costDetails.total, else calculatedTotalCost (obs2); none for obs4..obs6
    assert frame["source_cost_usd"].tolist()[:3] == [0.00472, 0.02745, 0.0264]
    assert frame["source_cost_usd"].iloc[3:].isna().all()
    assert frame["status"].tolist() == ["ok", "ok", "ok", "ok", "error", "ok"]
    rate_limit = "Error code: 429 - Rate limit reached for gpt-4o"  # statusMessage
    assert texts(frame["error_type"]) == [None, None, None, None, rate_limit, None]
    # endTime - startTime: 1.3 s, 2 s, 20 s, 0.5 s, 0.2 s, 0.3 s
    assert frame["latency_ms"].tolist() == [1300.0, 2000.0, 20000.0, 500.0, 200.0, 300.0]
    assert frame["ttft_ms"].iloc[0] == 450.0  # completionStartTime 00:00:00.450
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-01-01T00:00:00Z")
    assert frame["provider"].isna().all()  # an observation names no provider


def test_attribution() -> None:
    frame, _ = read_all(OBSERVATIONS)
    assert texts(frame["user"]) == ["u42", "u7", None, None, "u42", None]
    assert texts(frame["session"]) == ["sess-1", None, None, None, None, None]
    assert texts(frame["project"]) == ["proj-1", None, None, None, None, None]
    # traceName, else promptName, else the observation name
    assert texts(frame["feature"]) == [
        "search-answer", "summarize-ticket", "planner", "extract", "search-answer", "translate",
    ]  # fmt: skip
    # tags and traceTags, plus prompt:<promptName>
    assert texts(frame["tags"]) == ["search|prompt:answer-v2", None, "batch|nightly", None, None, None]


def test_prompt_from_a_message_list_or_text() -> None:
    frame, _ = read_all(OBSERVATIONS)
    assert frame["prompt_text"].iloc[0] == "system: Answer from the docs.\nuser: How do I rotate keys?"
    assert frame["system_text"].iloc[0] == "Answer from the docs."
    assert frame["user_text"].iloc[0] == "How do I rotate keys?"
    # obs6: input as plain text is one user message
    assert frame["prompt_text"].iloc[5] == "user: Translate to French: good morning"
    assert frame["turns"].tolist() == [2, 0, 0, 0, 0, 1]


def test_skips_by_reason_with_line_numbers() -> None:
    _, stats = read_all(OBSERVATIONS)
    assert stats.lines_read == 12
    assert dict(stats.skipped) == {
        "not_a_generation": 2,  # lines 7 (SPAN) and 8 (EVENT)
        "blank_line": 1,
        "malformed_json": 1,
        "missing_model": 1,
        "no_usage": 1,  # usage in CHARACTERS and no text to estimate from
    }
    assert stats.examples["not_a_generation"] == [f"{OBSERVATIONS}:7", f"{OBSERVATIONS}:8"]
    assert stats.examples["blank_line"] == [f"{OBSERVATIONS}:9"]
    assert stats.examples["malformed_json"] == [f"{OBSERVATIONS}:10"]
    assert stats.examples["missing_model"] == [f"{OBSERVATIONS}:11"]
    assert stats.examples["no_usage"] == [f"{OBSERVATIONS}:12"]


def test_spans_are_harmless_under_strict(tmp_path: Path) -> None:
    lines = OBSERVATIONS.read_text().splitlines()
    path = write_lines(tmp_path / "trace.jsonl", [lines[0], lines[6], lines[7]])
    frame, stats = read_all(path, strict=True)
    assert frame["request_id"].tolist() == ["obs1"]
    assert stats.skipped["not_a_generation"] == 2
    bad = write_lines(tmp_path / "bad.jsonl", [lines[0], lines[9]])
    with pytest.raises(MalformedRecordError, match=r"bad\.jsonl:2"):
        read_all(bad, strict=True)


def test_json_array_export() -> None:
    frame, stats = read_all(LANGFUSE / "observations.json")
    assert stats.files[0].format == "langfuse"
    # input 900 + input_cached_tokens 100 = 1000
    assert tokens_of(frame) == [[1000, 100, 0, 0, 40, 0]]
    assert (frame["user"].iloc[0], frame["session"].iloc[0], frame["feature"].iloc[0]) == ("u1", "s-a", "support-chat")
    assert stats.skipped["not_a_generation"] == 1


def test_fast_and_per_line_paths_agree(tmp_path: Path) -> None:
    lines = OBSERVATIONS.read_text().splitlines()
    clean = write_lines(tmp_path / "clean.jsonl", lines[:5])  # parsed whole by pyarrow
    mixed = write_lines(tmp_path / "mixed.jsonl", [*lines[:5], lines[9]])  # the malformed line forces per-line
    fast, _ = read_all(clean)
    slow, _ = read_all(mixed)
    columns = ["request_id", "input_tokens", "cache_read_tokens", "output_tokens", "prompt_text", "feature", "tags"]
    pd.testing.assert_frame_equal(fast[columns], slow[columns])


@pytest.mark.parametrize("name", ["auto", "langfuse", "langfuse-observations"])
def test_detection_and_forcing(name: str) -> None:
    frame, stats = read_all(OBSERVATIONS, input_format=name)
    assert stats.files[0].format == "langfuse"
    assert len(frame) == 6


def test_sniff_claims_observations_only() -> None:
    span = {"id": "s", "traceId": "t", "type": "SPAN", "startTime": "2025-01-01T00:00:00Z"}
    assert langfuse.sniff(span)
    assert not langfuse.sniff({"id": "x", "type": "message", "traceId": "t", "startTime": "2025"})  # not upper case
    assert not langfuse.sniff({"type": "GENERATION", "startTime": "2025"})  # no traceId
    for path in LOGS.glob("*/*.jsonl"):
        if path.parent.name == "langfuse":
            continue
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            assert not (isinstance(record, dict) and langfuse.sniff(record)), (path, line[:80])


def test_public_api_totals_and_openinference_detail_keys() -> None:
    frame, stats = read_all(LANGFUSE / "usage_fields.jsonl")
    assert stats.files[0].parsed == 4
    assert tokens_of(frame) == [
        # inputUsage / outputUsage: reported totals, not estimates
        [1200, 0, 0, 0, 300, 0],
        # prompt_details.cache_read 3000 is part of input 5000; reasoning 500 part of output 800
        [5000, 3000, 0, 0, 800, 500],
        # read 4000 + write 600 > input 20: the count left them out, 20 + 4000 + 600
        [4620, 4000, 600, 0, 100, 0],
        # audio details are parts of input 300 and output 200
        [300, 0, 0, 0, 200, 0],
    ]
    assert not frame["tokens_estimated"].any()
