"""LiteLLM: the StandardLoggingPayload its callbacks write, and the proxy's SpendLogs table.

One format, ``litellm`` (aliases ``litellm-payload``, ``litellm-spendlogs``), because the two
shapes share their fields (``model``, ``model_group``, ``prompt_tokens``, ``startTime``,
``request_tags``, ``end_user``, ``metadata``...) and differ only in a few names, which the
converter coalesces. Records are read from JSON Lines (or a JSON array), and SpendLogs
exports also from CSV (``metadata``, ``request_tags`` and ``messages`` then hold JSON as
text) and Parquet. Field names were checked against LiteLLM's ``StandardLoggingPayload``
(``litellm/types/utils.py``), ``SpendLogsPayload``/``SpendLogsMetadata``
(``litellm/proxy/_types.py``), ``get_logging_payload`` (``litellm/proxy/spend_tracking/
spend_tracking_utils.py``) and the ``LiteLLM_SpendLogs`` model of ``schema.prisma``.

LiteLLM normalizes usage to the OpenAI shape, so ``prompt_tokens`` is *inclusive* (for
Anthropic-routed calls its transformation adds cache reads and writes to ``input_tokens``);
the cache and reasoning details sit in the usage object LiteLLM keeps in the metadata:

=====================  =====================================================================
canonical              payload (SpendLogs, where it differs)
=====================  =====================================================================
input_tokens           prompt_tokens (else usage.prompt_tokens)
cache_read_tokens      usage.prompt_tokens_details.cached_tokens, else
                       usage.cache_read_input_tokens
cache_write_tokens     usage.cache_creation_input_tokens, else prompt_tokens_details
                       .cache_creation_tokens; the TTL split (prompt_tokens_details
                       .cache_creation_token_details.ephemeral_5m/1h_input_tokens) wins
                       when it sums to more
cache_write_1h_tokens  ...cache_creation_token_details.ephemeral_1h_input_tokens
output_tokens          completion_tokens (inclusive of reasoning)
reasoning_tokens       usage.completion_tokens_details.reasoning_tokens
(usage = the first of metadata.usage_object, hidden_params.usage_object,
 metadata.additional_usage_values, field by field)
source_cost_usd        response_cost (spend)
request_id             id (request_id)
timestamp              startTime: epoch seconds (ISO text in SpendLogs)
latency_ms             (endTime - startTime) * 1000 (request_duration_ms when present)
ttft_ms                (completionStartTime - startTime) * 1000; LiteLLM sets
                       completionStartTime = endTime for calls that were not streamed
provider               custom_llm_provider, else error_information.llm_provider
status, error_type     status "failure" (metadata.status); error_information.error_class,
                       else .error_code, else error_str (first 80 characters)
team                   metadata.user_api_key_team_alias, else team_alias, else the team id
                       (metadata.user_api_key_team_id, team_id)
project                metadata.user_api_key_project_alias, else ..._project_id
user                   end_user, else metadata.user_api_key_end_user_id, else
                       metadata.user_api_key_user_id (SpendLogs ``user``: the key's owner)
session                metadata.session_id, else session_id, else litellm_session_id
tags                   request_tags, plus ``key:<metadata.user_api_key_alias>`` (keys have no
                       canonical column) and ``cache_hit`` for LiteLLM cache hits
feature                the value of a ``feature:<name>`` request tag, if any
prompt                 messages (system_text: system/developer messages; user_text: the
                       last user message)
score                  ``score`` in the metadata the caller passed (metadata
                       .requester_metadata.score; SpendLogs: metadata.spend_logs_metadata
                       .score), else metadata.score; named ``score`` (rules in ``_scores``)
=====================  =====================================================================

Which model is priced: ``model``, the model the deployment actually called (LiteLLM's
``kwargs["model"]``, also what LiteLLM prices with), not ``model_group``, the public name
the caller asked for. A proxy's model group is an alias (``gpt-4``, ``fast``, ``claude``)
that may route to several deployments of different models, through fallbacks, so it names
no price. ``model_group`` is only the last fallback, after ``hidden_params
.litellm_model_name`` and ``model_map_information.model_map_key``.

A LiteLLM cache hit (``cache_hit`` true) never reached a provider: LiteLLM reports it at $0,
so its token counts are set to 0 (tagged ``cache_hit``) rather than priced a second time.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest import tabular
from llmaudit.ingest.formats import _scores
from llmaudit.ingest.formats._common import MESSAGES, NUM, STR
from llmaudit.ingest.formats.generic_csv import sniffed_header
from llmaudit.ingest.jsonl import Normalizer
from llmaudit.ingest.registry import Converted, register

_DETAILS_1H: Final = pa.struct([("ephemeral_5m_input_tokens", NUM), ("ephemeral_1h_input_tokens", NUM)])
USAGE: Final = pa.struct(
    [
        ("prompt_tokens", NUM),
        ("completion_tokens", NUM),
        ("cache_read_input_tokens", NUM),
        ("cache_creation_input_tokens", NUM),
        (
            "prompt_tokens_details",
            pa.struct(
                [("cached_tokens", NUM), ("cache_creation_tokens", NUM), ("cache_creation_token_details", _DETAILS_1H)]
            ),
        ),
        ("completion_tokens_details", pa.struct([("reasoning_tokens", NUM)])),
    ]
)
ERROR: Final = pa.struct([("error_code", STR), ("error_class", STR), ("llm_provider", STR)])
_META_TEXT: Final = (
    "user_api_key_alias", "user_api_key_team_id", "user_api_key_team_alias", "user_api_key_user_id",
    "user_api_key_end_user_id", "user_api_key_project_id", "user_api_key_project_alias", "team_id", "team_alias",
    "session_id", "status",
)  # fmt: skip
METADATA: Final = pa.struct(
    [
        *((name, STR) for name in _META_TEXT),
        ("error_information", ERROR),
        ("usage_object", USAGE),
        ("additional_usage_values", USAGE),
        # A score the caller attached (``metadata={"score": 0.8}`` on the request).
        ("score", NUM),
        ("requester_metadata", pa.struct([("score", NUM)])),
        ("spend_logs_metadata", pa.struct([("score", NUM)])),
    ]
)
_FIXED: Final = [
    ("id", STR), ("request_id", STR), ("call_type", STR), ("status", STR), ("model", STR), ("model_group", STR),
    ("custom_llm_provider", STR), ("prompt_tokens", NUM), ("completion_tokens", NUM), ("response_cost", NUM),
    ("spend", NUM), ("request_duration_ms", NUM), ("end_user", STR), ("user", STR), ("team_id", STR),
    ("session_id", STR), ("litellm_session_id", STR), ("error_str", STR), ("error_information", ERROR),
    ("hidden_params", pa.struct([("litellm_model_name", STR), ("usage_object", USAGE)])),
    ("model_map_information", pa.struct([("model_map_key", STR)])),
]  # fmt: skip
_TIMES: Final = ("startTime", "endTime", "completionStartTime")
# JSON type seen in the first records -> Arrow type, for the fields logged in several shapes.
_BY_KIND: Final[dict[str, dict[str, pa.DataType]]] = {
    **{t: {"number": NUM, "text": STR} for t in _TIMES},
    "cache_hit": {"bool": pa.bool_(), "text": STR, "number": NUM},
    "request_tags": {"list": pa.list_(STR), "text": STR},
    "metadata": {"object": METADATA, "text": STR},
    "messages": {"list": MESSAGES, "text": STR},
}
_DEFAULT_KIND: Final = {
    **dict.fromkeys(_TIMES, "number"), "cache_hit": "bool", "request_tags": "list", "metadata": "object",
    "messages": "list",
}  # fmt: skip

PLAN: Final = tabular.SourceColumns(
    format="LiteLLM SpendLogs",
    names=(
        *(name for name, _ in _FIXED if name not in ("error_information", "hidden_params", "model_map_information")),
        *_TIMES,
        *(k for k in _BY_KIND if k not in _TIMES),
    ),
    numbers=frozenset({"prompt_tokens", "completion_tokens", "response_cost", "spend", "request_duration_ms"}),
    required=("prompt_tokens", "completion_tokens", "spend", "response_cost"),
)
_JSON: Final = pa.array(["[", "{"])
_CALLED: Final = frozenset({"call_type", "model_group", "custom_llm_provider", "response_cost", "spend"})


def json_schema(sample: Sequence[Mapping[str, Any]]) -> pa.Schema:
    """The reading schema, each multi-shaped field typed as the first records show it."""
    fields = list(_FIXED)
    for name, kinds in _BY_KIND.items():
        kind = tabular.sample_kind(sample, name) or _DEFAULT_KIND[name]
        if kind == "list" and name == "messages":
            fields.append((name, tabular.messages_type(r.get("messages") for r in sample)))
        elif kind in kinds:
            fields.append((name, kinds[kind]))
    return pa.schema(fields)


def sniff(record: Mapping[str, Any]) -> bool:
    """A payload or SpendLogs row: start time and prompt tokens, plus a LiteLLM-only field."""
    return "startTime" in record and "prompt_tokens" in record and any(k in record for k in _CALLED)


def sniff_bytes(head: bytes | bytearray) -> bool:
    """A SpendLogs CSV export (or Parquet column names): request_id and spend, plus startTime or call_type."""
    header = sniffed_header(head)
    names = {n.lower() for n in header or ()}
    return {"request_id", "spend"} <= names and bool({"starttime", "call_type"} & names)


def _epoch(value: Any) -> Any:
    """ISO text to epoch seconds (naive as UTC), so either schema type reads it; anything else as is."""
    if not isinstance(value, str):
        return value
    try:
        stamp = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return value
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def normalizer(schema: pa.Schema) -> Normalizer:
    """Per-line fallback: JSON held as text decoded, times as epoch seconds, messages shaped to ``schema``."""
    blocks = tabular.is_blocks(schema.field("messages").type) if "messages" in schema.names else False

    def normalize(record: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = dict(record)
        for name in _TIMES:
            if name in out:
                out[name] = _epoch(out[name])
        for key in ("metadata", "request_tags", "messages"):
            value = out.get(key)
            if isinstance(value, str) and value.strip()[:1] in ("{", "["):
                with contextlib.suppress(ValueError):
                    out[key] = json.loads(value)
        messages = out.get("messages")
        if isinstance(messages, dict):
            messages = messages.get("messages")  # the default "{}" or a request body
        out["messages"] = tabular.shape_messages(messages, blocks) if isinstance(messages, list) else messages
        return out

    return normalize


def _usage_tokens(g: col.Fields, meta: col.Fields) -> dict[str, np.ndarray]:
    def usage(path: str) -> np.ndarray:
        return col.floats(
            col.coalesce(
                meta(f"usage_object.{path}"),
                g(f"hidden_params.usage_object.{path}"),
                meta(f"additional_usage_values.{path}"),
            )
        )

    prompt = col.floats(g("prompt_tokens"))
    prompt = np.where(np.isnan(prompt), usage("prompt_tokens"), prompt)
    output = col.floats(g("completion_tokens"))
    output = np.where(np.isnan(output), usage("completion_tokens"), output)
    read = usage("prompt_tokens_details.cached_tokens")
    read = np.where(np.isnan(read), usage("cache_read_input_tokens"), read)
    write = usage("cache_creation_input_tokens")
    write = np.where(np.isnan(write), usage("prompt_tokens_details.cache_creation_tokens"), write)
    ttl = "prompt_tokens_details.cache_creation_token_details"
    write_5m, write_1h = usage(f"{ttl}.ephemeral_5m_input_tokens"), usage(f"{ttl}.ephemeral_1h_input_tokens")
    split = ~np.isnan(write_5m) | ~np.isnan(write_1h)
    split_sum = np.nan_to_num(write_5m) + np.nan_to_num(write_1h)
    write = np.where(split & (np.isnan(write) | (split_sum > np.nan_to_num(write))), split_sum, write)
    return {
        "input_tokens": prompt,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "cache_write_1h_tokens": np.where(split, np.nan_to_num(write_1h), np.nan),
        "output_tokens": output,
        "reasoning_tokens": usage("completion_tokens_details.reasoning_tokens"),
    }


def _prompt(conv: Converted, messages: pa.Array) -> None:
    """Prompt text, turns and the tagging signals from ``messages``.

    ``messages`` is a list of messages, or text: a JSON list, a JSON object holding one
    (``{"messages": [...]}``; SpendLogs' default ``{}`` holds none), or the prompt itself.
    """
    c = conv.columns
    plain = None
    if tabular.is_text(messages):
        text = tabular.blank_to_null(messages)
        is_json = pc.fill_null(pc.is_in(pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(text), 0, 1), _JSON), False)
        plain = pc.if_else(is_json, pa.scalar(None, STR), text)
        blocks = tabular.content_as_blocks(messages)  # contents as text or blocks: all parsed as blocks
        # A bare list becomes {"messages": [...]} like the holder form: one parse of the column for both.
        trimmed = pc.utf8_trim_whitespace(blocks)
        bare = pc.fill_null(pc.starts_with(trimmed, "["), False)
        held = pc.if_else(bare, pc.binary_join_element_wise('{"messages":', trimmed, "}", ""), blocks)
        holder = tabular.json_values(held, pa.struct([("messages", tabular.BLOCK_MESSAGES)]))
        messages = col.get(holder, "messages")
    messages = tabular.flat_messages(messages)
    if pa.types.is_list(messages.type) and pa.types.is_struct(messages.type.value_type):
        text, turns = col.join_messages(messages)
        c["prompt_text"], c["turns"] = text, turns
        c["system_text"] = col.role_texts(messages, ("system", "developer"))
        c["user_text"] = col.last_role_text(messages, "user")
    if plain is not None:
        c["prompt_text"] = col.coalesce(c.get("prompt_text", pa.nulls(len(plain), STR)), plain)
        c["turns"] = np.maximum(c.get("turns", 0), col.non_empty(plain).astype(np.int64))


def convert(table: pa.Table, request: pa.Array | None, scores: _scores.ScoreSettings = _scores.DEFAULT) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    meta = col.Fields(tabular.json_values(g("metadata"), METADATA), n)
    conv = Converted(n)
    c = conv.columns
    tokens = _usage_tokens(g, meta)
    conv.has_usage = ~np.isnan(tokens["input_tokens"]) | ~np.isnan(tokens["output_tokens"])
    hit = np.asarray(pc.fill_null(pc.equal(pc.utf8_lower(col.strings(g("cache_hit"))), "true"), False))
    for values in tokens.values():
        values[hit & ~np.isnan(values)] = 0.0  # served from LiteLLM's cache: no provider bill
    c.update(tokens)

    first = tabular.first_of
    c["request_id"] = first(g("id"), g("request_id"))
    c["model"] = first(
        g("model"), g("hidden_params.litellm_model_name"), g("model_map_information.model_map_key"), g("model_group")
    )
    c["provider"] = first(g("custom_llm_provider"), g("error_information.llm_provider"))
    start = col.timestamps(g("startTime"))
    c["timestamp"] = start
    latency = tabular.ms_between(start, col.timestamps(g("endTime")))
    duration = col.floats(g("request_duration_ms"))
    c["latency_ms"] = np.where(np.isnan(duration), latency, duration)
    c["ttft_ms"] = tabular.ms_between(start, col.timestamps(g("completionStartTime")))
    cost = col.floats(g("response_cost"))
    c["source_cost_usd"] = np.where(np.isnan(cost), col.floats(g("spend")), cost)

    status = pc.utf8_lower(first(g("status"), meta("status")))
    error_text = tabular.blank_to_null(g("error_str"))
    failed = np.asarray(pc.fill_null(pc.equal(status, "failure"), False)) | (
        np.asarray(status.is_null()) & col.non_empty(error_text)
    )
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    kind = first(
        g("error_information.error_class"), meta("error_information.error_class"),
        g("error_information.error_code"), meta("error_information.error_code"),
        pc.utf8_slice_codeunits(error_text, 0, 80),
    )  # fmt: skip
    kind = col.coalesce(kind, pa.repeat(pa.scalar("error"), n))
    c["error_type"] = pc.if_else(pa.array(failed), kind, pa.scalar(None, STR))

    c["team"] = first(
        meta("user_api_key_team_alias"), meta("team_alias"), meta("user_api_key_team_id"), meta("team_id"),
        g("team_id"),
    )  # fmt: skip
    c["project"] = first(meta("user_api_key_project_alias"), meta("user_api_key_project_id"))
    c["user"] = first(g("end_user"), meta("user_api_key_end_user_id"), meta("user_api_key_user_id"), g("user"))
    c["session"] = first(meta("session_id"), g("session_id"), g("litellm_session_id"))
    alias = pc.replace_substring(tabular.blank_to_null(meta("user_api_key_alias")), "|", "/")
    key_tag = pc.binary_join_element_wise(pa.scalar("key:"), alias, "")
    hit_tag = pc.if_else(pa.array(hit), pa.scalar("cache_hit"), pa.scalar(None, STR))
    c["tags"] = tabular.join_tags(tabular.tag_text(g("request_tags")), key_tag, hit_tag)
    c["feature"] = tabular.tag_value(c["tags"], "feature")
    _prompt(conv, g("messages"))
    score = col.floats(col.coalesce(meta("requester_metadata.score"), meta("spend_logs_metadata.score"), meta("score")))
    given = np.flatnonzero(~np.isnan(score))
    _scores.assign(conv, given, np.full(len(given), "score", dtype=object), score[given], scores)

    known = conv.has_usage | failed | col.non_empty(c["request_id"])
    conv.mark_unrecognized(known, wrapped=False)
    return conv


FORMAT = register(
    _scores.configurable(
        tabular.tabular_format(
            "litellm",
            "LiteLLM logging payload (StandardLoggingPayload JSON Lines) or proxy SpendLogs (JSON, CSV, Parquet)",
            sniff=sniff,
            sniff_bytes=sniff_bytes,
            convert=convert,
            plan=PLAN,
            json_schema=json_schema,
            normalizer=normalizer,
            aliases=("litellm-payload", "litellm-spendlogs"),
        ),
        convert,
    )
)
