"""The findings a cost auditor leads with, computed from the aggregated totals.

Each finding is a sentence with the money it concerns; thresholds below decide when a
finding is worth a warning rather than a note. Nothing here reads requests directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from llmaudit.report.fmt import count, money, pct, plural
from llmaudit.report.model import BreakdownRow, Finding, ModelRow, Summary, UnpricedRow

WASTE_WARNING_SHARE: Final = 0.01  # failed/empty spend above 1% of the bill is worth a warning
DUPLICATE_WARNING_RATE: Final = 0.05  # 5% of prompts repeated is a caching opportunity
TOP_N: Final = 3
_ORDER: Final = {"critical": 0, "warning": 1, "info": 2}
# Findings that lead their severity: the overspend headline of the tagged report.
_LEADS: Final = frozenset({"overspend"})


def _share(part: float, total: float) -> float | None:
    return part / total if total > 0 else None


def build_findings(
    summary: Summary,
    by_model: Sequence[ModelRow],
    groups: Mapping[str, Sequence[BreakdownRow]],
    unpriced: Sequence[UnpricedRow],
    totals: Mapping[str, float],
    prompts: int,
    repeats: int,
    repeat_cost: float,
    extra: Sequence[Finding] = (),
) -> tuple[Finding, ...]:
    total = summary.total_cost_usd
    out: list[Finding] = []

    if unpriced:
        names = ", ".join(r.model for r in unpriced[:5]) + (" ..." if len(unpriced) > 5 else "")
        out.append(
            Finding(
                id="unpriced_models",
                severity="critical",
                title=f"{plural(summary.unpriced_requests, 'request')} to {plural(len(unpriced), 'unpriced model')} "
                "left out of the total",
                detail=f"No price table covers: {names}. Their cost is unknown, not zero. Add them to a table "
                "and pass it with --pricing FILE (see pricing/README.md).",
            )
        )

    priced = [r for r in by_model if r.priced and r.cost_usd]
    if priced and total > 0:
        top = priced[:TOP_N]
        parts = ", ".join(f"{r.model} {money(r.cost_usd)} ({pct(r.share)})" for r in top)
        top_cost = sum(r.cost_usd or 0.0 for r in top)
        out.append(
            Finding(
                id="top_cost_drivers",
                severity="info",
                title=f"{plural(len(top), 'model')} {'makes' if len(top) == 1 else 'make'} "
                f"{pct(_share(top_cost, total))} of spend",
                detail=f"Top cost drivers: {parts}.",
                cost_usd=top_cost,
                share=_share(top_cost, total),
            )
        )
    for dimension, rows in groups.items():
        ranked = [r for r in rows if r.cost_usd and not r.key.startswith("(")]
        if ranked and total > 0:
            parts = ", ".join(f"{r.key} {money(r.cost_usd)} ({pct(r.share)})" for r in ranked[:TOP_N])
            out.append(
                Finding(
                    id=f"top_{dimension}",
                    severity="info",
                    title=f"Biggest spenders by {dimension}",
                    detail=f"{parts}.",
                    cost_usd=sum(r.cost_usd or 0.0 for r in ranked[:TOP_N]),
                )
            )

    waste = totals.get("failed_cost", 0.0) + totals.get("empty_cost", 0.0)
    failed, empty = int(totals.get("failed", 0)), int(totals.get("empty", 0))
    if failed or empty:
        share = _share(waste, total)
        failed_cost = totals.get("failed_cost", 0.0)
        billed = f"cost {money(failed_cost)}" if failed_cost else "were not billed"
        out.append(
            Finding(
                id="failed_or_empty",
                severity="warning" if (share or 0) >= WASTE_WARNING_SHARE else "info",
                title=(
                    f"{plural(failed, 'failed request')} and {plural(empty, 'empty answer')} "
                    f"cost {money(waste)} ({pct(share)} of spend)"
                    if empty
                    else f"{plural(failed, 'failed request')}, {'not billed' if not waste else money(waste)}"
                ),
                detail=(f"The failed requests {billed}" if failed else "")
                + ("; " if failed and empty else "")
                + (
                    f"{plural(empty, 'successful request')} returned no visible output (nothing, or only hidden "
                    f"reasoning) and cost {money(totals.get('empty_cost', 0.0))}"
                    if empty
                    else ""
                )
                + ". "
                + (
                    "Money spent on an empty answer buys nothing, and the retry is paid again."
                    if empty
                    else "A failed request's retry is paid again."
                ),
                cost_usd=waste,
                share=share,
            )
        )

    cache_read = summary.cost_by_kind.cache_read_usd
    losing = [r for r in by_model if r.cache_write_tokens and (r.cache_savings_usd or 0.0) < 0]
    for row in losing:
        loss = -(row.cache_savings_usd or 0.0)
        out.append(
            Finding(
                id="cache_writes_lose_money",
                severity="warning",
                title=f"Prompt caching on {row.model} costs {money(loss)} more than it saves",
                detail=f"{count(row.cache_write_tokens)} tokens were written to the cache and "
                f"{count(row.cache_read_tokens)} read back ({row.cache_read_tokens / row.cache_write_tokens:.1f}x). "
                "A write costs 1.25x (5-minute) to 2x (1-hour) the input price and a read about 0.1x, so an entry "
                "must be read back once or twice to pay off: shorten the cache lifetime, or cache only prefixes "
                "that recur within it.",
                cost_usd=loss,
                share=_share(loss, total),
            )
        )
    savings = summary.cost_by_kind.cache_savings_usd
    if summary.tokens.cache_read_tokens or summary.tokens.cache_write_tokens:
        out.append(
            Finding(
                id="prompt_caching",
                severity="info",
                title=f"Prompt caching saved {money(savings)} net",
                detail=f"{pct(summary.tokens.cache_read_tokens / max(summary.tokens.input_tokens, 1))} of prompt "
                f"tokens were served from the providers' caches; without caching those tokens would have cost "
                f"{money(savings + cache_read + summary.cost_by_kind.cache_write_usd)} at input prices, against "
                f"{money(cache_read)} for the reads and {money(summary.cost_by_kind.cache_write_usd)} for the "
                "writes.",
                cost_usd=savings,
                share=_share(savings, total + savings),
            )
        )

    reasoning = summary.cost_by_kind.reasoning_usd
    if summary.tokens.reasoning_tokens:
        out.append(
            Finding(
                id="reasoning_tokens",
                severity="info",
                title=f"Hidden reasoning tokens are {pct(_share(reasoning, total))} of spend",
                detail=f"{count(summary.tokens.reasoning_tokens)} reasoning tokens "
                f"({pct(summary.tokens.reasoning_tokens / max(summary.tokens.output_tokens, 1))} of output tokens) "
                f"cost {money(reasoning)}; they are billed as output but never shown.",
                cost_usd=reasoning,
                share=_share(reasoning, total),
            )
        )

    if prompts:
        rate = repeats / prompts
        out.append(
            Finding(
                id="duplicate_prompts",
                severity="warning" if rate >= DUPLICATE_WARNING_RATE else "info",
                title=f"{pct(rate)} of prompts exactly repeat an earlier one ({money(repeat_cost)})",
                detail=f"{count(repeats)} of {count(prompts)} successful requests with prompt text sent the same "
                "prompt to the same model as an earlier successful request; an exact-match response cache could "
                "have saved up to "
                f"{money(repeat_cost)} ({pct(_share(repeat_cost, total))} of spend).",
                cost_usd=repeat_cost,
                share=_share(repeat_cost, total),
            )
        )

    if summary.estimated_requests:
        out.append(
            Finding(
                id="estimated_tokens",
                severity="info",
                title=f"{plural(summary.estimated_requests, 'request')} priced from estimated token counts",
                detail="These records had text but no usage; tokens were counted with the cl100k tokenizer "
                "offline (typically within 5-15% of the provider's count).",
            )
        )
    # Critical first (the numbers are incomplete), then the leading findings, then by cost.
    return tuple(sorted((*out, *extra), key=lambda f: (_ORDER[f.severity], f.id not in _LEADS, -(f.cost_usd or 0.0))))
