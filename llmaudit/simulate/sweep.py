"""The cost-quality curve of a difficulty policy: one replay per strong share (``simulate --sweep``).

The policy's first route that matches on ``difficulty`` is the strong route. For each share
in ``SHARES`` its band is replaced by ``strong_share: <share>`` (the threshold calibrated on
the logs, as RouteLLM calibrates) and the whole policy is replayed: every point is one
vectorized replay. Each point reports the threshold, the share of scored requests the strong
route took, the cost at list prices (the replay's metered cost: no seller fees or flat plans),
the savings against the logged baseline and, with quality scores, the expected quality.
The sums are made per block and added in input order, in one process or where a cluster's
rows are (``sweep_report``), and the threshold is found by exact selection (``select.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from llmaudit.errors import UsageError
from llmaudit.pricing import PriceTable
from llmaudit.schema import untagged_mask
from llmaudit.simulate.blocks import BlockMap, Local, PolicyBlock, policy_blocks, row_blocks
from llmaudit.simulate.match import original_models
from llmaudit.simulate.partial import BlockPart, Folded, Folder, scalars
from llmaudit.simulate.policy import Difficulty, Policy
from llmaudit.simulate.quality import QualityScores, request_keys, served_scores
from llmaudit.simulate.replay import Replayed, replay
from llmaudit.simulate.select import Counts, Prefix, digit_counts, higher
from llmaudit.versions import SCHEMA_VERSION

SHARES: Final = tuple(round(i / 10, 1) for i in range(11))


@dataclass(frozen=True)
class SweepPoint:
    target_share: float
    threshold: float | None
    """The difficulty at or above which requests took the strong route (None: none did / all did)."""
    strong_share: float
    """Share of scored (tagged) requests the strong route took."""
    cost_usd: float
    savings_usd: float
    savings_share: float | None
    expected_quality: float | None = None


@dataclass(frozen=True)
class SweepReport:
    policy: str
    route: str
    requests: int
    scored_requests: int
    baseline_cost_usd: float
    baseline_quality: float | None
    points: tuple[SweepPoint, ...]
    schema_version: str = field(default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def strong_route(policy: Policy) -> int:
    """Index of the first route that matches on difficulty; ``UsageError`` when there is none."""
    for i, route in enumerate(policy.routes):
        if route.match.difficulty is not None:
            return i
    raise UsageError(
        f"policy {policy.name!r} has no route matching on difficulty",
        hint="--sweep moves the threshold of a route with match: {difficulty: {strong_share: 0.3}} "
        "(docs/policies.md, 'Routing by difficulty')",
    )


def with_share(policy: Policy, index: int, share: float) -> Policy:
    """``policy`` with route ``index``'s difficulty band set to the ``share`` most difficult requests."""
    routes = list(policy.routes)
    route = routes[index]
    band = route.match.difficulty
    assert band is not None
    new_band = Difficulty(strong_share=share, below=band.below)
    routes[index] = route.model_copy(update={"match": route.match.model_copy(update={"difficulty": new_band})})
    return policy.model_copy(update={"routes": routes})


def sweep_policies(policy: Policy, shares: tuple[float, ...] = SHARES) -> list[Policy]:
    """``policy`` at each of ``shares``, in order (what ``sweep`` replays)."""
    index = strong_route(policy)
    return [with_share(policy, index, share) for share in shares]


def sweep(
    frame: pd.DataFrame,
    table: PriceTable,
    policy: Policy,
    quality: QualityScores | None = None,
    shares: tuple[float, ...] = SHARES,
    replays: Sequence[Replayed] | None = None,
) -> SweepReport:
    """The curve of ``policy`` over ``shares`` of strong calls (see module doc).

    ``replays``: the replays of ``sweep_policies(policy, shares)``, when computed elsewhere
    (on a cluster, where the rows are). The sums are made per block of ``frame`` and added
    in input order, as a cluster makes them where its rows are (``sweep_report``)."""
    frame = frame.reset_index(drop=True) if not isinstance(frame.index, pd.RangeIndex) else frame

    def blocks_of(index: int, share_policy: Policy) -> BlockMap:
        r = replays[index] if replays is not None else replay(frame, table, share_policy)
        return Local(list(policy_blocks(frame, r, {})))

    return sweep_report(Local(list(row_blocks(frame))), blocks_of, policy, quality, shares)


