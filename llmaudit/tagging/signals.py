"""Vectorized signal extraction: named boolean and numeric arrays from canonical columns.

Everything here works on whole Arrow columns with pyarrow compute kernels (RE2 regular
expressions, byte slicing), which release the GIL, so tagging can run on worker threads.
Text is read through short windows of the last user message (``user_text``): its first
bytes (where instructions usually are), its last bytes when it is long (where "...in one
line" usually is) and a longer body window for structure (code, stack traces, math).
When a sample shows the instruction windows repeat (templated traffic), each pattern
runs once per distinct window instead of once per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.tagging.lexicon import STRUCTURE_SIGNALS, Lexicon

# Below this share of distinct windows in a sample, matching distinct windows pays off.
_DEDUP_BELOW = 0.5
_SAMPLE = 20_000


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
    structure: dict[str, np.ndarray]
    """code_block, code_syntax, stack_trace, math_notation."""
    system_keywords: dict[str, np.ndarray]
    """task type -> its keywords matched the system prompt's head."""
    question_end: np.ndarray
    """The message ends with a question mark (any script)."""


def text_column(frame: pd.DataFrame, name: str) -> pa.Array:
    """A text column as an Arrow string array (all nulls when the column is absent)."""
    if name not in frame.columns:
        return pa.nulls(len(frame), pa.large_string())
    series = frame[name]
    try:
        arr = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        arr = pa.array(series.astype("string"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    return arr


def _window(binary: pa.Array, start: int, stop: int) -> pa.Array:
    return pc.binary_slice(binary, start, stop)


def _match(window: pa.Array, pattern: str) -> np.ndarray:
    return np.asarray(pc.fill_null(pc.match_substring_regex(window, pattern), False), dtype=bool)


class _Matcher:
    """Runs patterns over a window, once per distinct value when values repeat."""

    def __init__(self, window: pa.Array) -> None:
        self.indices: np.ndarray | None = None
        self.values = window
        n = len(window)
        if n > 2 * _SAMPLE:
            step = max(1, n // _SAMPLE)
            sample = pc.take(window, pa.array(np.arange(0, n, step)))
            if len(pc.unique(sample)) < _DEDUP_BELOW * len(sample):
                encoded = pc.dictionary_encode(window)
                self.values = encoded.dictionary
                self.indices = np.asarray(pc.fill_null(encoded.indices, 0), dtype=np.int64)

    def __call__(self, pattern: str) -> np.ndarray:
        hit = _match(self.values, pattern)
        return hit if self.indices is None else hit[self.indices]


def extract_signals(frame: pd.DataFrame, lexicon: Lexicon, extra: dict[str, str] | None = None) -> Signals:
    """Compute every text signal of ``frame`` (columns ``user_text``, ``system_text``).

    ``extra`` maps task types to additional patterns (from the user's rules file), matched
    on the same windows and OR-ed into that task type's keywords.
    """
    len(frame)
    user = text_column(frame, "user_text")
    if "user_text" not in frame.columns and "prompt_text" in frame.columns:
        user = text_column(frame, "prompt_text")
    binary = pc.fill_null(user.cast(pa.large_binary()), b"")
    chars = np.asarray(pc.binary_length(binary), dtype=np.int64)
    has_text = np.asarray(pc.fill_null(pc.is_valid(user), False)) & (chars > 0)

    head = _Matcher(_window(binary, 0, lexicon.head_chars))
    long_rows = np.flatnonzero(chars > lexicon.head_chars)
    tail_values = None
    if len(long_rows):
        tail_values = pc.binary_slice(pc.take(binary, pa.array(long_rows)), -lexicon.tail_chars)
    body = pc.binary_slice(binary, 0, lexicon.body_chars)

    def head_or_tail(pattern: str) -> np.ndarray:
        hit = head(pattern)
        if tail_values is not None:
            hit[long_rows] |= _match(tail_values, pattern)
        return hit

    keywords: dict[str, np.ndarray] = {}
    for cls in lexicon.classes:
        pattern = cls.pattern
        if extra and cls.task_type in extra:
            pattern = f"{pattern}|(?:{extra[cls.task_type]})"
        keywords[cls.task_type] = head_or_tail(pattern)
    for task_type, pattern in (extra or {}).items():
        if task_type not in keywords:
            keywords[task_type] = head_or_tail(f"(?i){pattern}")

    structure = {name: _match(body, lexicon.structure[name]) for name in STRUCTURE_SIGNALS}

    system = text_column(frame, "system_text")
    system_keywords: dict[str, np.ndarray] = {}
    if pc.sum(pc.is_valid(system)).as_py():
        sys_head = _Matcher(pc.binary_slice(pc.fill_null(system.cast(pa.large_binary()), b""), 0, 400))
        for cls in lexicon.classes:
            system_keywords[cls.task_type] = sys_head(cls.pattern)

    last = pc.binary_slice(binary, -3)
    question_end = _match(last, "[?\uff1f]\\s*$")
    return Signals(
        has_text=has_text,
        chars=chars,
        keywords=keywords,
        hard=head_or_tail(lexicon.hard),
        easy=head(lexicon.easy),
        structure=structure,
        system_keywords=system_keywords,
        question_end=question_end & has_text,
    )


def numeric_column(frame: pd.DataFrame, name: str, default: float = 0.0) -> np.ndarray:
    """A numeric column as float64 (``default`` where absent or null)."""
    if name not in frame.columns:
        return np.full(len(frame), default)
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(values), default, values)


def bool_column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame[name].fillna(False).to_numpy(dtype=bool)
