"""The Chat Completions body replayed for a logged request, and its hash.

The canonical frame keeps the system prompt (``system_text``), the last user message
(``user_text``), the answer budget and whether the request asked for structured
output. The replay sends the system prompt and that user message; a multi-turn
conversation's earlier turns and the tool definitions are not in the canonical frame,
so those requests are replayed as their last turn (counted and said in the report).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Final

DEFAULT_MAX_TOKENS: Final = 1024
"""Answer budget when the log did not record one (bounds what a replay can cost)."""


def build_payload(row: dict[str, Any], model: str) -> dict[str, Any]:
    """The request body for ``model`` from one sampled row (a dict of ``SAMPLE_COLUMNS``)."""
    messages = []
    system = row.get("system_text")
    if isinstance(system, str) and system.strip():
        messages.append({"role": "system", "content": system})
    user = row.get("user_text")
    if not (isinstance(user, str) and user.strip()):
        user = row.get("prompt_text") or ""
    messages.append({"role": "user", "content": user})
    budget = row.get("max_output_tokens")
    max_tokens = int(budget) if isinstance(budget, (int, float)) and math.isfinite(budget) and budget > 0 else None
    body: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": max_tokens or DEFAULT_MAX_TOKENS,
        "temperature": 0,
    }
    if bool(row.get("structured_output")):
        body["response_format"] = {"type": "json_object"}
    return body


def payload_hash(body: dict[str, Any], base_url: str) -> str:
    """SHA-256 of the exact body and the endpoint it goes to (never the key)."""
    text = json.dumps({"url": base_url, "body": body}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def is_partial(row: dict[str, Any]) -> bool:
    """True when the replay cannot carry the whole logged request (earlier turns or tools)."""
    turns = row.get("turns") or 0
    tools = row.get("tool_count") or 0
    return bool(turns > 2 or tools > 0)
