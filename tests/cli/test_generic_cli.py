"""``llmaudit analyze`` on the generic format: CSV auto-mapping, --mapping, --map, and their errors."""

from __future__ import annotations

import json

import pytest

from llmaudit.cli import main
from tests.conftest import LOGS

GENERIC = LOGS / "generic"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    """The single ``llmaudit: error:`` line of a user error (and no traceback)."""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if line.startswith("llmaudit: error:")]
    assert len(errors) == 1, err
    return errors[0]


def test_analyze_auto_mapped_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", str(GENERIC / "auto.csv"), "--format", "json", "--quiet")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    # 7 lines after the header: r1, r2, r6, r7 parsed; bad number, blank line, short row skipped
    assert summary["requests"] == 4
    assert summary["lines_read"] == 7
    assert summary["skipped_lines"] == 3
    assert summary["failed_requests"] == 1  # r6, HTTP 500


def test_analyze_with_a_mapping_file(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["analyze", str(GENERIC / "exclusive.csv"), "--mapping", str(GENERIC / "exclusive.yaml")]
    code, out, err = run(capsys, *args, "--format", "json", "--quiet")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["requests"] == 3
    # exclusive -> inclusive: 1500 + 8000 + 300 input, 200 + 600 + 0 output
    assert summary["tokens"]["input_tokens"] == 9800
    assert summary["tokens"]["output_tokens"] == 800


def test_mapping_implies_generic_for_jsonl(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["analyze", str(GENERIC / "nested.jsonl"), "--mapping", str(GENERIC / "nested.yaml")]
    code, out, err = run(capsys, *args, "--format", "json", "--quiet")
    assert code == 0, err
    assert json.loads(out)["summary"]["requests"] == 4


def test_map_flags(capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "analyze",
        str(GENERIC / "exclusive.csv"),
        "--map",
        "model=engine",
        "--map",
        "input_tokens=tok_in",
    ]
    code, out, err = run(capsys, *args, "--map", "output_tokens=tok_out", "--format", "json", "--quiet")
    assert code == 0, err
    summary = json.loads(out)["summary"]
    assert summary["requests"] == 3
    assert summary["tokens"]["input_tokens"] == 1000 + 1000 + 300


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("model", "llmaudit: error: --map 'model': expected FIELD=SOURCE"),
        ("tokens=x", "llmaudit: error: --map 'tokens=x': unknown field 'tokens'"),
    ],
)
def test_bad_map_value(capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    code, out, err = run(capsys, "analyze", str(GENERIC / "auto.csv"), "--map", value)
    assert code == 2
    assert out == ""
    assert err.strip() == one_line_error(err)  # the whole message is one line
    assert one_line_error(err).startswith(message)
    assert "request_id, timestamp" in err  # lists the fields


def test_bad_mapping_file(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["analyze", str(GENERIC / "exclusive.csv"), "--mapping", str(GENERIC / "missing_column.yaml")]
    code, out, err = run(capsys, *args, "--quiet")
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert "missing_column.yaml:5: fields.latency_ms: column 'elapsed'" in line
    assert "'took'" in line


def test_unmappable_csv(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "analyze", str(GENERIC / "exclusive.csv"), "--input-format", "generic", "--quiet")
    assert code == 2
    assert "cannot map the columns" in one_line_error(err)
    assert "hint:" in err and "--mapping FILE.yaml" in err
