"""``simulate --sweep``: the cost-quality curve as a terminal table, markdown, CSV or JSON."""

from __future__ import annotations

import csv
import io

from llmaudit.report.fmt import count, money, pct
from llmaudit.report.formats import json_format
from llmaudit.report.formats.table_format import _new_table, console_text, new_console
from llmaudit.simulate.sweep import SweepPoint, SweepReport

HEADER = ("target share", "threshold", "strong share", "cost", "savings", "savings %", "expected quality")


def _cells(report: SweepReport, p: SweepPoint) -> list[str]:
    cells = [
        pct(p.target_share, 0),
        "-" if p.threshold is None else f"{p.threshold:.3f}",
        pct(p.strong_share),
        money(p.cost_usd),
        money(p.savings_usd),
        pct(p.savings_share),
    ]
    if report.baseline_quality is not None:
        cells.append("-" if p.expected_quality is None else f"{p.expected_quality:.3f}")
    return cells


def _header(report: SweepReport) -> list[str]:
    return list(HEADER if report.baseline_quality is not None else HEADER[:-1])


def _headline(report: SweepReport) -> str:
    quality = "" if report.baseline_quality is None else f", expected quality {report.baseline_quality:.3f}"
    return (
        f"Sweep of policy {report.policy!r}, route {report.route!r}: {count(report.requests)} requests "
        f"({count(report.scored_requests)} with a difficulty score); baseline {money(report.baseline_cost_usd)}"
        f"{quality}"
    )


def render_table(report: SweepReport, options: object) -> str:
    console, color, _ = new_console(options)
    console.print(_headline(report))
    table = _new_table("Cost-quality curve (strong share = requests the route took)", (), _header(report))
    for p in report.points:
        table.add_row(*_cells(report, p))
    console.print(table)
    return console_text(console, color)


def render_markdown(report: SweepReport, options: object) -> str:
    header = _header(report)
    lines = [f"# {_headline(report)}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cells(report, p)) + " |" for p in report.points]
    return "\n".join(lines) + "\n"


def render_csv(report: SweepReport, options: object) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    fields = [f for f in SweepPoint.__dataclass_fields__]
    writer.writerow(["policy", "route", *fields])
    for p in report.points:
        writer.writerow(
            [report.policy, report.route, *("" if getattr(p, f) is None else getattr(p, f) for f in fields)]
        )
    return out.getvalue()


RENDERERS = {
    "table": render_table,
    "markdown": render_markdown,
    "csv": render_csv,
    "json": lambda report, options: json_format.dumps(report.to_dict()),
}
