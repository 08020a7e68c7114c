"""Billing what-ifs for a policy's traffic: fee scenarios, and flat plans vs metered.

Fee scenarios price the same routed traffic through a seller or gateway whose fees are
not per token (a percentage markup, a fee per request). Flat plans charge per call
(one price, or one per complexity tier) or by subscription (a monthly fee with included
calls and an overage price); they are compared with metered billing month by month,
with the spread of metered cost per request and per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.report.simulate_model import Distribution, FlatVsMetered, MarkupRow, PlanRow
from llmaudit.simulate.policy import FlatPlan, Policy
from llmaudit.simulate.replay import Replayed

TIER_KEYS: Final = ("tier0", "tier1", "tier2", "tier3")


@dataclass(frozen=True)
class FeeScenario:
    """A seller or gateway's non-token fees on metered spend."""

    name: str
    description: str
    markup_pct: float = 0.0
    per_request_usd: float = 0.0

    def fees(self, metered_usd: float, requests: float) -> float:
        return metered_usd * self.markup_pct + requests * self.per_request_usd


DEFAULT_SCENARIOS: Final = (
    FeeScenario("direct", "provider list prices, no markup"),
    FeeScenario("5% markup", "a gateway adding 5% to metered spend", markup_pct=0.05),
    FeeScenario("10% markup", "a gateway adding 10% to metered spend", markup_pct=0.10),
)


def markup_rows(
    total_usd: float, months: float | None, scenarios: Sequence[FeeScenario], requests: int
) -> tuple[MarkupRow, ...]:
    """Monthly and annual cost of the policy's traffic under each fee scenario."""
    rows = []
    for scenario in scenarios or DEFAULT_SCENARIOS:
        if months:
            metered, calls = total_usd / months, requests / months
            fees = scenario.fees(metered, calls)
            rows.append(MarkupRow(scenario.name, scenario.description, metered + fees, (metered + fees) * 12, fees))
        else:
            rows.append(MarkupRow(scenario.name, scenario.description, None, None, None))
    return tuple(rows)


def _distribution(cost: np.ndarray, stamps: pd.Series) -> Distribution | None:
    priced = ~np.isnan(cost)
    values = cost[priced]
    if not len(values):
        return None
    mean = float(values.mean())
    daily = pd.Series(values, index=stamps[priced].dt.floor("D").to_numpy()).groupby(level=0).sum()
    daily = daily[daily.index.notna()]
    daily_mean = float(daily.mean()) if len(daily) else None
    daily_std = float(daily.std(ddof=0)) if len(daily) else None
    p50, p95, p99 = (float(x) for x in np.percentile(values, [50, 95, 99]))
    return Distribution(
        mean=mean,
        p50=p50,
        p95=p95,
        p99=p99,
        max=float(values.max()),
        cv=float(values.std(ddof=0) / mean) if mean else None,
        daily_mean=daily_mean,
        daily_std=daily_std,
        daily_cv=(daily_std / daily_mean) if daily_mean and daily_std is not None else None,
        days=len(daily),
    )


def _per_call_price(plan: FlatPlan, tier: str) -> float:
    price = plan.per_call_usd
    if isinstance(price, dict):
        return float(price.get(tier, price.get("default", 0.0)))
    return float(price or 0.0)


def _plan_row(plan: FlatPlan, calls: pd.Series, metered: pd.Series, months: float) -> PlanRow:
    """``calls`` and ``metered`` are per complexity tier over the logged period."""
    metered_monthly = float(metered.sum()) / months
    calls_monthly = float(calls.sum()) / months
    flat_by_tier = (
        pd.Series({t: calls[t] * _per_call_price(plan, t) for t in calls.index})
        if plan.per_call_usd is not None
        else None
    )
    if plan.monthly_usd is not None:
        overage = max(0.0, calls_monthly - (plan.included_calls or 0)) * (plan.overage_per_call_usd or 0.0)
        flat_monthly = plan.monthly_usd + overage
    else:
        assert flat_by_tier is not None
        flat_monthly = float(flat_by_tier.sum()) / months
    cheaper_flat: tuple[str, ...] = ()
    cheaper_metered: tuple[str, ...] = ()
    if flat_by_tier is not None:
        cheaper_flat = tuple(t for t in calls.index if calls[t] and flat_by_tier[t] < metered[t])
        cheaper_metered = tuple(t for t in calls.index if calls[t] and flat_by_tier[t] > metered[t])
    return PlanRow(
        plan=plan.name,
        monthly_cost_usd=flat_monthly,
        metered_monthly_cost_usd=metered_monthly,
        difference_usd=flat_monthly - metered_monthly,
        cheaper="flat" if flat_monthly < metered_monthly else "metered",
        cheaper_flat_tiers=cheaper_flat,
        cheaper_metered_tiers=cheaper_metered,
    )


def flat_vs_metered(frame: pd.DataFrame, r: Replayed, policy: Policy, months: float | None) -> FlatVsMetered:
    """Flat plans against metered billing for the policy's routed traffic."""
    cost = r.cost_usd
    distribution = _distribution(cost, frame["timestamp"])
    priced = ~np.isnan(cost)
    break_even = float(cost[priced].mean()) if priced.any() else None
    plans: tuple[PlanRow, ...] = ()
    if months and policy.billing.flat_plans:
        tier = frame["complexity_tier"] if "complexity_tier" in frame else pd.Series(1, index=frame.index)
        key = ("tier" + tier.fillna(1).astype(np.int64).astype(str)).to_numpy()[priced]
        calls = pd.Series(1, index=key).groupby(level=0).sum().reindex(TIER_KEYS, fill_value=0)
        metered = pd.Series(cost[priced], index=key).groupby(level=0).sum().reindex(TIER_KEYS, fill_value=0.0)
        plans = tuple(_plan_row(plan, calls, metered, months) for plan in policy.billing.flat_plans)
    return FlatVsMetered(distribution, break_even, plans)
