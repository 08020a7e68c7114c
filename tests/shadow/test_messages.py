"""The logged request read back for the replay: OpenAI bodies as logged, Anthropic bodies converted.

Shapes: the OpenAI wrapper of sample_logs/app (``request`` holding a Chat Completions body,
as openai-python sends it), the OpenAI batch input line (``body``), and the Anthropic
Messages body of sample_logs/support-bot (system as text blocks, tools with ``input_schema``,
as the anthropic-sdk-python sends them).
"""

from __future__ import annotations

import json

from llmaudit.cli import main
from llmaudit.shadow.messages import chat_fields
from tests.shadow.conftest import KEY
from tests.shadow.server import FakeOpenAI, Script

TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
CONVERSATION = [
    {"role": "system", "content": "You are a support agent."},
    {"role": "user", "content": "Where is my order?"},
    {"role": "assistant", "content": "Which order number?"},
    {"role": "user", "content": "Order 42, please check."},
]


def test_openai_bodies_are_kept_as_logged():
    body = {"model": "gpt-4o", "messages": CONVERSATION, "tools": [TOOL], "tool_choice": "auto", "max_tokens": 9}
    assert chat_fields({"request": body}) == {"messages": CONVERSATION, "tools": [TOOL], "tool_choice": "auto"}
    assert chat_fields({"custom_id": "x", "body": {**body, "response_format": {"type": "json_object"}}}) == {
        "messages": CONVERSATION,
        "tools": [TOOL],
        "tool_choice": "auto",
        "response_format": {"type": "json_object"},
    }
    assert chat_fields({"request": {"messages": [{"role": "narrator", "content": "x"}]}}) is None


def test_anthropic_bodies_are_converted_or_left_out():
    body = {
        "model": "claude-sonnet-4-6",
        "system": [{"type": "text", "text": "Be brief."}],
        "messages": [{"role": "user", "content": [{"type": "text", "text": "Hi"}]}],
        "tools": [{"name": "handoff", "description": "To a person", "input_schema": {"type": "object"}}],
    }
    assert chat_fields({"request": body}) == {
        "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        "tools": [
            {
                "type": "function",
                "function": {"name": "handoff", "description": "To a person", "parameters": {"type": "object"}},
            }
        ],
    }
    used_tool = {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "handoff", "input": {}}]}
    assert chat_fields({"request": {**body, "messages": [*body["messages"], used_tool]}}) is None


def test_the_replay_sends_the_logged_conversation_and_tools(tmp_path, capsys, monkeypatch):
    record = {
        "timestamp": "2026-03-01T00:00:00Z",
        "request": {"model": "gpt-4o", "messages": CONVERSATION, "tools": [TOOL], "max_tokens": 64},
        "response": {
            "id": "chatcmpl-multi",
            "object": "chat.completion",
            "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "It ships today."}}],
            "usage": {"prompt_tokens": 80, "completion_tokens": 5, "total_tokens": 85},
        },
    }
    logs = tmp_path / "multi.jsonl"
    logs.write_text(json.dumps(record) + "\n")
    monkeypatch.setenv("SHADOW_TEST_KEY", KEY)
    with FakeOpenAI({"gpt-4.1-mini": Script(lambda b: "It ships today.")}, key=KEY) as server:
        args = ["shadow", str(logs), "-c", "gpt-4.1-mini", "--base-url", server.url, "--api-key-env", "SHADOW_TEST_KEY"]
        args += ["--cache", str(tmp_path / "c.sqlite"), "-o", str(tmp_path / "e.yaml"), "-q", "--yes"]
        assert main(args) == 0
        (sent,) = server.rec.payloads
    assert sent == {
        "model": "gpt-4.1-mini",
        "messages": CONVERSATION,
        "tools": [TOOL],
        "max_tokens": 64,
        "temperature": 0,
    }
    assert "replayed as their last turn" not in capsys.readouterr().out
