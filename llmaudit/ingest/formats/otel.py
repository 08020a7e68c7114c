"""OpenTelemetry GenAI spans: OTLP/JSON exports or flat attribute records (``otel``).

Each model-call span is one request (see ``_otlp`` for the file shapes and how spans map
to lines). Attribute names follow the GenAI semantic conventions; deprecated names and
the aliases some emitters use are read too (the first present wins, in the order below):

=====================  ==================================================================
canonical              span attribute (OTLP span field)
=====================  ==================================================================
model                  gen_ai.response.model, else gen_ai.request.model
provider               gen_ai.provider.name, else gen_ai.system (deprecated)
input_tokens           gen_ai.usage.input_tokens, gen_ai.usage.prompt_tokens (deprecated)
output_tokens          gen_ai.usage.output_tokens, gen_ai.usage.completion_tokens (depr.)
cache_read_tokens      gen_ai.usage.cache_read.input_tokens, ...cache_read_input_tokens,
                       ...cache_read_tokens, ...input_tokens.cached, ...cached_tokens,
                       ...cached_input_tokens (all under gen_ai.usage.)
cache_write_tokens     gen_ai.usage.cache_creation.input_tokens, ...cache_creation_input_tokens,
                       ...cache_creation_tokens, ...cache_write.input_tokens (the name the
                       conventions now use; opentelemetry-util-genai and the Anthropic
                       SDK's tracing emit it), ...cache_write_input_tokens,
                       ...cache_write_tokens, ...input_tokens.cache_write / .cache_creation
reasoning_tokens       gen_ai.usage.reasoning.output_tokens, ...output_tokens.reasoning,
                       ...reasoning_tokens
request_id             gen_ai.response.id, else traceId:spanId (flat: trace_id:span_id)
timestamp, latency_ms  startTimeUnixNano; endTimeUnixNano - startTimeUnixNano (flat records:
                       start_time/startTime/timestamp, end_time/endTime; epoch or ISO)
ttft_ms                gen_ai.response.time_to_first_chunk (seconds) x 1000
status, error_type     error when the span status is ERROR (status.code 2; flat records:
                       status_code or otel.status_code) or error.type is set; error.type
finish_reason          gen_ai.response.finish_reasons (the first)
session                gen_ai.conversation.id, else session.id
user                   user.id, else enduser.id (deprecated)
project                service.name (resource attribute)
tags                   env:<deployment.environment.name or deployment.environment>
pricing_mode           openai.response/request.service_tier (flex, priority), else standard
max_output_tokens      gen_ai.request.max_tokens
source_cost_usd        gen_ai.usage.cost (OpenLIT's attribute; not in the conventions)
prompt_text            gen_ai.system_instructions, gen_ai.input.messages (opt-in; JSON text
                       or, in flat records, the structure: "role: text" lines, text parts
                       only; the raw JSON if it does not parse), gen_ai.prompt (deprecated)
user_text, turns       the last user message; the number of input messages
=====================  ==================================================================

**Which spans are requests.** ``chat``, ``text_completion``, ``generate_content`` and
``embeddings`` operations are; agent and tool spans (``invoke_agent``, ``create_agent``,
``execute_tool``, ``retrieval``, ``invoke_workflow``) are not, even when they carry
usage, since an agent span's usage sums its model calls'. A span with another or no
operation name is a request when it names a model or carries token usage. Spans that
share a ``gen_ai.response.id`` (the same call seen by two instrumentation layers) are
one request: the reader drops the repeats as duplicates.

**Inclusive counts.** The conventions say ``gen_ai.usage.input_tokens`` includes cache
reads and writes and ``output_tokens`` includes reasoning, and most emitters comply, but
Anthropic integrations have reported Anthropic's exclusive ``input_tokens`` (and some
Gemini ones candidates without thoughts). An inclusive count is never below its parts,
so a row whose cache reads + writes exceed its (non-zero) input proves its emitter
exclusive; every row of that emitter (same instrumentation scope, ``service.name`` and
provider, within a chunk) then gets the cached parts added to its input. The same rule
adds reasoning to output (reasoning above the output proves it). Rows changed only
because another row of their emitter proved it are counted in the
``otel_exclusive_inferred`` warning (one corrupt row should not re-price an emitter
unseen). Exclusive rows of an emitter that never shows such a row cannot be told apart
and are read as inclusive.
There is no 1-hour cache-write attribute: writes are priced at the 5-minute rate.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Mapping
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from llmaudit.ingest import columns as col
from llmaudit.ingest.formats import _otlp
from llmaudit.ingest.formats._common import NUM, STR
from llmaudit.ingest.registry import Converted, LogFormat, register

_U: Final = "gen_ai.usage."
INPUT: Final = (_U + "input_tokens", _U + "prompt_tokens")
OUTPUT: Final = (_U + "output_tokens", _U + "completion_tokens")
CACHE_READ: Final = tuple(
    _U + k
    for k in (
        "cache_read.input_tokens", "cache_read_input_tokens", "cache_read_tokens",
        "input_tokens.cached", "cached_tokens", "cached_input_tokens",
    )
)  # fmt: skip
CACHE_WRITE: Final = tuple(
    _U + k
    for k in (
        "cache_creation.input_tokens", "cache_creation_input_tokens", "cache_creation_tokens",
        "cache_write.input_tokens", "cache_write_input_tokens", "cache_write_tokens",
        "input_tokens.cache_write", "input_tokens.cache_creation",
    )
)  # fmt: skip
REASONING: Final = (_U + "reasoning.output_tokens", _U + "output_tokens.reasoning", _U + "reasoning_tokens")
MODEL: Final = ("gen_ai.response.model", "gen_ai.request.model")
PROVIDER: Final = ("gen_ai.provider.name", "gen_ai.system")
TIERS: Final = tuple(f"{p}openai.{side}.service_tier" for side in ("response", "request") for p in ("", "gen_ai."))
ENVIRONMENT: Final = ("deployment.environment.name", "deployment.environment")
START: Final = ("startTimeUnixNano", "start_time", "startTime", "timestamp")
END: Final = ("endTimeUnixNano", "end_time", "endTime")
STATUS: Final = ("status.code", "status_code", "otel.status_code")
SCOPE: Final = ("otel.scope.name", "otel.library.name")
_TEXT_KEYS: Final = (
    *MODEL, *PROVIDER, *TIERS, *ENVIRONMENT, *SCOPE,
    "gen_ai.operation.name", "gen_ai.response.id", "gen_ai.conversation.id", "session.id",
    "user.id", "enduser.id", "error.type", "service.name",
    "gen_ai.input.messages", "gen_ai.system_instructions", "gen_ai.prompt",
)  # fmt: skip
_NUMBER_KEYS: Final = (
    *INPUT, *OUTPUT, *CACHE_READ, *CACHE_WRITE, *REASONING,
    "gen_ai.request.max_tokens", "gen_ai.usage.cost", "gen_ai.response.time_to_first_chunk",
)  # fmt: skip
# The attributes read, by key, with the type each is read as.
# (string[] attributes are read as lists: a flat record's single string is taken as one item.)
ATTRIBUTES: Final[dict[str, pa.DataType]] = {
    **dict.fromkeys(_TEXT_KEYS, STR),
    **dict.fromkeys(_NUMBER_KEYS, NUM),
    "gen_ai.response.finish_reasons": pa.list_(STR),
}

CALLS: Final = ("chat", "text_completion", "generate_content", "embeddings")
NOT_CALLS: Final = ("invoke_agent", "create_agent", "execute_tool", "retrieval", "invoke_workflow")
_ERROR_CODES: Final = ("2", "error", "status_code_error")
_MODES: Final = ("flex", "priority", "batch")
_PART: Final = pa.struct([("type", STR), ("content", STR)])
_MESSAGE: Final = pa.struct([("role", STR), ("content", STR), ("parts", pa.list_(_PART))])


class _Columns:
    """Columns of a span table by attribute name (a dotted name is one field, never a path)."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.n = table.num_rows
        self._combined: dict[str, pa.Array] = {}  # each column joined into one array once

    def each(self, names: tuple[str, ...]) -> list[pa.Array]:
        present = [name for name in names if name in self.table.column_names]
        for name in present:
            if name not in self._combined:
                self._combined[name] = self.table.column(name).combine_chunks()
        return [self._combined[name] for name in present]

    def text(self, *names: str) -> pa.Array:
        present = [col.strings(a) for a in self.each(names)]
        return col.coalesce(*present) if present else pa.nulls(self.n, STR)

    def number(self, *names: str) -> np.ndarray:
        out = np.full(self.n, np.nan)
        for values in self.each(names):
            out = np.where(np.isnan(out), col.floats(values), out)
        return out


