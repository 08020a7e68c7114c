"""One block's part of simulate's report (``partial.BlockPart``), whole columns at a time.

``baseline_part``: the logged traffic (requests, cost, period, unpriced models, the traffic
profile ``check`` reads, the logged models' quality). ``policy_part``: one policy's replay
of the block (slices by tier and task type, the models moved from and to, routes, cache and
failovers, each seller's bill, the metered cost per day and per tier, the replay profile,
the expected quality). Both run where the block is: in this process or on a worker.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.schema import UNTAGGED_TASK, UNTAGGED_TIER
from llmaudit.simulate.blocks import PolicyBlock
from llmaudit.simulate.match import _categorical, model_codes, names_of
from llmaudit.simulate.partial import BlockPart, Keyed, keyed, scalars
from llmaudit.simulate.quality import QualityScores, request_keys, served_scores
from llmaudit.simulate.replay import Replayed
from llmaudit.simulate.select import Counts, Prefix, digit_counts

SLICES: Final = ("tier", "task")
NAT: Final = np.iinfo(np.int64).min


def tier_codes(rows: pd.DataFrame) -> np.ndarray:
    """The tier per request, ``UNTAGGED_TIER`` where there is none (``snapshot.tier_labels``)."""
    tier = pd.to_numeric(rows["complexity_tier"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    return np.where(np.isnan(tier), UNTAGGED_TIER, np.nan_to_num(tier)).astype(np.int64)


def _tiers(rows: pd.DataFrame) -> tuple[np.ndarray, list[Hashable]]:
    codes = tier_codes(rows)
    top = int(codes.max()) + 1 if len(codes) else 0
    return codes, list(range(top))


def _tasks(rows: pd.DataFrame) -> tuple[np.ndarray, list[Hashable], np.ndarray]:
    """Task labels (``snapshot.task_labels``) as codes, and the rows that order them: an
    untagged request's label comes last unless a request is literally labelled so."""
    codes, names = pd.factorize(rows["task_type"])
    labels: list[Hashable] = [str(x) for x in names]
    if UNTAGGED_TASK not in labels:
        labels.append(UNTAGGED_TASK)
    ordered = codes >= 0
    return np.where(ordered, codes, labels.index(UNTAGGED_TASK)), labels, ordered


def _days(stamps: pd.Series) -> np.ndarray:
    return stamps.dt.floor("D").array.asi8


def _model_names(names: np.ndarray) -> list[Hashable]:
    return [str(x) for x in names]


def baseline_part(rows: pd.DataFrame, quality: QualityScores | None) -> BlockPart:
    base = rows["cost_usd"].to_numpy(dtype=np.float64)
    unpriced = np.isnan(base)
    codes, names = model_codes(rows)
    labels = _model_names(names)
    tiers, tier_keys = _tiers(rows)
    tasks, task_keys, _ = _tasks(rows)
    stamps = rows["timestamp"]
    days = _days(stamps)
    known = days != NAT
    priced = _categorical(rows["priced_model"])
    sums = {
        "baseline": scalars(requests=len(rows), priced=int((~unpriced).sum()), cost=float(np.nansum(base))),
        "days": _by_day(days, known),
        "unpriced": keyed(np.where(unpriced, codes, -1), labels, firsts=False),
        "priced_names": keyed(
            np.asarray(priced.codes, dtype=np.intp), [str(x) for x in priced.categories], firsts=False
        ),
        "models": keyed(codes, labels, firsts=False),
        "tiers": keyed(tiers, tier_keys, firsts=False),
        "tasks": keyed(tasks, task_keys, firsts=False),
    }
    if quality is not None:
        task_text, ids = request_keys(rows)
        scores = quality.score(names_of(codes, names), task_text, ids)
        scored = ~np.isnan(scores)
        sums["quality_tiers"] = keyed(tiers, tier_keys, (np.nan_to_num(scores), scored, None), firsts=False)
        sums["quality"] = scalars(
            sum=float(scores[scored].sum()), scored=int(scored.sum()), unscored=int((~scored).sum())
        )
    present = stamps.dropna()
    extremes = {"stamps": (present.min(), present.max()) if len(present) else None}
    return BlockPart(sums, extremes)


def _by_day(days: np.ndarray, known: np.ndarray, values: np.ndarray | None = None) -> Keyed:
    codes, uniques = pd.factorize(days[known])
    full = np.full(len(days), -1, dtype=np.intp)
    full[known] = codes
    return keyed(full, [int(d) for d in uniques], (values,), firsts=False)


