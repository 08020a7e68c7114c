"""What analyze reports about tags: cost by task type and tier, overspend, samples.

Chunk by chunk (memory stays flat): per task type and per complexity tier the requests,
tokens and cost with the models that carry them; the overspend sums (easy traffic on
frontier-priced models and its cost on the cheapest model that fits, from
``llmaudit.overspend``); and, when asked, a few redacted requests per task type.
"""

from __future__ import annotations

from collections import Counter
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.overspend import EASY_TIERS, FRONTIER_BLENDED_USD
from llmaudit.report.fmt import count, money, pct
from llmaudit.report.model import Finding, SampleRow, TaggedRow
from llmaudit.tagging import TIER_NAMES, redact, sample_by_class

MAIN_MODELS: Final = 2
SAMPLE_CHARS: Final = 160
_MEASURES: Final = ("requests", "input_tokens", "output_tokens", "cost_usd", "unpriced")


def tier_label(tier: int) -> str:
    return f"{tier} {TIER_NAMES.get(tier, '')}".strip()


class TagAccumulator:
    def __init__(self, sample: int = 0, seed: int = 0) -> None:
        self.sample = sample
        self.seed = seed
        self.parts: dict[str, list[pd.DataFrame]] = {"task_type": [], "complexity_tier": []}
        self.models: dict[str, list[pd.Series]] = {"task_type": [], "complexity_tier": []}
        self.overspend = {"requests": 0.0, "cost": 0.0, "cheapest": 0.0, "compared": 0.0, "cost_compared": 0.0}
        self.cheapest_models: Counter[str] = Counter()
        self.samples: list[pd.DataFrame] = []

    def update(self, priced: pd.DataFrame) -> None:
        if "task_type" not in priced:
            return
        cost = priced["cost_usd"].to_numpy(dtype=np.float64)
        measures = np.column_stack(
            [
                np.ones(len(priced)),
                priced["input_tokens"].to_numpy(dtype=np.float64),
                priced["output_tokens"].to_numpy(dtype=np.float64),
                np.nan_to_num(cost),
                np.isnan(cost).astype(np.float64),
            ]
        )
        model_codes, models = pd.factorize(priced["priced_model"].fillna(priced["model"]), use_na_sentinel=False)
        for key in self.parts:
            codes, keys = pd.factorize(priced[key], use_na_sentinel=False)
            sums = np.column_stack(
                [np.bincount(codes, weights=measures[:, j], minlength=len(keys)) for j in range(len(_MEASURES))]
            )
            self.parts[key].append(pd.DataFrame(sums, index=pd.Index(keys), columns=list(_MEASURES)))
            # Cost per (key, model): one bincount over the combined code.
            pair = codes * len(models) + model_codes
            by_pair = np.bincount(pair, weights=measures[:, 3], minlength=len(keys) * len(models))
            seen = np.bincount(pair, minlength=len(keys) * len(models)) > 0
            index = pd.MultiIndex.from_product([pd.Index(keys), pd.Index(models)])
            self.models[key].append(pd.Series(by_pair, index=index)[seen])
        if "overspend_eligible" in priced:
            eligible = priced["overspend_eligible"].to_numpy(dtype=bool)
            compared = priced["cheapest_fit_model"].notna().to_numpy()
            cheapest = priced["cheapest_fit_cost_usd"].to_numpy(dtype=np.float64)
            o = self.overspend
            o["requests"] += float(eligible.sum())
            o["cost"] += float(np.nansum(cost[eligible]))
            o["compared"] += float(compared.sum())
            o["cost_compared"] += float(np.nansum(cost[compared]))
            o["cheapest"] += float(np.nansum(cheapest[compared]))
            self.cheapest_models.update(priced["cheapest_fit_model"].dropna().astype(str).value_counts().to_dict())
        if self.sample:
            chosen = sample_by_class(priced, self.sample, seed=self.seed)
            text = chosen["user_text"] if "user_text" in chosen else pd.Series(None, index=chosen.index, dtype="str")
            self.samples.append(
                chosen.assign(text=redact(text.fillna(""), SAMPLE_CHARS))[
                    ["task_type", "complexity_tier", "tag_confidence", "tag_reasons", "model", "text"]
                ]
            )

    def rows(self, key: str, total: float) -> tuple[TaggedRow, ...]:
        if not self.parts[key]:
            return ()
        merged = pd.concat(self.parts[key]).groupby(level=0).sum()
        merged = merged.sort_values(["cost_usd", "requests"], ascending=False, kind="stable")
        if key == "complexity_tier":
            merged = merged.sort_index()
        models = pd.concat(self.models[key]).groupby(level=[0, 1]).sum()
        out = []
        for value, r in merged.iterrows():
            top = models.loc[value].sort_values(ascending=False).head(MAIN_MODELS) if value in models.index else None
            cost = float(r["cost_usd"]) if r["unpriced"] < r["requests"] else None
            out.append(
                TaggedRow(
                    key=str(int(value)) if key == "complexity_tier" else str(value),
                    requests=int(r["requests"]),
                    input_tokens=int(r["input_tokens"]),
                    output_tokens=int(r["output_tokens"]),
                    cost_usd=cost,
                    share=cost / total if cost is not None and total > 0 else None,
                    unpriced_requests=int(r["unpriced"]),
                    main_models=tuple(str(m) for m in top.index) if top is not None else (),
                    name=TIER_NAMES.get(int(value)) if key == "complexity_tier" else None,
                )
            )
        return tuple(out)

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
            title=f"{count(int(o['requests']))} easy requests (tier {'-'.join(map(str, EASY_TIERS))}) ran on "
            f"frontier-priced models: {money(o['cost'])}, {pct(o['cost'] / total if total else None)} of spend",
            detail=f"The {count(int(o['compared']))} of them a cheaper model can hold would cost "
            f"{money(o['cheapest'])} on the cheapest model in the price table that fits each one ({models}), "
            f"{money(saving)} less than their {money(o['cost_compared'])}. Frontier-priced means a blended list "
            f"price of {money(FRONTIER_BLENDED_USD)} or more per million tokens (3 input : 1 output). Check a "
            "sample of these requests (--sample) before trusting the tags; then try a routing policy with "
            "llmaudit simulate.",
            cost_usd=saving,
            share=o["cost"] / total if total else None,
        )
