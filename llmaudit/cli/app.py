"""The typer application and its root options; commands live in their own modules.

The root group loads a command's module only when that command runs (or its own help
is asked for): ``llmaudit --version`` and ``llmaudit --help`` import typer and nothing of
pandas, pyarrow or numpy, so they answer at once. ``COMMANDS`` names each command's
module, the typer app in it, and the one-line help the root help lists (a test checks it
against the command's own).
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer import _click as click
from typer.core import TyperArgument, TyperGroup

from llmaudit import __version__

HELP = """\
Cost audit and routing simulator for LLM API traffic.

Reads the request logs you already have (OpenAI, Anthropic, Gemini, batch files, your
own JSONL/CSV), prices every request exactly from YAML price tables, and shows where
the money goes. Everything runs offline.

\b
Start with:  llmaudit analyze --demo      (the sample logs shipped with llmaudit)
then:        llmaudit analyze YOUR_LOGS/

Exit codes: 0 ok, 1 gate failed, 2 bad input or usage, 3 internal error, 130 interrupted
(143 SIGTERM, 129 SIGHUP).
"""


def _argument_type(self: TyperArgument, ctx: click.Context) -> str | None:
    """An argument's help shows its choices (``<litellm|openrouter>``), never a Python type.

    typer appends the annotation to every argument (``LOGS <list[str]>``) with no switch to
    turn it off; its metavar already says what to pass.
    """
    return _typer_argument_type(self, ctx) if self.type_descriptor.is_choice else None


_typer_argument_type = TyperArgument.display_type_rich
TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign, assignment]

SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}

# name -> (module, typer app in it, the one line the root help shows)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "analyze": ("llmaudit.cli.analyze", "app", "Price every request in LOGS and report where the money goes."),
    "simulate": (
        "llmaudit.cli.simulate",
        "app",
        "Replay the logged traffic under routing policies and compare what it would cost.",
    ),
    "shadow": (
        "llmaudit.cli.shadow",
        "app",
        "Replay a sample of the logged requests to candidate models and score their answers.",
    ),
    "check": (
        "llmaudit.cli.check",
        "check_app",
        "Fail a pull request that raises projected monthly LLM cost, and say why it moved.",
    ),
    "baseline": (
        "llmaudit.cli.check",
        "baseline_app",
        "Save the baseline `llmaudit check` compares with: `simulate --format json` under another name.",
    ),
    "pricing": ("llmaudit.cli.pricing", "pricing_app", "Inspect, check, compare and import price tables."),
}


def command_app(**options: Any) -> typer.Typer:
    """A typer app for one command module, with the root's help settings."""
    return typer.Typer(
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings=SETTINGS,
        add_completion=False,
        **options,
    )


class LazyGroup(TyperGroup):
    """The root group: commands are imported when used, listed from ``COMMANDS`` otherwise."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute, _ = COMMANDS[cmd_name]
        command = typer.main.get_command(getattr(importlib.import_module(module), attribute))
        command.name = cmd_name
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, _, short) in COMMANDS.items()])


app = typer.Typer(
    name="llmaudit",
    help=HELP,
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings=SETTINGS,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"llmaudit {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", "-V", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the Python traceback of internal errors (any position).")
    ] = False,
) -> None:
    """Root options (the CLI entry point strips --debug wherever it appears)."""
