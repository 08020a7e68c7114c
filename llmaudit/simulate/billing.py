"""Billing what-ifs for a policy's traffic: sellers and gateways, and flat plans vs metered.

**Sellers** (``sellers:`` in the price tables, pricing/README.md "Sellers"): the same
routed traffic (same models, same tokens: the replay's :class:`~llmaudit.simulate.replay.Repricer`)
is priced as each seller sells it (``sold_by``: its own prices, markup, per-request fee),
then the seller's bill-level fees are added (``seller_fees``: credit purchases with a
minimum, bring-your-own-key traffic above a free volume, FX). A gateway with a BYOK fee
gets a second row: tokens billed by the providers at list prices, the gateway's fee on
top. Generic 5% / 10% markups on the list-price bill are kept as reference scenarios.
A policy's ``billing.seller`` makes that seller's bill (fees included) the policy's cost.

**Flat plans** charge per call (one price, or one per complexity tier) or by subscription
(a monthly fee with included calls and an overage price); they are compared with metered
billing month by month, with the spread of metered cost per request and per day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.errors import ConfigError, LlmauditError, PricingError
from llmaudit.pricing import FeeBreakdown, PriceTable, Seller
from llmaudit.pricing.sellers import period_fees
from llmaudit.report.simulate_model import Distribution, FeeLine, FlatVsMetered, MarkupRow, PlanRow
from llmaudit.simulate.policy import FlatPlan, Policy
from llmaudit.yamlsrc import load_yaml

TIER_KEYS: Final = ("tier0", "tier1", "tier2", "tier3")
DIRECT: Final = "direct"
"""The row of list prices, when the tables define no seller of that name."""


@dataclass(frozen=True)
class FeeScenario:
    """A generic fee on the list-price bill, for reference: a percentage markup, a fee per request."""

    name: str
    description: str
    markup_share: float = 0.0
    """Share of metered spend (0.05 = 5%)."""
    per_request_usd: float = 0.0

    def fees(self, metered_usd: float, requests: float) -> float:
        return metered_usd * self.markup_share + requests * self.per_request_usd


DEFAULT_SCENARIOS: Final = (
    FeeScenario("5% markup", "a gateway adding 5% to metered spend", markup_share=0.05),
    FeeScenario("10% markup", "a gateway adding 10% to metered spend", markup_share=0.10),
)


@dataclass(frozen=True)
class PolicyBill:
    """What a policy's routed traffic costs as billed (``billing.seller``, else list prices)."""

    total_usd: float
    """Over the logged period, the seller's bill-level fees included."""
    monthly_usd: float | None
    """Projected month: requests at the seller's prices plus a month's fees (one credit purchase)."""
    markup: tuple[MarkupRow, ...]
    warnings: tuple[str, ...]
    seller: str | None = None
    """The ``billing.seller`` (its name in the tables), or ``None``: list prices."""


@dataclass(frozen=True)
class _Period:
    """The logged period: ``days`` long, ``months`` = days / DAYS_PER_MONTH (None: no projection)."""

    days: float | None
    months: float | None
    requests: int
    """Calls the traffic makes to a seller (response-cache hits excluded)."""


def policy_seller(policy: Policy, source: str, table: PriceTable) -> Seller | None:
    """The seller ``billing.seller`` names, or ``None``; ``ConfigError`` naming the file, line and the known sellers."""
    name = policy.billing.seller
    if name is None:
        return None
    try:
        return table.seller(name)
    except PricingError:
        known = ", ".join(table.sellers) or "none (the price tables define no sellers)"
        raise ConfigError(
            f"{_where(source, policy)}: billing.seller: no seller named {name!r} in the price tables (known: {known})",
            hint="use one of `llmaudit pricing list --sellers`, or define it under 'sellers:' in a price table "
            "given with --pricing (pricing/README.md, 'Sellers')",
        ) from None


def _where(source: str, policy: Policy) -> str:
    """``file:line`` of ``billing.seller`` when the policy came from a file, else its name."""
    path = Path(source)
    try:
        if path.is_file():
            return load_yaml(path).where(("billing", "seller"))
    except (OSError, LlmauditError):
        return source
    return f"policy {policy.name!r}"


def _monthly(breakdown: FeeBreakdown | None) -> tuple[FeeLine, ...]:
    if breakdown is None:
        return ()
    return tuple(FeeLine(item.name, item.usd, item.description) for item in breakdown.items if item.usd)


