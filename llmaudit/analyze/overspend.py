"""The overspend finding: easy traffic served by frontier-priced models.

A model is *frontier-priced* when its blended list price (three input tokens to one
output token, the shape of most traffic) is ``FRONTIER_BLENDED_USD`` per million tokens
or more. For every successful tier 0-1 request on such a model, this module computes what
the same tokens would cost on the cheapest model in the price table whose context window
and output limit fit the request: the price of not routing. Candidates are the
``CANDIDATES`` cheapest models by blended price (the cheapest fit is almost always among
them); rows that fit none of them get no comparison rather than a guess.

Untagged requests (no text to judge, ``schema.UNTAGGED_TASK``) are never called easy: they
are left out and counted apart as ``overspend_untagged`` (their spend on frontier-priced
models), so the finding can say how much it could not judge.

Only prices of ``high`` confidence are candidates (pricing/README.md, "Confidence"): a
cheaper model whose price is a single unverified quote, or the LiteLLM snapshot's, never
sets the headline. A frontier model may have a ``medium`` price (the spend it reports is
priced so in every total), never a ``low`` one.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from llmaudit.pricing import ModelPrice, PriceTable
from llmaudit.pricing.cost import PRICING_INPUTS, cost_floor, costs_of, mode_codes, model_index
from llmaudit.schema import PRICED, untagged_mask

FRONTIER_BLENDED_USD: Final = 2.50
CANDIDATES: Final = 8
EASY_TIERS: Final = (0, 1)


def blended(model: ModelPrice) -> float:
    """USD per million tokens for 3 input tokens to 1 output token."""
    return (3 * model.rate("input") + model.rate("output")) / 4


class Overspend:
    """Marks easy requests on frontier-priced models (``overspend_eligible``) and adds their
    ``cheapest_fit_model`` / ``cheapest_fit_cost_usd`` where a candidate fits; untagged
    requests on frontier-priced models are marked ``overspend_untagged`` instead."""

    def __init__(self, table: PriceTable) -> None:
        self.table = table
        fitting = [m for m in table.models if m.context_window and blended(m) > 0 and m.confidence == "high"]
        self.candidates = [m.name for m in sorted(fitting, key=lambda m: (blended(m), m.name))[:CANDIDATES]]

    @property
    def frontier(self) -> frozenset[str]:
        """Frontier-priced models, over the table's models now (the fallback adds some as logs name them)."""
        models = self.table.models
        return frozenset(m.name for m in models if blended(m) >= FRONTIER_BLENDED_USD and m.confidence != "low")

    def annotate(self, priced: pd.DataFrame) -> pd.DataFrame:
        """``priced`` (tagged and priced requests) with the ``schema.OVERSPEND_DTYPES`` columns."""
        PRICED.require(priced, "the overspend stage")
        n = len(priced)
        best_cost = np.full(n, np.nan)
        best = np.full(n, -1)  # index into self.candidates; -1: no candidate fits
        untagged = untagged_mask(priced)
        tier = priced["complexity_tier"].to_numpy()
        on_frontier = priced["priced_model"].isin(self.frontier).to_numpy() & (priced["status"] == "ok").to_numpy()
        eligible = np.isin(tier, EASY_TIERS) & on_frontier & ~untagged
        rows = np.flatnonzero(eligible)
        if len(rows):
            # Only the columns pricing reads, as arrays of the eligible rows: the text is never copied.
            tokens = {c: priced[c].to_numpy(dtype=np.float64)[rows] for c in PRICING_INPUTS[1:]}
            mode = mode_codes(priced["pricing_mode"])[rows]
            input_tokens, output_tokens = tokens["input_tokens"], tokens["output_tokens"]
            for number, name in enumerate(self.candidates):
                model = self.table.get(name)
                fits = np.ones(len(rows), dtype=bool)
                if model.context_window:
                    fits &= input_tokens <= model.context_window
                if model.max_output_tokens:
                    fits &= output_tokens <= model.max_output_tokens
                # Price only the rows this model could still win (its cost floor is below the best so far).
                floor = cost_floor(self.table, name, input_tokens, output_tokens)
                todo = np.flatnonzero(fits & ~(floor >= best_cost[rows]))
                if not len(todo):
                    continue
                some = {c: values[todo] for c, values in tokens.items()}
                cost = costs_of(some, mode[todo], self.table, model_index(self.table, name))
                better = ~(cost >= best_cost[rows[todo]])  # NaN (no best yet) counts as better
                best_cost[rows[todo[better]]] = cost[better]
                best[rows[todo[better]]] = number
        # A categorical from codes: names without a Python string per row.
        cheapest = pd.Categorical.from_codes(best, categories=pd.Index(self.candidates, dtype=object))
        return priced.assign(
            overspend_eligible=eligible,
            overspend_untagged=on_frontier & untagged,
            cheapest_fit_model=cheapest,
            cheapest_fit_cost_usd=best_cost,
        )
