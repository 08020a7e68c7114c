"""Atomic output files: a temporary file beside the target, renamed into place on success.

Every file llmaudit writes goes through here, so every one keeps the same promises:

* a failed or interrupted run leaves neither a partial target nor a ``.tmp`` behind (the
  temporary file is registered with ``llmaudit.interrupts`` for a forced exit, and
  ``discard`` never raises, even when closing a writer fails on a full disk);
* a full disk or any other write failure is a ``UsageError`` (exit 2) naming the file;
* replacing a file keeps its permission bits (a ``chmod 600`` report stays 0600), and a
  new ``private`` file (one holding prompt text) is created 0600 from its first byte.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path

from llmaudit import interrupts
from llmaudit.errors import UsageError


def temp_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}.tmp")


def create_temp(target: Path, *, private: bool, option: str) -> Path:
    """Create the (empty) temporary file for ``target`` with its final permissions."""
    tmp = temp_path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        interrupts.register(tmp)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
        os.close(fd)
        existing = _existing_mode(target)
        if existing is not None:
            os.chmod(tmp, existing)
    except OSError as exc:
        discard(tmp)
        raise write_error(option, target, exc) from None
    return tmp


def _existing_mode(target: Path) -> int | None:
    try:
        st = os.stat(target)
    except OSError:
        return None
    return stat.S_IMODE(st.st_mode) if stat.S_ISREG(st.st_mode) else None


def finish(tmp: Path, target: Path, option: str) -> None:
    """Rename ``tmp`` over ``target`` (raises ``UsageError`` and removes ``tmp`` on failure)."""
    try:
        os.replace(tmp, target)
    except OSError as exc:
        discard(tmp)
        raise write_error(option, target, exc) from None
    interrupts.unregister(tmp)


def discard(tmp: Path) -> None:
    """Remove ``tmp``; never raises (called while another error is on its way out)."""
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
    interrupts.unregister(tmp)


def write_error(option: str, target: Path, exc: OSError) -> UsageError:
    """The user-facing error for a failed write of ``target``."""
    # pyarrow raises OSError without errno; its message carries the C library's text.
    if exc.errno in (errno.ENOSPC, errno.EDQUOT) or os.strerror(errno.ENOSPC) in str(exc):
        return UsageError(
            f"no space left on device writing {target} ({option})",
            hint="free some space or write the file to another disk; nothing was written",
        )
    return UsageError(f"{option} {target}: cannot write ({exc.strerror or exc})")


def write_text(target: Path, text: str, *, option: str, private: bool = False) -> None:
    """Write ``text`` to ``target`` atomically."""
    tmp = create_temp(target, private=private, option=option)
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        discard(tmp)
        raise write_error(option, target, exc) from None
    except BaseException:
        discard(tmp)
        raise
    finish(tmp, target, option)
