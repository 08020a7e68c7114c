"""CSV: every breakdown as one tidy table (``dimension``, ``key``, then the measures)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from llmaudit.report.formats.json_format import clean
from llmaudit.report.model import AnalyzeReport
from llmaudit.report.safety import csv_text, map_strings

COLUMNS = (
    "dimension",
    "key",
    "requests",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
    "cost_usd",
    "share",
    "unpriced_requests",
)


def render(report: AnalyzeReport, options: object) -> str:
    report = map_strings(report, csv_text)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    sections: list[tuple[str, Sequence[Any]]] = [
        ("model", report.by_model),
        ("provider", report.by_provider),
        ("day", report.by_day),
        ("task_type", report.by_task),
        ("complexity_tier", report.by_tier),
        *report.groups.items(),
    ]
    for dimension, rows in sections:
        for row in rows:
            values = clean(asdict(row))
            writer.writerow({"dimension": dimension, **{k: "" if v is None else v for k, v in values.items()}})
    return out.getvalue()
