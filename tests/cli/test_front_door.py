"""The root conventions people rely on: -V, shell completion."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from llmaudit import __version__
from llmaudit.cli import main


def test_short_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-V"]) == 0
    assert capsys.readouterr().out.strip() == f"llmaudit {__version__}"


def test_show_completion_prints_a_bash_script() -> None:
    # typer finds the shell among the process's parents (shellingham): run it from bash, so the
    # answer does not depend on what started pytest (a detached job has no shell parent).
    command = f"{shlex.quote(sys.executable)} -m llmaudit --show-completion"
    shown = subprocess.run(["bash", "-c", f"{command}; exit $?"], capture_output=True, text=True)
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


def _commands(group: object, ctx: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path]
    if hasattr(group, "list_commands"):
        for name in group.list_commands(ctx):
            found += _commands(group.get_command(ctx, name), ctx, (*path, name))
    return found


def test_root_help_lists_each_commands_own_first_line() -> None:
    import typer

    from llmaudit.cli.app import COMMANDS, app

    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    for name, (_, _, short) in COMMANDS.items():
        command = root.get_command(ctx, name)
        assert command is not None and command.name == name
        assert (command.help or "").strip().splitlines()[0] == short, name


def test_version_and_root_help_load_no_command() -> None:
    """--version and --help answer without pandas, pyarrow, numpy or any command module."""
    code = (
        "import sys; from llmaudit.cli import main; main([{arg!r}]); "
        "heavy = [m for m in ('pandas', 'pyarrow', 'numpy', 'llmaudit.cli.analyze', 'llmaudit.ingest') "
        "if m in sys.modules]; print('HEAVY', heavy, file=sys.stderr)"
    )
    for arg in ("--version", "--help"):
        done = subprocess.run([sys.executable, "-c", code.format(arg=arg)], capture_output=True, text=True)
        assert "HEAVY []" in done.stderr, (arg, done.stderr)


def test_no_help_shows_a_python_type(capsys: pytest.CaptureFixture[str]) -> None:
    import typer

    from llmaudit.cli.app import app

    root = typer.main.get_command(app)
    commands = _commands(root, typer.Context(root))
    assert ("pricing", "import") in commands and ("analyze",) in commands
    for path in commands:
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "\\b" not in out, path  # click's no-rewrap marker, printed literally when escaped
        for line in out.split("Examples:", 1)[-1].splitlines():  # one example a line, never run together
            assert line.count("llmaudit ") <= 1 or line.strip().startswith("#"), (path, line)
        for python_type in ("<list[", "<str>", "<int>", "<float>", "<Path>", "<path>", "<bool>"):
            assert python_type not in out, (path, python_type)
        assert " range>" not in out, path  # typer shows a bounded number as "<int range>" without a metavar
    assert main(["pricing", "import", "--help"]) == 0
    assert "FORMAT <litellm|openrouter>" in capsys.readouterr().out  # choices are worth showing


@pytest.mark.parametrize("command", [["analyze"], ["simulate", "-P", "examples/policies/task-map.yaml"]])
def test_dash_output_is_stdout(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = Path(__file__).resolve().parents[2]
    args = [command[0], str(root / "sample_logs"), *[str(root / a) if a.endswith(".yaml") else a for a in command[1:]]]
    monkeypatch.chdir(tmp_path)
    assert main([*args, "-o", "-", "-f", "json", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["schema_version"]
    assert not (tmp_path / "-").exists()


def test_every_option_and_argument_says_what_it_does() -> None:
    """--help lists no option without a line saying what it is for (shadow's --scorer-timeout had none)."""
    import typer

    from llmaudit.cli.app import app

    root = typer.main.get_command(app)
    ctx = typer.Context(root)
    bare = []
    for path in _commands(root, ctx):
        command = root
        for name in path:
            command = command.get_command(ctx, name)  # type: ignore[attr-defined]
        for param in command.params:
            if getattr(param, "hidden", False):
                continue
            if not (getattr(param, "help", None) or "").strip():
                bare.append((" ".join(path) or "llmaudit", param.name))
    assert bare == []
