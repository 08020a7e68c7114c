"""JSON: the stable machine contract (sorted keys, ``schema_version``, NaN as null)."""

from __future__ import annotations

import json
import math
from typing import Any

from llmaudit.report.model import AnalyzeReport

# Money keeps sub-micro-dollar precision; this only trims binary float noise.
_DECIMALS = 10


def clean(value: Any) -> Any:
    """Plain JSON types: floats rounded to 10 decimals, NaN/inf as null, tuples as lists."""
    if isinstance(value, float):
        return round(value, _DECIMALS) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    return value


def dumps(data: Any) -> str:
    return json.dumps(clean(data), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def render(report: AnalyzeReport, options: object) -> str:
    return dumps(report.to_dict())
