"""HTML: the analyze report as one self-contained page, bottom line first, then charts and tables.

Charts: daily cost stacked by model, cost by task type and complexity tier, the top cost
drivers. Tables carry every number the charts show (readable with no styles at all).
Prompt text never appears: the ``--sample`` rows are left out of this format.
"""

from __future__ import annotations

from collections import defaultdict

from llmaudit.report import svg
from llmaudit.report.fmt import count, money, plural
from llmaudit.report.formats._html import bullets, e, inputs_section, key_values, page, section, table
from llmaudit.report.formats._sections import (
    BREAKDOWN_HEADER,
    RECONCILIATION_HEADER,
    SCORES_HEADER,
    SCORES_TITLE,
    TAGGED_HEADER,
    breakdown_cells,
    headline,
    model_label,
    prices_line,
    reconciliation_cells,
    score_cells,
    score_note,
    summary_rows,
    tagged_cells,
    tagged_label,
)
from llmaudit.report.model import AnalyzeReport, BreakdownRow, TaggedRow

TOP_MODELS = 6  # models drawn apart in the daily chart; the rest are "other"
TOP_DRIVERS = 10


def bottom_line(report: AnalyzeReport) -> str:
    """One paragraph a manager can act on: the spend, the biggest lever, and how far to trust it."""
    s = report.summary
    if s.period_days:
        spend = f"These logs cost {money(s.total_cost_usd)} over {s.period_days:.1f} days"
    else:
        spend = f"These logs cost {money(s.total_cost_usd)}"
    if s.projected_monthly_cost_usd is not None:
        spend += f" (about {money(s.projected_monthly_cost_usd)} a month)"
    if s.unpriced_requests:
        spend += f", plus {plural(s.unpriced_requests, 'request')} on models without a price"
    parts = [spend + "."]
    scale = (
        s.projected_monthly_cost_usd / s.total_cost_usd
        if s.projected_monthly_cost_usd is not None and s.total_cost_usd > 0
        else None
    )
    overspend = next((f for f in report.findings if f.id == "overspend"), None)
    lead = overspend or next((f for f in report.findings if f.id != "unpriced_models"), None)
    if overspend is not None and overspend.cost_usd is not None:
        saving = f"{money(overspend.cost_usd)} over the period"
        if scale is not None:
            saving += f", about {money(overspend.cost_usd * scale)} a month"
        parts.append(
            f"Biggest lever: {overspend.title}; moving them to the cheapest model that fits each would save "
            f"{saving}. The risk is answer quality on those requests: their task types and tiers are estimated "
            "from the prompt text (check them with --sample), not measured."
        )
    elif lead is not None:
        parts.append(f"Leading finding: {lead.title}.")
    dates = sorted({p.as_of for p in report.pricing})
    if dates:
        parts.append(
            f"Prices come from {plural(len(report.pricing), 'table')} dated {dates[0]}"
            + (f" to {dates[-1]}" if len(dates) > 1 else "")
            + "."
        )
    return " ".join(parts)


def _daily_chart(report: AnalyzeReport) -> str:
    if not report.by_day_model:
        return ""
    days = sorted({c.row for c in report.by_day_model})
    totals: dict[str, float] = defaultdict(float)
    for c in report.by_day_model:
        totals[c.column] += c.cost_usd
    top = sorted((m for m in totals if totals[m] > 0), key=lambda m: -totals[m])[:TOP_MODELS]
    series: dict[str, list[float]] = {m: [0.0] * len(days) for m in top}
    index = {d: i for i, d in enumerate(days)}
    for c in report.by_day_model:
        name = c.column if c.column in series else "other"
        series.setdefault(name, [0.0] * len(days))[index[c.row]] += c.cost_usd
    if not any(v for values in series.values() for v in values):
        return ""
    ordered = [(m, series[m]) for m in top] + ([("other", series["other"])] if "other" in series else [])
    return svg.stacked_columns(
        "daily-cost-by-model",
        f"Daily cost by model ({report.summary.timezone})",
        days,
        ordered,
        money,
        caption=f"The {TOP_MODELS} costliest models apart, the rest as 'other'. Unpriced requests add nothing.",
    ).html()


