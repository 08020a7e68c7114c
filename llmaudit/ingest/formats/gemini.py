"""Gemini ``GenerateContentResponse`` objects (REST/JSON camelCase), bare or wrapped.

Gemini leaves thinking tokens *out* of ``candidatesTokenCount`` and counts tool-use
prompt tokens apart from ``promptTokenCount``; both are converted here to the
inclusive convention:

=================  ==========================================================
canonical          Gemini usageMetadata / response
=================  ==========================================================
input_tokens       promptTokenCount (includes cachedContentTokenCount)
                   + toolUsePromptTokenCount
cache_read_tokens  cachedContentTokenCount
cache_write        none (context caches are created and billed separately)
output_tokens      candidatesTokenCount + thoughtsTokenCount
reasoning_tokens   thoughtsTokenCount
model              modelVersion (wrapped: else the request's ``model``)
timestamp          createTime (ISO 8601, Vertex AI)
request_id         responseId
finish_reason      candidates[0].finishReason
grounded_prompts   1 when candidates[0].groundingMetadata.webSearchQueries is not
                   empty (Grounding with Google Search ran; Gemini 2.x bills per prompt)
grounding_queries  the number of those queries (Gemini 3 bills per search query)
status             "error" when promptFeedback.blockReason is set (error_type =
                   that reason) or for a Google API error object
                   ``{"error": {"code", "message", "status"}}`` (error_type = status)
=================  ==========================================================

When wrapped, the request supplies the prompt: ``systemInstruction`` (or
``system_instruction``) and ``contents[]``, each ``{role, parts: [{text}, ...]}``; parts
without text (inline images, files, function calls) are left out. The request's
``labels`` (a free-form map on Vertex AI) is not read: its keys differ per team, so it
cannot map onto user or feature without a mapping file.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest.formats._common import NUM, STR
from llmaudit.ingest.registry import Converted, LogFormat, register

_PARTS: Final = pa.list_(pa.struct([("text", STR)]))
_CONTENT: Final = pa.struct([("role", STR), ("parts", _PARTS)])

SCHEMA: Final = pa.schema(
    [
        ("responseId", STR),
        ("modelVersion", STR),
        ("createTime", STR),
        (
            "candidates",
            pa.list_(
                pa.struct(
                    [
                        ("finishReason", STR),
                        ("content", _CONTENT),
                        ("groundingMetadata", pa.struct([("webSearchQueries", pa.list_(STR))])),
                    ]
                )
            ),
        ),
        ("promptFeedback", pa.struct([("blockReason", STR)])),
        (
            "usageMetadata",
            pa.struct(
                [
                    ("promptTokenCount", NUM),
                    ("cachedContentTokenCount", NUM),
                    ("toolUsePromptTokenCount", NUM),
                    ("candidatesTokenCount", NUM),
                    ("thoughtsTokenCount", NUM),
                ]
            ),
        ),
        ("error", pa.struct([("code", NUM), ("message", STR), ("status", STR)])),
    ]
)

REQUEST: Final = pa.struct(
    [
        ("model", STR),
        ("contents", pa.list_(_CONTENT)),
        ("systemInstruction", _CONTENT),
        ("system_instruction", _CONTENT),
        ("generationConfig", pa.struct([("maxOutputTokens", NUM), ("responseMimeType", STR)])),
        ("tools", pa.list_(pa.struct([("functionDeclarations", pa.list_(pa.struct([("name", STR)])))]))),
    ]
)


def sniff(record: Mapping[str, Any]) -> bool:
    return "usageMetadata" in record or ("candidates" in record and "modelVersion" in record)


def _content(value: Any) -> Any:
    """One Content object: a bare string becomes a user text part, string parts text parts."""
    if isinstance(value, str):
        return {"role": "user", "parts": [{"text": value}]}
    if isinstance(value, dict):
        parts = value.get("parts")
        if isinstance(parts, (str, dict)):
            parts = [parts]
        if isinstance(parts, list):
            parts = [{"text": p} if isinstance(p, str) else p for p in parts]
        return {**value, "parts": parts}
    return value


def normalize_request(record: dict[str, Any]) -> dict[str, Any]:
    """SDK shorthands (contents as a string or one object, parts as strings) made REST-shaped."""
    contents = record.get("contents")
    if isinstance(contents, (str, dict)):
        contents = [contents]
    out = {**record}
    if isinstance(contents, list):
        out["contents"] = [_content(item) for item in contents]
    for key in ("systemInstruction", "system_instruction"):
        if key in record:
            out[key] = _content(record[key])
    return out


def _parts_text(content: pa.Array) -> pa.Array:
    """Text of each Content (struct with ``parts``): its text parts joined by newlines."""
    parts = col.get(content, "parts")
    if not pa.types.is_list(parts.type):
        return pa.nulls(len(content), pa.string())
    return col.join_items(parts, col.get(parts.values, "text"))


def _prompt(req: Any, n: int) -> dict[str, Any]:
    """Prompt transcript ("role: text" per content, system first), contents, system text and
    the last user content."""
    contents = req("contents")
    messages = pa.nulls(n, pa.list_(pa.struct([("role", STR), ("content", STR)])))
    if pa.types.is_list(contents.type):
        items = contents.values
        roles = pc.fill_null(col.strings(col.get(items, "role")), "user")  # Gemini's default role
        texts = pa.StructArray.from_arrays([roles, _parts_text(items)], names=["role", "content"])
        messages = col.relist(contents, texts)
    messages_text, turns = col.join_messages(messages)
    system = _parts_text(col.coalesce(req("systemInstruction"), req("system_instruction")))
    return {
        "prompt_text": col.join_text(col.prefix_text("system", system), messages_text),
        "turns": turns,
        "system_text": system,
        "user_text": col.last_role_text(messages, "user"),
        "max_output_tokens": col.floats(req("generationConfig.maxOutputTokens")),
        "structured_output": np.asarray(
            pc.fill_null(pc.equal(col.strings(req("generationConfig.responseMimeType")), "application/json"), False)
        ),
        "tool_count": _tool_count(req("tools")),
    }


def _tool_count(tools: pa.Array) -> np.ndarray:
    """Function declarations offered across a request's tools."""
    if not pa.types.is_list(tools.type):
        return np.zeros(len(tools), dtype=np.int64)
    per_tool = col.list_length(col.get(tools.values, "functionDeclarations"))
    offsets = np.asarray(tools.offsets, dtype=np.int64)
    owner = np.repeat(np.arange(len(tools)), np.diff(offsets))
    start, end = int(offsets[0]), int(offsets[-1])
    return np.bincount(owner, weights=per_tool[start:end], minlength=len(tools)).astype(np.int64)


