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

Responses the google-genai Python SDK serialized (``model_dump()``) spell every key in
snake_case (``usage_metadata.prompt_token_count``, ``model_version``, ``response_id``,
``create_time``, ``candidates[].finish_reason``, ``prompt_feedback.block_reason``); both
spellings are read, whichever a record carries. A finish reason written as Vertex AI's
protobuf enum number (1) becomes its name (STOP); an unknown number is kept as written.

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

# The usage counters, REST camelCase and the google-genai SDK's snake_case (``model_dump()``).
_COUNTS: Final = (
    ("promptTokenCount", "prompt_token_count"),
    ("cachedContentTokenCount", "cached_content_token_count"),
    ("toolUsePromptTokenCount", "tool_use_prompt_token_count"),
    ("candidatesTokenCount", "candidates_token_count"),
    ("thoughtsTokenCount", "thoughts_token_count"),
)
SCHEMA: Final = pa.schema(
    [
        ("responseId", STR),
        ("response_id", STR),
        ("modelVersion", STR),
        ("model_version", STR),
        ("createTime", STR),
        ("create_time", STR),
        (
            "candidates",
            pa.list_(
                pa.struct(
                    [
                        ("finishReason", STR),
                        ("finish_reason", STR),
                        ("content", _CONTENT),
                        ("groundingMetadata", pa.struct([("webSearchQueries", pa.list_(STR))])),
                        ("grounding_metadata", pa.struct([("web_search_queries", pa.list_(STR))])),
                    ]
                )
            ),
        ),
        ("promptFeedback", pa.struct([("blockReason", STR)])),
        ("prompt_feedback", pa.struct([("block_reason", STR)])),
        ("usageMetadata", pa.struct([(camel, NUM) for camel, _ in _COUNTS])),
        ("usage_metadata", pa.struct([(snake, NUM) for _, snake in _COUNTS])),
        ("error", pa.struct([("code", NUM), ("message", STR), ("status", STR)])),
    ]
)

# Vertex AI's ``Candidate.FinishReason`` by number (google.cloud.aiplatform.v1), for
# responses serialized from protobuf with integer enums; names pass through unchanged.
FINISH_REASONS: Final = (
    "FINISH_REASON_UNSPECIFIED",
    "STOP",
    "MAX_TOKENS",
    "SAFETY",
    "RECITATION",
    "OTHER",
    "BLOCKLIST",
    "PROHIBITED_CONTENT",
    "SPII",
    "MALFORMED_FUNCTION_CALL",
    "MODEL_ARMOR",
    "IMAGE_SAFETY",
    "IMAGE_PROHIBITED_CONTENT",
    "IMAGE_RECITATION",
    "IMAGE_OTHER",
    "UNEXPECTED_TOOL_CALL",
    "NO_IMAGE",
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
    return (
        "usageMetadata" in record
        or "usage_metadata" in record
        or ("candidates" in record and ("modelVersion" in record or "model_version" in record))
    )


def finish_reasons(values: pa.Array) -> pa.Array:
    """Finish reasons as names: an integer enum (Vertex AI protobuf JSON) becomes its name."""
    text = col.strings(values)
    names = pa.array(FINISH_REASONS)
    index = pc.index_in(text, pa.array([str(i) for i in range(len(FINISH_REASONS))]))
    return pc.if_else(pc.is_valid(index), pc.take(names, index), text)


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
    counts = {camel: g(f"usageMetadata.{camel}") for camel, _ in _COUNTS}
    # A record is camelCase or snake_case throughout; per row, whichever carries a value.
    usage = lambda camel: col.floats(  # noqa: E731
        col.coalesce(counts[camel], g(f"usage_metadata.{dict(_COUNTS)[camel]}"))
    )
    thoughts = usage("thoughtsTokenCount")
    c["input_tokens"] = _total(usage("promptTokenCount"), usage("toolUsePromptTokenCount"))
    c["cache_read_tokens"] = usage("cachedContentTokenCount")
    c["output_tokens"] = _total(usage("candidatesTokenCount"), thoughts)
    c["reasoning_tokens"] = thoughts
    conv.has_usage = ~np.isnan(c["input_tokens"]) | ~np.isnan(c["output_tokens"])
    c["request_id"] = col.coalesce(col.strings(g("responseId")), col.strings(g("response_id")))
    c["timestamp"] = col.timestamps(col.coalesce(col.strings(g("createTime")), col.strings(g("create_time"))))
    c["provider"] = pa.repeat(pa.scalar("google"), n)
    version = col.coalesce(col.strings(g("modelVersion")), col.strings(g("model_version")))
    c["model"] = col.coalesce(version, col.strings(req("model")))
    c["pricing_mode"] = pa.repeat(pa.scalar("standard"), n)

    block_reason = col.coalesce(
        col.strings(g("promptFeedback.blockReason")), col.strings(g("prompt_feedback.block_reason"))
    )
    blocked = col.non_empty(block_reason)
    error = g("error")
    failed = blocked | np.asarray(error.is_valid())
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    c["error_type"] = col.coalesce(
        pc.if_else(pa.array(blocked), block_reason, pa.scalar(None, pa.string())),
        col.strings(g("error.status")),
        col.strings(g("error.message")),
    )
    candidates = g("candidates")
    first = col.first_of_list(candidates)
    reason = col.coalesce(col.strings(col.get(first, "finishReason")), col.strings(col.get(first, "finish_reason")))
    c["finish_reason"] = finish_reasons(reason)
    conv.completion_text = _parts_text(col.get(first, "content"))
    queries = np.maximum(
        col.list_length(col.get(first, "groundingMetadata.webSearchQueries")),
        col.list_length(col.get(first, "grounding_metadata.web_search_queries")),
    ).astype(np.float64)
    c["grounding_queries"] = queries
    c["grounded_prompts"] = (queries > 0).astype(np.float64)

    if request is not None:
        c.update(_prompt(req, n))

    known = conv.has_usage | failed | np.asarray(candidates.is_valid()) | col.non_empty(version)
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
