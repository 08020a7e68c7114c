"""Outputs never destroy inputs, and llmaudit's own outputs are never read back as logs.

``-o logs.jsonl`` or ``--per-request`` onto a log (or onto the price table, the policy, the
other output) would replace it when the run succeeds: refused with exit 2 before anything
is read. A ``--per-request`` file written inside the logs folder would be read as logs by
the next run over that folder: such files are recognized (``is_llmaudit_output``) and
skipped with a note on stderr.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from llmaudit.cli.console import stderr_console
from llmaudit.errors import InputError, UsageError
from llmaudit.ingest import InputSource
from llmaudit.report.per_request import is_llmaudit_output
from llmaudit.report.safety import term_text


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


def refuse_overwriting(outputs: Mapping[str, Path | None], inputs: Iterable[tuple[str, Path]]) -> None:
    """``UsageError`` when an output is one of the inputs, or two outputs are one file."""
    named = [(option, path) for option, path in outputs.items() if path is not None]
    for i, (option, path) in enumerate(named):
        for other_option, other in named[i + 1 :]:
            if _same(path, other):
                raise UsageError(
                    f"{option} {path} and {other_option} {other} are the same file",
                    hint="give each output its own path",
                )
        for input_option, source in inputs:
            if source.is_file() and _same(path, source):
                raise UsageError(
                    f"{option} {path} is an input ({input_option} {source}): writing it would replace it",
                    hint="write the output to another path",
                )


def log_inputs(sources: Sequence[InputSource]) -> list[tuple[str, Path]]:
    return [("LOGS", s.path) for s in sources if s.path is not None]


def file_inputs(**options: str | Path | Sequence[str | Path] | None) -> list[tuple[str, Path]]:
    """Other files a command reads, as ``(--option, path)`` (option names from the keywords)."""
    found: list[tuple[str, Path]] = []
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        for path in [value] if isinstance(value, str | Path) else list(value or []):
            found.append((flag, Path(path)))
    return found


def without_own_outputs(sources: list[InputSource], *, quiet: bool) -> list[InputSource]:
    """``sources`` less the files llmaudit wrote itself (a note on stderr for each, unless quiet)."""
    kept = []
    for source in sources:
        if source.path is not None and is_llmaudit_output(source.path):
            if not quiet:
                shown = term_text(str(source.path))
                stderr_console().print(
                    f"llmaudit: note: skipped {shown}: written by llmaudit --per-request, not a log",
                    markup=False,
                    highlight=False,
                    soft_wrap=True,
                )
            continue
        kept.append(source)
    if sources and not kept:
        raise InputError(
            "every file given is an llmaudit --per-request output, not a log",
            hint="pass the logs the output was made from",
        )
    return kept
