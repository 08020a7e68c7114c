"""Vectorized signal extraction: named boolean and numeric arrays from canonical columns.

Everything here works on whole Arrow columns with pyarrow compute kernels (RE2 regular
expressions, byte slicing), which release the GIL, so tagging can run on worker threads.
Text is read through short windows of the last user message (``user_text``): its first
bytes (where instructions usually are), its last bytes when it is long (where "...in one
line" usually is) and a longer body window for structure (code, stack traces, math).

Speed (docs/tagging.md, "Speed"): an RE2 pass costs about 1.8 ns per byte of window
whatever the pattern (a 13-way alternation scans as fast as one word), plus a fixed
compile and warm-up cost per call. So the work is counted in passes times bytes, and
cut three ways, all exact (every pattern's answer is the same as matching it alone):

- group testing: the patterns of a group run as one alternation over every window; each
  member then runs only over the windows the alternation matched, and the group's last
  member is known without a pass where no other member matched (see ``match_all``);
- windows that repeat (templated traffic) are matched once per distinct value;
- the tail window is matched only for long messages, and sliced before it is gathered;
- short traffic (no message over the head window) matches the structure patterns in the
  keyword passes, and the closing question mark is read from the bytes (``question``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.tagging.lexicon import STRUCTURE_SIGNALS, Lexicon
from llmaudit.tagging.plan import RATES, SECONDS_PER_BYTE, SECONDS_PER_PATTERN, SECONDS_PER_VALUE, plan_groups
from llmaudit.tagging.question import ends_with_question

# Below this share of distinct windows in a sample, matching distinct windows pays off:
# dictionary-encoding a window costs about 80 ns, one RE2 pass over it about 200 ns, and a
# window goes through 3 to 18 passes, so it pays once about one window in seven repeats
# (measured on the analyze benchmark's chunks: 0.5 left its 52%-distinct windows undeduplicated).
_DEDUP_BELOW = 0.85
_SAMPLE = 20_000
_DEDUP_MIN_ROWS = 2_000
# Keyword patterns per group-testing pass; qa (anchored questions) matches too often to share a pass.
# Group-testing order: rarest first (share of rows matching each in the evaluation prompts),
# so the first half of a group usually fails and the second half needs no pass of its own.
# Patterns not listed (the user's) come first.
_RARE_FIRST = (
    "statement",
    "hard",
    "easy",
    "summarization",
    "creative",
    "chat",
    "reasoning",
    "rewrite",
    "extraction",
    "code",
    "translation",
    "classification",
    "math",
    "qa",
)
_STRUCTURE_RARE_FIRST = ("puzzle", "stack_trace", "code_block", "code_syntax", "math_notation")
Text: TypeAlias = pa.Array | pa.ChunkedArray


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
    """code_block, code_syntax, stack_trace, math_notation, puzzle."""
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


def _match(values: Text, pattern: str) -> np.ndarray:
    found = pc.match_substring_regex(values, pattern)
    return np.asarray(pc.fill_null(found, False) if found.null_count else found, dtype=bool)


def _take(values: Text, rows: np.ndarray) -> Text:
    return values if len(rows) == len(values) else pc.take(values, pa.array(rows, type=pa.int64()))


def _alternation(patterns: Sequence[str]) -> str:
    # Each pattern keeps its own flags ((?i), (?m)) inside its group.
    return patterns[0] if len(patterns) == 1 else "|".join(f"(?:{p})" for p in patterns)


def match_all(
    values: Text, patterns: Sequence[str], groups: Sequence[Sequence[int]], *, planned: bool = False
) -> np.ndarray:
    """``hit[i, r]``: ``patterns[i]`` matches ``values[r]``, exactly as if each pattern ran alone.

    Group testing: a group's alternation runs over every value, then the group is halved
    and each half tested the same way, but only over the values the whole group matched.
    Where the first half matched nothing, the second half is known to match, so its own
    alternation is skipped there; a pattern left alone where its group is known to match
    needs no pass at all. Since a window matches one or two task types at most, most
    windows cost one or two passes instead of one per pattern.

    ``planned``: the groups were chosen for these values (``plan.plan_groups``), so each
    group's own alternation runs whatever ``_worth_grouping`` says of its size.
    """
    n = len(values)
    hit = np.zeros((len(patterns), n), dtype=bool)
    if n == 0:
        return hit
    everything = np.arange(n)
    for group in groups:
        _solve(values, patterns, list(group), everything, np.zeros(n, dtype=bool), hit, check=not planned)
    return hit


def _solve(
    values: Text,
    patterns: Sequence[str],
    group: list[int],
    rows: np.ndarray,
    known: np.ndarray,
    hit: np.ndarray,
    check: bool = True,
) -> None:
    """Fill ``hit[group][:, rows]``. ``values`` holds the windows of ``rows`` (global row
    numbers); ``known`` marks those where some member of ``group`` surely matches."""
    if len(group) > 1 and check and not _worth_grouping(values, len(group)):
        for i in group:  # too little text to pay for the alternation's compile and warm-up
            hit[i, rows] = _match(values, patterns[i])
        return
    unknown = np.flatnonzero(~known)
    if len(unknown):
        found = _match(_take(values, unknown), _alternation([patterns[i] for i in group]))
        known = known.copy()
        known[unknown] = found
    if len(group) == 1:
        hit[group[0], rows[known]] = True
        return
    keep = np.flatnonzero(known)
    if not len(keep):
        return
    values, rows = _take(values, keep), rows[keep]
    half = len(group) // 2
    first, second = group[:half], group[half:]
    _solve(values, patterns, first, rows, np.zeros(len(rows), dtype=bool), hit)
    first_hit = hit[np.asarray(first)][:, rows].any(axis=0)
    _solve(values, patterns, second, rows, np.asarray(~first_hit, dtype=bool), hit)


def _worth_grouping(values: Text, k: int) -> bool:
    """Whether one pass over ``values`` costs more than compiling and warming up ``k`` patterns.

    Group testing saves passes but compiles every pattern once more per level; below this
    much text (small chunks, or few windows left) plain passes are cheaper.
    """
    data_bytes = values.nbytes if isinstance(values, pa.Array) else sum(c.nbytes for c in values.chunks)
    return data_bytes * SECONDS_PER_BYTE + len(values) * SECONDS_PER_VALUE > k * SECONDS_PER_PATTERN


# Script patterns (CJK, Cyrillic, Hangul, kana words) tested together per pass: their joint
# alternation outgrows RE2's DFA budget, small groups do not (measured: docs/tagging.md, "Speed").
_SCRIPT_GROUP = 3


def _match_scripts(
    windows: Sequence[tuple[Text, bool]],
    hits: list[np.ndarray],
    lexicon: Lexicon,
    names: list[str],
    ascii_rows: dict[int, np.ndarray] | None = None,
) -> None:
    """OR the lexicon's script patterns (``Lexicon.classes[i].script_pattern``, ``hard_script``:
    words that need a non-ASCII character) into ``hits``, matching them only on the windows
    that hold a non-ASCII byte, the only ones they can match. ``ascii_rows`` holds
    ``_is_ascii`` of windows (by position) where the caller has it already."""
    script = [(i, c.script_pattern) for i, c in enumerate(lexicon.classes) if c.script_pattern]
    if lexicon.hard_script:
        script.append((names.index("hard"), lexicon.hard_script))
    if not script:
        return
    parts, rows_of = [], []
    ascii_rows = ascii_rows or {}
    for k, (values, always) in enumerate(windows):
        rows = np.flatnonzero(~(ascii_rows[k] if k in ascii_rows else _is_ascii(values)))
        rows_of.append(rows)
        if len(rows):
            parts.append((_take(values, rows), always))
    if not parts:
        return
    script_names = [names[i] for i, _ in script]
    found = iter(match_windows(parts, [p for _, p in script], rare_first(script_names), _SCRIPT_GROUP))
    index = np.asarray([i for i, _ in script])
    for hit, rows in zip(hits, rows_of, strict=True):
        if len(rows):
            hit[np.ix_(index, rows)] |= next(found)


def _is_ascii(values: Text) -> np.ndarray:
    """Per row: every byte of ``values`` (binary windows, possibly cut inside a character) is ASCII."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    # A zero-copy view as strings: string_is_ascii only reads the bytes, it never decodes them.
    parts = [np.asarray(pc.fill_null(pc.string_is_ascii(c.view(pa.large_string())), True), dtype=bool) for c in chunks]
    return np.concatenate(parts) if parts else np.ones(0, dtype=bool)


