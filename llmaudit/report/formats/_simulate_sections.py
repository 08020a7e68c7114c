"""Text content shared by the simulate renderers (terminal table and Markdown)."""

from __future__ import annotations

from llmaudit.report.fmt import count, money, pct, plural, signed
from llmaudit.report.simulate_model import (
    MarkupRow,
    PlanRow,
    PolicyResult,
    QualityRow,
    QualitySummary,
    RouteRow,
    SimulateReport,
    SliceRow,
)

POLICY_HEADER = ("monthly", "period cost", "savings", "savings %", "rerouted", "cache hits", "failovers")
SLICE_HEADER = ("requests", "rerouted", "baseline", "policy", "savings", "moved from", "moved to")
ROUTE_HEADER = ("requests", "baseline", "policy")
MARKUP_HEADER = ("kind", "monthly", "annual", "tokens / month", "fees / month", "vs direct")
PLAN_HEADER = ("flat / month", "metered / month", "difference", "cheaper", "tiers cheaper flat")


def headline(report: SimulateReport) -> str:
    b = report.baseline
    period = f", {b.period_days:.1f} days" if b.period_days else ""
    monthly = f" ({money(b.projected_monthly_cost_usd)} a month)" if b.projected_monthly_cost_usd is not None else ""
    return f"llmaudit simulate: {count(b.requests)} requests{period}; baseline {money(b.total_cost_usd)}{monthly}"


def baseline_cells(report: SimulateReport) -> list[str]:
    b = report.baseline
    return [money(b.projected_monthly_cost_usd), money(b.total_cost_usd), "", "", "", "", ""]


def policy_cells(p: PolicyResult) -> list[str]:
    return [
        money(p.projected_monthly_cost_usd),
        money(p.total_cost_usd),
        money(p.savings_usd),
        pct(p.savings_share),
        count(p.rerouted_requests),
        count(p.cache_hits),
        count(p.context_failovers),
    ]


def slice_cells(row: SliceRow) -> list[str]:
    saving = money(row.savings_usd) + (f" ({pct(row.savings_share)})" if row.savings_share is not None else "")
    return [
        count(row.requests),
        count(row.rerouted),
        money(row.baseline_cost_usd),
        money(row.policy_cost_usd),
        saving,
        ", ".join(row.moved_from) or "-",
        ", ".join(row.moved_to) or "-",
    ]


def route_cells(row: RouteRow) -> list[str]:
    return [count(row.requests), money(row.baseline_cost_usd), money(row.policy_cost_usd)]


def markup_cells(row: MarkupRow) -> list[str]:
    """kind, monthly, annual, token cost, fees (and which), difference vs list prices: per month."""
    fees = money(row.fees_monthly_usd)
    named = [f.name.replace("_", " ") for f in row.fees if f.usd]
    if named and row.fees_monthly_usd is not None:
        fees += f" ({', '.join(named)})"
    diff = row.vs_direct_monthly_usd
    return [
        row.kind + (", BYOK" if row.byok else ""),
        money(row.monthly_cost_usd),
        money(row.annual_cost_usd),
        money(row.token_cost_monthly_usd) + (" (part)" if row.unpriced_requests else ""),
        fees,
        signed(diff),
    ]


def markup_notes(p: PolicyResult) -> list[str]:
    """What each seller's fees are, and what a seller does not sell (its totals are then n/a)."""
    notes = []
    if p.billed_by:
        notes.append(f"this policy is billed through {p.billed_by} (its cost includes the fees below)")
    for row in p.markup:
        if row.kind != "scenario" and (row.fees or row.unpriced_requests or row.byok):
            notes.append(f"{row.seller}: {row.description}")
    return notes


def plan_cells(row: PlanRow) -> list[str]:
    diff = row.difference_usd
    return [
        money(row.monthly_cost_usd),
        money(row.metered_monthly_cost_usd),
        signed(diff),
        row.cheaper,
        ", ".join(row.cheaper_flat_tiers) or "-",
    ]


