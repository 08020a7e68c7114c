"""The CLI contract: exit codes, messages without tracebacks, output options."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit import __version__
from llmaudit.cli import main
from llmaudit.report import RENDERERS
from tests.conftest import FIXTURES, LOGS

AUDIT = str(LOGS / "report" / "audit.jsonl")
PRICES = str(FIXTURES / "pricing" / "report.yaml")


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "--version") == (0, f"llmaudit {__version__}\n", "")


def test_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", "--help")
    assert code == 0
    for text in ("--format", "--pricing", "--per-request", "--group-by", "--strict", "Examples:"):
        assert text in out
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "Exit codes" in out and "analyze" in out


def test_no_arguments_shows_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys)
    assert code in (0, 2)
    assert "Usage" in out + err


def test_analyze_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", AUDIT, "--pricing", PRICES, "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["requests"] == 8
    assert data["summary"]["skipped_lines"] == 2


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
def test_every_format_is_reachable_and_written_to_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / "sub" / f"report.{fmt}"
    code, out, err = run(capsys, "analyze", AUDIT, "--pricing", PRICES, "-f", fmt, "-o", str(target), "-q")
    assert code == 0, err
    assert out == ""
    assert target.read_text(encoding="utf-8").strip()
    assert "\x1b[" not in target.read_text(encoding="utf-8")


def test_table_report_has_no_colour_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "analyze", AUDIT, "--pricing", PRICES)
    assert code == 0
    assert "\x1b[" not in out
    assert "By model" in out and "mystery-model-x" in out and "UNPRICED" in out


def test_prompt_text_is_not_printed(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, err = run(capsys, "analyze", AUDIT, "--pricing", PRICES, "-f", "markdown")
    assert "refund request" not in out + err


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_per_request_output(capsys: pytest.CaptureFixture[str], tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"rows{suffix}"
    code, _, err = run(capsys, "analyze", AUDIT, "--pricing", PRICES, "--per-request", str(target), "-q", "-f", "json")
    assert code == 0, err
    rows = {
        ".csv": pd.read_csv,
        ".jsonl": lambda p: pd.read_json(p, lines=True),
        ".parquet": pd.read_parquet,
    }[suffix](target)
    assert len(rows) == 8
    for column in (
        "request_id",
        "timestamp",
        "model",
        "input_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cost_usd",
    ):
        assert column in rows.columns
    assert "prompt_text" not in rows.columns
    # r4: o3, 3000*2 + 4000*8 = 38000 per million
    assert rows.set_index("request_id").loc["r4", "cost_usd"] == pytest.approx(0.038)
    assert pd.isna(rows.set_index("request_id").loc["r5", "cost_usd"])  # unpriced stays empty, never 0


def test_per_request_with_prompts_when_asked(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "rows.jsonl"
    run(capsys, "analyze", AUDIT, "--pricing", PRICES, "--per-request", str(target), "--include-prompts", "-q")
    assert "prompt_text" in pd.read_json(target, lines=True).columns


def test_per_request_bad_suffix_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run(capsys, "analyze", AUDIT, "--per-request", str(tmp_path / "rows.xlsx"))
    assert code == 2
    assert "llmaudit: error: --per-request" in err and ".csv, .jsonl or .parquet" in err
    assert "Traceback" not in err and out == ""
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["analyze", "missing.jsonl"], "missing.jsonl: no such file or directory"),
        (["analyze", AUDIT, "--pricing", "nope.yaml"], "nope.yaml: no such price table"),
        (["analyze", AUDIT, "--input-format", "nope"], "nope"),
        (["analyze", AUDIT, "--format", "pdf"], "pdf"),
        (["analyze", AUDIT, "--group-by", "colour"], "colour"),
        (["analyze", AUDIT, "--strict"], "audit.jsonl:8: not valid JSON"),
    ],
)
def test_bad_input_exits_2_with_one_clear_message(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err
    assert out == ""


def test_unusable_input_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    code, _, err = run(capsys, "analyze", str(empty))
    assert code == 2
    assert err.startswith("llmaudit: error: no records in the input")


def test_bad_price_table_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    table = tmp_path / "prices.yaml"
    table.write_text(
        "schema_version: 1\nname: t\nsource: x\nas_of: 2026-11-01\nmodels:\n  m:\n    input: 3e-6\n    output: 1\n"
    )
    code, _, err = run(capsys, "analyze", AUDIT, "--pricing", str(table))
    assert code == 2
    assert f"{table}:7" in err and "per-token" in err


def test_internal_error_exits_3_with_debug_hint(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr("llmaudit.cli.analyze.analyze", boom)
    code, _, err = run(capsys, "analyze", AUDIT, "--pricing", PRICES)
    assert code == 3
    assert "internal error: RuntimeError: kaput" in err and "--debug" in err
    assert "Traceback" not in err
    # --debug shows the traceback and still exits 3 (it used to escape main() and exit 1, the gate's code).
    code, _, err = run(capsys, "--debug", "analyze", AUDIT, "--pricing", PRICES)
    assert code == 3 and "Traceback" in err and "RuntimeError: kaput" in err


def test_keyboard_interrupt_exits_130(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("llmaudit.cli.analyze.analyze", interrupted)
    code, _, err = run(capsys, "analyze", AUDIT, "--pricing", PRICES)
    assert code == 130
    assert "interrupted" in err


def test_failed_run_leaves_no_partial_per_request_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "rows.csv"
    code, _, _ = run(capsys, "analyze", AUDIT, "--pricing", PRICES, "--strict", "--per-request", str(target))
    assert code == 2
    assert list(tmp_path.iterdir()) == []


def test_python_dash_m_entry_point() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "llmaudit", "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, f"llmaudit {__version__}")


def test_format_aliases_are_accepted(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", str(LOGS / "openai" / "chat.jsonl"), "-i", "openai-chat", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["summary"]["requests"] == 3


def test_mapping_with_another_forced_format_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "analyze", AUDIT, "-i", "openai", "--map", "model=m")
    assert code == 2
    assert "--mapping/--map describe the 'generic' format" in err


def test_since_until_and_timezone(capsys: pytest.CaptureFixture[str]) -> None:
    # the fixture spans 2025-03-01T10:00Z to 2025-03-02T12:00Z; March 2 holds 4 requests (1 of them failed)
    code, out, err = run(capsys, "analyze", AUDIT, "--pricing", PRICES, "-f", "json", "--since", "2025-03-02")
    assert code == 0, err
    data = json.loads(out)
    assert data["summary"]["requests"] == 4
    assert any(s["reason"] == "outside_period" and s["count"] == 4 for s in data["skipped"])
    code, _, err = run(capsys, "analyze", AUDIT, "--since", "soon")
    assert code == 2 and "--since 'soon': not a date" in err
    code, _, err = run(capsys, "analyze", AUDIT, "--timezone", "Nowhere/Land")
    assert code == 2 and "not a known time zone" in err


@pytest.mark.parametrize(
    ("since", "until"), [("2025-03-02", "2025-03-01"), ("2025-03-02T12:00:00Z", "2025-03-02T12:00:00Z")]
)
def test_a_period_that_holds_no_time_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], since: str, until: str
) -> None:
    # Before: every request skipped as outside_period and "no usable records" blamed the logs.
    code, out, err = run(capsys, "analyze", AUDIT, "--since", since, "--until", until)
    assert code == 2 and out == ""
    assert f"--since {since} is not before --until {until}" in err and "swap them" in err
    assert "no usable records" not in err and "Traceback" not in err
    # A single day is a period: --since D --until D keeps all of day D.
    code, out, err = run(
        capsys, "analyze", AUDIT, "--pricing", PRICES, "-f", "json", "--since", "2025-03-02", "--until", "2025-03-02"
    )
    assert code == 0, err
    assert json.loads(out)["summary"]["requests"] == 4
