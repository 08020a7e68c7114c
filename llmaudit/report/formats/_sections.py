"""Text content shared by the human renderers (terminal table and Markdown)."""

from __future__ import annotations

from collections.abc import Sequence

from llmaudit.report.fmt import count, money, pct, signed, signed_pct, tokens
from llmaudit.report.model import (
    AnalyzeReport,
    BreakdownRow,
    LoggedScores,
    ModelRow,
    ReconciliationRow,
    SampleRow,
    ScoreRow,
    TaggedRow,
)

MAX_DAYS_SHOWN = 31
SEVERITY_MARK = {"critical": "!!", "warning": "!", "info": "-"}


def headline(report: AnalyzeReport) -> str:
    s = report.summary
    period = ""
    if s.period_start and s.period_end:
        period = f", {s.period_start[:10]} to {s.period_end[:10]}"
        if s.period_days is not None:
            period += f" ({s.period_days:.1f} days)" if s.period_days >= 1 else f" ({s.period_days * 24:.1f} hours)"
    return f"llmaudit analyze: {count(s.requests)} requests{period}"


def summary_rows(report: AnalyzeReport) -> list[tuple[str, str]]:
    s = report.summary
    t = s.tokens
    k = s.cost_by_kind
    projected = money(s.projected_monthly_cost_usd)
    if s.projected_monthly_cost_usd is not None and s.projection_note:
        projected += " (rough: short period)"
    requests = f"{count(s.requests)} ({count(s.priced_requests)} priced"
    if s.unpriced_requests:
        requests += f", {count(s.unpriced_requests)} UNPRICED"
    if s.estimated_requests:
        requests += f", {count(s.estimated_requests)} estimated"
    requests += f", {count(s.failed_requests)} failed)"
    total = money(s.total_cost_usd) + (" + unpriced traffic" if s.unpriced_requests else "")
    return [
        ("Total cost", total),
        ("Projected monthly", projected),
        *seller_rows(report),
        ("Requests", requests),
        ("Lines", f"{count(s.lines_read)} read, {count(s.skipped_lines)} skipped"),
        (
            "Tokens",
            f"input {tokens(t.input_tokens)} (cache read {tokens(t.cache_read_tokens)}, cache write "
            f"{tokens(t.cache_write_tokens)}); output {tokens(t.output_tokens)} "
            f"(reasoning {tokens(t.reasoning_tokens)})",
        ),
        (
            "Cost by kind",
            f"input {money(k.input_usd)}, cache read {money(k.cache_read_usd)}, cache write "
            f"{money(k.cache_write_usd)}, output {money(k.output_usd)}, reasoning {money(k.reasoning_usd)}"
            + (f", request fees {money(k.request_fees_usd)}" if k.request_fees_usd else "")
            + (f", tool calls {money(k.tool_calls_usd)}" if k.tool_calls_usd else ""),
        ),
    ]


def seller_rows(report: AnalyzeReport) -> list[tuple[str, str]]:
    """``--seller``: who bills the traffic, and the fees that are not per token."""
    bill = report.seller
    if bill is None:
        return []
    name = bill.display_name or bill.seller
    line = f"{name} ({bill.kind}, prices as of {bill.as_of}): {money(bill.metered_usd)} metered"
    line += f" + {money(bill.fees_usd)} fees = {money(bill.total_usd)}"
    if bill.projected_monthly_total_usd is not None:
        line += f"; {money(bill.projected_monthly_total_usd)} a month with fees"
    rows = [("Seller", line)]
    rows += [("  fee", f"{money(f.usd)}: {f.description}") for f in bill.fees if f.usd]
    if bill.period_days is None:
        rows.append(("  fee", "bill-level fees need timestamps (the period) and were not computed"))
    return rows


BREAKDOWN_HEADER = ("requests", "input", "cache read", "output", "reasoning", "cost", "share")


