"""File-level robustness: a folder with odd files, damaged lines and damaged files loses nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from llmaudit.cli import main
from llmaudit.cli.app import app
from llmaudit.errors import InputError
from tests.conftest import assert_accounted, read_all, write_lines


def chat(i: int, prompt: int = 10, completion: int = 5) -> str:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    return json.dumps({"id": f"c{i}", "object": "chat.completion", "created": 1730000000 + i, "model": "gpt-4o", "usage": usage})


def _folder(tmp_path: Path) -> Path:
    logs = tmp_path / "logs"
    logs.mkdir()
    write_lines(logs / "a.jsonl", [chat(1), chat(2)])
    (logs / "b.jsonl").write_bytes(b"\x00\x01\x02\x03binary\x00")
    write_lines(logs / "c.jsonl", ['{"hello": "world"}'])
    write_lines(logs / "d.jsonl", [chat(3)])
    return logs


def test_one_odd_file_does_not_stop_a_folder(tmp_path: Path) -> None:
    frame, stats = read_all(_folder(tmp_path))
    assert sorted(frame["request_id"]) == ["c1", "c2", "c3"]
    assert [(p.source.rsplit("/", 1)[1], p.reason) for p in stats.problems] == [
        ("b.jsonl", "unreadable_file"),
        ("c.jsonl", "unreadable_file"),
    ]
    assert "binary" in stats.problems[0].message
    assert "cannot recognize the log format" in stats.problems[1].message
    assert [Path(f.source).name for f in stats.files] == ["a.jsonl", "d.jsonl"]
    assert_accounted(stats)


def test_strict_still_fails_on_an_odd_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"b\.jsonl: looks like a binary file"):
        read_all(_folder(tmp_path), strict=True)


def test_only_odd_files_is_still_an_error_naming_the_first(tmp_path: Path) -> None:
    logs = _folder(tmp_path)
    with pytest.raises(InputError, match=r"b\.jsonl: looks like a binary file"):
        read_all([logs / "b.jsonl", logs / "c.jsonl"])


def test_unread_files_are_listed_in_the_report(tmp_path: Path) -> None:
    logs = _folder(tmp_path)
    result = CliRunner().invoke(app, ["analyze", str(logs), "-f", "json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    unread = [(Path(i["path"]).name, i["role"]) for i in report["inputs"] if i["role"] == "not_read"]
    assert unread == [("b.jsonl", "not_read"), ("c.jsonl", "not_read")]
    assert any("b.jsonl" in w and "not read" in w for w in report["warnings"])
    table = CliRunner().invoke(app, ["analyze", str(logs)])
    assert table.exit_code == 0, table.output
    assert "file not read:" in table.stdout and "b.jsonl" in table.stdout



def test_strict_exit_code_for_an_odd_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(_folder(tmp_path)), "--strict"]) == 2
    assert "b.jsonl: looks like a binary file" in capsys.readouterr().err


def test_a_line_with_nul_bytes_is_skipped_not_the_file(tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_bytes((chat(1) + "\n" + '{"id": "x\x00\x00", "model"\x00\n' + chat(2) + "\n").encode())
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["c1", "c2"]
    assert stats.skipped == {"nul_bytes": 1}
    assert stats.examples["nul_bytes"] == [f"{path}:2"]
    assert_accounted(stats)


def test_a_binary_file_is_still_not_read_as_binary(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputError, match="binary"):
        read_all(path)
