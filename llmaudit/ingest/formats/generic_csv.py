"""CSV input of the generic format: streamed by pyarrow, every row accounted for.

The header is read here (to pick the delimiter and resolve the mapping against the
column names); the rest is streamed by ``pyarrow.csv.open_csv`` in blocks of
``chunk_bytes``, reading only the mapped columns, all as text. Each block becomes one
``ParsedChunk`` of canonical-named columns: numeric fields parsed to float64 (a value
that is not a number skips its row as ``invalid_field``), the rest left as text.

Line numbers: the header is line 1 (after any blank lines before it) and data row *i*
is line *i* + 1. Quoted fields may span several lines (``newlines_in_values``); such a
record counts as one line, so later line numbers are CSV record numbers and run behind
the editor's physical line numbers by the extra lines. "Lines read" for a CSV counts
its data rows, not the header.

Rows are accounted as follows: a row with the wrong number of fields is an
``invalid_csv_row`` (through pyarrow's ``invalid_row_handler``, which reports its record
number); an empty or whitespace-only line, or a row whose mapped columns are all empty,
is a ``blank_line``; a row whose mapped columns hold bytes that are not UTF-8 is
``undecodable_bytes`` (bytes are replaced by U+FFFD while streaming so one bad byte
never stops the file).
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from llmaudit.errors import InputError
from llmaudit.ingest.csvquotes import MARKER as UNBALANCED_QUOTE
from llmaudit.ingest.csvquotes import QuoteGuard
from llmaudit.ingest.formats.generic_mapping import FIELD_KINDS, ColumnMapping, resolve_columns
from llmaudit.ingest.jsonl import ParsedChunk

# A record longer than the read block cannot be parsed; tiny test chunk sizes get this floor.
MIN_BLOCK_BYTES: Final = 16 << 10
_DELIMITERS: Final = (",", "\t", ";", "|")
_REPLACEMENT: Final = "\ufffd"


class JoinedStream(io.RawIOBase):
    """Bytes already read (``head``) followed by the rest of ``stream``."""

    def __init__(self, head: bytes, stream: BinaryIO) -> None:
        self._head = memoryview(head)
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if len(self._head):
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def peek(stream: BinaryIO, chunk_bytes: int) -> tuple[bytes, BinaryIO]:
    """The first bytes of ``stream`` up to some that are not blank (to tell Parquet, JSON Lines
    and CSV apart), and a buffered stream over the whole content, those bytes included."""
    head = b""
    while not head.strip():
        block = stream.read(max(1, min(chunk_bytes, 1 << 16)))
        if not block:
            break
        head += block
    joined: BinaryIO = io.BufferedReader(JoinedStream(head, stream), buffer_size=1 << 20)  # type: ignore[assignment]
    return head, joined


class _Utf8Stream(io.RawIOBase):
    """``stream`` with bytes that are not UTF-8 replaced by U+FFFD (pure ASCII passes as is)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._pending = b""
        self.replaced = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            block = self._stream.read(max(len(buffer), 1 << 16))
            if block.isascii() and not self._decoder.getstate()[0]:
                self._pending = block
            else:
                text = self._decoder.decode(block, final=not block)
                self.replaced = self.replaced or _REPLACEMENT in text
                self._pending = text.encode("utf-8")
            if not block:
                break
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def sniffed_header(head: bytes | bytearray) -> list[str] | None:
    """The column names of a file's first line when it looks like a CSV header (not JSON, UTF-8)."""
    head = bytes(head).lstrip()  # blank lines before the header
    if head[:1] in (b"{", b"["):
        return None
    try:
        line = head.split(b"\n", 1)[0].decode("utf-8").lstrip("\ufeff").rstrip("\r")
    except UnicodeDecodeError:
        return None
    return header_names(line, None)[0]


def header_names(line: str, delimiter: str | None) -> tuple[list[str], str]:
    """Column names of a header line and the delimiter (the most frequent candidate if not given)."""
    if delimiter is None:
        counts = [(line.count(d), -i, d) for i, d in enumerate(_DELIMITERS)]
        delimiter = max(counts)[2] if max(counts)[0] > 0 else ","
    names = next(csv.reader([line], delimiter=delimiter), [])
    return [n.strip() for n in names], delimiter


