"""OpenAI Chat Completions and Responses objects, bare or wrapped.

Both shapes report *inclusive* counts, so no conversion of the totals is needed:

=================  =====================================  ====================================
canonical          Chat Completions                       Responses
=================  =====================================  ====================================
input_tokens       usage.prompt_tokens                    usage.input_tokens
cache_read_tokens  usage.prompt_tokens_details             usage.input_tokens_details
                   .cached_tokens                         .cached_tokens
cache_write        usage.prompt_tokens_details
                   .cache_write_tokens (some proxies)
output_tokens      usage.completion_tokens                usage.output_tokens
reasoning_tokens   usage.completion_tokens_details        usage.output_tokens_details
                   .reasoning_tokens                      .reasoning_tokens
timestamp          created (unix s)                       created_at (unix s)
web_search_calls   (none)                                 output items of type web_search_call
file_search_calls  (none)                                 output items of type file_search_call
code_interpreter   (none)                                 distinct container_id of the output's
_sessions                                                 code_interpreter_call items
=================  =====================================  ====================================

OpenAI bills code interpreter per container session, not per call; a container can outlive
one response (20 minutes idle), so counting a response's distinct containers is an upper
bound when consecutive responses share one.

The two never share a usage field name, so one schema reads both and each row is
converted by whichever fields it has. ``service_tier`` (flex, priority) selects the
pricing mode. When wrapped, the request supplies the prompt (``messages``, or
``instructions`` and ``input``), ``user`` and ``metadata``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest.formats._common import MESSAGES, NUM, STR, content_text, flatten_messages
from llmaudit.ingest.registry import Converted, LogFormat, register

_USAGE: Final = pa.struct(
    [
        ("prompt_tokens", NUM),
        ("completion_tokens", NUM),
        ("input_tokens", NUM),
        ("output_tokens", NUM),
        ("prompt_tokens_details", pa.struct([("cached_tokens", NUM), ("cache_write_tokens", NUM)])),
        ("completion_tokens_details", pa.struct([("reasoning_tokens", NUM)])),
        ("input_tokens_details", pa.struct([("cached_tokens", NUM)])),
        ("output_tokens_details", pa.struct([("reasoning_tokens", NUM)])),
    ]
)

SCHEMA: Final = pa.schema(
    [
        ("id", STR),
        ("object", STR),
        ("created", NUM),
        ("created_at", NUM),
        ("model", STR),
        ("status", STR),
        ("service_tier", STR),
        ("error", pa.struct([("type", STR), ("code", STR), ("message", STR)])),
        ("incomplete_details", pa.struct([("reason", STR)])),
        (
            "choices",
            pa.list_(pa.struct([("finish_reason", STR), ("message", pa.struct([("content", STR)]))])),
        ),
        (
            "output",
            pa.list_(
                pa.struct(
                    [
                        ("type", STR),
                        ("container_id", STR),
                        ("content", pa.list_(pa.struct([("type", STR), ("text", STR)]))),
                    ]
                )
            ),
        ),
        ("usage", _USAGE),
    ]
)

REQUEST: Final = pa.struct(
    [
        ("model", STR),
        ("messages", MESSAGES),
        ("instructions", STR),
        ("input", STR),
        ("user", STR),
        ("service_tier", STR),
        ("metadata", pa.struct([("feature", STR), ("user_id", STR), ("session_id", STR)])),
        ("max_tokens", NUM),
        ("max_completion_tokens", NUM),
        ("max_output_tokens", NUM),
        ("tools", pa.list_(pa.struct([("type", STR)]))),
        ("response_format", pa.struct([("type", STR)])),
        ("text", pa.struct([("format", pa.struct([("type", STR)]))])),
    ]
)
_STRUCTURED: Final = pa.array(["json_object", "json_schema"])

_OBJECTS: Final = frozenset({"chat.completion", "response", "text_completion"})
_MODES: Final = {"flex": "flex", "priority": "priority", "batch": "batch"}


def sniff(record: Mapping[str, Any]) -> bool:
    usage = record.get("usage")
    if record.get("object") in _OBJECTS:
        return True
    if isinstance(usage, dict) and ("prompt_tokens" in usage or "input_tokens_details" in usage):
        return "type" not in record  # Anthropic messages carry "type": "message"
    return "choices" in record


def normalize_response(record: dict[str, Any]) -> dict[str, Any]:
    choices = record.get("choices")
    if isinstance(choices, list):
        fixed = []
        for choice in choices:
            if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
                message = choice["message"]
                choice = {**choice, "message": {**message, "content": content_text(message.get("content"))}}
            fixed.append(choice)
        record = {**record, "choices": fixed}
    return record


def normalize_request(record: dict[str, Any]) -> dict[str, Any]:
    out = {**record, "messages": flatten_messages(record.get("messages"))}
    given = record.get("input")
    if isinstance(given, list):
        # Responses API input items: fold them into messages so one path reads both.
        items = [
            {"role": item.get("role", item.get("type", "user")), "content": content_text(item.get("content"))}
            for item in given
            if isinstance(item, dict)
        ]
        out["messages"] = (out.get("messages") or []) + items
        out["input"] = None
    return out


def _output_text(table: pa.Table) -> pa.Array:
    """Text of the choices (Chat Completions) or output message parts (Responses)."""
    n = table.num_rows
    choices = col.get(table, "choices")
    chat_text = pa.nulls(n, pa.string())
    if pa.types.is_list(choices.type):
        texts = pc.fill_null(col.strings(col.get(choices.values, "message.content")), "")
        chat_text = pc.binary_join(col.relist(choices, texts), "\n")
    output = col.get(table, "output")
    resp_text = pa.nulls(n, pa.string())
    if pa.types.is_list(output.type):
        parts = col.get(output.values, "content")
        texts = pc.fill_null(col.strings(col.get(parts.values, "text")), "")
        item_text = pc.fill_null(pc.binary_join(col.relist(parts, texts), "\n"), "")
        resp_text = pc.binary_join(col.relist(output, item_text), "\n")
    return col.coalesce(chat_text, resp_text)


def _tool_calls(table: pa.Table) -> dict[str, np.ndarray]:
    """Per row: the Responses output's web and file search calls and code interpreter containers."""
    n = table.num_rows
    output = col.get(table, "output")
    if not pa.types.is_list(output.type) or not len(output.values):
        return {}
    rows = np.asarray(pc.list_parent_indices(output))
    items = output.flatten()
    kinds = np.asarray(pc.fill_null(col.strings(col.get(items, "type")), ""), dtype=object)
    out = {
        column: np.bincount(rows[kinds == kind], minlength=n).astype(np.float64)
        for kind, column in (("web_search_call", "web_search_calls"), ("file_search_call", "file_search_calls"))
    }
    code = kinds == "code_interpreter_call"
    if code.any():
        containers = pd.DataFrame(
            {"row": rows[code], "id": np.asarray(col.strings(col.get(items, "container_id")), dtype=object)[code]}
        )
        sessions = containers.drop_duplicates()["row"].to_numpy()  # a call without an id counts as one session
        out["code_interpreter_sessions"] = np.bincount(sessions, minlength=n).astype(np.float64)
    return out


