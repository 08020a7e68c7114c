"""Byte ranges yield the very chunks a whole-file read yields (the cluster's answer depends
on it), and their line numbers are the file's."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import pytest

from llmaudit.ingest.jsonl import iter_chunks
from llmaudit.ingest.ranges import ByteRange, chunk_end_before

CASES = {
    "plain": b"".join(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * (i % 37)) for i in range(400)),
    "no final newline": b"".join(b'{"n": %d}\n' % i for i in range(300)) + b'{"n": "tail"}',
    "bom and blank lines": b"\xef\xbb\xbf" + b"".join(b'{"n": %d}\n\n' % i for i in range(300)),
    "a line longer than a chunk": b'{"a": 1}\n' * 20 + b'{"long": "' + b"y" * 900 + b'"}\n' + b'{"b": 2}\n' * 40,
}


def _whole(data: bytes, size: int) -> list[tuple[bytes, int]]:
    return [(bytes(c.data), c.first_line) for c in iter_chunks(io.BytesIO(data), size)]


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("size", [256, 1000])
def test_ranges_chunk_as_the_whole_file(tmp_path: Path, name: str, size: int) -> None:
    data = CASES[name]
    path = tmp_path / "log.jsonl"
    path.write_bytes(data)
    with open(path, "rb") as stream:
        cuts = sorted({c for m in range(size, len(data), size * 3) if (c := chunk_end_before(stream, m)) is not None})
    assert cuts, "the case must split"
    edges = [0, *cuts, len(data)]
    got = []
    for a, b in itertools.pairwise(edges):
        line = 1 + data[:a].count(b"\n")
        got += [(bytes(c.data), c.first_line) for c in ByteRange(a, b, line).chunks(path, size)]
    assert got == _whole(data, size)
    # The line numbers are the file's: each chunk starts on the line that follows its bytes.
    offset = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    for chunk, line in got:
        assert data[offset:].startswith(chunk)
        assert data[:offset].count(b"\n") + 1 == line
        offset += len(chunk)


def test_no_split_inside_a_line_longer_than_the_window(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_bytes(b"{}\n" + b"z" * (3 << 20) + b"\n")
    with open(path, "rb") as stream:
        assert chunk_end_before(stream, 2 << 20) is None
        assert chunk_end_before(stream, 2) is None
        assert chunk_end_before(stream, 3) == 3
