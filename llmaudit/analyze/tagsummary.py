"""What analyze reports about tags beyond its breakdowns: overspend and samples.

Chunk by chunk (memory stays flat): the overspend sums (easy traffic on frontier-priced
models and its cost on the cheapest model that fits, from ``llmaudit.analyze.overspend``) and,
when asked, a few redacted requests per task type. The by-task and by-tier breakdowns
are dimensions of ``analysis._Accumulator`` like any other.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.analyze.overspend import EASY_TIERS, FRONTIER_BLENDED_USD
from llmaudit.report.fmt import count, money, pct, plural
from llmaudit.report.model import Finding, SampleRow
from llmaudit.schema import OVERSPENT
from llmaudit.tagging import redact, sample_by_class

SAMPLE_CHARS: Final = 160


class TagAccumulator:
    def __init__(self, sample: int = 0, seed: int = 0) -> None:
        self.sample = sample
        self.seed = seed
        self.overspend = {
            "requests": 0.0,
            "cost": 0.0,
            "cheapest": 0.0,
            "compared": 0.0,
            "cost_compared": 0.0,
            "untagged_requests": 0.0,
            "untagged_cost": 0.0,
        }
        self.cheapest_models: Counter[str] = Counter()
        self.samples: list[pd.DataFrame] = []
        # Each chunk's additions to ``overspend``, replayed in order by ``merge``.
        self.deltas: list[dict[str, float]] = []

    def update(self, priced: pd.DataFrame) -> None:
        """Add a chunk that passed the overspend stage (``schema.OVERSPENT``)."""
        OVERSPENT.require(priced, "the tagged summary")
        cost = priced["cost_usd"].to_numpy(dtype=np.float64)
        eligible = priced["overspend_eligible"].to_numpy(dtype=bool)
        compared = priced["cheapest_fit_model"].notna().to_numpy()
        cheapest = priced["cheapest_fit_cost_usd"].to_numpy(dtype=np.float64)
        o: dict[str, float] = dict.fromkeys(self.overspend, 0.0)
        o["requests"] += float(eligible.sum())
        o["cost"] += float(np.nansum(cost[eligible]))
        o["compared"] += float(compared.sum())
        o["cost_compared"] += float(np.nansum(cost[compared]))
        o["cheapest"] += float(np.nansum(cheapest[compared]))
        untagged = priced["overspend_untagged"].to_numpy(dtype=bool)
        o["untagged_requests"] += float(untagged.sum())
        o["untagged_cost"] += float(np.nansum(cost[untagged]))
        self._add(o)
        counts = priced["cheapest_fit_model"].value_counts()
        self.cheapest_models.update({str(k): int(v) for k, v in counts[counts > 0].items()})
        if self.sample:
            chosen = sample_by_class(priced, self.sample, seed=self.seed)
            text = chosen["user_text"]
            self.samples.append(
                chosen.assign(text=redact(text.fillna(""), SAMPLE_CHARS))[
                    ["task_type", "complexity_tier", "tag_confidence", "tag_reasons", "model", "text"]
                ]
            )

    def _add(self, delta: dict[str, float]) -> None:
        for name, value in delta.items():
            self.overspend[name] += value
        self.deltas.append(delta)

    def merge(self, later: TagAccumulator) -> None:
        """Add the sums and samples of the chunks after this one's (same numbers as one pass)."""
        for delta in later.deltas:
            self._add(delta)
        self.cheapest_models.update(later.cheapest_models)
        self.samples.extend(later.samples)

    def sample_rows(self) -> tuple[SampleRow, ...]:
        if not self.samples:
            return ()
        pooled = pd.concat(self.samples, ignore_index=True)
        chosen = sample_by_class(pooled, self.sample, seed=self.seed)
        return tuple(
            SampleRow(
                task_type=str(r.task_type),
                complexity_tier=int(r.complexity_tier),
                tag_confidence=float(r.tag_confidence),
                tag_reasons=str(r.tag_reasons),
                model=str(r.model),
                text=str(r.text),
            )
            for r in chosen.itertuples(index=False)
        )

    def finding(self, total: float) -> Finding | None:
        o = self.overspend
        if not o["requests"] or not o["cost"]:
            return None
        saving = o["cost_compared"] - o["cheapest"]
        models = ", ".join(name for name, _ in self.cheapest_models.most_common(2))
        return Finding(
            id="overspend",
            severity="warning",
            title=f"{plural(int(o['requests']), 'easy request')} (tier {'-'.join(map(str, EASY_TIERS))}) ran on "
            f"frontier-priced models: {money(o['cost'])}, {pct(o['cost'] / total if total else None)} of spend",
            detail=f"The {count(int(o['compared']))} of them a cheaper model can hold would cost "
            f"{money(o['cheapest'])} on the cheapest model with a checked (high-confidence) price that fits "
            f"each one ({models}), "
            f"{money(saving)} less than their {money(o['cost_compared'])}. Frontier-priced means a blended list "
            f"price of {money(FRONTIER_BLENDED_USD)} or more per million tokens (3 input : 1 output). Check a "
            "sample of these requests (--sample) before trusting the tags; then try a routing policy with "
            "llmaudit simulate."
            + (
                f" Left out as untagged spend (no text to judge, never called easy): "
                f"{count(int(o['untagged_requests']))} requests, {money(o['untagged_cost'])} on frontier-priced models."
                if o["untagged_requests"]
                else ""
            ),
            cost_usd=saving,
            share=o["cost"] / total if total else None,
        )
