"""The simulate report in the terminal: a comparison of policies, then each policy in detail."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from llmaudit.report.formats import _simulate_sections as s
from llmaudit.report.formats._fit import FitTable
from llmaudit.report.formats.table_format import _new_table, console_text, new_console
from llmaudit.report.safety import map_strings, term_text
from llmaudit.report.simulate_model import PolicyResult, SimulateReport, SliceRow

# Columns kept on a narrow terminal (below NARROW characters): the ones that tell the story.
NARROW = 110
_OVERVIEW_NARROW = (0, 2, 3)  # monthly, savings, savings %
_SLICE_NARROW = (0, 2, 3, 4, 6)  # requests, baseline, policy, savings, moved to


def _pick(cells: list[str], keep: tuple[int, ...] | None) -> list[str]:
    return cells if keep is None else [cells[i] for i in keep]


def _slice_table(
    title: str,
    rows: tuple[SliceRow, ...],
    narrow: bool,
    quality: tuple[SimulateReport, PolicyResult] | None = None,
) -> FitTable:
    """Numbers in the middle, the models traffic moved between as wrapping text at the end.

    ``quality`` (the report and policy, for the per-tier table) adds the expected quality column.
    """
    full = s.slice_header(quality[0], tiers=True) if quality else s.SLICE_HEADER
    keep: tuple[int, ...] | None = _SLICE_NARROW if narrow else None
    if keep is not None and len(full) > len(s.SLICE_HEADER):  # the quality column stays on a narrow terminal
        at = s.SLICE_QUALITY_AT
        keep = (*(i for i in keep if i < at), at, *(i + 1 for i in keep if i >= at))
    header = _pick(list(full), keep)
    numeric = [h for h in header if h not in ("moved from", "moved to")]
    table = _new_table(title, ("",), numeric, [r.key for r in rows])
    for name in header[len(numeric) :]:
        table.add_column(name, wrap=True)
    for row in rows:
        cells = s.tier_slice_cells(*quality, row) if quality else s.slice_cells(row)
        table.add_row(row.key, *_pick(cells, keep))
    return table


def render(report: SimulateReport, options: object) -> str:
    report = map_strings(report, term_text)
    console, color, width = new_console(options)
    narrow = width < NARROW
    keep = _OVERVIEW_NARROW if narrow else None
    console.print(Text(s.headline(report), style="bold"))
    names = ["baseline (as logged)", *(p.name for p in report.policies)]
    quality = [s.QUALITY_HEADER] if report.quality is not None else []
    overview = _new_table("Policies", ("policy",), _pick(list(s.POLICY_HEADER), keep) + quality, names)
    overview.add_row(names[0], *_pick(s.baseline_cells(report), keep), *s.baseline_quality_cell(report))
    for p in report.policies:
        overview.add_row(p.name, *_pick(s.policy_cells(p), keep), *s.policy_quality_cell(report, p))
    console.print(overview)
    for line in s.quality_lines(report):
        console.print(Text(line))
    if report.quality is not None:
        console.print()
    for p in report.policies:
        console.print(Text(f"Policy {p.name!r} ({p.source})", style="bold"))
        if p.description:
            console.print(Text(p.description, style="dim"))
        console.print(_slice_table("By complexity tier", p.by_tier, narrow, (report, p) if report.quality else None))
        console.print(_slice_table("By task type", p.by_task, narrow))
        moved = [r for r in p.routing if r.from_model != r.to_model]
        if moved:
            table = _new_table("Traffic moved (top)", ("from", "to"), s.ROUTE_HEADER, [r.from_model for r in moved])
            for route in moved:
                table.add_row(route.from_model, route.to_model, *s.route_cells(route))
            console.print(table)
        markup = _new_table("Through sellers and gateways", ("seller",), s.MARKUP_HEADER, [m.seller for m in p.markup])
        for m in p.markup:
            markup.add_row(m.seller, *s.markup_cells(m))
        console.print(markup)
        for note in s.markup_notes(p):
            console.print(Text(f"  {note}", style="dim"))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold")
        grid.add_column(overflow="fold")
        for label, value in s.distribution_lines(p):
            grid.add_row(label, value)
        console.print(grid)
        if p.flat_vs_metered.plans:
            plans = _new_table(
                "Flat plans vs metered", ("plan",), s.PLAN_HEADER, [r.plan for r in p.flat_vs_metered.plans]
            )
            for plan in p.flat_vs_metered.plans:
                plans.add_row(plan.plan, *s.plan_cells(plan))
            console.print(plans)
        console.print()
    for warning in report.warnings:
        console.print(Text(f"! {warning}", style="yellow"))
    return console_text(console, color)
