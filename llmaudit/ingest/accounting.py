"""Every input line accounted for: parsed + skipped (by reason) = read.

Skip reasons are stable codes (they appear in JSON reports); each has a sentence for
humans and a hint on how to fix the input.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

import numpy as np

from llmaudit.errors import MalformedRecordError

MAX_EXAMPLES: Final = 5

# code -> (what it means, how to fix it)
SKIP_REASONS: Final[dict[str, tuple[str, str]]] = {
    "blank_line": ("blank line", "harmless; blank lines hold no record"),
    "undecodable_bytes": ("bytes that are not valid UTF-8", "re-encode the file as UTF-8"),
    "malformed_json": ("not valid JSON", "check the line for truncation or a missing quote/brace"),
    "not_an_object": ("a JSON value that is not an object", "each line must hold one JSON object"),
    "invalid_field": ("a field of the wrong type", "the detail names the field; fix its value in the source"),
    "unrecognized_record": (
        "a record that is not a request of the file's format",
        "mixed content in one file: split it, or force --input-format",
    ),
    "no_usage": (
        "no token usage and no prompt text to estimate it from",
        "log the provider's usage object, or the request messages",
    ),
    "missing_model": ("no model name", "log the model; llmaudit cannot price a request without it"),
    "negative_tokens": ("a negative token count", "token counts are never negative: the source is corrupt"),
    "non_integer_tokens": ("a token count that is not a whole number", "token counts are whole numbers"),
    "absurd_tokens": (
        "a token count above 10,000,000 for one request",
        "no model accepts that many tokens in one request: the source is corrupt",
    ),
    "inconsistent_tokens": (
        "cache tokens exceeding the prompt, or reasoning exceeding the output",
        "check which convention the source uses (inclusive or exclusive counts)",
    ),
    "implausible_timestamp": (
        "a timestamp before 2020-01-01 or more than a day in the future (a zero, a truncated or misread epoch)",
        "fix the record's time; an impossible date would stretch the period and distort the monthly projection",
    ),
    "duplicate_request_id": (
        "a request id already seen (the same response logged twice)",
        "harmless; each request is counted once",
    ),
    "invalid_csv_row": ("a CSV row that cannot be read", "check quoting and the number of fields"),
    "outside_period": (
        "a request outside the --since/--until period (or without a timestamp to place it)",
        "widen --since/--until to include it",
    ),
    "not_a_request": (
        "a line that records no model call (a user turn, a summary, spans without a GenAI model call)",
        "harmless; such lines carry no usage",
    ),
    "not_a_generation": (
        "an observation that is not an LLM call (a span, event or tool step of a trace)",
        "harmless; only GENERATION observations of a Langfuse export are requests",
    ),
    "synthetic_message": (
        "a message Claude Code wrote itself (model <synthetic>: an API error notice or an interrupted turn)",
        "harmless; no model produced it and no tokens were billed for it",
    ),
}

# Warnings (a field dropped from a kept record, not the record): code -> what happened.
WARNING_TEXTS: Final[dict[str, str]] = {
    "billed_cost_dropped": (
        "negative, not finite or above $1,000 for one request; the requests are kept and priced "
        "at list price, only the billed-vs-list comparison leaves them out"
    ),
    "otel_exclusive_inferred": (
        "OTel spans read as exclusive (cache added to input, reasoning to output) because other spans "
        "of the same emitter reported cache above input or reasoning above output; if those few spans "
        "are corrupt, fix them: the whole emitter is re-priced"
    ),
}

# Reasons that --strict does not treat as fatal: they lose no data.
HARMLESS_REASONS: Final = frozenset(
    {"blank_line", "duplicate_request_id", "outside_period", "not_a_request", "synthetic_message", "not_a_generation"}
)


@dataclass
class FileStats:
    """Accounting for one input file."""

    source: str
    format: str = "unknown"
    lines_read: int = 0
    parsed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


@dataclass
class IngestStats:
    """Accounting for a whole run, with example line references per skip reason."""

    files: list[FileStats] = field(default_factory=list)
    # Files read as data for another format (e.g. OpenAI Batch input files): path, format.
    companions: list[tuple[str, str]] = field(default_factory=list)
    examples: dict[str, list[str]] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    warnings: Counter[str] = field(default_factory=Counter)
    strict: bool = False

    @property
    def lines_read(self) -> int:
        return sum(f.lines_read for f in self.files)

    @property
    def parsed(self) -> int:
        return sum(f.parsed for f in self.files)

    @property
    def skipped(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(f.skipped)
        return total

    def skip(self, file: FileStats, reason: str, lines: Iterable[int] | np.ndarray, detail: str | None = None) -> None:
        """Record skipped lines; with ``strict``, the first harmful one is fatal."""
        lines = np.asarray(list(lines) if not isinstance(lines, np.ndarray) else lines, dtype=np.int64)
        if len(lines) == 0:
            return
        if reason not in SKIP_REASONS:
            raise ValueError(f"unknown skip reason {reason!r}")
        if self.strict and reason not in HARMLESS_REASONS:
            what, how = SKIP_REASONS[reason]
            extra = f" ({detail})" if detail else ""
            raise MalformedRecordError(
                f"{file.source}:{int(lines.min())}: {what}{extra}",
                hint=f"{how}; or drop --strict to skip such lines",
            )
        file.skipped[reason] += len(lines)
        examples = self.examples.setdefault(reason, [])
        room = MAX_EXAMPLES - len(examples)
        if room > 0:
            examples.extend(f"{file.source}:{int(n)}" for n in np.sort(lines)[:room])
        if detail and reason not in self.details:
            self.details[reason] = f"{file.source}:{int(lines.min())}: {detail}"

    def warn(self, code: str, count: int = 1) -> None:
        """Count a data-quality note that does not drop the record."""
        if count:
            self.warnings[code] += count
