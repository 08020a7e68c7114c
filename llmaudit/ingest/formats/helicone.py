"""Helicone request exports: JSON Lines (or a JSON array), CSV, or Parquet.

Field names are those of Helicone's ``HeliconeRequest`` (the request query API and
exports) and its ClickHouse ``request_response_rmt`` table. Helicone's official export tool
(``examples/export/typescript`` in Helicone/helicone) writes CSV with the columns
response_id, response_created_at, response_status, request_created_at, request_body,
request_properties, request_user_id, model, prompt_tokens, completion_tokens, latency,
cost, every value quoted. In CSV exports
``properties``, ``request_body`` and ``response_body`` hold JSON as text.

Token counts. Helicone does not store one convention. Its Anthropic body processor stores
``usage.input_tokens``, which *excludes* cache reads and writes
(``valhalla/jawn/src/lib/shared/bodyProcessors/anthropicBodyProcessor.ts``); its current
OpenAI processor stores ``prompt_tokens - cached_tokens - audio_tokens``
(``openaiBodyProcessor.ts``), while older exports (and the docs/formats.md example) carry OpenAI's
inclusive ``prompt_tokens``. So a row's ``prompt_tokens`` is taken as exclusive when
(1) the call was Anthropic-routed (provider ``ANTHROPIC`` or a ``claude`` model), or
(2) cache reads + writes exceed it (an inclusive count cannot be smaller than its part), or
(3) ``total_tokens`` equals prompt + cache reads + writes + completion (and not prompt +
completion); otherwise it is inclusive. The remaining case cannot be told apart: an
exclusive OpenAI count larger than its cache reads, without a total (the cache reads are
then counted inside the prompt instead of added to it).

=====================  =====================================================================
canonical              Helicone
=====================  =====================================================================
input_tokens           prompt_tokens, + prompt_cache_read_tokens + prompt_cache_write_tokens
                       when exclusive (above)
cache_read_tokens      prompt_cache_read_tokens
cache_write_tokens     prompt_cache_write_tokens
output_tokens          completion_tokens (includes reasoning)
reasoning_tokens       response_body.usage.completion_tokens_details.reasoning_tokens (or
                       output_tokens_details), when the body was exported
source_cost_usd        costUSD; else ``cost`` (a whole number >= 1 there is ClickHouse's
                       integer cost in 1e-9 USD, ``COST_PRECISION_MULTIPLIER``)
model, provider        model (else model_override, response_model, request_model); provider
timestamp              request_created_at
request_id             request_id, else response_id (the official exporter's only id)
latency_ms, ttft_ms    delay_ms (else ``latency``, ClickHouse's milliseconds, as the official
                       exporter writes it), time_to_first_token
status, error_type     response_status: >= 400 or <= 0 (no response) fails as ``http_<code>``
user                   request_user_id
session                property ``Helicone-Session-Id`` (how Helicone stores sessions)
feature                property ``feature``, else ``Helicone-Session-Name``
team, project          properties ``team``, ``project``
score                  ``scores`` (name -> number; ``helicone-score-feedback`` is named
                       ``feedback``), ``feedback_rating`` or ``feedback.rating`` (true 1,
                       false 0, named ``feedback``): rules in ``_scores``
tags                   every other property as ``key:value`` (``Helicone-*`` keys left out)
prompt                 request_body: ``messages`` (+ Anthropic ``system``), or ``prompt``
=====================  =====================================================================

Properties (``properties``, else ``request_properties``) are free-form: keys are matched
ignoring case. In JSON Lines their keys are taken from the file's first records.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
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

REQUEST_BODY: Final = pa.struct([("messages", MESSAGES), ("system", STR), ("prompt", STR)])
_BLOCK_BODY: Final = pa.struct([("messages", tabular.BLOCK_MESSAGES), ("system", tabular.BLOCKS), ("prompt", STR)])
_REASONING: Final = pa.struct([("reasoning_tokens", NUM)])
RESPONSE_BODY: Final = pa.struct(
    [("usage", pa.struct([("completion_tokens_details", _REASONING), ("output_tokens_details", _REASONING)]))]
)
_NUMBERS: Final = (
    "prompt_tokens", "completion_tokens", "total_tokens", "prompt_cache_read_tokens", "prompt_cache_write_tokens",
    "delay_ms", "time_to_first_token", "latency", "response_status", "costUSD", "cost",
)  # fmt: skip
_TEXTS: Final = (
    "request_id", "response_id", "model", "model_override", "response_model", "request_model", "provider",
    "request_user_id", "user_id",
)  # fmt: skip
_PROPERTIES: Final = ("properties", "request_properties")
_FEEDBACK: Final = pa.struct([("rating", pa.bool_())])
# Helicone stores a thumbs-up/down as this score too (1 or 0): read under one name.
_FEEDBACK_SCORE: Final = "helicone-score-feedback"
_SCORE_FIELDS: Final = ("scores", "feedback_rating", "feedback")
PLAN: Final = tabular.SourceColumns(
    format="Helicone",
    names=(*_TEXTS, "request_created_at", *_NUMBERS, *_PROPERTIES, "request_body", "response_body", *_SCORE_FIELDS),
    numbers=frozenset(_NUMBERS),
    required=("prompt_tokens", "completion_tokens"),
)
_CONSUMED: Final = pa.array(["feature", "team", "project"])
_SESSION: Final = "helicone-session-id"
_SESSION_NAME: Final = "helicone-session-name"


def json_schema(sample: Sequence[Mapping[str, Any]]) -> pa.Schema:
    """The reading schema; property keys (free-form) and JSON-or-text fields typed from the sample."""
    fields: list[tuple[str, pa.DataType]] = [(name, STR) for name in _TEXTS] + [(name, NUM) for name in _NUMBERS]
    created = tabular.sample_kind(sample, "request_created_at")
    fields.append(("request_created_at", NUM if created == "number" else STR))
    for name in _PROPERTIES:
        keys = sorted({k for r in sample if isinstance(r.get(name), dict) for k in r[name]})
        fields.append((name, pa.struct([(k, STR) for k in keys]) if keys else STR))
    bodies = [r["request_body"] for r in sample if isinstance(r.get("request_body"), dict)]
    request_body = pa.struct(
        [
            ("messages", tabular.messages_type(b.get("messages") for b in bodies)),
            ("system", tabular.text_type(b.get("system") for b in bodies)),
            ("prompt", STR),
        ]
    )
    for name, typ in (("request_body", request_body), ("response_body", RESPONSE_BODY)):
        fields.append((name, STR if tabular.sample_kind(sample, name) == "text" else typ))
    score_keys = sorted({k for r in sample if isinstance(r.get("scores"), dict) for k in r["scores"]})
    scores_type = pa.struct([(k, NUM) for k in score_keys]) if score_keys else STR
    fields.append(("scores", STR if tabular.sample_kind(sample, "scores") == "text" else scores_type))
    fields.append(("feedback_rating", STR if tabular.sample_kind(sample, "feedback_rating") == "text" else pa.bool_()))
    fields.append(("feedback", _FEEDBACK))
    return pa.schema(fields)


def sniff(record: Mapping[str, Any]) -> bool:
    return ("request_id" in record or "response_id" in record) and "request_created_at" in record


def sniff_bytes(head: bytes | bytearray) -> bool:
    """A Helicone CSV export (or Parquet column names): request_id (the official exporter
    writes response_id instead), request_created_at and token counts."""
    header = sniffed_header(head)
    names = {n.lower() for n in header or ()}
    ids = bool({"request_id", "response_id"} & names)
    return ids and "request_created_at" in names and bool({"prompt_tokens", "completion_tokens"} & names)


def normalizer(schema: pa.Schema) -> Normalizer:
    """Per-line fallback: JSON held as text decoded; system and message content shaped to ``schema``."""
    body = schema.field("request_body").type if "request_body" in schema.names else STR
    blocks = pa.types.is_struct(body)
    system = tabular.is_blocks(body.field("system").type) if blocks else False
    content = tabular.is_blocks(body.field("messages").type) if blocks else False

    def normalize(record: dict[str, Any]) -> dict[str, Any]:
        out = dict(record)
        for key in (*_PROPERTIES, "request_body", "response_body"):
            value = out.get(key)
            if isinstance(value, str) and value.strip()[:1] == "{":
                with contextlib.suppress(ValueError):
                    out[key] = json.loads(value)
        scores = out.get("scores")
        if isinstance(scores, dict):  # a boolean score is 1 or 0; anything else is no number
            out["scores"] = {k: float(v) if isinstance(v, (int, float)) else None for k, v in scores.items()}
        given = out.get("request_body")
        if isinstance(given, dict):
            out["request_body"] = {
                **given,
                "messages": tabular.shape_messages(given.get("messages"), content),
                "system": tabular.shape_text(given.get("system"), system),
            }
        return out

    return normalize


# --- properties -------------------------------------------------------------------


def _pairs(props: pa.Array) -> tuple[pa.Array, pa.Array, np.ndarray]:
    """Every (key, value) of free-form properties, in row order then key order, and each one's row."""
    n = len(props)
    props = tabular.json_values(props)
    if pa.types.is_map(props.type):
        offsets = np.asarray(props.offsets, dtype=np.int64)
        start, end = int(offsets[0]), int(offsets[-1])
        keys = col.strings(props.keys.slice(start, end - start))
        values = col.strings(props.items.slice(start, end - start))
        parent = np.repeat(np.arange(n), np.diff(offsets))
    elif pa.types.is_struct(props.type) and props.type.num_fields:
        k = props.type.num_fields
        names = pa.array([props.type.field(i).name for i in range(k)], pa.string())
        keys = names.take(pa.array(np.repeat(np.arange(k), n)))
        values = pa.concat_arrays([col.strings(pc.struct_field(props, i)) for i in range(k)])
        parent = np.tile(np.arange(n), k)
    else:
        return pa.array([], pa.string()), pa.array([], pa.string()), np.zeros(0, dtype=np.int64)
    order = pc.sort_indices(
        pa.table({"row": parent, "key": keys}), sort_keys=[("row", "ascending"), ("key", "ascending")]
    )
    return keys.take(order), values.take(order), parent[np.asarray(order)]


