"""An unbalanced double quote in a CSV costs its line, not the rest of the file (issue 18.5)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from llmaudit.ingest.csvquotes import MARKER, QuoteGuard
from tests.conftest import assert_accounted, read_all

HEADER = "model,input_tokens,output_tokens,request_id,prompt"


def rows(prefix: str, n: int) -> list[str]:
    return [f"gpt-4o,{i + 1},1,{prefix}{i},hi" for i in range(n)]


@pytest.mark.parametrize("after", [5, 100, 30_000])
def test_an_unbalanced_quote_skips_its_line_and_keeps_every_row_after_it(tmp_path: Path, after: int) -> None:
    lines = [HEADER, *rows("a", 10), 'gpt-4o,5,1,bad,"unclosed prompt', *rows("b", after)]
    path = tmp_path / "q.csv"
    path.write_text("\n".join(lines) + "\n")
    frame, stats = read_all(path)
    assert len(frame) == 10 + after
    assert frame["request_id"].iloc[-1] == f"b{after - 1}"
    assert stats.lines_read == 11 + after  # data rows: every physical line after the header
    assert stats.skipped == {"invalid_csv_row": 1}
    assert stats.examples["invalid_csv_row"] == [f"{path}:12"]
    assert "never closed" in stats.details["invalid_csv_row"]
    assert_accounted(stats)


def test_quoted_fields_spanning_lines_are_still_one_row(tmp_path: Path) -> None:
    prompt = '"first line\nsecond, with a comma\n""quoted"" third"'
    lines = [HEADER, *rows("a", 2), f"gpt-4o,7,2,multi,{prompt}", *rows("b", 2)]
    path = tmp_path / "m.csv"
    path.write_text("\n".join(lines) + "\n")
    frame, stats = read_all(path)
    assert frame["request_id"].tolist() == ["a0", "a1", "multi", "b0", "b1"]
    assert frame.set_index("request_id").loc["multi", "input_tokens"] == 7
    assert stats.skipped == {}


def test_the_guard_keeps_line_count_and_crlf() -> None:
    data = b'a,b\r\n1,"x\r\n2,3\r\n4,"ok\r\nstill ok"\r\n5,6\r\n'
    out = io.BufferedReader(QuoteGuard(io.BytesIO(data), max_lines=1)).read()  # type: ignore[arg-type]
    # line 2 opens a quote that runs past 1 line: replaced; line 4's field spans one line: kept
    assert out == b"a,b\r\n" + MARKER + b'\r\n2,3\r\n4,"ok\r\nstill ok"\r\n5,6\r\n'
    assert out.count(b"\n") == data.count(b"\n")


def test_a_quote_open_at_the_end_of_the_file_is_its_line_only() -> None:
    data = b'a,b\n1,2\n3,"open\n4,5\n6,7'
    out = io.BufferedReader(QuoteGuard(io.BytesIO(data))).read()  # type: ignore[arg-type]
    assert out == b"a,b\n1,2\n" + MARKER + b"\n4,5\n6,7"


def test_a_quoted_field_closed_on_the_last_unterminated_line_is_kept() -> None:
    data = b'a,b\n1,"two\nlines"'
    assert io.BufferedReader(QuoteGuard(io.BytesIO(data))).read() == data  # type: ignore[arg-type]
