"""The typer application and its root options; commands live in their own modules."""

from __future__ import annotations

from typing import Annotated

import typer

from llmaudit import __version__

HELP = """\
Cost audit and routing simulator for LLM API traffic.

Reads the request logs you already have (OpenAI, Anthropic, Gemini, batch files, your
own JSONL/CSV), prices every request exactly from YAML price tables, and shows where
the money goes. Everything runs offline.

Start with:  llmaudit analyze sample_logs/

Exit codes: 0 ok, 1 gate failed, 2 bad input or usage, 3 internal error, 130 interrupted
(143 SIGTERM, 129 SIGHUP).
"""

app = typer.Typer(
    name="llmaudit",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
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
        bool, typer.Option("--version", help="Print the version and exit.", callback=_version, is_eager=True)
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the Python traceback of internal errors (any position).")
    ] = False,
) -> None:
    """Root options (the CLI entry point strips --debug wherever it appears)."""