def _distinct(values: Text, always: bool = False) -> tuple[pa.Array, np.ndarray | None]:
    """``values`` as one chunk, or its distinct values and each row's index into them when
    values repeat (templated traffic) or ``always``."""
    # One chunk: taking rows from a chunked array would join its chunks on every call.
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    n = len(values)
    if not always:
        if n < _DEDUP_MIN_ROWS:
            return values, None
        step = max(1, n // _SAMPLE)
        if step == 1:  # the sample is every value: its distinct values are the encoding's
            encoded = pc.dictionary_encode(values)
            if len(encoded.dictionary) >= _DEDUP_BELOW * n:
                return values, None
            return encoded.dictionary, np.asarray(pc.fill_null(encoded.indices, 0), dtype=np.int64)
        if len(pc.unique(pc.take(values, pa.array(np.arange(0, n, step))))) >= _DEDUP_BELOW * len(range(0, n, step)):
            return values, None
    encoded = pc.dictionary_encode(values)
    return encoded.dictionary, np.asarray(pc.fill_null(encoded.indices, 0), dtype=np.int64)


Distinct: TypeAlias = tuple[pa.Array, np.ndarray | None]


def _per_row(per_value: Callable[[pa.Array], np.ndarray], distinct: Distinct) -> np.ndarray:
    """``per_value`` of ``_distinct``'s values, mapped back to the rows."""
    values, indices = distinct
    out = per_value(values)
    return out if indices is None else out[indices]


def match_windows(
    windows: Sequence[tuple[Text, bool]],
    patterns: Sequence[str],
    order: list[int],
    group_size: int | None = None,
    distinct: dict[int, Distinct] | None = None,
) -> list[np.ndarray]:
    """``match_all`` over several window columns at once: one call per pattern and level
    for all of them (compiling and warming up a pattern costs as much as scanning a few MB).

    ``windows`` are (values, always deduplicate); returns one ``hit`` matrix per column.
    ``group_size`` caps the patterns tested together. None: the groups are planned from
    the match rates earlier calls recorded (``plan``), or, before any, all in one group.
    ``distinct`` holds ``_distinct`` of windows (by position) where the caller has it already.
    """
    done = distinct or {}
    parts = [done[k] if k in done else _distinct(values, always) for k, (values, always) in enumerate(windows)]
    values_of = [part for part, _ in parts]
    joined = values_of[0] if len(values_of) == 1 else pa.concat_arrays(values_of)
    rates = RATES.get(patterns) if group_size is None else None
    if rates is not None:
        groups = plan_groups(patterns, order, rates, joined.nbytes, len(joined))
    else:
        size = group_size or max(len(order), 1)
        groups = [order[i : i + size] for i in range(0, len(order), size)]
    hit = match_all(joined, patterns, groups, planned=rates is not None)
    RATES.record(patterns, hit)
    out = []
    start = 0
    for part, indices in parts:
        block = hit[:, start : start + len(part)]
        out.append(block if indices is None else block[:, indices])
        start += len(part)
    return out


def rare_first(names: Sequence[str], order: Sequence[str] = _RARE_FIRST) -> list[int]:
    """Indices of ``names``, rarest first (names missing from ``order`` before all others)."""
    rank = {name: k for k, name in enumerate(order)}
    return sorted(range(len(names)), key=lambda i: (rank.get(names[i], -1), i))


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
        windows.append((_take(pc.binary_slice(binary, -lexicon.tail_chars), long_rows), False))
    # Windows are cut in bytes: 200 bytes hold 200 ASCII characters but 66 Chinese or 100
    # Russian ones. Where the head is not ASCII, the first head_chars characters are matched
    # too (they contain the byte head, so OR-ing their hits is exact for ASCII rows: none).
    head_distinct = _distinct(head)
    head_ascii = _per_row(_is_ascii, head_distinct)
    wide_rows = np.flatnonzero(~head_ascii & (chars > lexicon.head_chars))
    if len(wide_rows):
        wide = pc.utf8_slice_codeunits(_take(user, wide_rows), 0, lexicon.head_chars)
        windows.append((pc.fill_null(wide.cast(pa.large_binary()), b""), False))
    system = text_column(frame, "system_text")
    has_system = system.null_count < len(system)
    distinct, ascii_rows = {0: head_distinct}, {0: head_ascii}
    system_rows = np.zeros(len(frame), dtype=bool)
    if has_system:
        # A system prompt is shared by a whole feature: always match its distinct values only
        # (and read their length and ASCII-ness once per distinct value too).
        system_window = pc.binary_slice(pc.fill_null(system.cast(pa.large_binary()), b""), 0, 400)
        distinct[len(windows)] = system_distinct = _distinct(system_window, True)
        ascii_rows[len(windows)] = _per_row(_is_ascii, system_distinct)
        system_rows = _per_row(lambda v: np.asarray(pc.binary_length(v), dtype=np.int64) > 0, system_distinct)
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
    _match_scripts(windows, hits, lexicon, names, ascii_rows)
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
