"""Run several policies over the same traffic and summarize each against the baseline.

The baseline is the logged traffic priced as ``analyze`` prices it. For each policy:
totals and the monthly projection, savings, what happens per complexity tier and task
type (which models traffic left and where it went), the routing matrix, response-cache
and failover counts, the cost through fee scenarios, and flat-rate plans against metered
billing with the spread of per-request and daily cost; with quality scores, the expected
quality per policy and tier and the cost-quality frontier (quality.py).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
import pandas as pd

from llmaudit import __version__
from llmaudit.analyze.projection import DAYS_PER_MONTH, active_days, projection
from llmaudit.ingest.parallel import default_workers, ordered_map
from llmaudit.pricing import PriceTable
from llmaudit.pricing.staleness import stale_warning, tables_pricing
from llmaudit.report.model import InputFile, PricingSource
from llmaudit.report.simulate_model import (
    Baseline,
    PolicyQuality,
    PolicyResult,
    QualitySummary,
    RouteRow,
    SimulateReport,
    SliceRow,
)
from llmaudit.simulate.billing import FeeScenario, bill_policy, flat_vs_metered, policy_seller
from llmaudit.simulate.context import ReplayContext
from llmaudit.simulate.match import model_codes, names_of
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.quality import (
    QualityScores,
    evidence_warnings,
    expected_interval,
    frontier,
    policy_quality,
    request_keys,
    served_scores,
)
from llmaudit.simulate.replay import Replayed, distinct, replay
from llmaudit.simulate.snapshot import (
    policy_models,
    price_snapshot,
    replay_profile,
    task_labels,
    tier_labels,
    traffic_profile,
)

TOP_ROUTES: Final = 20


@dataclass(frozen=True)
class NamedPolicy:
    policy: Policy
    source: str


def _top(codes: np.ndarray, names: np.ndarray, k: int = 2) -> tuple[str, ...]:
    """The ``k`` most frequent names (by their codes), ties in order of first appearance."""
    counts = np.bincount(codes + 1)[1:] if len(codes) else np.zeros(0, dtype=np.int64)  # code -1: no name
    present = np.flatnonzero(counts)
    first = np.array([np.argmax(codes == c) for c in present], dtype=np.int64)  # a few models: a pass each
    order = np.lexsort((first, -counts[present]))[:k]
    return tuple(str(names[c]) for c in present[order])


@dataclass(frozen=True)
class _Groups:
    """Rows grouped by a key (tier or task type), once per run: a stable sort of its codes,
    so each group's sums add its requests in log order (as summing the group's own column would)."""

    names: Sequence[object]
    order: np.ndarray
    bounds: np.ndarray  # group i is order[bounds[i]:bounds[i + 1]]

    @classmethod
    def of(cls, key: pd.Series) -> _Groups:
        codes, names = pd.factorize(key, sort=True)
        order = np.argsort(codes, kind="stable")
        return cls(names, order, np.searchsorted(codes[order], np.arange(len(names) + 1)))


def _slices(groups: _Groups, base: np.ndarray, cost: np.ndarray, r: Replayed) -> tuple[SliceRow, ...]:
    """One row per value of the key: requests, cost before and after, the models moved from and to."""
    assert r.original_codes is not None and r.routed_codes is not None and r.model_names is not None
    order = groups.order
    base, cost, moved = np.nan_to_num(base)[order], np.nan_to_num(cost)[order], r.rerouted[order]
    from_codes, to_codes = r.original_codes[order], r.routed_codes[order]
    rows = []
    for code, (start, stop) in enumerate(itertools.pairwise(groups.bounds)):
        if start == stop:
            continue
        group = slice(start, stop)
        here = moved[group]
        base_sum, cost_sum = float(base[group].sum()), float(cost[group].sum())
        saved = base_sum - cost_sum
        rows.append(
            SliceRow(
                key=str(groups.names[code]),
                requests=int(stop - start),
                rerouted=int(here.sum()),
                baseline_cost_usd=base_sum,
                policy_cost_usd=cost_sum,
                savings_usd=saved,
                savings_share=saved / base_sum if base_sum else None,
                moved_from=_top(from_codes[group][here], r.model_names),
                moved_to=_top(to_codes[group][here], r.model_names),
            )
        )
    return tuple(rows)


def _routing(base: np.ndarray, r: Replayed) -> tuple[RouteRow, ...]:
    assert r.original_codes is not None and r.routed_codes is not None and r.model_names is not None
    names = np.append(r.model_names, np.array([np.nan], dtype=object))  # code -1: no name
    work = pd.DataFrame(
        {
            "from": r.original_codes,
            "to": r.routed_codes,
            "base": np.nan_to_num(base),
            "cost": np.nan_to_num(r.cost_usd),
        }
    )
    grouped = work.groupby(["from", "to"], sort=False).agg(
        requests=("base", "size"), base=("base", "sum"), cost=("cost", "sum")
    )
    grouped = grouped.sort_values(["base", "requests"], ascending=False).head(TOP_ROUTES)
    return tuple(
        RouteRow(str(names[a]), str(names[b]), int(g["requests"]), float(g["base"]), float(g["cost"]))
        for (a, b), g in grouped.iterrows()
    )


def _quiet(name: str) -> None:
    """No one listens for stages."""


def simulate(
    frame: pd.DataFrame,
    table: PriceTable,
    policies: Sequence[NamedPolicy],
    *,
    inputs: Sequence[InputFile] = (),
    pricing: Sequence[PricingSource] = (),
    fee_scenarios: Sequence[FeeScenario] = (),
    failure_rates: dict[str, float] | None = None,
    context: ReplayContext | None = None,
    replays: Sequence[Replayed] | None = None,
    quality: QualityScores | None = None,
    on_replay: Callable[[NamedPolicy, Replayed], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> SimulateReport:
    """Replay ``frame`` (priced, tagged requests) under each policy; the report compares them.

    With ``quality`` each policy also gets its expected quality, and the report the
    cost-quality frontier (see ``llmaudit/simulate/quality.py``). ``on_replay`` receives
    each policy's replay with its cost as billed (a ``billing.seller``'s prices and
    per-request fees when the policy names one), from a worker thread. ``on_stage`` is told
    each stage by name as it starts (each policy's replay, from its worker thread).
    ``context``: what the replays need from the whole log (``context.py``), when the caller
    has it (a cluster computes it where the rows are); else computed from ``frame``, once
    for every policy. ``failure_rates`` replace its observed rates. ``replays``: each
    policy's replay of ``frame``, when computed elsewhere (on a cluster, where the rows are).
    """
    stage = on_stage or _quiet
    stage(f"preparing the replay of {len(frame):,} requests (failure rates, tiers, task types)")
    base = frame["cost_usd"].to_numpy(dtype=np.float64)
    codes, names = model_codes(frame)
    logged = {str(names[c]) for c in distinct(codes)}  # the models the traffic was priced as
    if context is None:
        context = ReplayContext.of(frame, [named.policy for named in policies])  # once for every policy
    if failure_rates is not None:
        context = replace(context, failure_rates=failure_rates)
    baseline_total = float(np.nansum(base))
    stamps = frame["timestamp"].dropna()
    first, last = (stamps.min(), stamps.max()) if len(stamps) else (None, None)
    monthly, days, note = projection(baseline_total, first, last, active_days(stamps))
    months = days / DAYS_PER_MONTH if days else None
    baseline = Baseline(
        requests=len(frame),
        priced_requests=int((~np.isnan(base)).sum()),
        total_cost_usd=baseline_total,
        projected_monthly_cost_usd=monthly,
        period_days=days,
        projection_note=note,
    )
    tier_key = tier_labels(frame)
    task = task_labels(frame)
    by_tier, by_task = _Groups.of(tier_key), _Groups.of(task)
    for named in policies:  # an unknown billing.seller fails before any replay
        policy_seller(named.policy, named.source, table)
    base_scores: np.ndarray | None = None
    if quality is not None:
        tasks, ids = request_keys(frame)
        base_scores = quality.score(names_of(codes, names), tasks, ids)

    count = len(policies)
    finished: list[str] = []
    lock = threading.Lock()

    def run_one(item: tuple[int, NamedPolicy]) -> tuple[PolicyResult, tuple[str, ...]]:
        index, named = item
        with lock:
            stage(f"replaying policy {named.policy.name!r} ({len(finished)} of {count} done)")
        r = replays[index] if replays is not None else replay(frame, table, named.policy, context=context)
        # The policy's bill: list prices, or as its billing.seller sells the same calls (fees included).
        bill = bill_policy(
            r,
            table,
            named.policy,
            named.source,
            days=days,
            months=months if monthly is not None else None,
            scenarios=fee_scenarios,
        )
        billed = replace(r, cost_usd=bill.cost_usd)
        if on_replay is not None:
            on_replay(named, billed)
        total = bill.total_usd
        saved = baseline_total - total
        result = PolicyResult(
            name=named.policy.name,
            source=named.source,
            description=named.policy.description,
            total_cost_usd=total,
            projected_monthly_cost_usd=bill.monthly_usd if months and monthly is not None else None,
            savings_usd=saved,
            savings_share=saved / baseline_total if baseline_total else None,
            rerouted_requests=int(r.rerouted.sum()),
            cache_hits=int(r.cache_hit.sum()),
            cache_savings_usd=float(np.nansum(base[r.cache_hit])),
            context_failovers=int(r.context_failover.sum()),
            by_tier=_slices(by_tier, base, billed.cost_usd, billed),
            by_task=_slices(by_task, base, billed.cost_usd, billed),
            routing=_routing(base, billed),
            markup=bill.markup,
            flat_vs_metered=flat_vs_metered(frame, billed, named.policy, months),
            replay=replay_profile(frame, named.policy, r, tier_key, task),
            billed_by=bill.seller,
            quality=None
            if quality is None or base_scores is None
            else _policy_quality(quality, r, tasks, ids, base_scores, tier_key, frame),
        )
        with lock:
            finished.append(named.policy.name)
            stage(f"replayed policy {named.policy.name!r} ({len(finished)} of {count} done)")
        return result, bill.warnings

    # Policies replay side by side on the worker threads: numpy and pandas do most of the
    # work without the GIL. Results keep the policies' order; the first error raised wins.
    outcomes = list(ordered_map(run_one, list(enumerate(policies)), workers=min(len(policies), default_workers())))
    results = [result for result, _ in outcomes]
    bill_warnings = [w for _, warnings in outcomes for w in warnings]
    warnings = ((note,) if note else ()) + _unpriced_warning(base, codes, names) + tuple(bill_warnings)
    warnings += _unproven_difficulty(policies) if quality is None else ()
    summary, on_frontier = None, None
    if quality is not None and base_scores is not None:
        summary, on_frontier = _quality_summary(quality, baseline_total, base_scores, results)
        warnings += _quality_warnings(quality, logged, results)
        warnings += evidence_warnings(quality, logged | {r.to_model for p in results for r in p.routing})
    # What `llmaudit check` needs to replay later traffic the way this run did (snapshot.py).
    stage("profiling the traffic for `llmaudit check` (digest, prices)")
    routable = logged.union(*(policy_models(p.policy) for p in policies))
    stale = stale_warning(table.tables, tables_pricing(table, routable), last.date() if last is not None else None)
    warnings += (stale,) if stale else ()
    return SimulateReport(
        tool_version=__version__,
        inputs=tuple(inputs),
        pricing=tuple(pricing),
        baseline=baseline,
        policies=tuple(results),
        warnings=warnings,
        traffic=traffic_profile(frame, days),
        prices=price_snapshot(table, routable),
        quality=summary,
        frontier=on_frontier,
    )


def _unproven_difficulty(policies: Sequence[NamedPolicy]) -> tuple[str, ...]:
    """Routing by difficulty with no quality evidence: the savings are real, the quality unknown."""
    names = [named.policy.name for named in policies if named.policy.routes_by_difficulty]
    if not names:
        return ()
    which = f"policy {names[0]!r} routes" if len(names) == 1 else f"policies {', '.join(map(repr, names))} route"
    return (
        f"{which} by the difficulty score, and no quality evidence was given: "
        "the score ranks exam and math questions a little better than random and chat worse than random "
        "(docs/tagging.md, 'Difficulty'), so these savings say nothing about quality; add --quality, "
        "scores your logs carry, or `llmaudit shadow` evidence",
    )


def _unpriced_warning(base: np.ndarray, codes: np.ndarray, names: np.ndarray) -> tuple[str, ...]:
    """Requests on models without a price: never counted as free, so said out loud."""
    unpriced = np.isnan(base)
    if not unpriced.any():
        return ()
    models = [str(names[c]) for c in distinct(codes[unpriced])]
    shown = ", ".join(models[:5]) + (f" and {len(models) - 5} more" if len(models) > 5 else "")
    shown = shown or "no model name"
    return (
        f"{int(unpriced.sum()):,} of {len(base):,} requests are on models without a price ({shown}): they are left "
        "out of the baseline and of every policy's cost (add the models to a price table with --pricing)",
    )


def _policy_quality(
    quality: QualityScores,
    r: Replayed,
    tasks: np.ndarray,
    ids: np.ndarray | None,
    base_scores: np.ndarray,
    tier_key: pd.Series,
    frame: pd.DataFrame,
) -> PolicyQuality:
    served = served_scores(quality, r, tasks, ids)
    tiers = frame["complexity_tier"].to_numpy()
    band = expected_interval(quality, r.routed_model, tasks, tiers, served)
    return policy_quality(quality, served, base_scores, tier_key, band)


def _quality_summary(
    quality: QualityScores, baseline_total: float, base_scores: np.ndarray, results: list[PolicyResult]
) -> tuple[QualitySummary, tuple[str, ...]]:
    """The file's summary and the policies on the cost-quality frontier (baseline included as a point)."""
    baseline_quality = float(np.nanmean(base_scores)) if (~np.isnan(base_scores)).any() else None
    points = [(baseline_total, baseline_quality)]
    points += [(p.total_cost_usd, p.quality.expected if p.quality else None) for p in results]
    on = frontier(points)
    summary = QualitySummary(
        source=quality.source,
        scale=quality.scale,
        low=quality.low,
        high=quality.high,
        floor=quality.floor,
        floors={f"tier {tier}": value for tier, value in sorted(quality.floors.items())},
        baseline=baseline_quality,
        baseline_unscored_requests=int(np.isnan(base_scores).sum()),
        baseline_on_frontier=0 in on,
    )
    return summary, tuple(results[i - 1].name for i in on if i > 0)


def _quality_warnings(quality: QualityScores, logged: set[str], results: list[PolicyResult]) -> tuple[str, ...]:
    out = []
    for name in quality.unpriced_models:
        if name not in logged:
            out.append(
                f"{quality.source}: scores.{name}: no price and no logged request uses this model name "
                "(check the spelling; its scores are unused)"
            )
    counts = [p.quality.baseline_unscored_requests for p in results if p.quality]
    unscored = max([*counts, *(p.quality.unscored_requests for p in results if p.quality)], default=0)
    if unscored:
        out.append(
            f"quality: up to {unscored:,} requests (baseline or a policy) have no score for their model and task "
            f"type and are left out of the expected quality (add scores or a 'default' per model in {quality.source})"
        )
    return tuple(out)
