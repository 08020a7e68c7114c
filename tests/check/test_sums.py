"""check's step sums are exact (``check/sums.py``): each key's sum is ``math.fsum``'s (the
correctly rounded sum), whatever the grouping of the rows into blocks and their order."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from llmaudit.check.sums import KeyedSums, total


def test_sums_are_correctly_rounded_however_the_rows_are_cut() -> None:
    rng = np.random.default_rng(7)
    n = 50_000
    values = rng.random(n) * rng.choice([1e-9, 1e-4, 1.0, 3e4], n)  # costs of many magnitudes
    keys = rng.choice(["tier 0", "tier 1", "tier 2"], n)
    whole = KeyedSums.of(keys, values)
    assert whole.floats() == {k: math.fsum(values[keys == k]) for k in ("tier 0", "tier 1", "tier 2")}
    assert total(whole.total()) == math.fsum(values)
    blocks = [KeyedSums.of(keys[i : i + 997], values[i : i + 997]) for i in range(0, n, 997)]
    forward, backward = blocks[0], blocks[-1]
    for b in blocks[1:]:
        forward = forward.merge(b)
    for b in reversed(blocks[:-1]):
        backward = backward.merge(b)
    assert forward.floats() == backward.floats() == whole.floats()


def test_signs_zeros_missing_keys_and_a_divisor() -> None:
    values = np.array([-1.5, 2.25, -0.1, 0.0, 1e-300, 7.0])
    keys = pd.Series(["a", "a", "a", "a", "a", None])
    sums = KeyedSums.of(keys, values)
    assert sums.floats() == {"a": math.fsum(values[:5])}  # the row without a key left out
    assert sums.floats(2.0) == {"a": math.fsum(values[:5]) / 2.0}
    assert KeyedSums.of(np.array([], dtype=object), np.zeros(0)).floats() == {}
    assert KeyedSums.of(pd.Series(pd.Categorical(["x"], categories=["x", "y"])), np.array([1.0])).floats() == {"x": 1.0}


def test_many_keys_over_a_wide_range_of_magnitudes() -> None:
    # 40 keys x ~2,000 binary exponents is more buckets than rows: the sorted path.
    rng = np.random.default_rng(11)
    n = 400
    values = rng.random(n) * rng.choice([1e-300, 1e-150, 1.0, 1e150, 1e300], n) * rng.choice([-1.0, 1.0], n)
    keys = np.array([f"model-{i}" for i in rng.integers(0, 40, n)], dtype=object)
    expected = {k: math.fsum(values[keys == k]) for k in sorted(set(keys))}
    assert KeyedSums.of(keys, values).floats() == expected
    halves = KeyedSums.of(keys[:200], values[:200]).merge(KeyedSums.of(keys[200:], values[200:]))
    assert halves.floats() == expected
