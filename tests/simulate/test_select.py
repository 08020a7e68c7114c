"""Exact percentiles over blocks (``simulate/select.py``): the bytes ``np.percentile`` gives
on the whole column, from counts the blocks send (never their values)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from llmaudit.simulate.select import Counts, Prefix, digit_counts, order_statistics, percentiles

Q = (50, 95, 99)


def _run(blocks: list[np.ndarray]):  # type: ignore[no-untyped-def]
    def run(prefixes: Sequence[Prefix]) -> list[Counts]:
        return [digit_counts(block, prefixes) for block in blocks]

    return run


def _random_blocks(rng: np.random.Generator, values: np.ndarray) -> list[np.ndarray]:
    cuts = np.sort(rng.integers(0, len(values) + 1, int(rng.integers(0, 12))))
    return np.split(values, cuts)


@pytest.mark.parametrize("seed", range(8))
def test_the_same_bytes_as_numpy_on_random_blocks(seed: int) -> None:
    rng = np.random.default_rng(seed)
    shapes = [
        rng.lognormal(-8, 3, int(rng.integers(1, 5000))),  # costs: many orders of magnitude
        rng.choice([0.0, 1e-5, 2.5e-5, 3.3e-4, 0.12], int(rng.integers(1, 5000))),  # repeats and ties
        np.round(rng.random(int(rng.integers(1, 5000))), 3),
        rng.normal(0, 1, int(rng.integers(1, 5000))),  # negative values too
        rng.lognormal(-8, 3, int(rng.integers(1, 4))),  # one to three values
    ]
    for values in shapes:
        got = percentiles(_run(_random_blocks(rng, values)), len(values), Q)
        want = np.percentile(values, Q)
        assert np.array(got).tobytes() == want.tobytes(), (len(values), got, want)


def test_hand_computed() -> None:
    """Ten values 1..10 in three blocks: p50 at rank 4.5 -> 5.5; p95 at 8.55 -> 9.55; p99 at 8.91 -> 9.91."""
    blocks = [np.array([7.0, 1.0, 10.0]), np.array([], dtype=np.float64), np.array([3.0, 2.0, 9.0, 4.0, 8.0, 5.0, 6.0])]
    p50, p95, p99 = percentiles(_run(blocks), 10, Q)
    assert p50 == 5.5
    assert p95 == pytest.approx(9.55, abs=1e-12)
    assert p99 == pytest.approx(9.91, abs=1e-12)
    assert order_statistics(_run(blocks), [0, 9, 4]) == {0: 1.0, 9: 10.0, 4: 5.0}


def test_blocks_send_counts_not_values() -> None:
    values = np.array([0.25, 0.5, 0.5, 4.0])
    counts = digit_counts(values, [(0, 0)])
    [(digits, n)] = counts.values()
    assert n.sum() == 4 and digits.dtype == np.uint64 and len(digits) <= len(values)
    assert percentiles(_run([values]), 4, [50]) == [0.5]
