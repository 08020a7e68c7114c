"""action.yml (the reusable GitHub Action) and the five-line workflow that uses it.

The action's shell steps are read as written: every ``llmaudit`` line runs against a project
whose llmaudit.yaml points at sample_logs/, with the runner's variables and the action's
``env`` values put in, the base branch's worktree being a copy of the project.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.check.ci import run_commands, sample_project

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
EXAMPLE = ROOT / "examples" / "ci" / "github-action.yml"


def load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_action_is_a_composite_action_installing_its_own_checkout() -> None:
    action = load(ACTION)
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    install = next(s for s in steps if s.get("name") == "Install llmaudit")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert set(action["inputs"]) == {"config", "python-version", "check-args", "comment", "github-token"}
    for step in steps:
        if "run" in step:
            assert step["shell"] == "bash"  # composite steps must name their shell
            # inputs reach the shell through env, never spliced into the script (script injection)
            assert "${{" not in step["run"], step["run"]


def test_action_comment_finds_the_marker_check_writes() -> None:
    assert "<!-- llmaudit-check -->" in ACTION.read_text(encoding="utf-8")


def test_workflow_using_the_action_is_five_lines() -> None:
    lines = [ln for ln in EXAMPLE.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    assert len(lines) <= 7  # on, permissions, jobs, the job, runs-on, steps (checkout + the action)
    steps = load(EXAMPLE)["jobs"]["cost"]["steps"]
    assert [s["uses"].split("@")[0] for s in steps] == ["actions/checkout", "OWNER/llmaudit"]


def test_action_commands_run_on_sample_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    head = sample_project(tmp_path / "head")
    runner = tmp_path / "runner"
    runner.mkdir()
    shutil.copytree(head, runner / "llmaudit-base")  # the base branch's worktree
    monkeypatch.chdir(head)
    env = {"RUNNER_TEMP": str(runner), "LLMAUDIT_CONFIG": "llmaudit.yaml", "CHECK_ARGS": "--max-increase-usd 1000"}
    lines = [line.strip() for step in load(ACTION)["runs"]["steps"] for line in step.get("run", "").splitlines()]
    ran = run_commands([line for line in lines if line.startswith("llmaudit ")], env)
    capsys.readouterr()
    assert ran == ["baseline", "check"]
    text = (runner / "llmaudit-comment.md").read_text()
    assert text.startswith("<!-- llmaudit-check -->\n")
