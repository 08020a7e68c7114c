"""Langfuse observation exports (JSON Lines, or a JSON array), one observation per record.

Only ``GENERATION`` observations are LLM calls; spans, events and the agent/tool step
types are skipped as ``not_a_generation`` (harmless: a trace export holds them all).

Langfuse stores usage as ``usageDetails``: free-form usage types whose buckets are
*exclusive* (Langfuse prices each key and sums them for the total). When an SDK sends
OpenAI-shaped usage, Langfuse subtracts each ``prompt_tokens_details`` entry from ``input``
and stores it as ``input_<key>`` (likewise ``output_<key>``): see ``OpenAICompletionUsage
Schema`` in ``packages/shared/src/server/ingestion/types.ts`` of langfuse/langfuse. The
buckets are added back here to the inclusive convention:

=====================  =====================================================================
canonical              Langfuse observation
=====================  =====================================================================
input_tokens           usageDetails.input (or input_tokens) + cache reads + cache writes +
                       other input buckets (input_audio_tokens, input_image_tokens)
cache_read_tokens      input_cached_tokens + input_cache_read + cache_read_input_tokens
cache_write_tokens     input_cache_creation + input_cache_creation_5m + input_cache_creation_1h
                       + cache_creation_input_tokens
cache_write_1h_tokens  input_cache_creation_1h
output_tokens          usageDetails.output (or output_tokens) + reasoning + other output
                       buckets (output_audio_tokens, output_accepted/rejected_prediction_tokens)
reasoning_tokens       output_reasoning_tokens + output_reasoning
(OpenInference keys)   prompt_details.cache_read / .cache_write / .audio and
                       completion_details.reasoning / .audio (Langfuse's OTel ingestion keeps
                       OpenInference's ``llm.token_count.*`` names): parts of input / output,
                       read as cache reads, writes and reasoning; added to the count only
                       when together they exceed it (proof that it left them out)
(without usageDetails) usage.input / usage.output, else inputUsage / outputUsage (the public
                       API's totals), else promptTokens / completionTokens, taken
                       as inclusive totals with no cache split; a usage unit other than
                       TOKENS (characters, images...) counts as no usage
source_cost_usd        costDetails.total, else calculatedTotalCost, else usage.totalCost
timestamp              startTime (ISO); latency_ms = endTime - startTime, ttft_ms =
                       completionStartTime - startTime (the ``latency`` fields are not read:
                       their unit differs between API versions)
status, error_type     level ERROR, or a statusMessage without a level: failed;
                       error_type = statusMessage (first 80 characters), else "error"
user, session, project userId, sessionId, projectId
feature                traceName, else promptName, else the observation's name (trace names
                       name the use case; an observation name is often the SDK's default,
                       e.g. "OpenAI-generation", so it is the last resort)
tags                   tags and traceTags, plus ``prompt:<promptName>``
prompt                 input: a list of OpenAI-style messages, {"messages": [...]}, or text
score                  ``scores`` (a list of Langfuse score objects ``{name, value,
                       dataType}``, which the trace download attaches: ``langfuse_trace``):
                       NUMERIC and BOOLEAN (1/0) values; CATEGORICAL ones are counted
                       (``score_categorical``) and left out; rules in ``_scores``
=====================  =====================================================================

Only the keys above are read, so the result never depends on which keys a file's first
records happen to show; other usage types (a provider's own names) are not counted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest import tabular
from llmaudit.ingest.formats import _scores
from llmaudit.ingest.formats._common import MESSAGES, NUM, STR, content_text, flatten_messages
from llmaudit.ingest.registry import Converted, LogFormat, register

_INPUT: Final = ("input", "input_tokens")  # the uncached remainder: one of them, never both
_READ: Final = ("input_cached_tokens", "input_cache_read", "cache_read_input_tokens")
_WRITE: Final = (
    "input_cache_creation",
    "input_cache_creation_5m",
    "input_cache_creation_1h",
    "cache_creation_input_tokens",
)
_INPUT_OTHER: Final = ("input_audio_tokens", "input_image_tokens")
_OUTPUT: Final = ("output", "output_tokens")
_REASONING: Final = ("output_reasoning_tokens", "output_reasoning")
_OUTPUT_OTHER: Final = ("output_audio_tokens", "output_accepted_prediction_tokens", "output_rejected_prediction_tokens")
# OpenInference's detail keys (``llm.token_count.prompt_details.cache_read``...), kept by
# Langfuse's OTel ingestion under their dotted names. They are parts *of* the prompt and
# completion counts, not buckets beside them; only when they exceed the count (which then
# cannot include them) are they added to it.
_SUB_READ: Final = ("prompt_details.cache_read",)
_SUB_WRITE: Final = ("prompt_details.cache_write",)
_SUB_INPUT_OTHER: Final = ("prompt_details.audio",)
_SUB_REASONING: Final = ("completion_details.reasoning",)
_SUB_OUTPUT_OTHER: Final = ("completion_details.audio",)
_SUB_KEYS: Final = (*_SUB_READ, *_SUB_WRITE, *_SUB_INPUT_OTHER, *_SUB_REASONING, *_SUB_OUTPUT_OTHER)
_KEYS: Final = (*_INPUT, *_READ, *_WRITE, *_INPUT_OTHER, *_OUTPUT, *_REASONING, *_OUTPUT_OTHER, *_SUB_KEYS)

SCHEMA: Final = pa.schema(
    [
        ("id", STR), ("traceId", STR), ("type", STR), ("name", STR), ("traceName", STR), ("model", STR),
        ("startTime", STR), ("endTime", STR), ("completionStartTime", STR),
        ("usageDetails", pa.struct([(key, NUM) for key in _KEYS])),
        ("usage", pa.struct([("input", NUM), ("output", NUM), ("unit", STR), ("totalCost", NUM)])),
        ("promptTokens", NUM), ("completionTokens", NUM),
        ("inputUsage", NUM), ("outputUsage", NUM), ("totalUsage", NUM),
        ("costDetails", pa.struct([("total", NUM)])), ("calculatedTotalCost", NUM),
        ("level", STR), ("statusMessage", STR), ("userId", STR), ("sessionId", STR), ("projectId", STR),
        ("tags", pa.list_(STR)), ("traceTags", pa.list_(STR)), ("promptName", STR),
        ("input", MESSAGES),
        ("scores", pa.list_(pa.struct([("name", STR), ("value", NUM), ("dataType", STR)]))),
    ]
)  # fmt: skip
_SUCCESS_LEVELS: Final = pa.array(["DEBUG", "DEFAULT", "WARNING"])


def sniff(record: Mapping[str, Any]) -> bool:
    """Any observation (spans too, so that a trace export is recognized whole)."""
    kind = record.get("type")
    return isinstance(kind, str) and kind.isupper() and "traceId" in record and "startTime" in record


def normalize(record: dict[str, Any]) -> dict[str, Any]:
    """Per-line fallback: ``input`` as a message list (text becomes one user message)."""
    given = record.get("input")
    if isinstance(given, dict):
        given = given.get("messages")
    if isinstance(given, str):
        given = [{"role": "user", "content": given}]
    if isinstance(given, list):
        given = [m if isinstance(m, dict) else {"role": "user", "content": content_text(m)} for m in given]
    return {**record, "input": flatten_messages(given) if isinstance(given, list) else None}


def _sum(g: col.Fields, keys: tuple[str, ...]) -> np.ndarray:
    """Row-wise sum of the usage buckets ``keys``; NaN where none is present."""
    details = g("usageDetails")
    # By field name, not path: OpenInference's keys have dots in them.
    fields = [
        pc.struct_field(details, key)
        if pa.types.is_struct(details.type) and details.type.get_field_index(key) >= 0
        else pa.nulls(len(details))
        for key in keys
    ]
    values = np.vstack([col.floats(f) for f in fields])
    return np.where(np.isnan(values).all(axis=0), np.nan, np.nansum(values, axis=0))


def _with_parts(base: np.ndarray, parts: list[np.ndarray]) -> np.ndarray:
    """A count with its sub-counts (OpenInference details) in it: the parts are taken as
    included unless together they exceed the count, which proves it left them out."""
    total = _total(*parts)
    excluded = ~np.isnan(total) & (np.nan_to_num(total) > np.nan_to_num(base))
    return np.where(excluded, np.nan_to_num(base) + total, np.where(np.isnan(base), total, base))


def _total(*parts: np.ndarray) -> np.ndarray:
    stacked = np.vstack(parts)
    return np.where(np.isnan(stacked).all(axis=0), np.nan, np.nansum(stacked, axis=0))


def _tokens(g: col.Fields) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Inclusive token columns and whether each row has usage."""
    base_in = col.floats(col.coalesce(g("usageDetails.input"), g("usageDetails.input_tokens")))
    base_out = col.floats(col.coalesce(g("usageDetails.output"), g("usageDetails.output_tokens")))
    sub_read, sub_write, sub_reasoning = _sum(g, _SUB_READ), _sum(g, _SUB_WRITE), _sum(g, _SUB_REASONING)
    base_in = _with_parts(base_in, [sub_read, sub_write, _sum(g, _SUB_INPUT_OTHER)])
    base_out = _with_parts(base_out, [sub_reasoning, _sum(g, _SUB_OUTPUT_OTHER)])
    read, write, reasoning = _sum(g, _READ), _sum(g, _WRITE), _sum(g, _REASONING)
    parts_in = np.vstack([base_in, read, write, _sum(g, _INPUT_OTHER)])  # exclusive buckets, added
    parts_out = np.vstack([base_out, reasoning, _sum(g, _OUTPUT_OTHER)])
    read, write, reasoning = _total(read, sub_read), _total(write, sub_write), _total(reasoning, sub_reasoning)
    detailed = ~np.isnan(parts_in).all(axis=0) | ~np.isnan(parts_out).all(axis=0)
    unit = pc.utf8_upper(col.strings(g("usage.unit")))
    tokens_unit = np.asarray(pc.fill_null(pc.equal(unit, "TOKENS"), True))
    legacy_in = col.floats(col.coalesce(g("usage.input"), g("inputUsage"), g("promptTokens")))
    legacy_out = col.floats(col.coalesce(g("usage.output"), g("outputUsage"), g("completionTokens")))
    legacy_in[~tokens_unit] = np.nan
    legacy_out[~tokens_unit] = np.nan
    total_in = np.where(np.isnan(parts_in).all(axis=0), np.nan, np.nansum(parts_in, axis=0))
    total_out = np.where(np.isnan(parts_out).all(axis=0), np.nan, np.nansum(parts_out, axis=0))
    tokens = {
        "input_tokens": np.where(detailed, total_in, legacy_in),
        "cache_read_tokens": np.where(detailed, read, np.nan),
        "cache_write_tokens": np.where(detailed, write, np.nan),
        "cache_write_1h_tokens": np.where(detailed, col.floats(g("usageDetails.input_cache_creation_1h")), np.nan),
        "output_tokens": np.where(detailed, total_out, legacy_out),
        "reasoning_tokens": np.where(detailed, reasoning, np.nan),
    }
    return tokens, ~np.isnan(tokens["input_tokens"]) | ~np.isnan(tokens["output_tokens"])


