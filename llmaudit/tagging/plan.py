"""Which patterns share a group-testing pass, planned from the match rates of earlier chunks.

Group testing (``matching.match_all``) is exact whatever the groups are; only its cost
depends on them. A group's alternation pays off when it rarely matches: one pass then
settles every member on most windows. When it matches most windows (templated traffic
where every message names its task), each member still needs its own pass over them, and
the alternation's pass and compile were wasted. How often each pattern matches depends
on the traffic, so it is learned: every call records the share of windows each pattern
matched (``MatchRates``), and the next call (the next chunk of the same run, on another
worker thread or the same one) groups its patterns by those shares (``plan_groups``).
Without a record (the first chunk), the caller's default grouping is used.

Costs are those of ``pc.match_substring_regex`` measured with pyarrow 26 on the shipped
lexicon (docs/tagging.md, "Speed"): a pass over values, plus compiling the pattern and
warming up its DFA on every call, in proportion to the pattern's length.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

SECONDS_PER_BYTE = 1.8e-9
"""Per byte of the values passed (their Arrow buffers, offsets included)."""
SECONDS_PER_VALUE = 5e-8
SECONDS_PER_CALL = 2e-5
SECONDS_PER_PATTERN_CHAR = 3e-7
"""Compile and DFA warm-up, per character of pattern, per call (0.25-0.33 us measured)."""
SECONDS_PER_PATTERN = 7.5e-4
"""The same per pattern, as ``matching._worth_grouping`` counts it when it splits a group."""
# Rates from fewer values than this move the record only in proportion (a small frame's
# rates are noisy); from this many or more they replace it.
_FULL_WEIGHT_VALUES = 20_000


def pass_seconds(nbytes: int, n: int) -> float:
    """Estimated cost of scanning ``n`` values holding ``nbytes`` bytes once (no compile)."""
    return nbytes * SECONDS_PER_BYTE + n * SECONDS_PER_VALUE + SECONDS_PER_CALL


def compile_seconds(pattern: str) -> float:
    return len(pattern) * SECONDS_PER_PATTERN_CHAR


class MatchRates:
    """The share of windows each pattern (by its text) matched on earlier calls of this process.

    Used only to plan passes, never to decide a match, so a stale or racing update (two
    worker threads tag chunks at once) can cost time but cannot change a result.
    """

    def __init__(self) -> None:
        self._rates: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, patterns: Sequence[str]) -> np.ndarray | None:
        """The recorded rates of ``patterns``, or None unless every one has a record."""
        with self._lock:
            rates = [self._rates.get(p) for p in patterns]
        if any(r is None for r in rates):
            return None
        return np.asarray(rates, dtype=np.float64)

    def record(self, patterns: Sequence[str], hit: np.ndarray) -> None:
        """Record ``hit[i, v]`` (pattern ``i`` matched value ``v``) as rates."""
        n = hit.shape[1]
        if n == 0:
            return
        weight = min(1.0, n / _FULL_WEIGHT_VALUES)
        shares = hit.mean(axis=1)
        with self._lock:
            for pattern, share in zip(patterns, shares, strict=True):
                old = self._rates.get(pattern)
                self._rates[pattern] = float(share) if old is None else old + (float(share) - old) * weight

    def clear(self) -> None:
        with self._lock:
            self._rates.clear()


RATES = MatchRates()


def _tree_seconds(
    compiles: Sequence[float], rates: Sequence[float], scan: float, known: float = 0.0, check: bool = False
) -> float:
    """Expected cost of ``matching._solve`` on one group (patterns independent, at ``rates``):
    ``scan`` is a pass over its values, ``known`` the share of them where a member surely
    matches, ``check`` whether ``_worth_grouping`` may turn the group into plain passes."""
    k = len(compiles)
    if k > 1 and check and scan <= k * SECONDS_PER_PATTERN:
        return sum(compiles) + k * scan
    missed = 1.0
    for r in rates:
        missed *= 1.0 - r
    matched = known + (1.0 - known) * (1.0 - missed)
    cost = 0.0 if known >= 1.0 else sum(compiles) + SECONDS_PER_CALL + (1.0 - known) * (scan - SECONDS_PER_CALL)
    if k == 1 or matched <= 0.0:
        return cost
    half = k // 2
    missed_first = 1.0
    for r in rates[:half]:
        missed_first *= 1.0 - r
    inner = SECONDS_PER_CALL + matched * (scan - SECONDS_PER_CALL)
    first_share = min(1.0, (1.0 - missed_first) / matched)
    return (
        cost
        + _tree_seconds(compiles[:half], rates[:half], inner, 0.0, True)
        + _tree_seconds(compiles[half:], rates[half:], inner, 1.0 - first_share, True)
    )


def plan_seconds(
    patterns: Sequence[str], groups: Sequence[Sequence[int]], rates: np.ndarray, nbytes: int, n: int
) -> float:
    """Expected cost of ``matching.match_all(..., groups, planned=True)`` over these values."""
    scan = pass_seconds(nbytes, n)
    return sum(
        _tree_seconds([compile_seconds(patterns[i]) for i in g], [float(rates[i]) for i in g], scan) for g in groups
    )


def plan_groups(
    patterns: Sequence[str], order: Sequence[int], rates: np.ndarray, nbytes: int, n: int
) -> list[list[int]]:
    """Groups (lists of indices into ``patterns``) that cover ``order`` at the least estimated cost.

    Patterns are taken rarest first (ties in ``order``'s order); the groups are runs of
    that sequence, chosen by dynamic programming over where each run ends, each run costed
    as its alternation then each member over the values the run matched. A pattern that
    matches most windows ends up alone: one pass, no alternation. Where the values are
    large enough for compiling to matter little, halving one group of all of them
    (``match_all``'s tree) can be cheaper still: the cheaper of the two plans is returned.
    """
    ranked = sorted(order, key=lambda i: rates[i])  # stable: ties keep ``order``
    scan = pass_seconds(nbytes, n)
    k = len(ranked)
    best = [0.0] + [float("inf")] * k
    start = [0] * (k + 1)
    for end in range(1, k + 1):
        compiles, missed = 0.0, 1.0
        for begin in range(end - 1, -1, -1):
            pattern = ranked[begin]
            compiles += compile_seconds(patterns[pattern])
            missed *= 1.0 - float(rates[pattern])
            size = end - begin
            if size == 1:
                cost = compiles + scan
            else:
                cost = 2.0 * compiles + scan + size * (SECONDS_PER_CALL + (1.0 - missed) * (scan - SECONDS_PER_CALL))
            if best[begin] + cost < best[end]:
                best[end], start[end] = best[begin] + cost, begin
    groups: list[list[int]] = []
    end = k
    while end:
        groups.append(ranked[start[end] : end])
        end = start[end]
    groups.reverse()
    if len(groups) > 1 and plan_seconds(patterns, [ranked], rates, nbytes, n) < plan_seconds(
        patterns, groups, rates, nbytes, n
    ):
        return [ranked]
    return groups
