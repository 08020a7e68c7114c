"""docs/check.md: its commands run in order (the baseline it saves is the one check reads)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "check.md").read_text(encoding="utf-8")
COMMANDS = [
    line.strip()
    for block in re.findall(r"```sh\n(.*?)```", DOC, flags=re.S)
    for line in block.splitlines()
    if line.strip().startswith("llmaudit ")
]


def test_doc_commands_run_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    assert [c.split()[1] for c in COMMANDS] == ["baseline", "check", "check", "check"]
    for command in COMMANDS:
        args = [str(tmp_path / a) if a in ("base.json", "comment.md") else a for a in shlex.split(command)[1:]]
        assert main(args) == 0, command
    capsys.readouterr()
    assert (tmp_path / "comment.md").read_text().startswith("<!-- llmaudit-check -->\n### :white_check_mark:")


def test_doc_lists_every_threshold_of_the_config() -> None:
    from llmaudit.config import Thresholds

    for name in Thresholds.model_fields:
        assert f"`{name}`" in DOC, name
        assert f"`--{name.replace('_', '-')}" in DOC, name
