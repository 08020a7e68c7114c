"""Line numbers of byte-range tasks, made the file's at merge.

A range task numbers its lines from 1 at the range's start (counting the newlines of every
earlier range before reading would be a full extra pass over the bytes). Its lines appear
only in text: skip examples and details (``file:line``), the messages of errors. When two
consecutive parts are merged, the later one's references to the file the earlier one ends
in move past the earlier part's lines of that file; merging in a tree is consistent because
a part that itself starts inside a file is, in turn, relative to its own start.
"""

from __future__ import annotations

import re
from dataclasses import replace

from llmaudit.errors import InputError
from llmaudit.ingest.accounting import IngestStats


def shift_text(text: str, source: str, by: int) -> str:
    """``text`` with every ``source:LINE`` reference moved ``by`` lines."""
    if not by or source not in text:
        return text
    # Only whole references: "logs/a.jsonl:3" is not a reference to "a.jsonl".
    pattern = re.compile(r"(?<!\S)" + re.escape(source) + r":(\d+)")
    return pattern.sub(lambda m: f"{source}:{int(m.group(1)) + by}", text)


def shift_error(error: InputError, source: str, by: int) -> InputError:
    """The same error, its message's ``source:LINE`` references moved ``by`` lines."""
    message = shift_text(error.message, source, by)
    if message == error.message:
        return error
    moved = error.__class__(message, hint=error.hint)
    moved.__cause__ = error.__cause__
    return moved


def shift_stats(stats: IngestStats, source: str, by: int) -> None:
    """Move ``stats``' references to ``source`` ``by`` lines (in place)."""
    if not by:
        return
    for examples in stats.examples.values():
        examples[:] = [shift_text(e, source, by) for e in examples]
    for reason, detail in stats.details.items():
        stats.details[reason] = shift_text(detail, source, by)
    stats.problems[:] = [
        replace(p, message=shift_text(p.message, source, by)) if p.source == source else p for p in stats.problems
    ]
