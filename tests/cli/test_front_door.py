"""The root conventions people rely on: -V, shell completion."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from llmaudit import __version__
from llmaudit.cli import main


def test_short_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-V"]) == 0
    assert capsys.readouterr().out.strip() == f"llmaudit {__version__}"


def test_show_completion_prints_a_bash_script() -> None:
    shown = subprocess.run(
        [sys.executable, "-m", "llmaudit", "--show-completion", "bash"], capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    assert "_llmaudit_completion" in shown.stdout and "complete " in shown.stdout


def _complete(words: str) -> list[str]:
    """What bash completion offers for the command line ``words`` (the last word being typed)."""
    env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split(" ")) - 1)}
    env["_LLMAUDIT_COMPLETE"] = "complete_bash"
    done = subprocess.run([sys.executable, "-m", "llmaudit"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_offers_commands_options_and_choices() -> None:
    assert _complete("llmaudit ana") == ["analyze"]
    assert "--per-request" in _complete("llmaudit analyze --per")
    assert {"table", "json", "csv", "markdown"} <= set(_complete("llmaudit analyze --format "))


def _commands(group: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    for name, command in getattr(group, "commands", {}).items():
        found += _commands(command, (*path, name))
    return found


def test_no_help_shows_a_python_type(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from llmaudit.cli.app import app

    commands = _commands(typer.main.get_command(app))
    assert ("pricing", "import") in commands and ("analyze",) in commands
    for path in commands:
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "\\b" not in out, path  # click's no-rewrap marker, printed literally when escaped
        for line in out.split("Examples:", 1)[-1].splitlines():  # one example a line, never run together
            assert line.count("llmaudit ") <= 1 or line.strip().startswith("#"), (path, line)
        for python_type in ("<list[", "<str>", "<int>", "<float>", "<Path>", "<path>", "<bool>"):
            assert python_type not in out, (path, python_type)
    assert main(["pricing", "import", "--help"]) == 0
    assert "FORMAT <litellm|openrouter>" in capsys.readouterr().out  # choices are worth showing