def _unique(names: list[str]) -> list[str]:
    """Names made unique for pyarrow: a repeated name becomes ``name (2)``, ``name (3)``..."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


# NaN spellings mean "not a number", not "empty": in a number column they skip the row as
# invalid_field (a token count of NaN must never be priced as 0); in a text column they
# are empty, like Arrow's other null spellings ("", NA, N/A, NULL, #N/A...).
_NAN_SPELLINGS: Final = ("NaN", "nan", "-NaN", "-nan", "1.#QNAN", "-1.#QNAN", "1.#IND", "-1.#IND")
_NULL_VALUES: Final = [v for v in pcsv.ConvertOptions().null_values if v not in _NAN_SPELLINGS]


def _nan_to_null(text: pa.Array) -> pa.Array:
    # Only short cells can be a NaN spelling: long ones (prompts) are never hashed or copied.
    short = pc.fill_null(pc.less_equal(pc.binary_length(text), 8), False)
    if not pc.any(short).as_py():
        return text
    nan = pc.is_in(pc.if_else(short, text, ""), pa.array(_NAN_SPELLINGS))
    return pc.if_else(pc.fill_null(nan, False), None, text)


def _numbers(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Float64 values of a text column and the mask of present values that are not numbers."""
    trimmed = pc.utf8_trim_whitespace(text)
    present = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(trimmed), 0), False))
    try:
        values = np.asarray(
            pc.cast(pc.if_else(pa.array(present), trimmed, None), pa.float64()).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = pd.to_numeric(pd.Series(trimmed.to_numpy(zero_copy_only=False)), errors="coerce").to_numpy(
            dtype=np.float64
        )
    return values, present & np.isnan(values)


class CsvReader:
    """Streams one CSV file as ``ParsedChunk``s of canonical-named columns."""

    def __init__(self, mapping: ColumnMapping, source: str) -> None:
        self.mapping = mapping
        self.source = source
        self._invalid: list[tuple[int, str, str]] = []  # (record number, reason, detail)
        self._next = 1  # record number of the next data row (the header is record 0)
        self._offset = 1  # physical line = record number + offset

    def read(self, stream: BinaryIO, chunk_bytes: int) -> Iterator[ParsedChunk]:
        text = _Utf8Stream(stream)
        buffered = io.BufferedReader(QuoteGuard(text), buffer_size=1 << 20)  # type: ignore[arg-type]
        header, blank_before = b"", 0
        while True:
            header = buffered.readline()
            if not header or header.strip():
                break
            blank_before += 1
        if blank_before:
            lead = ParsedChunk(pa.table({}), np.zeros(0, dtype=np.int64), blank_before)
            lead.skipped["blank_line"] = list(range(1, blank_before + 1))
            yield lead
        if not header:
            return
        self._offset = blank_before + 1
        line = header.decode("utf-8").lstrip("\ufeff").rstrip("\r\n")
        names, delimiter = header_names(line, self.mapping.delimiter)
        names = _unique(names)
        columns = self.columns(names)
        if not buffered.peek(1):
            return
        include = [n for n in names if n in set(columns.values())]
        block = max(chunk_bytes, MIN_BLOCK_BYTES)
        reader = pcsv.open_csv(
            buffered,
            read_options=pcsv.ReadOptions(column_names=names, use_threads=False, block_size=block),
            parse_options=pcsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=self._on_invalid_row,
            ),
            convert_options=pcsv.ConvertOptions(
                include_columns=include,
                column_types={n: pa.string() for n in include},
                strings_can_be_null=True,
                null_values=_NULL_VALUES,
                check_utf8=False,
            ),
        )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except pa.ArrowInvalid as exc:
                raise self._parse_error(exc, block) from None
            yield self._chunk(batch, columns, text.replaced)
        if self._invalid:
            rest = ParsedChunk(pa.table({}), np.zeros(0, dtype=np.int64), 0)
            self._attribute(rest, len(self._invalid))
            yield rest

    def columns(self, names: list[str]) -> dict[str, str]:
        """Output column -> CSV column for this header: the mapping, completed and resolved.

        Formats that keep their export's own column names override this and ``is_number``
        (``llmaudit.ingest.tabular``); the streaming and line accounting stay here.
        """
        mapping = self.mapping.complete(names, self.source, "columns")
        return resolve_columns(mapping, names, self.source)

    def is_number(self, name: str) -> bool:
        """Whether output column ``name`` holds numbers (parsed; a non-number skips its row)."""
        return FIELD_KINDS[name] == "number"

    def _on_invalid_row(self, row: Any) -> str:
        number = row.number if row.number is not None else self._next + len(self._invalid)
        if not row.text.strip():
            self._invalid.append((number, "blank_line", ""))
        elif row.text.startswith(UNBALANCED_QUOTE.decode()):
            self._invalid.append((number, "invalid_csv_row", "a double quote opens here and is never closed"))
        else:
            detail = f"expected {row.expected_columns} fields, found {row.actual_columns}"
            self._invalid.append((number, "invalid_csv_row", detail))
        return "skip"

    def _parse_error(self, exc: pa.ArrowInvalid, block: int) -> InputError:
        near = self._next + self._offset
        if "straddl" in str(exc):
            return InputError(
                f"{self.source}: a CSV record near line {near} is longer than {block} bytes",
                hint="an unbalanced double quote makes the rest of the file one field: check the quoting",
            )
        return InputError(f"{self.source}: cannot parse the CSV near line {near}: {exc}", hint="check its quoting")

    def _attribute(self, parsed: ParsedChunk, count: int) -> None:
        """Move the first ``count`` pending invalid rows into ``parsed`` (with physical lines)."""
        for number, reason, detail in self._invalid[:count]:
            parsed.skip(reason, number + self._offset, detail or None)
        parsed.lines_read += count
        del self._invalid[:count]

    def _chunk(self, batch: pa.RecordBatch, columns: dict[str, str], check_bytes: bool) -> ParsedChunk:
        k = batch.num_rows
        invalid = np.asarray([number for number, _, _ in self._invalid], dtype=np.int64)
        span = np.arange(self._next, self._next + k + len(invalid), dtype=np.int64)
        records = span[~np.isin(span, invalid)][:k]
        parsed = ParsedChunk(pa.table({}), records + self._offset, k)
        if k:
            self._attribute(parsed, int(np.count_nonzero(invalid < records[-1])))
            self._next = int(records[-1]) + 1

        skip = np.empty(k, dtype=object)  # object arrays start as None
        details: dict[str, str] = {}
        blank = np.ones(k, dtype=bool)
        for name in batch.schema.names:
            blank &= np.asarray(_nan_to_null(batch.column(name)).is_null())
        skip[blank] = "blank_line"
        if check_bytes:
            for name in batch.schema.names:
                bad = np.asarray(pc.fill_null(pc.match_substring(batch.column(name), _REPLACEMENT), False))
                if bad.any():
                    details.setdefault("undecodable_bytes", f"column {name!r} holds bytes that are not UTF-8")
                    skip[bad & pd.isna(skip)] = "undecodable_bytes"

        out: dict[str, pa.Array] = {}
        for canonical, column in columns.items():
            values = batch.column(column)
            if not self.is_number(canonical):
                out[canonical] = _nan_to_null(values)
                continue
            numbers, bad = _numbers(values)
            bad &= pd.isna(skip)
            if bad.any():
                first = values[int(np.flatnonzero(bad)[0])].as_py()
                detail = f"column {column!r} ({canonical}): {first!r} is not a number"
                details.setdefault("invalid_field", detail)
                skip[bad] = "invalid_field"
            out[canonical] = pa.array(numbers, type=pa.float64())

        keep = pd.isna(skip)
        for reason in pd.unique(skip[~keep]):
            parsed.skipped.setdefault(str(reason), []).extend(parsed.lines[skip == reason].tolist())
            if str(reason) in details:
                parsed.details.setdefault(str(reason), details[str(reason)])
        table = pa.table(out) if out else pa.table({"_": pa.nulls(k)}).drop_columns(["_"])
        parsed.table = table.filter(pa.array(keep)) if not keep.all() else table
        parsed.lines = parsed.lines[keep]
        return parsed
