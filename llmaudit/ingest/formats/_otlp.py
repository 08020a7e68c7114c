"""Reading OpenTelemetry span files for the ``otel`` format: one table row per span.

Three shapes are told apart by the first non-blank line of a file:

- **OTLP/JSON lines** (the collector's file exporter): one ``ExportTraceServiceRequest``
  (``{"resourceSpans": [...]}``) per line. Each chunk is parsed by pyarrow against the
  OTLP schema, then flattened with whole-array operations: ``list_flatten`` and
  ``list_parent_indices`` walk resourceSpans -> scopeSpans -> spans, and the key/value
  attribute lists (span and resource) are pivoted into one column per wanted key.
- **An OTLP/JSON document** spread over many lines (pretty-printed): read whole (one
  export request is bounded by the exporter's batch size), newlines folded into spaces
  (JSON strings never hold a raw newline), and read as one line, line 1.
- **Flat attribute records**: one span per line with the attribute keys at top level
  (``{"gen_ai.request.model": ..., "gen_ai.usage.input_tokens": ...}``); dotted keys are
  field names, never paths. Parsed like any JSON Lines file (the file's own shape first).

OTLP/JSON writes 64-bit integers (``intValue``, ``startTimeUnixNano``) as decimal strings
and enums (``status.code``) as integers; exporters that write numbers instead are read by
a second schema, and anything else by the per-line parser (which coerces both to text).

Accounting: a span that is not a model call (``is_request`` false: not a GenAI span, or
an agent/tool span) is not a request and leaves no trace. Every model-call span is one
record whose ``source_line`` is its line, and "lines read" counts one per such span plus
one per line that yields none (skipped as ``not_a_request``), so parsed + skipped = read
still holds. Flat records are one span per line, so there lines are lines.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator, Mapping
from typing import BinaryIO, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from llmaudit.ingest import columns as col
from llmaudit.ingest.jsonl import Chunk, ExactShape, ParsedChunk, iter_chunks, parse_chunk
from llmaudit.ingest.parallel import ordered_map

STR: Final = pa.string()
NUM: Final = pa.float64()
RequestMask = Callable[[pa.Table], np.ndarray]

# Span fields kept beside the attributes; flat records may spell them these ways too.
SPAN_FIELDS: Final = (
    "traceId",
    "spanId",
    "name",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "status.code",
    "otel.scope.name",
)
FLAT_SPAN_FIELDS: Final = (
    "trace_id",
    "span_id",
    "start_time",
    "end_time",
    "startTime",
    "endTime",
    "timestamp",
    "status_code",
    "otel.status_code",
)


def otlp_schema(int64: pa.DataType, enum: pa.DataType) -> pa.Schema:
    """The part of ``ExportTraceServiceRequest`` read, with 64-bit ints and enums typed as given."""
    value = pa.struct(
        [
            ("stringValue", STR),
            ("intValue", int64),
            ("doubleValue", NUM),
            ("boolValue", pa.bool_()),
            ("arrayValue", pa.struct([("values", pa.list_(pa.struct([("stringValue", STR)])))])),
        ]
    )
    attributes = pa.list_(pa.struct([("key", STR), ("value", value)]))
    span = pa.struct(
        [
            ("traceId", STR),
            ("spanId", STR),
            ("name", STR),
            ("startTimeUnixNano", int64),
            ("endTimeUnixNano", int64),
            ("status", pa.struct([("code", enum)])),
            ("attributes", attributes),
        ]
    )
    scope_spans = pa.struct([("scope", pa.struct([("name", STR)])), ("spans", pa.list_(span))])
    resource_spans = pa.struct(
        [("resource", pa.struct([("attributes", attributes)])), ("scopeSpans", pa.list_(scope_spans))]
    )
    return pa.schema([("resourceSpans", pa.list_(resource_spans))])


SPEC: Final = otlp_schema(STR, pa.int64())  # as the OTLP/JSON spec writes them
NUMERIC: Final = otlp_schema(pa.int64(), pa.int64())  # exporters that write 64-bit ints as numbers
LOOSE: Final = otlp_schema(STR, STR)  # the per-line parser: numbers and enum names become text


class _Variants(ExactShape):
    """Tries each OTLP schema on a whole chunk before the per-line parser is used."""

    def __init__(self, schemas: tuple[pa.Schema, ...]) -> None:
        super().__init__(schemas[0])
        self.schemas = schemas

    def parse(self, data: bytes | bytearray) -> pa.Table | None:
        options = pj.ReadOptions(block_size=len(data) + 1, use_threads=False)
        for schema in self.schemas:
            parse = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
            try:
                return pj.read_json(pa.BufferReader(data), read_options=options, parse_options=parse)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
                continue
        return None


def flat_schema(attributes: Mapping[str, pa.DataType]) -> pa.Schema:
    """The reading schema of flat records: the wanted attribute keys and span fields, by name."""
    names = [*attributes, *(f for f in (*SPAN_FIELDS, *FLAT_SPAN_FIELDS) if f not in attributes)]
    return pa.schema([(name, attributes.get(name, STR)) for name in names])


def read_tables(
    attributes: Mapping[str, pa.DataType], is_request: RequestMask, stream: BinaryIO, chunk_bytes: int
) -> Iterator[ParsedChunk]:
    """Span tables (one row per model-call span) from an OTLP/JSON or flat-record file."""
    chunks = iter_chunks(stream, chunk_bytes)
    first = next(chunks, None)
    if first is None:
        return
    first_line = _first_line(first.data)
    rest: Iterator[Chunk] = chunks
    if _opens_document(first_line):
        data = first.data + b"".join(c.data for c in chunks)
        first, rest = Chunk(data.replace(b"\r", b" ").replace(b"\n", b" ").strip() + b"\n", 1, 1), iter(())
        first_line = first.data
    if b'"resourceSpans"' in first_line:
        shape: ExactShape | None = _Variants((SPEC, NUMERIC))

        def parse(chunk: Chunk) -> ParsedChunk:
            return _spans_of(parse_chunk(chunk, LOOSE, None, shape), attributes, is_request)

    else:
        schema = flat_schema(attributes)
        shape = ExactShape.infer(first.data)

        def parse(chunk: Chunk) -> ParsedChunk:
            return _requests_of(parse_chunk(chunk, schema, None, shape), is_request)

    yield from ordered_map(parse, itertools.chain([first], rest))


def _first_line(data: bytes | bytearray) -> bytes | bytearray:
    """The first non-blank line, stripped."""
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        end = len(data) if end < 0 else end
        if data[start:end].strip():
            return data[start:end].strip()
        start = end + 1
    return b""


def _opens_document(line: bytes | bytearray) -> bool:
    """The first line of a pretty-printed JSON document rather than a whole JSON Lines record."""
    if not line.startswith(b"{") or not line.endswith((b"{", b"[")):
        return False
    try:
        json.loads(line)
    except ValueError:
        return True
    return False


def _requests_of(parsed: ParsedChunk, is_request: RequestMask) -> ParsedChunk:
    """Flat records: rows that are not model calls are skipped as ``not_a_request``."""
    if not parsed.table.num_rows:
        return parsed
    keep = is_request(parsed.table)
    _skip_all(parsed, parsed.lines[~keep])
    parsed.table = parsed.table.filter(pa.array(keep))
    parsed.lines = parsed.lines[keep]
    return parsed


def _spans_of(parsed: ParsedChunk, attributes: Mapping[str, pa.DataType], is_request: RequestMask) -> ParsedChunk:
    """OTLP batches to one row per model-call span; a line with none is ``not_a_request``."""
    table, span_line = flatten(parsed.table, attributes)
    lines = parsed.lines[span_line]
    keep = is_request(table) if table.num_rows else np.zeros(0, dtype=bool)
    kept_lines = lines[keep]
    empty = np.setdiff1d(parsed.lines, kept_lines)
    out = ParsedChunk(
        table.filter(pa.array(keep)),
        kept_lines,
        parsed.lines_read - len(parsed.lines) + len(kept_lines) + len(empty),
        parsed.skipped,
        parsed.details,
    )
    _skip_all(out, empty)
    return out


def _skip_all(parsed: ParsedChunk, lines: np.ndarray) -> None:
    if len(lines):
        parsed.skipped.setdefault("not_a_request", []).extend(lines.tolist())


def flatten(batches: pa.Table, attributes: Mapping[str, pa.DataType]) -> tuple[pa.Table, np.ndarray]:
    """One row per span of the ``resourceSpans`` batches, and each span's row in ``batches``.

    Columns: ``SPAN_FIELDS`` and, per wanted attribute key found on a span or its
    resource, that attribute (span attributes win over resource attributes).
    """
    resources = batches.column("resourceSpans").combine_chunks() if batches.num_rows else None
    if resources is None or not pa.types.is_list(resources.type):
        return pa.table({name: pa.nulls(0, STR) for name in SPAN_FIELDS}), np.zeros(0, dtype=np.int64)
    resource_row = np.asarray(pc.list_parent_indices(resources), dtype=np.int64)
    resource = pc.list_flatten(resources)
    scopes_lists = pc.struct_field(resource, "scopeSpans")
    scope_resource = np.asarray(pc.list_parent_indices(scopes_lists), dtype=np.int64)
    scopes = pc.list_flatten(scopes_lists)
    span_lists = pc.struct_field(scopes, "spans")
    span_scope = np.asarray(pc.list_parent_indices(span_lists), dtype=np.int64)
    span_resource = scope_resource[span_scope]
    spans = pc.list_flatten(span_lists)
    n = len(spans)

    status = pc.struct_field(spans, "status")
    columns: dict[str, pa.Array] = {
        name: pc.struct_field(spans, name) for name in ("traceId", "spanId", "name", "startTimeUnixNano")
    }
    columns["endTimeUnixNano"] = pc.struct_field(spans, "endTimeUnixNano")
    columns["status.code"] = col.strings(pc.struct_field(status, "code"))
    columns["otel.scope.name"] = pc.struct_field(pc.struct_field(scopes, "scope"), "name").take(pa.array(span_scope))
    own = _pivot(pc.struct_field(spans, "attributes"), n, attributes)
    shared = _pivot(pc.struct_field(pc.struct_field(resource, "resource"), "attributes"), len(resource), attributes)
    for name, values in shared.items():
        values = values.take(pa.array(span_resource))
        own[name] = col.coalesce(own[name], values) if name in own else values
    columns.update(own)
    return pa.table(columns), resource_row[span_resource]


def _pivot(lists: pa.Array, n: int, wanted: Mapping[str, pa.DataType]) -> dict[str, pa.Array]:
    """Key/value attribute lists (one per owner) to one column per wanted key present.

    The keys are dictionary-encoded once; each wanted key present then costs one integer
    comparison over the attributes. A key repeated on one owner keeps its last value.
    """
    owner = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    items = pc.list_flatten(lists)
    if not len(items):
        return {}
    encoded = pc.dictionary_encode(pc.struct_field(items, "key"))
    codes = np.asarray(pc.fill_null(encoded.indices, -1), dtype=np.int64)
    values = pc.struct_field(items, "value")
    keys = list(wanted)
    where = pc.index_in(pa.array(keys, STR), value_set=encoded.dictionary).to_pylist()
    out: dict[str, pa.Array] = {}
    for key, code in zip(keys, where, strict=True):
        if code is None:
            continue  # not in this chunk
        kind = wanted[key]
        found = np.flatnonzero(codes == code)
        position = np.full(n, -1, dtype=np.int64)
        position[owner[found]] = found
        present = position >= 0
        picked = values.take(pa.array(np.where(present, position, 0), mask=~present))
        out[key] = _number(picked) if pa.types.is_floating(kind) else _text(picked)
    return out


def _number(value: pa.Array) -> pa.Array:
    """An AnyValue as float64: ``intValue`` (text or number), ``doubleValue``, or numeric text."""
    number = col.floats(pc.struct_field(value, "intValue"))
    for name in ("doubleValue", "stringValue"):
        number = np.where(np.isnan(number), col.floats(pc.struct_field(value, name)), number)
    return pa.array(number, mask=np.isnan(number))


def _text(value: pa.Array) -> pa.Array:
    """An AnyValue as text: the string, a number or boolean rendered, or an array's first string."""
    first = col.first_of_list(pc.struct_field(pc.struct_field(value, "arrayValue"), "values"))
    parts = [pc.struct_field(value, name) for name in ("stringValue", "intValue", "doubleValue", "boolValue")]
    return col.coalesce(*[col.strings(p) for p in parts], col.strings(col.get(first, "stringValue")))
