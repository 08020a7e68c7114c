"""Reports: the result objects and one pure renderer per output format.

The names below load on first use (PEP 562), so importing one leaf module of this
package (``report.fmt``, ``report.safety``, ``report.model``) does not import every
renderer and what they stand on.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llmaudit.report.formats import RENDERERS, RenderOptions, render
    from llmaudit.report.model import SCHEMA_VERSION, AnalyzeReport

_HOMES = {
    "RENDERERS": "llmaudit.report.formats",
    "RenderOptions": "llmaudit.report.formats",
    "render": "llmaudit.report.formats",
    "SCHEMA_VERSION": "llmaudit.report.model",
    "AnalyzeReport": "llmaudit.report.model",
}

__all__ = ["RENDERERS", "SCHEMA_VERSION", "AnalyzeReport", "RenderOptions", "render"]


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
