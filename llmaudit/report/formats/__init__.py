"""One pure renderer per output format, registered by name (the CLI's --format choices)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llmaudit.report.formats import (
    csv_format,
    html_format,
    json_format,
    markdown_format,
    simulate_csv,
    simulate_html,
    simulate_markdown,
    simulate_table,
    table_format,
)
from llmaudit.report.model import AnalyzeReport
from llmaudit.report.simulate_model import SimulateReport


@dataclass(frozen=True)
class RenderOptions:
    """How to render: colour (table only) and the width to lay tables out in."""

    color: bool = False
    width: int = 100


Renderer = Callable[[AnalyzeReport, RenderOptions], str]

RENDERERS: dict[str, Renderer] = {
    "table": table_format.render,
    "json": json_format.render,
    "csv": csv_format.render,
    "markdown": markdown_format.render,
    "html": html_format.render,
}


SIMULATE_RENDERERS: dict[str, Callable[[SimulateReport, RenderOptions], str]] = {
    "table": simulate_table.render,
    "json": lambda report, options: json_format.dumps(report.to_dict()),
    "csv": simulate_csv.render,
    "markdown": simulate_markdown.render,
    "html": simulate_html.render,
}


def render(report: AnalyzeReport | SimulateReport, fmt: str, options: RenderOptions | None = None) -> str:
    """Render ``report`` as ``fmt`` (a key of ``RENDERERS``; simulate reports have the same keys)."""
    if isinstance(report, SimulateReport):
        return SIMULATE_RENDERERS[fmt](report, options or RenderOptions())
    return RENDERERS[fmt](report, options or RenderOptions())
