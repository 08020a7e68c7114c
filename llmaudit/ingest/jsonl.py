"""JSON Lines to Arrow, fast and exact about line numbers.

The stream is cut into newline-aligned chunks (8 MB) so memory stays bounded. Each
chunk is parsed by pyarrow's JSON reader against the format's explicit schema (fields
we do not need are never materialized); the reader runs several chunks at a time on a
thread pool (``llmaudit.ingest.parallel``). If pyarrow
rejects the chunk (a malformed line, a field of an unexpected type, a line that is not
an object), the chunk is parsed again line by line in Python: good lines are kept,
bad ones are skipped with their reason and line number. The slow path runs only for
chunks that contain a problem.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

# About 23,000 records of a typical JSON log (700 bytes a line): per-chunk costs (the
# tagger's regex compiles and DFA warm-up, pandas calls) are spread over enough rows, with
# at most four chunks in flight (docs/performance.md, "Chunk size").
DEFAULT_CHUNK_BYTES: Final = 16 << 20
# CSV and Parquet hold 5 to 30 times more rows in the same bytes: their chunks stay at 8 MB.
TABLE_CHUNK_BYTES: Final = 8 << 20
# The longest record read (a long-context prompt and its response fit many times over); a
# longer line is skipped as ``record_too_long`` without ever being held in memory whole.
MAX_RECORD_BYTES: Final = 64 << 20
_BOM: Final = b"\xef\xbb\xbf"
_WS: Final = frozenset(b" \t\r\n\f\v")

Normalizer = Callable[[dict[str, Any]], dict[str, Any]]


class TooDeepError(ValueError):
    """JSON nested deeper than the parser's recursion limit."""


def loads(text: str | bytes | bytearray) -> Any:
    """``json.loads`` that reports JSON nested too deep (about 1,000 levels) as ``TooDeepError``,
    a ``ValueError``, instead of letting a ``RecursionError`` escape as an internal error."""
    try:
        return json.loads(text)
    except RecursionError:
        raise TooDeepError("JSON nested too deep (more than about 1,000 levels)") from None


@dataclass
class Chunk:
    """Newline-aligned bytes, the 1-based number of their first line, and their line count.

    ``too_long`` holds the numbers of lines longer than the record cap: each stands in
    ``data`` as an empty line (its bytes were streamed past, never kept).
    """

    data: bytes | bytearray
    first_line: int
    n_lines: int = -1
    too_long: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.n_lines < 0:
            self.n_lines = _line_count(self.data) if self.data else 0


def iter_chunks(
    stream: BinaryIO, chunk_bytes: int = DEFAULT_CHUNK_BYTES, max_record: int = MAX_RECORD_BYTES
) -> Iterator[Chunk]:
    """Yield newline-aligned chunks; a line longer than ``chunk_bytes`` is kept whole up to
    ``max_record`` bytes (or ``chunk_bytes`` if larger), and a longer one is streamed past:
    it stands as an empty line, listed in the chunk's ``too_long``.

    Each chunk is read straight into its own buffer behind the previous chunk's partial
    last line, so the bytes are copied once on their way from the file to pyarrow.
    """
    limit = max(max_record, chunk_bytes)
    carry = b""
    line = 1
    first = True
    dropping = False  # inside a line over the limit: its bytes are discarded up to its newline
    too_long: list[int] = []
    while True:
        buf = bytearray(len(carry) + chunk_bytes)
        buf[: len(carry)] = carry
        view = memoryview(buf)
        got = _read_into(stream, view[len(carry) :])
        view.release()
        end = len(carry) + got
        if first:
            first = False
            if buf.startswith(_BOM):
                del buf[: len(_BOM)]
                end -= len(_BOM)
        if dropping:
            newline = buf.find(b"\n", 0, end)
            if newline < 0:
                if got == 0:
                    yield Chunk(bytearray(b"\n"), line, 1, too_long)
                    return
                continue
            del buf[:newline]  # the newline stays: the skipped line is an empty line
            end -= newline
            dropping = False
        if got == 0:
            if end:
                del buf[end:]
                yield Chunk(buf, line, too_long=too_long)
            return
        cut = buf.rfind(b"\n", 0, end)
        if cut < 0:
            if end > limit:
                dropping, carry = True, b""
                too_long = [*too_long, line]
                continue
            carry = bytes(buf[:end])
            continue
        carry = bytes(buf[cut + 1 : end])
        del buf[cut + 1 :]
        chunk = Chunk(buf, line, too_long=too_long)
        too_long = []
        yield chunk
        line += chunk.n_lines


