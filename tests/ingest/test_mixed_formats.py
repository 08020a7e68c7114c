"""Records of several formats in one file: each is read by its own format (issue 14.1)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.ingest import mixed
from tests.conftest import LOGS, read_all, write_lines

CHUNKS = (64, 4096, 16 << 20)


def openai_chat(i: int) -> str:
    usage = {"prompt_tokens": 100, "completion_tokens": 10, "prompt_tokens_details": {"cached_tokens": 20}}
    return json.dumps(
        {"id": f"oa{i}", "object": "chat.completion", "created": 1730000000 + i, "model": "gpt-4o", "usage": usage}
    )


def anthropic_message(i: int) -> str:
    # Anthropic counts input exclusive of the cache: inclusive input = 50 + 30 + 20 = 100.
    usage = {"input_tokens": 50, "cache_read_input_tokens": 30, "cache_creation_input_tokens": 20, "output_tokens": 5}
    return json.dumps(
        {
            "id": f"msg{i}",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "ok"}],
            "stop_reason": "end_turn",
            "usage": usage,
        }
    )


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
def test_an_anthropic_record_inside_an_openai_file_keeps_its_cache_tokens(tmp_path: Path, chunk_bytes: int) -> None:
    # cat openai.jsonl anthropic.jsonl: the anthropic lines come after a chunk of OpenAI lines.
    lines = [openai_chat(i) for i in range(60)] + [anthropic_message(i) for i in range(3)] + [openai_chat(60)]
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    frame, stats = read_all(path, chunk_bytes=chunk_bytes)
    assert stats.files[0].format == "openai"
    assert frame["source_line"].tolist() == list(range(1, 65))  # file order, true line numbers
    claude = frame[frame["request_id"].str.startswith("msg")]
    assert claude["source_line"].tolist() == [61, 62, 63]
    assert claude["input_tokens"].tolist() == [100, 100, 100]
    assert claude["cache_read_tokens"].tolist() == [30, 30, 30]
    assert claude["cache_write_tokens"].tolist() == [20, 20, 20]
    assert claude["output_tokens"].tolist() == [5, 5, 5]
    gpt = frame[frame["request_id"].str.startswith("oa")]
    assert (gpt["input_tokens"] == 100).all() and (gpt["cache_read_tokens"] == 20).all()
    assert (gpt["cache_write_tokens"].fillna(0) == 0).all()
    assert stats.warnings == {"records_read_as_anthropic_inside_openai_files": 3}


def test_a_mixed_first_chunk_is_split_too(tmp_path: Path) -> None:
    lines = [anthropic_message(0), openai_chat(0), anthropic_message(1), "{bad", "", openai_chat(1)]
    path = write_lines(tmp_path / "m.jsonl", lines)
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["msg0", "oa0", "msg1", "oa1"]
    assert frame["cache_write_tokens"].fillna(0).tolist() == [20, 0, 20, 0]
    assert stats.skipped == {"malformed_json": 1, "blank_line": 1}
    assert stats.examples["malformed_json"] == [f"{path}:4"]


def test_a_bare_record_inside_a_wrapped_file_is_read_bare(tmp_path: Path) -> None:
    wrapped = [
        json.dumps(
            {
                "timestamp": "2025-01-01T00:00:00Z",
                "user": "u1",
                "request": {"model": "gpt-4o"},
                "response": json.loads(openai_chat(i)),
            }
        )
        for i in range(5)
    ]
    path = write_lines(tmp_path / "w.jsonl", [*wrapped, anthropic_message(9)])
    frame, stats = read_all(path)
    assert stats.files[0].format == "openai (wrapped)"
    row = frame.set_index("request_id").loc["msg9"]
    assert (row["input_tokens"], row["cache_read_tokens"], row["cache_write_tokens"]) == (100, 30, 20)


def test_a_record_of_an_export_format_is_skipped_naming_it(tmp_path: Path) -> None:
    helicone = (LOGS / "helicone" / "requests.jsonl").read_text().splitlines()[0]
    path = write_lines(tmp_path / "h.jsonl", [openai_chat(i) for i in range(3)] + [helicone])
    frame, stats = read_all(path)
    assert len(frame) == 3
    assert stats.skipped == {"other_format_record": 1}
    assert stats.details["other_format_record"].endswith("a helicone record")
    assert stats.examples["other_format_record"] == [f"{path}:4"]


def test_a_homogeneous_file_is_never_split_record_by_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    split = mixed.Mixture._split
    monkeypatch.setattr(mixed.Mixture, "_split", lambda self, chunk: calls.append(1) or split(self, chunk))
    path = write_lines(tmp_path / "same.jsonl", [openai_chat(i) for i in range(500)])
    frame, _ = read_all(path, chunk_bytes=4096)
    assert len(frame) == 500 and calls == []


def test_forced_format_reads_every_record_as_told(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "f.jsonl", [openai_chat(0), anthropic_message(0)])
    frame, _ = read_all(path, input_format="openai")
    assert frame["cache_write_tokens"].fillna(0).tolist() == [0, 0]  # as the user said: all OpenAI


def test_a_foreign_record_early_in_a_file_splits_only_the_chunks_that_hold_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    split = mixed.Mixture._split
    monkeypatch.setattr(mixed.Mixture, "_split", lambda self, chunk: calls.append(1) or split(self, chunk))
    lines = [openai_chat(0), anthropic_message(0)] + [openai_chat(i) for i in range(1, 400)]
    path = write_lines(tmp_path / "early.jsonl", lines)
    frame, _ = read_all(path, chunk_bytes=4096)
    assert len(frame) == 401 and frame.set_index("request_id").loc["msg0", "cache_write_tokens"] == 20
    assert len(calls) == 1  # the first chunk only


@pytest.mark.parametrize("chunk_bytes", CHUNKS)
def test_an_anthropic_record_inside_a_claude_code_session_is_read_as_anthropic(
    tmp_path: Path, chunk_bytes: int
) -> None:
    # Claude Code lines vary in shape (a user turn's content is a string or a list): its chunks
    # are claimed as a column (LogFormat.claims) and only the unclaimed lines checked one by one.
    def line(i: int, content: object) -> str:
        return json.dumps({"type": "user", "sessionId": "s", "message": {"role": "user", "content": content}})

    def call(i: int) -> str:
        message = json.loads(anthropic_message(1000 + i))
        return json.dumps(
            {"type": "assistant", "sessionId": "s", "timestamp": "2026-03-01T10:00:00Z", "message": message}
        )

    lines = [line(0, "fix it"), call(0), line(1, [{"type": "tool_result", "content": "ok"}]), call(1)]
    lines += [anthropic_message(7), '{"type": "file-history-snapshot", "snapshot": {}}', call(2)]
    path = write_lines(tmp_path / "session.jsonl", lines)
    frame, stats = read_all(path, chunk_bytes=chunk_bytes)
    assert stats.files[0].format == "claude-code"
    assert frame["source_line"].tolist() == [2, 4, 5, 7]
    assert frame["request_id"].tolist() == ["msg1000", "msg1001", "msg7", "msg1002"]
    # by hand: 50 uncached + 30 cache read + 20 cache write = 100 input, for every call
    assert frame["input_tokens"].tolist() == [100] * 4
    assert frame["cache_write_tokens"].tolist() == [20] * 4
    assert stats.warnings == {"records_read_as_anthropic_inside_claude-code_files": 1}
    assert stats.skipped == {"not_a_request": 3}
