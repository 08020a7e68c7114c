"""Byte ranges of one uncompressed JSON Lines file, chunked exactly as the whole file is.

A cluster run (``llmaudit.cluster``) reads a large file as several tasks, each a range of
it. For the answer to be the same as a single-process run's, each range must yield the very
chunks that ``jsonl.iter_chunks`` yields for that part of the file (analyze's per-chunk
sums, and the per-chunk ``--sample`` draws, depend on the chunk boundaries). Those
boundaries follow a local rule: ``iter_chunks`` reads ``chunk_bytes`` at a time and cuts at
the last newline, so a chunk ends at the last newline at or before a multiple of
``chunk_bytes`` (a multiple with no newline since the previous end adds none), and a file
that does not end with a newline has its tail as a chunk of its own. ``chunk_ends`` finds
such a boundary near any offset from a small window; ``ByteRange.chunks`` replays the rule
over the range.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from llmaudit.ingest.jsonl import Chunk

# How far back from a multiple of chunk_bytes a split point looks for a newline; a line
# longer than this across the multiple means no split there.
WINDOW_BYTES: Final = 1 << 20
_BOM: Final = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ByteRange:
    """File bytes ``[start, end)``, both chunk boundaries; ``first_line`` is the number the
    line at ``start`` gets (a cluster task gives 1, and its merge adds the lines of the
    ranges before, so the numbers in messages are the file's)."""

    start: int
    end: int
    first_line: int

    def chunks(self, path: Path, chunk_bytes: int) -> Iterator[Chunk]:
        with open(path, "rb") as stream:
            stream.seek(self.start)
            yield from _range_chunks(stream, self.start, self.end, self.first_line, chunk_bytes)


def _range_chunks(stream: BinaryIO, start: int, end: int, line: int, size: int) -> Iterator[Chunk]:
    pos = start  # file offset of the next byte to read
    carry = b""
    while pos < end:
        target = min((pos // size + 1) * size, end)
        buf = bytearray(carry)
        buf += stream.read(target - pos)
        if pos == 0 and buf.startswith(_BOM):
            del buf[: len(_BOM)]
        pos = target
        cut = buf.rfind(b"\n")
        if cut < 0:
            carry = bytes(buf)
        else:
            carry = bytes(buf[cut + 1 :])
            del buf[cut + 1 :]
            chunk = Chunk(buf, line)
            line += chunk.n_lines
            yield chunk
        if pos >= end and carry:
            yield Chunk(bytearray(carry), line)  # the file's tail after its last newline


def chunk_end_before(stream: BinaryIO, offset: int) -> int | None:
    """The chunk boundary for the multiple ``offset``: just after the last newline before it
    (looked for within WINDOW_BYTES), or None when there is none that close."""
    low = max(0, offset - WINDOW_BYTES)
    stream.seek(low)
    window = stream.read(offset - low)
    cut = window.rfind(b"\n")
    return None if cut < 0 else low + cut + 1
