"""The typer application and its root options; commands live in their own modules."""

from __future__ import annotations

from typing import Annotated

import typer
from typer import _click as click
from typer.core import TyperArgument

from llmaudit import __version__

HELP = """\
Cost audit and routing simulator for LLM API traffic.

Reads the request logs you already have (OpenAI, Anthropic, Gemini, batch files, your
own JSONL/CSV), prices every request exactly from YAML price tables, and shows where
the money goes. Everything runs offline.

\b
Start with:  llmaudit analyze --demo      (the sample logs shipped with llmaudit)
then:        llmaudit analyze YOUR_LOGS/

Exit codes: 0 ok, 1 gate failed, 2 bad input or usage, 3 internal error, 130 interrupted.
"""


def _argument_type(self: TyperArgument, ctx: click.Context) -> str | None:
    """An argument's help shows its choices (``<litellm|openrouter>``), never a Python type.

    typer appends the annotation to every argument (``LOGS <list[str]>``) with no switch to
    turn it off; its metavar already says what to pass.
    """
    return _typer_argument_type(self, ctx) if self.type_descriptor.is_choice else None


_typer_argument_type = TyperArgument.display_type_rich
TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign, assignment]

app = typer.Typer(
    name="llmaudit",
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
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
