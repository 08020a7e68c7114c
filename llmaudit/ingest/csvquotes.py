"""An unbalanced double quote in a CSV costs its own line, not the rest of the file.

A CSV field in double quotes may span lines (prompts hold newlines). One stray ``"``
therefore turns everything after it into one field: the rows behind it vanish. Before
the CSV parser sees the bytes, ``QuoteGuard`` follows which newlines are inside quotes
(whole-block numpy work: the parity of the quotes before each newline; a doubled ``""``
keeps the parity, as it should). A quoted field that runs past ``MAX_FIELD_LINES`` lines
or ``MAX_FIELD_BYTES`` bytes, or to the end of the file, has an unbalanced quote: the
line where it opened is replaced by ``MARKER`` (a one-field row that the CSV reader
skips as ``invalid_csv_row`` for that line) and reading resumes on the next line. The
number of lines never changes, so every line keeps its number.
"""

from __future__ import annotations

import io
from typing import Any, BinaryIO, Final

import numpy as np

MARKER: Final = b"\x01llmaudit: unbalanced double quote"
MAX_FIELD_LINES: Final = 10_000
MAX_FIELD_BYTES: Final = 4 << 20
_BLOCK: Final = 1 << 20


class QuoteGuard(io.RawIOBase):
    """``stream`` with each line that opens a never-closed quoted field replaced by ``MARKER``."""

    def __init__(self, stream: BinaryIO, max_lines: int = MAX_FIELD_LINES, max_bytes: int = MAX_FIELD_BYTES) -> None:
        self._stream = stream
        self._max_lines = max_lines
        self._max_bytes = max_bytes
        self._pending = bytearray()  # starts at the start of a record (outside quotes)
        self._ready = bytearray()
        self._eof = False
        self.broken = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._ready and not (self._eof and not self._pending):
            self._fill()
        n = min(len(buffer), len(self._ready))
        buffer[:n] = self._ready[:n]
        del self._ready[:n]
        return n

    def _fill(self) -> None:
        block = self._stream.read(_BLOCK)
        if not block:
            self._eof = True
        self._pending += block
        while True:
            data = np.frombuffer(self._pending, dtype=np.uint8)
            newlines = np.flatnonzero(data == 10)
            quotes = np.flatnonzero(data == 34)
            del data  # the buffer is resized below: no view of it may remain
            inside = np.searchsorted(quotes, newlines) & 1 == 1  # newlines inside a quoted field
            bad = self._first_bad_record(newlines, inside, len(quotes) % 2 == 0)
            if bad is not None:
                self._emit(bad)
                self._break_first_line()
                continue
            outside = newlines[~inside]
            self._emit(len(self._pending) if self._eof else int(outside[-1]) + 1 if len(outside) else 0)
            return

    def _first_bad_record(self, newlines: np.ndarray, inside: np.ndarray, balanced: bool) -> int | None:
        """Start offset of the first record whose quoted field runs too far (or to the end of
        the file), else None. A record's lines are a run of newlines inside quotes."""
        if not inside.any():
            return None
        before = np.concatenate(([False], inside[:-1]))
        firsts = np.flatnonzero(inside & ~before)  # first newline of each run
        lasts = np.flatnonzero(inside & ~np.concatenate((inside[1:], [False])))
        starts = np.where(firsts > 0, newlines[np.maximum(firsts - 1, 0)] + 1, 0)
        closed = lasts + 1 < len(newlines)
        ends = np.where(closed, newlines[np.minimum(lasts + 1, len(newlines) - 1)], len(self._pending))
        too_far = (lasts - firsts + 1 > self._max_lines) | (ends - starts > self._max_bytes)
        if self._eof and not balanced:
            too_far |= ~closed  # the file ends inside the last record's quotes
        hits = np.flatnonzero(too_far)
        return int(starts[hits[0]]) if len(hits) else None

    def _emit(self, cut: int) -> None:
        if cut:
            self._ready += self._pending[:cut]
            del self._pending[:cut]

    def _break_first_line(self) -> None:
        """The open record's first line has the unbalanced quote: replace it, resume after it."""
        end = self._pending.index(b"\n")
        crlf = end > 0 and self._pending[end - 1] == 13
        self._ready += MARKER + (b"\r\n" if crlf else b"\n")
        del self._pending[: end + 1]
        self.broken += 1
