"""``analyze`` reads the project config (llmaudit.yaml, --config) as simulate and check do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main
from tests.conftest import LOGS


def _project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "prices.yaml").write_text("")  # an empty extra table changes nothing
    (tmp_path / "llmaudit.yaml").write_text(
        f"logs: [{LOGS / 'openai' / 'chat.jsonl'}]\ntimezone: America/Los_Angeles\n"
    )
    return tmp_path


def test_logs_and_timezone_come_from_llmaudit_yaml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(_project(tmp_path))
    assert main(["analyze", "-f", "json", "-q"]) == 0
    from_config = json.loads(capsys.readouterr().out)
    assert [Path(f["path"]).name for f in from_config["inputs"]] == ["chat.jsonl"]
    # 1730000000 is 2024-10-27 03:33 UTC: still the 26th in Los Angeles
    assert [(d["key"], d["requests"]) for d in from_config["by_day"]] == [("2024-10-26", 3)]


def test_flags_win_over_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(_project(tmp_path))
    assert main(["analyze", str(LOGS / "openai" / "responses.jsonl"), "-f", "json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [Path(f["path"]).name for f in data["inputs"]] == ["responses.jsonl"]


def test_explicit_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path)
    assert main(["analyze", "--config", str(project / "llmaudit.yaml"), "-f", "json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [Path(f["path"]).name for f in data["inputs"]] == ["chat.jsonl"]


def test_no_tag_ignores_the_configs_tag_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    (project / "llmaudit.yaml").write_text(f"logs: [{LOGS / 'openai' / 'chat.jsonl'}]\ntag_rules: missing.yaml\n")
    monkeypatch.chdir(project)
    assert main(["analyze", "--no-tag", "-f", "json", "-q"]) == 0  # the rules file is not even opened
    assert main(["analyze", "-f", "json", "-q"]) == 2  # with tagging it is, and it is missing
    assert "missing.yaml" in capsys.readouterr().err
