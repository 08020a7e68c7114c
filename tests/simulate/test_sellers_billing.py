"""The simulator's sellers section and ``billing.seller``, against hand-computed bills.

The traffic is four requests over exactly one average month (30.4375 days, so the
monthly projection is the period itself and fees apply unscaled), all logged on ``big``
(input $10 / output $20 per million tokens). The policy moves the two tier-0 requests
to ``small`` ($1 / $2):

    request  tier  tokens in / out   routed to   list price
    r1       0     1.0M / 0.5M       small       1.0 x 1 + 0.5 x 2 =  $2.00
    r2       0     2.0M / 1.0M       small       2.0 x 1 + 1.0 x 2 =  $4.00
    r3       2     1.0M / 1.0M       big         1.0 x 10 + 1.0 x 20 = $30.00
    r4       2     3.0M / 0          big         3.0 x 10           = $30.00
                                                 policy at list      = $66.00
    baseline (all four on big): 20 + 40 + 30 + 30 = $120.00

Every expected number is worked out in the comment beside it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmaudit.analyze.projection import DAYS_PER_MONTH
from llmaudit.cli import main
from llmaudit.errors import ConfigError
from llmaudit.pricing import PriceTable, load_pricing, price_requests
from llmaudit.report import render
from llmaudit.report.simulate_model import MarkupRow, SimulateReport
from llmaudit.schema import COLLECTED
from llmaudit.simulate import Policy, load_policy, replay
from llmaudit.simulate.run import NamedPolicy, simulate
from llmaudit.tagging import tag_requests
from tests.conftest import complete, requests_frame

ROOT = Path(__file__).resolve().parents[2]
PRICES = """\
schema_version: 1
name: tiny
source: tests
as_of: 2026-11-01
models:
  big: {provider: openai, input: 10.00, output: 20.00}
  small: {provider: openai, input: 1.00, output: 2.00}
sellers:
  direct: {kind: direct, source: tests, as_of: 2026-11-01, unlisted_models: list_price}
  gw:
    kind: gateway
    source: tests
    as_of: 2026-11-01
    unlisted_models: list_price
    markup_pct: 10
    per_request_usd: 0.25
    credit_fee: {pct: 5, min_usd: 5.00}
    byok_fee: {pct: 5, free_requests_per_month: 3}
    fx_fee_pct: 2
    models:
      small: {input: 2.00, output: 4.00}
  card:
    kind: reseller
    source: tests
    as_of: 2026-11-01
    unlisted_models: list_price
    credit_fee: {pct: 5, min_usd: 3.00}
  agg:
    kind: aggregator
    source: tests
    as_of: 2026-11-01
    unlisted_models: unpriced
    models:
      small: {input: 0.50, output: 1.00}
