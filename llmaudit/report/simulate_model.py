"""The simulate result: the baseline and one result per policy, frozen, renderer-agnostic.

``to_dict`` gives the JSON contract (``schema_version``, ``baseline.total_cost_usd``,
``policies[]`` with totals, savings, ``by_tier[]``, ``by_task[]``, ``markup[]``,
``flat_vs_metered``). Money is USD, unrounded; renderers round.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from llmaudit.report.model import SCHEMA_VERSION, InputFile, PricingSource


@dataclass(frozen=True)
class Baseline:
    requests: int
    priced_requests: int
    total_cost_usd: float
    projected_monthly_cost_usd: float | None
    period_days: float | None
    projection_note: str | None


@dataclass(frozen=True)
class SliceRow:
    """One complexity tier or task type: what the policy does to it."""

    key: str
    requests: int
    rerouted: int
    baseline_cost_usd: float
    policy_cost_usd: float
    savings_usd: float
    savings_pct: float | None
    moved_from: tuple[str, ...]
    moved_to: tuple[str, ...]


@dataclass(frozen=True)
class RouteRow:
    """Routing matrix cell: requests that went from one model to another."""

    from_model: str
    to_model: str
    requests: int
    baseline_cost_usd: float
    policy_cost_usd: float


@dataclass(frozen=True)
class MarkupRow:
    """The routed traffic bought through one seller or gateway fee scenario."""

    seller: str
    description: str
    monthly_cost_usd: float | None
    annual_cost_usd: float | None
    fees_monthly_usd: float | None


@dataclass(frozen=True)
class Distribution:
    """Per-request metered cost (USD) and daily spend."""

    mean: float
    p50: float
    p95: float
    p99: float
    max: float
    cv: float | None
    daily_mean: float | None
    daily_std: float | None
    daily_cv: float | None
    days: int


@dataclass(frozen=True)
class PlanRow:
    """A flat plan's cost for the same traffic, against metered."""

    plan: str
    monthly_cost_usd: float | None
    metered_monthly_cost_usd: float | None
    difference_usd: float | None
    cheaper: str
    cheaper_flat_tiers: tuple[str, ...]
    cheaper_metered_tiers: tuple[str, ...]


@dataclass(frozen=True)
class FlatVsMetered:
    distribution: Distribution | None
    break_even_per_call_usd: float | None
    plans: tuple[PlanRow, ...]


@dataclass(frozen=True)
class PolicyResult:
    name: str
    source: str
    description: str | None
    total_cost_usd: float
    projected_monthly_cost_usd: float | None
    savings_usd: float
    savings_pct: float | None
    rerouted_requests: int
    cache_hits: int
    cache_savings_usd: float
    context_failovers: int
    by_tier: tuple[SliceRow, ...]
    by_task: tuple[SliceRow, ...]
    routing: tuple[RouteRow, ...]
    markup: tuple[MarkupRow, ...]
    flat_vs_metered: FlatVsMetered


@dataclass(frozen=True)
class SimulateReport:
    tool_version: str
    inputs: tuple[InputFile, ...]
    pricing: tuple[PricingSource, ...]
    baseline: Baseline
    policies: tuple[PolicyResult, ...]
    warnings: tuple[str, ...]
    schema_version: str = field(default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
