"""Process-level signal handling: Ctrl-C, SIGTERM and SIGHUP end a run the same way.

Imported by the entry point before anything heavy, so a Ctrl-C during start-up is handled
too. The first signal raises ``Interrupted`` (a ``KeyboardInterrupt``) in the main thread:
the run unwinds, writers remove their temporary files, and the CLI exits with 128 + the
signal number (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), quietly. A second signal
while that unwinding runs (say, worker threads that take a moment to stop) removes the
temporary files still registered here and ends the process at once with the same code,
without a traceback.

Only the standard library is imported here; the module holds the one piece of global state
the CLI needs (the temporary files in flight), because a signal handler has no other way
to reach it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from types import FrameType
from typing import Final

SIGNALS: Final = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))

_pending: set[str] = set()
_received: list[int] = []


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_code() -> int:
    """128 + the first signal received (130, Ctrl-C, when none was: a plain KeyboardInterrupt)."""
    return 128 + (_received[0] if _received else signal.SIGINT)


def register(path: str | os.PathLike[str]) -> None:
    """A temporary file to remove if the process must end before its writer can."""
    _pending.add(os.fspath(path))


def unregister(path: str | os.PathLike[str]) -> None:
    _pending.discard(os.fspath(path))


def _remove_pending() -> None:
    for path in list(_pending):
        with contextlib.suppress(OSError):
            os.unlink(path)


def _handle(signum: int, frame: FrameType | None) -> None:
    if _received:
        # Second signal: stop now, but leave no partial output behind.
        _remove_pending()
        try:
            sys.stderr.write("llmaudit: interrupted\n")
            sys.stderr.flush()
        finally:
            os._exit(128 + _received[0])
    _received.append(signum)
    raise Interrupted(signum)


def install() -> None:
    """Handle SIGINT, SIGTERM and SIGHUP as described above (main thread only)."""
    for signum in SIGNALS:
        # A signal the parent set to be ignored (nohup, a job runner) stays ignored.
        if signal.getsignal(signum) is not signal.SIG_IGN:
            signal.signal(signum, _handle)


def reset() -> None:
    """Forget signals received (for tests that run the CLI more than once in one process)."""
    _received.clear()
