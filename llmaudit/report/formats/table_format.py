"""The terminal report: rich tables, colour only when the CLI says the terminal wants it."""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table
from rich.text import Text

from llmaudit.report.fmt import count
from llmaudit.report.formats._fit import FitTable
from llmaudit.report.formats._sections import (
    BREAKDOWN_HEADER,
    RECONCILIATION_HEADER,
    SAMPLE_HEADER,
    SCORES_HEADER,
    SCORES_TITLE,
    SEVERITY_MARK,
    TAGGED_HEADER,
    breakdown_cells,
    breakdown_columns,
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
from llmaudit.report.safety import map_strings, term_text

_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def _new_table(
    title: str, label_columns: Sequence[str], numeric: Sequence[str], labels: Sequence[str] = ()
) -> FitTable:
    """Label columns, then numeric ones: see ``FitTable`` for how neither is ever cut.

    Label cells may wrap between words (a name has none, so it stays whole); ``labels`` is
    kept for the callers' convenience: the layout measures the cells themselves.
    """
    del labels
    table = FitTable(title)
    for name in label_columns:
        table.add_column(name, wrap=True)
    for name in numeric:
        table.add_column(name, numeric=True)
    return table


def new_console(options: object) -> tuple[Console, bool, int]:
    """A console that records into a string at ``options.width``, in colour only if ``options.color``."""
    color = bool(getattr(options, "color", False))
    width = int(getattr(options, "width", 100))
    console = Console(
        file=io.StringIO(),
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
        # Cells are plain text: a model named "[link=...]" must not become rich markup.
        markup=False,
    )
    return console, color, width


def console_text(console: Console, color: bool) -> str:
    """What ``new_console`` recorded. Rich pads every line to the width; plain text should not
    carry trailing blanks."""
    rendered: str = console.file.getvalue()  # type: ignore[attr-defined]
    return rendered if color else "\n".join(line.rstrip() for line in rendered.split("\n"))


def _breakdown(title: str, label: str, rows: Sequence[BreakdownRow], shown: Sequence[int]) -> FitTable:
    table = _new_table(title, (label,), [BREAKDOWN_HEADER[i] for i in shown], [r.key for r in rows])
    for row in rows:
        cells = breakdown_cells(row)
        table.add_row(row.key, *(cells[i] for i in shown))
    return table


def _tagged(title: str, label: str, rows: Sequence[TaggedRow]) -> FitTable:
    labels = [tagged_label(r) for r in rows]
    table = _new_table(title, (label,), TAGGED_HEADER[:-1], labels)
    table.add_column(TAGGED_HEADER[-1], wrap=True)
    for row, text in zip(rows, labels, strict=True):
        table.add_row(text, *tagged_cells(row))
    return table


def render(report: AnalyzeReport, options: object) -> str:
    report = map_strings(report, term_text)
    console, color, width = new_console(options)
    console.print(Text(headline(report), style="bold"))
    summary = Table.grid(padding=(0, 2))
    summary.add_column(style="bold")
    summary.add_column(overflow="fold")
    for label, value in summary_rows(report):
        summary.add_row(label, value)
    console.print(summary)
    console.print()

    if report.findings:
        console.print(Text("Findings", style="bold"))
        findings = Table.grid(padding=(0, 1))
        findings.add_column(width=3, justify="right")
        findings.add_column(overflow="fold")
        for f in report.findings:
            text = Text(f"{f.title}. ", style="bold" if f.severity != "info" else "")
            text.append(f.detail)
            findings.add_row(Text(SEVERITY_MARK[f.severity], style=_STYLE[f.severity]), text)
        console.print(findings)
        console.print()

    shown = breakdown_columns(width)
    by_model = _new_table(
        "By model",
        ("model", "provider"),
        [BREAKDOWN_HEADER[i] for i in shown],
        [model_label(r) for r in report.by_model],
    )
    for row in report.by_model:
        cells = breakdown_cells(row)
        by_model.add_row(model_label(row), row.provider or "", *(cells[i] for i in shown))
    console.print(by_model)
    if len(report.by_provider) > 1:
        console.print(_breakdown("By provider", "provider", report.by_provider, shown))
    if report.by_task:
        console.print(_tagged("By task type", "task type", report.by_task))
    if report.by_tier:
        console.print(_tagged("By complexity tier", "tier", report.by_tier))
    days, hidden = days_shown(report.by_day)
    if days:
        title = f"By day ({report.summary.timezone})" + (
            f", last {len(days)} of {len(days) + hidden}" if hidden else ""
        )
        console.print(_breakdown(title, "day", days, shown))
    for dimension, rows in report.groups.items():
        console.print(_breakdown(f"By {dimension}", dimension, rows, shown))

    if report.samples:
        table = _new_table("Sample of tagged requests (--sample)", SAMPLE_HEADER, ())
        for sample in report.samples:
            table.add_row(*sample_cells(sample))
        console.print(table)
    if report.scores is not None:
        scored = report.scores.by_model
        table = _new_table(SCORES_TITLE, ("model",), SCORES_HEADER, [s.model for s in scored])
        for score_row in scored:
            table.add_row(score_row.model, *score_cells(score_row))
        console.print(table)
        console.print(Text(f"Scores {score_note(report.scores)}."))
        console.print()
    if report.reconciliation:
        table = _new_table(
            "Billed (as logged) vs list price",
            ("provider", "model"),
            RECONCILIATION_HEADER,
            [r.provider for r in report.reconciliation],
        )
        for rec in report.reconciliation:
            table.add_row(rec.provider, rec.model, *reconciliation_cells(rec))
        console.print(table)
    if report.unpriced:
        table = _new_table(
            "Unpriced models (not in the total)",
            ("model",),
            ("requests", "input tokens", "output tokens"),
            [r.model for r in report.unpriced],
        )
        for r in report.unpriced:
            table.add_row(r.model, count(r.requests), count(r.input_tokens), count(r.output_tokens))
        console.print(table)
    if report.skipped:
        table = _new_table("Skipped lines", ("reason", "examples", "how to fix"), ("count",))
        for s in report.skipped:
            table.add_row(s.description, ", ".join(s.examples[:3]), s.hint, count(s.count))
        console.print(table)
    for warning in report.warnings:
        console.print(Text(f"{SEVERITY_MARK['warning']} {warning}", style="yellow"))
    console.print(Text(prices_line(report), style="dim"))
    return console_text(console, color)
