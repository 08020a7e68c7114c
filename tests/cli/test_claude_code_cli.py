"""``analyze --claude-code``: Claude Code's session logs found where Claude Code keeps them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main
from tests.conftest import LOGS, read_all

TREE = LOGS / "claude_code"  # holds projects/<project>/<session>.jsonl


def test_claude_code_reads_the_configured_tree_by_project(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(TREE))
    frame, _ = read_all(TREE / "projects")  # what --claude-code reads (untyped/ is beside it)
    assert main(["analyze", "--claude-code", "--group-by", "project", "-f", "json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["requests"] == len(frame)
    assert {f["format"] for f in data["inputs"]} == {"claude-code"}
    by_project = {r["key"]: r["requests"] for r in data["groups"]["project"]}
    assert by_project == frame["project"].value_counts().to_dict()
    assert len(by_project) == 2  # the webapp and cli projects


@pytest.fixture
def no_claude_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A home with no Claude Code folder anywhere llmaudit looks; returns the home."""
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def test_claude_code_says_where_it_looked(capsys: pytest.CaptureFixture[str], no_claude_code: Path) -> None:
    tmp_path = no_claude_code
    assert main(["analyze", "--claude-code"]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / "xdg" / "claude" / "projects") in err
    assert str(tmp_path / ".claude" / "projects") in err
    assert "CLAUDE_CONFIG_DIR" in err and "Traceback" not in err


def test_no_logs_and_no_claude_code_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze"]) == 2
    assert "no logs given" in capsys.readouterr().err


def test_claude_code_missing_is_a_warning_when_other_logs_are_given(
    capsys: pytest.CaptureFixture[str], no_claude_code: Path
) -> None:
    openai = LOGS / "openai"
    assert main(["analyze", str(openai), "--claude-code", "-f", "json", "-q"]) == 0
    captured = capsys.readouterr()
    assert "warning: --claude-code: no Claude Code session logs found" in captured.err
    assert {f["format"] for f in json.loads(captured.out)["inputs"]} <= {"openai", "openai (wrapped)"}