def _lookup(keys: pa.Array, values: pa.Array, parent: np.ndarray, n: int, name: str) -> pa.Array:
    """Per row, the value of the first property called ``name`` (ignoring case), else null."""
    match = np.flatnonzero(np.asarray(pc.fill_null(pc.equal(pc.utf8_lower(keys), name), False)) & col.non_empty(values))
    rows, first = np.unique(parent[match], return_index=True)
    pick = np.zeros(n, dtype=np.int64)
    pick[rows] = match[first]
    found = np.zeros(n, dtype=bool)
    found[rows] = True
    return values.take(pa.array(pick, mask=~found)) if len(values) else pa.nulls(n, pa.string())


def _properties(c: dict[str, Any], props: pa.Array) -> None:
    n = len(props)
    keys, values, parent = _pairs(props)
    c["session"] = _lookup(keys, values, parent, n, _SESSION)
    c["feature"] = col.coalesce(
        _lookup(keys, values, parent, n, "feature"), _lookup(keys, values, parent, n, _SESSION_NAME)
    )
    c["team"] = _lookup(keys, values, parent, n, "team")
    c["project"] = _lookup(keys, values, parent, n, "project")
    lower = pc.utf8_lower(keys)
    internal = np.asarray(pc.fill_null(pc.starts_with(lower, "helicone-"), False))
    consumed = np.asarray(pc.fill_null(pc.is_in(lower, _CONSUMED), False))
    keep = ~internal & ~consumed & col.non_empty(values)
    texts = pc.binary_join_element_wise(keys, values, ":").filter(pa.array(keep))
    offsets = np.concatenate(([0], np.cumsum(np.bincount(parent[keep], minlength=n)))).astype(np.int32)
    c["tags"] = col.tags(pa.ListArray.from_arrays(pa.array(offsets), texts))


