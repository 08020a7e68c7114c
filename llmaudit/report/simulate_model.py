"""The simulate result: the baseline and one result per policy, frozen, renderer-agnostic.

``to_dict`` gives the JSON contract (``schema_version``, ``baseline.total_cost_usd``,
``policies[]`` with totals, savings, ``by_tier[]``, ``by_task[]``, ``markup[]``,
``flat_vs_metered``; with ``--quality`` each policy's ``quality``, the report's ``quality``
and ``frontier``). Money is USD, unrounded; renderers round.
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
    savings_share: float | None
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
class FeeLine:
    """One bill-level fee of a seller per month (``credit_purchase``, ``byok``, ``fx``, ``markup``)."""

    name: str
    usd: float
    description: str


@dataclass(frozen=True)
class MarkupRow:
    """The routed traffic bought through one seller of the price tables, or a generic fee scenario.

    ``token_cost_monthly_usd`` is the requests priced as the seller sells them (its prices,
    markup and per-request fee); ``fees_monthly_usd`` the bill-level fees on top (``fees``
    says which). When the seller does not sell a model the traffic needs, the totals are
    ``None`` and ``unpriced_requests`` / ``unpriced_models`` say what is missing (the token
    cost then covers the requests it does sell).
    """

    seller: str
    description: str
    monthly_cost_usd: float | None
    annual_cost_usd: float | None
    fees_monthly_usd: float | None
    kind: str = "scenario"
    """The seller's kind (direct, gateway, aggregator, reseller) or ``scenario`` for a generic markup."""
    byok: bool = False
    """Traffic sent with your own provider key (the provider bills tokens; the gateway a BYOK fee)."""
    token_cost_monthly_usd: float | None = None
    fees: tuple[FeeLine, ...] = ()
    period_cost_usd: float | None = None
    period_fees_usd: float | None = None
    vs_direct_monthly_usd: float | None = None
    """Monthly total minus the same traffic at list prices (no seller)."""
    unpriced_requests: int = 0
    unpriced_models: tuple[str, ...] = ()


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
class ReplayProfile:
    """What ``llmaudit check`` needs to compare later traffic with this policy's replay.

    ``document`` is the policy as loaded (``Policy.model_validate`` gives it back); costs
    are USD over the logged period, per complexity tier, task type and routed model.
    """

    document: dict[str, Any]
    unpriced_requests: int
    cost_by_tier_usd: dict[str, float]
    cost_by_task_usd: dict[str, float]
    cost_by_model_usd: dict[str, float]


@dataclass(frozen=True)
class Traffic:
    """The replayed requests: counts, period and an order-independent digest (``check``)."""

    requests: int
    priced_requests: int
    period_days: float | None
    monthly_requests: float | None
    digest: str
    requests_by_tier: dict[str, int]
    requests_by_task: dict[str, int]
    requests_by_model: dict[str, int]


@dataclass(frozen=True)
class QualityRow:
    """Expected quality of one complexity tier, in the quality file's scale (None: nothing scored)."""

    key: str
    expected: float | None
    baseline: float | None
    change: float | None
    unscored_requests: int
    floor: float | None
    below_floor: bool


@dataclass(frozen=True)
class PolicyQuality:
    """Request-weighted mean score of the model serving each request, and of the logged model.

    Unscored requests (no score for their model and task type) are left out of each mean;
    the two means can therefore cover different requests when the counts differ.
    """

    expected: float | None
    baseline: float | None
    change: float | None
    unscored_requests: int
    baseline_unscored_requests: int
    floor: float | None
    below_floor: bool
    """Below the overall ``floor`` or below a per-tier floor in ``by_tier``."""
    by_tier: tuple[QualityRow, ...]
    low: float | None = None
    high: float | None = None
    """Approximate 95% interval of ``expected`` from ``llmaudit shadow``'s evidence cells (None without)."""


@dataclass(frozen=True)
class QualitySummary:
    """The quality file a run used and the baseline's place on the cost-quality frontier."""

    source: str
    scale: str
    low: float
    high: float
    floor: float | None
    floors: dict[str, float]
    baseline: float | None
    baseline_unscored_requests: int
    baseline_on_frontier: bool


@dataclass(frozen=True, kw_only=True)
class SavedPolicy:
    """What a saved baseline is read back by (``llmaudit check``): a policy's name, totals and replay.

    The one declaration of that shape: ``PolicyResult`` extends it (the writer) and
    ``llmaudit.check.baseline`` validates a saved file against it (the reader).
    """

    name: str
    total_cost_usd: float
    projected_monthly_cost_usd: float | None
    replay: ReplayProfile


@dataclass(frozen=True, kw_only=True)
class PolicyResult(SavedPolicy):
    source: str
    description: str | None
    savings_usd: float
    savings_share: float | None
    """Share of the baseline's cost saved (0.23 = 23%)."""
    rerouted_requests: int
    cache_hits: int
    cache_savings_usd: float
    context_failovers: int
    by_tier: tuple[SliceRow, ...]
    by_task: tuple[SliceRow, ...]
    routing: tuple[RouteRow, ...]
    markup: tuple[MarkupRow, ...]
    flat_vs_metered: FlatVsMetered
    billed_by: str | None = None
    """The seller of ``billing.seller`` whose bill (fees included) is the policy's cost; None: list prices."""
    quality: PolicyQuality | None = None
    """Expected quality under ``--quality FILE``; None without a quality file."""


@dataclass(frozen=True, kw_only=True)
class SavedSimulation:
    """The part of the simulate JSON a saved baseline is read back by (see ``SavedPolicy``).

    ``traffic`` and ``prices`` are what ``llmaudit check`` needs to replay later traffic
    the way this run did: the traffic, and the prices of the models it used or a policy
    can route to, by model name in the price-table layout (llmaudit/simulate/snapshot.py).
    """

    tool_version: str
    policies: tuple[SavedPolicy, ...]
    traffic: Traffic | None = None
    prices: dict[str, dict[str, Any]] | None = None
    schema_version: str = field(default=SCHEMA_VERSION)


@dataclass(frozen=True, kw_only=True)
class SimulateReport(SavedSimulation):
    inputs: tuple[InputFile, ...]
    pricing: tuple[PricingSource, ...]
    baseline: Baseline
    policies: tuple[PolicyResult, ...]
    warnings: tuple[str, ...]
    # With --quality FILE (additive): the file, and the policies on the cost-quality frontier
    # (no other policy, the baseline included, is cheaper-or-equal and better-or-equal), cheapest first.
    quality: QualitySummary | None = None
    frontier: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
