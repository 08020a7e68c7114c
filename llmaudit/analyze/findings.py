"""The findings a cost auditor leads with, computed from the aggregated totals.

Each finding is one small function of the ``totals.Aggregates`` (the typed totals and the
report rows), yielding a sentence with the money it concerns; thresholds below decide when a
finding is worth a warning rather than a note. Nothing here reads requests directly. A new
finding is a function here and a line in ``FINDINGS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Final

from llmaudit.analyze.totals import Aggregates
from llmaudit.report.fmt import count, money, pct, plural
from llmaudit.report.model import Finding

WASTE_WARNING_SHARE: Final = 0.01  # failed/empty spend above 1% of the bill is worth a warning
DUPLICATE_WARNING_RATE: Final = 0.05  # 5% of prompts repeated is a caching opportunity
TOP_N: Final = 3
_ORDER: Final = {"critical": 0, "warning": 1, "info": 2}
# Findings that lead their severity: the overspend headline of the tagged report.
_LEADS: Final = frozenset({"overspend"})


def _share(part: float, total: float) -> float | None:
    return part / total if total > 0 else None


def unpriced_models(a: Aggregates) -> Iterator[Finding]:
    """Critical: the total leaves out requests to models no table prices."""
    if not a.unpriced:
        return
    names = ", ".join(r.model for r in a.unpriced[:5]) + (" ..." if len(a.unpriced) > 5 else "")
    yield Finding(
        id="unpriced_models",
        severity="critical",
        title=f"{plural(a.summary.unpriced_requests, 'request')} to {plural(len(a.unpriced), 'unpriced model')} "
        "left out of the total",
        detail=f"No price table covers: {names}. Their cost is unknown, not zero. Add them to a table "
        "and pass it with --pricing FILE (see pricing/README.md).",
    )


def top_cost_drivers(a: Aggregates) -> Iterator[Finding]:
    """The few models that make most of the spend."""
    total = a.summary.total_cost_usd
    priced = [r for r in a.by_model if r.priced and r.cost_usd]
    if not priced or total <= 0:
        return
    top = priced[:TOP_N]
    parts = ", ".join(f"{r.model} {money(r.cost_usd)} ({pct(r.share)})" for r in top)
    top_cost = sum(r.cost_usd or 0.0 for r in top)
    yield Finding(
        id="top_cost_drivers",
        severity="info",
        title=f"{plural(len(top), 'model')} {'makes' if len(top) == 1 else 'make'} "
        f"{pct(_share(top_cost, total))} of spend",
        detail=f"Top cost drivers: {parts}.",
        cost_usd=top_cost,
        share=_share(top_cost, total),
    )


def top_groups(a: Aggregates) -> Iterator[Finding]:
    """The biggest spenders of each ``--group-by`` dimension."""
    total = a.summary.total_cost_usd
    for dimension, rows in a.groups.items():
        ranked = [r for r in rows if r.cost_usd and not r.key.startswith("(")]
        if ranked and total > 0:
            parts = ", ".join(f"{r.key} {money(r.cost_usd)} ({pct(r.share)})" for r in ranked[:TOP_N])
            yield Finding(
                id=f"top_{dimension}",
                severity="info",
                title=f"Biggest spenders by {dimension}",
                detail=f"{parts}.",
                cost_usd=sum(r.cost_usd or 0.0 for r in ranked[:TOP_N]),
            )


def failed_or_empty(a: Aggregates) -> Iterator[Finding]:
    """Money spent on failed requests and on successful ones with no visible answer."""
    t = a.totals
    failed, empty = t.failed, t.empty
    if not failed and not empty:
        return
    waste = t.failed_cost_usd + t.empty_cost_usd
    share = _share(waste, a.summary.total_cost_usd)
    billed = f"cost {money(t.failed_cost_usd)}" if t.failed_cost_usd else "were not billed"
    yield Finding(
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
            f"reasoning) and cost {money(t.empty_cost_usd)}"
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


def cache_writes_lose_money(a: Aggregates) -> Iterator[Finding]:
    """Per model: prompt-cache writes that cost more than the reads save."""
    for row in a.by_model:
        if not (row.cache_write_tokens and (row.cache_savings_usd or 0.0) < 0):
            continue
        loss = -(row.cache_savings_usd or 0.0)
        yield Finding(
            id="cache_writes_lose_money",
            severity="warning",
            title=f"Prompt caching on {row.model} costs {money(loss)} more than it saves",
            detail=f"{count(row.cache_write_tokens)} tokens were written to the cache and "
            f"{count(row.cache_read_tokens)} read back ({row.cache_read_tokens / row.cache_write_tokens:.1f}x). "
            "A write costs 1.25x (5-minute) to 2x (1-hour) the input price and a read about 0.1x, so an entry "
            "must be read back once or twice to pay off: shorten the cache lifetime, or cache only prefixes "
            "that recur within it.",
            cost_usd=loss,
            share=_share(loss, a.summary.total_cost_usd),
        )


def prompt_caching(a: Aggregates) -> Iterator[Finding]:
    """What the providers' prompt caches saved, net of the writes."""
    summary = a.summary
    if not summary.tokens.cache_read_tokens and not summary.tokens.cache_write_tokens:
        return
    savings = summary.cost_by_kind.cache_savings_usd
    cache_read = summary.cost_by_kind.cache_read_usd
    yield Finding(
        id="prompt_caching",
        severity="info",
        title=f"Prompt caching saved {money(savings)} net",
        detail=f"{pct(summary.tokens.cache_read_tokens / max(summary.tokens.input_tokens, 1))} of prompt "
        f"tokens were served from the providers' caches; without caching those tokens would have cost "
        f"{money(savings + cache_read + summary.cost_by_kind.cache_write_usd)} at input prices, against "
        f"{money(cache_read)} for the reads and {money(summary.cost_by_kind.cache_write_usd)} for the "
        "writes.",
        cost_usd=savings,
        share=_share(savings, summary.total_cost_usd + savings),
    )


