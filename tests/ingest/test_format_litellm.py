"""LiteLLM logging payloads and SpendLogs exports (fixtures: tests/fixtures/logs/litellm).

LiteLLM's ``prompt_tokens`` is inclusive; cache and reasoning details come from the usage
object in the metadata. Every expected value is worked out from the fixture's raw fields in
the comment beside it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.ingest.formats import litellm
from llmaudit.pricing import load_pricing, price_requests
from tests.conftest import LOGS, read_all, write_lines
from tests.conftest import token_rows as tokens_of

LITELLM = LOGS / "litellm"
PAYLOAD = LITELLM / "payload.jsonl"
SPENDLOGS_CSV = LITELLM / "spendlogs.csv"
SPENDLOGS_JSON = LITELLM / "spendlogs.json"


def texts(column: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in column]


# --- logging payload ------------------------------------------------------------------


def test_payload_tokens_are_inclusive_with_the_details_from_the_usage_object() -> None:
    frame, stats = read_all(PAYLOAD)
    assert stats.files[0].format == "litellm"
    assert frame["request_id"].tolist() == ["c1", "c2", "c3", "c4", "c5"]
    assert tokens_of(frame) == [
        # c1: prompt 1200 already includes the 1024 cached (usage_object.prompt_tokens_details)
        [1200, 1024, 0, 0, 300, 0],
        # c2: 8000 = 1000 uncached + 5000 read + 2000 written; the TTL split puts all 2000 in 1h
        [8000, 5000, 2000, 2000, 500, 0],
        # c3: completion 3000 includes the 2500 reasoning tokens from hidden_params.usage_object
        [1200, 0, 0, 0, 3000, 2500],
        # c4: a failed call bills nothing
        [0, 0, 0, 0, 0, 0],
        # c5: a LiteLLM cache hit (900/100 logged) never reached the provider
        [0, 0, 0, 0, 0, 0],
    ]
    assert frame["source_cost_usd"].tolist() == [0.00472, 0.0306, 0.0264, 0.0, 0.0]  # response_cost


def test_payload_prices_the_deployment_model_not_the_model_group() -> None:
    frame, _ = read_all(PAYLOAD)
    # c2's model_group is the alias "claude", c3's "reasoning", c4's "gpt-4": none is a price key
    assert frame["model"].tolist() == ["gpt-4o", "claude-sonnet-4-5", "o3-2025-04-16", "gpt-4o", "gpt-4o"]
    # c4 has no custom_llm_provider: error_information.llm_provider says openai
    assert frame["provider"].tolist() == ["openai", "anthropic", "openai", "openai", "openai"]


def test_payload_attribution() -> None:
    frame, _ = read_all(PAYLOAD)
    # end_user, else (c2: no end user) the key owner metadata.user_api_key_user_id
    assert texts(frame["user"]) == ["u42", "owner-1", "u7", "u42", "u42"]
    # team alias before team id: c2 has both ("Search Team", team-b)
    assert texts(frame["team"]) == ["team-a", "Search Team", None, "team-a", "team-a"]
    assert texts(frame["project"]) == [None, None, "proj-x", None, None]  # user_api_key_project_alias
    assert texts(frame["session"]) == [None, "sess-1", None, None, None]  # metadata.session_id
    # request tags, the key alias as key:<alias>, cache_hit for LiteLLM cache hits
    assert texts(frame["tags"]) == ["feature:search", "key:ci-key", "batch-eval|key:eval-key", None, "cache_hit"]
    assert texts(frame["feature"]) == ["search", None, None, None, None]  # from the feature:<name> tag


def test_payload_times_status_and_prompt() -> None:
    frame, _ = read_all(PAYLOAD)
    assert frame["timestamp"].iloc[1] == pd.Timestamp("2025-01-01T00:00:00Z")  # 1735689600.0
    assert frame["timestamp"].iloc[2] == pd.Timestamp("2025-01-02T00:00:00Z")  # ISO text
    # (endTime - startTime) * 1000: 1.3 s, 2 s, 3.5 s, 0.4 s, 0.01 s
    assert frame["latency_ms"].tolist() == pytest.approx([1300, 2000, 3500, 400, 10], abs=0.01)
    # c2 streamed: completionStartTime 0.25 s after start
    assert frame["ttft_ms"].iloc[1] == pytest.approx(250, abs=0.01)
    assert frame["status"].tolist() == ["ok", "ok", "ok", "error", "ok"]
    assert texts(frame["error_type"]) == [None, None, None, "RateLimitError", None]
    assert frame["prompt_text"].iloc[1] == "system: You answer support tickets.\nuser: My invoice is wrong."
    assert (frame["system_text"].iloc[1], frame["user_text"].iloc[1]) == (
        "You answer support tickets.",
        "My invoice is wrong.",
    )
    assert frame["turns"].tolist() == [0, 2, 0, 0, 0]


def test_payload_skips_by_reason_with_line_numbers() -> None:
    _, stats = read_all(PAYLOAD)
    assert stats.lines_read == 9
    assert dict(stats.skipped) == {"blank_line": 1, "malformed_json": 1, "missing_model": 1, "inconsistent_tokens": 1}
    assert stats.examples["blank_line"] == [f"{PAYLOAD}:6"]
    assert stats.examples["malformed_json"] == [f"{PAYLOAD}:7"]
    assert stats.examples["missing_model"] == [f"{PAYLOAD}:8"]
    # c9: anthropic_messages logged exclusive (12 prompt < 2495 cached): reported, not guessed
    assert stats.examples["inconsistent_tokens"] == [f"{PAYLOAD}:9"]


PRICES = """\
schema_version: 1
name: litellm-test
source: hand-written for tests
as_of: 2026-11-01
models:
  gpt-4o: {provider: openai, input: 2.50, output: 10.00, cache_read: 1.25}
  claude-sonnet-4-5: {provider: anthropic, input: 3.00, output: 15.00, cache_read: 0.30, cache_write: 3.75,
                      cache_write_1h: 6.00}
