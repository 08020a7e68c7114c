"""The plan: large JSON Lines files become ranges of ``range_chunks`` chunks that tile the
file; the last such file ends in one-chunk ranges (two per worker), so no worker waits
long at the end for another's last big task."""

from __future__ import annotations

import itertools
from pathlib import Path

from llmaudit.cluster.plan import offsets, plan
from llmaudit.ingest import IngestOptions, expand_inputs

CHUNK = 1 << 12


def test_offsets_every_range_then_every_chunk_in_the_tail() -> None:
    assert offsets(700, 64, 16) == [64, 128, 192, 256, 320, 384, 448, 512, 576, 640]
    # The last 64 bytes (from 636): chunk multiples from 640 on.
    assert offsets(700, 64, 16, 64) == [64, 128, 192, 256, 320, 384, 448, 512, 576, 640, 656, 672, 688]
    assert offsets(100, 64, 16, 1000) == [16, 32, 48, 64, 80, 96]  # a file smaller than its tail


def _log(path: Path, records: int) -> Path:
    usage = b'"usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12}'
    lines = (
        b'{"id": "%d", "object": "chat.completion", "model": "gpt-4o", %s, "x": "%s"}\n' % (i, usage, b"y" * (i % 9))
        for i in range(records)
    )
    path.write_bytes(b"".join(lines))
    return path


def test_ranges_tile_each_file_and_the_last_file_ends_in_single_chunks(tmp_path: Path) -> None:
    first, second = _log(tmp_path / "a.jsonl", 3_000), _log(tmp_path / "b.jsonl", 3_000)
    tasks = plan(expand_inputs([str(first), str(second)]), IngestOptions(chunk_bytes=CHUNK), range_chunks=4, workers=3)
    for path in (first, second):
        ranges = [t.byte_range for t in tasks if t.path == path and t.byte_range is not None]
        edges = [0] + [r.end for r in ranges]
        assert [r.start for r in ranges] == edges[:-1] and edges[-1] == path.stat().st_size
        assert {r.first_line for r in ranges} == {1}
        data = path.read_bytes()
        assert all(data[r.end - 1 : r.end] == b"\n" for r in ranges)  # cut after a newline
        sizes = [b - a for a, b in itertools.pairwise(edges)]
        line = 200  # a cut is at most a line (about 150 bytes) before its multiple of the chunk size
        tapered = 6 if path == second else 0  # two one-chunk ranges per worker, last file only
        body, tail = sizes[: len(sizes) - tapered - 2], sizes[len(sizes) - tapered :]
        assert len(body) >= 8 and all(abs(s - 4 * CHUNK) < line for s in body)
        assert sizes[-tapered - 1] < 4 * CHUNK + line  # the last range of 4 chunks or fewer
        assert all(s < CHUNK + line for s in tail)