"""
POLICY = {
    "schema_version": 1,
    "name": "small-for-easy",
    "routes": [{"match": {"complexity_tier": [0]}, "to": {"model": "small"}}],
}
START = pd.Timestamp("2026-03-01T00:00:00Z")


def frame_of(rows: list[dict[str, object]], tiers: list[int], table: PriceTable) -> pd.DataFrame:
    """Priced, tagged requests spread evenly over exactly one average month."""
    n = len(rows)
    seconds = np.linspace(0, DAYS_PER_MONTH * 86400, n)
    frame = requests_frame(rows).assign(
        status="ok",
        complexity_tier=tiers,
        task_type="qa",
        tag_confidence=1.0,
        tool_count=0,
        prompt_hash=np.arange(n, dtype=np.uint64),
        timestamp=START + pd.to_timedelta(seconds, unit="s"),
        provider="openai",
        **dict.fromkeys(("tags", "feature", "user", "team", "project"), None),
    )
    return complete(price_requests(frame, table), COLLECTED)


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> PriceTable:
    path = tmp_path_factory.mktemp("sellers") / "tiny.yaml"
    path.write_text(PRICES)
    return load_pricing([path], include_shipped=False)


@pytest.fixture(scope="module")
def frame(table: PriceTable) -> pd.DataFrame:
    rows = [
        {"model": "big", "input_tokens": 1_000_000, "output_tokens": 500_000},
        {"model": "big", "input_tokens": 2_000_000, "output_tokens": 1_000_000},
        {"model": "big", "input_tokens": 1_000_000, "output_tokens": 1_000_000},
        {"model": "big", "input_tokens": 3_000_000, "output_tokens": 0},
    ]
    return frame_of(rows, [0, 0, 2, 2], table)


def run(frame: pd.DataFrame, table: PriceTable, **billing: object) -> SimulateReport:
    policy = Policy.model_validate({**POLICY, "billing": billing} if billing else POLICY)
    return simulate(frame, table, [NamedPolicy(policy, "inline")])


def rows(report: SimulateReport) -> dict[str, MarkupRow]:
    return {row.seller: row for row in report.policies[0].markup}


def test_the_frame_is_the_documented_traffic(frame: pd.DataFrame, table: PriceTable) -> None:
    report = run(frame, table)
    assert report.baseline.period_days == pytest.approx(DAYS_PER_MONTH)
    assert report.baseline.total_cost_usd == pytest.approx(120.00)
    assert report.policies[0].total_cost_usd == pytest.approx(66.00)
    assert report.policies[0].projected_monthly_cost_usd == pytest.approx(66.00)


def test_one_row_per_seller_then_the_generic_markups(frame: pd.DataFrame, table: PriceTable) -> None:
    names = [row.seller for row in run(frame, table).policies[0].markup]
    # sellers by name (gw has a BYOK fee, so a second row on your own keys), then the scenarios
    assert names == ["agg", "card", "direct", "gw", "gw (BYOK)", "5% markup", "10% markup"]


def test_gateway_with_markup_per_request_fee_credit_minimum_and_fx(frame: pd.DataFrame, table: PriceTable) -> None:
    gw = rows(run(frame, table))["gw"]
    # gw's own price for small (no markup on it) + $0.25 a request:
    #   r1 1.0 x 2 + 0.5 x 4 = 4.00 + 0.25 = 4.25;  r2 2.0 x 2 + 1.0 x 4 = 8.00 + 0.25 = 8.25
    # big at list + 10%: r3 30 x 1.1 = 33.00 + 0.25 = 33.25;  r4 30 x 1.1 + 0.25 = 33.25
    # tokens: 4.25 + 8.25 + 33.25 + 33.25 = 79.00
    assert gw.token_cost_monthly_usd == pytest.approx(79.00)
    # credit purchase: 5% of 79.00 = 3.95, below the $5.00 minimum -> 5.00
    # FX: 2% of what gw bills (79.00 + 5.00) = 1.68
    fees = {f.name: f.usd for f in gw.fees}
    assert fees == pytest.approx({"credit_purchase": 5.00, "fx": 1.68})
    assert gw.fees_monthly_usd == pytest.approx(6.68)
    assert gw.monthly_cost_usd == pytest.approx(85.68)  # 79.00 + 5.00 + 1.68
    assert gw.annual_cost_usd == pytest.approx(1_028.16)  # 85.68 x 12
    assert gw.vs_direct_monthly_usd == pytest.approx(19.68)  # 85.68 - 66.00 at list prices
    assert gw.period_cost_usd == pytest.approx(85.68)  # the period is one month
    assert gw.kind == "gateway" and not gw.byok and gw.unpriced_requests == 0


def test_credit_fee_above_its_minimum(frame: pd.DataFrame, table: PriceTable) -> None:
    card = rows(run(frame, table))["card"]
    # list prices: 66.00; 5% = 3.30, above the $3.00 minimum -> 3.30; no other fee
    assert card.token_cost_monthly_usd == pytest.approx(66.00)
    assert card.fees_monthly_usd == pytest.approx(3.30)
    assert card.monthly_cost_usd == pytest.approx(69.30)
    assert [f.name for f in card.fees] == ["credit_purchase"]


def test_byok_pays_list_prices_and_a_fee_above_the_free_volume(frame: pd.DataFrame, table: PriceTable) -> None:
    byok = rows(run(frame, table))["gw (BYOK)"]
    # the providers bill the tokens at list prices: 66.00
    # BYOK fee: 4 requests a month, 3 free -> 1 of 4 charged; 5% of a quarter of what the traffic
    # costs through gw (79.00): 79.00 / 4 x 5% = 0.9875; FX 2% of the 0.9875 gw bills = 0.01975
    assert byok.byok and byok.token_cost_monthly_usd == pytest.approx(66.00)
    assert {f.name: f.usd for f in byok.fees} == pytest.approx({"byok": 0.9875, "fx": 0.01975})
    assert byok.monthly_cost_usd == pytest.approx(67.00725)  # 66 + 0.9875 + 0.01975
    assert byok.vs_direct_monthly_usd == pytest.approx(1.00725)


def test_byok_within_the_free_volume_costs_list_prices(frame: pd.DataFrame, table: PriceTable) -> None:
    # r1..r3 alone over the same month: 3 requests, all within the free 3: no BYOK fee, so no FX
    three = frame_of(frame[["model", "input_tokens", "output_tokens"]].iloc[:3].to_dict("records"), [0, 0, 2], table)
    byok = rows(run(three, table))["gw (BYOK)"]
    assert byok.fees_monthly_usd == 0.0 and byok.fees == ()
    assert byok.monthly_cost_usd == pytest.approx(36.00)  # list: 2 + 4 + 30


def test_a_seller_that_does_not_sell_a_routed_model_says_so(frame: pd.DataFrame, table: PriceTable) -> None:
    agg = rows(run(frame, table))["agg"]
    # agg sells only small: r3 and r4 stay on big, which agg does not sell
    assert agg.unpriced_requests == 2 and agg.unpriced_models == ("big",)
    assert agg.monthly_cost_usd is None and agg.annual_cost_usd is None and agg.vs_direct_monthly_usd is None
    # the part it does sell: r1 0.5 + 0.5 x 1 = 1.00, r2 2 x 0.5 + 1 x 1 = 2.00 -> 3.00 (not a total)
    assert agg.token_cost_monthly_usd == pytest.approx(3.00)
    assert "does not sell big: 2 requests unpriced" in agg.description


def test_direct_seller_and_generic_markups_price_the_list_bill(frame: pd.DataFrame, table: PriceTable) -> None:
    got = rows(run(frame, table))
    assert got["direct"].monthly_cost_usd == pytest.approx(66.00) and got["direct"].fees_monthly_usd == 0
    assert got["5% markup"].monthly_cost_usd == pytest.approx(69.30)  # 66 x 1.05
    assert got["10% markup"].fees_monthly_usd == pytest.approx(6.60)  # 10% of 66


def test_billing_seller_makes_the_seller_bill_the_policy_cost(frame: pd.DataFrame, table: PriceTable) -> None:
    report = run(frame, table, seller="gw")
    p = report.policies[0]
    assert p.billed_by == "gw"
    # the gw bill above: 79.00 tokens + 5.00 credit fee + 1.68 FX
    assert p.total_cost_usd == pytest.approx(85.68)
    assert p.projected_monthly_cost_usd == pytest.approx(85.68)
    assert p.savings_usd == pytest.approx(120.00 - 85.68)
    tiers = {row.key: row for row in p.by_tier}
    assert tiers["tier 0"].policy_cost_usd == pytest.approx(12.50)  # 4.25 + 8.25 at gw's prices, no fees
    assert tiers["tier 2"].policy_cost_usd == pytest.approx(66.50)  # 33.25 x 2
    assert rows(report)["gw"].monthly_cost_usd == pytest.approx(85.68)  # the comparison is unchanged
    assert "billed through gw" in render(report, "markdown")


def test_billing_seller_that_cannot_price_the_traffic_warns(frame: pd.DataFrame, table: PriceTable) -> None:
    report = run(frame, table, seller="agg")
    # r1 + r2 at agg's prices (3.00); r3 and r4 unpriced, left out and said so
    assert report.policies[0].total_cost_usd == pytest.approx(3.00)
    assert report.policies[0].projected_monthly_cost_usd is None
    assert any("'agg' does not sell big: 2 requests are unpriced" in w for w in report.warnings)


def test_unknown_billing_seller_names_file_line_and_known_sellers(
    frame: pd.DataFrame, table: PriceTable, tmp_path: Path
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("schema_version: 1\nname: p\nbilling:\n  flat_plans: []\n  seller: nope\n")
    with pytest.raises(ConfigError) as caught:
        simulate(frame, table, [NamedPolicy(load_policy(path), str(path))])
    assert f"{path}:5: billing.seller: no seller named 'nope'" in caught.value.message
    assert "(known: agg, card, direct, gw)" in caught.value.message


def test_unknown_billing_seller_exits_2_on_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    path = tmp_path / "p.yaml"
    path.write_text("schema_version: 1\nname: p\nbilling: {seller: openroutr}\n")
    code = main(["simulate", "sample_logs/gateway", "-P", str(path), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"{path}:3: billing.seller: no seller named 'openroutr'" in err
    assert "known: direct, global-api, openrouter" in err


# ----------------------------------------------------------------- the shipped OpenRouter fee


@pytest.mark.parametrize(
    ("tokens_in", "tokens_out", "tokens_usd", "fee_usd"),
    [
        # 2 x (0.4M x 2.50 + 0.1M x 10.00) = 2 x 2.00 = 4.00; 5.5% = 0.22 < $0.80 minimum -> 0.80
        (400_000, 100_000, 4.00, 0.80),
        # 2 x (1M x 2.50 + 1M x 10.00) = 2 x 12.50 = 25.00; 5.5% = 1.375 > 0.80 -> 1.375
        (1_000_000, 1_000_000, 25.00, 1.375),
    ],
)
def test_openrouter_credit_fee_5_5_pct_with_a_080_minimum(
    tokens_in: int, tokens_out: int, tokens_usd: float, fee_usd: float
) -> None:
    shipped = load_pricing()
    rows_ = [{"model": "gpt-4o", "input_tokens": tokens_in, "output_tokens": tokens_out}] * 2
    report = simulate(
        frame_of(rows_, [1, 1], shipped), shipped, [NamedPolicy(Policy(schema_version=1, name="as logged"), "inline")]
    )
    openrouter = rows(report)["openrouter"]
    # OpenRouter passes gpt-4o through at list price (2.50 / 10.00), no markup
    assert openrouter.token_cost_monthly_usd == pytest.approx(tokens_usd)
    assert openrouter.fees_monthly_usd == pytest.approx(fee_usd)
    assert openrouter.monthly_cost_usd == pytest.approx(tokens_usd + fee_usd)
    assert openrouter.annual_cost_usd == pytest.approx((tokens_usd + fee_usd) * 12)
    # BYOK: 2 requests a month, far below the free 1,000,000: list prices, no fee
    assert rows(report)["openrouter (BYOK)"].monthly_cost_usd == pytest.approx(tokens_usd)


# ----------------------------------------------------------------- repricing is the replay's own arithmetic


@pytest.fixture(scope="module")
def sample() -> tuple[PriceTable, pd.DataFrame]:
    from llmaudit.ingest import RequestReader
    from llmaudit.simulate.collect import collect

    shipped = load_pricing()
    return shipped, collect(RequestReader([str(ROOT / "sample_logs")]), shipped, tag_requests)


EXAMPLES = sorted((ROOT / "examples" / "policies").glob("*.yaml"))


def marked_up(table: PriceTable, **fields: object) -> PriceTable:
    from datetime import date

    from llmaudit.pricing.sellers import Seller
    from llmaudit.pricing.table import sold_by

    seller = Seller(name="x", kind="gateway", source="tests", as_of=date(2026, 11, 1), table="t", **fields)  # type: ignore[arg-type]
    return sold_by(table, seller)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_repricing_is_the_replays_own_arithmetic(sample: tuple[PriceTable, pd.DataFrame], path: Path) -> None:
    shipped, logged = sample
    r = replay(logged, shipped, load_policy(path))
    assert r.reprice is not None
    # at list prices: every call (cascades, verify passes, compression, failures, cache hits) as replayed
    np.testing.assert_allclose(r.reprice(shipped), r.cost_usd, rtol=1e-12, equal_nan=True)
    # a 10% markup on every rate and per-request fee: cost is linear in the rates, so x 1.1 exactly
    np.testing.assert_allclose(
        r.reprice(marked_up(shipped, markup_pct=10, unlisted_models="list_price")),
        r.cost_usd * 1.1,
        rtol=1e-12,
        equal_nan=True,
    )


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_repricing_only_what_changed_matches_repricing_everything(
    sample: tuple[PriceTable, pd.DataFrame], path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    replay_module = sys.modules["llmaudit.simulate.replay"]  # the package exports a function of that name
    shipped, logged = sample
    r = replay(logged, shipped, load_policy(path))
    assert r.reprice is not None
    # one budget model at another price, one frontier model not sold at all
    partial = marked_up(
        shipped,
        unlisted_models="unpriced",
        models={m.name: {"input": 1.0, "output": 3.0} for m in shipped.models if m.name != "claude-sonnet-4-6"}
        | {"gpt-4o-mini": {"input": 0.3, "output": 0.9}},
    )
    fast = r.reprice(partial)
    assert np.isnan(fast).sum() > np.isnan(r.cost_usd).sum()  # some traffic needs claude-sonnet-4-6
    assert not np.allclose(np.nan_to_num(fast), np.nan_to_num(r.cost_usd))
    monkeypatch.setattr(replay_module, "_same_price", lambda a, b: False)  # every model counts as changed
    np.testing.assert_allclose(fast, r.reprice(partial), rtol=1e-12, equal_nan=True)
