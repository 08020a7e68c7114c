"""The command-line interface: a thin typer layer and the one error boundary.

``main(argv)`` returns the exit code: 0 ok, 1 gate failed, 2 bad input or usage,
3 internal error (a bug: rerun with --debug), 128 + signal when interrupted (130 for
Ctrl-C, 143 for SIGTERM, 129 for SIGHUP; see ``llmaudit.interrupts``). User errors print
one ``llmaudit: error: ...`` line (plus a hint) on stderr, never a traceback; ``--debug``
adds the traceback and keeps the exit code.
"""

from __future__ import annotations

import os
import sys
import traceback

import typer
from typer._click.exceptions import ClickException

from llmaudit import interrupts
from llmaudit.cli.app import app
from llmaudit.errors import EXIT_BAD_INPUT, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_OK, LlmauditError


class _Stderr:
    """Messages on stderr, as plain text. Nothing is imported to say them: after a Ctrl-C that
    arrived mid-import, importing anything more could fail on a half-loaded module."""

    def print(self, text: str) -> None:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()


def term_message(text: str) -> str:
    """``text`` with control characters shown (a message may quote a log's values)."""
    # Lazy on purpose (start-up, Ctrl-C): only an error message needs it; see Stderr above.
    from llmaudit.report.safety import term_message as shown

    return shown(text)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or bool(os.environ.get("LLMAUDIT_DEBUG"))
    args = [a for a in args if a != "--debug"]
    err = _Stderr()
    interrupts.reset()
    try:
        result = app(args=args, prog_name="llmaudit", standalone_mode=False)
    except LlmauditError as exc:
        if debug:
            traceback.print_exc()
        # Messages may quote a log's values: control characters are shown, never sent to the terminal.
        err.print(f"llmaudit: error: {term_message(exc.message)}")
        if exc.hint:
            err.print(f"  hint: {term_message(exc.hint)}")
        return exc.exit_code
    except ClickException as exc:
        exc.message = term_message(exc.message)  # e.g. "No such option: --<ESC>[2J"
        exc.show()
        return exc.exit_code if exc.exit_code else EXIT_BAD_INPUT
    except (KeyboardInterrupt, typer.Abort):
        err.print("llmaudit: interrupted")
        return interrupts.exit_code()
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): not an error worth a message.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
    except Exception as exc:
        if debug:
            # The traceback, and still the internal-error code: never the gate's 1.
            traceback.print_exc()
            return EXIT_INTERNAL
        err.print(
            f"llmaudit: internal error: {type(exc).__name__}: {term_message(str(exc))}\n"
            "  this is a bug in llmaudit; rerun with --debug for the traceback and report it"
        )
        return EXIT_INTERNAL
    if result == EXIT_INTERRUPTED:
        # typer turns Ctrl-C inside a command into exit code 130 on its own; say so.
        err.print("llmaudit: interrupted")
        return interrupts.exit_code()
    return result if isinstance(result, int) else EXIT_OK


def run() -> None:
    """Entry point kept for callers of ``llmaudit.cli:run``; the console script uses ``llmaudit.__main__``."""
    # Lazy on purpose: the entry module installs signal handlers before the CLI loads;
    # importing it from here at the top would run in the middle of that.
    from llmaudit.__main__ import run as entry

    entry()
