"""Tabular inputs for the formats that read exports: Parquet, CSV, and JSON Lines by content.

- ``read_by_content`` is what a tabular format's ``read_tables`` does: Parquet by its magic
  bytes, JSON Lines by the first non-blank byte (a JSON array file was already split into
  lines by the reader), CSV otherwise, streamed by ``generic_csv.CsvReader``.
- ``SourceColumns``: the plan of a format that keeps its export's own column names (the
  generic format's plan is its mapping), for CSV and Parquet alike.
- ``json_values`` parses JSON held as text in a column (a CSV cell, a Parquet string
  column) for the whole column at once with pyarrow's JSON reader.
- Small whole-column helpers these formats share: blank text as null, tags from a list or
  a JSON list held as text, ``key:value`` tags, milliseconds between two timestamp columns,
  message content given as text or as content blocks (typed from the sample, flattened).

Parquet is streamed by ``llmaudit.ingest.parquet``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, BinaryIO, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from llmaudit.errors import InputError
from llmaudit.ingest import columns as col
from llmaudit.ingest.formats._common import MESSAGES, content_text
from llmaudit.ingest.formats.generic_csv import CsvReader, peek
from llmaudit.ingest.formats.generic_mapping import ColumnMapping
from llmaudit.ingest.jsonl import TABLE_CHUNK_BYTES, Normalizer, ParsedChunk, parse_chunk, sampled_chunks
from llmaudit.ingest.parallel import ordered_map
from llmaudit.ingest.parquet import ColumnPlan, is_parquet, is_text, read_parquet
from llmaudit.ingest.registry import ConvertFn, LogFormat
from llmaudit.schema import TAG_SEPARATOR

SAMPLE_RECORDS: Final = 1000
SAMPLE_BYTES: Final = 1 << 20
_PARSE_ERRORS: Final = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


@dataclass(frozen=True)
class SourceColumns:
    """A format's own column names, matched exactly, then ignoring case; output keeps ``names``' spelling.

    ``required``: at least one of these must be in the header, else the file is not this
    format's export (``InputError`` listing the header).
    """

    format: str
    names: tuple[str, ...]
    numbers: frozenset[str] = frozenset()
    required: tuple[str, ...] = ()
    source: str = "<input>"

    def columns(self, names: list[str]) -> dict[str, str]:
        exact = set(names)
        lower: dict[str, str] = {}
        for name in names:
            lower.setdefault(name.lower(), name)
        found = {n: n if n in exact else lower[n.lower()] for n in self.names if n in exact or n.lower() in lower}
        if self.required and not any(r in found for r in self.required):
            shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
            wanted = ", ".join(self.required)
            raise InputError(
                f"{self.source}: not a {self.format} export: none of the columns {wanted} (columns: {shown})",
                hint="check --input-format, or describe your columns with --mapping FILE.yaml",
            )
        return found

    def is_number(self, name: str) -> bool:
        return name in self.numbers


class _PlanCsvReader(CsvReader):
    """The generic CSV streaming, keeping the columns a ``ColumnPlan`` names."""

    def __init__(self, plan: ColumnPlan, source: str) -> None:
        super().__init__(ColumnMapping(), source)
        self._plan = plan

    def columns(self, names: list[str]) -> dict[str, str]:
        return self._plan.columns(names)

    def is_number(self, name: str) -> bool:
        return self._plan.is_number(name)


# --- reading by content -----------------------------------------------------------


NormalizerFor = Callable[[pa.Schema], Normalizer]


def read_by_content(
    stream: BinaryIO,
    chunk_bytes: int,
    plan: ColumnPlan,
    json_schema: Callable[[Sequence[Mapping[str, Any]]], pa.Schema],
    normalizer: NormalizerFor | None = None,
) -> Iterator[ParsedChunk]:
    """Parquet, JSON Lines or CSV, told apart by the first bytes.

    JSON Lines are parsed against ``json_schema(sample)``, a schema typed from the first
    records (so a field logged as epoch numbers or as ISO text both keep the fast path);
    ``normalizer(schema)`` shapes the records of the per-line path to that schema.
    """
    source = str(getattr(stream, "name", None) or "<input>")
    if isinstance(plan, SourceColumns):
        plan = replace(plan, source=source)
    head, joined = peek(stream, chunk_bytes)
    table_bytes = min(chunk_bytes, TABLE_CHUNK_BYTES)  # CSV and Parquet hold far more rows per byte
    if is_parquet(head):
        yield from read_parquet(getattr(stream, "path", None), source, table_bytes, plan)
        return
    if head.lstrip()[:1] in (b"{", b"[") or not head.strip():
        yield from read_json_lines(joined, chunk_bytes, json_schema, normalizer)
    else:
        yield from _PlanCsvReader(plan, source).read(joined, table_bytes)


def read_json_lines(
    stream: BinaryIO,
    chunk_bytes: int,
    json_schema: Callable[[Sequence[Mapping[str, Any]]], pa.Schema],
    normalizer: NormalizerFor | None = None,
) -> Iterator[ParsedChunk]:
    """The chunked JSON Lines path with a schema typed from the file's first records.

    The sample is the first ``SAMPLE_RECORDS`` objects within the first ``SAMPLE_BYTES``
    bytes, whatever the chunk size, so the schema (and the result) never depends on it.
    """
    sample, chunks = sampled_chunks(stream, chunk_bytes, SAMPLE_RECORDS, SAMPLE_BYTES)
    schema = json_schema(sample)
    normalize = normalizer(schema) if normalizer is not None else None
    yield from ordered_map(lambda chunk: parse_chunk(chunk, schema, normalize), chunks)


def sample_kind(sample: Sequence[Mapping[str, Any]], key: str) -> str | None:
    """The JSON type of ``key`` in the sample ("bool", "number", "text", "list", "object"), first seen wins."""
    for record in sample:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, (int, float)):
            return "number"
        if isinstance(value, str):
            return "text"
        return "list" if isinstance(value, list) else "object"
    return None


# --- JSON inside a column ---------------------------------------------------------


def json_values(data: pa.Array, typ: pa.DataType | None = None) -> pa.Array:
    """A column that may hold JSON as text, as Arrow values: structs and lists pass through.

    Text is parsed for the whole column at once. With ``typ`` it is read as that type
    (object keys ``typ`` does not name are ignored); without, object keys are discovered and
    every value is kept as text. A null, blank or invalid JSON text, or one that does not fit
    ``typ``, gives null for its row (failing rows are isolated by bisection, so one bad row
    costs a few extra parses, not a per-row loop).
    """
    n = len(data)
    if pa.types.is_null(data.type):
        return pa.nulls(n, typ) if typ is not None else pa.nulls(n, pa.struct([]))
    if not is_text(data):
        return data
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(data.cast(pa.string()), r"[\r\n]+", " "))
    opener = "[" if typ is not None and pa.types.is_list(typ) else "{"
    ok = pc.fill_null(pc.starts_with(text, opener), False)
    wrapped = pc.binary_join_element_wise('{"v":', text, "}\n", "")
    lines = pc.if_else(ok, wrapped, pa.scalar("{}\n"))
    if typ is not None:
        return _parse_typed(lines, typ)
    length, fields = _parse_inferred(lines)
    if not fields:
        return pa.nulls(length, pa.struct([]))
    return pa.StructArray.from_arrays(list(fields.values()), names=list(fields))


def _read_lines(lines: pa.Array, schema: pa.Schema | None) -> pa.Table:
    offsets = pa.array([0, len(lines)], pa.int32())
    data = pc.binary_join(pa.ListArray.from_arrays(offsets, lines), "")[0].as_buffer()
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore" if schema else "infer")
    read = pj.ReadOptions(block_size=max(len(data), 1) + 1, use_threads=False)
    return pj.read_json(pa.BufferReader(data), read_options=read, parse_options=options)


def _parse_typed(lines: pa.Array, typ: pa.DataType) -> pa.Array:
    try:
        table = _read_lines(lines, pa.schema([("v", typ)]))
        return table.column("v").combine_chunks()
    except _PARSE_ERRORS:
        if len(lines) == 1:
            return pa.nulls(1, typ)
        mid = len(lines) // 2
        return pa.concat_arrays([_parse_typed(lines.slice(0, mid), typ), _parse_typed(lines.slice(mid), typ)])


def _parse_inferred(lines: pa.Array) -> tuple[int, dict[str, pa.Array]]:
    """Row count and, per discovered key, its values as text (nested values give null)."""
    n = len(lines)
    try:
        table = _read_lines(lines, None)
    except _PARSE_ERRORS:
        if n == 1:
            return 1, {}
        mid = n // 2
        parts = [_parse_inferred(lines.slice(0, mid)), _parse_inferred(lines.slice(mid))]
        names = list(dict.fromkeys(name for _, fields in parts for name in fields))
        merged = {
            name: pa.concat_arrays([fields.get(name, pa.nulls(length, pa.string())) for length, fields in parts])
            for name in names
        }
        return n, merged
    value = table.column("v").combine_chunks() if "v" in table.column_names else pa.nulls(n)
    if not pa.types.is_struct(value.type):
        return n, {}
    return n, {value.type.field(i).name: col.strings(pc.struct_field(value, i)) for i in range(value.type.num_fields)}


def blank_to_null(arr: pa.Array) -> pa.Array:
    """Text with empty or whitespace-only values as null (exports write "" for "absent")."""
    text = col.strings(arr)
    return pc.if_else(pa.array(col.non_empty(text)), text, pa.scalar(None, pa.string()))


def first_of(*arrays: pa.Array) -> pa.Array:
    """Row-wise first non-blank text."""
    return col.coalesce(*(blank_to_null(a) for a in arrays))


def tag_text(arr: pa.Array) -> pa.Array:
    """Tags joined by the tag separator, from a list, a JSON list as text, or a comma-separated string."""
    if not is_text(arr):
        return col.tags(arr)
    text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    as_json = col.tags(json_values(text, pa.list_(pa.string())))
    is_list = pc.fill_null(pc.starts_with(text, "["), False)
    return pc.if_else(is_list, as_json, col.tags(text))


def join_tags(*parts: pa.Array) -> pa.Array:
    """Row-wise join of tag texts (each already joined) by the tag separator; null when none."""
    # null_handling="skip" drops rows whose parts are all null (pyarrow 26), so nulls are
    # replaced by "" and the separators they leave are removed.
    texts = [col.strings(p) for p in parts]
    joined = pc.binary_join_element_wise(*texts, TAG_SEPARATOR, null_handling="replace", null_replacement="")
    sep = "\\" + TAG_SEPARATOR
    joined = pc.utf8_trim(pc.replace_substring_regex(joined, f"{sep}{{2,}}", TAG_SEPARATOR), TAG_SEPARATOR)
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def tag_value(tags: pa.Array, key: str) -> pa.Array:
    """The value of the first ``key:value`` tag in a joined tag text, else null."""
    found = pc.extract_regex(col.strings(tags), rf"(?:^|\{TAG_SEPARATOR}){key}:(?P<value>[^{TAG_SEPARATOR}]+)")
    return blank_to_null(pc.struct_field(found, "value"))


def ms_between(start: pd.DatetimeIndex, end: pd.DatetimeIndex) -> np.ndarray:
    """``end - start`` in milliseconds, NaN where either is missing."""
    delta = (end - start).to_numpy(dtype="timedelta64[ns]")
    out = delta.astype(np.int64) / 1e6
    out[np.isnat(delta)] = np.nan
    return out


# --- message content given as text or as content blocks ----------------------------

BLOCKS: Final = pa.list_(pa.struct([("type", pa.string()), ("text", pa.string())]))
BLOCK_MESSAGES: Final = pa.list_(pa.struct([("role", pa.string()), ("content", BLOCKS)]))


def messages_type(lists: Iterable[Any]) -> pa.DataType:
    """The message list type the sampled ``lists`` show: content as text, or as content blocks.

    The first message content seen decides; a file that mixes both reads the other kind
    through the per-line path, whose normalizer flattens blocks to text.
    """
    for messages in lists:
        for message in messages if isinstance(messages, list) else ():
            content = message.get("content") if isinstance(message, dict) else None
            if isinstance(content, list):
                return BLOCK_MESSAGES
            if isinstance(content, str):
                return MESSAGES
    return MESSAGES


def text_type(values: Iterable[Any]) -> pa.DataType:
    """Text, or content blocks when the first sampled value is a list (Anthropic's ``system``)."""
    for value in values:
        if isinstance(value, list):
            return BLOCKS
        if value is not None:
            return pa.string()
    return pa.string()


def block_text(arr: pa.Array) -> pa.Array:
    """Text of a field given as text or as a list of content blocks (their ``text`` joined by newlines)."""
    if pa.types.is_list(arr.type) and pa.types.is_struct(arr.type.value_type):
        return col.join_items(arr, col.get(arr.values, "text"))
    return col.strings(arr)


def flat_messages(messages: pa.Array) -> pa.Array:
    """A message list whose content may be content blocks, with each content as text."""
    if not (pa.types.is_list(messages.type) and pa.types.is_struct(messages.type.value_type)):
        return messages
    items = messages.values
    content = col.get(items, "content")
    if not pa.types.is_list(content.type):
        return messages
    flat = pa.StructArray.from_arrays([col.strings(col.get(items, "role")), block_text(content)], ["role", "content"])
    return pa.ListArray.from_arrays(messages.offsets, flat, mask=messages.is_null())


def is_blocks(typ: pa.DataType | None) -> bool:
    """Whether a text-or-blocks field (or a message list's content) was typed as content blocks."""
    if typ is not None and pa.types.is_list(typ) and pa.types.is_struct(typ.value_type):
        content = typ.value_type.get_field_index("content")
        return content < 0 or is_blocks(typ.value_type.field(content).type)
    return False


def shape_text(value: Any, blocks: bool) -> Any:
    """Per-line path: text or content blocks, as the schema typed the field."""
    if not blocks:
        return content_text(value)
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    if isinstance(value, list):
        return [{"type": "text", "text": v} if isinstance(v, str) else v for v in value]
    return value


def shape_messages(messages: Any, blocks: bool) -> Any:
    """Per-line path: each message's content as text or blocks, as the schema typed it."""
    if not isinstance(messages, list):
        return messages
    return [{**m, "content": shape_text(m.get("content"), blocks)} if isinstance(m, dict) else m for m in messages]


_STRING_CONTENT: Final = r'"(content|system)"\s*:\s*("(?:[^"\\]|\\.)*")'


def content_as_blocks(text: pa.Array) -> pa.Array:
    """JSON text with every string ``content``/``system`` value rewritten as one text block.

    Message lists held as text often mix string content and content blocks; rewritten, they
    all parse as ``BLOCK_MESSAGES`` (then ``flat_messages``), whole-column.
    """
    return pc.replace_substring_regex(col.strings(text), _STRING_CONTENT, r'"\1": [{"type": "text", "text": \2}]')


def tabular_format(
    name: str,
    title: str,
    *,
    sniff: Callable[[Mapping[str, Any]], bool],
    sniff_bytes: Callable[[bytes | bytearray], bool],
    convert: ConvertFn,
    plan: ColumnPlan,
    json_schema: Callable[[Sequence[Mapping[str, Any]]], pa.Schema],
    normalizer: NormalizerFor,
    aliases: tuple[str, ...] = (),
) -> LogFormat:
    """A format that reads its export as JSON Lines, CSV or Parquet (``read_by_content``)."""
    return LogFormat(
        name=name,
        title=title,
        schema=json_schema(()),
        sniff=sniff,
        convert=convert,
        normalize=normalizer(json_schema(())),
        aliases=aliases,
        read_tables=functools.partial(read_by_content, plan=plan, json_schema=json_schema, normalizer=normalizer),
        sniff_bytes=sniff_bytes,
    )
