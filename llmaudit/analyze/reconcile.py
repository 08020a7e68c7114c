"""Billed vs list price: what a gateway or provider really charged, from its own log.

Several sources record the cost they billed for each request (LiteLLM's
``response_cost``, Langfuse's ``costDetails``, Helicone's ``costUSD``, a gateway CSV's
``cost_usd``). For every request that has both, the billed cost is compared with
llmaudit's list-price cost, per provider and model:

- the totals and their gap in USD and percent;
- the typical ratio billed/list (geometric mean) and its spread (standard deviation of
  the log ratio), streamed as sums so memory stays flat.

A ratio that is steady across requests is a fee structure (a markup when above list
price, a discount or stale table when below); a ratio that wanders, or sits near a power
of ten, points at a pricing or unit error. Sums only: nothing per request is kept.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.report.fmt import money, pct
from llmaudit.report.model import Finding, ReconciliationRow

MATCH_TOLERANCE: Final = 0.005  # within 0.5% of list price: matches
STEADY_SPREAD: Final = 0.02  # log-ratio std below this: one fee rule explains the gap
_SUMS: Final = ("requests", "billed_usd", "list_usd", "n_ratio", "log_ratio", "log_ratio_sq")


class BillAccumulator:
    """Per (provider, model) sums of billed and list cost, updated chunk by chunk."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def update(self, priced: pd.DataFrame) -> None:
        billed = priced["source_cost_usd"].to_numpy(dtype=np.float64)
        # Ingest drops impossible bills (negative, infinite, absurd); guard anyway, so one
        # cannot turn the comparison into "matches" or overflow the verdict.
        has_bill = np.isfinite(billed) & (billed >= 0)
        if not has_bill.any():
            return
        rows = priced.loc[has_bill]
        billed = billed[has_bill]
        listed = rows["cost_usd"].to_numpy(dtype=np.float64)
        comparable = (billed > 0) & (listed > 0)  # unpriced rows (NaN) and free calls have no ratio
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = np.where(comparable, np.log(billed / listed), 0.0)
        part = pd.DataFrame(
            {
                "provider": rows["provider"].fillna(rows["priced_provider"]).fillna("(unknown)").to_numpy(),
                "model": rows["priced_model"].fillna(rows["model"]).to_numpy(),
                "requests": 1,
                "billed_usd": billed,
                "list_usd": np.nan_to_num(listed),
                "n_ratio": comparable.astype(np.int64),
                "log_ratio": log_ratio,
                "log_ratio_sq": log_ratio**2,
            }
        )
        self._parts.append(part.groupby(["provider", "model"], sort=False)[list(_SUMS)].sum())

    def extend(self, later: BillAccumulator) -> None:
        """Add the sums of the chunks after this one's (kept per chunk, in order)."""
        self._parts.extend(later._parts)

    def rows(self) -> tuple[ReconciliationRow, ...]:
        if not self._parts:
            return ()
        merged = pd.concat(self._parts).groupby(level=[0, 1]).sum()
        out = [_row(str(provider), str(model), r) for (provider, model), r in merged.iterrows()]
        return tuple(sorted(out, key=lambda r: (-abs(r.gap_usd or 0.0), r.provider, r.model)))


def _row(provider: str, model: str, r: pd.Series) -> ReconciliationRow:
    n = int(r["n_ratio"])
    billed, listed = float(r["billed_usd"]), float(r["list_usd"])
    if n == 0:
        return ReconciliationRow(provider, model, int(r["requests"]), billed, None, None, None, None, None, "unpriced")
    mean = float(r["log_ratio"]) / n
    spread = math.sqrt(max(float(r["log_ratio_sq"]) / n - mean**2, 0.0))
    ratio = math.exp(mean)
    gap = billed - listed
    return ReconciliationRow(
        provider=provider,
        model=model,
        requests=int(r["requests"]),
        billed_usd=billed,
        list_usd=listed,
        gap_usd=gap,
        gap_share=gap / listed if listed else None,
        typical_ratio=ratio,
        ratio_spread=spread,
        verdict=_verdict(ratio, spread),
    )


def _verdict(ratio: float, spread: float) -> str:
    if not (math.isfinite(ratio) and math.isfinite(spread)):
        return "inconsistent"
    decade = round(math.log10(ratio)) if ratio > 0 else 0
    if abs(decade) >= 2 and abs(math.log10(ratio) - decade) < 0.05:
        return "unit_error"
    if spread >= STEADY_SPREAD:
        return "inconsistent"
    if abs(ratio - 1) <= MATCH_TOLERANCE:
        return "matches"
    return "markup" if ratio > 1 else "below_list"


def findings(rows: Sequence[ReconciliationRow], months: float | None) -> list[Finding]:
    """What a reader should know: markups named with their cost, errors flagged; matches stay quiet."""
    out: list[Finding] = []
    markups = [r for r in rows if r.verdict == "markup"]
    if markups:
        extra = sum(r.gap_usd or 0.0 for r in markups)
        listed = sum(r.list_usd or 0.0 for r in markups)
        parts = ", ".join(f"{r.model} via {r.provider} +{pct((r.typical_ratio or 1) - 1)}" for r in markups[:4])
        monthly = f" ({money(extra / months)} a month)" if months else ""
        out.append(
            Finding(
                id="billed_above_list",
                severity="warning",
                title=f"The logs' own costs run {pct(extra / listed if listed else None)} above list price: "
                f"{money(extra)} extra{monthly}",
                detail=f"A steady ratio per request looks like a markup or platform fee: {parts}. Compare "
                "sellers with llmaudit's pricing tables, or ask the gateway for its fee schedule.",
                cost_usd=extra,
            )
        )
    suspicious = [r for r in rows if r.verdict in ("inconsistent", "unit_error")]
    if suspicious:
        parts = ", ".join(
            f"{r.model} via {r.provider} ({'off by a power of ten' if r.verdict == 'unit_error' else 'ratio varies'})"
            for r in suspicious[:4]
        )
        out.append(
            Finding(
                id="billed_vs_list_mismatch",
                severity="warning",
                title=f"Billed and list-price costs disagree irregularly for {len(suspicious)} model(s)",
                detail=f"{parts}. No single fee explains the gap: check the price table (units, tiers, "
                "batch rates) and which model name the source bills.",
                cost_usd=sum(abs(r.gap_usd or 0.0) for r in suspicious),
            )
        )
    below = [r for r in rows if r.verdict == "below_list"]
    if below:
        parts = ", ".join(f"{r.model} via {r.provider} -{pct(1 - (r.typical_ratio or 1))}" for r in below[:4])
        out.append(
            Finding(
                id="billed_below_list",
                severity="info",
                title="The logs' own costs run below list price for some models",
                detail=f"{parts}: a negotiated discount, or a price table that is out of date.",
                cost_usd=sum(r.gap_usd or 0.0 for r in below),
            )
        )
    return out
