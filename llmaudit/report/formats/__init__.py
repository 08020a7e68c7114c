"""One pure renderer per output format, registered by name (the CLI's --format choices)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llmaudit.report.formats import csv_format, json_format, markdown_format, table_format
from llmaudit.report.model import AnalyzeReport


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
}


def render(report: AnalyzeReport, fmt: str, options: RenderOptions | None = None) -> str:
    """Render ``report`` as ``fmt`` (a key of ``RENDERERS``)."""
    return RENDERERS[fmt](report, options or RenderOptions())
