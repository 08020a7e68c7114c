"""File-level robustness: a folder with odd files, damaged lines and damaged files loses nothing else."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from llmaudit.cli import main
from llmaudit.cli.app import app
from llmaudit.errors import InputError
from tests.conftest import assert_accounted, read_all, write_lines


def chat(i: int, prompt: int = 10, completion: int = 5) -> str:
    usage = {"prompt_tokens": prompt, "completion_tokens": completion}
    record = {"id": f"c{i}", "object": "chat.completion", "created": 1730000000 + i, "model": "gpt-4o"}
    return json.dumps({**record, "usage": usage})


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


def _gz_lines(n: int) -> bytes:
    return gzip.compress("".join(chat(i) + "\n" for i in range(n)).encode())


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data[: len(data) * 2 // 3], "truncated"),
        (lambda data: data + b"trailing garbage, not gzip", "damaged"),
        (lambda data: data[:-8] + bytes(8), "damaged"),  # CRC and length zeroed
        (lambda data: data[:4000] + bytes(range(200)) + data[4200:], "damaged"),  # a corrupt block
    ],
)
def test_a_damaged_gzip_keeps_what_came_before(tmp_path: Path, damage: Any, message: str) -> None:
    path = tmp_path / "logs.jsonl.gz"
    path.write_bytes(damage(_gz_lines(3000)))
    frame, stats = read_all(path)
    assert_accounted(stats)
    assert [(p.source, p.reason) for p in stats.problems] == [(str(path), "corrupt_compressed_tail")]
    assert message in stats.problems[0].message
    # Whatever was decompressed before the damage is read: whole records, in order.
    ids = frame["request_id"].tolist()
    assert ids == [f"c{i}" for i in range(len(ids))]
    with pytest.raises(InputError, match=r"logs\.jsonl\.gz"):  # the cut line, or the damage itself
        read_all(path, strict=True)


def test_a_truncated_gzip_in_the_cli_is_not_interrupted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _gz_lines(3000)
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    assert main(["analyze", str(tmp_path / "cut.jsonl.gz"), "-f", "json", "-q"]) == 0
    out = capsys.readouterr().out
    assert "part of a file not read" in out
    assert main(["analyze", str(tmp_path / "cut.jsonl.gz"), "--strict", "-q"]) == 2


def test_json_nested_too_deep_is_skipped_by_reason(tmp_path: Path) -> None:
    deep = '{"a":' * 5000 + "1" + "}" * 5000
    # First: detection passes over it. pyarrow reads such a line (an object of unknown keys);
    # a bad line sends the chunk to the per-line parser, which must not raise RecursionError.
    path = write_lines(tmp_path / "deep.jsonl", [deep, chat(1), deep])
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["c1"]
    assert stats.skipped == {"unrecognized_record": 2}
    path = write_lines(tmp_path / "deep_bad.jsonl", [deep, chat(1), "{bad", deep, "[" * 5000])
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["c1"]
    assert stats.skipped == {"malformed_json": 4}
    assert "nested too deep" in stats.details["malformed_json"]


def test_an_over_long_line_is_skipped_without_reading_it_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from llmaudit.ingest import jsonl

    monkeypatch.setattr(jsonl, "MAX_RECORD_BYTES", 50_000)
    monkeypatch.setattr(jsonl.iter_chunks, "__defaults__", (jsonl.DEFAULT_CHUNK_BYTES, 50_000))
    huge = '{"id": "big", "model": "gpt-4o", "pad": "' + "x" * 200_000 + '"}'
    path = write_lines(tmp_path / "long.jsonl", [chat(1), huge, chat(2), huge])
    frame, stats = read_all(path, chunk_bytes=1000)
    assert frame["request_id"].tolist() == ["c1", "c2"]
    assert stats.skipped == {"record_too_long": 2}
    assert stats.examples["record_too_long"] == [f"{path}:2", f"{path}:4"]
    assert_accounted(stats)


def test_iter_chunks_streams_past_an_over_long_line() -> None:
    from llmaudit.ingest.jsonl import iter_chunks

    data = b"a\n" + b"x" * 100_000 + b"\nb\n" + b"y" * 100_000
    chunks = list(iter_chunks(io.BytesIO(data), 1000, max_record=5000))
    assert all(len(c.data) <= 6000 for c in chunks)  # never more than the cap plus a chunk in memory
    assert sum(c.n_lines for c in chunks) == 4
    assert [n for c in chunks for n in c.too_long] == [2, 4]
    assert b"".join(c.data for c in chunks) == b"a\n\nb\n\n"


def test_a_file_starting_with_many_blank_lines_is_read_past_them(tmp_path: Path) -> None:
    path = tmp_path / "blank.jsonl"
    path.write_text("\n" * 5000 + chat(1) + "\n" + chat(2) + "\n")
    frame, stats = read_all(path, chunk_bytes=1000)  # the first chunks hold nothing but blank lines
    assert frame["request_id"].tolist() == ["c1", "c2"]
    assert frame["source_line"].tolist() == [5001, 5002]
    assert stats.skipped == {"blank_line": 5000}


def test_a_first_record_over_one_mib_does_not_block_detection(tmp_path: Path) -> None:
    big = json.loads(chat(0))
    big["choices"] = [{"message": {"role": "assistant", "content": "x" * (3 << 20)}, "finish_reason": "stop"}]
    path = write_lines(tmp_path / "big.jsonl", [json.dumps(big), chat(1)])
    frame, stats = read_all(path)
    assert stats.files[0].format == "openai"
    assert frame["request_id"].tolist() == ["c0", "c1"]


def test_a_gzip_damaged_from_the_start_is_a_clear_error(tmp_path: Path) -> None:
    data = _gz_lines(100)
    path = tmp_path / "bad.jsonl.gz"
    path.write_bytes(data[:12] + bytes(range(200)) + data[212:])
    with pytest.raises(InputError, match=r"bad\.jsonl\.gz: the compressed stream is damaged"):
        read_all(path)


def test_simulate_names_an_unread_file_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = Path(__file__).resolve().parents[2] / "examples" / "policies" / "flat-rate.yaml"
    assert main(["simulate", str(_folder(tmp_path)), "-P", str(policy), "-q", "-f", "json"]) == 0
    err = capsys.readouterr().err
    assert "file not read:" in err and "b.jsonl" in err
