"""Run several policies over the same traffic and summarize each against the baseline.

The baseline is the logged traffic priced as ``analyze`` prices it. For each policy:
totals and the monthly projection, savings, what happens per complexity tier and task
type (which models traffic left and where it went), the routing matrix, response-cache
and failover counts, the cost through fee scenarios, and flat-rate plans against metered
billing with the spread of per-request and daily cost; with quality scores, the expected
quality per policy and tier and the cost-quality frontier (quality.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from llmaudit import __version__
from llmaudit.analyze.projection import DAYS_PER_MONTH, projection
from llmaudit.ingest.parallel import default_workers, ordered_map
from llmaudit.pricing import PriceTable
from llmaudit.pricing.staleness import stale_warning, tables_pricing
from llmaudit.report.model import InputFile, PricingSource
from llmaudit.report.simulate_model import Baseline, PolicyResult, QualitySummary, SimulateReport
from llmaudit.simulate.billing import FeeScenario, Metered, bill_policy, flat_vs_metered, policy_seller
from llmaudit.simulate.blocks import BlockMap, Local, row_blocks
from llmaudit.simulate.blocks import policy_blocks as blocks_of
from llmaudit.simulate.context import ReplayContext
from llmaudit.simulate.partial import Folded, Folder
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.quality import QualityScores, evidence_warnings, frontier
from llmaudit.simulate.replay import Replayed, replay
from llmaudit.simulate.select import percentiles
from llmaudit.simulate.snapshot import policy_models, price_snapshot, traffic_digest
from llmaudit.simulate.summary import (
    bill_sums,
    metered,
    policy_quality,
    replay_profile,
    routing,
    slices,
    traffic,
)
from llmaudit.simulate.sums import baseline_part, metered_counts, metered_spread, policy_part


@dataclass(frozen=True)
class NamedPolicy:
    policy: Policy
    source: str


PolicyBlocks = Callable[[int, NamedPolicy], BlockMap]
"""The blocks of one policy's replay (its index, the policy): where they are, a ``BlockMap``."""


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

    The report's sums are computed per block of ``frame`` (``blocks.py``) and added in
    input order (``partial.py``), as a cluster computes them where its rows are.
    """
    stage = on_stage or _quiet
    stage(f"preparing the replay of {len(frame):,} requests (failure rates, tiers, task types)")
    if context is None and replays is None:
        context = ReplayContext.of(frame, [named.policy for named in policies])  # once for every policy
    if failure_rates is not None and context is not None:
        context = replace(context, failure_rates=failure_rates)
    for named in policies:  # an unknown billing.seller fails before any replay
        policy_seller(named.policy, named.source, table)

    def policy_blocks(index: int, named: NamedPolicy) -> BlockMap:
        r = replays[index] if replays is not None else replay(frame, table, named.policy, context=context)
        assert r.reprice is not None
        sold = {seller.name: r.reprice(table.as_sold_by(seller)) for seller in table.sellers.values()}
        if on_replay is not None:
            chosen = policy_seller(named.policy, named.source, table)
            on_replay(named, replace(r, cost_usd=sold[chosen.name] if chosen is not None else r.cost_usd))
        return Local(list(blocks_of(frame, r, sold)))

    return report(
        Local(list(row_blocks(frame))),
        policy_blocks,
        lambda: traffic_digest(frame),
        table,
        policies,
        inputs=inputs,
        pricing=pricing,
        fee_scenarios=fee_scenarios,
        quality=quality,
        on_stage=stage,
    )


def report(
    rows: BlockMap,
    policy_blocks: PolicyBlocks,
    digest: Callable[[], str],
    table: PriceTable,
    policies: Sequence[NamedPolicy],
    *,
    inputs: Sequence[InputFile] = (),
    pricing: Sequence[PricingSource] = (),
    fee_scenarios: Sequence[FeeScenario] = (),
    quality: QualityScores | None = None,
    quality_on_blocks: Any = None,
    on_stage: Callable[[str], None] | None = None,
    threads: int | None = None,
) -> SimulateReport:
    """The report from the blocks' sums, wherever the blocks are: ``rows`` maps a function
    over the blocks of the logged rows, ``policy_blocks`` gives each policy's (replayed)
    blocks, ``digest`` makes the traffic's digest (``snapshot.traffic_digest``). One process
    and a cluster both come here (``cluster/sums.py``).
    ``quality_on_blocks``: what the blocks' functions get for ``quality`` (a cluster's
    future of it, sent to the workers once); ``threads``: policies summed side by side."""
    stage = on_stage or _quiet
    shipped = quality if quality_on_blocks is None else quality_on_blocks
    base = Folder().add_all(rows(baseline_part, shipped)).result()
    baseline_total = base.scalar("baseline", "cost")
    requests = int(base.scalar("baseline", "requests"))
    stamps = base.extremes.get("stamps")
    first, last = stamps if stamps is not None else (None, None)
    monthly, days, note = projection(baseline_total, first, last, len(base["days"].keys))
    months = days / DAYS_PER_MONTH if days else None
    baseline = Baseline(
        requests=requests,
        priced_requests=int(base.scalar("baseline", "priced")),
        total_cost_usd=baseline_total,
        projected_monthly_cost_usd=monthly,
        period_days=days,
        projection_note=note,
    )
    logged = {str(k) for k in base["models"].keys}  # the models the traffic was priced as
    count = len(policies)
    finished: list[str] = []
    lock = threading.Lock()

    def run_one(item: tuple[int, NamedPolicy]) -> tuple[PolicyResult, tuple[str, ...]]:
        index, named = item
        with lock:
            stage(f"replaying policy {named.policy.name!r} ({len(finished)} of {count} done)")
        blocks = policy_blocks(index, named)
        chosen = policy_seller(named.policy, named.source, table)
        seller = chosen.name if chosen is not None else None
        folded = Folder().add_all(blocks(policy_part, seller, shipped)).result()
        bill = bill_policy(
            bill_sums(folded),
            table,
            named.policy,
            named.source,
            days=days,
            months=months if monthly is not None else None,
            scenarios=fee_scenarios,
        )
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
            rerouted_requests=int(folded.scalar("policy", "rerouted")),
            cache_hits=int(folded.scalar("policy", "cache_hits")),
            cache_savings_usd=folded.scalar("policy", "cache_savings"),
            context_failovers=int(folded.scalar("policy", "failovers")),
            by_tier=slices(folded, "tier"),
            by_task=slices(folded, "task"),
            routing=routing(folded),
            markup=bill.markup,
            flat_vs_metered=flat_vs_metered(_metered(folded, blocks, seller), named.policy, months),
            replay=replay_profile(folded, named.policy),
            billed_by=bill.seller,
            quality=None if quality is None else policy_quality(quality, folded),
        )
        with lock:
            finished.append(named.policy.name)
            stage(f"replayed policy {named.policy.name!r} ({len(finished)} of {count} done)")
        return result, bill.warnings

    # Policies replay side by side on the worker threads: numpy and pandas do most of the
    # work without the GIL. Results keep the policies' order; the first error raised wins.
    workers = threads or min(len(policies), default_workers())
    outcomes = list(ordered_map(run_one, list(enumerate(policies)), workers=workers))
    results = [result for result, _ in outcomes]
    bill_warnings = [w for _, warnings in outcomes for w in warnings]
    warnings = ((note,) if note else ()) + _unpriced_warning(base) + tuple(bill_warnings)
    warnings += _unproven_difficulty(policies) if quality is None else ()
    summary, on_frontier = None, None
    if quality is not None:
        summary, on_frontier = _quality_summary(quality, baseline_total, base, results)
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
        traffic=traffic(base, days, digest()),
        prices=price_snapshot(table, routable),
        quality=summary,
        frontier=on_frontier,
    )


def _metered(folded: Folded, blocks: BlockMap, seller: str | None) -> Metered:
    """The billed cost's sums, with its exact percentiles and spread (two more passes over the blocks)."""
    count = int(folded.scalar("metered", "priced"))
    if not count:
        return metered(folded, (float("nan"),) * 3, 0.0)  # type: ignore[arg-type]
    p50, p95, p99 = percentiles(lambda prefixes: blocks(metered_counts, seller, prefixes), count, (50, 95, 99))
    mean = folded.scalar("metered", "cost") / count
    spread = 0.0
    for part in blocks(metered_spread, seller, mean):  # in input order, as one process adds them
        spread += part
    return metered(folded, (p50, p95, p99), spread)


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


