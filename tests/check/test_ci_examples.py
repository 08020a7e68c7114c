"""examples/ci: the workflow files are valid YAML and their llmaudit commands run.

The commands are taken from the files as written (every line of a ``run:`` block or a
``script:`` item that starts with ``llmaudit``), with the CI's variables set to a
temporary directory and ``|| status=$?`` dropped, and run against a project whose
llmaudit.yaml points at sample_logs/ and an example policy, with ``base/`` standing for
the base branch's worktree.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from tests.check.ci import run_commands, sample_project

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"
# Workflows that run llmaudit themselves; github-action.yml uses the reusable action (test_action.py).
FILES = sorted(p for p in CI.glob("*.yml") if p.name != "github-action.yml")


def shell_lines(node: object) -> list[str]:
    """Every shell line of a workflow: GitHub ``run:`` blocks and GitLab ``script:`` items."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "run" and isinstance(value, str):
                found += value.splitlines()
            elif key in ("script", "before_script") and isinstance(value, list):
                found += [line for item in value for line in str(item).splitlines()]
            else:
                found += shell_lines(value)
    elif isinstance(node, list):
        for item in node:
            found += shell_lines(item)
    return found


def llmaudit_commands(path: Path) -> list[str]:
    lines = shell_lines(yaml.safe_load(path.read_text(encoding="utf-8")))
    return [line.strip() for line in lines if line.strip().startswith("llmaudit ")]


def test_there_are_both_examples() -> None:
    assert [p.name for p in FILES] == ["github-actions.yml", "gitlab-ci.yml"]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_is_valid_yaml_with_baseline_and_check(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    commands = llmaudit_commands(path)
    assert [c.split()[1] for c in commands] == ["baseline", "check"]
    assert "<!-- llmaudit-check -->" in path.read_text(encoding="utf-8")  # finds its comment to update it


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_example_commands_run_on_sample_logs(
    path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    head = sample_project(tmp_path / "head")
    shutil.copytree(head, head / "base")  # the base branch's worktree: the same project
    monkeypatch.chdir(head)
    env = {"RUNNER_TEMP": str(tmp_path / "runner"), "CI_PROJECT_DIR": str(head)}
    (tmp_path / "runner").mkdir()
    run_commands(llmaudit_commands(path), env)
    capsys.readouterr()
    comment = next(p for p in (tmp_path / "runner" / "comment.md", head / "comment.md") if p.exists())
    text = comment.read_text()
    assert text.startswith("<!-- llmaudit-check -->\n### :white_check_mark: llmaudit check passed")
    assert "<details><summary>Details</summary>" in text
    assert os.path.getsize(comment) < 4000  # compact enough for a comment
