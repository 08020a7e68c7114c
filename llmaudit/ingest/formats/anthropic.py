"""Anthropic Messages API response objects (``"type": "message"``), bare or wrapped.

Anthropic reports ``usage.input_tokens`` *exclusive* of the prompt cache; it is
converted here to the inclusive convention:

=====================  =====================================================================
canonical              Anthropic Messages
=====================  =====================================================================
input_tokens           usage.input_tokens + cache_read_input_tokens + (cache writes, below)
cache_read_tokens      usage.cache_read_input_tokens
cache_write_tokens     usage.cache_creation_input_tokens; when the TTL split
                       cache_creation.ephemeral_5m/1h_input_tokens sums to more, that sum
cache_write_1h_tokens  usage.cache_creation.ephemeral_1h_input_tokens
output_tokens          usage.output_tokens (already includes extended thinking)
reasoning_tokens       usage.output_tokens_details.thinking_tokens (newer API versions;
                       ``reasoning_tokens`` accepted too), else absent: thinking is then
                       priced as plain output, which is how it is billed
pricing_mode           usage.service_tier: batch, priority, else standard
web_search_calls       usage.server_tool_use.web_search_requests (billed per search)
web_fetch_calls        usage.server_tool_use.web_fetch_requests
request_id             id (error objects: request_id)
finish_reason          stop_reason
timestamp              none in the body; the wrapper's timestamp is used
=====================  =====================================================================

An error object ``{"type": "error", "error": {"type": ..., "message": ...}}`` becomes a
failed request (status "error", error_type = error.type) with no usage. A bare error
object names no model, so it is skipped as ``missing_model`` unless a wrapper's request
supplies one. When wrapped, the request supplies the prompt (``system``, as text or a
list of text blocks, and ``messages``), ``metadata.user_id`` and ``service_tier``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest.formats._common import MESSAGES, NUM, STR, content_text, flatten_messages
from llmaudit.ingest.registry import Converted, LogFormat, register

_CACHE_CREATION: Final = pa.struct([("ephemeral_5m_input_tokens", NUM), ("ephemeral_1h_input_tokens", NUM)])
_USAGE: Final = pa.struct(
    [
        ("input_tokens", NUM),
        ("output_tokens", NUM),
        ("cache_read_input_tokens", NUM),
        ("cache_creation_input_tokens", NUM),
        ("cache_creation", _CACHE_CREATION),
        ("output_tokens_details", pa.struct([("thinking_tokens", NUM), ("reasoning_tokens", NUM)])),
        ("service_tier", STR),
        ("server_tool_use", pa.struct([("web_search_requests", NUM), ("web_fetch_requests", NUM)])),
    ]
)

SCHEMA: Final = pa.schema(
    [
        ("id", STR),
        ("type", STR),
        ("model", STR),
        ("stop_reason", STR),
        ("request_id", STR),
        ("content", pa.list_(pa.struct([("type", STR), ("text", STR)]))),
        ("error", pa.struct([("type", STR), ("message", STR)])),
        ("usage", _USAGE),
    ]
)

REQUEST: Final = pa.struct(
    [
        ("model", STR),
        ("system", STR),
        ("messages", MESSAGES),
        ("metadata", pa.struct([("user_id", STR)])),
        ("service_tier", STR),
        ("max_tokens", NUM),
        ("tools", pa.list_(pa.struct([("name", STR)]))),
    ]
)

_TYPES: Final = ("message", "error")
_MODES: Final = ("batch", "priority")
_CACHE_KEYS: Final = ("cache_creation_input_tokens", "cache_read_input_tokens")


def sniff(record: Mapping[str, Any]) -> bool:
    kind = record.get("type")
    if kind == "message" or (kind == "error" and isinstance(record.get("error"), dict)):
        return True
    usage = record.get("usage")
    return isinstance(usage, dict) and any(k in usage for k in _CACHE_KEYS) and "prompt_tokens" not in usage


def normalize_request(record: dict[str, Any]) -> dict[str, Any]:
    """System blocks and multimodal message content flattened to text (per-line parser)."""
    system = content_text(record.get("system"))
    return {**record, "system": system, "messages": flatten_messages(record.get("messages"))}


def _nan0(values: np.ndarray) -> np.ndarray:
    return np.nan_to_num(values, nan=0.0)


def _tokens(g: Any) -> dict[str, np.ndarray]:
    """Canonical token columns (inclusive) from the usage fields; NaN where absent."""
    uncached = col.floats(g("usage.input_tokens"))
    read = col.floats(g("usage.cache_read_input_tokens"))
    write = col.floats(g("usage.cache_creation_input_tokens"))
    write_5m = col.floats(g("usage.cache_creation.ephemeral_5m_input_tokens"))
    write_1h = col.floats(g("usage.cache_creation.ephemeral_1h_input_tokens"))
    # The TTL split is authoritative when it accounts for more than the total does.
    split = ~np.isnan(write_5m) | ~np.isnan(write_1h)
    split_sum = _nan0(write_5m) + _nan0(write_1h)
    write = np.where(split & (np.isnan(write) | (split_sum > _nan0(write))), split_sum, write)
    prompt_parts = np.vstack([uncached, read, write])
    prompt = np.where(np.isnan(prompt_parts).all(axis=0), np.nan, _nan0(prompt_parts).sum(axis=0))
    thinking = col.coalesce(
        g("usage.output_tokens_details.thinking_tokens"), g("usage.output_tokens_details.reasoning_tokens")
    )
    return {
        "input_tokens": prompt,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "cache_write_1h_tokens": np.where(split, _nan0(write_1h), np.nan),
        "output_tokens": col.floats(g("usage.output_tokens")),
        "reasoning_tokens": col.floats(thinking),
        "web_search_calls": col.floats(g("usage.server_tool_use.web_search_requests")),
        "web_fetch_calls": col.floats(g("usage.server_tool_use.web_fetch_requests")),
    }


def convert(table: pa.Table, request: pa.Array | None) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    req = col.Fields(request, n)
    conv = Converted(n)
    c = conv.columns
    c.update(_tokens(g))
    conv.has_usage = ~np.isnan(c["input_tokens"]) | ~np.isnan(c["output_tokens"])
    c["request_id"] = col.coalesce(col.strings(g("id")), col.strings(g("request_id")))
    c["provider"] = pa.repeat(pa.scalar("anthropic"), n)
    c["model"] = col.coalesce(col.strings(g("model")), col.strings(req("model")))
    tier = pc.utf8_lower(col.coalesce(col.strings(g("usage.service_tier")), col.strings(req("service_tier"))))
    c["pricing_mode"] = pc.fill_null(
        pc.if_else(pc.is_in(tier, pa.array(_MODES)), tier, pa.scalar("standard")), "standard"
    )

    kind = col.strings(g("type"))
    error = g("error")
    failed = np.asarray(error.is_valid()) | np.asarray(pc.fill_null(pc.equal(kind, "error"), False))
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    c["error_type"] = col.coalesce(col.strings(g("error.type")), col.strings(g("error.message")))
    c["finish_reason"] = col.strings(g("stop_reason"))
    content = g("content")
    if pa.types.is_list(content.type):
        conv.completion_text = col.join_items(content, col.get(content.values, "text"))

    if request is not None:
        messages_text, turns = col.join_messages(req("messages"))
        c["prompt_text"] = col.join_text(col.prefix_text("system", req("system")), messages_text)
        c["turns"] = turns
        c["user"] = col.strings(req("metadata.user_id"))
        c["system_text"] = col.strings(req("system"))
        c["user_text"] = col.last_role_text(req("messages"), "user")
        c["max_output_tokens"] = col.floats(req("max_tokens"))
        c["tool_count"] = col.list_length(req("tools"))

    known = np.asarray(pc.fill_null(pc.is_in(kind, pa.array(_TYPES)), False)) | conv.has_usage | failed
    conv.mark_unrecognized(known, wrapped=request is not None)
    return conv


def convert_message(message: pa.Array) -> Converted:
    """Convert Messages responses held in a struct column of another record (a Claude Code
    line's ``message``, a batch result's ``result.message``); an absent column is all-null."""
    n = len(message)
    body = pa.Table.from_struct_array(message) if pa.types.is_struct(message.type) else pa.table({"id": pa.nulls(n)})
    return convert(body, None)


FORMAT = register(
    LogFormat(
        name="anthropic",
        title="Anthropic Messages API responses (bare, or in a request/response wrapper)",
        schema=SCHEMA,
        sniff=sniff,
        convert=convert,
        request_schema=REQUEST,
        request_normalize=normalize_request,
        aliases=("anthropic-messages",),
    )
)
