"""``--scheduler``: the replay context (``simulate/context.py``) without gathering values.

The failure rates are ratios of counts, merged as ``ContextPart``s. The two facts that
are order statistics, each model's median logged latency and the difficulty threshold of
a ``strong_share``, are found by exact selection (``simulate/select.py``): every task
counts its values by 16-bit digits of their keys, four passes, and sends counts, never the
latencies or difficulties. The results are the bytes ``pd.Series.median`` and
``np.quantile(method="higher")`` give on the whole log (``tests/cluster/test_sums.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from llmaudit.simulate.context import ContextPart, Needs, ReplayContext, merged
from llmaudit.simulate.match import model_codes
from llmaudit.simulate.select import Counts, Prefix, digit_counts, higher, order_statistics

if TYPE_CHECKING:
    from distributed import Client, Future


def context_on(client: Client, rows: list[Future], wanted: Needs) -> ReplayContext:
    """The whole log's replay context for ``wanted``, from the tasks' rows (futures)."""
    rates = merged(client.gather([client.submit(ContextPart.of, part, Needs()) for part in rows])).failure_rates
    latency: dict[str, float] = {}
    if wanted.latency:
        sizes: dict[str, int] = {}
        for counts in client.gather([client.submit(_latency_counts, part) for part in rows]):
            for name, n in counts.items():
                sizes[name] = sizes.get(name, 0) + n
        for name, n in sizes.items():
            middle = sorted({(n - 1) // 2, n // 2})
            found = order_statistics(functools.partial(_gather, client, rows, _latency_digits, name), middle)
            latency[name] = float(np.mean(np.array([found[i] for i in middle])))  # np.median's arithmetic
    thresholds: dict[float, float] = {}
    if wanted.shares:
        scored = sum(client.gather([client.submit(_difficulty_count, part) for part in rows]))
        for share in wanted.shares:
            thresholds[share] = _threshold(client, rows, scored, share)
    return ReplayContext(rates, latency, thresholds)


def _threshold(client: Client, rows: list[Future], scored: int, share: float) -> float:
    """``match.difficulty_threshold`` of every scored difficulty."""
    if not scored or share <= 0:
        return float("inf")
    if share >= 1:
        return float("-inf")
    return higher(functools.partial(_gather, client, rows, _difficulty_digits), scored, 1 - share)


def _gather(client: Client, rows: list[Future], fn: Callable[..., Counts], *args: Any) -> list[Counts]:
    """``fn(rows, *args)`` on every task (a pass of the selection), in task order."""
    return list(client.gather([client.submit(fn, part, *args) for part in rows]))


def _usable_latencies(rows: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(model codes, names, latencies) of the successful requests with a latency (``ContextPart.of``)."""
    codes, names = model_codes(rows)
    ok = (rows["status"] == "ok").to_numpy()
    latency = rows["latency_ms"].to_numpy(dtype=np.float64)
    usable = ok & ~np.isnan(latency) & (codes >= 0)
    return codes[usable], names, latency[usable]


def _latency_counts(rows: pd.DataFrame) -> dict[str, int]:
    codes, names, _ = _usable_latencies(rows)
    counts = np.bincount(codes, minlength=len(names))
    return {str(names[c]): int(counts[c]) for c in np.flatnonzero(counts)}


def _latency_digits(rows: pd.DataFrame, name: str, prefixes: Sequence[Prefix]) -> Counts:
    codes, names, latency = _usable_latencies(rows)
    mine = [i for i, n in enumerate(names) if str(n) == name]
    return digit_counts(latency[np.isin(codes, mine)], prefixes)


def _difficulties(rows: pd.DataFrame) -> np.ndarray:
    d = rows["difficulty"].to_numpy(dtype=np.float64)
    return d[~np.isnan(d)]


def _difficulty_count(rows: pd.DataFrame) -> int:
    return len(_difficulties(rows))


def _difficulty_digits(rows: pd.DataFrame, prefixes: Sequence[Prefix]) -> Counts:
    return digit_counts(_difficulties(rows), prefixes)
