"""Billed vs list price (fixtures: tests/fixtures/logs/reconcile, see its README)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.analyze.reconcile import BillAccumulator, _verdict
from llmaudit.analyze.run import analyze
from llmaudit.ingest import RequestReader
from llmaudit.pricing import load_pricing
from llmaudit.report import render
from llmaudit.report.model import AnalyzeReport
from tests.conftest import FIXTURES, LOGS

PRICES = FIXTURES / "pricing" / "report.yaml"


def report(name: str) -> AnalyzeReport:
    table = load_pricing([PRICES], include_shipped=False)
    return analyze(RequestReader([str(LOGS / "reconcile" / name)]), table)


def test_a_steady_markup_is_named_with_its_cost() -> None:
    rec = report("markup.csv")
    rows = {r.model: r for r in rec.reconciliation}
    assert rows["gpt-4o"].billed_usd == pytest.approx(0.0036925 + 0.0058025)
    assert rows["gpt-4o"].list_usd == pytest.approx(0.0035 + 0.0055)
    assert rows["gpt-4o"].gap_share == pytest.approx(0.055)
    assert rows["gpt-4o"].typical_ratio == pytest.approx(1.055)
    assert {r.verdict for r in rec.reconciliation} == {"markup"}
    finding = next(f for f in rec.findings if f.id == "billed_above_list")
    assert finding.cost_usd == pytest.approx(0.0093 * 0.055)  # billed 0.0098115 - list 0.0093
    assert "5.5% above list price" in finding.title


def test_costs_that_match_list_price_stay_quiet() -> None:
    rec = report("exact.csv")
    assert {r.verdict for r in rec.reconciliation} == {"matches"}
    assert not [f for f in rec.findings if f.id.startswith("billed")]


def test_reconciliation_is_rendered(monkeypatch: pytest.MonkeyPatch) -> None:
    text = render(report("markup.csv"), "markdown")
    assert "### Billed (as logged) vs list price" in text
    assert "steady markup" in text and "+5.5%" in text


@pytest.mark.parametrize(
    ("ratio", "spread", "verdict"),
    [
        (1.0, 0.0, "matches"),
        (1.004, 0.001, "matches"),
        (1.08, 0.001, "markup"),
        (0.8, 0.001, "below_list"),
        (1.3, 0.4, "inconsistent"),
        (1000.0, 0.0, "unit_error"),  # a per-thousand price somewhere
        (1e-6, 0.0, "unit_error"),
    ],
)
def test_verdicts(ratio: float, spread: float, verdict: str) -> None:
    assert _verdict(ratio, spread) == verdict


def test_spread_is_the_std_of_the_log_ratio(tmp_path: Path) -> None:
    # two requests billed at 1.1x and 0.9x list: log ratios +-0.0953 and -0.1054
    frame = pd.DataFrame(
        {
            "provider": ["p", "p"],
            "priced_provider": ["p", "p"],
            "model": ["m", "m"],
            "priced_model": ["m", "m"],
            "cost_usd": [1.0, 1.0],
            "source_cost_usd": [1.1, 0.9],
        }
    )
    acc = BillAccumulator()
    acc.update(frame)
    row = acc.rows()[0]
    logs = [math.log(1.1), math.log(0.9)]
    mean = sum(logs) / 2
    assert row.typical_ratio == pytest.approx(math.exp(mean))
    assert row.ratio_spread == pytest.approx(math.sqrt(sum((x - mean) ** 2 for x in logs) / 2))
    assert row.verdict == "inconsistent"