def _fees(seller: Seller, billed_usd: float, byok_usd: float, period: _Period, *, monthly: bool) -> FeeBreakdown | None:
    """The seller's bill-level fees for the logged period, or for a projected month (None without them).

    ``billed_usd``: what the seller bills for tokens; ``byok_usd``: traffic on your own key,
    valued at the seller's prices (the BYOK fee's base).
    """
    if not period.days or (monthly and not period.months):
        return None
    return period_fees(seller, billed_usd, period.requests, period.days, byok_usd=byok_usd, month=monthly)


@dataclass(frozen=True)
class BillSums:
    """What a policy's bill needs from its replay, summed over the traffic (``sums.policy_part``)."""

    list_usd: float
    """Its cost at list prices (unpriced requests left out)."""
    calls: int
    """Calls made to a seller (response-cache hits excluded)."""
    sold_usd: dict[str, float]
    """Per seller: the same calls at the seller's per-request prices."""
    unpriced: dict[str, int]
    """Per seller: requests priced at list prices that the seller does not price."""
    unpriced_routed: dict[str, set[str]]
    """Per seller: the models those requests were routed to."""


def _unpriced_models(wanted: set[str], sold: PriceTable, policy: Policy) -> tuple[str, ...]:
    """Models the seller does not sell among those the unpriced requests need."""
    wanted = set(wanted)
    for route in policy.routes:
        wanted |= {m for m in (route.verify.model if route.verify else None,) if m}
        wanted |= {m for m in (route.compression.model if route.compression else None,) if m}
    return tuple(sorted(str(m) for m in wanted if sold.resolve(str(m)) is None))


def _seller_rows(seller: Seller, sums: BillSums, table: PriceTable, period: _Period, policy: Policy) -> list[MarkupRow]:
    """The seller's row(s): with credits (and on own keys, when it has a BYOK fee)."""
    sold = table.as_sold_by(seller)
    unpriced = sums.unpriced[seller.name]
    models = _unpriced_models(sums.unpriced_routed[seller.name], sold, policy) if unpriced else ()
    token_usd = sums.sold_usd[seller.name]
    list_usd = sums.list_usd
    months = period.months
    label = seller.display_name or seller.name
    rows = []
    modes = [False, True] if seller.byok_fee is not None else [False]
    for byok in modes:
        # On your own key the providers bill the tokens at list prices; the gateway charges
        # its BYOK fee on what the traffic would cost through it.
        tokens = list_usd if byok else token_usd
        period_fees = _fees(seller, 0.0 if byok else token_usd, token_usd if byok else 0.0, period, monthly=False)
        month_fees = _fees(seller, 0.0 if byok else token_usd, token_usd if byok else 0.0, period, monthly=True)
        complete = not unpriced
        monthly = tokens / months + month_fees.fees_usd if months and month_fees and complete else None
        fees = _monthly(month_fees)
        what = "; ".join(f.description for f in fees) or "no fees on top"
        if byok and month_fees is not None:
            what = "own provider keys, tokens at list prices; " + month_fees.items[1].description
        if unpriced:
            what = f"does not sell {', '.join(models) or 'a model the traffic needs'}: {unpriced:,} requests unpriced"
        rows.append(
            MarkupRow(
                seller=f"{seller.name} (BYOK)" if byok else seller.name,
                description=f"{label}: {what}",
                monthly_cost_usd=monthly,
                annual_cost_usd=monthly * 12 if monthly is not None else None,
                fees_monthly_usd=month_fees.fees_usd if month_fees and complete else None,
                kind=seller.kind,
                byok=byok,
                token_cost_monthly_usd=tokens / months if months else None,
                fees=fees,
                period_cost_usd=tokens + period_fees.fees_usd if period_fees and complete else None,
                period_fees_usd=period_fees.fees_usd if period_fees and complete else None,
                vs_direct_monthly_usd=monthly - list_usd / months if monthly is not None and months else None,
                unpriced_requests=unpriced,
                unpriced_models=models,
            )
        )
    return rows


def _direct_row(list_usd: float, months: float | None) -> MarkupRow:
    monthly = list_usd / months if months else None
    return MarkupRow(
        seller=DIRECT,
        description="the list prices of the price tables: no seller, no fees",
        monthly_cost_usd=monthly,
        annual_cost_usd=monthly * 12 if monthly is not None else None,
        fees_monthly_usd=0.0 if months else None,
        kind="direct",
        token_cost_monthly_usd=monthly,
        period_cost_usd=list_usd,
        period_fees_usd=0.0,
        vs_direct_monthly_usd=0.0 if months else None,
    )


