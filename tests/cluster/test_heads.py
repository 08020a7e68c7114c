"""A worker works out a file's head (sample, format, verified shape) once for all its byte
ranges (``ingest/heads.py``): each range reads what it read with nothing kept, a file
whose head changed is worked out again, and a kept mixture does not carry one range's
widened shape into the next."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

import llmaudit.ingest.reader as reader_module
from llmaudit.cluster.plan import plan
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.ingest.heads import forget, kept
from llmaudit.ingest.sources import InputSource

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth_logs  # noqa: E402

INGEST = IngestOptions(chunk_bytes=1 << 16)


def _read(source: InputSource) -> tuple[pd.DataFrame, str]:
    reader = RequestReader([source], INGEST)
    reader.require_records = False
    frames = list(reader)
    return pd.concat(frames, ignore_index=True), repr(reader.stats)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How often a file's head is sampled."""
    calls: list[int] = []
    sample = reader_module._sample_records
    monkeypatch.setattr(reader_module, "_sample_records", lambda data, *a: calls.append(1) or sample(data, *a))
    forget()
    yield calls
    forget()


def _ranges(tmp_path: Path, extra: bytes = b"") -> list[InputSource]:
    path = tmp_path / "openai.jsonl"
    synth_logs.generate(synth_logs.SHAPES["openai"], path, 20_000)
    path.write_bytes(path.read_bytes() + extra)
    ranges = plan(expand_inputs([str(path)]), INGEST, 4, 2)
    assert len(ranges) > 3 and all(r.byte_range is not None for r in ranges)
    return ranges


def test_each_range_reads_as_without_the_cache(tmp_path: Path, counted: list[int]) -> None:
    # A record of another shape at the end: the last range's mixture widens or splits.
    ranges = _ranges(tmp_path, b'{"model": "claude-3-5-haiku", "usage": {"input_tokens": 5, "output_tokens": 2}}\n')
    warm = [_read(r) for r in ranges]
    assert len(counted) == 1  # the head sampled once for every range
    for source, (frame, stats) in zip(ranges, warm, strict=True):
        forget()
        cold_frame, cold_stats = _read(source)
        pd.testing.assert_frame_equal(frame, cold_frame)
        assert stats == cold_stats
    # and in another order: the kept mixture is a fresh copy each time
    forget()
    backwards = [_read(r) for r in reversed(ranges)][::-1]
    for (a, sa), (b, sb) in zip(warm, backwards, strict=True):
        pd.testing.assert_frame_equal(a, b)
        assert sa == sb


def test_a_changed_head_is_worked_out_again(tmp_path: Path, counted: list[int]) -> None:
    ranges = _ranges(tmp_path)
    _read(ranges[1])
    _read(ranges[2])
    assert len(counted) == 1
    path = Path(ranges[0].path)  # type: ignore[arg-type]
    data = path.read_bytes()
    path.write_bytes(b'{"model": "gpt-4o-mini"' + data[data.index(b",") :])  # another first record
    _read(ranges[1])
    assert len(counted) == 2


def test_kept_keeps_recent_keys() -> None:
    forget()
    made: list[int] = []
    for i in range(100):
        assert kept(("k", i), lambda i=i: made.append(i) or i) == i
    assert kept(("k", 99), lambda: -1) == 99 and kept(("k", 0), lambda: -1) == -1
    assert len(made) == 100
    forget()