def sniff(record: Mapping[str, Any]) -> bool:
    return "resourceSpans" in record or any(isinstance(k, str) and k.startswith("gen_ai.") for k in record)


def sniff_bytes(head: bytes | bytearray) -> bool:
    """A pretty-printed OTLP/JSON document (no line of it is a whole JSON object)."""
    return head.lstrip()[:1] == b"{" and b'"resourceSpans"' in head


def is_request(table: pa.Table) -> np.ndarray:
    """Which spans are model calls (see the module docstring)."""
    f = _Columns(table)
    operation = pc.utf8_lower(f.text("gen_ai.operation.name"))
    call = np.asarray(pc.fill_null(pc.is_in(operation, pa.array(CALLS)), False))
    other = ~np.asarray(pc.fill_null(pc.is_in(operation, pa.array(NOT_CALLS)), False))
    usage = ~np.isnan(f.number(*INPUT, *OUTPUT))
    return call | (other & (col.non_empty(f.text(*MODEL)) | usage))


def _emitter_key(f: _Columns) -> np.ndarray:
    """Who emitted each span: instrumentation scope, service and provider."""
    parts = [pc.fill_null(f.text(*names), "") for names in (SCOPE, ("service.name",), PROVIDER)]
    return np.asarray(pc.binary_join_element_wise(*parts, "\x1f"), dtype=object)


