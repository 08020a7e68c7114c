"""What a replay needs from the whole log, computed once before any request is routed.

A replay routes each request on its own columns, except for three facts about the log as
a whole: each model's failure rate (the expected cost of retries), each model's median
logged latency (a route's ``latency_budget_ms``) and the difficulty threshold a
``strong_share`` band is calibrated to (a quantile of the traffic's scores). With them in
a :class:`ReplayContext`, replaying any block of rows gives those rows exactly what a
replay of the whole log gives them: the context is what lets replays run block by block,
or where the rows are (``--scheduler``).

:class:`ContextPart` is the same facts as a mergeable partial result: integer counts per
model, the latencies of successful requests per model and the scored difficulties. Each
of the three results depends only on the multiset of values (a ratio of counts, a
median, a quantile that picks an element), so parts merged in any grouping give the
context of the whole log, to the bit. A part holds 8 bytes per successful request with a
latency and per scored request (only when a policy needs them); a cluster finds the two
order statistics from counts instead (``cluster/context.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.simulate.match import difficulty_threshold, model_codes
from llmaudit.simulate.policy import Policy

_NO_VALUES: Final = np.zeros(0, dtype=np.float64)


@dataclass(frozen=True)
class ReplayContext:
    """The whole log's failure rates and median latencies per priced model, and the
    difficulty threshold of each ``strong_share`` the policies use."""

    failure_rates: dict[str, float]
    latency_ms: dict[str, float] = field(default_factory=dict)
    thresholds: dict[float, float] = field(default_factory=dict)

    @classmethod
    def of(cls, frame: pd.DataFrame, policies: Iterable[Policy] = ()) -> ReplayContext:
        """The context of ``frame`` (priced, tagged requests) for ``policies``."""
        return ContextPart.of(frame, needs(policies)).finish()


@dataclass(frozen=True)
class Needs:
    """Which of the optional facts some policy reads."""

    latency: bool = False
    shares: tuple[float, ...] = ()


def needs(policies: Iterable[Policy]) -> Needs:
    latency, shares = False, set()
    for policy in policies:
        for route in policy.routes:
            latency |= route.latency_budget_ms is not None
            band = route.match.difficulty
            if band is not None and band.strong_share is not None:
                shares.add(float(band.strong_share))
    return Needs(latency, tuple(sorted(shares)))


@dataclass
class ContextPart:
    """A block's share of the context: merge consecutive (or any) parts, then ``finish``."""

    needs: Needs
    requests: dict[str, int]
    failures: dict[str, int]
    latencies: dict[str, list[np.ndarray]]
    difficulty: list[np.ndarray]

    @classmethod
    def of(cls, frame: pd.DataFrame, wanted: Needs) -> ContextPart:
        codes, names = model_codes(frame)
        known = codes >= 0
        ok = (frame["status"] == "ok").to_numpy()
        requests = np.bincount(codes[known], minlength=len(names))
        failures = np.bincount(codes[known], weights=~ok[known], minlength=len(names))
        present = np.flatnonzero(requests)
        latencies: dict[str, list[np.ndarray]] = {}
        if wanted.latency:
            latency = frame["latency_ms"].to_numpy(dtype=np.float64)
            usable = ok & ~np.isnan(latency) & known
            order = np.argsort(codes[usable], kind="stable")
            values, grouped = latency[usable][order], codes[usable][order]
            bounds = np.searchsorted(grouped, np.arange(len(names) + 1))
            for code in np.flatnonzero(np.diff(bounds)):
                latencies[str(names[code])] = [values[bounds[code] : bounds[code + 1]]]
        difficulty: list[np.ndarray] = []
        if wanted.shares:
            d = frame["difficulty"].to_numpy(dtype=np.float64)
            difficulty = [d[~np.isnan(d)]]
        return cls(
            wanted,
            {str(names[c]): int(requests[c]) for c in present},
            {str(names[c]): int(failures[c]) for c in present},
            latencies,
            difficulty,
        )

    def merge(self, other: ContextPart) -> ContextPart:
        for name, count in other.requests.items():
            self.requests[name] = self.requests.get(name, 0) + count
            self.failures[name] = self.failures.get(name, 0) + other.failures[name]
        for name, values in other.latencies.items():
            self.latencies.setdefault(name, []).extend(values)
        self.difficulty.extend(other.difficulty)
        return self

    def finish(self) -> ReplayContext:
        rates = {name: float(np.float64(self.failures[name]) / count) for name, count in self.requests.items()}
        latency = {name: float(pd.Series(np.concatenate(values)).median()) for name, values in self.latencies.items()}
        scored = np.concatenate(self.difficulty) if self.difficulty else _NO_VALUES
        thresholds = {share: difficulty_threshold(scored, share) for share in self.needs.shares}
        return ReplayContext(rates, latency, thresholds)


def merged(parts: Sequence[ContextPart]) -> ReplayContext:
    """The context of the parts' rows together."""
    first, *rest = parts
    for part in rest:
        first.merge(part)
    return first.finish()
