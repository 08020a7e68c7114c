"""Escaping of values taken from logs: terminal, Markdown and CSV (issue 18.17-18.19)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from llmaudit.report.safety import csv_column, csv_text, map_strings, md_text, term_message, term_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[2Jgpt", "\\x1b[2Jgpt"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),
        ("a\nb\rc", "a\\x0ab\\x0dc"),
        ("\x9b31m", "\\x9b31m"),  # the one-byte CSI
        ("\u202eevil", "\\u202eevil"),  # right-to-left override
        ("gpt-4o [beta]", "gpt-4o [beta]"),
    ],
)
def test_term_text_shows_control_characters(raw: str, shown: str) -> None:
    assert term_text(raw) == shown


def test_term_message_keeps_newlines_only() -> None:
    assert term_message("line 1\nline \x1b[31m2") == "line 1\nline \\x1b[31m2"


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("<!--", "&lt;\\!--"),
        ("@acme/security-team", "@&#8203;acme/security-team"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("a|b\n```", "a\\|b \\`\\`\\`"),
        ("</details>", "&lt;/details&gt;"),
        ("[x](http://e) *b* ~s~ # \\", "\\[x\\](http://e) \\*b\\* \\~s\\~ \\# \\\\"),
        ("gpt-4o-mini_2024.07", "gpt-4o-mini_2024.07"),
    ],
)
def test_md_text_escapes_markup(raw: str, escaped: str) -> None:
    assert md_text(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "cell"),
    [
        ('=HYPERLINK("http://e","x")', '\'=HYPERLINK("http://e","x")'),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\nx"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("-1.5", "-1.5"),
        ("+3", "+3"),
        ("-2e-3", "-2e-3"),
        ("gpt-4o", "gpt-4o"),
    ],
)
def test_csv_text_defuses_formulas_not_numbers(raw: str, cell: str) -> None:
    assert csv_text(raw) == cell


def test_csv_column_matches_csv_text_and_keeps_missing() -> None:
    values = ["=1+1", "ok", None, "-3", "+x", "@a", "x\r\ny", "\ry"]
    out = csv_column(pd.Series(values, dtype="str"))
    assert out.iloc[[0, 1, 3, 4, 5, 6, 7]].tolist() == ["'=1+1", "ok", "-3", "'+x", "'@a", "x\ny", "'\ny"]
    assert pd.isna(out.iloc[2])


@dataclass(frozen=True)
class _Row:
    key: str
    n: int


@dataclass(frozen=True)
class _Report:
    rows: tuple[_Row, ...]
    groups: dict[str, list[_Row]]


def test_map_strings_reaches_every_string() -> None:
    report = _Report(rows=(_Row("a", 1),), groups={"g": [_Row("b", 2)]})
    assert map_strings(report, str.upper) == _Report(rows=(_Row("A", 1),), groups={"G": [_Row("B", 2)]})
