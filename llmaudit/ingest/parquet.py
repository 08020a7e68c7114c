"""Parquet input, streamed by record batches, for the formats that read tabular exports.

A Parquet file is recognized by its magic bytes (``PAR1``). Its schema sits at the end of
the file, so Parquet needs random access: it is read from the file itself, not from stdin
and not through gzip (``open_parquet`` says so clearly).

- For detection the reader presents the file's column names as one CSV header line
  (``parquet_header``): every tabular format's header sniffer (generic auto-mapping,
  LiteLLM SpendLogs, Helicone) then recognizes a Parquet file exactly as it recognizes the
  CSV export with the same columns.
- ``read_parquet`` streams record batches of about ``chunk_bytes`` uncompressed bytes
  (``ParquetFile.iter_batches``), reading only the columns a ``ColumnPlan`` selects. Each
  batch becomes a ``ParsedChunk`` whose "lines" are 1-based row numbers (a Parquet file
  has no header line, unlike CSV). A numeric column stored as text is parsed as in CSV: a
  present value that is not a number skips its row as ``invalid_field``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from llmaudit.errors import InputError
from llmaudit.ingest import columns as col
from llmaudit.ingest.jsonl import ParsedChunk

MAGIC: Final = b"PAR1"
_MAX_BATCH_ROWS: Final = 1 << 20


def is_parquet(head: bytes | bytearray) -> bool:
    return bytes(head[:4]) == MAGIC


class ColumnPlan(Protocol):
    """Which columns a reader keeps (output name -> source column) and which hold numbers.

    ``columns`` raises ``InputError`` when the names do not fit the format.
    """

    def columns(self, names: list[str]) -> dict[str, str]: ...

    def is_number(self, name: str) -> bool: ...


def open_parquet(path: Path | str | None, source: str) -> pq.ParquetFile:
    """The Parquet file at ``path``; ``InputError`` for stdin, a compressed file or a damaged one."""
    if isinstance(path, str):  # a URL: fsspec's file gives the random access Parquet needs
        from llmaudit.ingest.remote import open_url

        try:
            return pq.ParquetFile(open_url(path, source))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
            raise InputError(f"{source}: not a readable Parquet file ({exc})") from None
    if path is None:
        raise InputError(
            f"{source}: Parquet is read from a file (it needs random access), not from stdin",
            hint="save the Parquet file to disk and pass its path",
        )
    with open(path, "rb") as raw:
        if raw.read(4) != MAGIC:
            raise InputError(
                f"{source}: a compressed Parquet file cannot be streamed",
                hint="decompress it first (Parquet is already compressed inside)",
            )
    try:
        return pq.ParquetFile(path, memory_map=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError) as exc:
        raise InputError(f"{source}: not a readable Parquet file ({exc})") from None


def parquet_header(path: Path | str | None, source: str) -> bytes:
    """The file's column names as one CSV header line, for the formats' header sniffers."""
    names = open_parquet(path, source).schema_arrow.names
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow(names)
    return line.getvalue().encode("utf-8")


def read_parquet(path: Path | str | None, source: str, chunk_bytes: int, plan: ColumnPlan) -> Iterator[ParsedChunk]:
    """Record batches of about ``chunk_bytes`` (uncompressed) as ``ParsedChunk``s, rows numbered from 1.

    ``plan.columns`` raises (naming the file) when the columns do not fit the format.
    """
    parquet = open_parquet(path, source)
    columns = plan.columns(list(parquet.schema_arrow.names))
    meta = parquet.metadata
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    per_row = max(size / meta.num_rows, 1.0) if meta.num_rows else 1.0
    batch_rows = int(max(1, min(_MAX_BATCH_ROWS, chunk_bytes // per_row)))
    wanted = list(dict.fromkeys(columns.values()))
    first = 1
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=wanted, use_threads=False):
        yield _chunk(batch, columns, plan, first, source)
        first += batch.num_rows


def is_text(arr: pa.Array | pa.ChunkedArray) -> bool:
    """String, large string or dictionary-encoded (categorical) column."""
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type) or pa.types.is_dictionary(arr.type)


def _numeric_or_text(typ: pa.DataType) -> bool:
    t = pa.types
    return t.is_integer(typ) or t.is_floating(typ) or t.is_decimal(typ) or t.is_null(typ) or is_text(pa.nulls(0, typ))


def _not_numbers(source: str, column: str, name: str, typ: pa.DataType) -> None:
    """A number column stored as a list, struct, boolean...: the whole column is wrong, so say so once."""
    raise InputError(
        f"{source}: column {column!r} ({name}) holds {typ} values, not numbers",
        hint="store it as an integer, float or text column of numbers (true/false is no token count)",
    )


def _chunk(batch: pa.RecordBatch, columns: dict[str, str], plan: ColumnPlan, first: int, source: str) -> ParsedChunk:
    k = batch.num_rows
    parsed = ParsedChunk(pa.table({}), np.arange(first, first + k, dtype=np.int64), k)
    skip = np.empty(k, dtype=object)  # object arrays start as None
    out: dict[str, pa.Array] = {}
    for name, column in columns.items():
        values = batch.column(column)
        if plan.is_number(name):
            if not _numeric_or_text(values.type):
                _not_numbers(source, column, name, values.type)
            numbers = col.floats(values.cast(pa.string()) if is_text(values) else values)
            if is_text(values):
                bad = col.non_empty(values.cast(pa.string())) & np.isnan(numbers)
            else:  # a stored NaN is present and not a number (a null is "not given")
                bad = np.asarray(values.is_valid()) & np.isnan(numbers)
            bad &= pd.isna(skip)
            if bad.any():
                value = values[int(np.flatnonzero(bad)[0])].as_py()
                parsed.details.setdefault("invalid_field", f"column {column!r} ({name}): {value!r} is not a number")
                skip[bad] = "invalid_field"
            values = pa.array(numbers, pa.float64())
        out[name] = values
    keep = pd.isna(skip)
    table = pa.table(out) if out else pa.table({"_": pa.nulls(k)}).drop_columns(["_"])
    if not keep.all():
        parsed.skipped["invalid_field"] = parsed.lines[~keep].tolist()
        table = table.filter(pa.array(keep))
        parsed.lines = parsed.lines[keep]
    parsed.table = table
    return parsed