def sweep_report(
    rows: BlockMap,
    blocks_of: Callable[[int, Policy], BlockMap],
    policy: Policy,
    quality: QualityScores | None = None,
    shares: tuple[float, ...] = SHARES,
    quality_on_blocks: Any = None,
) -> SweepReport:
    """The curve from the blocks' sums, wherever the blocks are: ``rows`` maps a function over
    the blocks of the logged rows, ``blocks_of(i, policy)`` gives the blocks of share ``i``'s
    replay (``simulate.run.report`` does the same for the report)."""
    index = strong_route(policy)
    route = policy.routes[index]
    label = f"rule {route.name or f'routes[{index}]'}"
    shipped = quality if quality_on_blocks is None else quality_on_blocks
    base = Folder().add_all(rows(_baseline_part, shipped)).result()
    baseline = base.scalar("sweep", "cost")
    scored = int(base.scalar("sweep", "scored"))
    points = []
    for i, share in enumerate(shares):
        share_policy = with_share(policy, index, share)
        folded = Folder().add_all(blocks_of(i, share_policy)(_share_part, label, shipped)).result()
        cost = folded.scalar("share", "cost")
        threshold = _threshold(rows, scored, share)
        points.append(
            SweepPoint(
                target_share=share,
                threshold=round(threshold, 4) if np.isfinite(threshold) else None,
                strong_share=float(np.int64(folded.scalar("share", "took")) / scored) if scored else 0.0,
                cost_usd=cost,
                savings_usd=baseline - cost,
                savings_share=(baseline - cost) / baseline if baseline else None,
                expected_quality=None if quality is None else _mean_of(folded, "share"),
            )
        )
    return SweepReport(
        policy=policy.name,
        route=label.removeprefix("rule "),
        requests=int(base.scalar("sweep", "requests")),
        scored_requests=scored,
        baseline_cost_usd=baseline,
        baseline_quality=None if quality is None else _mean_of(base, "sweep"),
        points=tuple(points),
    )


def _mean_of(folded: Folded, name: str) -> float | None:
    count = folded.scalar(name, "scored_quality")
    return folded.scalar(name, "quality") / count if count else None


def _threshold(rows: BlockMap, scored: int, share: float) -> float:
    """``match.difficulty_threshold`` of the scored requests' difficulties, by exact selection."""
    if not scored or share <= 0:
        return float("inf")
    if share >= 1:
        return float("-inf")
    return higher(lambda prefixes: rows(_difficulty_counts, prefixes), scored, 1 - share)


def _scored(rows: pd.DataFrame) -> np.ndarray:
    """Rows with a difficulty score (tagged requests)."""
    return ~np.isnan(rows["difficulty"].to_numpy(dtype=np.float64)) & ~untagged_mask(rows)


def _difficulty_counts(rows: pd.DataFrame, prefixes: Sequence[Prefix]) -> Counts:
    return digit_counts(rows["difficulty"].to_numpy(dtype=np.float64)[_scored(rows)], prefixes)


def _quality_sums(scores: np.ndarray) -> dict[str, float]:
    known = ~np.isnan(scores)
    return {"quality": float(scores[known].sum()), "scored_quality": int(known.sum())}


def _baseline_part(rows: pd.DataFrame, quality: QualityScores | None) -> BlockPart:
    base = rows["cost_usd"].to_numpy(dtype=np.float64)
    sums = {"requests": len(rows), "cost": float(np.nansum(base)), "scored": int(_scored(rows).sum())}
    if quality is not None:
        tasks, ids = request_keys(rows)
        sums |= _quality_sums(quality.score(original_models(rows), tasks, ids))
    return BlockPart({"sweep": scalars(**sums)})


def _share_part(block: PolicyBlock, label: str, quality: QualityScores | None) -> BlockPart:
    rows, r = block.rows, block.replayed
    took = (r.reason == label) & _scored(rows)
    sums = {"cost": float(np.nansum(r.cost_usd)), "took": int(took.sum())}
    if quality is not None:
        tasks, ids = request_keys(rows)
        sums |= _quality_sums(served_scores(quality, r, tasks, ids))
    return BlockPart({"share": scalars(**sums)})
