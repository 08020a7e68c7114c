"""The Chat Completions body replayed for a logged request, and its hash.

The logged messages, tools, tool choice and response format are sent as logged when
``messages.logged_requests`` found the request's body again. Otherwise the body is built
from the canonical frame: the system prompt (``system_text``), the last user message
(``user_text``), and JSON mode when the request asked for structured output; a
multi-turn conversation's earlier turns and tool definitions are then missing, so the
request is replayed as its last turn (counted and said in the report). The answer
budget is the logged ``max_tokens`` (else ``DEFAULT_MAX_TOKENS``), at temperature 0.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Final

DEFAULT_MAX_TOKENS: Final = 1024
"""Answer budget when the log did not record one (bounds what a replay can cost)."""


def build_payload(row: dict[str, Any], model: str, logged: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request body for ``model`` from one sampled row (a dict of ``SAMPLE_COLUMNS``), with
    the logged messages, tools, tool choice and response format when ``logged`` has them."""
    if logged is not None:
        return _budgeted(row, {"model": model, **logged})
    messages = []
    system = row.get("system_text")
    if isinstance(system, str) and system.strip():
        messages.append({"role": "system", "content": system})
    user = row.get("user_text")
    if not (isinstance(user, str) and user.strip()):
        user = row.get("prompt_text") or ""
    messages.append({"role": "user", "content": user})
    body: dict[str, Any] = {"model": model, "messages": messages}
    if bool(row.get("structured_output")):
        body["response_format"] = {"type": "json_object"}
    return _budgeted(row, body)


def _budgeted(row: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    budget = row.get("max_output_tokens")
    max_tokens = int(budget) if isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0 else None
    return {**body, "max_tokens": max_tokens or DEFAULT_MAX_TOKENS, "temperature": 0}


def payload_hash(body: dict[str, Any], base_url: str) -> str:
    """SHA-256 of the exact body and the endpoint it goes to (never the key)."""
    text = json.dumps({"url": base_url, "body": body}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def is_partial(row: dict[str, Any], logged: bool = False) -> bool:
    """True when the replay cannot carry the whole logged request (earlier turns or tools)."""
    if logged:
        return False
    turns = row.get("turns") or 0
    tools = row.get("tool_count") or 0
    return bool(turns > 2 or tools > 0)
