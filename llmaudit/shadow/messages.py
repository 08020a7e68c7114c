"""The logged request as it was sent: messages, tools, tool choice and response format.

The canonical frame keeps only the system prompt and the last user message. For the few
requests a shadow run samples, the logged record is read again (by ``source_file`` and
``source_line``, JSON Lines only) and its Chat Completions fields are taken from the
request body, wherever the wrapper puts it (``request``, ``body``, ``request_body``, or
the record itself). An Anthropic body is converted: its system prompt becomes a system
message, text blocks become text, and its tools become function tools. A body that
cannot be converted faithfully (tool calls and results, images in Anthropic's form), or
whose text does not contain the canonical last user message, is left out: the request
is then replayed as its last turn, and the run says how many were.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

import pandas as pd

from llmaudit.errors import InputError
from llmaudit.ingest.sources import InputSource, open_source

_BODY_KEYS: Final = ("request", "body", "request_body")
_ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool"})


def _anthropic_text(content: Any) -> str | None:
    """Text of an Anthropic content (a string, or text blocks only); None for anything else."""
    if isinstance(content, str):
        return content
    if isinstance(content, list) and all(isinstance(b, dict) and b.get("type") == "text" for b in content):
        return "\n".join(str(b.get("text") or "") for b in content)
    return None


def _from_anthropic(body: dict[str, Any]) -> dict[str, Any] | None:
    messages: list[dict[str, Any]] = []
    if body.get("system") is not None:
        system = _anthropic_text(body["system"])
        if system is None:
            return None
        messages.append({"role": "system", "content": system})
    for m in body["messages"]:
        text = _anthropic_text(m.get("content")) if isinstance(m, dict) else None
        if text is None or m.get("role") not in ("user", "assistant"):
            return None
        messages.append({"role": m["role"], "content": text})
    out: dict[str, Any] = {"messages": messages}
    tools = body.get("tools")
    if isinstance(tools, list) and tools:
        if not all(isinstance(t, dict) and "name" in t and "input_schema" in t for t in tools):
            return None  # server tools (web search, code execution) have no Chat Completions form
        out["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t["name"],
                    "description": t.get("description", ""),
                    "parameters": t["input_schema"],
                },
            }
            for t in tools
        ]
    return out


def _from_openai(body: dict[str, Any]) -> dict[str, Any] | None:
    messages = body["messages"]
    if not all(isinstance(m, dict) and m.get("role") in _ROLES for m in messages):
        return None
    out: dict[str, Any] = {"messages": messages}
    for key in ("tools", "tool_choice", "response_format", "parallel_tool_calls"):
        if body.get(key) is not None:
            out[key] = body[key]
    return out


def _is_anthropic(body: dict[str, Any]) -> bool:
    """A Messages API body: a top-level system prompt, Anthropic tool blocks, or Anthropic tools."""
    if body.get("system") is not None:
        return True
    blocks = [
        b for m in body["messages"] if isinstance(m, dict) and isinstance(m.get("content"), list) for b in m["content"]
    ]
    if any(isinstance(b, dict) and b.get("type") in ("tool_use", "tool_result") for b in blocks):
        return True
    tools = body.get("tools")
    return isinstance(tools, list) and any(isinstance(t, dict) and "input_schema" in t for t in tools)


def chat_fields(record: Any) -> dict[str, Any] | None:
    """The replayable Chat Completions fields of one logged record, or None."""
    if not isinstance(record, dict):
        return None
    for body in [*(record.get(k) for k in _BODY_KEYS), record]:
        if isinstance(body, dict) and isinstance(body.get("messages"), list) and body["messages"]:
            anthropic = _is_anthropic(body)
            return _from_anthropic(body) if anthropic else _from_openai(body)
    return None


def _text_of(messages: list[dict[str, Any]]) -> str:
    parts = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [str(p.get("text") or "") for p in content if isinstance(p, dict)]
    return "\n".join(parts)


def logged_requests(sample: pd.DataFrame, sources: Sequence[InputSource]) -> dict[str, dict[str, Any]]:
    """Request id -> the logged Chat Completions fields, for the sampled requests found again."""
    by_display = {s.display: s for s in sources if s.path is not None}
    wanted: dict[str, dict[int, tuple[str, str]]] = {}
    cols = ("source_file", "source_line", "request_id", "user_text")
    if not all(c in sample.columns for c in cols):
        return {}
    for display, line, rid, user in zip(*(sample[c] for c in cols), strict=True):  # the sample: a few hundred rows
        if display in by_display and str(display).endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
            wanted.setdefault(display, {})[int(line)] = (str(rid), user if isinstance(user, str) else "")
    out: dict[str, dict[str, Any]] = {}
    for display, lines in wanted.items():
        try:
            opened = open_source(by_display[display])
        except InputError:
            continue
        try:
            last = max(lines)
            for number, raw in enumerate(opened.stream, start=1):
                if number in lines:
                    rid, user = lines[number]
                    try:
                        fields = chat_fields(json.loads(raw))
                    except ValueError:
                        fields = None
                    if fields is not None and user.strip()[:200] in _text_of(fields["messages"]):
                        out[rid] = fields
                if number >= last:
                    break
        finally:
            opened.close()
    return out