def _inclusive(f: _Columns, total: np.ndarray, parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``total`` made to include ``parts`` where it is known to leave them out, and the
    rows changed only on another row's evidence.

    An inclusive total is never below its parts: such a row is fixed, and if its total
    was reported (not 0 or missing) it proves its emitter exclusive, so every row of
    that emitter gets the parts added.
    """
    short = parts > np.nan_to_num(total)
    proof = short & (total > 0)
    inferred = np.zeros(len(total), dtype=bool)
    if proof.any():
        proof = pd.Series(proof).groupby(_emitter_key(f)).transform("any").to_numpy(dtype=bool)
        inferred = proof & ~short & (parts > 0)  # rows the addition changes without proving it
    return np.where(short | proof, np.nan_to_num(total) + parts, total), inferred


def _tokens(f: _Columns) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Canonical (inclusive) token columns (NaN where absent), and the rows whose convention was inferred."""
    read, write, reasoning = f.number(*CACHE_READ), f.number(*CACHE_WRITE), f.number(*REASONING)
    inputs, inferred_in = _inclusive(f, f.number(*INPUT), np.nan_to_num(read) + np.nan_to_num(write))
    outputs, inferred_out = _inclusive(f, f.number(*OUTPUT), np.nan_to_num(reasoning))
    tokens = {
        "input_tokens": inputs,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "cache_write_1h_tokens": np.full(f.n, np.nan),
        "output_tokens": outputs,
        "reasoning_tokens": reasoning,
    }
    return tokens, inferred_in | inferred_out


def _times(f: _Columns, names: tuple[str, ...]) -> pd.DatetimeIndex:
    """UTC times from the first field present: epoch nanoseconds (OTLP, exact), ISO text, or
    epoch numbers in other units."""
    out = pd.DatetimeIndex(np.full(f.n, np.datetime64("NaT", "ns")), tz="UTC")
    for values in f.each(names):
        if pa.types.is_string(values.type):
            with contextlib.suppress(pa.ArrowInvalid, pa.ArrowNotImplementedError):
                values = pc.cast(values, pa.int64())  # decimal text (OTLP/JSON writes int64 so)
        if pa.types.is_integer(values.type):
            nanos = np.asarray(pc.fill_null(values.cast(pa.int64()), 0), dtype=np.int64)
            approx = np.where(np.asarray(values.is_valid()), nanos.astype(np.float64), np.nan)
            stamps = col.timestamps(pa.array(approx))  # col.floats refuses ints beyond 2**53
            exact = nanos > 10**17  # epoch nanoseconds: keep every digit
            stamps = stamps.where(~exact, pd.DatetimeIndex(nanos.view("datetime64[ns]")).tz_localize("UTC"))
        else:
            stamps = col.timestamps(values)
        out = out.where(~out.isna(), stamps)
    return out


def _json_lists(text: pa.Array, item: pa.DataType) -> pa.Array | None:
    """JSON arrays held as text, parsed in one pyarrow pass; None if any does not parse."""
    valid = col.non_empty(text)
    if not valid.any():
        return None
    one_line = pc.replace_substring(pc.replace_substring(text.filter(pa.array(valid)), "\r", " "), "\n", " ")
    docs = pc.binary_join_element_wise(pa.scalar('{"m":'), one_line, pa.scalar("}\n"), "")
    whole = pa.ListArray.from_arrays(pa.array([0, len(docs)], pa.int32()), docs)
    data = pc.binary_join(whole, "")[0].as_buffer()
    schema = pa.schema([("m", pa.list_(item))])
    try:
        parsed = (
            pj.read_json(
                pa.BufferReader(data),
                read_options=pj.ReadOptions(block_size=data.size + 1, use_threads=False),
                parse_options=pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore"),
            )
            .column("m")
            .combine_chunks()
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None
    if len(parsed) != int(valid.sum()):
        return None
    position = np.cumsum(valid) - 1
    return parsed.take(pa.array(np.where(valid, position, 0), mask=~valid))


def _part_text(parts: pa.Array) -> pa.Array:
    """Per list of parts, the content of its text parts joined by newlines."""
    if not pa.types.is_list(parts.type):
        return pa.nulls(len(parts), STR)
    kind = col.strings(col.get(parts.values, "type"))
    text = np.asarray(pc.fill_null(pc.equal(kind, "text"), True))  # untyped parts are taken as text
    return col.join_items(parts, col.get(parts.values, "content"), "\n", keep=text)


def _lists(f: _Columns, name: str, item: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """A structured attribute: as text, and as a list array (parsed if it came as JSON
    text, the recommended form on spans; None if it does not parse)."""
    for values in f.each((name,)):
        if pa.types.is_list(values.type):
            return pa.nulls(f.n, STR), values  # a flat record with the structure itself
    text = f.text(name)
    return text, _json_lists(text, item)


def _prompt(f: _Columns, c: dict[str, Any]) -> None:
    """Prompt text, turns, system and user text from the opt-in content attributes."""
    raw_instructions, parts = _lists(f, "gen_ai.system_instructions", _PART)
    instructions = raw_instructions if parts is None else _part_text(parts)
    raw, messages = _lists(f, "gen_ai.input.messages", _MESSAGE)
    if messages is None:
        messages_text, c["system_text"] = raw, instructions  # unparsed: the JSON as it is
    else:
        items = messages.values
        body = col.coalesce(col.strings(col.get(items, "content")), _part_text(col.get(items, "parts")))
        plain = col.relist(messages, pa.StructArray.from_arrays([col.get(items, "role"), body], ["role", "content"]))
        messages_text, c["turns"] = col.join_messages(plain)
        c["user_text"] = col.last_role_text(plain, "user")
        c["system_text"] = col.join_text(instructions, col.role_texts(plain, ("system", "developer")))
    c["prompt_text"] = col.join_text(
        col.prefix_text("system", instructions), messages_text, col.prefix_text("user", f.text("gen_ai.prompt"))
    )


def _first_reason(f: _Columns) -> pa.Array:
    """The first finish reason: from a list, or from a list written as JSON text."""
    for values in f.each(("gen_ai.response.finish_reasons",)):
        if pa.types.is_list(values.type):
            return col.strings(col.first_of_list(values))
        return pc.replace_substring_regex(col.strings(values), r'^\[\s*"?([^",\]]*)"?.*$', r"\1")
    return pa.nulls(f.n, STR)


def convert(table: pa.Table, request: pa.Array | None) -> Converted:
    """Model-call spans to canonical columns; the span reader (``_otlp.read_tables``) has
    already skipped every other span as ``not_a_request``."""
    n = table.num_rows
    f = _Columns(table)
    conv = Converted(n)
    c = conv.columns
    tokens, inferred = _tokens(f)
    c.update(tokens)
    if inferred.any():
        conv.warnings["otel_exclusive_inferred"] = inferred
    conv.has_usage = ~np.isnan(c["input_tokens"]) | ~np.isnan(c["output_tokens"])
    c["model"] = f.text(*MODEL)
    c["provider"] = f.text(*PROVIDER)
    span = pc.binary_join_element_wise(f.text("traceId", "trace_id"), f.text("spanId", "span_id"), ":")
    c["request_id"] = col.coalesce(f.text("gen_ai.response.id"), span)
    start, end = _times(f, START), _times(f, END)
    c["timestamp"] = start
    c["latency_ms"] = ((end - start) / pd.Timedelta(milliseconds=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    c["ttft_ms"] = f.number("gen_ai.response.time_to_first_chunk") * 1000
    error_type = f.text("error.type")
    code = pc.utf8_lower(f.text(*STATUS))
    failed = np.asarray(pc.fill_null(pc.is_in(code, pa.array(_ERROR_CODES)), False)) | col.non_empty(error_type)
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok"))
    c["error_type"] = error_type
    c["finish_reason"] = _first_reason(f)
    c["session"] = f.text("gen_ai.conversation.id", "session.id")
    c["user"] = f.text("user.id", "enduser.id")
    c["project"] = f.text("service.name")
    environment = f.text(*ENVIRONMENT)
    tagged = pc.binary_join_element_wise(pa.scalar("env"), environment, ":")
    c["tags"] = col.tags(pc.if_else(pa.array(col.non_empty(environment)), tagged, pa.scalar(None, STR)))
    tier = pc.utf8_lower(f.text(*TIERS))
    c["pricing_mode"] = pc.fill_null(pc.if_else(pc.is_in(tier, pa.array(_MODES)), tier, "standard"), "standard")
    c["max_output_tokens"] = f.number("gen_ai.request.max_tokens")
    c["source_cost_usd"] = f.number("gen_ai.usage.cost")
    _prompt(f, c)
    return conv


def configure(settings: Mapping[str, Any]) -> LogFormat:
    """The format with its span reader bound. It is bound here, as the generic format binds
    its reader, rather than at registration, so that JSON detection considers the format
    whether or not detection passes over formats that read their own bytes."""
    return dataclasses.replace(
        FORMAT, configure=None, read_tables=functools.partial(_otlp.read_tables, ATTRIBUTES, is_request)
    )


FORMAT = register(
    LogFormat(
        name="otel",
        title="OpenTelemetry GenAI spans (OTLP/JSON exports, or flat attribute records)",
        schema=_otlp.flat_schema(ATTRIBUTES),
        sniff=sniff,
        convert=convert,
        aliases=("opentelemetry",),
        configure=configure,
        sniff_bytes=sniff_bytes,
    )
)