def _prompt(conv: Converted, given: pa.Array) -> None:
    """Prompt text and signals from ``input``: a message list, {"messages": [...]}, or text."""
    c = conv.columns
    if pa.types.is_struct(given.type):
        given = col.get(given, "messages")
    given = tabular.flat_messages(given)  # the file's own shape may carry content blocks
    if pa.types.is_list(given.type) and pa.types.is_struct(given.type.value_type):
        c["prompt_text"], c["turns"] = col.join_messages(given)
        c["system_text"] = col.role_texts(given, ("system", "developer"))
        c["user_text"] = col.last_role_text(given, "user")
    elif tabular.is_text(given):  # as the per-line path reads it: one user message
        c["user_text"] = tabular.blank_to_null(given)
        c["prompt_text"] = col.prefix_text("user", c["user_text"])
        c["turns"] = col.non_empty(given).astype(np.int64)


def _completion(output: pa.Array) -> pa.Array | None:
    """The answer text when the file's shape carries it (text, or a message with text content)."""
    if pa.types.is_struct(output.type):
        output = col.get(output, "content")
    return tabular.blank_to_null(output) if tabular.is_text(output) else None


def _read_scores(conv: Converted, scores: pa.Array, settings: _scores.ScoreSettings) -> None:
    """NUMERIC and BOOLEAN scores (BOOLEAN's value is 1 or 0); CATEGORICAL ones counted, left out."""
    if not pa.types.is_list(scores.type) or not pa.types.is_struct(scores.type.value_type):
        _scores.assign(conv, np.zeros(0), np.zeros(0), np.zeros(0), settings)
        return
    items = scores.flatten()
    parent = np.asarray(pc.list_parent_indices(scores), dtype=np.int64)
    kind = pc.utf8_upper(col.strings(col.get(items, "dataType")))
    numeric = np.asarray(pc.fill_null(pc.is_in(kind, pa.array(["NUMERIC", "BOOLEAN"])), True))
    categorical = np.asarray(pc.fill_null(pc.equal(kind, "CATEGORICAL"), False))
    _scores.note_rows(conv, "score_categorical", np.unique(parent[categorical]))
    values = np.where(numeric, col.floats(col.get(items, "value")), np.nan)
    names = np.asarray(col.strings(col.get(items, "name")).to_numpy(zero_copy_only=False), dtype=object)
    _scores.assign(conv, parent, names, values, settings)


