"""The reader: every line accounted for, each skip reason, inputs of every kind, bad files."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.errors import InputError, MalformedRecordError
from llmaudit.ingest import RequestReader
from llmaudit.ingest.accounting import SKIP_REASONS
from tests.conftest import LOGS, read_all, write_lines


def chat(i: int, prompt: int = 10, completion: int = 5, model: str = "gpt-4o", **usage: object) -> str:
    body = {"prompt_tokens": prompt, "completion_tokens": completion, **usage}
    return json.dumps(
        {"id": f"c{i}", "object": "chat.completion", "created": 1730000000 + i, "model": model, "usage": body}
    )


def test_each_skip_reason_is_counted_with_its_line(tmp_path: Path) -> None:
    lines = [
        chat(1),  # 1 ok
        "",  # 2 blank_line
        "   ",  # 3 blank_line (whitespace only)
        '{"id": "c2", "object": "chat.completion"',  # 4 malformed_json
        "[1, 2]",  # 5 not_an_object
        chat(3, prompt=-1),  # 6 negative_tokens
        chat(4, prompt=10.5),  # 7 non_integer_tokens
        chat(5, prompt=20_000_000),  # 8 absurd_tokens
        chat(6, prompt=10, prompt_tokens_details={"cached_tokens": 11}),  # 9 inconsistent_tokens
        chat(7, model=""),  # 10 missing_model
        chat(1),  # 11 duplicate_request_id (same id as line 1)
        json.dumps({"id": "c8", "object": "chat.completion", "model": "gpt-4o"}),  # 12 no_usage, no text
        json.dumps({"object": "chat.completion", "model": "gpt-4o", "usage": {"prompt_tokens": "many"}}),  # 13
        json.dumps({"id": "e1", "object": "embedding.list", "data": []}),  # 14 unrecognized_record
        chat(9),  # 15 ok
    ]
    path = write_lines(tmp_path / "mixed.jsonl", lines)
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["c1", "c9"]
    expected = {
        "blank_line": [2, 3],
        "malformed_json": [4],
        "not_an_object": [5],
        "negative_tokens": [6],
        "non_integer_tokens": [7],
        "absurd_tokens": [8],
        "inconsistent_tokens": [9],
        "missing_model": [10],
        "duplicate_request_id": [11],
        "no_usage": [12],
        "invalid_field": [13],
        "unrecognized_record": [14],
    }
    assert dict(stats.skipped) == {k: len(v) for k, v in expected.items()}
    for reason, lines_ in expected.items():
        assert stats.examples[reason] == [f"{path}:{n}" for n in lines_], reason
    assert "usage.prompt_tokens" in stats.details["invalid_field"]
    assert stats.lines_read == 15
    assert set(expected) <= set(SKIP_REASONS)


def test_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(chat(1).encode() + b"\n" + b'{"id": "\xff\xfe"}\n' + chat(2).encode() + b"\n")
    frame, stats = read_all(path)
    assert len(frame) == 2
    assert stats.examples["undecodable_bytes"] == [f"{path}:2"]


@pytest.mark.parametrize("chunk_bytes", [64, 300, 1 << 20])
def test_chunking_never_changes_the_result(tmp_path: Path, chunk_bytes: int) -> None:
    lines = [chat(i, prompt=i + 1) for i in range(200)]
    lines[57] = "{broken"
    lines[120] = ""
    path = write_lines(tmp_path / "many.jsonl", lines, trailing_newline=False)
    frame, stats = read_all(path, chunk_bytes=chunk_bytes)
    assert len(frame) == 198
    # sum of 1..200 minus the two lost prompts (58 and 121)
    assert frame["input_tokens"].sum() == 200 * 201 // 2 - 58 - 121
    assert stats.examples["malformed_json"] == [f"{path}:58"]
    assert stats.examples["blank_line"] == [f"{path}:121"]
    assert frame["source_line"].iloc[-1] == 200


def test_fast_and_fallback_paths_agree(tmp_path: Path) -> None:
    good = [chat(i, prompt=100 + i, completion=i) for i in range(50)]
    clean = write_lines(tmp_path / "clean.jsonl", good)
    dirty = write_lines(tmp_path / "dirty.jsonl", [*good, "not json"])  # forces the per-line parser
    a, _ = read_all(clean)
    b, _ = read_all(dirty)
    cols = ["request_id", "timestamp", "model", "input_tokens", "output_tokens", "source_line"]
    assert a[cols].equals(b[cols])


def test_crlf_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "windows.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + (chat(1) + "\r\n" + chat(2) + "\r\n").encode())
    frame, _ = read_all(path)
    assert frame["request_id"].tolist() == ["c1", "c2"]


def test_directory_glob_and_gzip(tmp_path: Path) -> None:
    folder = tmp_path / "logs" / "nested"
    folder.mkdir(parents=True)
    write_lines(folder / "a.jsonl", [chat(1)])
    with gzip.open(folder / "b.jsonl.gz", "wt") as fh:
        fh.write(chat(2) + "\n")
    (folder / "README.md").write_text("not a log")
    frame, stats = read_all(tmp_path / "logs")
    assert sorted(frame["request_id"]) == ["c1", "c2"]
    assert len(stats.files) == 2
    frame, _ = read_all(str(tmp_path / "logs" / "**" / "*.jsonl*"))
    assert sorted(frame["request_id"]) == ["c1", "c2"]


def test_gzip_detected_by_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "compressed.jsonl"
    path.write_bytes(gzip.compress((chat(1) + "\n").encode()))
    frame, _ = read_all(path)
    assert frame["request_id"].tolist() == ["c1"]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = io.TextIOWrapper(io.BytesIO((chat(1) + "\n" + chat(2) + "\n").encode()))
    monkeypatch.setattr(sys, "stdin", fake)
    frame, stats = read_all("-")
    assert frame["request_id"].tolist() == ["c1", "c2"]
    assert stats.files[0].source == "<stdin>"


def test_json_array_file(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([json.loads(chat(1)), json.loads(chat(2)), 5]))
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["c1", "c2"]
    assert stats.examples["not_an_object"] == [f"{path}:3"]  # element 3


def test_duplicates_across_files(tmp_path: Path) -> None:
    a = write_lines(tmp_path / "a.jsonl", [chat(1), chat(2)])
    b = write_lines(tmp_path / "b.jsonl", [chat(2), chat(3)])
    frame, stats = read_all([a, b])
    assert frame["request_id"].tolist() == ["c1", "c2", "c3"]
    assert stats.examples["duplicate_request_id"] == [f"{b}:1"]


def test_strict_stops_at_the_first_harmful_line(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [chat(1), "", chat(2, prompt=-3), "{bad"])
    with pytest.raises(MalformedRecordError, match=r"s\.jsonl:3: a negative token count"):
        read_all(path, strict=True)
    path = write_lines(tmp_path / "t.jsonl", [chat(1), "{bad", chat(2, prompt=-3)])
    with pytest.raises(MalformedRecordError, match=r"t\.jsonl:2: not valid JSON"):
        read_all(path, strict=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the files are empty"),
        (b"\n\n  \n", "the files are empty"),
        (b"{bad\n{worse\n", "no JSON object in the first lines"),
        ('{"id":1}\n'.encode("utf-16"), "UTF-16"),
        (b"\x00\x01\x02binary", "binary"),
        (b'{"hello": "world"}\n', "cannot recognize the log format"),
        (b"foo,bar\n1,2\n", r"no format recognizes this CSV file's columns \(foo, bar\)"),
        (b"\n  \nticket id,cost\n", r"this CSV file's columns \(ticket id, cost\)"),
    ],
)
def test_unusable_files_get_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        list(RequestReader([str(path)]))


def test_zero_usable_records_names_the_reasons(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "z.jsonl", [chat(1, prompt=-1), chat(2, prompt=-2)])
    with pytest.raises(
        InputError, match=r"no usable records in 2 lines read: 2 a negative token count \(e\.g\. .*z\.jsonl:1\)"
    ):
        list(RequestReader([str(path)]))


def test_zero_usable_records_counts_read_as_people_do(tmp_path: Path) -> None:
    # The line total had thousands separators and the per-reason counts did not ("2,000 lines read: 2000 ...").
    path = write_lines(tmp_path / "z.jsonl", [chat(i, prompt=-1) for i in range(2000)])
    with pytest.raises(InputError, match=r"no usable records in 2,000 lines read: 2,000 a negative token count"):
        list(RequestReader([str(path)]))


@pytest.mark.parametrize("arg", ["missing.jsonl", "nomatch*.jsonl"])
def test_missing_inputs(tmp_path: Path, arg: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError):
        RequestReader([arg])


def test_directory_without_logs(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("x")
    with pytest.raises(InputError, match="holds no log files"):
        RequestReader([str(tmp_path)])


def test_unknown_forced_format() -> None:
    with pytest.raises(InputError, match="unknown input format 'nope'"):
        RequestReader(
            [str(LOGS / "openai" / "chat.jsonl")],
            __import__("llmaudit.ingest", fromlist=["x"]).IngestOptions(input_format="nope"),
        )


def test_duplicate_ids_found_across_many_chunks(tmp_path: Path) -> None:
    # ids 0..99 three times: lines 101-300 are repeats, spread over dozens of tiny chunks.
    path = write_lines(tmp_path / "dups.jsonl", [chat(i % 100) for i in range(300)])
    frame, stats = read_all(path, chunk_bytes=400)
    assert sorted(frame["request_id"]) == sorted(f"c{i}" for i in range(100))
    assert stats.skipped["duplicate_request_id"] == 200
    assert stats.examples["duplicate_request_id"][0] == f"{path}:101"


def test_fields_that_first_appear_late_in_a_file_are_read(tmp_path: Path) -> None:
    # The first chunk has no cache details and no reasoning; later chunks do, with a
    # float where the first chunk had ints. Nothing may be lost to the first chunk's shape.
    early = [chat(i, prompt=100) for i in range(40)]
    late = [
        chat(
            100 + i,
            prompt=100,
            completion=50,
            prompt_tokens_details={"cached_tokens": 64},
            completion_tokens_details={"reasoning_tokens": 20.0},
        )
        for i in range(40)
    ]
    path = write_lines(tmp_path / "late.jsonl", early + late)
    frame, _ = read_all(path, chunk_bytes=1000)  # many chunks: the first one holds only "early" lines
    assert frame["cache_read_tokens"].sum() == 40 * 64
    assert frame["reasoning_tokens"].sum() == 40 * 20
    assert len(frame) == 80


def test_a_file_whose_shape_keeps_changing_reads_the_same(tmp_path: Path) -> None:
    lines = [chat(i, prompt=10 + i, **({f"extra_field_{i % 7}": i} if i % 3 else {})) for i in range(120)]
    path = write_lines(tmp_path / "varying.jsonl", lines)
    small, _ = read_all(path, chunk_bytes=500)
    whole, _ = read_all(path)
    assert small["input_tokens"].tolist() == whole["input_tokens"].tolist() == [10 + i for i in range(120)]


def test_since_and_until_keep_the_period_and_count_the_rest(tmp_path: Path) -> None:
    # created = 1730000000 + i seconds; keep i in [10, 20)
    lines = [chat(i) for i in range(30)]
    lines.append(
        json.dumps(
            {
                "id": "undated",
                "object": "chat.completion",
                "model": "gpt-4o",
                "usage": {"prompt_tokens": 1, "completion_tokens": 1},
            }
        )
    )
    path = write_lines(tmp_path / "period.jsonl", lines)
    since = pd.Timestamp(1730000010, unit="s", tz="UTC")
    until = pd.Timestamp(1730000020, unit="s", tz="UTC")
    frame, stats = read_all(path, since=since, until=until)
    assert frame["request_id"].tolist() == [f"c{i}" for i in range(10, 20)]
    assert stats.skipped["outside_period"] == 21  # 20 outside, 1 without a timestamp


def test_json_in_16_mb_chunks_and_tables_in_8_mb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """JSON logs take 16 MB a chunk (about 23,000 records); CSV and Parquet, with 5 to 30 times more rows
    per byte, stay at 8 MB (memory), and a smaller chunk asked for still wins."""
    import llmaudit.ingest.formats.generic_csv as generic_csv
    import llmaudit.ingest.opening as reader_module  # where the reader cuts files into chunks

    seen: dict[str, int] = {}
    iter_chunks, csv_read = reader_module.iter_chunks, generic_csv.CsvReader.read

    def spy_chunks(stream, chunk_bytes):  # type: ignore[no-untyped-def]
        seen["json"] = chunk_bytes
        return iter_chunks(stream, chunk_bytes)

    def spy_csv(self, stream, chunk_bytes):  # type: ignore[no-untyped-def]
        seen["csv"] = chunk_bytes
        return csv_read(self, stream, chunk_bytes)

    monkeypatch.setattr(reader_module, "iter_chunks", spy_chunks)
    monkeypatch.setattr(generic_csv.CsvReader, "read", spy_csv)
    write_lines(tmp_path / "a.jsonl", [chat(1)])
    (tmp_path / "b.csv").write_text("model,input_tokens,output_tokens\ngpt-4o,10,5\n")
    read_all(tmp_path / "a.jsonl")
    read_all(tmp_path / "b.csv")
    assert seen == {"json": 16 << 20, "csv": 8 << 20}
    read_all(tmp_path / "b.csv", chunk_bytes=4096)
    assert seen["csv"] == 4096
    # The formats that read JSON Lines and tables alike (LiteLLM, Helicone) follow the same split.
    import llmaudit.ingest.tabular as tabular

    sampled = tabular.sampled_chunks

    def spy_sampled(stream, chunk_bytes, *rest):  # type: ignore[no-untyped-def]
        seen["tabular json"] = chunk_bytes
        return sampled(stream, chunk_bytes, *rest)

    monkeypatch.setattr(tabular, "sampled_chunks", spy_sampled)
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "logs"
    read_all(fixtures / "litellm" / "payload.jsonl")
    read_all(fixtures / "helicone" / "requests.csv")
    assert seen == {"json": 16 << 20, "csv": 8 << 20, "tabular json": 16 << 20}


def test_the_first_chunk_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shape inferred from the first chunk comes with that chunk's table: it is handed out once, equal to
    what parsing the chunk against the shape gives, and later chunks are parsed as before."""
    import llmaudit.ingest.jsonl as jsonl

    data = "".join(chat(i) + "\n" for i in range(50)).encode()
    shape = jsonl.ExactShape.infer(data)
    assert shape is not None
    expected = jsonl._read_json(data, shape.schema, unexpected="error")
    calls: list[int] = []
    read_json = jsonl._read_json
    monkeypatch.setattr(jsonl, "_read_json", lambda *a, **k: calls.append(1) or read_json(*a, **k))
    assert shape.parse(data).equals(expected) and calls == []
    again = bytes(data)  # the same bytes in another chunk object: parsed
    assert shape.parse(again).equals(expected) and calls == [1]
