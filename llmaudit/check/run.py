"""Compare the head (this run's traffic, policy and prices) with a baseline and judge it.

The baseline is either saved (BASE.json from the base branch: its own traffic, policy
and a snapshot of its prices) or built in the same run from the head traffic under
another policy (``--baseline-policy``) and/or other price tables
(``--baseline-pricing``). Either way the head traffic is replayed four times (see
:mod:`llmaudit.check.decompose`) and the effects add up to the change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from llmaudit import __version__
from llmaudit.analyze.projection import DAYS_PER_MONTH, SHORT_PERIOD_DAYS, projection, sparse_note
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


@dataclass(frozen=True)
class Traffic:
    """What check needs of the head traffic besides its replays and digest, mergeable block
    by block (``--scheduler``: one per task, merged in input order; one process: the whole
    frame). The digest needs every request's hash, sorted: it is computed apart
    (``snapshot.traffic_digest``; on a cluster by simulate's shuffle, ``cluster/sums.py``)."""

    requests: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    days: np.ndarray  # the distinct UTC calendar days with a request (int64 nanoseconds)
    models: frozenset[str]  # the logged models

    @classmethod
    def of(cls, frame: pd.DataFrame) -> Traffic:
        stamps = frame["timestamp"].dropna()
        return cls(
            requests=len(frame),
            first=stamps.min() if len(stamps) else None,
            last=stamps.max() if len(stamps) else None,
            days=np.unique(stamps.dt.floor("D").array.asi8),
            models=frozenset(str(m) for m in frame["model"].dropna().unique()),
        )

    def merge(self, later: Traffic) -> Traffic:
        def pick(a: pd.Timestamp | None, b: pd.Timestamp | None, better: Callable[..., pd.Timestamp]) -> Any:
            return a if b is None else b if a is None else better(a, b)

        return Traffic(
            requests=self.requests + later.requests,
            first=pick(self.first, later.first, min),
            last=pick(self.last, later.last, max),
            days=np.union1d(self.days, later.days),
            models=self.models | later.models,
        )


@dataclass(frozen=True)
class Wanted:
    """One replay a step needs: the head traffic (``repriced``: re-priced with ``table``) under ``policy``."""

    repriced: bool
    table: PriceTable
    policy: Policy
    what: str


# Replays each of the wanted (all different) in order: their steps, for a period of ``months``.
Replays = Callable[[Sequence[Wanted], float], list[Step]]


def _period_days(traffic: Traffic) -> float:
    monthly, days, note = projection(1.0, traffic.first, traffic.last)
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

    def replays(wanted: Sequence[Wanted], months: float) -> list[Step]:
        out = []
        for w in wanted:
            if on_stage is not None:
                on_stage(f"replaying the head traffic {w.what}")
            rows = price_requests(frame, w.table) if w.repriced else frame
            out.append(evaluate(rows, w.table, w.policy, months))
        return out

    return compare(Traffic.of(frame), traffic_digest(frame), table, policy, baseline, thresholds, replays)


def compare(
    traffic: Traffic,
    digest: str,
    table: PriceTable,
    policy: Policy,
    baseline: SavedBaseline | SameRunBaseline,
    thresholds: Thresholds,
    replays: Replays,
) -> CheckReport:
    """``check`` from what it needs of the head traffic: its ``Traffic``, its ``digest``
    (``snapshot.traffic_digest``) and its ``replays`` (in one process, or where the rows
    are: ``cluster/check.py``)."""
    days = _period_days(traffic)
    months = days / DAYS_PER_MONTH
    requests = traffic.requests
    head_monthly_requests = requests / months
    if isinstance(baseline, SavedBaseline):
        base_policy, base_table = baseline.policy, baseline.price_table(table)
    else:
        base_policy, base_table = baseline.policy or policy, baseline.table or table
    steps = [
        Wanted(base_table is not table, base_table, base_policy, "under the baseline's policy and prices"),
        Wanted(False, table, base_policy, "under the baseline's policy at the head's prices"),
        Wanted(False, table, policy.model_copy(update={"cache": base_policy.cache}), "under the head's routing"),
        Wanted(False, table, policy, "under the head's policy"),
    ]
    # Each distinct replay once: with only a baseline policy or only baseline prices (or an
    # unchanged cache section) two steps are the same replay.
    distinct: list[Wanted] = []
    index = []
    for w in steps:
        seen = [
            j for j, d in enumerate(distinct) if (d.repriced, d.policy) == (w.repriced, w.policy) and d.table is w.table
        ]
        if not seen:
            distinct.append(w)
        index.append(seen[0] if seen else len(distinct) - 1)
    done = replays(distinct, months)
    c1, c2, c3, c4 = (done[i] for i in index)
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
        same = baseline.digest == digest and baseline.requests == requests
        if not same:
            notes.append(
                "the baseline was built from different traffic: "
                f"{_describe(baseline.period_days, baseline.requests, baseline.digest)} against "
                f"{_describe(days, requests, digest)} here; volume and mix carry the difference"
            )
        if baseline.tool_version != __version__:
            notes.append(f"the baseline was written by llmaudit {baseline.tool_version}, this is {__version__}")
    else:
        c0 = c1
        same = True
        base_side = Side(
            policy=base_policy.name,
            pricing=_tables(base_table),
            requests=requests,
            period_days=days,
            monthly_requests=head_monthly_requests,
            monthly_cost_usd=c1.monthly_usd,
            unpriced_requests=c1.unpriced_requests,
            digest=digest,
        )
    if days < SHORT_PERIOD_DAYS:
        notes.append(f"the head traffic spans only {days * 24:.1f} hours: the monthly projection is rough")
    used = tables_pricing(table, set(traffic.models) | policy_models(policy))
    stale = stale_warning(table.tables, used, None if traffic.last is None else traffic.last.date())
    if stale:
        notes.append(stale)
    sparse = sparse_note(days, len(traffic.days))
    if sparse:
        notes.append(f"the head traffic is sparse: {sparse}")
    effects = decompose(c0, base_side.monthly_requests, head_monthly_requests, (c1, c2, c3, c4))
    change = c4.monthly_usd - c0.monthly_usd
    # The steps telescope: a sum off by more than float noise is a bug, never a user error.
    assert abs(sum(e.change_usd for e in effects) - change) < 1e-6 * max(1.0, abs(change)), effects
    head_side = Side(
        policy=policy.name,
        pricing=_tables(table),
        requests=requests,
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