"""


def test_converted_counts_price_like_the_source(tmp_path: Path) -> None:
    frame, _ = read_all(PAYLOAD)
    (tmp_path / "prices.yaml").write_text(PRICES, encoding="utf-8")
    priced = price_requests(frame.iloc[:2], load_pricing([tmp_path / "prices.yaml"], include_shipped=False))
    assert priced["cost_usd"].tolist() == pytest.approx(
        [
            # c1: (1200-1024)*2.50 + 1024*1.25 + 300*10 = 440 + 1280 + 3000 = 4720 -> $0.00472 (= response_cost)
            0.00472,
            # c2: (8000-5000-2000)*3 + 5000*0.30 + 2000*6.00 (1h) + 500*15 = 3000+1500+12000+7500 = 24000
            0.024,
        ]
    )


# --- SpendLogs ------------------------------------------------------------------------


def test_spendlogs_csv() -> None:
    frame, stats = read_all(SPENDLOGS_CSV)
    assert stats.files[0].format == "litellm"
    # LiteLLM suffixes a cache hit's id so that SpendLogs' primary key stays unique
    hit = "chatcmpl-6_cache_hit1735690000.1"
    assert frame["request_id"].tolist() == ["chatcmpl-1", "chatcmpl-2", "chatcmpl-3", hit]
    assert frame["source_line"].tolist() == [2, 3, 4, 8]
    assert tokens_of(frame) == [
        # 1200 inclusive, 1024 cached in the metadata's additional_usage_values (JSON text)
        [1200, 1024, 0, 0, 300, 0],
        # 8000 inclusive, 5000 read + 2000 written in metadata.usage_object; no TTL split
        [8000, 5000, 2000, 0, 500, 0],
        [0, 0, 0, 0, 0, 0],  # the failure
        [0, 0, 0, 0, 0, 0],  # cache_hit True: 30/5 logged, nothing billed
    ]
    assert frame["source_cost_usd"].tolist() == [0.00472, 0.0306, 0.0, 0.0]  # spend
    assert frame["latency_ms"].tolist() == [1300.0, 2000.0, 150.0, 10.0]  # request_duration_ms
    assert frame["ttft_ms"].iloc[0] == pytest.approx(400.0)  # completionStartTime 00:00:00.400
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-01-01T00:00:00Z")
    assert texts(frame["error_type"]) == [None, None, "BadRequestError", None]
    # end_user wins over the key owner in `user`; an empty end_user falls back to it
    assert texts(frame["user"]) == ["cust-9", "owner-2", "cust-9", "cust-9"]
    assert texts(frame["team"]) == ["Search Team", "team-b", "team-a", "team-a"]
    assert texts(frame["session"]) == ["s1", None, None, None]
    assert texts(frame["tags"]) == ["feature:search|prod|key:ci-key", None, None, "smoke|cache_hit"]
    # the default messages "{}" is no prompt; the last row's messages are JSON text
    assert texts(frame["prompt_text"]) == [None, None, None, "system: Be brief.\nuser: What is 2+2?"]


def test_spendlogs_csv_skips() -> None:
    _, stats = read_all(SPENDLOGS_CSV)
    assert stats.lines_read == 7  # data rows after the header
    assert dict(stats.skipped) == {"invalid_field": 1, "invalid_csv_row": 1, "blank_line": 1}
    assert stats.examples["invalid_field"] == [f"{SPENDLOGS_CSV}:5"]
    assert "'abc' is not a number" in stats.details["invalid_field"]
    assert stats.examples["invalid_csv_row"] == [f"{SPENDLOGS_CSV}:6"]
    assert stats.examples["blank_line"] == [f"{SPENDLOGS_CSV}:7"]


def test_spendlogs_json_array_is_not_taken_for_wrapped_responses() -> None:
    # every row carries a "response" object, the shape of a request/response wrapper
    frame, stats = read_all(SPENDLOGS_JSON)
    assert stats.files[0].format == "litellm"
    assert tokens_of(frame) == [
        [1200, 1024, 0, 0, 300, 0],
        # 1300 inclusive of the 300 written (additional_usage_values.cache_creation_input_tokens)
        [1300, 0, 300, 0, 50, 0],
    ]
    assert texts(frame["user"]) == ["cust-9", "owner-2"]
    assert frame["latency_ms"].tolist() == [1300.0, 2000.0]  # (endTime - startTime) * 1000


# --- detection ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [PAYLOAD, SPENDLOGS_CSV, SPENDLOGS_JSON])
@pytest.mark.parametrize("name", ["auto", "litellm", "litellm-payload", "litellm-spendlogs"])
def test_detection_and_forcing(path: Path, name: str) -> None:
    frame, stats = read_all(path, input_format=name)
    assert stats.files[0].format == "litellm"
    assert len(frame) >= 2


def test_timestamps_in_either_shape_read_alike(tmp_path: Path) -> None:
    record = json.loads(PAYLOAD.read_text().splitlines()[0])
    iso = {**record, "id": "c1-iso", "startTime": "2024-10-27T03:33:20.1Z", "endTime": "2024-10-27T03:33:21.4Z"}
    path = write_lines(tmp_path / "mixed.jsonl", [json.dumps(iso), json.dumps(record)])
    frame, _ = read_all(path)
    assert frame["timestamp"].nunique() == 1  # 1730000000.1 is 2024-10-27T03:33:20.1Z
    assert frame["latency_ms"].tolist() == pytest.approx([1300, 1300], abs=0.01)


def test_sniffers() -> None:
    lines = PAYLOAD.read_text().splitlines()
    assert litellm.sniff(json.loads(lines[0])) and litellm.sniff(json.loads(lines[1]))
    spend_row = json.loads(SPENDLOGS_JSON.read_text())[0]
    assert litellm.sniff(spend_row)
    assert litellm.sniff_bytes(SPENDLOGS_CSV.read_bytes())
    # not claimed: the other formats' fixtures and the generic CSV
    assert not litellm.sniff_bytes((LOGS / "generic" / "auto.csv").read_bytes())
    assert not litellm.sniff_bytes((LOGS / "helicone" / "requests.csv").read_bytes())
    for path in LOGS.glob("*/*.jsonl"):
        if path.parent.name == "litellm":
            continue
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            assert not (isinstance(record, dict) and litellm.sniff(record)), (path, line[:80])


@pytest.mark.parametrize("path", [PAYLOAD, SPENDLOGS_CSV])
def test_chunk_size_never_changes_the_result(path: Path) -> None:
    small, small_stats = read_all(path, chunk_bytes=256)
    whole, whole_stats = read_all(path)
    pd.testing.assert_frame_equal(small, whole)
    assert small_stats.skipped == whole_stats.skipped


def test_message_content_as_blocks(tmp_path: Path) -> None:
    record = json.loads(PAYLOAD.read_text().splitlines()[1])
    blocks = [{"type": "text", "text": "Describe"}, {"type": "image_url", "image_url": {"url": "data:"}}]
    first = {**record, "messages": [{"role": "user", "content": blocks}]}
    second = {**record, "id": "c2b", "messages": [{"role": "user", "content": "Plain text"}]}
    path = write_lines(tmp_path / "blocks.jsonl", [json.dumps(first), json.dumps(second)])
    frame, _ = read_all(path)
    assert frame["prompt_text"].tolist() == ["user: Describe", "user: Plain text"]
