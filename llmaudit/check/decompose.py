"""Why projected monthly cost moved: effects that add up to the change exactly.

The change from the baseline (base traffic, base policy, base prices) to the head
(head traffic, head policy, head prices) is walked one factor at a time, each step a
real replay of the head traffic:

    C0  the baseline as recorded              (base traffic, base policy, base prices)
    C1  head traffic, base policy and prices  -> traffic effect = C1 - C0
    C2  ... with the head prices              -> prices effect  = C2 - C1
    C3  ... with the head routing, base cache -> routing effect = C3 - C2
    C4  the head as is                        -> caching effect = C4 - C3

The traffic effect is split into **volume** (the baseline's cost per request times the
change in monthly requests) and **mix** (everything else about the traffic: task type
and tier shares, request sizes, models called). The steps telescope, so the effects sum
to C4 - C0 by construction. The order matters for what is attributed where (prices are
applied before routing, so a new price of a model the head policy routes to counts as
routing); it is fixed, so the same inputs always give the same attribution.

Each step keeps its cost per complexity tier, task type and routed model, and each
effect names the keys whose monthly cost moved most within it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np
import pandas as pd

from llmaudit.check.sums import KeyedSums, total
from llmaudit.pricing import PriceTable
from llmaudit.simulate import Policy, replay
from llmaudit.simulate.replay import Replayed
from llmaudit.simulate.snapshot import routed_models, task_labels, tier_labels

EffectName = Literal["volume", "mix", "prices", "routing", "caching"]
DriverKind = Literal["tier", "task", "model"]
TOP: Final = 3
# A driver moving less than half a cent a month is rounding noise.
MIN_DRIVER_USD: Final = 0.005


@dataclass(frozen=True)
class Step:
    """The traffic replayed under one combination of policy and prices (USD per month)."""

    monthly_usd: float
    by_tier: Mapping[str, float]
    by_task: Mapping[str, float]
    by_model: Mapping[str, float]  # by routed model
    unpriced_requests: int = 0

    def by(self, kind: DriverKind) -> Mapping[str, float]:
        return {"tier": self.by_tier, "task": self.by_task, "model": self.by_model}[kind]


@dataclass(frozen=True)
class Driver:
    """One complexity tier, task type or model and how much its monthly cost moved (USD)."""

    kind: DriverKind
    key: str
    change_usd: float


@dataclass(frozen=True)
class Effect:
    """One named part of the change: USD per month, and as a share of the baseline's cost."""

    name: EffectName
    change_usd: float
    share_of_baseline: float | None
    drivers: tuple[Driver, ...]


@dataclass(frozen=True)
class StepSums:
    """One replay's cost over the logged period, per tier, task type and routed model, as exact
    sums (``check.sums``): a block's part merges with the next block's to the whole log's."""

    by_tier: KeyedSums
    by_task: KeyedSums
    by_model: KeyedSums
    unpriced_requests: int

    @classmethod
    def of(cls, frame: pd.DataFrame, result: Replayed) -> StepSums:
        """The sums of ``result``, the replay of ``frame``; unpriced requests count as $0."""
        cost = np.nan_to_num(result.cost_usd)
        frame = frame.reset_index(drop=True)
        return cls(
            by_tier=KeyedSums.of(tier_labels(frame), cost),
            by_task=KeyedSums.of(task_labels(frame), cost),
            by_model=KeyedSums.of(routed_models(result), cost),
            unpriced_requests=int(np.isnan(result.cost_usd).sum()),
        )

    def merge(self, later: StepSums) -> StepSums:
        return StepSums(
            self.by_tier.merge(later.by_tier),
            self.by_task.merge(later.by_task),
            self.by_model.merge(later.by_model),
            self.unpriced_requests + later.unpriced_requests,
        )

    def step(self, months: float) -> Step:
        """Per month: each sum rounded once, then divided by the period in months."""
        return Step(
            # Every request has a tier label (untagged ones too): the tiers' sum is the total.
            monthly_usd=total(self.by_tier.total()) / months,
            by_tier=self.by_tier.floats(months),
            by_task=self.by_task.floats(months),
            by_model=self.by_model.floats(months),
            unpriced_requests=self.unpriced_requests,
        )


def evaluate(frame: pd.DataFrame, table: PriceTable, policy: Policy, months: float) -> Step:
    """Replay ``frame`` (requests priced with ``table``) under ``policy``; cost per month.

    ``months`` is the logged period in months (> 0). Unpriced requests count as $0 and
    are counted in ``unpriced_requests``. Raises ``ConfigError`` for a policy naming a
    model without a price. The sums are ``StepSums``', as on a cluster.
    """
    return StepSums.of(frame, replay(frame, table, policy)).step(months)


def drivers(before: Step, after: Step) -> tuple[Driver, ...]:
    """The tiers, task types and models whose monthly cost moved most between two steps.

    Largest first (ties by name), at most ``TOP`` of each kind, none below half a cent.
    """
    out: list[Driver] = []
    for kind in ("tier", "task", "model"):
        a, b = before.by(kind), after.by(kind)
        moved = [(key, b.get(key, 0.0) - a.get(key, 0.0)) for key in sorted(set(a) | set(b))]
        moved = sorted((m for m in moved if abs(m[1]) >= MIN_DRIVER_USD), key=lambda m: (-abs(m[1]), m[0]))
        out += [Driver(kind, key, change) for key, change in moved[:TOP]]
    return tuple(out)


def decompose(
    baseline: Step,
    baseline_requests_monthly: float,
    head_requests_monthly: float,
    steps: tuple[Step, Step, Step, Step],
) -> tuple[Effect, ...]:
    """Effects from the recorded baseline C0 and the four replays C1..C4 (see module doc).

    Money is USD per month; the effects sum to ``steps[-1].monthly_usd - baseline.monthly_usd``.
    """
    c0 = baseline.monthly_usd
    c1, c2, c3, c4 = steps
    per_request = c0 / baseline_requests_monthly if baseline_requests_monthly else 0.0
    volume = per_request * (head_requests_monthly - baseline_requests_monthly)
    # Volume moves every key by its baseline share; what moved beyond that is the mix.
    scale = head_requests_monthly / baseline_requests_monthly if baseline_requests_monthly else 1.0
    scaled = Step(
        c0 * scale,
        {k: v * scale for k, v in baseline.by_tier.items()},
        {k: v * scale for k, v in baseline.by_task.items()},
        {k: v * scale for k, v in baseline.by_model.items()},
    )
    values: dict[EffectName, tuple[float, tuple[Driver, ...]]] = {
        "volume": (volume, drivers(baseline, scaled)),
        "mix": (c1.monthly_usd - c0 - volume, drivers(scaled, c1)),
        "prices": (c2.monthly_usd - c1.monthly_usd, drivers(c1, c2)),
        "routing": (c3.monthly_usd - c2.monthly_usd, drivers(c2, c3)),
        "caching": (c4.monthly_usd - c3.monthly_usd, drivers(c3, c4)),
    }
    return tuple(
        Effect(name, usd, usd / c0 if c0 else None, found if abs(usd) >= MIN_DRIVER_USD else ())
        for name, (usd, found) in values.items()
    )
