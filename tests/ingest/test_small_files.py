"""Small JSON Lines files joined into one chunk stream (llmaudit/ingest/batches.py).

Joining is only a way of reading faster: every test compares a joined read with the same
files read one by one (batching switched off), or with counts worked out by hand.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from llmaudit.errors import MalformedRecordError
from llmaudit.ingest import batches
from llmaudit.ingest.accounting import IngestStats
from llmaudit.ingest.reader import IngestOptions, RequestReader
from tests.conftest import LOGS, read_all, write_lines

TREE = LOGS / "claude_code" / "projects"


def _one_by_one(monkeypatch: pytest.MonkeyPatch, paths: list[Path], **options: Any) -> tuple[pd.DataFrame, IngestStats]:
    with monkeypatch.context() as m:
        m.setattr(batches, "SMALL_FILE_BYTES", 0)  # no file is small: each is read on its own
        return read_all(paths, **options)


def _per_file(stats: IngestStats) -> list[tuple[str, str, int, int, dict[str, int]]]:
    return [(f.source, f.format, f.lines_read, f.parsed, dict(f.skipped)) for f in stats.files]


def _assistant(message_id: str | None, output: int, session: str = "s-1") -> str:
    message: dict[str, Any] = {
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5",
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 10, "cache_read_input_tokens": 0, "output_tokens": output},
    }
    line: dict[str, Any] = {"type": "assistant", "sessionId": session, "timestamp": "2026-03-01T10:00:00Z"}
    if message_id is not None:
        message["id"] = message_id
        line["requestId"] = "req_" + message_id
    return json.dumps({**line, "message": message})


def _mixed_folder(root: Path) -> list[Path]:
    """Claude Code sessions with, between them, files the joined path must leave to the per-file one."""
    shutil.copytree(TREE, root / "a")
    (root / "b").mkdir()
    write_lines(root / "b" / "0-blank.jsonl", ["", "  "])  # blank: the per-file path words it
    write_lines(root / "b" / "1-empty.jsonl", [], trailing_newline=False)
    (root / "b" / "2-gz.jsonl.gz").write_bytes(gzip.compress((LOGS / "openai" / "chat.jsonl").read_bytes()))
    shutil.copy(LOGS / "openai" / "chat.jsonl", root / "b" / "3-chat.jsonl")
    shutil.copy(LOGS / "anthropic" / "messages.jsonl", root / "b" / "4-messages.jsonl")
    write_lines(root / "b" / "5-session.jsonl", [_assistant("m9", 7), "{broken", _assistant(None, 3)])
    (root / "b" / "6-bom.jsonl").write_bytes(b"\xef\xbb\xbf" + _assistant("m8", 5).encode())  # no final newline
    shutil.copytree(TREE, root / "c")  # the same sessions again: every request a duplicate
    return [root]


def test_joined_files_read_as_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _mixed_folder(tmp_path)
    joined_files: list[str] = []
    add = batches.Batch.add
    monkeypatch.setattr(
        batches.Batch, "add", lambda self, f, s: joined_files.append(f.source.display) or add(self, f, s)
    )
    joined, stats = read_all(inputs)
    monkeypatch.undo()
    # all but the blank, empty and gzip files were joined
    assert len(joined_files) == len(stats.files) - 3 == 10
    alone, alone_stats = _one_by_one(monkeypatch, inputs)
    pd.testing.assert_frame_equal(joined, alone)
    assert _per_file(stats) == _per_file(alone_stats)
    assert stats.examples == alone_stats.examples
    assert stats.details == alone_stats.details
    assert stats.warnings == alone_stats.warnings
    assert [p.source for p in stats.problems] == [p.source for p in alone_stats.problems]
    # by hand: the second copy of the tree adds 21 lines, every request in them a duplicate
    copy = [f for f in stats.files if f.source.startswith(str(tmp_path / "c"))]
    assert sum(f.lines_read for f in copy) == 21
    assert sum(f.parsed for f in copy) == 0


def test_rows_keep_their_own_file_and_line(tmp_path: Path) -> None:
    first = write_lines(tmp_path / "a.jsonl", [_assistant(None, 1), _assistant(None, 2)])
    second = write_lines(tmp_path / "b.jsonl", ['{"type": "user", "sessionId": "s"}', _assistant(None, 3)])
    frame, stats = read_all(tmp_path)
    assert frame["source_file"].tolist() == [str(first), str(first), str(second)]
    assert frame["source_line"].tolist() == [1, 2, 2]
    # no message id: the request id is file:line, naming the file the line is in
    assert frame["request_id"].tolist() == [f"{first}:1", f"{first}:2", f"{second}:2"]
    assert frame["output_tokens"].tolist() == [1, 2, 3]
    assert [(f.lines_read, f.parsed, dict(f.skipped)) for f in stats.files] == [
        (2, 2, {}),
        (2, 1, {"not_a_request": 1}),
    ]
    assert stats.examples["not_a_request"] == [f"{second}:1"]


def test_a_skip_detail_names_its_own_file(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", [_assistant("m1", 1)])
    bad = write_lines(tmp_path / "b.jsonl", [_assistant("m2", 1), '{"type": "assistant", "sessionId": "s", "x": ]'])
    _, stats = read_all(tmp_path)
    assert stats.examples["malformed_json"] == [f"{bad}:2"]
    assert stats.details["malformed_json"].startswith(f"{bad}:2: ")


def test_strict_names_the_file_and_line(tmp_path: Path) -> None:
    write_lines(tmp_path / "a.jsonl", [_assistant("m1", 1)])
    bad = write_lines(tmp_path / "b.jsonl", [_assistant("m2", 1), "[1, 2]"])
    with pytest.raises(MalformedRecordError, match=f"^{bad}:2: a JSON value that is not an object"):
        list(RequestReader([str(tmp_path)], IngestOptions(strict=True)))


def test_a_file_of_another_format_starts_a_new_chunk(tmp_path: Path) -> None:
    session = write_lines(tmp_path / "1.jsonl", [_assistant("m1", 4)])
    chat = tmp_path / "2.jsonl"
    shutil.copy(LOGS / "openai" / "chat.jsonl", chat)
    frame, stats = read_all(tmp_path)
    assert [f.format for f in stats.files] == ["claude-code", "openai"]
    assert (frame.loc[frame["source_file"] == str(session), "provider"] == "anthropic").all()
    assert (frame.loc[frame["source_file"] == str(chat), "provider"] == "openai").all()
    assert not stats.warnings  # no record was read by another format than its file's


@pytest.mark.parametrize("chunk_bytes", [4096, 16 << 20])
def test_chunk_size_bounds_a_joined_chunk(tmp_path: Path, chunk_bytes: int) -> None:
    lines = [_assistant(f"m{k}-{i}", i + 1, session=f"s{k}") for k in range(40) for i in range(5)]
    for k in range(40):
        write_lines(tmp_path / f"{k:02d}.jsonl", lines[5 * k : 5 * k + 5])
    frame, stats = read_all(tmp_path, chunk_bytes=chunk_bytes)
    assert len(frame) == 200 and stats.parsed == 200
    assert frame["output_tokens"].sum() == 40 * (1 + 2 + 3 + 4 + 5)
    assert [f.lines_read for f in stats.files] == [5] * 40


def test_period_skips_are_per_file_as_one_by_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inputs = _mixed_folder(tmp_path)
    since = pd.Timestamp("2026-03-02", tz="UTC")
    joined, stats = read_all(inputs, since=since)
    alone, alone_stats = _one_by_one(monkeypatch, inputs, since=since)
    pd.testing.assert_frame_equal(joined, alone)
    assert _per_file(stats) == _per_file(alone_stats)
    assert stats.examples["outside_period"] == alone_stats.examples["outside_period"]
    assert stats.skipped["outside_period"] > 0
