"""``analyze``'s account of the scores the logs carry: how many requests carry one, under
which names, and the mean per model (never any text).

Chunk by chunk, per model: requests, scored requests and the sum of their scores, so
memory stays bounded; ``summary`` turns the sums into the report's ``LoggedScores``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from llmaudit.report.model import LoggedScores, ScoreRow


class ScoreAccumulator:
    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []
        self.names: Counter[str] = Counter()

    def update(self, priced: pd.DataFrame, model: tuple[np.ndarray, pd.Index]) -> None:
        """Add a priced chunk; ``model`` is its model dimension as the caller factorized it
        (codes per row and the names: the priced name, else the logged one)."""
        codes, uniques = model
        score = priced["score"].to_numpy(dtype=np.float64)
        scored = ~np.isnan(score)
        n = len(uniques)
        self.parts.append(
            pd.DataFrame(
                {
                    "requests": np.bincount(codes, minlength=n),
                    "scored": np.bincount(codes, weights=scored.astype(np.float64), minlength=n),
                    "sum": np.bincount(codes, weights=np.where(scored, score, 0.0), minlength=n),
                },
                index=pd.Index(uniques, dtype=object),
            )
        )
        if scored.any():
            names = priced["score_name"][scored].astype(object).dropna()
            self.names.update({str(k): int(v) for k, v in names.value_counts().items()})

    def merge(self, later: ScoreAccumulator) -> None:
        """Add the chunks of ``later`` (those after this one's), in order (a cluster run)."""
        self.parts.extend(later.parts)
        self.names.update(later.names)

    def summary(self) -> LoggedScores | None:
        """None when no request carries a score."""
        if not self.parts:
            return None
        sums = pd.concat(self.parts).groupby(level=0, sort=False).sum()
        sums = sums[sums["scored"] > 0]
        if sums.empty:
            return None
        rows = tuple(
            ScoreRow(
                model=str(model),
                requests=int(r["requests"]),
                scored_requests=int(r["scored"]),
                mean_score=float(r["sum"] / r["scored"]),
            )
            for model, r in sums.sort_values(["scored", "requests"], ascending=False).iterrows()  # one per model
        )
        return LoggedScores(
            scored_requests=sum(r.scored_requests for r in rows),
            names=dict(sorted(self.names.items(), key=lambda kv: (-kv[1], kv[0]))),
            by_model=rows,
        )


def mixed_names_warning(names: dict[str, int]) -> str | None:
    """Said when scored requests carry different names: their means mix unlike measures."""
    if len(names) < 2:
        return None
    shown = ", ".join(f"{name} ({count:,})" for name, count in list(names.items())[:6])
    more = f" and {len(names) - 6} more" if len(names) > 6 else ""
    return (
        f"the logs carry scores under {len(names)} names: {shown}{more}; means over them mix unlike measures: "
        "choose one with --score-name"
    )
