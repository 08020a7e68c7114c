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
    "nul_bytes": (
        "a line holding NUL bytes (binary data)",
        "the file was damaged or binary data was written into it: cut the line out",
    ),
    "malformed_json": ("not valid JSON", "check the line for truncation or a missing quote/brace"),
    "record_too_long": (
        "a line longer than the record cap (64 MiB), streamed past unread",
        "no API response is that long: the line is corrupt, or many records lack their newlines",
    ),
    "not_an_object": ("a JSON value that is not an object", "each line must hold one JSON object"),
    "invalid_field": ("a field of the wrong type", "the detail names the field; fix its value in the source"),
    "unrecognized_record": (
        "a record that is not a request of the file's format",
        "mixed content in one file: split it, or force --input-format",
    ),
    "other_format_record": (
        "a record of another format that only reads whole exports (CSV, spans), inside this file",
        "keep each export in its own file; the detail names the format",
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
    "batch_errored": (
        "a Message Batches result of type errored (the request failed inside the batch)",
        "harmless for cost: errored batch requests are not billed; resubmit them if they matter",
    ),
    "batch_canceled": (
        "a Message Batches result of type canceled (the batch was canceled before it ran)",
        "harmless; canceled batch requests are not billed",
    ),
    "batch_expired": (
        "a Message Batches result of type expired (the batch ended before it ran)",
        "harmless; expired batch requests are not billed",
    ),
}

# Whole files (or a file's tail) that could not be read: code -> (what it means, how to fix it).
# A run goes on without them and lists them; --strict makes the first one fatal.
FILE_REASONS: Final[dict[str, tuple[str, str]]] = {
    "unreadable_file": ("a file that cannot be read", "the detail names the problem and how to fix it"),
    "corrupt_compressed_tail": (
        "a compressed file whose end is truncated or damaged (the records before the damage were read)",
        "re-copy or re-download the file; test it with gzip -t",
    ),
    "invalid_json_tail": (
        "a JSON document (an array, pretty-printed objects) that stops being valid JSON part-way "
        "(the records before were read)",
        "fix the JSON at the record named",
    ),
}

# Warnings (a field dropped from a kept record, not the record): code -> what happened.
WARNING_TEXTS: Final[dict[str, str]] = {
    "batch_prompt_not_joined": (
        "OpenAI Batch output lines whose prompt could not be joined from the input files (their "
        "custom_id is missing there, or repeated across batches, or the input's endpoint or model is "
        "not the response's); their tokens and cost are counted, only their text is unknown"
    ),
    "billed_cost_dropped": (
        "negative, not finite or above $1,000 for one request; the requests are kept and priced "
        "at list price, only the billed-vs-list comparison leaves them out"
    ),
    "otel_exclusive_inferred": (
        "OTel spans read as exclusive (cache added to input, reasoning to output) because other spans "
        "of the same emitter reported cache above input or reasoning above output; if those few spans "
        "are corrupt, fix them: the whole emitter is re-priced"
    ),
    "score_ambiguous": ("requests carrying scores under several names, read as unscored; choose one with --score-name"),
    "score_categorical": (
        "categorical scores (labels, not numbers) left out; the requests' numeric scores are still read"
    ),
    "score_out_of_scale": (
        "scores outside 0-1 (or outside --score-scale) left out; give the scale they use with "
        "--score-scale LOW-HIGH, e.g. 1-5"
    ),
}

# Reasons that --strict does not treat as fatal: they lose no data.
HARMLESS_REASONS: Final = frozenset(
    {
        "blank_line",
        "duplicate_request_id",
        "outside_period",
        "not_a_request",
        "synthetic_message",
        "not_a_generation",
        "batch_errored",
        "batch_canceled",
        "batch_expired",
    }
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


@dataclass(frozen=True)
class FileProblem:
    """A file not read (or read only up to damage), with the error a run alone on it would raise."""

    source: str
    reason: str
    message: str
    hint: str | None = None

    @property
    def text(self) -> str:
        return self.message + (f" (hint: {self.hint})" if self.hint else "")

    @property
    def partial(self) -> bool:
        """The file was read up to the problem (its lines are accounted for in its FileStats)."""
        return self.reason != "unreadable_file"

    @property
    def note(self) -> str:
        """One line for a report's warnings."""
        return f"{'part of a file' if self.partial else 'file'} not read: {self.text}"


@dataclass
class IngestStats:
    """Accounting for a whole run, with example line references per skip reason."""

    files: list[FileStats] = field(default_factory=list)
    # Files read as data for another format (e.g. OpenAI Batch input files): path, format.
    companions: list[tuple[str, str]] = field(default_factory=list)
    # Files not read at all, or whose damaged tail was not read (FILE_REASONS), in input order.
    problems: list[FileProblem] = field(default_factory=list)
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
