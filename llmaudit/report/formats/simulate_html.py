"""HTML: the simulate report as one self-contained page, the policy to act on first.

Charts: monthly savings per policy, cost per complexity tier under each policy, the
cost-quality frontier (with ``--quality``), and the per-request metered cost percentiles
that decide flat against metered billing. Tables carry every number the charts show.
"""

from __future__ import annotations

from llmaudit.report import svg
from llmaudit.report.fmt import money, pct, plural, signed
from llmaudit.report.formats import _simulate_sections as s
from llmaudit.report.formats._html import bullets, e, inputs_section, page, section, table
from llmaudit.report.simulate_model import PolicyResult, SimulateReport


def _monthly_saving(report: SimulateReport, p: PolicyResult) -> float | None:
    base = report.baseline.projected_monthly_cost_usd
    if base is None or p.projected_monthly_cost_usd is None:
        return None
    return base - p.projected_monthly_cost_usd


def bottom_line(report: SimulateReport) -> str:
    """Which policy to adopt, what it saves a month, what it moves, and what it risks."""
    base = report.baseline
    if not report.policies:
        return "No policy was replayed."
    acceptable = [p for p in report.policies if p.quality is None or not p.quality.below_floor]
    best = max(acceptable or report.policies, key=lambda p: p.savings_usd)
    per = "a month" if base.projected_monthly_cost_usd is not None else "over the period"
    before = base.projected_monthly_cost_usd if base.projected_monthly_cost_usd is not None else base.total_cost_usd
    after = best.projected_monthly_cost_usd if best.projected_monthly_cost_usd is not None else best.total_cost_usd
    if best.savings_usd <= 0:
        return (
            f"None of the {plural(len(report.policies), 'policy', 'policies')} is cheaper than the traffic as logged "
            f"({money(before)} {per}); the least costly, '{best.name}', costs {signed(after - before)} {per}."
        )
    parts = [
        f"Adopt '{best.name}': it would take the bill from {money(before)} to {money(after)} {per} "
        f"({pct(best.savings_share)} less), rerouting {plural(best.rerouted_requests, 'request')}"
    ]
    moved = sorted((r for r in best.routing if r.from_model != r.to_model), key=lambda r: -r.requests)
    if moved:
        parts[0] += f", mostly {moved[0].from_model} to {moved[0].to_model}"
    parts[0] += "."
    q = report.quality
    if q is not None and best.quality is not None and best.quality.expected is not None:
        change = s.score(q, best.quality.change, signed=True) if best.quality.change is not None else "n/a"
        parts.append(f"Expected quality {s.score(q, best.quality.expected)} ({change} against the logs).")
    else:
        parts.append(
            "What it risks is answer quality on the rerouted requests, which this run did not measure: "
            "give scores with --quality before adopting it."
        )
    unpriced = base.requests - base.priced_requests
    if unpriced:
        parts.append(f"{plural(unpriced, 'request')} on models without a price are left out of every total.")
    return " ".join(parts)


def _savings_chart(report: SimulateReport) -> str:
    items = [(p.name, v) for p in report.policies for v in [_monthly_saving(report, p)] if v is not None]
    if not items:
        items = [(p.name, p.savings_usd) for p in report.policies]
        title = "Savings per policy over the period"
    else:
        title = "Monthly savings per policy"
    if not items:
        return ""
    return svg.hbars(
        "savings-per-policy",
        title,
        items,
        signed,
        caption="Against the traffic as logged; negative: dearer.",
        signed=True,
    ).html()


def _tier_chart(report: SimulateReport) -> str:
    if not report.policies or not report.policies[0].by_tier:
        return ""
    tiers = [r.key for r in report.policies[0].by_tier]
    base = [r.baseline_cost_usd for r in report.policies[0].by_tier]
    series = [(s.BASELINE, base)]
    for p in report.policies:
        cost = {r.key: r.policy_cost_usd for r in p.by_tier}
        series.append((p.name, [cost.get(t, 0.0) for t in tiers]))
    return svg.grouped_columns(
        "cost-per-tier",
        "Cost per complexity tier, as logged and under each policy",
        tiers,
        series,
        money,
        caption="Over the period of the logs.",
    ).html()