# --- scores -----------------------------------------------------------------------

_TRUE: Final = pa.array(["true", "1", "1.0", "yes", "positive"])
_FALSE: Final = pa.array(["false", "0", "0.0", "no", "negative"])


def _rating(arr: pa.Array) -> np.ndarray:
    """A thumbs-up (1), down (0) or none (NaN) from a boolean, or its text in a CSV."""
    words = pc.utf8_lower(pc.utf8_trim_whitespace(col.strings(arr)))
    up = np.asarray(pc.fill_null(pc.is_in(words, _TRUE), False))
    down = np.asarray(pc.fill_null(pc.is_in(words, _FALSE), False))
    return np.where(up, 1.0, np.where(down, 0.0, np.nan))


def _read_scores(conv: Converted, g: col.Fields, settings: _scores.ScoreSettings) -> None:
    """``scores`` (name -> number) and the thumbs (``feedback_rating``, ``feedback.rating``)."""
    keys, values, parent = _pairs(_undoubled(g("scores")))
    words = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    numbers = pc.if_else(pc.fill_null(pc.is_in(words, _TRUE), False), pa.scalar("1"), words)
    numbers = pc.if_else(pc.fill_null(pc.is_in(words, _FALSE), False), pa.scalar("0"), numbers)
    digits = pc.fill_null(pc.match_substring_regex(numbers, r"^-?\d+(\.\d*)?([eE][-+]?\d+)?$"), False)
    number = col.floats(pc.cast(pc.if_else(digits, numbers, pa.scalar(None, pa.string())), pa.float64()))
    names = np.asarray(keys.to_numpy(zero_copy_only=False), dtype=object)
    names[names == _FEEDBACK_SCORE] = "feedback"
    rating = _rating(g("feedback_rating"))
    rating = np.where(np.isnan(rating), _rating(g("feedback.rating")), rating)
    given = np.flatnonzero(~np.isnan(rating))
    same = np.isin(parent, given) & (names == "feedback")  # the thumbs in both places is one rating
    _scores.assign(
        conv,
        np.concatenate([parent[~same], given]),
        np.concatenate([names[~same], np.full(len(given), "feedback", dtype=object)]),
        np.concatenate([number[~same], rating[given]]),
        settings,
    )


