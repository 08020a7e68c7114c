"""Line numbers of byte-range tasks are the file's: a range numbers its lines from 1, and the
merge (in a tree for analyze, in order for simulate's reading) moves them past the lines of
the ranges before. The expected numbers are where the test wrote the bad lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llmaudit.cluster.lines import shift_error, shift_text
from llmaudit.errors import MalformedRecordError

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.analyze.run import AnalyzeOptions, analyze
from llmaudit.cli.common import tagger
from llmaudit.cluster.analyze import analyze_on, collect_on
from llmaudit.cluster.plan import plan
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render

CHUNK = 1 << 16
RECORDS = 6_000
# 1-based line numbers of the lines broken below: in the first range, in the middle and
# in the very last lines of the file (its last range).
BAD = (7, 2_951, 4_404, 5_998)
BLANK = (3_333,)


def _record(i: int) -> bytes:
    return json.dumps(
        {
            "id": f"chatcmpl-{i}",
            "object": "chat.completion",
            "created": 1764547200 + i,
            "model": "gpt-4o-mini",
            "usage": {"prompt_tokens": 100 + i % 50, "completion_tokens": 20 + i % 7, "total_tokens": 120 + i % 57},
        }
    ).encode()


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lines = [_record(i) for i in range(1, RECORDS + 1)]
    for n in BAD:
        lines[n - 1] = b'{"model": "gpt-4o-mini", "usage": '  # truncated
    for n in BLANK:
        lines[n - 1] = b""
    path = tmp_path_factory.mktemp("lines") / "openai.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_shift_text_moves_only_whole_references() -> None:
    assert shift_text("a.jsonl:3", "a.jsonl", 10) == "a.jsonl:13"
    assert shift_text("a.jsonl:3: not valid JSON", "a.jsonl", 10) == "a.jsonl:13: not valid JSON"
    assert shift_text("logs/a.jsonl:3 and a.jsonl:5", "a.jsonl", 1) == "logs/a.jsonl:3 and a.jsonl:6"
    assert shift_text("b.jsonl:3", "a.jsonl", 10) == "b.jsonl:3"
    moved = shift_error(MalformedRecordError("a.jsonl:2: not valid JSON", hint="fix it"), "a.jsonl", 98)
    assert isinstance(moved, MalformedRecordError)
    assert (moved.message, moved.hint) == ("a.jsonl:100: not valid JSON", "fix it")


def test_the_log_is_read_as_many_ranges(log: Path) -> None:
    tasks = plan(expand_inputs([str(log)]), IngestOptions(chunk_bytes=CHUNK), range_chunks=1)
    assert len(tasks) >= 8
    assert {t.byte_range.first_line for t in tasks if t.byte_range is not None} == {1}
    last = tasks[-1].byte_range
    assert last is not None and log.read_bytes()[: last.start].count(b"\n") < BAD[-1] - 1  # the last bad line is in it


def test_analyze_names_the_files_lines(client: Any, log: Path, tmp_path: Path) -> None:
    other = tmp_path / "second.jsonl"  # a file after the ranged one: its numbers are its own
    other.write_bytes(_record(1) + b"\n{oops\n")
    logs = [str(log), str(other)]
    ingest = IngestOptions(chunk_bytes=CHUNK)
    two = analyze_on(client, expand_inputs(logs), ingest, load_pricing([]), range_chunks=1)
    report = json.loads(render(two, "json", RenderOptions()))
    skipped = {row["reason"]: row for row in report["skipped"]}
    assert skipped["malformed_json"]["examples"] == [f"{log}:{n}" for n in BAD] + [f"{other}:2"]
    assert skipped["blank_line"]["examples"] == [f"{log}:{n}" for n in BLANK]
    one = analyze(RequestReader(logs, ingest), load_pricing([]), AnalyzeOptions())
    assert render(one, "json", RenderOptions()) == render(two, "json", RenderOptions())


def test_simulate_reading_names_the_files_lines(client: Any, log: Path) -> None:
    ingest = IngestOptions(chunk_bytes=CHUNK)
    table = load_pricing([])
    _, stats = collect_on(client, expand_inputs([str(log)]), ingest, table, tagger(None), range_chunks=1)
    assert stats.examples["malformed_json"] == [f"{log}:{n}" for n in BAD]
    assert stats.lines_read == RECORDS


def test_strict_names_the_line_in_the_last_range(client: Any, tmp_path: Path, log: Path) -> None:
    late = tmp_path / "late.jsonl"  # only the last bad line
    data = log.read_bytes().split(b"\n")
    for n in BAD[:-1]:
        data[n - 1] = _record(n)
    late.write_bytes(b"\n".join(data))
    strict = IngestOptions(chunk_bytes=CHUNK, strict=True)
    with pytest.raises(MalformedRecordError) as raised:
        analyze_on(client, expand_inputs([str(late)]), strict, load_pricing([]), range_chunks=1)
    assert raised.value.message.startswith(f"{late}:{BAD[-1]}: ")