class Prefixed:
    """``head`` (bytes already read from ``stream``) followed by the rest of ``stream``; reads
    after the head go straight into the caller's buffer (no extra copy)."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readinto(self, target: memoryview) -> int:
        if len(self._head):
            n = min(len(target), len(self._head))
            target[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        return self._stream.readinto(target)  # type: ignore[attr-defined, no-any-return]

    def read(self, n: int = -1) -> bytes:
        if len(self._head):
            n = len(self._head) if n < 0 else min(n, len(self._head))
            data = bytes(self._head[:n])
            self._head = self._head[n:]
            return data
        return self._stream.read(n)


def sample_records(data: bytes | bytearray, limit: int) -> list[dict[str, Any]]:
    """Up to ``limit`` JSON objects from the lines of ``data`` (lines that do not parse are passed over)."""
    records: list[dict[str, Any]] = []
    for raw in bytes(data).split(b"\n"):
        if len(records) >= limit:
            break
        try:
            value = loads(raw) if raw.strip() else None
        except (ValueError, UnicodeDecodeError):
            continue
        if isinstance(value, dict):
            records.append(value)
    return records


def sampled_chunks(
    stream: BinaryIO, chunk_bytes: int, records: int, max_bytes: int
) -> tuple[list[dict[str, Any]], Iterator[Chunk]]:
    """The first ``records`` JSON objects within the first ``max_bytes`` bytes, and every chunk
    of ``stream`` (those read for the sample included). The sample does not depend on the
    chunk size, so neither does a schema typed from it."""
    chunks = iter_chunks(stream, chunk_bytes)
    head: list[Chunk] = []
    sample: list[dict[str, Any]] = []
    seen = 0
    for chunk in chunks:
        head.append(chunk)
        sample += sample_records(chunk.data[: max(max_bytes - seen, 0)], records - len(sample))
        seen += len(chunk.data)
        if len(sample) >= records or seen >= max_bytes:
            break
    return sample, itertools.chain(head, chunks)


def _read_into(stream: BinaryIO, target: memoryview) -> int:
    """Fill ``target`` as far as the stream allows; 0 only at end of stream."""
    readinto = getattr(stream, "readinto", None)
    total = 0
    while total < len(target):
        if readinto is not None:
            n = readinto(target[total:]) or 0
        else:
            data = stream.read(len(target) - total)
            n = len(data)
            target[total : total + n] = data
        if n == 0:
            break
        total += n
    return total


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


def _line_count(data: bytes | bytearray) -> int:
    return data.count(b"\n") + (0 if data.endswith(b"\n") else 1)


def _blank_lines(data: bytes | bytearray) -> np.ndarray:
    """Indexes of blank (whitespace-only) lines in ``data``."""
    buf = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(buf == 10)
    ends = newlines if data.endswith(b"\n") else np.append(newlines, len(data))
    starts = np.concatenate(([0], newlines + 1))[: len(ends)]
    blank = ends == starts
    # Lines starting with whitespace are rare; only those are examined one by one.
    first = buf[np.minimum(starts, max(len(buf) - 1, 0))]
    for i in np.flatnonzero(~blank & np.isin(first, list(_WS))):
        if not data[starts[i] : ends[i]].strip():
            blank[i] = True
    return np.flatnonzero(blank)


class ShapeParser(Protocol):
    """Parses a chunk against a narrower shape than the reading schema, or gives None."""

    def parse(self, data: bytes | bytearray) -> pa.Table | None: ...


_SURROGATE: Final = re.compile("[\ud800-\udfff]")  # json.loads joins valid pairs: these are lone


def parse_chunk(
    chunk: Chunk, schema: pa.Schema, normalize: Normalizer | None = None, shape: ShapeParser | None = None
) -> ParsedChunk:
    """Parse one chunk against ``schema`` (trying the file's exact ``shape`` first); fall
    back to per-line parsing on any error."""
    result = _parse_chunk(chunk, schema, normalize, shape)
    if chunk.too_long:
        mark_too_long(result, chunk.too_long)
    return result


def mark_too_long(result: ParsedChunk, too_long: list[int]) -> None:
    """Lines over the record cap stood as empty lines: count them as ``record_too_long``."""
    blank = set(result.skipped.get("blank_line", ()))
    over = [n for n in too_long if n in blank]
    if over:
        gone = set(over)
        result.skipped["blank_line"] = [n for n in result.skipped["blank_line"] if n not in gone]
        if not result.skipped["blank_line"]:
            del result.skipped["blank_line"]
        result.skipped.setdefault("record_too_long", []).extend(over)
        result.details.setdefault("record_too_long", f"a line over {MAX_RECORD_BYTES >> 20} MiB")


def _parse_chunk(
    chunk: Chunk, schema: pa.Schema, normalize: Normalizer | None = None, shape: ShapeParser | None = None
) -> ParsedChunk:
    n_lines = chunk.n_lines
    if n_lines == 0:
        return ParsedChunk(schema.empty_table(), np.zeros(0, dtype=np.int64), 0)
    if not chunk.data.isascii():
        # pyarrow does not validate UTF-8 inside strings; bad bytes must be found per line.
        try:
            chunk.data.decode("utf-8")
        except UnicodeDecodeError:
            return _parse_lines(chunk, schema, normalize, n_lines)
    table = shape.parse(chunk.data) if shape is not None else None
    if table is None:
        table = _read_json(chunk.data, schema)
    if table is None or _has_nan(table):
        # pyarrow reads a bare NaN literal as a float, indistinguishable from an absent value
        # once converted; per-line parsing reports it as invalid_field, naming the field.
        return _parse_lines(chunk, schema, normalize, n_lines)
    # pyarrow skips blank lines silently; only when rows are missing are blanks located,
    # so that every row keeps its true line number.
    blank = np.zeros(0, dtype=np.int64) if table.num_rows == n_lines else _blank_lines(chunk.data)
    keep = np.setdiff1d(np.arange(n_lines, dtype=np.int64), blank, assume_unique=True)
    if table.num_rows != len(keep):
        return _parse_lines(chunk, schema, normalize, n_lines)
    result = ParsedChunk(table, chunk.first_line + keep, n_lines)
    if len(blank):
        result.skipped["blank_line"] = (chunk.first_line + blank).tolist()
    return result


def _has_nan(data: pa.Table | pa.Array | pa.ChunkedArray) -> bool:
    """Whether any float leaf (inside structs and lists too) holds NaN: a few columns, not rows.

    Walks the type tree with a stack, not recursion: a record nested a thousand levels deep
    that pyarrow parsed must not overflow Python's stack here.
    """
    stack: list[pa.Array | pa.ChunkedArray] = list(data.columns) if isinstance(data, pa.Table) else [data]
    while stack:
        item = stack.pop()
        if isinstance(item, pa.ChunkedArray):
            stack.extend(item.chunks)
            continue
        typ = item.type
        if pa.types.is_floating(typ):
            if pc.any(pc.is_nan(item)).as_py():
                return True
        elif pa.types.is_struct(typ):
            stack.extend(item.field(i) for i in range(typ.num_fields))
        elif pa.types.is_list(typ) or pa.types.is_large_list(typ):
            stack.append(item.flatten())
    return False


class ExactShape:
    """The exact shape of a file's first chunk, tried first on every later chunk.

    A field declared in the reading schema but absent from the data still costs pyarrow
    time on every record (a third of the parse for a typical wrapped OpenAI log). So each
    chunk is first parsed against the shape pyarrow infers from the file's first chunk,
    refusing any field it has not seen: a chunk that conforms needs nothing else, and a
    chunk that brings something new is parsed again with the full reading schema, so no
    field that appears late is ever missed. After a few such misses the file is taken
    to vary and the full schema is used directly.
    """

    MAX_MISSES: Final = 3

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = schema
        self.misses = 0
        self._first: tuple[bytes | bytearray, pa.Table] | None = None

    @classmethod
    def infer(cls, data: bytes | bytearray) -> ExactShape | None:
        try:
            table = pj.read_json(pa.BufferReader(data), read_options=pj.ReadOptions(block_size=len(data) + 1))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
            return None
        shape = cls(table.schema)
        shape._first = (data, table)  # the first chunk's parse, handed out once instead of parsing it again
        return shape

    def parse(self, data: bytes | bytearray) -> pa.Table | None:
        first = self._first
        if first is not None and first[0] is data:
            self._first = None
            return first[1]
        if self.misses >= self.MAX_MISSES:
            return None
        table = _read_json(data, self.schema, unexpected="error")
        if table is None:
            self.misses += 1
        return table


def read_json(data: bytes | bytearray, schema: pa.Schema, unexpected: str = "ignore") -> pa.Table | None:
    """pyarrow's parse of the whole chunk against ``schema`` as one block, or None if it rejects the data."""
    return _read_json(data, schema, unexpected)


def _read_json(data: bytes | bytearray, schema: pa.Schema, unexpected: str = "ignore") -> pa.Table | None:
    """pyarrow's parse of the whole chunk as one block, or None if it rejects the data.

    One block per chunk keeps every column contiguous (no costly re-combining later);
    parallelism comes from processing several chunks at once.
    """
    options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior=unexpected)
    read = pj.ReadOptions(block_size=len(data) + 1, use_threads=False)
    try:
        return pj.read_json(pa.BufferReader(data), read_options=read, parse_options=options)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None


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
        try:
            number = float(value.strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: an integer of 400 digits
            raise FieldTypeError(path, "a number", value) from None
        if number != number:  # NaN (JSON NaN, "nan") is no value of any field: never a silent 0
            raise FieldTypeError(path, "a number", value)
        return number
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
    raw_lines = bytes(chunk.data).split(b"\n")
    if chunk.data.endswith(b"\n"):
        raw_lines.pop()
    for offset, raw in enumerate(raw_lines):
        number = chunk.first_line + offset
        stripped = raw.strip()
        if not stripped:
            result.skip("blank_line", number)
            continue
        if b"\x00" in stripped:
            result.skip("nul_bytes", number, f"NUL byte at column {stripped.index(0) + 1}")
            continue
        try:
            text = stripped.decode("utf-8")
        except UnicodeDecodeError as exc:
            result.skip("undecodable_bytes", number, f"invalid byte at column {exc.start + 1}")
            continue
        try:
            record = loads(text)
        except json.JSONDecodeError as exc:
            result.skip("malformed_json", number, f"{exc.msg} at column {exc.colno}")
            continue
        except TooDeepError as exc:
            result.skip("malformed_json", number, str(exc))
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
    try:
        result.table = pa.Table.from_pylist(rows, schema=schema) if rows else schema.empty_table()
    except UnicodeEncodeError:
        # A lone UTF-16 surrogate ("\ud83d": half of an emoji cut off by truncation) is valid
        # JSON but cannot be UTF-8: it becomes U+FFFD, as undecodable bytes do elsewhere.
        result.table = pa.Table.from_pylist(_without_surrogates(rows), schema=schema)
    result.lines = np.asarray(lines, dtype=np.int64)
    return result


def _without_surrogates(value: Any) -> Any:
    """``value`` with every lone surrogate in its strings replaced by U+FFFD (only called on failure)."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {k: _without_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_surrogates(v) for v in value]
    return value


def _conform_top(record: dict[str, Any], schema: pa.Schema) -> dict[str, Any]:
    return {f.name: conform(record.get(f.name), f.type, f.name) for f in schema}