# --- conversion -------------------------------------------------------------------


def _tokens(g: col.Fields, anthropic: np.ndarray) -> dict[str, np.ndarray]:
    prompt, completion = col.floats(g("prompt_tokens")), col.floats(g("completion_tokens"))
    read, write = col.floats(g("prompt_cache_read_tokens")), col.floats(g("prompt_cache_write_tokens"))
    cached = np.nan_to_num(read) + np.nan_to_num(write)
    total = col.floats(g("total_tokens"))
    out = np.nan_to_num(completion)
    by_total = (cached > 0) & (total == prompt + cached + out) & (total != prompt + out)
    exclusive = anthropic | (cached > np.nan_to_num(prompt)) | by_total
    body = g("response_body")
    usage = col.Fields(tabular.json_values(body, RESPONSE_BODY), len(body))
    reasoning = col.floats(
        col.coalesce(
            usage("usage.completion_tokens_details.reasoning_tokens"),
            usage("usage.output_tokens_details.reasoning_tokens"),
        )
    )
    return {
        "input_tokens": np.where(exclusive, prompt + cached, prompt),
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "output_tokens": completion,
        "reasoning_tokens": reasoning,
    }


def _cost(g: col.Fields) -> np.ndarray:
    usd = col.floats(g("costUSD"))
    cost = col.floats(g("cost"))
    nano = (cost >= 1) & (cost == np.floor(cost))  # ClickHouse stores cost * 1e9 as an integer
    return np.where(np.isnan(usd), np.where(nano, cost / 1e9, cost), usd)