def _nan0(values: np.ndarray) -> np.ndarray:
    return np.nan_to_num(values, nan=0.0)


def _total(*parts: np.ndarray) -> np.ndarray:
    """Row-wise sum treating NaN as 0, NaN only where every part is NaN."""
    stacked = np.vstack(parts)
    return np.where(np.isnan(stacked).all(axis=0), np.nan, _nan0(stacked).sum(axis=0))


def convert(table: pa.Table, request: pa.Array | None) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    req = col.Fields(request, n)
    conv = Converted(n)
    c = conv.columns
    usage = lambda name: col.floats(g(f"usageMetadata.{name}"))  # noqa: E731
    thoughts = usage("thoughtsTokenCount")
    c["input_tokens"] = _total(usage("promptTokenCount"), usage("toolUsePromptTokenCount"))
    c["cache_read_tokens"] = usage("cachedContentTokenCount")
    c["output_tokens"] = _total(usage("candidatesTokenCount"), thoughts)
    c["reasoning_tokens"] = thoughts
    conv.has_usage = ~np.isnan(c["input_tokens"]) | ~np.isnan(c["output_tokens"])
    c["request_id"] = col.strings(g("responseId"))
    c["timestamp"] = col.timestamps(g("createTime"))
    c["provider"] = pa.repeat(pa.scalar("google"), n)
    c["model"] = col.coalesce(col.strings(g("modelVersion")), col.strings(req("model")))
    c["pricing_mode"] = pa.repeat(pa.scalar("standard"), n)

    blocked = col.non_empty(g("promptFeedback.blockReason"))
    error = g("error")
    failed = blocked | np.asarray(error.is_valid())
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    block_reason = col.strings(g("promptFeedback.blockReason"))
    c["error_type"] = col.coalesce(
        pc.if_else(pa.array(blocked), block_reason, pa.scalar(None, pa.string())),
        col.strings(g("error.status")),
        col.strings(g("error.message")),
    )
    candidates = g("candidates")
    first = col.first_of_list(candidates)
    c["finish_reason"] = col.strings(col.get(first, "finishReason"))
    conv.completion_text = _parts_text(col.get(first, "content"))
    queries = col.list_length(col.get(first, "groundingMetadata.webSearchQueries")).astype(np.float64)
    c["grounding_queries"] = queries
    c["grounded_prompts"] = (queries > 0).astype(np.float64)

    if request is not None:
        c.update(_prompt(req, n))

    known = conv.has_usage | failed | np.asarray(candidates.is_valid()) | col.non_empty(g("modelVersion"))
    conv.mark_unrecognized(known, wrapped=request is not None)
    return conv


FORMAT = register(
    LogFormat(
        name="gemini",
        title="Gemini GenerateContentResponse objects with usageMetadata (bare, or wrapped)",
        schema=SCHEMA,
        sniff=sniff,
        convert=convert,
        request_schema=REQUEST,
        request_normalize=normalize_request,
        aliases=("google", "vertex"),
    )
)
