"""A file's head is read and its format detected once per worker, not once per range task:
every range of the file is read with the format, sample and verified shape its head decided
(``RequestReader.file_head``, kept per worker by ``cluster.tasks.file_heads``). A range is
read as a single process reads those lines whatever it starts with: blank lines, lines that
are not JSON, records of another format or with fields the head did not have."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.analyze.run import AnalyzeOptions, analyze
from llmaudit.cluster import tasks
from llmaudit.cluster.analyze import analyze_on
from llmaudit.cluster.plan import plan
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs, reader
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render

CHUNK = 1 << 16
RANGE_CHUNKS = 2  # ranges start at every second chunk boundary: offsets 0, 128 KiB, 256 KiB...


def _openai(i: int, **extra: Any) -> bytes:
    record = {
        "id": f"chatcmpl-{i}",
        "object": "chat.completion",
        "created": 1764547200 + i,
        "model": "gpt-4o-mini",
        "usage": {"prompt_tokens": 100 + i % 50, "completion_tokens": 20 + i % 7, "total_tokens": 120 + i % 57},
        **extra,
    }
    return json.dumps(record).encode() + b"\n"


def _anthropic(i: int) -> bytes:
    record = {
        "id": f"msg_{i:08d}",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-20250514",
        "content": [{"type": "text", "text": "ok"}],
        "usage": {"input_tokens": 40 + i % 9, "output_tokens": 9, "cache_read_input_tokens": 1000},
    }
    return json.dumps(record).encode() + b"\n"


def _records_to(data: bytearray, offset: int, start: int) -> int:
    """OpenAI records appended to ``data`` while they end before ``offset``; the next index."""
    i = start
    while len(data) + len(line := _openai(i)) <= offset:
        data += line
        i += 1
    return i


def _write(path: Path) -> Path:
    """Records; a range (at 256 KiB) whose first chunk is only blank lines, the records after
    them in its second chunk; a range (at 512 KiB) that starts with lines that are not JSON;
    further on records of another format and records with a field the head never had."""
    data = bytearray()
    i = _records_to(data, 4 * CHUNK, 1)
    data += b"\n" * (4 * CHUNK - len(data) + CHUNK + 3_000)  # the whole chunk at 256 KiB, and more
    i = _records_to(data, 8 * CHUNK, i)
    data += b"\n" * (8 * CHUNK - len(data))
    data += b"not a JSON object\n" * 50 + b"[1, 2]\n" + b"{truncated\n"
    i = _records_to(data, 11 * CHUNK, i)
    for k in range(200):
        data += _anthropic(k)
    for k in range(300):
        data += _openai(i + k, system_fingerprint=f"fp_{k % 3}", service_tier="default")
    _records_to(data, 16 * CHUNK, i + 300)
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("heads") / "mixed.jsonl")


def test_the_ranges_start_where_the_test_needs(log: Path) -> None:
    ranges = [t.byte_range for t in plan(expand_inputs([str(log)]), IngestOptions(chunk_bytes=CHUNK), RANGE_CHUNKS)]
    starts = [r.start for r in ranges if r is not None]
    assert 4 * CHUNK in starts and 8 * CHUNK in starts
    data = log.read_bytes()
    assert data[4 * CHUNK : 5 * CHUNK].strip() == b""  # that range's first chunk: blank lines only
    assert data[5 * CHUNK : 6 * CHUNK].strip() != b""  # its second: records
    assert data[8 * CHUNK :].startswith(b"not a JSON object\n")


@pytest.mark.parametrize("input_format", ["auto", "openai"])
def test_a_cluster_reads_every_range_as_one_process_reads_the_file(client: Any, log: Path, input_format: str) -> None:
    ingest = IngestOptions(chunk_bytes=CHUNK, input_format=input_format)
    options = AnalyzeOptions(sample=2)
    one = render(analyze(RequestReader([str(log)], ingest), load_pricing([]), options), "json", RenderOptions())
    two = analyze_on(client, expand_inputs([str(log)]), ingest, load_pricing([]), options, range_chunks=RANGE_CHUNKS)
    report = json.loads(one)
    skipped = {row["reason"]: row["count"] for row in report["skipped"]}
    lines = log.read_bytes().split(b"\n")[:-1]
    assert skipped["blank_line"] == sum(1 for line in lines if not line)
    assert skipped["malformed_json"] >= 50
    if input_format == "auto":
        assert report["summary"]["requests"] > 2_000 and "claude-sonnet-4-20250514" in one
    assert render(two, "json", RenderOptions()) == one


def _reads_of_the_head(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The sources whose head is sampled (``_sample_records``), as they are."""
    sampled: list[str] = []
    real = reader._sample_records

    def spy(data: bytes | bytearray, *args: Any) -> Any:
        sampled.append(bytes(data[:20]).decode())
        return real(data, *args)

    monkeypatch.setattr(reader, "_sample_records", spy)
    return sampled


def test_a_worker_reads_a_files_head_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "log.jsonl")
    ingest = IngestOptions(chunk_bytes=CHUNK)
    ranges = plan(expand_inputs([str(path)]), ingest, RANGE_CHUNKS)
    sampled = _reads_of_the_head(monkeypatch)
    table, options = load_pricing([]), AnalyzeOptions()
    parts = [tasks.read_part(source, ingest, table, options) for source in ranges]
    assert len(ranges) >= 5 and len(sampled) == 1
    assert sum(p.stats.lines_read for p in parts) == path.read_bytes().count(b"\n")
    # Other options (another run's "now"): read again, once.
    later = IngestOptions(chunk_bytes=CHUNK, now=pd.Timestamp("2030-01-01", tz="UTC"))
    for source in ranges:
        tasks.read_part(source, later, table, options)
    assert len(sampled) == 2


def test_a_changed_file_is_read_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path / "log.jsonl")
    ingest = IngestOptions(chunk_bytes=CHUNK)
    sampled = _reads_of_the_head(monkeypatch)
    table, options = load_pricing([]), AnalyzeOptions()
    [first, *_] = plan(expand_inputs([str(path)]), ingest, RANGE_CHUNKS)
    tasks.read_part(first, ingest, table, options)
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"gpt-4o-mini"', b'"gpt-4o-mino"', 1))  # same size, new content
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9, path.stat().st_mtime_ns + 10**9))
    tasks.read_part(first, ingest, table, options)
    assert len(sampled) == 2


def test_a_worker_keeps_the_heads_of_its_last_few_files(tmp_path: Path) -> None:
    ingest = IngestOptions(chunk_bytes=CHUNK, now=pd.Timestamp("2031-01-01", tz="UTC"))
    table, options = load_pricing([]), AnalyzeOptions()
    paths = [_write(tmp_path / f"log{k}.jsonl") for k in range(tasks._HEADS_KEPT + 2)]
    for path in paths:
        tasks.read_part(plan(expand_inputs([str(path)]), ingest, RANGE_CHUNKS)[1], ingest, table, options)
    kept = tasks.file_heads(ingest)
    assert [Path(name) for name, _, _ in kept] == paths[-tasks._HEADS_KEPT :]


def test_a_range_of_a_file_gone_is_an_unreadable_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "gone.jsonl")
    ingest = IngestOptions(chunk_bytes=CHUNK, input_format="openai")  # no look for companion files first
    second = plan(expand_inputs([str(path)]), ingest, RANGE_CHUNKS)[1]
    path.unlink()
    read = RequestReader([second], ingest, heads={})
    read.require_records = False
    assert list(read) == []
    assert [p.reason for p in read.stats.problems] == ["unreadable_file"]
    assert read.failures[0].message.endswith("gone.jsonl: cannot open (No such file or directory)")