def _scenario_row(scenario: FeeScenario, list_usd: float, period: _Period) -> MarkupRow:
    months = period.months
    if not months:
        return MarkupRow(scenario.name, scenario.description, None, None, None, period_cost_usd=None)
    metered, calls = list_usd / months, period.requests / months
    fees = scenario.fees(metered, calls)
    return MarkupRow(
        scenario.name,
        scenario.description,
        metered + fees,
        (metered + fees) * 12,
        fees,
        token_cost_monthly_usd=metered,
        fees=(FeeLine("markup", fees, scenario.description),),
        period_cost_usd=list_usd + scenario.fees(list_usd, period.requests),
        period_fees_usd=scenario.fees(list_usd, period.requests),
        vs_direct_monthly_usd=fees,
    )


def bill_policy(
    sums: BillSums,
    table: PriceTable,
    policy: Policy,
    source: str,
    *,
    days: float | None,
    months: float | None,
    scenarios: Sequence[FeeScenario] = (),
) -> PolicyBill:
    """The policy's traffic through every seller of ``table`` (and the generic scenarios), and its own bill.

    ``sums`` are the policy's replay summed (list prices, and each seller's); ``days`` the
    logged period and ``months`` = days / DAYS_PER_MONTH when a monthly projection is given
    (else ``None``). Raises ``ConfigError`` for an unknown ``billing.seller``.
    """
    chosen = policy_seller(policy, source, table)
    list_usd = sums.list_usd
    period = _Period(days, months, sums.calls)
    rows: list[MarkupRow] = []
    if DIRECT not in table.sellers:
        rows.append(_direct_row(list_usd, months))
    total, monthly = list_usd, (list_usd / months if months else None)
    warnings: list[str] = []
    for seller in table.sellers.values():
        seller_rows = _seller_rows(seller, sums, table, period, policy)
        rows += seller_rows
        if chosen is not None and seller.name == chosen.name:
            credits = seller_rows[0]  # the policy buys through the seller (not on its own key)
            fees = credits.period_fees_usd or 0.0
            total = sums.sold_usd[seller.name] + fees
            monthly = credits.monthly_cost_usd
            if credits.unpriced_requests:
                warnings.append(
                    f"policy {policy.name!r}: billing.seller {seller.name!r} does not sell "
                    f"{', '.join(credits.unpriced_models) or 'a model the traffic needs'}: "
                    f"{credits.unpriced_requests:,} requests are unpriced and left out of its cost"
                )
            elif credits.period_fees_usd is None and (seller.credit_fee or seller.fx_fee_pct):
                warnings.append(
                    f"policy {policy.name!r}: {seller.name!r}'s bill-level fees need the logs' period "
                    "(timestamps): left out of its cost"
                )
    rows += [_scenario_row(s, list_usd, period) for s in scenarios or DEFAULT_SCENARIOS]
    return PolicyBill(total, monthly, tuple(rows), tuple(warnings), chosen.name if chosen else None)


@dataclass(frozen=True)
class Metered:
    """A policy's priced per-request cost as billed, summed (``sums.policy_part``), with its
    exact percentiles (``select.py``)."""

    count: int
    total: float
    largest: float
    spread: float
    """Sum of squared deviations from the mean."""
    percentiles: tuple[float, float, float]
    """p50, p95, p99."""
    daily: pd.Series
    """Cost per UTC day (day number as int64 nanoseconds), by day."""
    calls: pd.Series
    metered: pd.Series
    """Calls and cost per ``TIER_KEYS`` (flat plans)."""


def _distribution(m: Metered) -> Distribution | None:
    if not m.count:
        return None
    mean = m.total / m.count
    daily = m.daily
    daily_mean = float(daily.mean()) if len(daily) else None
    daily_std = float(daily.std(ddof=0)) if len(daily) else None
    p50, p95, p99 = m.percentiles
    std = float(np.sqrt(m.spread / m.count))
    return Distribution(
        mean=mean,
        p50=p50,
        p95=p95,
        p99=p99,
        max=m.largest,
        cv=std / mean if mean else None,
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


def flat_vs_metered(m: Metered, policy: Policy, months: float | None) -> FlatVsMetered:
    """Flat plans against metered billing for the policy's routed traffic."""
    distribution = _distribution(m)
    break_even = m.total / m.count if m.count else None
    plans: tuple[PlanRow, ...] = ()
    if months and policy.billing.flat_plans:
        plans = tuple(_plan_row(plan, m.calls, m.metered, months) for plan in policy.billing.flat_plans)
    return FlatVsMetered(distribution, break_even, plans)
