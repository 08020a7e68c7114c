"""Vectorized signal extraction: named boolean and numeric arrays from canonical columns.

Everything here works on whole Arrow columns with pyarrow compute kernels (RE2 regular
expressions, byte slicing), which release the GIL, so tagging can run on worker threads.
Text is read through short windows of the last user message (``user_text``): its first
bytes (where instructions usually are), its last bytes when it is long (where "...in one
line" usually is) and a longer body window for structure (code, stack traces, math).

Speed (docs/tagging.md, "Speed"): an RE2 pass costs about 1.8 ns per byte of window
whatever the pattern (a 13-way alternation scans as fast as one word), plus a fixed
compile and warm-up cost per call. So the work is counted in passes times bytes, and
cut, all exact (every pattern's answer is the same as matching it alone):

- group testing and matching repeated windows once (``matching``);
- the tail window is matched only for long messages, and sliced before it is gathered;
- short traffic (no message over the head window) matches the structure patterns in the
  keyword passes, and the closing question mark is read from the bytes (``question``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.tagging.lexicon import STRUCTURE_SIGNALS, Lexicon
from llmaudit.tagging.matching import (
    Text,
    distinct_values,
    is_ascii,
    match_scripts,
    match_windows,
    per_row,
    rare_first,
    take_rows,
)
from llmaudit.tagging.question import ends_with_question

_STRUCTURE_RARE_FIRST = ("puzzle", "stack_trace", "code_block", "code_syntax", "math_notation", "numbers")


@dataclass(frozen=True)
class Signals:
    """Per-row signals; every array has one entry per request."""

    has_text: np.ndarray
    chars: np.ndarray
    """Length of the last user message in bytes (0 without text)."""
    keywords: dict[str, np.ndarray]
    """task type -> its keywords matched the head or tail window."""
    hard: np.ndarray
    easy: np.ndarray
    statement: np.ndarray
    """The head window opens with a task statement (lexicon ``statement``)."""
    structure: dict[str, np.ndarray]
    """code_block, code_syntax, stack_trace, math_notation, puzzle, numbers."""
    system_keywords: dict[str, np.ndarray]
    """task type -> its keywords matched the system prompt's head."""
    question_end: np.ndarray
    """The message ends with a question mark (any script)."""
    has_system: np.ndarray
    """The request has a non-empty system prompt."""


def text_column(frame: pd.DataFrame, name: str) -> Text:
    """A text column as an Arrow string array (all nulls when the column is absent).

    Chunked columns stay chunked: every kernel used here accepts them, and joining the
    chunks would copy the whole text.
    """
    if name not in frame.columns:
        return pa.nulls(len(frame), pa.large_string())
    series = frame[name]
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(series.astype("string"), from_pandas=True)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    return arr


