"""Reports: the result objects and one pure renderer per output format."""

from llmaudit.report.formats import RENDERERS, RenderOptions, render
from llmaudit.report.model import SCHEMA_VERSION, AnalyzeReport

__all__ = ["RENDERERS", "SCHEMA_VERSION", "AnalyzeReport", "RenderOptions", "render"]
