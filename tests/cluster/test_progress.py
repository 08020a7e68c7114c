"""Progress of a --scheduler run: the cluster tells its callbacks how many read tasks (and
bytes) are done of those planned, then names its later stages; the CLI shows them on a
terminal's stderr (a rich Console forced to be one), and nothing with -q or off a terminal."""

from __future__ import annotations

import gzip
import io
import itertools
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from llmaudit.cli import main
from llmaudit.ingest import IngestOptions, expand_inputs
from llmaudit.pricing import load_pricing

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.cluster.analyze import TaskProgress, analyze_on
from tests.cli import test_stage_progress

terminal = test_stage_progress.terminal  # the fake terminal (a fixture)

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "sample_logs"
POLICY = ROOT / "examples" / "policies" / "cascade.yaml"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """The app log (its first request logged again at the end, so the last byte range shares
    an id with the first and is read again) and the support bot's log gzipped."""
    folder = tmp_path / "logs"
    folder.mkdir()
    app = (SAMPLES / "app" / "requests.jsonl").read_bytes()
    (folder / "app.jsonl").write_bytes(app + app.split(b"\n", 1)[0] + b"\n")
    (folder / "bot.jsonl.gz").write_bytes(gzip.compress((SAMPLES / "support-bot" / "anthropic.jsonl").read_bytes()))
    return folder


def test_tasks_and_bytes_are_counted_as_they_finish(client: Any, logs: Path) -> None:
    told: list[TaskProgress] = []
    stages: list[str] = []
    sizes = sum(p.stat().st_size for p in logs.iterdir())  # ranges cover their file; gzip counts its own size
    analyze_on(
        client,
        expand_inputs([str(logs)]),
        IngestOptions(chunk_bytes=256 << 10),
        load_pricing([]),
        range_chunks=2,
        on_task=told.append,
        on_stage=stages.append,
    )
    first, last = told[0], told[-1]
    assert (first.done, first.bytes_done, first.bytes_planned) == (0, 0, sizes)
    assert first.planned >= 5, "the app log is read as byte ranges"
    # One task per event, in order; then the re-read of the range holding the repeated id joins the plan.
    assert {t.done for t in told} == set(range(last.planned + 1))
    assert all(b.done - a.done in (0, 1) for a, b in itertools.pairwise(told))
    assert last.planned == first.planned + 1
    assert last.bytes_planned is not None and sizes < last.bytes_planned < 2 * sizes
    assert (last.done, last.bytes_done) == (last.planned, last.bytes_planned)
    assert all(a.bytes_done <= b.bytes_done for a, b in itertools.pairwise(told))
    assert stages == [f"merging the results of {first.planned} tasks", "building the report"]


def test_analyze_shows_tasks_then_stages_on_a_terminal(
    cluster: Any, logs: Path, terminal: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    address = cluster.scheduler_address
    assert main(["analyze", str(logs), "--scheduler", address, "-f", "json"]) == 0
    shown = ANSI.sub("", terminal.getvalue())
    mb = f"{sum(p.stat().st_size for p in logs.iterdir()) / 1e6:.1f} MB"
    for stage in (
        f"connecting to {address}",
        "reading on the cluster",
        "merging the results of",
        "building the report",
    ):
        assert stage in shown, stage
    done = re.findall(r"reading on the cluster.*?(\d+)/(\d+) tasks (\S+) of (\S+) MB", shown)
    assert done and done[0][0] == "0" and done[-1][0] == done[-1][1]  # from none to every task
    assert f"of {mb}" in shown
    assert capsys.readouterr().out.startswith("{")  # stdout holds the report only


def test_simulate_names_the_replays(cluster: Any, logs: Path, terminal: io.StringIO) -> None:
    """The rows stay on the workers: the stages name the replays and sums there, no gathering."""
    assert main(["simulate", str(logs), "--policy", str(POLICY), "--scheduler", cluster.scheduler_address]) == 0
    shown = ANSI.sub("", terminal.getvalue())
    assert "reading on the cluster" in shown and "replaying 1 policies on the workers" in shown
    assert "gathering the rows" not in shown


def test_nothing_with_quiet_or_off_a_terminal(
    cluster: Any,
    tmp_path: Path,
    terminal: io.StringIO,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = tmp_path / "app.jsonl"
    shutil.copy(SAMPLES / "app" / "requests.jsonl", log)
    assert main(["analyze", str(log), "--scheduler", cluster.scheduler_address, "-q"]) == 0
    assert terminal.getvalue() == ""
    monkeypatch.undo()  # stderr is pytest's capture again: not a terminal
    assert main(["analyze", str(log), "--scheduler", cluster.scheduler_address]) == 0
    err = capsys.readouterr().err
    assert "reading on the cluster" not in err and "\x1b[" not in err
