"""Exact matching of many RE2 patterns over Arrow text columns, in few passes.

The machinery behind ``signals.extract_signals`` (docs/tagging.md, "Speed"): an RE2 pass
costs about 1.8 ns per byte of window whatever the pattern, plus a fixed compile and
warm-up cost per call, so the work is counted in passes times bytes and cut, exactly:

- group testing (``match_all``): a group's patterns run as one alternation over every
  value; each member then runs only over the values the alternation matched, and the
  group's last member is known without a pass where no other member matched;
- values that repeat (templated traffic) are matched once per distinct value
  (``distinct_values``, ``per_row``);
- several window columns share each pattern's compile (``match_windows``), and the
  groups are planned from the match rates earlier calls recorded (``plan``);
- words that need a non-ASCII character run only over non-ASCII windows (``match_scripts``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.tagging.lexicon import Lexicon
from llmaudit.tagging.plan import RATES, SECONDS_PER_BYTE, SECONDS_PER_PATTERN, SECONDS_PER_VALUE, plan_groups

Text: TypeAlias = pa.Array | pa.ChunkedArray

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


def _match(values: Text, pattern: str) -> np.ndarray:
    found = pc.match_substring_regex(values, pattern)
    return np.asarray(pc.fill_null(found, False) if found.null_count else found, dtype=bool)


def take_rows(values: Text, rows: np.ndarray) -> Text:
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
        found = _match(take_rows(values, unknown), _alternation([patterns[i] for i in group]))
        known = known.copy()
        known[unknown] = found
    if len(group) == 1:
        hit[group[0], rows[known]] = True
        return
    keep = np.flatnonzero(known)
    if not len(keep):
        return
    values, rows = take_rows(values, keep), rows[keep]
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


def match_scripts(
    windows: Sequence[tuple[Text, bool]],
    hits: list[np.ndarray],
    lexicon: Lexicon,
    names: list[str],
    ascii_rows: dict[int, np.ndarray] | None = None,
) -> None:
    """OR the lexicon's script patterns (``Lexicon.classes[i].script_pattern``, ``hard_script``:
    words that need a non-ASCII character) into ``hits``, matching them only on the windows
    that hold a non-ASCII byte, the only ones they can match. ``ascii_rows`` holds
    ``is_ascii`` of windows (by position) where the caller has it already."""
    script = [(i, c.script_pattern) for i, c in enumerate(lexicon.classes) if c.script_pattern]
    if lexicon.hard_script:
        script.append((names.index("hard"), lexicon.hard_script))
    if not script:
        return
    parts, rows_of = [], []
    ascii_rows = ascii_rows or {}
    for k, (values, always) in enumerate(windows):
        rows = np.flatnonzero(~(ascii_rows[k] if k in ascii_rows else is_ascii(values)))
        rows_of.append(rows)
        if len(rows):
            parts.append((take_rows(values, rows), always))
    if not parts:
        return
    script_names = [names[i] for i, _ in script]
    found = iter(match_windows(parts, [p for _, p in script], rare_first(script_names), _SCRIPT_GROUP))
    index = np.asarray([i for i, _ in script])
    for hit, rows in zip(hits, rows_of, strict=True):
        if len(rows):
            hit[np.ix_(index, rows)] |= next(found)


def is_ascii(values: Text) -> np.ndarray:
    """Per row: every byte of ``values`` (binary windows, possibly cut inside a character) is ASCII."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    # A zero-copy view as strings: string_is_ascii only reads the bytes, it never decodes them.
    parts = [np.asarray(pc.fill_null(pc.string_is_ascii(c.view(pa.large_string())), True), dtype=bool) for c in chunks]
    return np.concatenate(parts) if parts else np.ones(0, dtype=bool)


def distinct_values(values: Text, always: bool = False) -> tuple[pa.Array, np.ndarray | None]:
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


def per_row(per_value: Callable[[pa.Array], np.ndarray], distinct: Distinct) -> np.ndarray:
    """``per_value`` of ``distinct_values``'s values, mapped back to the rows."""
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
    ``distinct`` holds ``distinct_values`` of windows (by position) where the caller has it already.
    """
    done = distinct or {}
    parts = [done[k] if k in done else distinct_values(values, always) for k, (values, always) in enumerate(windows)]
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
