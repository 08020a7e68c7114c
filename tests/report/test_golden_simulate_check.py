"""simulate and check renderers: exact output against golden files, as analyze has.

The traffic is the report fixture, priced with the fixture's own table only (no shipped
table), routed by the fixture policies in tests/fixtures/policies/. Regenerate after an
intended change with ``LLMAUDIT_UPDATE_SNAPSHOTS=1 python -m pytest tests/report`` and
review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.check.gate import Thresholds
from llmaudit.check.model import CheckReport
from llmaudit.check.run import SameRunBaseline, check
from llmaudit.cli.common import tagger
from llmaudit.ingest import RequestReader
from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.report import RenderOptions
from llmaudit.report.formats import SIMULATE_RENDERERS
from llmaudit.report.formats.check_format import RENDERERS as CHECK_RENDERERS
from llmaudit.report.model import input_files, pricing_sources
from llmaudit.report.simulate_model import SimulateReport
from llmaudit.simulate.collect import collect
from llmaudit.simulate.policy import load_policy
from llmaudit.simulate.run import NamedPolicy, simulate

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).parent / "snapshots"
SUFFIX = {"table": "txt", "json": "json", "csv": "csv", "markdown": "md", "html": "html"}
POLICY = "tests/fixtures/policies/golden.yaml"
BASELINE_POLICY = "tests/fixtures/policies/golden-baseline.yaml"


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> tuple[pd.DataFrame, PriceTable, RequestReader]:
    monkeypatch.chdir(ROOT)  # relative paths in the output, whoever runs the tests
    table = load_pricing(["tests/fixtures/pricing/report.yaml"], include_shipped=False)
    reader = RequestReader(["tests/fixtures/logs/report/audit.jsonl"])
    return collect(reader, table, tagger(None)), table, reader


@pytest.fixture
def simulated(traffic: tuple[pd.DataFrame, PriceTable, RequestReader]) -> SimulateReport:
    frame, table, reader = traffic
    policies = [NamedPolicy(load_policy(p), p) for p in (POLICY, BASELINE_POLICY)]
    return simulate(frame, table, policies, inputs=input_files(reader.stats), pricing=pricing_sources(table))


@pytest.fixture
def checked(traffic: tuple[pd.DataFrame, PriceTable, RequestReader]) -> CheckReport:
    frame, table, _ = traffic
    baseline = SameRunBaseline(load_policy(BASELINE_POLICY), None, f"--baseline-policy {BASELINE_POLICY}")
    return check(frame, table, load_policy(POLICY), baseline, Thresholds(max_increase_pct=5))


def _golden(name: str, text: str) -> None:
    path = SNAPSHOTS / name
    if os.environ.get("LLMAUDIT_UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_every_format_has_a_snapshot() -> None:
    assert set(SIMULATE_RENDERERS) == set(SUFFIX)
    assert set(CHECK_RENDERERS) == set(SUFFIX)


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_simulate_golden(simulated: SimulateReport, fmt: str) -> None:
    _golden(f"simulate.{SUFFIX[fmt]}", SIMULATE_RENDERERS[fmt](simulated, RenderOptions(color=False, width=110)))


@pytest.mark.parametrize("fmt", sorted(SUFFIX))
def test_check_golden(checked: CheckReport, fmt: str) -> None:
    _golden(f"check.{SUFFIX[fmt]}", CHECK_RENDERERS[fmt](checked, RenderOptions(color=False, width=110)))