def convert(table: pa.Table, request: pa.Array | None) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    prompt = col.floats(col.coalesce(g("usage.prompt_tokens"), g("usage.input_tokens")))
    output = col.floats(col.coalesce(g("usage.completion_tokens"), g("usage.output_tokens")))
    conv = Converted(n)
    conv.has_usage = ~np.isnan(prompt) | ~np.isnan(output)
    c = conv.columns
    c["input_tokens"] = prompt
    c["output_tokens"] = output
    c["cache_read_tokens"] = col.floats(
        col.coalesce(g("usage.prompt_tokens_details.cached_tokens"), g("usage.input_tokens_details.cached_tokens"))
    )
    c["cache_write_tokens"] = col.floats(g("usage.prompt_tokens_details.cache_write_tokens"))
    c["reasoning_tokens"] = col.floats(
        col.coalesce(
            g("usage.completion_tokens_details.reasoning_tokens"),
            g("usage.output_tokens_details.reasoning_tokens"),
        )
    )
    c.update(_tool_calls(table))
    c["request_id"] = col.strings(g("id"))
    c["timestamp"] = col.timestamps(col.coalesce(g("created"), g("created_at")))
    c["provider"] = pa.repeat(pa.scalar("openai"), n)

    req = col.Fields(request, n)
    c["model"] = col.coalesce(col.strings(g("model")), col.strings(req("model")))
    tier = pc.utf8_lower(col.coalesce(col.strings(g("service_tier")), col.strings(req("service_tier"))))
    c["pricing_mode"] = pc.fill_null(
        pc.if_else(pc.is_in(tier, pa.array(list(_MODES))), tier, pa.scalar("standard")), "standard"
    )

    error = g("error")
    status = col.strings(g("status"))
    failed = np.asarray(error.is_valid()) | np.asarray(
        pc.fill_null(pc.is_in(status, pa.array(["failed", "cancelled"])), False)
    )
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    c["error_type"] = col.coalesce(
        col.strings(g("error.type")), col.strings(g("error.code")), col.strings(g("error.message"))
    )
    choices = g("choices")
    first_finish = col.strings(col.get(col.first_of_list(choices), "finish_reason"))
    c["finish_reason"] = col.coalesce(first_finish, col.strings(g("incomplete_details.reason")), status)
    conv.completion_text = _output_text(table)

    if request is not None:
        messages_text, turns = col.join_messages(req("messages"))
        c["prompt_text"] = col.join_text(
            col.prefix_text("system", req("instructions")),
            messages_text,
            col.prefix_text("user", req("input")),
        )
        # Messages, counting Responses-style instructions and a plain-string input as one each,
        # the way a system message and a user message count in Chat Completions.
        c["turns"] = turns + col.non_empty(req("instructions")) + col.non_empty(req("input"))
        c["user"] = col.coalesce(col.strings(req("user")), col.strings(req("metadata.user_id")))
        messages = req("messages")
        c["system_text"] = col.join_text(req("instructions"), col.role_texts(messages, ("system", "developer")))
        c["user_text"] = col.coalesce(col.last_role_text(messages, "user"), col.strings(req("input")))
        c["max_output_tokens"] = col.floats(
            col.coalesce(req("max_completion_tokens"), req("max_tokens"), req("max_output_tokens"))
        )
        kind = col.coalesce(col.strings(req("response_format.type")), col.strings(req("text.format.type")))
        c["structured_output"] = np.asarray(pc.fill_null(pc.is_in(kind, _STRUCTURED), False))
        c["tool_count"] = col.list_length(req("tools"))
        c["feature"] = col.strings(req("metadata.feature"))
        c["session"] = col.strings(req("metadata.session_id"))

    known = (
        np.asarray(pc.fill_null(pc.is_in(col.strings(g("object")), pa.array(sorted(_OBJECTS))), False))
        | conv.has_usage
        | np.asarray(error.is_valid())
        | np.asarray(choices.is_valid())
    )
    conv.mark_unrecognized(known, wrapped=request is not None)
    return conv


FORMAT = register(
    LogFormat(
        name="openai",
        title="OpenAI Chat Completions or Responses objects (bare, or in a request/response wrapper)",
        schema=SCHEMA,
        sniff=sniff,
        convert=convert,
        request_schema=REQUEST,
        normalize=normalize_response,
        request_normalize=normalize_request,
        aliases=("openai-chat", "openai-responses"),
    )
)
