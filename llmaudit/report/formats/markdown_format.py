"""Markdown: the report as a document fit for a pull request, a wiki or an e-mail."""

from __future__ import annotations

from collections.abc import Sequence

from llmaudit.report.fmt import count
from llmaudit.report.formats._sections import (
    BREAKDOWN_HEADER,
    RECONCILIATION_HEADER,
    SAMPLE_HEADER,
    SCORES_HEADER,
    SCORES_TITLE,
    SEVERITY_MARK,
    TAGGED_HEADER,
    breakdown_cells,
    days_shown,
    headline,
    model_label,
    prices_line,
    reconciliation_cells,
    sample_cells,
    score_cells,
    score_note,
    summary_rows,
    tagged_cells,
    tagged_label,
)
from llmaudit.report.model import AnalyzeReport, BreakdownRow, TaggedRow
from llmaudit.report.safety import map_strings, md_text


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()) -> list[str]:
    """A Markdown table; columns whose index is in ``right`` are right-aligned (numbers).

    Cells are written as given: values from logs arrive escaped by ``md_text`` (the
    renderers map it over the whole report first), the rest is llmaudit's own text."""
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _breakdown(title: str, label: str, rows: Sequence[BreakdownRow]) -> list[str]:
    if not rows:
        return []
    table = markdown_table((label, *BREAKDOWN_HEADER), [[r.key, *breakdown_cells(r)] for r in rows], range(1, 8))
    return [f"### {title}", "", *table, ""]


def _tagged(title: str, label: str, rows: Sequence[TaggedRow]) -> list[str]:
    if not rows:
        return []
    table = markdown_table((label, *TAGGED_HEADER), [[tagged_label(r), *tagged_cells(r)] for r in rows], range(1, 6))
    return [f"### {title}", "", *table, ""]


def render(report: AnalyzeReport, options: object) -> str:
    report = map_strings(report, md_text)
    lines = [f"## {headline(report)}", ""]
    lines += markdown_table(("", ""), summary_rows(report))
    lines.append("")
    if report.findings:
        lines += ["### Findings", ""]
        for f in report.findings:
            mark = {"critical": "**Critical:** ", "warning": "**Warning:** ", "info": ""}[f.severity]
            lines.append(f"- {mark}{f.title}. {f.detail}")
        lines.append("")
    lines += [
        "### By model",
        "",
        *markdown_table(
            ("model", "provider", *BREAKDOWN_HEADER),
            [[model_label(r), r.provider or "", *breakdown_cells(r)] for r in report.by_model],
            range(2, 9),
        ),
        "",
    ]
    lines += _breakdown("By provider", "provider", report.by_provider)
    lines += _tagged("By task type", "task type", report.by_task)
    lines += _tagged("By complexity tier", "tier", report.by_tier)
    days, hidden = days_shown(report.by_day)
    lines += _breakdown(
        f"By day ({report.summary.timezone})" + (f", last {len(days)} of {len(days) + hidden}" if hidden else ""),
        "day",
        days,
    )
    for dimension, rows in report.groups.items():
        lines += _breakdown(f"By {dimension}", dimension, rows)
    if report.samples:
        lines += ["### Sample of tagged requests (--sample)", ""]
        lines += markdown_table(SAMPLE_HEADER, [sample_cells(r) for r in report.samples], (1, 2))
        lines.append("")
    if report.scores is not None:
        lines += [f"### {SCORES_TITLE}", "", score_note(report.scores) + ".", ""]
        lines += markdown_table(
            ("model", *SCORES_HEADER), [[r.model, *score_cells(r)] for r in report.scores.by_model], (1, 2, 3)
        )
        lines.append("")
    if report.reconciliation:
        lines += ["### Billed (as logged) vs list price", ""]
        lines += markdown_table(
            ("provider", "model", *RECONCILIATION_HEADER),
            [[r.provider, r.model, *reconciliation_cells(r)] for r in report.reconciliation],
            range(2, 7),
        )
        lines.append("")
    if report.unpriced:
        lines += ["### Unpriced models (not in the total)", ""]
        lines += markdown_table(
            ("model", "requests", "input tokens", "output tokens"),
            [[r.model, count(r.requests), count(r.input_tokens), count(r.output_tokens)] for r in report.unpriced],
            (1, 2, 3),
        )
        lines.append("")
    if report.skipped:
        lines += ["### Skipped lines", ""]
        lines += markdown_table(
            ("reason", "count", "examples", "how to fix"),
            [[s.description, count(s.count), ", ".join(s.examples[:3]), s.hint] for s in report.skipped],
            (1,),
        )
        lines.append("")
    for warning in report.warnings:
        lines.append(f"> {SEVERITY_MARK['warning']} {warning}")
    if report.warnings:
        lines.append("")
    lines.append(f"<sub>{prices_line(report)}. llmaudit {report.tool_version}.</sub>")
    return "\n".join(lines) + "\n"
