"""simulate's report sections from the folded blocks' sums (``partial.Folded``).

The sums come from ``sums.py`` (a block at a time, in this process or on a cluster's
workers); everything here is a few keys long: tiers, task types, routes, days, sellers.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.analyze.projection import DAYS_PER_MONTH
from llmaudit.report.simulate_model import PolicyQuality, QualityRow, ReplayProfile, RouteRow, SliceRow, Traffic
from llmaudit.simulate.billing import TIER_KEYS, BillSums, Metered
from llmaudit.simulate.partial import Folded, Summed
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.quality import QualityScores, _below, _change

TOP_ROUTES: Final = 20


def top(moved: Summed, slice_key: Hashable, k: int = 2) -> tuple[str, ...]:
    """The ``k`` models most often moved in one slice, ties in order of first appearance."""
    found = [
        (-moved.values[i, 0], moved.first[i], str(key[1])) for i, key in enumerate(moved.keys) if key[0] == slice_key
    ]
    return tuple(name for _, _, name in sorted(found)[:k])


def slices(folded: Folded, kind: str) -> tuple[SliceRow, ...]:
    """One row per tier (in tier order) or task type (in order of first appearance)."""
    sums = folded[f"slices_{kind}"]
    order = sorted(range(len(sums.keys)), key=lambda i: sums.keys[i]) if kind == "tier" else sums.by_first()
    rows = []
    for i in order:
        key = sums.keys[i]
        requests, rerouted, base_sum, cost_sum = (float(x) for x in sums.values[i])
        saved = base_sum - cost_sum
        rows.append(
            SliceRow(
                key=f"tier {key}" if kind == "tier" else str(key),
                requests=int(requests),
                rerouted=int(rerouted),
                baseline_cost_usd=base_sum,
                policy_cost_usd=cost_sum,
                savings_usd=saved,
                savings_share=saved / base_sum if base_sum else None,
                moved_from=top(folded[f"moved_{kind}_from"], key),
                moved_to=top(folded[f"moved_{kind}_to"], key),
            )
        )
    return tuple(rows)


def routing(folded: Folded) -> tuple[RouteRow, ...]:
    """The top routes by baseline cost, then requests (ties in order of first appearance)."""
    routes = folded["routes"]
    order = sorted(routes.by_first(), key=lambda i: (-routes.values[i, 1], -routes.values[i, 0]))
    rows = []
    for i in order[:TOP_ROUTES]:
        a, b = routes.keys[i]
        rows.append(
            RouteRow(str(a), str(b), int(routes.values[i, 0]), float(routes.values[i, 1]), float(routes.values[i, 2]))
        )
    return tuple(rows)


def bill_sums(folded: Folded) -> BillSums:
    sellers = folded["sellers"]
    names = [str(k) for k in sellers.keys]
    return BillSums(
        list_usd=folded.scalar("policy", "list_usd"),
        calls=int(folded.scalar("policy", "calls")),
        sold_usd={n: float(sellers.values[i, 0]) for i, n in enumerate(names)},
        unpriced={n: int(sellers.values[i, 1]) for i, n in enumerate(names)},
        unpriced_routed={n: {str(k) for k in folded[f"missing:{n}"].keys} for n in names},
    )


def _by_tier_key(sums: Summed, column: int) -> pd.Series:
    values = {str(k): sums.values[i, column] for i, k in enumerate(sums.keys)}
    return pd.Series({k: values.get(k, 0.0) for k in TIER_KEYS}, dtype=np.float64)


def metered(folded: Folded, percentiles: tuple[float, float, float], spread: float) -> Metered:
    daily = folded["daily"]
    days = sorted(range(len(daily.keys)), key=lambda i: daily.keys[i])
    extremes = folded.extremes.get("billed")
    plan = folded["plan_tiers"]
    return Metered(
        count=int(folded.scalar("metered", "priced")),
        total=folded.scalar("metered", "cost"),
        largest=float(extremes[1]) if extremes else float("nan"),
        spread=spread,
        percentiles=percentiles,
        daily=pd.Series(
            [float(daily.values[i, 0]) for i in days], index=[daily.keys[i] for i in days], dtype=np.float64
        ),
        calls=_by_tier_key(plan, 0).astype(np.int64),
        metered=_by_tier_key(plan, 1),
    )


def _text_sums(sums: Summed) -> dict[str, float]:
    return {str(k): float(v) for k, v in sorted(zip(map(str, sums.keys), sums.values[:, 0], strict=True))}


def replay_profile(folded: Folded, policy: Policy) -> ReplayProfile:
    return ReplayProfile(
        document=policy.model_dump(mode="json"),
        unpriced_requests=int(folded.scalar("policy", "unpriced")),
        cost_by_tier_usd=_text_sums(folded["profile_tier"]),
        cost_by_task_usd=_text_sums(folded["profile_task"]),
        cost_by_model_usd=_text_sums(folded["profile_model"]),
    )


def _counts(sums: Summed, label: str = "{}") -> dict[str, int]:
    return {
        k: int(v) for k, v in sorted((label.format(k), v) for k, v in zip(sums.keys, sums.values[:, 0], strict=True))
    }


def traffic(folded: Folded, period_days: float | None, digest: str) -> Traffic:
    requests = int(folded.scalar("baseline", "requests"))
    return Traffic(
        requests=requests,
        priced_requests=int(folded.scalar("baseline", "priced")),
        period_days=period_days,
        monthly_requests=requests * DAYS_PER_MONTH / period_days if period_days else None,
        digest=digest,
        requests_by_tier=_counts(folded["tiers"], "tier {}"),
        requests_by_task=_counts(folded["tasks"]),
        requests_by_model=_counts(folded["models"]),
    )


def _mean(total: float, count: float) -> float | None:
    return total / count if count else None


def _interval(quality: QualityScores, folded: Folded, mean: float | None) -> tuple[float, float] | None:
    """Approximate 95% interval of the expected quality from the evidence cells' intervals.

    The expected quality is a request-weighted sum of per-cell means, so its variance is
    the sum over (model, task type, tier) cells of (share of the scored requests in the
    cell)^2 x (the cell mean's standard error, read back from its 95% interval). Requests
    whose model has no evidence cell add no uncertainty. None without evidence cells."""
    scored = int(folded.scalar("quality", "scored"))
    if not quality.cells or not scored or mean is None:
        return None
    counts = folded["cells"].column()
    se: dict[tuple[str, str, int], float] = {}
    for c in quality.cells:
        se[(c.model, c.task_type, c.tier)] = (c.high - c.low) / (2 * _Z95)  # a repeated cell: the last
    hit = [(counts.get(key, 0.0), value) for key, value in se.items()]
    if not any(n for n, _ in hit):
        return None
    share = np.array([n for n, _ in hit]) / scored
    half = _Z95 * float(np.sqrt(np.sum((share * np.array([v for _, v in hit])) ** 2)))
    return max(quality.low, mean - half), min(quality.high, mean + half)


_Z95 = 1.959963984540054


def policy_quality(quality: QualityScores, folded: Folded) -> PolicyQuality:
    """Expected quality overall and per complexity tier: the request-weighted mean score of
    the serving model (and of the logged one), unscored requests left out of each mean."""
    tiers = folded["quality_tiers"]
    rows = []
    for i in sorted(range(len(tiers.keys)), key=lambda i: tiers.keys[i]):
        served_sum, scored, requests, base_sum, base_scored = (float(x) for x in tiers.values[i])
        expected, base = _mean(served_sum, scored), _mean(base_sum, base_scored)
        floor = quality.floors.get(int(tiers.keys[i]))
        rows.append(
            QualityRow(
                key=f"tier {tiers.keys[i]}",
                expected=expected,
                baseline=base,
                change=_change(expected, base),
                unscored_requests=int(requests - scored),
                floor=floor,
                below_floor=_below(expected, floor),
            )
        )
    expected = _mean(folded.scalar("quality", "sum"), folded.scalar("quality", "scored"))
    base = _mean(folded.scalar("quality", "base_sum"), folded.scalar("quality", "base_scored"))
    interval = _interval(quality, folded, expected)
    return PolicyQuality(
        expected=expected,
        baseline=base,
        change=_change(expected, base),
        unscored_requests=int(folded.scalar("quality", "unscored")),
        baseline_unscored_requests=int(folded.scalar("quality", "base_unscored")),
        floor=quality.floor,
        below_floor=_below(expected, quality.floor) or any(row.below_floor for row in rows),
        by_tier=tuple(rows),
        low=interval[0] if interval else None,
        high=interval[1] if interval else None,
    )
