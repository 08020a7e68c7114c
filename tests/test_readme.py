"""The README's commands work as written (docs are part of the code).

Every ``llmaudit ...`` line in a ```sh block is run through the real CLI entry point
from the repository root; output files it names go to a temporary directory. The two
quick-start commands are checked for their shape (installing is CI's job).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
COMMANDS = [line.strip() for block in BLOCKS for line in block.splitlines() if line.strip().startswith("llmaudit ")]
OUTPUT_FLAGS = ("--output", "-o", "--per-request")


def test_quick_start_has_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", quick, flags=re.S)
    assert [c.strip() for c in commands] == [
        "python -m pip install . && python -m llmaudit analyze sample_logs/",
        'python -m pip install -e ".[test]" && python -m pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".[test]" && python -m pytest' in ci


def test_readme_has_commands_to_check() -> None:
    assert len(COMMANDS) >= 4


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # --claude-code reads the fixture tree, as if it were the user's Claude Code directory.
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(ROOT / "tests" / "fixtures" / "logs" / "claude_code"))
    args = shlex.split(command)[1:]
    for i, arg in enumerate(args[:-1]):
        if arg in OUTPUT_FLAGS:
            args[i + 1] = str(tmp_path / Path(args[i + 1]).name)
    if "my-prices.yaml" in args:
        prices = tmp_path / "my-prices.yaml"
        prices.write_text(
            "schema_version: 1\nname: mine\nsource: README example\nas_of: 2026-11-01\n"
            "models:\n  gpt-4o:\n    input: 2.00\n",
            encoding="utf-8",
        )
        args[args.index("my-prices.yaml")] = str(prices)
    assert main(args) == 0, command