def _frontier_chart(report: SimulateReport) -> str:
    q = report.quality
    if q is None:
        return ""
    frontier = set(report.frontier or ())
    points = []
    base = report.baseline
    base_cost = base.projected_monthly_cost_usd if base.projected_monthly_cost_usd is not None else base.total_cost_usd
    if q.baseline is not None:
        points.append((s.BASELINE, base_cost, q.baseline, "baseline" in frontier or s.BASELINE in frontier))
    for p in report.policies:
        cost = p.projected_monthly_cost_usd if p.projected_monthly_cost_usd is not None else p.total_cost_usd
        if p.quality is not None and p.quality.expected is not None:
            points.append((p.name, cost, p.quality.expected, p.name in frontier))
    if not points:
        return ""
    return svg.scatter(
        "cost-quality-frontier",
        "Cost against expected quality",
        points,
        money,
        lambda v: f"{v:.2f}",
        "monthly cost",
        f"expected quality ({q.scale})",
        caption="Joined points are on the frontier: nothing else is both cheaper-or-equal and better-or-equal.",
    ).html()


def _distribution_chart(report: SimulateReport) -> str:
    policies = [p for p in report.policies if p.flat_vs_metered.distribution is not None]
    if not policies:
        return ""
    marks = ("p50", "p95", "p99", "max")
    series = []
    for p in policies:
        d = p.flat_vs_metered.distribution
        assert d is not None
        series.append((p.name, [d.p50, d.p95, d.p99, d.max]))
    return svg.grouped_columns(
        "per-request-cost",
        "Metered cost per request (percentiles)",
        list(marks),
        series,
        money,
        caption="A flat per-call plan pays off when its price is below the break-even in the table below.",
    ).html()


def _policy_detail(report: SimulateReport, p: PolicyResult) -> str:
    tier_header = s.slice_header(report, tiers=True)
    parts = [f"<p>{e(p.description)}</p>" if p.description else ""]
    parts.append("<h3>By complexity tier</h3>")
    parts.append(
        table(
            ("", *tier_header),
            ([r.key, *s.tier_slice_cells(report, p, r)] for r in p.by_tier),
            range(1, 6 + len(tier_header) - len(s.SLICE_HEADER)),
        )
    )
    parts.append("<h3>By task type</h3>")
    parts.append(table(("", *s.SLICE_HEADER), ([r.key, *s.slice_cells(r)] for r in p.by_task), range(1, 6)))
    moved = [r for r in p.routing if r.from_model != r.to_model]
    if moved:
        parts.append("<h3>Traffic moved (top)</h3>")
        parts.append(
            table(
                ("from", "to", *s.ROUTE_HEADER),
                ([r.from_model, r.to_model, *s.route_cells(r)] for r in moved),
                range(2, 5),
            )
        )
    parts.append("<h3>Through sellers and gateways</h3>")
    parts.append(table(("seller", *s.MARKUP_HEADER), ([m.seller, *s.markup_cells(m)] for m in p.markup), range(2, 7)))
    notes = s.markup_notes(p) + [f"{label}: {value}" for label, value in s.distribution_lines(p)]
    if notes:
        parts.append("<ul>" + "".join(f"<li>{e(n)}</li>" for n in notes) + "</ul>")
    if p.flat_vs_metered.plans:
        parts.append("<h3>Flat plans vs metered</h3>")
        parts.append(
            table(("plan", *s.PLAN_HEADER), ([r.plan, *s.plan_cells(r)] for r in p.flat_vs_metered.plans), range(1, 4))
        )
    return section(f"Policy '{p.name}' ({p.source})", *parts)


def render(report: SimulateReport, options: object) -> str:
    quality = (s.QUALITY_HEADER,) if report.quality is not None else ()
    rows = [
        [s.BASELINE, *s.baseline_cells(report), *s.baseline_quality_cell(report)],
        *([p.name, *s.policy_cells(p), *s.policy_quality_cell(report, p)] for p in report.policies),
    ]
    overview = table(("policy", *s.POLICY_HEADER, *quality), rows, range(1, 8 + len(quality)))
    notes = ""
    if report.quality is not None:
        notes = "<ul>" + "".join(f"<li>{e(line)}</li>" for line in s.quality_lines(report)) + "</ul>"
    body = [
        section("Policies compared", overview, notes),
        section(
            "Charts",
            _savings_chart(report),
            _tier_chart(report),
            _frontier_chart(report),
            _distribution_chart(report),
        ),
        *(_policy_detail(report, p) for p in report.policies),
    ]
    body.append(bullets("Warnings", report.warnings))
    body.append(inputs_section(report.inputs, report.pricing))
    return page(
        "llmaudit routing simulation",
        s.headline(report).removeprefix("llmaudit simulate: "),
        bottom_line(report),
        body,
        f"llmaudit {report.tool_version}; JSON schema {report.schema_version}.",
    )
