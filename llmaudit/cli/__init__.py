"""The command-line interface: a thin typer layer and the one error boundary.

``main(argv)`` returns the exit code: 0 ok, 1 gate failed, 2 bad input or usage,
3 internal error (a bug: rerun with --debug), 130 interrupted. User errors print one
``llmaudit: error: ...`` line (plus a hint) on stderr, never a traceback.
"""

from __future__ import annotations

import os
import sys

import typer
from typer._click.exceptions import ClickException

# Importing the command modules registers them on the app.
from llmaudit.cli import analyze as _analyze  # noqa: F401
from llmaudit.cli import check as _check  # noqa: F401
from llmaudit.cli import pricing as _pricing  # noqa: F401
from llmaudit.cli import shadow as _shadow  # noqa: F401
from llmaudit.cli import simulate as _simulate  # noqa: F401
from llmaudit.cli.app import app
from llmaudit.cli.console import stderr_console
from llmaudit.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, LlmauditError


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("LLMAUDIT_DEBUG"))
    args = [a for a in args if a != "--debug"]
    err = stderr_console()
    try:
        result = app(args=args, prog_name="llmaudit", standalone_mode=False)
    except LlmauditError as exc:
        if debug:
            raise
        err.print(f"llmaudit: error: {exc.message}", markup=False, highlight=False, soft_wrap=True)
        if exc.hint:
            err.print(f"  hint: {exc.hint}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except ClickException as exc:
        exc.show()
        return exc.exit_code if exc.exit_code else EXIT_BAD_INPUT
    except (KeyboardInterrupt, typer.Abort):
        err.print("llmaudit: interrupted", markup=False)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a message.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except Exception as exc:
        if debug:
            raise
        err.print(
            f"llmaudit: internal error: {type(exc).__name__}: {exc}\n"
            "  this is a bug in llmaudit; rerun with --debug for the traceback and report it",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return EXIT_INTERNAL
    if result == EXIT_INTERRUPTED:
        # typer turns Ctrl-C inside a command into exit code 130 on its own; say so.
        err.print("llmaudit: interrupted", markup=False)
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