def convert(table: pa.Table, request: pa.Array | None, scores: _scores.ScoreSettings = _scores.DEFAULT) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    conv = Converted(n)
    c = conv.columns
    tokens, conv.has_usage = _tokens(g)
    c.update(tokens)
    c["request_id"] = tabular.blank_to_null(g("id"))
    c["model"] = tabular.blank_to_null(g("model"))
    start = col.timestamps(g("startTime"))
    c["timestamp"] = start
    c["latency_ms"] = tabular.ms_between(start, col.timestamps(g("endTime")))
    c["ttft_ms"] = tabular.ms_between(start, col.timestamps(g("completionStartTime")))
    cost = col.coalesce(g("costDetails.total"), g("calculatedTotalCost"), g("usage.totalCost"))
    c["source_cost_usd"] = col.floats(cost)

    level = pc.utf8_upper(tabular.blank_to_null(g("level")))
    message = tabular.blank_to_null(g("statusMessage"))
    failed = np.asarray(pc.fill_null(pc.equal(level, "ERROR"), False)) | (
        col.non_empty(message) & ~np.asarray(pc.fill_null(pc.is_in(level, _SUCCESS_LEVELS), False))
    )
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    kind = col.coalesce(pc.utf8_slice_codeunits(message, 0, 80), pa.repeat(pa.scalar("error"), n))
    c["error_type"] = pc.if_else(pa.array(failed), kind, pa.scalar(None, STR))

    c["user"] = tabular.blank_to_null(g("userId"))
    c["session"] = tabular.blank_to_null(g("sessionId"))
    c["project"] = tabular.blank_to_null(g("projectId"))
    prompt_name = pc.replace_substring(tabular.blank_to_null(g("promptName")), "|", "/")
    c["feature"] = tabular.first_of(g("traceName"), prompt_name, g("name"))
    prompt_tag = pc.binary_join_element_wise(pa.scalar("prompt:"), prompt_name, "")
    c["tags"] = tabular.join_tags(tabular.tag_text(g("tags")), tabular.tag_text(g("traceTags")), prompt_tag)
    _prompt(conv, g("input"))
    conv.completion_text = _completion(g("output"))
    _read_scores(conv, g("scores"), scores)

    kind_text = col.strings(g("type"))
    generation = np.asarray(pc.fill_null(pc.equal(kind_text, "GENERATION"), False))
    conv.mark(~generation & np.asarray(kind_text.is_valid()), "not_a_generation")
    conv.mark_unrecognized(generation, wrapped=False)
    return conv


FORMAT = register(
    _scores.configurable(
        LogFormat(
            name="langfuse",
            title="Langfuse observation export (GENERATION observations; JSON Lines or a JSON array)",
            schema=SCHEMA,
            sniff=sniff,
            convert=convert,
            normalize=normalize,
            aliases=("langfuse-observations",),
        ),
        convert,
    )
)
