"""The cost-quality curve of a difficulty policy: one replay per strong share (``simulate --sweep``).

The policy's first route that matches on ``difficulty`` is the strong route. For each share
in ``SHARES`` its band is replaced by ``strong_share: <share>`` (the threshold calibrated on
the logs, as RouteLLM calibrates) and the whole policy is replayed: every point is one
vectorized replay. Each point reports the threshold, the share of scored requests the strong
route took, the cost at list prices (the replay's metered cost: no seller fees or flat plans),
the savings against the logged baseline and, with quality scores, the expected quality.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd

from llmaudit.errors import UsageError
from llmaudit.pricing import PriceTable
from llmaudit.schema import untagged_mask
from llmaudit.simulate.match import difficulty_threshold, original_models
from llmaudit.simulate.policy import Difficulty, Policy
from llmaudit.simulate.quality import QualityScores, _mean, request_keys, served_scores
from llmaudit.simulate.replay import Replayed, replay
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
    (on a cluster, where the rows are)."""
    index = strong_route(policy)
    route = policy.routes[index]
    label = f"rule {route.name or f'routes[{index}]'}"
    frame = frame.reset_index(drop=True)
    baseline = float(np.nansum(frame["cost_usd"].to_numpy(dtype=np.float64)))
    difficulty = frame["difficulty"].to_numpy(dtype=np.float64)
    scored = ~np.isnan(difficulty) & ~untagged_mask(frame)
    tasks, ids = request_keys(frame)
    base_quality = None
    if quality is not None:
        base_quality = _mean(quality.score(original_models(frame), tasks, ids))
    points = []
    for i, share in enumerate(shares):
        r = replays[i] if replays is not None else replay(frame, table, with_share(policy, index, share))
        cost = float(np.nansum(r.cost_usd))
        took = (r.reason == label) & scored
        threshold = difficulty_threshold(difficulty[scored], share)
        points.append(
            SweepPoint(
                target_share=share,
                threshold=round(threshold, 4) if np.isfinite(threshold) else None,
                strong_share=float(took.sum() / scored.sum()) if scored.any() else 0.0,
                cost_usd=cost,
                savings_usd=baseline - cost,
                savings_share=(baseline - cost) / baseline if baseline else None,
                expected_quality=None if quality is None else _mean(served_scores(quality, r, tasks, ids)),
            )
        )
    return SweepReport(
        policy=policy.name,
        route=label.removeprefix("rule "),
        requests=len(frame),
        scored_requests=int(scored.sum()),
        baseline_cost_usd=baseline,
        baseline_quality=base_quality,
        points=tuple(points),
    )
