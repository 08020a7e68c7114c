"""``simulate --sweep``: the cost-quality curve across strong shares."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from llmaudit.cli import main
from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.simulate import load_policy
from llmaudit.simulate.sweep import sweep
from tests.simulate.test_replay import PRICES, policy, traffic

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> PriceTable:
    path = tmp_path_factory.mktemp("sweep") / "prices.yaml"
    path.write_text(PRICES)
    return load_pricing([path], include_shipped=False)


def test_sweep_is_monotonic_in_strong_share(table: PriceTable) -> None:
    rng = np.random.default_rng(1)
    rows = [
        dict(input_tokens=int(rng.integers(100, 5000)), output_tokens=100, model="claude", difficulty=float(d))
        for d in rng.random(50)
    ]
    p = policy(
        routes=[{"match": {"difficulty": {"strong_share": 0.5}}, "to": {"model": "big"}}, {"to": {"model": "small"}}]
    )
    curve = sweep(traffic(table, rows), table, p)
    shares = [pt.strong_share for pt in curve.points]
    costs = [pt.cost_usd for pt in curve.points]
    assert shares == pytest.approx([pt.target_share for pt in curve.points])
    assert all(b >= a for a, b in itertools.pairwise(costs))
    # The ends by hand: all on small (in 0.5, out 1.5) and all on big (in 10, out 30).
    tokens_in = sum(r["input_tokens"] for r in rows)
    assert costs[0] == pytest.approx((tokens_in * 0.5 + 50 * 100 * 1.5) / 1e6)
    assert costs[-1] == pytest.approx((tokens_in * 10 + 50 * 100 * 30) / 1e6)
    assert curve.points[0].savings_usd == pytest.approx(curve.baseline_cost_usd - costs[0])


def test_sweep_json_and_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    example = ROOT / "examples/policies/difficulty.yaml"
    load_policy(example)  # the documented example loads
    args = ["simulate", str(ROOT / "sample_logs"), "-P", str(example), "--sweep", "-f", "json", "-q"]
    assert main([*args, "--quality", str(ROOT / "examples/quality.yaml")]) == 0
    data = json.loads(capsys.readouterr().out)
    points = data["points"]
    assert [p["target_share"] for p in points] == [i / 10 for i in range(11)]
    assert all(b["cost_usd"] >= a["cost_usd"] for a, b in itertools.pairwise(points))
    assert all(p["expected_quality"] is not None for p in points)
    assert data["route"] == "hard"

    flat = tmp_path / "flat.yaml"
    flat.write_text("schema_version: 1\nname: flat\nroutes:\n  - to: {model: gpt-4.1-mini}\n")
    assert main(["simulate", str(ROOT / "sample_logs"), "-P", str(flat), "--sweep", "-q"]) == 2
    assert "no route matching on difficulty" in capsys.readouterr().err
