"""How a file's bytes become chunks: encoding checks, then JSON Lines or a JSON document.

``open_chunks`` reads the first bytes of a stream, refuses what cannot be a log (UTF-16,
a binary file), and chooses between newline-aligned chunks of JSON Lines (or CSV, or
Parquet, which the tabular formats re-read) and the records of a JSON document (an array,
pretty-printed objects: ``llmaudit.ingest.documents``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

from llmaudit.errors import InputError
from llmaudit.ingest.documents import JsonDocument, is_document
from llmaudit.ingest.jsonl import Chunk, Prefixed, iter_chunks
from llmaudit.ingest.parquet import is_parquet

# Bytes read first, to tell the kinds of input apart.
START_BYTES: Final = 1 << 16


@dataclass
class Opening:
    """The chunks of one file and, for a JSON document, the document (its ``damage`` says
    where it stopped being valid JSON)."""

    chunks: Iterator[Chunk]
    document: JsonDocument | None


def open_chunks(stream: BinaryIO, chunk_bytes: int, display: str) -> Opening:
    """Chunks of ``stream``; ``InputError`` for UTF-16, binary data, or a JSON document with
    no readable record."""
    want = min(START_BYTES, chunk_bytes)
    start = stream.read(want)
    check_encoding(start[:4096], display)
    if not is_document(start, more=len(start) == want):
        return Opening(iter_chunks(Prefixed(start, stream), chunk_bytes), None)  # type: ignore[arg-type]
    document = JsonDocument(_blocks(start, stream, chunk_bytes), chunk_bytes)
    chunks = iter(document)
    first = next(chunks, None)
    if first is None and document.damage is not None:
        what = (
            "starts with '[' but is not valid JSON"
            if start.lstrip().startswith(b"[")
            else "no JSON object in the first lines; cannot recognize the log format"
        )
        raise InputError(
            f"{display}: {what} ({document.damage})",
            hint="llmaudit reads JSON Lines (one object per line), a JSON array of records, "
            "pretty-printed JSON objects and CSV",
        )
    return Opening(iter(()) if first is None else _chain(first, chunks), document)


def check_encoding(head: bytes | bytearray, display: str) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{display}: the file is UTF-16 encoded",
            hint=f"convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8 {display} > converted.jsonl",
        )
    if is_parquet(head):
        return  # binary by design: read by the tabular formats (llmaudit.ingest.parquet)
    if is_binary(head[:4096]):
        raise InputError(f"{display}: looks like a binary file, not JSON Lines or CSV")


def is_binary(head: bytes | bytearray) -> bool:
    """NUL bytes in most of the first lines: a binary file. A text log with a damaged line
    (NULs from a crash, a partial write) is read, and that line skipped as ``nul_bytes``."""
    if b"\x00" not in head:
        return False
    lines = [line for line in bytes(head).split(b"\n") if line.strip()]
    return sum(b"\x00" in line for line in lines) * 2 > len(lines)


def _blocks(start: bytes, stream: BinaryIO, size: int) -> Iterator[bytes]:
    yield start
    yield from iter(lambda: stream.read(size), b"")


def _chain(first: Chunk, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield first
    yield from rest
