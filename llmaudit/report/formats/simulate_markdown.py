"""The simulate report as Markdown: the comparison first, each policy's detail after."""

from __future__ import annotations

from llmaudit.report.formats import _simulate_sections as s
from llmaudit.report.formats.markdown_format import markdown_table
from llmaudit.report.safety import map_strings, md_text
from llmaudit.report.simulate_model import SimulateReport


def render(report: SimulateReport, options: object) -> str:
    report = map_strings(report, md_text)
    lines = [f"## {s.headline(report)}", ""]
    rows = [
        ["baseline (as logged)", *s.baseline_cells(report), *s.baseline_quality_cell(report)],
        *([p.name, *s.policy_cells(p), *s.policy_quality_cell(report, p)] for p in report.policies),
    ]
    quality = (s.QUALITY_HEADER,) if report.quality is not None else ()
    lines += markdown_table(("policy", *s.POLICY_HEADER, *quality), rows, range(1, 8 + len(quality)))
    lines.append("")
    if report.quality is not None:
        lines += [f"- {line}" for line in s.quality_lines(report)] + [""]
    for p in report.policies:
        lines += [f"### Policy `{p.name}` ({p.source})", ""]
        if p.description:
            lines += [p.description, ""]
        tier_header = s.slice_header(report, tiers=True)
        tier_rows = [[r.key, *s.tier_slice_cells(report, p, r)] for r in p.by_tier]
        lines += ["**By complexity tier**", ""]
        lines += markdown_table(("", *tier_header), tier_rows, range(1, 6 + len(tier_header) - len(s.SLICE_HEADER)))
        lines.append("")
        lines += ["**By task type**", ""]
        lines += markdown_table(("", *s.SLICE_HEADER), [[r.key, *s.slice_cells(r)] for r in p.by_task], range(1, 6))
        lines.append("")
        moved = [r for r in p.routing if r.from_model != r.to_model]
        if moved:
            lines += ["**Traffic moved (top)**", ""]
            lines += markdown_table(
                ("from", "to", *s.ROUTE_HEADER),
                [[r.from_model, r.to_model, *s.route_cells(r)] for r in moved],
                range(2, 5),
            )
            lines.append("")
        lines += ["**Through sellers and gateways**", ""]
        markup = [[m.seller, *s.markup_cells(m)] for m in p.markup]
        lines += markdown_table(("seller", *s.MARKUP_HEADER), markup, range(2, 7))
        lines.append("")
        notes = s.markup_notes(p)
        if notes:
            lines += [f"- {note}" for note in notes] + [""]
        lines += [f"- {label}: {value}" for label, value in s.distribution_lines(p)]
        lines.append("")
        if p.flat_vs_metered.plans:
            lines += ["**Flat plans vs metered**", ""]
            lines += markdown_table(
                ("plan", *s.PLAN_HEADER), [[r.plan, *s.plan_cells(r)] for r in p.flat_vs_metered.plans], range(1, 4)
            )
            lines.append("")
    lines += [f"> ! {warning}" for warning in report.warnings]
    return "\n".join(lines) + "\n"
