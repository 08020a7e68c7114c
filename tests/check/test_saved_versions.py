"""A baseline saved by an older llmaudit (schema 1.0) still works with ``check --baseline``.

tests/fixtures/baselines/v1.0-project.json is written by hand in the 1.0 shape (see its
README): the project of tests/check/project.py under policy ``prod`` at $25.00 a month.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.check.baseline import load_baseline
from llmaudit.cli import main
from tests.check.project import write_project

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "baselines" / "v1.0-project.json"


def test_a_1_0_baseline_loads() -> None:
    saved = load_baseline(V1)
    assert saved.policy.name == "prod"
    # $25.00 over exactly one month (30.4375 days) is $25.00 a month, by tier and model as saved.
    assert saved.step.monthly_usd == pytest.approx(25.0)
    assert saved.step.by_model == pytest.approx({"budget-y": 2.0, "frontier-x": 23.0})
    assert saved.step.by_tier == pytest.approx({"tier 0": 23.0, "tier 1": 2.0})
    assert saved.requests == 20 and saved.monthly_requests == 20


def test_check_against_a_1_0_baseline(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = write_project(tmp_path)
    args = ["check", "--config", str(root / "llmaudit.yaml"), "-q", "--baseline", str(V1), "-f", "json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    # The head is the same policy over the same traffic and prices: $25.00 a month on both sides.
    assert report["baseline"]["monthly_cost_usd"] == pytest.approx(25.0)
    assert report["head"]["monthly_cost_usd"] == pytest.approx(25.0)
    assert report["change_usd"] == pytest.approx(0.0, abs=1e-9)
    assert report["verdict"]["passed"]
