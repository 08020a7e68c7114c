"""Exact percentiles of values spread over blocks, without gathering them.

``np.percentile`` (linear interpolation) of ``n`` values needs the order statistics at
ranks ``floor(h)`` and ``floor(h) + 1``, ``h = (n - 1) q``. Each value maps to a 64-bit
key that sorts as the value does (``_keys``); the key of each needed rank is found 16 bits
at a time: each pass, every block counts its values under each still-open prefix by the
next 16 bits (a few counts per block), and the client follows the counts to the digit
holding the rank. Four passes fix the key, and with it the value, to the bit; the blocks
never send a value. The interpolation is numpy's own arithmetic (``_lerp``), so the
result is the bytes ``np.percentile`` gives on the whole column (``tests/simulate/test_select.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final

import numpy as np

DIGIT_BITS: Final = 16
_SIGN: Final = np.uint64(1 << 63)

Prefix = tuple[int, int]  # (bits fixed, their value)
Counts = dict[Prefix, tuple[np.ndarray, np.ndarray]]  # prefix -> (digits, counts)


def _keys(values: np.ndarray) -> np.ndarray:
    """Unsigned keys that sort as the floats do (NaN left out by the caller)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)
    return np.where(bits & _SIGN, ~bits, bits | _SIGN)


def _value(key: int) -> float:
    k = np.uint64(key)
    bits = k & ~_SIGN if k & _SIGN else ~k
    return float(np.array([bits], dtype=np.uint64).view(np.float64)[0])


def digit_counts(values: np.ndarray, prefixes: Sequence[Prefix]) -> Counts:
    """For each prefix: how many of ``values`` have it, by their next 16 bits (a block's pass)."""
    keys = _keys(values)
    out: Counts = {}
    for fixed, value in prefixes:
        under = keys if fixed == 0 else keys[(keys >> np.uint64(64 - fixed)) == np.uint64(value)]
        digits = (under >> np.uint64(64 - fixed - DIGIT_BITS)) & np.uint64((1 << DIGIT_BITS) - 1)
        tally = np.bincount(digits.astype(np.intp), minlength=1 << DIGIT_BITS)  # O(n): no sort
        found = np.flatnonzero(tally).astype(np.uint64)
        out[(fixed, value)] = (found, tally[found])
    return out


def _merged(parts: Iterable[Counts], prefixes: Sequence[Prefix]) -> dict[Prefix, np.ndarray]:
    totals = {p: np.zeros(1 << DIGIT_BITS, dtype=np.int64) for p in prefixes}
    for part in parts:
        for prefix, (digits, counts) in part.items():
            np.add.at(totals[prefix], digits.astype(np.intp), counts)
    return totals


def order_statistics(run: Callable[[Sequence[Prefix]], Iterable[Counts]], ranks: Sequence[int]) -> dict[int, float]:
    """The values at 0-based ``ranks`` of the sorted values; ``run(prefixes)`` makes one pass
    (``digit_counts`` on every block) and returns the blocks' counts."""
    state = {rank: ((0, 0), rank) for rank in set(ranks)}  # rank -> (prefix, rank under the prefix)
    for _ in range(64 // DIGIT_BITS):
        prefixes = sorted({prefix for prefix, _ in state.values()})
        totals = _merged(run(prefixes), prefixes)
        for rank, ((fixed, value), within) in state.items():
            cumulative = np.cumsum(totals[(fixed, value)])
            digit = int(np.searchsorted(cumulative, within, side="right"))
            below = int(cumulative[digit - 1]) if digit else 0
            state[rank] = ((fixed + DIGIT_BITS, (value << DIGIT_BITS) | digit), within - below)
    return {rank: _value(prefix[1]) for rank, (prefix, _) in state.items()}


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's linear interpolation for quantiles, step for step (the same bits)."""
    diff_b_a = b - a
    out = np.add(a, diff_b_a * t)
    np.subtract(b, diff_b_a * (1 - t), out=out, where=t >= 0.5)
    return out


def percentiles(run: Callable[[Sequence[Prefix]], Iterable[Counts]], n: int, q: Sequence[float]) -> list[float]:
    """``np.percentile(values, q)`` of the ``n`` values the blocks hold (``n`` > 0)."""
    virtual = (n - 1) * np.true_divide(np.asarray(q, dtype=np.float64), 100)
    previous = np.floor(virtual)
    after = previous + 1
    top = virtual >= n - 1
    previous_i = np.where(top, n - 1, previous).astype(np.intp)
    next_i = np.where(top, n - 1, after).astype(np.intp)
    found = order_statistics(run, sorted({*previous_i.tolist(), *next_i.tolist()}))
    a = np.array([found[i] for i in previous_i.tolist()])
    b = np.array([found[i] for i in next_i.tolist()])
    gamma = np.asanyarray(virtual - previous, dtype=virtual.dtype)
    return [float(x) for x in _lerp(a, b, gamma)]


def higher(run: Callable[[Sequence[Prefix]], Iterable[Counts]], n: int, q: float) -> float:
    """``np.quantile(values, q, method="higher")`` of the ``n`` values the blocks hold (``n`` > 0)."""
    rank = int(np.ceil((n - 1) * np.asanyarray(q, dtype=np.float64)).astype(np.intp))
    return order_statistics(run, [rank])[rank]
