"""Gemini GenerateContentResponse objects, bare and wrapped (fixtures: tests/fixtures/logs/gemini).

Gemini leaves thoughts out of ``candidatesTokenCount`` and tool-use prompt tokens out of
``promptTokenCount``; every expected count is worked out in the comment beside it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from llmaudit.ingest.formats import gemini
from llmaudit.pricing import load_pricing, price_requests
from tests.conftest import LOGS, TOKENS, read_all
from tests.conftest import token_rows as tokens_of

GEMINI = LOGS / "gemini"


def test_thoughts_and_tool_use_prompts_are_counted() -> None:
    frame, stats = read_all(GEMINI / "responses.jsonl")
    assert stats.files[0].format == "gemini"
    assert tokens_of(frame) == [
        # r1: prompt 1200 already includes the 1000 cached; output 300 candidates + 700 thoughts = 1000
        [1200, 1000, 0, 0, 1000, 700],
        # r2: prompt 400 + tool-use prompt 100 = 500
        [500, 0, 0, 0, 50, 0],
        # r3: blocked prompt, counts as reported
        [12, 0, 0, 0, 0, 0],
        # r4: no cache or thought counts
        [80, 0, 0, 0, 20, 0],
    ]
    assert frame["request_id"].tolist() == ["r1", "r2", "r3", "r4"]
    flash, pro = "gemini-2.5-flash", "gemini-2.5-pro"
    assert frame["model"].tolist() == [flash, pro, flash, "gemini-2.0-flash"]
    assert frame["finish_reason"].tolist()[:2] == ["STOP", "STOP"]
    assert pd.isna(frame["finish_reason"].iloc[2])  # blocked: no candidate
    assert frame["finish_reason"].iloc[3] == "MAX_TOKENS"
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-05-01T10:00:00.500Z")
    assert pd.isna(frame["timestamp"].iloc[3])
    assert (frame["provider"] == "google").all()
    assert (frame["pricing_mode"] == "standard").all()


def test_blocked_prompt_is_an_error_with_its_reason() -> None:
    frame, _ = read_all(GEMINI / "responses.jsonl")
    assert frame["status"].tolist() == ["ok", "ok", "error", "ok"]
    assert frame["error_type"].iloc[2] == "SAFETY"
    assert frame["error_type"].drop(index=2).isna().all()


def test_bare_file_skips_by_reason() -> None:
    path = GEMINI / "responses.jsonl"
    _, stats = read_all(path)
    assert dict(stats.skipped) == {"missing_model": 1, "blank_line": 1, "malformed_json": 1}
    assert stats.examples["missing_model"] == [f"{path}:5"]  # the API error object names no model
    assert stats.examples["malformed_json"] == [f"{path}:7"]


def test_wrapped_records_read_prompt_and_turns() -> None:
    frame, stats = read_all(GEMINI / "wrapped.jsonl")
    assert stats.files[0].format == "gemini (wrapped)"
    assert frame["prompt_text"].tolist() == [
        # the inlineData part has no text and is left out
        "system: Be brief.\nuser: What is in this image?\nmodel: A cat.\nuser: Are you sure?",
        # contents given as a plain string, system_instruction in snake case
        "system: You translate.\nuser: Translate to French: hello",
        "user: Summarize the report",
    ]
    assert frame["turns"].tolist() == [3, 1, 1]
    assert frame["system_text"].tolist()[:2] == ["Be brief.", "You translate."]
    assert frame["user_text"].tolist() == ["Are you sure?", "Translate to French: hello", "Summarize the report"]
    assert frame["user"].tolist() == ["u1", "u2", "u1"]
    assert frame["feature"].iloc[0] == "vision"
    assert frame["timestamp"].iloc[1] == pd.Timestamp("2025-05-02T09:00:04Z")
    assert tokens_of(frame)[:2] == [
        # output 5 candidates + 120 thoughts = 125
        [1300, 0, 0, 0, 125, 120],
        [9, 0, 0, 0, 3, 0],
    ]


def test_wrapped_api_error_is_a_failed_request() -> None:
    frame, _ = read_all(GEMINI / "wrapped.jsonl")
    failed = frame.iloc[2]
    assert (failed["status"], failed["error_type"]) == ("error", "UNAVAILABLE")
    assert failed["model"] == "gemini-2.5-pro"  # from the request
    assert failed[TOKENS].sum() == 0


@pytest.mark.parametrize("name", ["auto", "gemini", "google", "vertex"])
def test_detection_and_forcing(name: str) -> None:
    frame, stats = read_all(GEMINI / "responses.jsonl", input_format=name)
    assert stats.files[0].format == "gemini"
    assert len(frame) == 4


def test_sniff() -> None:
    assert gemini.sniff({"usageMetadata": {"promptTokenCount": 1}})
    assert gemini.sniff({"candidates": [], "modelVersion": "gemini-2.5-flash"})
    assert not gemini.sniff({"candidates": []})
    assert not gemini.sniff({"object": "chat.completion", "usage": {"prompt_tokens": 1}})


PRICES = """\
schema_version: 1
name: gemini-test
source: hand-written for tests
as_of: 2026-11-01
models:
  gemini-2.5-flash:
    provider: google
    input: 0.30
    output: 2.50
    cache_read: 0.03
    reasoning: 3.50
  gemini-2.5-pro:
    provider: google
    input: 1.25
    output: 10.00
