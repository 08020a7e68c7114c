"""Renderers: exact output against golden files, and the JSON/CSV contracts.

Golden files live in tests/report/snapshots/. After an intended change to a renderer,
regenerate them with ``LLMAUDIT_UPDATE_SNAPSHOTS=1 python -m pytest tests/report`` and
review the diff before committing.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from llmaudit.analyze.run import AnalyzeOptions, analyze
from llmaudit.ingest import RequestReader
from llmaudit.pricing import load_pricing
from llmaudit.report import RENDERERS, SCHEMA_VERSION, AnalyzeReport, RenderOptions, render

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots"
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md", "html": "html"}


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch) -> AnalyzeReport:
    monkeypatch.chdir(ROOT)  # relative paths in the output, whoever runs the tests
    table = load_pricing(["tests/fixtures/pricing/report.yaml"], include_shipped=False)
    reader = RequestReader(["tests/fixtures/logs/report/audit.jsonl"])
    return analyze(reader, table, AnalyzeOptions(group_by=("user", "feature")))


def test_every_renderer_has_a_snapshot() -> None:
    assert set(RENDERERS) == set(SUFFIX)


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_golden(report: AnalyzeReport, fmt: str) -> None:
    text = render(report, fmt, RenderOptions(color=False, width=110))
    path = SNAPSHOTS / f"analyze.{SUFFIX[fmt]}"
    if os.environ.get("LLMAUDIT_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_json_contract(report: AnalyzeReport) -> None:
    data = json.loads(render(report, "json"))
    assert data["schema_version"] == SCHEMA_VERSION
    s = data["summary"]
    for key in (
        "requests",
        "skipped_lines",
        "total_cost_usd",
        "projected_monthly_cost_usd",
        "unpriced_requests",
    ):
        assert key in s
    assert s["total_cost_usd"] == pytest.approx(0.051025)
    for row in data["by_model"]:
        assert {"model", "requests", "input_tokens", "output_tokens", "cost_usd"} <= set(row)
    assert {"reason", "count", "examples"} <= set(data["skipped"][0])
    assert data["unpriced"] == [{"model": "mystery-model-x", "requests": 1, "input_tokens": 500, "output_tokens": 50}]
    assert next(r for r in data["by_model"] if r["model"] == "mystery-model-x")["cost_usd"] is None


def test_json_is_deterministic(report: AnalyzeReport) -> None:
    assert render(report, "json") == render(report, "json")


def test_csv_rows_add_up(report: AnalyzeReport) -> None:
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    by_model = [r for r in rows if r["dimension"] == "model"]
    assert sum(float(r["cost_usd"] or 0) for r in by_model) == pytest.approx(0.051025)
    assert {r["dimension"] for r in rows} == {
        "model",
        "provider",
        "day",
        "task_type",
        "complexity_tier",
        "user",
        "feature",
    }
    for dimension in ("task_type", "complexity_tier"):  # each tagging breakdown covers every request once
        assert sum(float(r["cost_usd"] or 0) for r in rows if r["dimension"] == dimension) == pytest.approx(0.051025)


def test_color_only_when_asked(report: AnalyzeReport) -> None:
    assert "\x1b[" not in render(report, "table", RenderOptions(color=False))
    assert "\x1b[" in render(report, "table", RenderOptions(color=True))


def test_prompt_text_never_appears(report: AnalyzeReport) -> None:
    for fmt in RENDERERS:
        assert "refund request" not in render(report, fmt)
