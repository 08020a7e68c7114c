"""Price confidence: a ``confidence`` field in the schema, and only checked (high) prices
choose the overspend finding's cheapest fit."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmaudit.analyze.overspend import Overspend
from llmaudit.pricing import load_pricing, validate_pricing
from llmaudit.pricing.cost import price_requests
from llmaudit.schema import TAGGED
from tests.conftest import complete, requests_frame

TABLE = """\
schema_version: 1
name: conf
source: tests
as_of: 2026-11-01
models:
  frontier:
    input: 10.00
    output: 40.00
    context_window: 100000
  rumoured:
    input: 0.01
    output: 0.01
    context_window: 100000
    confidence: low
  aggregated:
    input: 0.05
    output: 0.05
    context_window: 100000
    confidence: medium
  checked:
    input: 0.10
    output: 0.40
    context_window: 100000
    confidence: high
"""


def write(tmp_path: Path, text: str = TABLE) -> Path:
    path = tmp_path / "conf.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_confidence_defaults_to_high_and_is_read(tmp_path: Path) -> None:
    table = load_pricing([write(tmp_path)], include_shipped=False)
    assert {m.name: m.confidence for m in table.models} == {
        "aggregated": "medium",
        "checked": "high",
        "frontier": "high",
        "rumoured": "low",
    }


def test_an_unknown_confidence_is_an_error_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, TABLE.replace("confidence: low", "confidence: shaky"))
    [error] = validate_pricing([path], include_shipped=False).errors
    assert (error.line, error.field) == (14, "models.rumoured.confidence")  # line 14: "    confidence: shaky"


def test_the_cheapest_fit_uses_checked_prices_only(tmp_path: Path) -> None:
    table = load_pricing([write(tmp_path)], include_shipped=False)
    finder = Overspend(table)
    assert finder.candidates == ["checked", "frontier"]  # not rumoured ($0.01) nor aggregated ($0.05)
    frame = requests_frame([{"model": "frontier", "input_tokens": 1000, "output_tokens": 100, "status": "ok"}])
    frame["complexity_tier"] = 0
    frame["task_type"] = "classification"  # an untagged request is never called easy
    out = finder.annotate(price_requests(complete(frame, TAGGED), table))
    # on checked: 1000 x 0.10e-6 + 100 x 0.40e-6 = 0.00014
    assert list(out["cheapest_fit_model"]) == ["checked"]
    assert out["cheapest_fit_cost_usd"].tolist() == pytest.approx([0.00014])


def test_a_low_confidence_price_is_never_frontier(tmp_path: Path) -> None:
    text = TABLE.replace("  frontier:\n", "  frontier:\n    confidence: low\n")
    assert "frontier" not in Overspend(load_pricing([write(tmp_path, text)], include_shipped=False)).frontier


def test_the_shipped_headline_no_longer_rests_on_a_low_confidence_price() -> None:
    table = load_pricing()
    assert table.get("qwen3-8b").confidence == "low"
    assert "qwen3-8b" not in Overspend(table).candidates
