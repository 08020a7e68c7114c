"""Exact sums of money per key, mergeable: the same total however the rows were cut.

check's steps sum each request's cost, per complexity tier, task type and routed model.
On a cluster each task sums its own rows; float addition is not associative, so adding
the tasks' float sums would differ in the last bits from one sum over the whole log, and
the JSON would change with the number of workers. Here each value is split into its
binary exponent and two 26-bit halves of its 53-bit mantissa; the halves are summed per
(key, exponent) with ``np.bincount`` (integers below 2**53, exact in float64 for up to
2**27 rows a bucket) and the few buckets are added as Python integers. A partial sum is
the exact sum, merging adds integers, and the float is rounded once at the end: every
grouping and order gives the same bits. The work per row is whole-column numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final

import numpy as np
import pandas as pd

# Sums are kept as integers in units of 2**-_SCALE: below the smallest subnormal (2**-1074).
_SCALE: Final = 1100
_HALF: Final = 26
# Per (key, exponent) bucket the halves sum exactly in float64 up to this many rows.
_MAX_ROWS: Final = 1 << 27


def _scaled(halves: np.ndarray, exponents: np.ndarray, shift: int) -> list[int]:
    """Each bucket's exact value in units of 2**-_SCALE."""
    return [int(h) << (int(e) - shift + _SCALE) for h, e in zip(halves, exponents, strict=True)]


@dataclass
class KeyedSums:
    """Exact sums per key (units of 2**-_SCALE), the keys as text; missing keys left out."""

    totals: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, keys: pd.Series | np.ndarray, values: np.ndarray) -> KeyedSums:
        """``values`` (finite floats) summed per key, exactly."""
        if len(values) > _MAX_ROWS:  # a block this large is cut in two: still exact
            half = len(values) // 2
            return cls.of(keys[:half], values[:half]).merge(cls.of(keys[half:], values[half:]))
        codes, uniques = pd.factorize(keys if isinstance(keys, pd.Series) else np.asarray(keys, dtype=object))
        known = codes >= 0
        codes, values = codes[known], np.asarray(values, dtype=np.float64)[known]
        mantissa, exponent = np.frexp(values)
        whole = (mantissa * float(1 << 53)).astype(np.int64)  # exact: a 53-bit integer
        high, low = whole >> _HALF, whole & ((1 << _HALF) - 1)
        exponent = exponent.astype(np.int64)
        low_exp = int(exponent.min()) if len(exponent) else 0
        span = int(exponent.max()) - low_exp + 1 if len(exponent) else 1
        bucket = codes.astype(np.int64) * span + (exponent - low_exp)
        if len(uniques) * span <= 4 * len(bucket) + 4096:  # few buckets: count them all, no sort
            used = np.flatnonzero(np.bincount(bucket, minlength=len(uniques) * span))
            high_sums = np.bincount(bucket, weights=high.astype(np.float64))[used]
            low_sums = np.bincount(bucket, weights=low.astype(np.float64))[used]
        else:
            used, where = np.unique(bucket, return_inverse=True)
            high_sums = np.bincount(where, weights=high.astype(np.float64), minlength=len(used))
            low_sums = np.bincount(where, weights=low.astype(np.float64), minlength=len(used))
        exps = used % span + low_exp
        value = np.add(_scaled(high_sums, exps, 53 - _HALF), _scaled(low_sums, exps, 53), dtype=object)
        totals = dict.fromkeys((str(u) for u in uniques), 0)
        names = [str(u) for u in uniques]
        for code, v in zip(used // span, value, strict=True):
            totals[names[int(code)]] += int(v)
        return cls(totals)

    def merge(self, other: KeyedSums) -> KeyedSums:
        """Both parts' sums (the union of their keys)."""
        totals = dict(self.totals)
        for key, value in other.totals.items():
            totals[key] = totals.get(key, 0) + value
        return KeyedSums(totals)

    def floats(self, divisor: float = 1.0) -> dict[str, float]:
        """Each key's sum rounded once to a float, then divided by ``divisor``; keys sorted."""
        return {key: total(value) / divisor for key, value in sorted(self.totals.items())}

    def total(self) -> int:
        """The exact sum over every key (units of 2**-_SCALE)."""
        return sum(self.totals.values())


def total(value: int) -> float:
    """An exact sum (units of 2**-_SCALE) as the nearest float."""
    return float(Fraction(value, 1 << _SCALE))
