"""JSON documents: pretty-printed objects and JSON arrays, streamed record by record (issues 14.3, 18.15)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmaudit.errors import InputError
from llmaudit.ingest.documents import JsonDocument
from tests.conftest import read_all

RESPONSE = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1730000000,
    "model": "gpt-4o",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi\nthere"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 120, "completion_tokens": 30, "prompt_tokens_details": {"cached_tokens": 64}},
}


def record(i: int) -> dict[str, object]:
    return {**RESPONSE, "id": f"chatcmpl-{i}", "created": 1730000000 + i}


def test_a_saved_pretty_printed_response_is_one_record(tmp_path: Path) -> None:
    path = tmp_path / "curl-response.json"
    path.write_text(json.dumps(RESPONSE, indent=2) + "\n")
    frame, stats = read_all(path)
    assert stats.files[0].format == "openai"
    assert (stats.lines_read, stats.parsed) == (1, 1)
    row = frame.iloc[0]
    assert (row["input_tokens"], row["cache_read_tokens"], row["output_tokens"]) == (120, 64, 30)
    assert row["source_line"] == 1


@pytest.mark.parametrize("chunk_bytes", [64, 4096, 16 << 20])
def test_several_pretty_printed_objects_are_each_a_record(tmp_path: Path, chunk_bytes: int) -> None:
    path = tmp_path / "jq-output.json"
    path.write_text("\n".join(json.dumps(record(i), indent=4) for i in range(5)) + "\n")
    frame, stats = read_all(path, chunk_bytes=chunk_bytes)
    assert frame["request_id"].tolist() == [f"chatcmpl-{i}" for i in range(5)]
    assert frame["source_line"].tolist() == [1, 2, 3, 4, 5]  # record numbers
    assert stats.lines_read == 5


@pytest.mark.parametrize("chunk_bytes", [64, 4096, 16 << 20])
def test_a_json_array_is_read_element_by_element(tmp_path: Path, chunk_bytes: int) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([record(i) for i in range(50)], indent=1))
    frame, stats = read_all(path, chunk_bytes=chunk_bytes)
    assert frame["request_id"].tolist() == [f"chatcmpl-{i}" for i in range(50)]
    assert int(frame["input_tokens"].sum()) == 50 * 120
    assert stats.problems == []


def test_a_json_array_is_streamed_not_loaded_whole() -> None:
    consumed: list[int] = []

    def blocks() -> Iterator[bytes]:
        yield b"["
        for i in range(1000):
            consumed.append(i)
            yield (b"," if i else b"") + json.dumps(record(i)).encode()
        yield b"]"

    chunks = iter(JsonDocument(blocks(), chunk_bytes=4096))
    first = next(chunks)
    assert first.n_lines >= 1 and len(consumed) < 50  # the first records came out long before the end
    rest = list(chunks)
    assert first.n_lines + sum(c.n_lines for c in rest) == 1000


def test_a_damaged_array_keeps_the_records_before_the_damage(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    text = json.dumps([record(i) for i in range(10)])
    path.write_text(text[: text.index('"chatcmpl-7"') + 5])  # a truncated download
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == [f"chatcmpl-{i}" for i in range(7)]
    assert [p.reason for p in stats.problems] == ["invalid_json_tail"]
    assert "record 8" in stats.problems[0].message
    with pytest.raises(InputError, match=r"cut\.json: not valid JSON in record 8"):
        read_all(path, strict=True)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 5000 + "]" * 5000, "starts with '\\[' but is not valid JSON \\(record 1 is nested too deep"),
        ('[{"id": 1,', "starts with '\\[' but is not valid JSON"),
        ('{\n  "id": 1,\n  oops\n}\n', "no JSON object in the first lines"),
    ],
    ids=["too deep", "unfinished array", "bad object"],
)
def test_a_document_that_is_not_json_is_a_clear_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_all(path)


def test_an_array_element_over_the_record_cap_is_skipped_as_too_long() -> None:
    big = b'{"id": "x", "pad": "' + b"y" * 50_000 + b'"}'
    blocks = [b"[", json.dumps(record(0)).encode(), b",", big, b",", json.dumps(record(1)).encode(), b"]"]
    chunks = list(JsonDocument(iter(blocks), 1000, max_record=10_000))
    assert sum(c.n_lines for c in chunks) == 3
    assert [n for c in chunks for n in c.too_long] == [2]


def test_an_unfinished_element_over_the_record_cap_stops_with_a_reason() -> None:
    blocks = [b"[", json.dumps(record(0)).encode(), b',{"pad": "'] + [b"y" * 1000] * 50
    doc = JsonDocument(iter(blocks), 1000, max_record=10_000)
    assert sum(c.n_lines for c in doc) == 1
    assert doc.damage is not None and "record 2 is longer than" in doc.damage


def test_a_json_lines_file_whose_first_line_is_cut_short_stays_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text('{"id": "x", "model": "gpt-4o",\n' + "\n".join(json.dumps(record(i)) for i in range(3)) + "\n")
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["chatcmpl-0", "chatcmpl-1", "chatcmpl-2"]
    assert stats.skipped == {"malformed_json": 1}


def test_a_pretty_printed_object_longer_than_the_first_window_is_one_record(tmp_path: Path) -> None:
    big = {
        **RESPONSE,
        "choices": [{"message": {"role": "assistant", "content": "x\n" * 100_000}, "finish_reason": "stop"}],
    }
    path = tmp_path / "big.json"
    path.write_text(json.dumps(big, indent=2))
    frame, stats = read_all(path)
    assert (stats.lines_read, len(frame)) == (1, 1)