def extract_signals(frame: pd.DataFrame, lexicon: Lexicon, extra: dict[str, str] | None = None) -> Signals:
    """Compute every text signal of ``frame`` (columns ``user_text``, ``system_text``).

    ``extra`` maps task types to additional patterns (from the user's rules file), matched
    on the same windows and OR-ed into that task type's keywords.
    """
    extra = extra or {}
    user = text_column(frame, "user_text")
    if "user_text" not in frame.columns and "prompt_text" in frame.columns:
        user = text_column(frame, "prompt_text")
    binary = pc.fill_null(user.cast(pa.large_binary()), b"")
    chars = np.asarray(pc.binary_length(binary), dtype=np.int64)
    has_text = np.asarray(pc.fill_null(pc.is_valid(user), False), dtype=bool) & (chars > 0)

    # Head, tail and system windows: the lexicon's classes, the user's keywords, hard and
    # easy, in one set of passes. Only the head counts for easy, only the classes for the
    # system prompt; the rest is matched on the way and dropped. Only the head counts for the
    # task statement too (it opens the message).
    names = [c.task_type for c in lexicon.classes]
    patterns = [c.pattern for c in lexicon.classes]
    n_classes = len(names)
    for task_type, pattern in extra.items():
        # The user's patterns are case-insensitive too; they join their task type's keywords.
        names.append(task_type)
        patterns.append(f"(?i){pattern}")
    names += ["hard", "easy", "statement"]
    patterns += [lexicon.hard, lexicon.easy, lexicon.statement]
    head = pc.binary_slice(binary, 0, lexicon.head_chars)
    windows: list[tuple[Text, bool]] = [(head, False)]
    long_rows = np.flatnonzero(chars > lexicon.head_chars)
    if len(long_rows):
        windows.append((take_rows(pc.binary_slice(binary, -lexicon.tail_chars), long_rows), False))
    # Windows are cut in bytes: 200 bytes hold 200 ASCII characters but 66 Chinese or 100
    # Russian ones. Where the head is not ASCII, the first head_chars characters are matched
    # too (they contain the byte head, so OR-ing their hits is exact for ASCII rows: none).
    head_distinct = distinct_values(head)
    head_ascii = per_row(is_ascii, head_distinct)
    wide_rows = np.flatnonzero(~head_ascii & (chars > lexicon.head_chars))
    if len(wide_rows):
        wide = pc.utf8_slice_codeunits(take_rows(user, wide_rows), 0, lexicon.head_chars)
        windows.append((pc.fill_null(wide.cast(pa.large_binary()), b""), False))
    system = text_column(frame, "system_text")
    has_system = system.null_count < len(system)
    distinct, ascii_rows = {0: head_distinct}, {0: head_ascii}
    system_rows = np.zeros(len(frame), dtype=bool)
    if has_system:
        # A system prompt is shared by a whole feature: always match its distinct values only
        # (and read their length and ASCII-ness once per distinct value too).
        system_window = pc.binary_slice(pc.fill_null(system.cast(pa.large_binary()), b""), 0, 400)
        distinct[len(windows)] = system_distinct = distinct_values(system_window, True)
        ascii_rows[len(windows)] = per_row(is_ascii, system_distinct)
        system_rows = per_row(lambda v: np.asarray(pc.binary_length(v), dtype=np.int64) > 0, system_distinct)
        windows.append((system_window, True))
    # Where no message is longer than the head window, the body window is the head window:
    # the structure patterns join the keyword passes (the planner may group them with those).
    short = lexicon.body_chars >= lexicon.head_chars and not len(long_rows)
    structure_patterns = [lexicon.structure[s] for s in STRUCTURE_SIGNALS]
    structure_order = rare_first(STRUCTURE_SIGNALS, _STRUCTURE_RARE_FIRST)
    k = len(patterns)
    if short:
        order = rare_first(names) + [k + i for i in structure_order]
        joint = match_windows(windows, patterns + structure_patterns, order, distinct=distinct)
        structure_hit = joint[0][k:]
        hits = [hit[:k] for hit in joint]
    else:
        hits = match_windows(windows, patterns, rare_first(names), distinct=distinct)
    match_scripts(windows, hits, lexicon, names, ascii_rows)
    head_hit = hits[0]
    if len(long_rows):
        head_hit[:-2, long_rows] |= hits[1][:-2]
    if len(wide_rows):
        head_hit[:, wide_rows] |= hits[2 if len(long_rows) else 1]
    system_keywords: dict[str, np.ndarray] = {}
    if has_system:
        system_keywords = dict(zip(names[:n_classes], hits[-1][:n_classes], strict=True))

    keywords: dict[str, np.ndarray] = {}
    for name, hit in zip(names[:-3], head_hit[:-3], strict=True):
        keywords[name] = keywords[name] | hit if name in keywords else hit

    if not short:
        (structure_hit,) = match_windows(
            [(pc.binary_slice(binary, 0, lexicon.body_chars), False)], structure_patterns, structure_order
        )
    structure = dict(zip(STRUCTURE_SIGNALS, structure_hit, strict=True))

    question_end = ends_with_question(binary)
    return Signals(
        has_text=has_text,
        chars=chars,
        keywords=keywords,
        hard=head_hit[-3],
        easy=head_hit[-2],
        statement=head_hit[-1],
        structure=structure,
        system_keywords=system_keywords,
        question_end=question_end & has_text,
        has_system=system_rows,
    )


def numeric_column(frame: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    """A numeric column as float64 (``default`` where absent or null)."""
    if name not in frame.columns:
        return np.full(len(frame), default)
    series = frame[name]
    if isinstance(series.dtype, np.dtype) and series.dtype.kind in "iub":  # NumPy: no missing value
        return series.to_numpy(dtype=np.float64)
    if isinstance(series.dtype, np.dtype) and series.dtype.kind == "f":  # NumPy floats: NaN is missing
        values = series.to_numpy(dtype=np.float64)
        return np.where(np.isnan(values), default, values)
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(values), default, values)


def bool_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].fillna(False).to_numpy(dtype=bool)
