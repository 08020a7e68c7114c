"""JSON documents read as JSON Lines, streamed: a JSON array of records, or objects that span lines.

Two shapes of "JSON, not JSON Lines" are common in logs: an array of records (an export,
a saved API listing) and one or more pretty-printed objects (a saved curl response,
``jq .`` output, SDK test fixtures). Both become one JSON Lines line per record, so the
rest of the reader is unchanged; record *i* of the document is "line" *i* (for a single
pretty-printed object, line 1 is its first line).

The document is decoded value by value (``json.JSONDecoder.raw_decode`` on a sliding
window), never loaded whole: memory is bounded by the record cap. Where the document
stops being valid JSON, the records before are kept and ``damage`` says what went wrong
(the reader lists the file's unread tail); it is never an internal error.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Final

from llmaudit.ingest.jsonl import MAX_RECORD_BYTES, Chunk

_WS: Final = " \t\r\n"
_DECODER: Final = json.JSONDecoder()


def is_document(start: bytes | bytearray, more: bool) -> bool:
    """Whether a file starting with ``start`` is a JSON document rather than JSON Lines: an
    array, or a first object that spans lines. ``more``: the file goes on past ``start``.

    A first line that is broken JSON stays JSON Lines (that line is skipped by reason),
    unless ``start`` is too short to hold the whole first object and its first line is
    unfinished (a pretty-printed object longer than the window).
    """
    body = bytes(start).lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()
    if body.startswith(b"["):
        return True
    newline = body.find(b"\n")
    if not body.startswith(b"{") or newline < 0:
        return False
    text = body.decode("utf-8", "replace")
    try:
        _, stop = _DECODER.raw_decode(text)
    except json.JSONDecodeError:
        first = text[: text.find("\n")].rstrip()
        try:
            json.loads(first)
        except json.JSONDecodeError as exc:
            return more and exc.pos >= len(first)
        except RecursionError:
            return False
        return False
    except RecursionError:
        return False
    return "\n" in text[:stop]


class JsonDocument:
    """Iterate the records of a JSON document as chunks of JSON Lines (see the module docstring)."""

    def __init__(
        self, blocks: Iterator[bytes | bytearray], chunk_bytes: int, max_record: int = MAX_RECORD_BYTES
    ) -> None:
        self._blocks = blocks
        self._chunk_bytes = chunk_bytes
        self._max_record = max(max_record, chunk_bytes)
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self._text = ""
        self._pos = 0
        self._done = False
        self.records = 0
        self.damage: str | None = None

    def __iter__(self) -> Iterator[Chunk]:
        out: list[bytes] = []
        too_long: list[int] = []
        size = 0
        line = 1
        for value, span in self._values():
            if span > self._max_record:
                too_long.append(line + len(out))  # stands as an empty line, like an over-long JSON Lines line
                out.append(b"")
            else:
                text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                try:
                    out.append(text.encode("utf-8"))
                except UnicodeEncodeError:
                    # A lone surrogate (half an emoji) cannot be UTF-8: keep it as a \uXXXX escape,
                    # which the line parser reads as U+FFFD like any other (the record is kept).
                    out.append(json.dumps(value, separators=(",", ":")).encode("ascii"))
            size += len(out[-1]) + 1
            if size >= self._chunk_bytes:
                yield Chunk(b"\n".join(out) + b"\n", line, len(out), too_long)
                line += len(out)
                out, size, too_long = [], 0, []
        if out:
            yield Chunk(b"\n".join(out) + b"\n", line, len(out), too_long)

    def _more(self) -> bool:
        """Append the next block of text to the window; False at the end of the input."""
        if self._done:
            return False
        block = next(self._blocks, None)
        try:
            text = self._decoder.decode(bytes(block) if block is not None else b"", final=block is None)
        except UnicodeDecodeError as exc:
            self.damage = f"bytes that are not UTF-8 ({exc.reason}) after record {self.records}"
            self._done = True
            return False
        if self._pos > len(self._text) // 2:
            self._text, self._pos = self._text[self._pos :], 0
        self._text += text
        self._done = block is None
        return True

    def _skip(self, chars: str) -> str | None:
        """Skip ``chars``; the next character, or None at the end of the input."""
        while True:
            while self._pos < len(self._text) and self._text[self._pos] in chars:
                self._pos += 1
            if self._pos < len(self._text):
                return self._text[self._pos]
            if not self._more():
                return None

    def _values(self) -> Iterator[tuple[object, int]]:
        """Each record and the length of its text."""
        first = self._skip(_WS + "\ufeff")
        in_array = first == "["
        if in_array:
            self._pos += 1
        while True:
            nxt = self._skip(_WS + ("," if in_array else ""))
            if nxt is None:
                if in_array:
                    self.damage = f"the JSON array is not closed (ends after record {self.records})"
                return
            if in_array and nxt == "]":
                self._pos += 1
                if self._skip(_WS) is not None:
                    self.damage = f"data after the end of the JSON array (after record {self.records})"
                return
            begin = self._pos
            value = self._decode()
            if value is None:
                return
            self.records += 1
            yield value[0], self._pos - begin

    def _decode(self) -> tuple[object] | None:
        """The next JSON value (in a 1-tuple), reading more input while it is incomplete."""
        while True:
            try:
                value, end = _DECODER.raw_decode(self._text, self._pos)
            except json.JSONDecodeError as exc:
                window = len(self._text) - self._pos
                if window <= self._max_record and self._more():
                    # The value may simply run past the window: at least double it before trying
                    # again, so a long record costs a few parses, not one per block.
                    while len(self._text) - self._pos < 2 * window and self._more():
                        pass
                    continue
                self.damage = self._why(exc)
                return None
            except RecursionError:
                self.damage = f"record {self.records + 1} is nested too deep (more than about 1,000 levels)"
                return None
            self._pos = end
            return (value,)

    def _why(self, exc: json.JSONDecodeError) -> str:
        if len(self._text) - self._pos > self._max_record:
            return f"record {self.records + 1} is longer than {self._max_record >> 20} MiB or not valid JSON"
        return f"not valid JSON in record {self.records + 1} ({exc.msg})"
