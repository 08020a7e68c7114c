"""``--per-request -``: the per-request rows as JSON Lines on stdout, streamed chunk by chunk.

The project of tests/check/project.py: 20 requests (10 chat at $2.50, 10 classification at
$2.30 on frontier-x: $48.00 logged; policy prod sends chat to budget-y at $0.20: $25.00).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.cli import main
from llmaudit.report.per_request import PerRequestWriter, stream_jsonl
from tests.check.project import write_project


@pytest.fixture
def project(tmp_path: Path) -> list[str]:
    root = write_project(tmp_path)
    return ["--config", str(root / "llmaudit.yaml"), "-q"]


def _rows(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def test_analyze_streams_the_rows_and_nothing_else(
    capsys: pytest.CaptureFixture[str], project: list[str], tmp_path: Path
) -> None:
    report = tmp_path / "report.json"
    assert main(["analyze", *project, "--per-request", "-", "-f", "json", "-o", str(report)]) == 0
    out, err = capsys.readouterr()
    rows = _rows(out)  # every stdout line is a JSON object: no report mixed in
    assert len(rows) == 20 and err == ""
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(48.0)  # type: ignore[misc]
    assert list(rows[0])[:5] == ["request_id", "timestamp", "model", "priced_model", "pricing_mode"]
    assert json.loads(report.read_text())["summary"]["total_cost_usd"] == pytest.approx(48.0)
    assert not (Path.cwd() / "-").exists()


def test_without_output_the_report_is_not_written(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = write_project(tmp_path)
    assert main(["analyze", "--config", str(root / "llmaudit.yaml"), "--per-request", "-"]) == 0
    out, err = capsys.readouterr()
    assert len(_rows(out)) == 20
    assert "--per-request - writes the rows to stdout; the report is not written (add -o FILE)" in err


def test_simulate_streams_one_row_per_request_and_policy(
    capsys: pytest.CaptureFixture[str], project: list[str]
) -> None:
    assert main(["simulate", *project, "--per-request", "-"]) == 0
    rows = _rows(capsys.readouterr().out)
    assert len(rows) == 20 and {r["policy"] for r in rows} == {"prod"}
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(25.0)  # type: ignore[misc]
    assert sum(r["baseline_cost_usd"] for r in rows) == pytest.approx(48.0)  # type: ignore[misc]


@pytest.mark.parametrize("command", ["analyze", "simulate"])
def test_both_on_stdout_is_a_usage_error(capsys: pytest.CaptureFixture[str], project: list[str], command: str) -> None:
    assert main([command, *project, "--per-request", "-", "-o", "-"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "llmaudit: error: --per-request - and -o - both write to stdout" in err
    assert "Traceback" not in err


class _Chunks(io.StringIO):
    """A stream that records what it held at each flush."""

    def __init__(self) -> None:
        super().__init__()
        self.flushed: list[int] = []

    def flush(self) -> None:
        self.flushed.append(self.getvalue().count("\n"))


def test_rows_go_out_chunk_by_chunk() -> None:
    frame = pd.DataFrame({"policy": ["p"] * 5, "request_id": list("abcde"), "cost_usd": [1.0, 2.0, 3.0, 4.0, 5.0]})
    stream = _Chunks()
    stream_jsonl(frame, stream, chunk_rows=2)
    assert stream.flushed == [2, 4, 5]  # three chunks, each sent when written
    assert [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()] == list("abcde")
    # analyze's writer sends each priced chunk as it comes, and never closes the stream.
    writer_stream = _Chunks()
    writer = PerRequestWriter("-", stream=writer_stream, tagged=False)
    assert writer.kind == "jsonl" and writer.tmp is None
    writer.abort()
    assert not writer_stream.closed


@pytest.mark.parametrize("command", ["analyze", "simulate"])
def test_a_reader_going_away_ends_quietly(command: str) -> None:
    # `llmaudit ... --per-request - | head -1`: a real pipe, closed after one line while
    # megabytes of rows are still to come. The run ends with exit 0 and says nothing.
    root = Path(__file__).resolve().parents[2]
    args = [sys.executable, "-m", "llmaudit", command, "sample_logs/app", "--per-request", "-", "-q"]
    if command == "simulate":
        args += ["-P", "examples/policies/task-map.yaml"]
    with subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as run:
        assert run.stdout is not None and run.stderr is not None
        first = run.stdout.readline()
        run.stdout.close()
        err = run.stderr.read()
        code = run.wait(timeout=300)
    assert json.loads(first)["request_id"]
    assert (code, err) == (0, b"")