class _Pairs(Sequence[tuple[Hashable, Hashable]]):
    """The labels of two code columns made one (``_pairs``), made only for the codes present."""

    def __init__(self, first: Sequence[Hashable], second: Sequence[Hashable]) -> None:
        self.first, self.second = first, second

    def __len__(self) -> int:
        return len(self.first) * len(self.second)

    def __getitem__(self, i: int) -> tuple[Hashable, Hashable]:  # type: ignore[override]
        return self.first[i // len(self.second)], self.second[i % len(self.second)]


def _pairs(a: np.ndarray, b: np.ndarray, count_b: int) -> np.ndarray:
    """Two code columns as one (-1 where either is -1)."""
    return np.where((a >= 0) & (b >= 0), a * count_b + b, -1)


def policy_part(block: PolicyBlock, seller: str | None, quality: QualityScores | None) -> BlockPart:
    rows, r = block.rows, block.replayed
    assert r.original_codes is not None and r.routed_codes is not None and r.model_names is not None
    base = np.nan_to_num(rows["cost_usd"].to_numpy(dtype=np.float64))
    list_cost = r.cost_usd
    billed = block.sold[seller] if seller is not None else list_cost
    cost = np.nan_to_num(billed)
    names = _model_names(r.model_names)
    count = len(names)
    tiers, tier_keys = _tiers(rows)
    tasks, task_keys, ordered = _tasks(rows)
    moved = r.rerouted
    sums: dict[str, Keyed] = {}
    for kind, (codes, keys, order) in zip(SLICES, ((tiers, tier_keys, None), (tasks, task_keys, ordered)), strict=True):
        sums[f"slices_{kind}"] = keyed(codes, keys, (None, moved, base, cost), ordered=order, firsts=kind == "task")
        for side, models in (("from", r.original_codes), ("to", r.routed_codes)):
            pair = _pairs(np.where(moved, codes, -1), models, count)
            sums[f"moved_{kind}_{side}"] = keyed(pair, _Pairs(keys, names))
    shown = [*names, "nan"]  # code -1: no model (as a route's row names it)
    route = np.where(r.original_codes < 0, count, r.original_codes) * (count + 1) + np.where(
        r.routed_codes < 0, count, r.routed_codes
    )
    sums["routes"] = keyed(route, _Pairs(shown, shown), (None, base, cost))
    hits = r.cache_hit
    sums["policy"] = scalars(
        rerouted=int(moved.sum()),
        cache_hits=int(hits.sum()),
        cache_savings=float(np.nansum(rows["cost_usd"].to_numpy(dtype=np.float64)[hits])),
        failovers=int(r.context_failover.sum()),
        list_usd=float(np.nansum(list_cost)),
        calls=int((~hits).sum()),
        unpriced=int(np.isnan(list_cost).sum()),
    )
    sellers = list(block.sold)
    missing = {name: np.isnan(block.sold[name]) & ~np.isnan(list_cost) for name in sellers}
    sums["sellers"] = Keyed(
        tuple(sellers),
        np.array([[float(np.nansum(block.sold[n])), float(missing[n].sum())] for n in sellers]).reshape(-1, 2),
        np.zeros(len(sellers), np.int64),
    )
    for name in sellers:
        sums[f"missing:{name}"] = keyed(np.where(missing[name], r.routed_codes, -1), names, firsts=False)
    priced = ~np.isnan(billed)
    days = _days(rows["timestamp"])
    sums["metered"] = scalars(priced=int(priced.sum()), cost=float(billed[priced].sum()))
    sums["daily"] = _by_day(days, priced & (days != NAT), cost)
    plan_tier = pd.to_numeric(rows["complexity_tier"], errors="coerce").fillna(1).to_numpy().astype(np.int64)
    plan_keys = [f"tier{i}" for i in range(int(plan_tier.max(initial=0)) + 1)]
    sums["plan_tiers"] = keyed(
        np.where(priced & (plan_tier >= 0), plan_tier, -1), plan_keys, (None, cost), firsts=False
    )
    listed = np.nan_to_num(list_cost)
    sums["profile_tier"] = keyed(tiers, [f"tier {i}" for i in tier_keys], (listed,), firsts=False)
    sums["profile_task"] = keyed(tasks, task_keys, (listed,), firsts=False)
    sums["profile_model"] = keyed(r.routed_codes, names, (listed,), firsts=False)
    if quality is not None:
        _quality(sums, rows, r, quality, tiers, tier_keys)
    extremes = {"billed": (float(billed[priced].min()), float(billed[priced].max())) if priced.any() else None}
    return BlockPart(sums, extremes)


def _quality(
    sums: dict[str, Keyed],
    rows: pd.DataFrame,
    r: Replayed,
    quality: QualityScores,
    tiers: np.ndarray,
    tier_keys: list[Hashable],
) -> None:
    task_text, ids = request_keys(rows)
    codes, names = model_codes(rows)
    base = quality.score(names_of(codes, names), task_text, ids)
    served = served_scores(quality, r, task_text, ids)
    scored, base_scored = ~np.isnan(served), ~np.isnan(base)
    sums["quality_tiers"] = keyed(
        tiers, tier_keys, (np.nan_to_num(served), scored, None, np.nan_to_num(base), base_scored), firsts=False
    )
    sums["quality"] = scalars(
        sum=float(served[scored].sum()),
        scored=int(scored.sum()),
        unscored=int((~scored).sum()),
        base_sum=float(base[base_scored].sum()),
        base_scored=int(base_scored.sum()),
        base_unscored=int((~base_scored).sum()),
    )
    if quality.cells:
        raw = rows["complexity_tier"].to_numpy(dtype=np.float64, na_value=np.nan)
        keep = scored & ~np.isnan(raw)
        frame = pd.DataFrame(
            {
                "model": pd.Series(r.routed_model[keep], dtype=object),
                "task": task_text[keep],
                "tier": raw[keep].astype(np.int64),
            }
        )
        cell_codes, uniques = (
            pd.factorize(pd.MultiIndex.from_frame(frame)) if len(frame) else (np.zeros(0, np.intp), [])
        )
        full = np.full(len(rows), -1, dtype=np.intp)
        full[keep] = cell_codes
        sums["cells"] = keyed(full, [tuple(u) for u in uniques], firsts=False)


def metered_values(block: PolicyBlock, seller: str | None) -> np.ndarray:
    """The block's priced per-request cost as the policy bills it."""
    billed = block.sold[seller] if seller is not None else block.replayed.cost_usd
    return billed[~np.isnan(billed)]


def metered_counts(block: PolicyBlock, seller: str | None, prefixes: Sequence[Prefix]) -> Counts:
    return digit_counts(metered_values(block, seller), prefixes)


def metered_spread(block: PolicyBlock, seller: str | None, mean: float) -> float:
    """Sum of squared deviations from ``mean`` (numpy's ``std``, per block)."""
    values = metered_values(block, seller)
    deviation = values - mean
    return float(np.sum(deviation * deviation))