def _prompt(conv: Converted, body: pa.Array) -> None:
    c = conv.columns
    if tabular.is_text(body):  # JSON text (CSV): contents as text or blocks, parsed as blocks
        body = tabular.json_values(tabular.content_as_blocks(body), _BLOCK_BODY)
    req = col.Fields(tabular.json_values(body, REQUEST_BODY), len(body))
    messages = tabular.flat_messages(req("messages"))
    text, turns = col.join_messages(messages)
    system = tabular.blank_to_null(tabular.block_text(req("system")))
    c["prompt_text"] = col.join_text(col.prefix_text("system", system), text, tabular.blank_to_null(req("prompt")))
    c["turns"] = turns + col.non_empty(system)
    c["system_text"] = col.join_text(system, col.role_texts(messages, ("system", "developer")))
    c["user_text"] = col.coalesce(col.last_role_text(messages, "user"), tabular.blank_to_null(req("prompt")))


def _undoubled(arr: pa.Array) -> pa.Array:
    """JSON text whose quotes were doubled once too often (``{""key"": ...}``), restored.

    Helicone's export tool escapes the quotes of an object's JSON for CSV and then quotes
    the field again, so after CSV unquoting every quote is still doubled. No JSON object or
    array of objects starts with ``{""`` otherwise (but for an empty key), so only such
    values are touched."""
    if not tabular.is_text(arr):
        return arr
    text = arr.cast(pa.string())
    trimmed = pc.utf8_ltrim_whitespace(text)
    doubled = pc.or_(pc.starts_with(trimmed, '{""'), pc.starts_with(trimmed, '[{""'))
    return pc.if_else(pc.fill_null(doubled, False), pc.replace_substring(text, '""', '"'), text)


def convert(table: pa.Table, request: pa.Array | None, scores: _scores.ScoreSettings = _scores.DEFAULT) -> Converted:
    n = table.num_rows
    g = col.Fields(table)
    conv = Converted(n)
    c = conv.columns
    first = tabular.first_of
    c["model"] = first(g("model"), g("model_override"), g("response_model"), g("request_model"))
    c["provider"] = tabular.blank_to_null(g("provider"))
    anthropic = np.asarray(pc.fill_null(pc.equal(pc.utf8_lower(c["provider"]), "anthropic"), False)) | np.asarray(
        pc.fill_null(pc.match_substring(pc.utf8_lower(c["model"]), "claude"), False)
    )
    c.update(_tokens(g, anthropic))
    conv.has_usage = ~np.isnan(c["input_tokens"]) | ~np.isnan(c["output_tokens"])
    c["request_id"] = first(g("request_id"), g("response_id"))
    c["timestamp"] = col.timestamps(g("request_created_at"))
    delay, latency = col.floats(g("delay_ms")), col.floats(g("latency"))
    c["latency_ms"] = np.where(np.isnan(delay), latency, delay)
    c["ttft_ms"] = col.floats(g("time_to_first_token"))
    c["source_cost_usd"] = _cost(g)

    code = col.floats(g("response_status"))
    failed = (code >= 400) | (code <= 0)
    code_text = col.strings(pa.array(np.nan_to_num(code)).cast(pa.int64(), safe=False))
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    http = pc.binary_join_element_wise(pa.scalar("http_"), code_text, "")
    c["error_type"] = pc.if_else(pa.array(failed), http, pa.scalar(None, STR))
    c["user"] = first(g("request_user_id"), g("user_id"))
    props = g("properties")
    _properties(c, _undoubled(props if not pa.types.is_null(props.type) else g("request_properties")))
    _prompt(conv, _undoubled(g("request_body")))
    _read_scores(conv, g, scores)

    conv.mark_unrecognized(conv.has_usage | failed | col.non_empty(c["request_id"]), wrapped=False)
    return conv


FORMAT = register(
    _scores.configurable(
        tabular.tabular_format(
            "helicone",
            "Helicone request export (JSON Lines, CSV or Parquet)",
            sniff=sniff,
            sniff_bytes=sniff_bytes,
            convert=convert,
            plan=PLAN,
            json_schema=json_schema,
            normalizer=normalizer,
        ),
        convert,
    )
)
