"""Whole-column helpers that format converters use to pull canonical values out of Arrow.

Every function works on a whole column at once (pyarrow compute, numpy, pandas) and
tolerates a field being absent from a chunk, null, or of a neighbouring type (a
timestamp as ISO text or as epoch seconds/milliseconds, a number as text).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, TypeAlias

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.schema import TAG_SEPARATOR

Columnar: TypeAlias = pa.Table | pa.Array | pa.ChunkedArray

_EPOCH_SPLITS: Final = ((1e17, 1e9), (1e14, 1e6), (1e11, 1e3))  # (above, divisor) to reach seconds


def _as_array(data: Columnar) -> pa.Array:
    if isinstance(data, pa.ChunkedArray):
        return data.chunk(0) if data.num_chunks == 1 else data.combine_chunks()
    if isinstance(data, pa.Table):
        return data.to_struct_array().combine_chunks() if data.num_columns else pa.nulls(data.num_rows)
    return data


def get(data: Columnar, path: str) -> pa.Array:
    """The column at dotted ``path`` (parent nulls propagate); all-null if absent.

    On a table only the named top-level column is touched, so repeated lookups stay cheap.
    """
    names = path.split(".")
    if isinstance(data, pa.Table):
        if names[0] not in data.column_names:
            return pa.nulls(data.num_rows)
        arr = _as_array(data.column(names[0]))
        names = names[1:]
    else:
        arr = _as_array(data)
    for name in names:
        if not pa.types.is_struct(arr.type) or arr.type.get_field_index(name) < 0:
            return pa.nulls(len(arr))
        arr = pc.struct_field(arr, name)
    return arr


class Fields:
    """``get`` with memory: each struct level of a chunk is extracted once.

    Converters look up dozens of paths under the same parents (``usage.*``,
    ``request.messages``); extracting a child re-materializes its parent's null
    propagation, so a converter makes one ``Fields`` per chunk and calls it like ``get``.
    """

    def __init__(self, data: Columnar | None, n: int = 0) -> None:
        self._data = data
        self._n = len(data) if isinstance(data, (pa.Array, pa.ChunkedArray)) else (data.num_rows if data else n)
        self._cache: dict[str, pa.Array] = {}

    def __call__(self, path: str) -> pa.Array:
        hit = self._cache.get(path)
        if hit is not None:
            return hit
        if self._data is None:
            value: pa.Array = pa.nulls(self._n)
        elif "." in path:
            parent, name = path.rsplit(".", 1)
            value = get(self(parent), name)
        else:
            value = get(self._data, path)
        self._cache[path] = value
        return value


def coalesce(*arrays: pa.Array) -> pa.Array:
    """Row-wise first non-null value, after casting all arrays to the first typed one."""
    typed = [a for a in arrays if not pa.types.is_null(a.type)]
    if not typed:
        return arrays[0]
    target = typed[0].type
    return pc.coalesce(*[a if a.type == target else a.cast(target, safe=False) for a in typed])


def floats(arr: pa.Array) -> np.ndarray:
    """A writable float64 numpy array, NaN where null or not a number."""
    if pa.types.is_null(arr.type):
        return np.full(len(arr), np.nan)
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        # safe=False: integers above 2**53 (epoch nanoseconds, ids) round instead of raising
        return np.array(arr.cast(pa.float64(), safe=False).to_numpy(zero_copy_only=False), dtype=np.float64)
    if pa.types.is_boolean(arr.type):
        return np.full(len(arr), np.nan)
    numbers = pd.to_numeric(pd.Series(arr.cast(pa.string()).to_numpy(zero_copy_only=False)), errors="coerce")
    return np.array(numbers, dtype=np.float64)  # a copy: to_numpy may share a read-only buffer


def strings(arr: pa.Array) -> pa.Array:
    """A string array (numbers and booleans rendered as text), nulls kept."""
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return arr.cast(pa.string())
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    if pa.types.is_struct(arr.type) or pa.types.is_list(arr.type):
        return pa.nulls(len(arr), pa.string())
    return arr.cast(pa.string())


def non_empty(arr: pa.Array) -> np.ndarray:
    """Boolean mask: the string is present and not blank."""
    s = strings(arr)
    return np.asarray(pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(s)), 0), False))


def timestamps(arr: pa.Array) -> pd.DatetimeIndex:
    """UTC timestamps from ISO-8601 text or epoch numbers (s, ms, us or ns by magnitude).

    Never raises on a value: one that cannot be read is NaT, and one that reads as a
    time outside what nanoseconds can hold (years before 1678 or after 2261, e.g.
    ``9999-12-31``) is clamped to the nearest representable instant, so it stays visibly
    implausible for ``finalize`` to reject instead of crashing the cast.
    """
    n = len(arr)
    if pa.types.is_null(arr.type) or n == 0:
        return pd.DatetimeIndex(np.full(n, np.datetime64("NaT", "ns")), tz="UTC")
    if pa.types.is_timestamp(arr.type):
        counts = np.asarray(pc.fill_null(arr.cast(pa.int64()), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        return _from_units(counts, np.asarray(arr.is_valid()), arr.type.unit)
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        for unit in ("ns", "us"):  # us reaches years 1-9999 that ns cannot hold
            try:
                # Arrow's ISO-8601 parser is fast and exact; it refuses text without a zone.
                return utc_ns(pd.DatetimeIndex(arr.cast(pa.timestamp(unit, tz="UTC")).to_pandas()))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        text = pd.Series(arr.to_numpy(zero_copy_only=False), dtype="object")
        numeric = pd.to_numeric(text, errors="coerce")
        # Naive times are taken as UTC; unparseable ones become NaT.
        parsed = utc_ns(pd.to_datetime(text.where(numeric.isna()), utc=True, format="ISO8601", errors="coerce"))
        if numeric.notna().any():
            parsed = parsed.where(numeric.isna(), _from_epoch(numeric.to_numpy(dtype=np.float64)))
        return pd.DatetimeIndex(parsed)
    if not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_dictionary(arr.type)):
        # A struct, list or boolean is no time at all: unreadable, not a crash.
        return pd.DatetimeIndex(np.full(n, np.datetime64("NaT", "ns")), tz="UTC")
    return _from_epoch(floats(arr))


_NS_LIMIT: Final = np.iinfo(np.int64).max  # int64 min is NaT, so the range is symmetric
_PER_UNIT: Final = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}


def _from_units(counts: np.ndarray, present: np.ndarray, unit: str) -> pd.DatetimeIndex:
    """Integer counts of ``unit`` since the epoch as UTC nanoseconds, clamped; NaT where not ``present``."""
    per = _PER_UNIT[unit]
    limit = _NS_LIMIT // per
    nanos = np.clip(counts, -limit, limit) * per
    out = nanos.astype("datetime64[ns]")
    out[~present] = np.datetime64("NaT")
    return pd.DatetimeIndex(out).tz_localize("UTC")


def utc_ns(stamps: pd.DatetimeIndex | pd.Series) -> pd.DatetimeIndex:
    """Any UTC (or naive, taken as UTC) datetimes as nanosecond UTC, out-of-range values clamped."""
    index = pd.DatetimeIndex(stamps)
    if index.tz is None:
        index = index.tz_localize("UTC")
    elif str(index.tz) != "UTC":
        index = index.tz_convert("UTC")
    if index.unit == "ns":
        return index
    return _from_units(index.asi8, ~np.asarray(index.isna()), index.unit)


def _from_epoch(values: np.ndarray) -> pd.DatetimeIndex:
    """Epoch numbers to UTC; the unit (s, ms, us, ns) is read from each value's magnitude.

    Whole numbers are scaled in integer arithmetic so milliseconds stay exact. Values
    beyond the nanosecond range (including infinities) are clamped to its ends; NaN is NaT.
    """
    values = np.asarray(values, dtype=np.float64)
    factor = np.full(len(values), 1_000_000_000, dtype=np.int64)  # to nanoseconds
    divisor = np.ones(len(values))
    for above, div in _EPOCH_SPLITS:
        big = (np.abs(values) > above) & (divisor == 1)
        factor[big] = 1_000_000_000 // int(div)
        divisor[big] = div
    known = ~np.isnan(values)
    finite = known & (np.abs(values / divisor) < 9.2e9)
    whole = finite & (values == np.round(values)) & (np.abs(values) < 2**53)
    nanos = np.zeros(len(values), dtype=np.int64)
    nanos[whole] = values[whole].astype(np.int64) * factor[whole]
    frac = finite & ~whole
    nanos[frac] = np.round(values[frac] / divisor[frac] * 1e9).astype(np.int64)
    beyond = known & ~finite
    nanos[beyond] = np.where(values[beyond] > 0, _NS_LIMIT, -_NS_LIMIT)
    out = nanos.astype("datetime64[ns]")
    out[~known] = np.datetime64("NaT")
    return pd.DatetimeIndex(out).tz_localize("UTC")


def join_messages(messages: pa.Array, role: str = "role", content: str = "content") -> tuple[pa.Array, np.ndarray]:
    """Transcript text ("role: content" lines) and message count for a list of messages.

    Null content (tool calls) contributes an empty line body; a null list gives null text
    and 0 turns.
    """
    n = len(messages)
    if not pa.types.is_list(messages.type) or not pa.types.is_struct(messages.type.value_type):
        return pa.nulls(n, pa.string()), np.zeros(n, dtype=np.int64)
    items = messages.values
    roles = pc.fill_null(strings(get(items, role)), "")
    bodies = pc.fill_null(strings(get(items, content)), "")
    lines = pc.binary_join_element_wise(roles, bodies, ": ")
    text = pc.binary_join(relist(messages, lines), "\n")
    turns = np.asarray(pc.fill_null(pc.list_value_length(messages), 0), dtype=np.int64)
    return text, turns


def role_texts(messages: pa.Array, roles: Sequence[str], role: str = "role", content: str = "content") -> pa.Array:
    """Per list of messages, the content of those whose role is in ``roles``, joined."""
    if not pa.types.is_list(messages.type) or not pa.types.is_struct(messages.type.value_type):
        return pa.nulls(len(messages), pa.string())
    items = messages.values
    keep = np.asarray(pc.fill_null(pc.is_in(strings(get(items, role)), pa.array(list(roles))), False))
    return join_items(messages, get(items, content), "\n", keep=keep)


def last_role_text(messages: pa.Array, role_name: str, role: str = "role", content: str = "content") -> pa.Array:
    """Per list of messages, the content of the last one whose role is ``role_name``."""
    n = len(messages)
    if not pa.types.is_list(messages.type) or not pa.types.is_struct(messages.type.value_type):
        return pa.nulls(n, pa.string())
    offsets = np.asarray(messages.offsets, dtype=np.int64)
    start, end = int(offsets[0]), int(offsets[-1])
    items = messages.values.slice(start, end - start)
    match = np.flatnonzero(np.asarray(pc.fill_null(pc.equal(strings(get(items, role)), role_name), False)))
    if not len(match):
        return pa.nulls(n, pa.string())
    owner = np.repeat(np.arange(n), np.diff(offsets))[match]
    last = np.ones(len(match), dtype=bool)
    last[:-1] = owner[:-1] != owner[1:]  # match is ascending, so an owner's last match ends its run
    pick = np.full(n, 0, dtype=np.int64)
    pick[owner[last]] = match[last]
    found = np.zeros(n, dtype=bool)
    found[owner[last]] = True
    return strings(get(items, content)).take(pa.array(pick, mask=~found))


def list_length(arr: pa.Array) -> np.ndarray:
    """Number of items per list (0 for null or a non-list column)."""
    if not pa.types.is_list(arr.type):
        return np.zeros(len(arr), dtype=np.int64)
    return np.asarray(pc.fill_null(pc.list_value_length(arr), 0), dtype=np.int64)


def relist(lists: pa.Array, values: pa.Array) -> pa.Array:
    """A list array with the shape of ``lists`` over new ``values`` (one per ``lists.values`` item)."""
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    start, end = int(offsets[0]), int(offsets[-1])
    rebased = pa.array((offsets - start).astype(np.int32))
    return pa.ListArray.from_arrays(rebased, values.slice(start, end - start), mask=lists.is_null())


def first_of_list(arr: pa.Array) -> pa.Array:
    """The first element of each list (null for a null or empty list, or a non-list column)."""
    n = len(arr)
    if not pa.types.is_list(arr.type):
        return pa.nulls(n)
    offsets = np.asarray(arr.offsets, dtype=np.int64)
    has = (offsets[1:] > offsets[:-1]) & np.asarray(arr.is_valid())
    index = pa.array(np.where(has, offsets[:-1], 0), mask=~has)
    return arr.values.take(index)


def prefix_text(label: str, text: pa.Array) -> pa.Array:
    """``label: text`` where text is present, else null (for system prompts and the like)."""
    s = strings(text)
    return pc.if_else(
        pc.is_valid(s), pc.binary_join_element_wise(pa.scalar(label), s, ": "), pa.scalar(None, pa.string())
    )


def join_text(*parts: pa.Array) -> pa.Array:
    """Row-wise newline join of optional text parts; null only where every part is null."""
    result = strings(parts[0])
    for part in parts[1:]:
        part = strings(part)
        both = pc.and_(result.is_valid(), part.is_valid())
        result = pc.if_else(both, pc.binary_join_element_wise(result, part, "\n"), pc.coalesce(result, part))
    return result


def join_items(lists: pa.Array, values: pa.Array, sep: str = "\n", keep: np.ndarray | None = None) -> pa.Array:
    """Per list, its items' ``values`` joined by ``sep``, skipping null (or not ``keep``) items.

    ``values`` holds one value per item of ``lists.values`` (as ``relist`` expects). A
    list with nothing left to join (no items, or only images and tool calls) gives null
    rather than an empty string.
    """
    n = len(lists)
    if not pa.types.is_list(lists.type):
        return pa.nulls(n, pa.string())
    offsets = np.asarray(lists.offsets, dtype=np.int64)
    start, end = int(offsets[0]), int(offsets[-1])
    texts = strings(values.slice(start, end - start))
    kept = np.asarray(texts.is_valid()) if keep is None else np.asarray(keep)[start:end] & np.asarray(texts.is_valid())
    owner = np.repeat(np.arange(n), np.diff(offsets))
    counts = np.bincount(owner[kept], minlength=n)
    new_offsets = pa.array(np.concatenate(([0], np.cumsum(counts))).astype(np.int32))
    joined = pc.binary_join(
        pa.ListArray.from_arrays(new_offsets, texts.filter(pa.array(kept)), mask=lists.is_null()), sep
    )
    return pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)


def tags(arr: pa.Array) -> pa.Array:
    """Tags joined by ``TAG_SEPARATOR`` from a list of strings or a comma-separated string.

    Items are trimmed, empty items dropped, and the separator inside a tag replaced by
    "/"; a row with no tags is null.
    """
    if pa.types.is_null(arr.type):
        return pa.nulls(len(arr), pa.string())
    if not pa.types.is_list(arr.type):
        return tags(pc.split_pattern(strings(arr), ","))
    values = pc.utf8_trim_whitespace(pc.replace_substring(strings(arr.values), TAG_SEPARATOR, "/"))
    nonempty = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(values), 0), False))
    return join_items(arr, values, TAG_SEPARATOR, keep=nonempty)
