"""Logging-wrapper shapes (fixtures: tests/fixtures/logs/openai/wrapped_*.jsonl).

A wrapper that also copies the usage to the top level is still a wrapper (its timestamp,
prompt and attribution are read), and a model named only by the wrapper prices the request.
"""

from __future__ import annotations

import json

import pandas as pd

from llmaudit.ingest.registry import detect
from tests.conftest import LOGS, read_all
from tests.conftest import token_rows as tokens_of

CAPTURE = LOGS / "openai" / "wrapped_capture.jsonl"
MODEL_OUTSIDE = LOGS / "openai" / "wrapped_model_outside.jsonl"


def test_capture_with_top_level_usage_is_read_as_a_wrapper() -> None:
    frame, stats = read_all(CAPTURE)
    assert stats.files[0].format == "openai (wrapped)"
    assert tokens_of(frame) == [
        [1200, 1024, 0, 0, 3, 0],
        # the response has no usage: the wrapper's copy
        [400, 0, 0, 0, 20, 0],
    ]
    assert frame["model"].tolist() == ["gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06"]  # the served model
    assert frame["timestamp"].tolist() == [
        pd.Timestamp("2025-04-01T10:00:00Z"),
        pd.Timestamp("2025-04-01T10:00:05Z"),
    ]
    assert frame["user"].tolist() == ["u-cap", "u-cap"]
    assert frame["feature"].tolist() == ["triage", "answer"]
    assert frame["latency_ms"].tolist() == [640.0, 1500.0]
    assert frame["prompt_text"].iloc[0] == "system: Classify.\nuser: My card was charged twice."


def test_model_only_on_the_wrapper() -> None:
    frame, stats = read_all(MODEL_OUTSIDE)
    assert stats.files[0].parsed == 2
    assert frame["model"].tolist() == ["gpt-4.1-mini", "gpt-4.1-mini"]
    assert tokens_of(frame) == [[8, 0, 0, 0, 2, 0], [9, 0, 0, 0, 3, 0]]
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-04-02T08:00:00Z")


def test_a_response_object_without_a_request_stays_the_formats_own() -> None:
    # LiteLLM's logging payload carries a "response" object but no "request": not a wrapper.
    path = LOGS / "litellm" / "payload.jsonl"
    records = []
    for line in path.read_text().splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue  # the fixture's malformed line
    with_response = [r for r in records if "response" in r]
    assert with_response and not any("request" in r for r in records)
    detection = detect(with_response * 3, str(path))
    assert (detection.format.name, detection.wrapped) == ("litellm", False)