def _unpriced_warning(base: Folded) -> tuple[str, ...]:
    """Requests on models without a price: never counted as free, so said out loud."""
    unpriced = base["unpriced"]
    count = int(unpriced.values[:, 0].sum()) if len(unpriced.keys) else 0
    if not count:
        return ()
    # In the order of ``match.model_codes``: the priced models' names first, then the logged ones.
    priced = set(base["priced_names"].keys)
    models = sorted((str(k) for k in unpriced.keys if str(k) != "nan"), key=lambda m: (m not in priced, m))
    shown = ", ".join(models[:5]) + (f" and {len(models) - 5} more" if len(models) > 5 else "")
    shown = shown or "no model name"
    requests = int(base.scalar("baseline", "requests"))
    return (
        f"{count:,} of {requests:,} requests are on models without a price ({shown}): they are left "
        "out of the baseline and of every policy's cost (add the models to a price table with --pricing)",
    )


def _quality_summary(
    quality: QualityScores, baseline_total: float, base: Folded, results: list[PolicyResult]
) -> tuple[QualitySummary, tuple[str, ...]]:
    """The file's summary and the policies on the cost-quality frontier (baseline included as a point)."""
    scored = base.scalar("quality", "scored")
    baseline_quality = base.scalar("quality", "sum") / scored if scored else None
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
        baseline_unscored_requests=int(base.scalar("quality", "unscored")),
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