def _task_tier_chart(report: AnalyzeReport) -> str:
    if not report.by_task_tier:
        return ""
    tasks = [r.key for r in report.by_task]
    names = {r.key: f"{r.key} {r.name}" if r.name else r.key for r in report.by_tier}
    tiers = [r.key for r in report.by_tier]
    values = {(c.row, names.get(c.column, c.column)): c.cost_usd for c in report.by_task_tier}
    return svg.heatmap(
        "cost-by-task-and-tier",
        "Cost by task type and complexity tier",
        tasks,
        [names[t] for t in tiers],
        values,
        money,
        caption="Each cell: the cost of the requests of that task type in that tier.",
    ).html()


def _drivers_chart(report: AnalyzeReport) -> str:
    priced = [r for r in report.by_model if r.cost_usd]
    if not priced:
        return ""
    items = [(r.model, r.cost_usd or 0.0) for r in priced[:TOP_DRIVERS]]
    return svg.hbars(
        "top-cost-drivers", "Top cost drivers (by model)", items, money, caption="Priced cost over the period."
    ).html()


def _breakdown(title: str, label: str, rows: tuple[BreakdownRow, ...]) -> str:
    if not rows:
        return ""
    return f"<h3>{e(title)}</h3>" + table(
        (label, *BREAKDOWN_HEADER), ([r.key, *breakdown_cells(r)] for r in rows), range(1, 8)
    )


def _tagged(title: str, label: str, rows: tuple[TaggedRow, ...]) -> str:
    if not rows:
        return ""
    return f"<h3>{e(title)}</h3>" + table(
        (label, *TAGGED_HEADER), ([tagged_label(r), *tagged_cells(r)] for r in rows), range(1, 6)
    )


def render(report: AnalyzeReport, options: object) -> str:
    findings = ""
    if report.findings:
        items = "".join(
            f'<li><span class="sev sev-{e(f.severity)}">{e(f.severity)}</span>: <strong>{e(f.title)}</strong>. '
            f"{e(f.detail)}</li>"
            for f in report.findings
        )
        findings = f'<ul class="findings">{items}</ul>'
    by_model = table(
        ("model", "provider", *BREAKDOWN_HEADER),
        ([model_label(r), r.provider or "", *breakdown_cells(r)] for r in report.by_model),
        range(2, 9),
    )
    body = [
        section("Summary", key_values(summary_rows(report))),
        section("Findings", findings),
        section("Where the money goes", _daily_chart(report), _drivers_chart(report), _task_tier_chart(report)),
        section(
            "Breakdowns",
            "<h3>By model</h3>" + by_model,
            _breakdown("By provider", "provider", report.by_provider),
            _tagged("By task type", "task type", report.by_task),
            _tagged("By complexity tier", "tier", report.by_tier),
            _breakdown(f"By day ({report.summary.timezone})", "day", report.by_day),
            *(_breakdown(f"By {name}", name, rows) for name, rows in report.groups.items()),
        ),
    ]
    if report.scores is not None:
        body.append(
            section(
                SCORES_TITLE,
                table(
                    ("model", *SCORES_HEADER),
                    ([r.model, *score_cells(r)] for r in report.scores.by_model),
                    (1, 2, 3),
                    caption=score_note(report.scores),
                ),
            )
        )
    if report.reconciliation:
        body.append(
            section(
                "Billed (as logged) vs list price",
                table(
                    ("provider", "model", *RECONCILIATION_HEADER),
                    ([r.provider, r.model, *reconciliation_cells(r)] for r in report.reconciliation),
                    range(2, 7),
                ),
            )
        )
    if report.unpriced:
        body.append(
            section(
                "Unpriced models (not in the total)",
                table(
                    ("model", "requests", "input tokens", "output tokens"),
                    (
                        [r.model, count(r.requests), count(r.input_tokens), count(r.output_tokens)]
                        for r in report.unpriced
                    ),
                    (1, 2, 3),
                ),
            )
        )
    if report.skipped:
        body.append(
            section(
                "Skipped lines",
                table(
                    ("reason", "count", "examples", "how to fix"),
                    ([s.description, count(s.count), ", ".join(s.examples[:3]), s.hint] for s in report.skipped),
                    (1,),
                ),
            )
        )
    body.append(bullets("Warnings", report.warnings))
    body.append(inputs_section(report.inputs, report.pricing))
    return page(
        "llmaudit cost report",
        headline(report).removeprefix("llmaudit analyze: "),
        bottom_line(report),
        body,
        f"{prices_line(report)}. llmaudit {report.tool_version}; JSON schema {report.schema_version}.",
    )