def breakdown_cells(row: BreakdownRow) -> list[str]:
    cost = money(row.cost_usd) if row.cost_usd is not None else "UNPRICED"
    if row.cost_usd is not None and row.unpriced_requests:
        cost += f" (+{count(row.unpriced_requests)} unpriced)"
    return [
        count(row.requests),
        tokens(row.input_tokens),
        tokens(row.cache_read_tokens),
        tokens(row.output_tokens),
        tokens(row.reasoning_tokens),
        cost,
        pct(row.share),
    ]


def model_label(row: ModelRow) -> str:
    others = [name for name in row.seen_as if name != row.model]
    return row.model + (f" (as {', '.join(others[:2])}{', ...' if len(others) > 2 else ''})" if others else "")


def days_shown(rows: Sequence[BreakdownRow]) -> tuple[Sequence[BreakdownRow], int]:
    """The most recent days (at most MAX_DAYS_SHOWN) and how many were left out."""
    if len(rows) <= MAX_DAYS_SHOWN:
        return rows, 0
    return rows[-MAX_DAYS_SHOWN:], len(rows) - MAX_DAYS_SHOWN


def prices_line(report: AnalyzeReport) -> str:
    """Which price tables were used: shipped ones summarized, the user's named with their path."""
    shipped = [p for p in report.pricing if p.shipped]
    parts = []
    if shipped:
        dates = sorted({p.as_of for p in shipped})
        parts.append(f"{len(shipped)} shipped tables ({', '.join(p.name for p in shipped)}) as of {', '.join(dates)}")
    parts += [f"{p.name} ({p.path}, as of {p.as_of})" for p in report.pricing if not p.shipped]
    return "Prices: " + "; ".join(parts) + ". Sources: pricing/README.md"


def breakdown_columns(width: int) -> tuple[int, ...]:
    """Indexes into BREAKDOWN_HEADER to show: narrow terminals drop the token detail columns."""
    return tuple(range(len(BREAKDOWN_HEADER))) if width >= 110 else (0, 1, 3, 5, 6)


RECONCILIATION_HEADER = ("requests", "billed", "list price", "gap", "gap %", "verdict")
_VERDICTS = {
    "matches": "matches list price",
    "markup": "steady markup",
    "below_list": "steadily below list",
    "inconsistent": "varies: check prices",
    "unit_error": "off by a power of ten",
    "unpriced": "no list price",
}


SCORES_TITLE = "Logged scores (0-1)"
SCORES_HEADER = ("requests", "scored", "mean score")


def score_cells(row: ScoreRow) -> list[str]:
    return [count(row.requests), count(row.scored_requests), f"{row.mean_score:.3f}"]


def score_note(scores: LoggedScores) -> str:
    """The names the scores came under, e.g. "from helpfulness (12), feedback (3)"."""
    return "from " + ", ".join(f"{name} ({count(n)})" for name, n in scores.names.items())


def reconciliation_cells(row: ReconciliationRow) -> list[str]:
    gap, gap_share = signed(row.gap_usd), signed_pct(row.gap_share)
    return [count(row.requests), money(row.billed_usd), money(row.list_usd), gap, gap_share, _VERDICTS[row.verdict]]


TAGGED_HEADER = ("requests", "input", "output", "cost", "share", "main models")


def tagged_label(row: TaggedRow) -> str:
    """A task type as is; a complexity tier as "tier 0 trivial"."""
    return f"tier {row.key} {row.name}" if row.name else row.key


def tagged_cells(row: TaggedRow) -> list[str]:
    cost = money(row.cost_usd) if row.cost_usd is not None else "UNPRICED"
    if row.cost_usd is not None and row.unpriced_requests:
        cost += f" (+{count(row.unpriced_requests)} unpriced)"
    return [
        count(row.requests),
        tokens(row.input_tokens),
        tokens(row.output_tokens),
        cost,
        pct(row.share),
        ", ".join(row.main_models),
    ]


SAMPLE_HEADER = ("task type", "tier", "confidence", "model", "reasons", "prompt (truncated, redacted)")


def sample_cells(row: SampleRow) -> list[str]:
    return [
        row.task_type,
        str(row.complexity_tier),
        f"{row.tag_confidence:.2f}",
        row.model,
        row.tag_reasons,
        row.text,
    ]