"""


def test_cost_prices_thoughts_at_the_reasoning_rate(tmp_path: Path) -> None:
    frame, _ = read_all(GEMINI / "responses.jsonl")
    (tmp_path / "prices.yaml").write_text(PRICES, encoding="utf-8")
    priced = price_requests(frame, load_pricing([tmp_path / "prices.yaml"], include_shipped=False))
    # r1 (flash): (1200-1000)*0.30 + 1000*0.03 + (1000-700)*2.50 + 700*3.50
    #           = 60 + 30 + 750 + 2450 = 3290 -> $0.00329
    assert priced["cost_usd"].iloc[0] == pytest.approx(0.00329)
    assert priced["cost_reasoning_usd"].iloc[0] == pytest.approx(0.00245)  # 700 * 3.50
    # r2 (pro): tool-use prompt billed as input: 500*1.25 + 50*10 = 625 + 500 = 1125
    assert priced["cost_usd"].iloc[1] == pytest.approx(0.001125)
    assert pd.isna(priced["cost_usd"].iloc[3])  # gemini-2.0-flash is not in this table: unpriced, not $0


def test_google_genai_sdk_snake_case_dump() -> None:
    frame, stats = read_all(GEMINI / "genai_sdk.jsonl")
    assert stats.files[0].format == "gemini"
    assert stats.files[0].parsed == 3
    assert tokens_of(frame) == [
        # sdk-1: prompt 2500 includes the 2000 cached; output 40 candidates + 160 thoughts = 200
        [2500, 2000, 0, 0, 200, 160],
        # sdk-2: prompt 300 + tool-use prompt 50 = 350; no thoughts
        [350, 0, 0, 0, 64, 0],
        # sdk-3: blocked prompt, 7 in, nothing out
        [7, 0, 0, 0, 0, 0],
    ]
    assert frame["request_id"].tolist() == ["sdk-1", "sdk-2", "sdk-3"]
    assert frame["model"].tolist() == ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash"]
    assert frame["finish_reason"].tolist()[:2] == ["STOP", "MAX_TOKENS"]
    assert pd.isna(frame["timestamp"].iloc[0])
    assert frame["timestamp"].iloc[1] == pd.Timestamp("2025-06-02T08:30:00.250Z")
    assert frame["status"].tolist() == ["ok", "ok", "error"]
    assert frame["error_type"].iloc[2] == "PROHIBITED_CONTENT"


def test_vertex_integer_finish_reasons_become_names() -> None:
    frame, stats = read_all(GEMINI / "vertex_int_enums.jsonl")
    assert stats.files[0].parsed == 6
    assert frame["finish_reason"].tolist() == [
        "STOP",
        "MAX_TOKENS",
        "MALFORMED_FUNCTION_CALL",
        "NO_IMAGE",
        "99",  # not in the enum: kept as written rather than guessed
        "SAFETY",
    ]
    assert frame["input_tokens"].tolist() == [10, 20, 30, 40, 50, 60]
    assert frame["output_tokens"].tolist() == [2, 8, 0, 0, 1, 0]
