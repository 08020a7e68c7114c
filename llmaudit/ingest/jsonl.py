"""JSON Lines to Arrow, fast and exact about line numbers.

The stream is cut into newline-aligned chunks (a few tens of MB) so memory stays
bounded. Each chunk is parsed by pyarrow's multithreaded JSON reader against the
format's explicit schema (fields we do not need are never materialized). If pyarrow
rejects the chunk (a malformed line, a field of an unexpected type, a line that is not
an object), the chunk is parsed again line by line in Python: good lines are kept,
bad ones are skipped with their reason and line number. The slow path runs only for
chunks that contain a problem.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final

import numpy as np
import pyarrow as pa
import pyarrow.json as pj

DEFAULT_CHUNK_BYTES: Final = 32 << 20
_BOM: Final = b"\xef\xbb\xbf"
_WS: Final = frozenset(b" \t\r\n\f\v")

Normalizer = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class Chunk:
    """Newline-aligned bytes and the 1-based number of their first line."""

    data: bytes
    first_line: int


def iter_chunks(stream: BinaryIO, chunk_bytes: int = DEFAULT_CHUNK_BYTES) -> Iterator[Chunk]:
    """Yield newline-aligned chunks; a line longer than ``chunk_bytes`` is kept whole."""
    carry = b""
    line = 1
    first = True
    while True:
        block = stream.read(chunk_bytes)
        if first:
            first = False
            if block.startswith(_BOM):
                block = block[len(_BOM) :]
        if not block:
            if carry:
                yield Chunk(carry, line)
            return
        data = carry + block
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
            continue
        body, carry = data[: cut + 1], data[cut + 1 :]
        yield Chunk(body, line)
        line += body.count(b"\n")


@dataclass
class ParsedChunk:
    """Rows that parsed, their line numbers, and the lines skipped by reason."""

    table: pa.Table
    lines: np.ndarray
    lines_read: int
    skipped: dict[str, list[int]] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)

    def skip(self, reason: str, line: int, detail: str | None = None) -> None:
        self.skipped.setdefault(reason, []).append(line)
        if detail and reason not in self.details:
            self.details[reason] = detail


def _layout(data: bytes) -> tuple[np.ndarray, np.ndarray, int]:
    """Line start offsets, a blank-line mask, and the longest line's length."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    ends = newlines if data.endswith(b"\n") else np.append(newlines, len(data))
    starts = np.concatenate(([0], newlines + 1))[: len(ends)]
    lengths = ends - starts
    blank = lengths == 0
    # A line of only whitespace is blank too; such lines are rare, so only lines whose
    # first byte is whitespace are examined one by one.
    if len(starts):
        first = buf[np.minimum(starts, max(len(buf) - 1, 0))]
        maybe = np.flatnonzero(~blank & np.isin(first, list(_WS)))
        for i in maybe:
            if not data[starts[i] : ends[i]].strip():
                blank[i] = True
    longest = int(lengths.max()) if len(lengths) else 0
    return starts, blank, longest


def parse_chunk(chunk: Chunk, schema: pa.Schema, normalize: Normalizer | None = None) -> ParsedChunk:
    """Parse one chunk against ``schema``; fall back to per-line parsing on any error."""
    starts, blank, longest = _layout(chunk.data)
    n_lines = len(starts)
    if n_lines == 0:
        return ParsedChunk(schema.empty_table(), np.zeros(0, dtype=np.int64), 0)
    if not chunk.data.isascii():
        # pyarrow does not validate UTF-8 inside strings; bad bytes must be found per line.
        try:
            chunk.data.decode("utf-8")
        except UnicodeDecodeError:
            return _parse_lines(chunk, schema, normalize, n_lines)
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="ignore")
    read = pj.ReadOptions(block_size=max(8 << 20, longest + 64), use_threads=True)
    try:
        table = pj.read_json(io.BytesIO(chunk.data), read_options=read, parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return _parse_lines(chunk, schema, normalize, n_lines)
    keep = np.flatnonzero(~blank)
    if table.num_rows != len(keep):
        return _parse_lines(chunk, schema, normalize, n_lines)
    result = ParsedChunk(table, chunk.first_line + keep, n_lines)
    for i in np.flatnonzero(blank):
        result.skip("blank_line", chunk.first_line + int(i))
    return result


class FieldTypeError(ValueError):
    """A value whose JSON type cannot be read as the schema's type."""

    def __init__(self, path: str, expected: str, got: object) -> None:
        super().__init__(f"field {path}: expected {expected}, got {type(got).__name__} {_short(got)}")
        self.path = path


def _short(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


def conform(value: Any, typ: pa.DataType, path: str) -> Any:
    """Coerce a decoded JSON value to ``typ`` losslessly, or raise ``FieldTypeError``.

    Strings accept any scalar (and keep objects/arrays as compact JSON) so that a
    non-essential field never costs a record; numbers accept numeric strings.
    """
    if value is None:
        return None
    if pa.types.is_struct(typ):
        if not isinstance(value, dict):
            raise FieldTypeError(path, "an object", value)
        return {f.name: conform(value.get(f.name), f.type, f"{path}.{f.name}") for f in typ}
    if pa.types.is_list(typ):
        if not isinstance(value, list):
            value = [value]
        return [conform(v, typ.value_type, f"{path}[]") for v in value]
    if pa.types.is_string(typ):
        if isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if pa.types.is_floating(typ):
        if isinstance(value, bool):
            raise FieldTypeError(path, "a number", value)
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise FieldTypeError(path, "a number", value) from None
        raise FieldTypeError(path, "a number", value)
    if pa.types.is_boolean(typ):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise FieldTypeError(path, "true or false", value)
    raise TypeError(f"schema type {typ} is not supported by conform()")


def _parse_lines(chunk: Chunk, schema: pa.Schema, normalize: Normalizer | None, n_lines: int) -> ParsedChunk:
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    result = ParsedChunk(schema.empty_table(), np.zeros(0, dtype=np.int64), n_lines)
    raw_lines = chunk.data.split(b"\n")
    if chunk.data.endswith(b"\n"):
        raw_lines.pop()
    for offset, raw in enumerate(raw_lines):
        number = chunk.first_line + offset
        stripped = raw.strip()
        if not stripped:
            result.skip("blank_line", number)
            continue
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.skip("undecodable_bytes", number, f"invalid byte at column {exc.start + 1}")
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            result.skip("malformed_json", number, f"{exc.msg} at column {exc.colno}")
            continue
        if not isinstance(record, dict):
            result.skip("not_an_object", number, f"found a JSON {type(record).__name__}")
            continue
        if normalize is not None:
            record = normalize(record)
        try:
            rows.append(_conform_top(record, schema))
        except FieldTypeError as exc:
            result.skip("invalid_field", number, str(exc))
            continue
        lines.append(number)
    result.table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    result.lines = np.asarray(lines, dtype=np.int64)
    return result


def _conform_top(record: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    return {f.name: conform(record.get(f.name), f.type, f.name) for f in schema}
