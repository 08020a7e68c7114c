"""Sellers: per-request effects (PriceTable.as_sold_by) and bill-level fees (seller_fees).

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import pytest

from llmaudit.errors import PricingError, UsageError
from llmaudit.pricing import PriceTable, load_pricing, price_requests, seller_fees
from llmaudit.pricing.sellers import DAYS_PER_MONTH, ByokFee, CreditFee, Seller
from tests.conftest import requests_frame

MONTH = DAYS_PER_MONTH  # a period of exactly one average month: allowances apply unscaled


def seller(**fields: object) -> Seller:
    base: dict[str, object] = {
        "name": "s",
        "kind": "gateway",
        "source": "tests",
        "as_of": date(2026, 11, 1),
        "table": "t",
    }
    return Seller(**{**base, **fields})  # type: ignore[arg-type]


OPENROUTER = seller(name="openrouter", credit_fee=CreditFee(pct=5.5, min_usd=0.80))


@pytest.fixture(scope="module")
def shipped() -> PriceTable:
    return load_pricing()


def cost(table: PriceTable, model: str, **tokens: int) -> float:
    return float(price_requests(requests_frame([{"model": model, **tokens}]), table)["cost_usd"].iloc[0])


# --------------------------------------------------------------------------- bill-level fees


def test_credit_fee_on_one_purchase_of_the_metered_spend() -> None:
    # $1,000 bought at once: 5.5% of 1,000 = $55.00 (above the $0.80 minimum)
    fees = seller_fees(OPENROUTER, metered_usd=1000.0, requests=10_000, period_days=30)
    assert fees.fee("credit_purchase") == pytest.approx(55.00, abs=1e-9)
    assert fees.fees_usd == pytest.approx(55.00, abs=1e-9)
    assert fees.total_usd == pytest.approx(1055.00, abs=1e-9)


def test_credit_fee_minimum() -> None:
    # $10: 5.5% is $0.55, below the $0.80 minimum -> $0.80
    assert seller_fees(OPENROUTER, 10.0, 100, 30).fee("credit_purchase") == pytest.approx(0.80, abs=1e-12)


def test_credit_fee_over_several_top_ups() -> None:
    # $250 spent in $100 top-ups: 3 purchases x max(5.5% of 100 = 5.50, 0.80) = $16.50
    fees = seller_fees(OPENROUTER, 250.0, 1, 30, purchase_usd=100.0)
    assert fees.fee("credit_purchase") == pytest.approx(16.50, abs=1e-9)
    assert "3 credit purchases of $100.00" in fees.items[0].description
    # $25 in $10 top-ups: 3 x max(0.55, 0.80) = $2.40
    assert seller_fees(OPENROUTER, 25.0, 1, 30, purchase_usd=10.0).fee("credit_purchase") == pytest.approx(2.40)
    # exactly $200 in $100 top-ups: 2 purchases, not 3 -> $11.00
    assert seller_fees(OPENROUTER, 200.0, 1, 30, purchase_usd=100.0).fee("credit_purchase") == pytest.approx(11.00)


def test_nothing_metered_buys_no_credits() -> None:
    assert seller_fees(OPENROUTER, 0.0, 0, 30).fees_usd == 0.0


def test_byok_fee_only_above_the_monthly_allowance() -> None:
    byok = seller(byok_fee=ByokFee(pct=5.0, free_requests_per_month=1_000_000))
    # 1.5M BYOK requests worth $3,000 in one month: 0.5M above the free 1M, i.e. a third of the
    # cost ($1,000), at 5% -> $50.00
    fees = seller_fees(byok, 0.0, 0, MONTH, byok_metered_usd=3000.0, byok_requests=1_500_000)
    assert fees.fee("byok") == pytest.approx(50.00, abs=1e-9)
    assert next(i for i in fees.items if i.name == "byok").description.endswith("above the free 1,000,000 for a month")
    # 0.8M requests: all within the allowance -> $0
    assert seller_fees(byok, 0.0, 0, MONTH, byok_metered_usd=1600.0, byok_requests=800_000).fee("byok") == 0.0
    # the same 1.5M requests over two months: allowance 2M -> $0
    assert seller_fees(byok, 0.0, 0, 2 * MONTH, byok_metered_usd=3000.0, byok_requests=1_500_000).fee("byok") == 0.0


def test_fx_fee_on_everything_billed() -> None:
    fx = seller(credit_fee=CreditFee(pct=5.5, min_usd=0.80), fx_fee_pct=2.0)
    # metered 1,000 + credit fee 55 = 1,055 billed; 2% of it = $21.10
    fees = seller_fees(fx, 1000.0, 1, 30)
    assert fees.fee("fx") == pytest.approx(21.10, abs=1e-9)
    assert fees.total_usd == pytest.approx(1076.10, abs=1e-9)


def test_a_direct_seller_adds_nothing(shipped: PriceTable) -> None:
    fees = seller_fees(shipped.seller("direct"), 1234.5, 1000, 30)
    assert fees.fees_usd == 0.0 and fees.total_usd == 1234.5
    assert [i.name for i in fees.items] == ["credit_purchase", "byok", "fx"]


def test_fee_breakdown_json_shape() -> None:
    data = seller_fees(OPENROUTER, 10.0, 100, 30).to_dict()
    assert data["seller"] == "openrouter" and data["fees_usd"] == pytest.approx(0.80)
    assert [f["name"] for f in data["fees"]] == ["credit_purchase", "byok", "fx"]
    assert data["fees"][0]["description"] == "5.5% of 1 credit purchase of $10.00 (minimum $0.80 each)"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metered_usd": -1.0}, "cannot be negative"),
        ({"period_days": 0}, "period must be positive"),
        ({"purchase_usd": 0.0}, "credit purchase must be positive"),
    ],
)
def test_bad_arguments(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, float] = {"metered_usd": 1.0, "requests": 1, "period_days": 30, **kwargs}
    with pytest.raises(UsageError, match=message):
        seller_fees(OPENROUTER, **args)  # type: ignore[arg-type]


def test_shipped_openrouter_fees_match_its_faq(shipped: PriceTable) -> None:
    openrouter = shipped.seller("OpenRouter")  # names match ignoring case
    assert openrouter.credit_fee == CreditFee(pct=5.5, min_usd=0.80)
    assert openrouter.byok_fee == ByokFee(pct=5.0, free_requests_per_month=1_000_000)
    assert openrouter.unlisted_models == "list_price" and openrouter.markup_pct == 0
    assert "openrouter.ai/docs/faq" in openrouter.source


# --------------------------------------------------------------------------- per-request effects


def test_the_same_model_from_three_sellers(shipped: PriceTable) -> None:
    tokens = {"input_tokens": 1_000_000, "output_tokens": 100_000}
    # DeepSeek's own API (list price 0.30 / 1.20): 1,000,000 * 0.30 + 100,000 * 1.20 = 420,000 per million
    assert cost(shipped.as_sold_by("direct"), "deepseek-v4-flash", **tokens) == pytest.approx(0.42, rel=1e-12)
    # OpenRouter's quoted 0.80 / 1.70: 800,000 + 170,000 = 970,000 per million
    assert cost(shipped.as_sold_by("openrouter"), "deepseek-v4-flash", **tokens) == pytest.approx(0.97, rel=1e-12)
    # Global API's quoted 0.27 / 1.10: 270,000 + 110,000 = 380,000 per million
    assert cost(shipped.as_sold_by("global-api"), "deepseek-ai/DeepSeek-V4-Flash", **tokens) == pytest.approx(
        0.38, rel=1e-12
    )


def test_a_seller_price_replaces_the_list_price_whole(shipped: PriceTable) -> None:
    sold = shipped.as_sold_by("openrouter").get("deepseek-v4-flash")
    # The list price has cache reads at 0.006; OpenRouter's quote has none, so they bill at its input.
    assert shipped.get("deepseek-v4-flash").rate("cache_read") == 0.006
    assert sold.rate("cache_read") == 0.80
    # Identity stays: aliases and context window, so log spellings still resolve.
    assert sold.aliases == shipped.get("deepseek-v4-flash").aliases and sold.context_window == 1_000_000


def test_unlisted_models_at_list_price_or_unpriced(shipped: PriceTable) -> None:
    via_gateway = shipped.as_sold_by("openrouter")
    assert via_gateway.get("gpt-4o").rate("input") == 2.50 and len(via_gateway) == len(shipped)
    via_aggregator = shipped.as_sold_by("global-api")
    assert len(via_aggregator) == 5
    assert math.isnan(cost(via_aggregator, "gpt-4o-mini", input_tokens=10, output_tokens=10))
    assert via_aggregator.sold_by == "global-api" and shipped.sold_by is None


def test_markup_and_per_request_fee_are_folded_into_prices(shipped: PriceTable, tmp_path: Path) -> None:
    path = tmp_path / "gw.yaml"
    path.write_text(
        "schema_version: 1\nname: gw\nsource: tests\nas_of: 2026-11-01\nsellers:\n"
        "  gw:\n    kind: gateway\n    source: tests\n    as_of: 2026-11-01\n    unlisted_models: list_price\n"
        "    markup_pct: 10\n    per_request_usd: 0.001\n"
        "    models:\n      acme-1: {input: 1.00, output: 2.00}\n",
        encoding="utf-8",
    )
    sold = load_pricing([path]).as_sold_by("gw")
    # gpt-4o 2.50 / 10.00 marked up 10%: 2.75 / 11.00; 1,000 in + 500 out = 2,750 + 5,500 = 8,250 per
    # million = $0.00825, plus the $0.001 request fee -> $0.00925
    assert cost(sold, "gpt-4o", input_tokens=1000, output_tokens=500) == pytest.approx(0.00925, rel=1e-12)
    # A model only the seller lists: its own price, not marked up, plus the fee:
    # 1,000 * 1.00 + 1,000 * 2.00 = 3,000 per million = $0.003 + $0.001
    assert cost(sold, "acme-1", input_tokens=1000, output_tokens=1000) == pytest.approx(0.004, rel=1e-12)
    assert sold.get("acme-1").provider == "gw"


def test_unknown_seller_lists_the_known_ones(shipped: PriceTable) -> None:
    with pytest.raises(PricingError, match=r"no seller named 'nope' .*known: direct, global-api, openrouter"):
        shipped.as_sold_by("nope")


def test_a_later_table_replaces_a_seller_whole(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "schema_version: 1\nname: mine\nsource: tests\nas_of: 2026-11-01\nsellers:\n"
        "  openrouter:\n    kind: gateway\n    source: our contract\n    as_of: 2026-11-01\n    fx_fee_pct: 1.5\n",
        encoding="utf-8",
    )
    mine = load_pricing([path]).seller("openrouter")
    assert mine.credit_fee is None and mine.fx_fee_pct == 1.5 and mine.unlisted_models == "unpriced"
    assert mine.table == "mine"