def distribution_lines(p: PolicyResult) -> list[tuple[str, str]]:
    fm = p.flat_vs_metered
    d = fm.distribution
    if d is None:
        return []
    lines = [
        (
            "Metered cost per request",
            f"mean {money(d.mean)}, p50 {money(d.p50)}, p95 {money(d.p95)}, p99 {money(d.p99)}, "
            f"max {money(d.max)}, CV {d.cv:.2f}"
            if d.cv is not None
            else f"mean {money(d.mean)}",
        ),
        ("Break-even flat price", f"{money(fm.break_even_per_call_usd)} per call"),
    ]
    if d.daily_mean is not None:
        cv = f", CV {d.daily_cv:.2f}" if d.daily_cv is not None else ""
        lines.append(
            (
                "Daily spend",
                f"mean {money(d.daily_mean)}, std {money(d.daily_std)}{cv} over {plural(d.days, 'calendar day')}",
            )
        )
    return lines


# -- quality (simulate --quality FILE) ------------------------------------------------------

QUALITY_HEADER = "quality"
SLICE_QUALITY_AT = 5  # the quality column goes before "moved from"
BASELINE = "baseline (as logged)"


def score(q: QualitySummary, value: float | None, signed: bool = False) -> str:
    """A score in the quality file's scale, with the digits its range calls for."""
    if value is None:
        return "n/a"
    span = q.high - q.low
    digits = 3 if span <= 1 else 2 if span <= 10 else 1
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _quality(q: QualitySummary, expected: float | None, change: float | None, below: bool) -> str:
    text = score(q, expected)
    if change is not None:
        text += f" ({score(q, change, signed=True)})"
    return text + (" BELOW FLOOR" if below else "")


def baseline_quality_cell(report: SimulateReport) -> list[str]:
    q = report.quality
    return [] if q is None else [score(q, q.baseline)]


def policy_quality_cell(report: SimulateReport, p: PolicyResult) -> list[str]:
    q = report.quality
    if q is None:
        return []
    if p.quality is None:
        return ["n/a"]
    text = _quality(q, p.quality.expected, p.quality.change, p.quality.below_floor)
    if p.quality.low is not None and p.quality.high is not None:
        text += f" [{score(q, p.quality.low)}, {score(q, p.quality.high)}]"
    return [text]


def slice_header(report: SimulateReport, tiers: bool) -> tuple[str, ...]:
    """SLICE_HEADER, with the quality column in the per-tier table when scores are given."""
    if not tiers or report.quality is None:
        return SLICE_HEADER
    return (*SLICE_HEADER[:SLICE_QUALITY_AT], QUALITY_HEADER, *SLICE_HEADER[SLICE_QUALITY_AT:])


def tier_slice_cells(report: SimulateReport, p: PolicyResult, row: SliceRow) -> list[str]:
    """slice_cells for a complexity tier, with its expected quality when scores are given."""
    cells = slice_cells(row)
    q = report.quality
    if q is None:
        return cells
    by_key: dict[str, QualityRow] = {r.key: r for r in p.quality.by_tier} if p.quality else {}
    tier = by_key.get(row.key)
    cell = "n/a" if tier is None else _quality(q, tier.expected, tier.change, tier.below_floor)
    return [*cells[:SLICE_QUALITY_AT], cell, *cells[SLICE_QUALITY_AT:]]


def quality_lines(report: SimulateReport) -> list[str]:
    """What the quality column means, the frontier, and which policies fall below a floor."""
    q = report.quality
    if q is None or report.frontier is None:
        return []
    bounds = [f"floor {score(q, q.floor)}"] if q.floor is not None else []
    bounds += [f"{key} floor {score(q, value)}" for key, value in q.floors.items()]
    lines = [
        f"Quality: expected score (scale {q.scale}, from {q.source}) of the model answering each request, "
        "in brackets the change vs baseline"
        + (
            ", then its approximate 95% interval from the evidence cells (llmaudit shadow)"
            if any(p.quality is not None and p.quality.low is not None for p in report.policies)
            else ""
        )
        + "".join(f"; {b}" for b in bounds)
    ]
    cost = {p.name: p.total_cost_usd for p in report.policies}
    on = [(report.baseline.total_cost_usd, BASELINE)] if q.baseline_on_frontier else []
    on = sorted(on + [(cost[name], name) for name in report.frontier], key=lambda item: item[0])
    off = ([] if q.baseline_on_frontier else [BASELINE]) + [n for n in cost if n not in report.frontier]
    lines.append(
        "Cost-quality frontier (cheapest first): "
        + (", ".join(name for _, name in on) or "none")
        + (f"; dominated or unscored: {', '.join(off)}" if off else "")
    )
    below = [p.name for p in report.policies if p.quality is not None and p.quality.below_floor]
    if below:
        lines.append(f"Below the quality floor: {', '.join(below)}")
    return lines
