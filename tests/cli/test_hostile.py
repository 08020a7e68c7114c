"""Hostile model names and user ids from logs through every renderer of analyze, simulate and check.

The corpus is tests/fixtures/hostile/ (README there): the values would hide a PR comment, ping
a team, inject HTML, break a Markdown table, run a spreadsheet formula or drive the terminal.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.cli import main
from tests.conftest import FIXTURES

HOSTILE = FIXTURES / "hostile"
LOG = str(HOSTILE / "names.jsonl")
PRICES = str(HOSTILE / "prices.yaml")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def analyze(capsys: pytest.CaptureFixture[str], fmt: str, *extra: str) -> str:
    return run(capsys, "analyze", LOG, "--pricing", PRICES, "-q", "-f", fmt, "--group-by", "user", *extra)


def simulate(capsys: pytest.CaptureFixture[str], fmt: str) -> str:
    policy = str(Path(__file__).resolve().parents[2] / "examples" / "policies" / "four-tiers.yaml")
    return run(capsys, "simulate", LOG, "--pricing", PRICES, "-q", "-P", policy, "-f", fmt)


def check(capsys: pytest.CaptureFixture[str], fmt: str) -> str:
    return run(
        capsys,
        "check",
        LOG,
        "--pricing",
        PRICES,
        "-q",
        "-P",
        str(HOSTILE / "as-logged.yaml"),
        "--baseline-pricing",
        str(HOSTILE / "prices-old.yaml"),
        "-f",
        fmt,
    )


def assert_safe_markdown(text: str, own_comments: int = 0, own_details: int = 0) -> None:
    assert text.count("<!--") == own_comments  # check's own marker comment only
    assert text.count("</details>") == own_details
    assert "<img" not in text and "```" not in text
    assert "@acme" not in text  # the mention is broken: @&#8203;acme
    assert "\x1b" not in text and "\u202e" not in text
    for line in text.splitlines():
        if line.startswith("|"):
            # Every cell separator is the table's own: same count as the header of the table.
            assert not re.search(r"(?<!\\)\|[^|]*`", line)
    tables = re.split(r"\n\n", text)
    for block in tables:
        rows = [r for r in block.splitlines() if r.startswith("|")]
        widths = {len(re.findall(r"(?<!\\)\|", r)) for r in rows}
        assert len(widths) <= 1, block


def test_analyze_markdown_escapes_every_log_value(capsys: pytest.CaptureFixture[str]) -> None:
    out = analyze(capsys, "markdown")
    assert_safe_markdown(out)
    assert "&lt;\\!--" in out and "@&#8203;acme/security-team" in out  # shown, as text


def test_simulate_markdown_escapes_every_log_value(capsys: pytest.CaptureFixture[str]) -> None:
    out = simulate(capsys, "markdown")
    assert_safe_markdown(out)
    assert "&lt;img src=x onerror=alert(1)&gt;" in out


def test_check_markdown_escapes_every_log_value(capsys: pytest.CaptureFixture[str]) -> None:
    out = check(capsys, "markdown")
    assert_safe_markdown(out, own_comments=1, own_details=1)
    assert "&lt;\\!--" in out  # the hostile model is named in "moved most"


@pytest.mark.parametrize("command", [analyze, simulate, check])
def test_table_output_carries_no_terminal_escapes(capsys: pytest.CaptureFixture[str], command: object) -> None:
    out = command(capsys, "table")  # type: ignore[operator]
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "\\x1b[2J" in out or command is simulate  # shown as an escape where the model is listed


def test_table_does_not_read_rich_markup_from_logs(capsys: pytest.CaptureFixture[str]) -> None:
    out = analyze(capsys, "table", "--no-tag")
    assert "[link=http://evil.example]" in out.replace("\n", "")


def _assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert NUMBER.fullmatch(cell), cell


@pytest.mark.parametrize("command", [analyze, simulate, check])
def test_csv_report_cells_are_not_formulas(capsys: pytest.CaptureFixture[str], command: object) -> None:
    out = command(capsys, "csv")  # type: ignore[operator]
    rows = list(csv.reader(io.StringIO(out)))
    _assert_no_formula(rows)
    if command is analyze:
        assert ["user", '\'=HYPERLINK("http://evil.example","x")'] in [r[:2] for r in rows]


def test_per_request_csv_cells_are_not_formulas(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "rows.csv"
    analyze(capsys, "json", "--per-request", str(target))
    frame = pd.read_csv(target, dtype=str, keep_default_na=False)
    _assert_no_formula(frame.to_numpy().tolist())
    assert "'@SUM(1,1)" in set(frame["user"])
    assert (pd.to_numeric(frame["cost_usd"]) > 0).all()  # numbers stay numbers


def test_error_messages_show_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["analyze", "nofile\x1b[2J.jsonl", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "\x1b" not in err and "nofile\\x1b[2J.jsonl" in err


def test_usage_errors_show_control_characters(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["analyze", LOG, "--\x1b]0;pwned\x07"])
    err = capsys.readouterr().err
    assert code == 2
    assert "\x1b" not in err and "\\x1b]0;pwned" in err
