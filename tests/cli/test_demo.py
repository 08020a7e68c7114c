"""``--demo``: a first command that works anywhere, on the sample logs shipped with llmaudit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.shipped import DEMO_POLICIES, demo_logs

ROOT = Path(__file__).resolve().parents[2]


def test_analyze_demo_reads_the_shipped_sample_logs(capsys: pytest.CaptureFixture[str]) -> None:
    assert demo_logs() == ROOT / "sample_logs"  # in a checkout: the repository's own folder
    assert main(["analyze", "--demo", "-f", "json", "-q"]) == 0
    demo = json.loads(capsys.readouterr().out)
    assert main(["analyze", str(ROOT / "sample_logs"), "-f", "json", "-q"]) == 0
    direct = json.loads(capsys.readouterr().out)
    assert demo["summary"] == direct["summary"]
    assert demo["summary"]["requests"] == 2573  # sample_logs/README.md


def test_simulate_demo_replays_the_example_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--demo", "-f", "json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["policies"]) == len(DEMO_POLICIES)


@pytest.mark.parametrize("command", ["analyze", "simulate"])
def test_demo_with_logs_is_a_usage_error(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--demo", str(ROOT / "sample_logs")]) == 2
    assert "--demo reads the shipped sample logs" in capsys.readouterr().err


def test_root_help_starts_with_a_command_that_works_anywhere(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "Start with:  llmaudit analyze --demo " in out
    assert "then:        llmaudit analyze YOUR_LOGS/" in out
