"""Compare the head (this run's traffic, policy and prices) with a baseline and judge it.

The baseline is either saved (BASE.json from the base branch: its own traffic, policy
and a snapshot of its prices) or built in the same run from the head traffic under
another policy (``--baseline-policy``) and/or other price tables
(``--baseline-pricing``). Either way the head traffic is replayed four times (see
:mod:`llmaudit.check.decompose`) and the effects add up to the change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from llmaudit import __version__
from llmaudit.analyze.projection import DAYS_PER_MONTH, SHORT_PERIOD_DAYS, active_days, projection, sparse_note
from llmaudit.check.baseline import SavedBaseline
from llmaudit.check.decompose import Step, decompose, evaluate
from llmaudit.check.gate import Thresholds, judge
from llmaudit.check.model import CheckReport, Side
from llmaudit.errors import InputError
from llmaudit.pricing import PriceTable, price_requests
from llmaudit.pricing.staleness import stale_warning, tables_pricing
from llmaudit.report.fmt import count
from llmaudit.simulate import Policy
from llmaudit.simulate.snapshot import policy_models, traffic_digest


@dataclass(frozen=True)
class SameRunBaseline:
    """A baseline from the head traffic: another policy and/or other prices (None: the head's)."""

    policy: Policy | None
    table: PriceTable | None
    source: str


def _period_days(frame: pd.DataFrame) -> float:
    stamps = frame["timestamp"].dropna()
    first, last = (stamps.min(), stamps.max()) if len(stamps) else (None, None)
    monthly, days, note = projection(1.0, first, last)
    if monthly is None or not days:
        raise InputError(f"the logs cannot be projected to a month: {note}", hint="check needs timestamped logs")
    return days


def _tables(table: PriceTable) -> tuple[str, ...]:
    """The price tables in load order, the shipped ones as one entry (naming all eight says nothing)."""
    shipped = [info for info in table.tables if info.shipped]
    own = tuple(info.name for info in table.tables if not info.shipped)
    if not shipped:
        return own
    as_of = max(info.as_of for info in shipped).isoformat()
    return (f"shipped ({len(shipped)} tables, as of {as_of})", *own)


def _describe(days: float, requests: int, digest: str) -> str:
    return f"{count(requests)} requests over {days:.1f} days (digest {digest})"


def check(
    frame: pd.DataFrame,
    table: PriceTable,
    policy: Policy,
    baseline: SavedBaseline | SameRunBaseline,
    thresholds: Thresholds,
    on_stage: Callable[[str], None] | None = None,
) -> CheckReport:
    """Decompose the change in projected monthly cost from ``baseline`` to the head and judge it.

    ``frame`` is the head traffic, priced with ``table`` and tagged (``simulate.collect``).
    Raises ``InputError`` when the logs have no monthly projection, ``ConfigError`` when a
    policy names a model without a price. ``on_stage`` is told each replay as it starts.
    """
    frame = frame.reset_index(drop=True)
    days = _period_days(frame)
    months = days / DAYS_PER_MONTH
    head_monthly_requests = len(frame) / months
    digest = traffic_digest(frame)
    if isinstance(baseline, SavedBaseline):
        base_policy, base_table = baseline.policy, baseline.price_table(table)
    else:
        base_policy, base_table = baseline.policy or policy, baseline.table or table
    base_frame = frame if base_table is table else price_requests(frame, base_table)
    done: list[tuple[pd.DataFrame, PriceTable, Policy, Step]] = []

    def step(frame: pd.DataFrame, table: PriceTable, policy: Policy, what: str) -> Step:
        """``evaluate``, once per distinct inputs: with only a baseline policy or only baseline
        prices (or an unchanged cache section) two steps are the same replay."""
        for seen_frame, seen_table, seen_policy, result in done:
            if seen_frame is frame and seen_table is table and seen_policy == policy:
                return result
        if on_stage is not None:
            on_stage(f"replaying the head traffic {what}")
        done.append((frame, table, policy, evaluate(frame, table, policy, months)))
        return done[-1][3]

    c1 = step(base_frame, base_table, base_policy, "under the baseline's policy and prices")
    c2 = step(frame, table, base_policy, "under the baseline's policy at the head's prices")
    c3 = step(frame, table, policy.model_copy(update={"cache": base_policy.cache}), "under the head's routing")
    c4 = step(frame, table, policy, "under the head's policy")
    notes: list[str] = []
    if isinstance(baseline, SavedBaseline):
        c0: Step = baseline.step
        base_side = Side(
            policy=base_policy.name,
            pricing=("baseline snapshot",),
            requests=baseline.requests,
            period_days=baseline.period_days,
            monthly_requests=baseline.monthly_requests,
            monthly_cost_usd=c0.monthly_usd,
            unpriced_requests=c0.unpriced_requests,
            digest=baseline.digest,
        )
        same = baseline.digest == digest and baseline.requests == len(frame)
        if not same:
            notes.append(
                "the baseline was built from different traffic: "
                f"{_describe(baseline.period_days, baseline.requests, baseline.digest)} against "
                f"{_describe(days, len(frame), digest)} here; volume and mix carry the difference"
            )
        if baseline.tool_version != __version__:
            notes.append(f"the baseline was written by llmaudit {baseline.tool_version}, this is {__version__}")
    else:
        c0 = c1
        same = True
        base_side = Side(
            policy=base_policy.name,
            pricing=_tables(base_table),
            requests=len(frame),
            period_days=days,
            monthly_requests=head_monthly_requests,
            monthly_cost_usd=c1.monthly_usd,
            unpriced_requests=c1.unpriced_requests,
            digest=digest,
        )
    if days < SHORT_PERIOD_DAYS:
        notes.append(f"the head traffic spans only {days * 24:.1f} hours: the monthly projection is rough")
    last = frame["timestamp"].max()
    logged = {str(m) for m in frame["model"].dropna().unique()}
    used = tables_pricing(table, logged | policy_models(policy))
    stale = stale_warning(table.tables, used, None if pd.isna(last) else last.date())
    if stale:
        notes.append(stale)
    sparse = sparse_note(days, active_days(frame["timestamp"]))
    if sparse:
        notes.append(f"the head traffic is sparse: {sparse}")
    effects = decompose(c0, base_side.monthly_requests, head_monthly_requests, (c1, c2, c3, c4))
    change = c4.monthly_usd - c0.monthly_usd
    # The steps telescope: a sum off by more than float noise is a bug, never a user error.
    assert abs(sum(e.change_usd for e in effects) - change) < 1e-6 * max(1.0, abs(change)), effects
    head_side = Side(
        policy=policy.name,
        pricing=_tables(table),
        requests=len(frame),
        period_days=days,
        monthly_requests=head_monthly_requests,
        monthly_cost_usd=c4.monthly_usd,
        unpriced_requests=c4.unpriced_requests,
        digest=digest,
    )
    return CheckReport(
        tool_version=__version__,
        baseline_kind="saved" if isinstance(baseline, SavedBaseline) else "same-run",
        baseline_source=baseline.path if isinstance(baseline, SavedBaseline) else baseline.source,
        baseline=base_side,
        head=head_side,
        change_usd=change,
        change_share=change / c0.monthly_usd if c0.monthly_usd else None,
        effects=effects,
        same_traffic=same,
        thresholds=thresholds,
        verdict=judge(c0.monthly_usd, c4.monthly_usd, c4.unpriced_requests, thresholds),
        notes=tuple(notes),
    )