def reasoning_tokens(a: Aggregates) -> Iterator[Finding]:
    """The share of spend on hidden reasoning tokens."""
    summary = a.summary
    if not summary.tokens.reasoning_tokens:
        return
    reasoning = summary.cost_by_kind.reasoning_usd
    yield Finding(
        id="reasoning_tokens",
        severity="info",
        title=f"Hidden reasoning tokens are {pct(_share(reasoning, summary.total_cost_usd))} of spend",
        detail=f"{count(summary.tokens.reasoning_tokens)} reasoning tokens "
        f"({pct(summary.tokens.reasoning_tokens / max(summary.tokens.output_tokens, 1))} of output tokens) "
        f"cost {money(reasoning)}; they are billed as output but never shown.",
        cost_usd=reasoning,
        share=_share(reasoning, summary.total_cost_usd),
    )


def duplicate_prompts(a: Aggregates) -> Iterator[Finding]:
    """Exact repeats an exact-match response cache could have served."""
    d = a.duplicates
    if not d.prompts:
        return
    rate = d.repeats / d.prompts
    total = a.summary.total_cost_usd
    yield Finding(
        id="duplicate_prompts",
        severity="warning" if rate >= DUPLICATE_WARNING_RATE else "info",
        title=f"{pct(rate)} of prompts exactly repeat an earlier one ({money(d.repeat_cost_usd)})",
        detail=f"{count(d.repeats)} of {count(d.prompts)} successful requests with prompt text sent the same "
        "prompt to the same model as an earlier successful request; an exact-match response cache could "
        "have saved up to "
        f"{money(d.repeat_cost_usd)} ({pct(_share(d.repeat_cost_usd, total))} of spend).",
        cost_usd=d.repeat_cost_usd,
        share=_share(d.repeat_cost_usd, total),
    )


def estimated_tokens(a: Aggregates) -> Iterator[Finding]:
    """Requests priced from token counts estimated offline."""
    if not a.summary.estimated_requests:
        return
    yield Finding(
        id="estimated_tokens",
        severity="info",
        title=f"{plural(a.summary.estimated_requests, 'request')} priced from estimated token counts",
        detail="These records had text but no usage; tokens were counted with the cl100k tokenizer "
        "offline (typically within 5-15% of the provider's count).",
    )


# In this order before sorting, so findings of equal rank keep it.
FINDINGS: Final[tuple[Callable[[Aggregates], Iterator[Finding]], ...]] = (
    unpriced_models,
    top_cost_drivers,
    top_groups,
    failed_or_empty,
    cache_writes_lose_money,
    prompt_caching,
    reasoning_tokens,
    duplicate_prompts,
    estimated_tokens,
)


def build_findings(aggregates: Aggregates, extra: Sequence[Finding] = ()) -> tuple[Finding, ...]:
    """Every finding of ``FINDINGS`` and ``extra`` (computed elsewhere), in reading order."""
    out = [finding for rule in FINDINGS for finding in rule(aggregates)]
    # Critical first (the numbers are incomplete), then the leading findings, then by cost.
    return tuple(sorted((*out, *extra), key=lambda f: (_ORDER[f.severity], f.id not in _LEADS, -(f.cost_usd or 0.0))))
