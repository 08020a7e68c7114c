"""Progress on a terminal names each stage: reading, tagging, each policy's replay.

A fake terminal (a rich Console forced to be one, writing to a buffer) stands in for
stderr; with stderr not a terminal (pytest's capture) nothing of it appears.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from rich.console import Console

from llmaudit.cli import console, main
from tests.check.project import POLICY_BASE, write_project

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def project(tmp_path: Path) -> list[str]:
    root = write_project(tmp_path)
    (root / "second.yaml").write_text(POLICY_BASE.replace("name: prod", "name: second"), encoding="utf-8")
    return ["--config", str(root / "llmaudit.yaml"), "-P", str(root / "policy.yaml"), "-P", str(root / "second.yaml")]


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    fake = Console(file=buffer, force_terminal=True, width=120, highlight=False)
    monkeypatch.setattr(console, "stderr_console", lambda: fake)
    return buffer


def test_each_stage_is_named_on_a_terminal(
    capsys: pytest.CaptureFixture[str], project: list[str], terminal: io.StringIO
) -> None:
    report = str(Path(project[1]).parent / "report.json")
    assert main(["simulate", *project, "-f", "json", "--per-request", "-", "-o", report]) == 0
    shown = ANSI.sub("", terminal.getvalue())
    for stage in (
        "reading ",
        "tagging and pricing (all bytes read)",
        "collecting 20 requests",
        "preparing the replay of 20 requests",
        "replaying policy 'prod'",
        "replaying policy 'second'",
        "2 of 2 done",
        "profiling the traffic",
        "building the per-request rows",
    ):
        assert stage in shown, stage
    out = capsys.readouterr().out
    assert out.count("\n") == 40  # stdout holds the rows only: 20 requests x 2 policies


def test_nothing_with_quiet_or_off_a_terminal(
    capsys: pytest.CaptureFixture[str], project: list[str], terminal: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["simulate", *project, "-q"]) == 0
    assert terminal.getvalue() == ""
    monkeypatch.undo()  # stderr is pytest's capture again: not a terminal
    assert main(["simulate", *project]) == 0
    err = capsys.readouterr().err
    assert "replaying" not in err and "reading" not in err and "\x1b[" not in err


def test_check_names_its_replays(project: list[str], terminal: io.StringIO) -> None:
    config, policy = project[:2], Path(project[3])
    assert main(["check", *config, "--baseline-pricing", str(policy.parent / "prices.yaml"), "-f", "json"]) == 0
    shown = ANSI.sub("", terminal.getvalue())
    assert "replaying the head traffic under the baseline's policy and prices" in shown
