"""The worked example from the seeds, reproduced exactly (and its markups computed).

A gateway pricing article (docs/formats.md, "Price sources"): 10M requests a month, 800 tokens each, at a blended
$7 per million tokens on a flagship = $56,000. With 60% of traffic (tiers 0-1) on a
$0.50/M model, 30% (tier 2) on the flagship and 10% (tier 3) on the flagship plus a
verification pass costing half as much again: 2,400 + 16,800 + 8,400 = $27,600, -51%.

Here 100,000 requests over a period of 30.4375 / 100 days stand for the month (the
monthly projection scales by exactly 100). Markups are computed on the routed bill:
5% of 27,600 = 1,380 and 10% = 2,760 (the article's own "$1,920" and "$3,840" are not
5% and 10% of $27,600; we compute, not copy).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmaudit.analyze.projection import DAYS_PER_MONTH
from llmaudit.pricing import load_pricing, price_requests
from llmaudit.schema import COLLECTED
from llmaudit.simulate import Policy
from llmaudit.simulate.run import NamedPolicy, simulate
from tests.conftest import complete, requests_frame

N = 100_000
PRICES = """\
schema_version: 1
name: seeds
source: the article's blended prices
as_of: 2026-06-01
models:
  flagship: {provider: openai, input: 7.00, output: 7.00, context_window: 128000}
  budget: {provider: openai, input: 0.50, output: 0.50, context_window: 128000}
"""
POLICY = {
    "schema_version": 1,
    "name": "four tiers",
    "tiers": {"budget": ["budget"], "frontier": ["flagship"]},
    "routes": [
        {"match": {"complexity_tier": [0, 1]}, "to": {"tier": "budget"}},
        {"match": {"complexity_tier": [2]}, "to": {"tier": "frontier"}},
        {
            "match": {"complexity_tier": [3]},
            "to": {"tier": "frontier"},
            "verify": {"model": "flagship", "token_scale": 0.5},
        },
    ],
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("seeds") / "prices.yaml"
    path.write_text(PRICES)
    table = load_pricing([path], include_shipped=False)
    tiers = np.repeat([0, 1, 2, 3], [30_000, 30_000, 30_000, 10_000])
    seconds = np.linspace(0, DAYS_PER_MONTH / 100 * 86400, N)
    frame = requests_frame([{"model": "flagship", "input_tokens": 600, "output_tokens": 200}] * N)
    frame = frame.assign(
        status="ok",
        complexity_tier=tiers,
        task_type="qa",
        tag_confidence=1.0,
        tool_count=0,
        prompt_hash=np.uint64(0),
        timestamp=pd.Timestamp("2026-03-01T00:00:00Z") + pd.to_timedelta(seconds, unit="s"),
        provider="openai",
        **dict.fromkeys(("tags", "feature", "user", "team", "project"), None),
    )
    priced = complete(price_requests(frame, table), COLLECTED)
    return simulate(priced, table, [NamedPolicy(Policy.model_validate(POLICY), "inline")])


def test_baseline_is_56000_a_month(report) -> None:  # type: ignore[no-untyped-def]
    # 10M requests x 800 tokens x $7 per million
    assert report.baseline.projected_monthly_cost_usd == pytest.approx(10_000_000 * 800 * 7 / 1e6)


def test_tiered_policy_is_27600_a_month(report) -> None:  # type: ignore[no-untyped-def]
    policy = report.policies[0]
    # 6M x 800 x 0.50/M + 3M x 800 x 7/M + 1M x 800 x 7/M x 1.5 = 2,400 + 16,800 + 8,400
    assert policy.projected_monthly_cost_usd == pytest.approx(2_400 + 16_800 + 8_400)
    assert policy.savings_share == pytest.approx(1 - 27_600 / 56_000)  # 50.7%, the article's "-51%"
    tiers = {row.key: row for row in policy.by_tier}
    assert tiers["tier 0"].moved_to == ("budget",)
    # tier 3 over the logged period: 10,000 x 800 x $7/M = $56 on the flagship either way, plus a
    # verification pass at half size: $28 more, so the policy "saves" -$28 there
    assert tiers["tier 3"].baseline_cost_usd == pytest.approx(56)
    assert tiers["tier 3"].savings_usd == pytest.approx(-28)


def test_gateway_markups_are_computed_not_copied(report) -> None:  # type: ignore[no-untyped-def]
    markup = {row.seller: row for row in report.policies[0].markup}
    assert markup["direct"].monthly_cost_usd == pytest.approx(27_600)
    assert markup["5% markup"].fees_monthly_usd == pytest.approx(1_380)
    assert markup["10% markup"].monthly_cost_usd == pytest.approx(30_360)
    assert markup["10% markup"].annual_cost_usd == pytest.approx(30_360 * 12)
