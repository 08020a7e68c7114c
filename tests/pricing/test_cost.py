"""Whole-request pricing against hand-computed costs (docs/formats.md, "The pricing formula").

Every expected value is worked out in the comment beside it from the rates of the
small table below (USD per million tokens), never taken from the code's output.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmaudit.pricing import load_pricing, price_requests
from tests.conftest import requests_frame

TABLE = """\
schema_version: 1
name: test
source: hand-written for tests
as_of: 2026-11-01
models:
  flat:
    provider: acme
    input: 2.00
    output: 8.00
  cached:
    provider: acme
    input: 3.00
    output: 15.00
    cache_read: 0.30
    cache_write: 3.75
    cache_write_1h: 6.00
    batch: {input: 1.50, output: 7.50, cache_read: 0.15}
  thinker:
    provider: acme
    input: 1.00
    output: 4.00
    reasoning: 10.00
  long:
    provider: acme
    input: 1.25
    output: 10.00
    cache_read: 0.125
    tiers:
      - above: 200000
        input: 2.50
        output: 15.00
        cache_read: 0.25
  stepped:
    provider: acme
    input: 1.00
    output: 2.00
    batch: {input: 0.50, output: 1.00}
    tiers:
      - above: 128000
        input: 2.00
        output: 4.00
      - above: 272000
        input: 4.00
        output: 8.00
        batch: {input: 1.00}
  searcher:
    provider: acme
    input: 1.00
    output: 1.00
    per_request: 0.005
"""


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("prices") / "test.yaml"
    path.write_text(TABLE)
    return load_pricing([path], include_shipped=False)


def cost(table, **row: object) -> float:  # type: ignore[no-untyped-def]
    return float(price_requests(requests_frame([row]), table)["cost_usd"].iloc[0])


def test_plain_input_and_output(table) -> None:  # type: ignore[no-untyped-def]
    # 1000 * 2.00 + 500 * 8.00 = 2000 + 4000 = 6000 per million -> $0.006
    assert cost(table, model="flat", input_tokens=1000, output_tokens=500) == pytest.approx(0.006, rel=1e-12)


def test_cache_read_and_both_write_durations(table) -> None:  # type: ignore[no-untyped-def]
    # P = 8000 incl. R = 5000 read, W = 2000 written of which 1500 for 1 hour (500 for 5 minutes).
    # input:  (8000 - 5000 - 2000) * 3.00 = 3000
    # read:   5000 * 0.30 = 1500
    # write:  500 * 3.75 + 1500 * 6.00 = 1875 + 9000 = 10875
    # output: 500 * 15.00 = 7500
    # total 22875 per million -> $0.022875
    got = price_requests(
        requests_frame(
            [
                dict(
                    model="cached",
                    input_tokens=8000,
                    cache_read_tokens=5000,
                    cache_write_tokens=2000,
                    cache_write_1h_tokens=1500,
                    output_tokens=500,
                )
            ]
        ),
        table,
    ).iloc[0]
    assert got["cost_input_usd"] == pytest.approx(0.003)
    assert got["cost_cache_read_usd"] == pytest.approx(0.0015)
    assert got["cost_cache_write_usd"] == pytest.approx(0.010875)
    assert got["cost_output_usd"] == pytest.approx(0.0075)
    assert got["cost_usd"] == pytest.approx(0.022875, rel=1e-12)


def test_missing_cache_rates_fall_back_to_input_never_zero(table) -> None:  # type: ignore[no-untyped-def]
    # "flat" has no cache prices: reads and writes bill at input (2.00).
    # (1000 - 400 - 100) * 2 + 400 * 2 + 100 * 2 = 1000 * 2 = 2000 -> $0.002
    assert cost(table, model="flat", input_tokens=1000, cache_read_tokens=400, cache_write_tokens=100) == pytest.approx(
        0.002, rel=1e-12
    )


def test_missing_1h_rate_falls_back_to_5m_write(table) -> None:  # type: ignore[no-untyped-def]
    table_model = table.get("cached")
    assert table_model.rate("cache_write_1h") == 6.00
    # a model with cache_write but no 1h price: none in TABLE, so check the rule on "long":
    # no cache_write -> input 1.25; no 1h -> cache_write -> 1.25
    assert table.get("long").rate("cache_write_1h") == 1.25


def test_reasoning_rate_where_the_model_has_one(table) -> None:  # type: ignore[no-untyped-def]
    # output 3000 of which 2500 reasoning: (3000 - 2500) * 4.00 + 2500 * 10.00 = 2000 + 25000
    # input 1000 * 1.00 = 1000 -> 28000 per million -> $0.028
    assert cost(table, model="thinker", input_tokens=1000, output_tokens=3000, reasoning_tokens=2500) == pytest.approx(
        0.028, rel=1e-12
    )
    # without a reasoning price, reasoning bills at output: 1000*2 + 3000*8 = 26000 -> $0.026
    assert cost(table, model="flat", input_tokens=1000, output_tokens=3000, reasoning_tokens=2500) == pytest.approx(
        0.026, rel=1e-12
    )


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        # at the threshold: base rates. 200000*1.25 + 1000*10 = 250000 + 10000 = 260000 -> $0.26
        (200_000, 0.26),
        # one above: the WHOLE request at tier rates. 200001*2.50 + 1000*15 = 500002.5 + 15000 -> $0.5150025
        (200_001, 0.5150025),
        # just below: base. 199999*1.25 + 10000 = 249998.75 + 10000 -> $0.25999875
        (199_999, 0.25999875),
        # well above: 250000*2.50 + 15000 = 625000 + 15000 -> $0.64
        (250_000, 0.64),
    ],
)
def test_long_context_tier_reprices_the_whole_request(table, prompt: int, expected: float) -> None:  # type: ignore[no-untyped-def]
    assert cost(table, model="long", input_tokens=prompt, output_tokens=1000) == pytest.approx(expected, rel=1e-12)


def test_tier_applies_to_cache_reads_too(table) -> None:  # type: ignore[no-untyped-def]
    # 250000 prompt of which 100000 cached, tier rates: 150000*2.50 + 100000*0.25 = 375000 + 25000
    # = 400000 per million -> $0.40
    assert cost(table, model="long", input_tokens=250_000, cache_read_tokens=100_000) == pytest.approx(0.40, rel=1e-12)


@pytest.mark.parametrize(
    ("prompt", "mode", "expected"),
    [
        # base tier, standard: 100000*1 + 1000*2 = 102000 -> 0.102
        (100_000, "standard", 0.102),
        # first tier (>128k): 130000*2 + 1000*4 = 264000 -> 0.264
        (130_000, "standard", 0.264),
        # second tier (>272k): 300000*4 + 1000*8 = 1208000 -> 1.208
        (300_000, "standard", 1.208),
        # batch, base tier: 100000*0.5 + 1000*1 = 51000 -> 0.051
        (100_000, "batch", 0.051),
        # batch in tier 1 (no tier batch rates): base batch rates win over the tier's standard
        # rates -> 130000*0.5 + 1000*1.0 = 66000 -> 0.066
        (130_000, "batch", 0.066),
        # batch in tier 2: tier-level batch input 1.00; output falls to base batch 1.00
        # -> 300000*1.0 + 1000*1.0 = 301000 -> 0.301
        (300_000, "batch", 0.301),
    ],
)
def test_several_tiers_and_batch_modes(table, prompt: int, mode: str, expected: float) -> None:  # type: ignore[no-untyped-def]
    assert cost(table, model="stepped", input_tokens=prompt, output_tokens=1000, pricing_mode=mode) == pytest.approx(
        expected, rel=1e-12
    )


def test_batch_rates_and_fallback_to_standard_for_missing_kinds(table) -> None:  # type: ignore[no-untyped-def]
    # cached, batch: input 1.50, output 7.50, cache_read 0.15; cache_write not in batch -> 3.75.
    # P=10000, R=4000, W=1000 (5m): (10000-4000-1000)*1.50 + 4000*0.15 + 1000*3.75 + 2000*7.50
    # = 7500 + 600 + 3750 + 15000 = 26850 -> $0.02685
    assert cost(
        table,
        model="cached",
        pricing_mode="batch",
        input_tokens=10_000,
        cache_read_tokens=4000,
        cache_write_tokens=1000,
        output_tokens=2000,
    ) == pytest.approx(0.02685, rel=1e-12)


def test_priority_without_priority_rates_uses_standard(table) -> None:  # type: ignore[no-untyped-def]
    # flat has no priority rates: 1000*2 + 500*8 = 6000 -> $0.006
    assert cost(table, model="flat", pricing_mode="priority", input_tokens=1000, output_tokens=500) == pytest.approx(
        0.006, rel=1e-12
    )


def test_per_request_fee_is_added_per_call(table) -> None:  # type: ignore[no-untyped-def]
    # 1000*1 + 1000*1 = 2000 per million = $0.002, plus the $0.005 call fee -> $0.007
    priced = price_requests(requests_frame([dict(model="searcher", input_tokens=1000, output_tokens=1000)] * 3), table)
    assert priced["cost_usd"].tolist() == pytest.approx([0.007] * 3, rel=1e-12)
    assert priced["cost_request_fee_usd"].sum() == pytest.approx(0.015)


def test_unpriced_models_get_nan_never_zero(table) -> None:  # type: ignore[no-untyped-def]
    priced = price_requests(requests_frame([dict(model="mystery-model", input_tokens=10, output_tokens=10)]), table)
    assert np.isnan(priced["cost_usd"].iloc[0])
    assert pd.isna(priced["priced_model"].iloc[0])


def test_vectorized_matches_row_by_row(table) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(7)
    n = 500
    models = rng.choice(["flat", "cached", "thinker", "long", "stepped", "searcher", "nope"], n)
    prompt = rng.integers(0, 400_000, n)
    read = (prompt * rng.uniform(0, 0.5, n)).astype(int)
    write = ((prompt - read) * rng.uniform(0, 0.3, n)).astype(int)
    write_1h = (write * rng.uniform(0, 1, n)).astype(int)
    out = rng.integers(0, 5000, n)
    reasoning = (out * rng.uniform(0, 1, n)).astype(int)
    mode = rng.choice(["standard", "batch", "priority", "flex"], n)
    df = pd.DataFrame(
        dict(
            model=models,
            pricing_mode=mode,
            input_tokens=prompt,
            cache_read_tokens=read,
            cache_write_tokens=write,
            cache_write_1h_tokens=write_1h,
            output_tokens=out,
            reasoning_tokens=reasoning,
        )
    )
    whole = price_requests(df, table)["cost_usd"].to_numpy()
    for i in range(n):
        assert (np.isnan(whole[i]) and models[i] == "nope") or whole[i] == pytest.approx(
            _scalar_cost(table, df.iloc[i]), rel=1e-12
        )


def _scalar_cost(table, row: pd.Series) -> float:  # type: ignore[no-untyped-def]
    """The formula written out for one request, from ModelPrice.rate (independent of the arrays)."""
    m = table.get(row["model"])
    tier = sum(1 for t in m.tiers if row["input_tokens"] > t.above)
    r = {
        k: m.rate(k, tier, row["pricing_mode"])
        for k in ("input", "output", "cache_read", "cache_write", "cache_write_1h", "reasoning")
    }
    p, cr, w, w1 = (
        row["input_tokens"],
        row["cache_read_tokens"],
        row["cache_write_tokens"],
        row["cache_write_1h_tokens"],
    )
    c, z = row["output_tokens"], row["reasoning_tokens"]
    total = (p - cr - w) * r["input"] + cr * r["cache_read"] + (w - w1) * r["cache_write"] + w1 * r["cache_write_1h"]
    total += (c - z) * r["output"] + z * r["reasoning"]
    return total / 1e6 + m.per_request_usd


def test_price_requests_does_not_mutate_its_input(table, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    df = requests_frame([dict(model="flat", input_tokens=1, output_tokens=1)])
    before = df.copy()
    price_requests(df, table)
    pd.testing.assert_frame_equal(df, before)


def test_cache_savings_against_pricing_the_cached_tokens_as_plain_input(table) -> None:  # type: ignore[no-untyped-def]
    # P=8000 with R=5000 read and W=2000 written (1500 for 1 hour), "cached" model:
    # without a cache those 7000 tokens cost 7000 * 3.00 = 21000 per million;
    # with it: reads 5000 * 0.30 = 1500, writes 500 * 3.75 + 1500 * 6.00 = 10875.
    # saved: 21000 - 1500 - 10875 = 8625 per million -> $0.008625
    rows = [
        dict(
            model="cached",
            input_tokens=8000,
            cache_read_tokens=5000,
            cache_write_tokens=2000,
            cache_write_1h_tokens=1500,
        ),
        # writes never read back: 2000 * 3.00 = 6000 uncached vs 2000 * 6.00 = 12000 -> -$0.006
        dict(model="cached", input_tokens=2000, cache_write_tokens=2000, cache_write_1h_tokens=2000),
        dict(model="flat", input_tokens=100),  # no caching: saves exactly nothing
    ]
    savings = price_requests(requests_frame(rows), table)["cache_savings_usd"].tolist()
    assert savings == pytest.approx([0.008625, -0.006, 0.0], abs=1e-15)


def test_cost_floor_never_exceeds_the_cost_of_any_shipped_model() -> None:
    """The overspend comparison skips a candidate whose floor is above the best cost so far: the floor must be a
    true lower bound, for every model, tier, pricing mode and token mix."""
    from llmaudit.pricing.cost import cost_floor, costs_on

    shipped = load_pricing()
    rng = np.random.default_rng(7)
    n = 400
    prompt = rng.integers(0, 400_000, n)
    read = (prompt * rng.random(n) * 0.5).astype(np.int64)
    write = ((prompt - read) * rng.random(n) * 0.5).astype(np.int64)
    output = rng.integers(0, 40_000, n)
    frame = pd.DataFrame(
        {
            "pricing_mode": rng.choice(["standard", "batch", "priority", "flex"], n),
            "input_tokens": prompt,
            "cache_read_tokens": read,
            "cache_write_tokens": write,
            "cache_write_1h_tokens": (write * rng.random(n)).astype(np.int64),
            "output_tokens": output,
            "reasoning_tokens": (output * rng.random(n)).astype(np.int64),
        }
    )
    for model in shipped.models:
        floor = cost_floor(shipped, model.name, frame["input_tokens"].to_numpy(), frame["output_tokens"].to_numpy())
        cost = costs_on(frame, shipped, model.name)
        assert (floor <= cost + 1e-12).all(), model.name
        # costs_on is price_requests' formula without its columns: the same numbers
        assert np.array_equal(cost, price_requests(frame.assign(model=model.name), shipped)["cost_usd"].to_numpy())


def test_costs_on_one_mode_and_long_context_tiers_match_the_per_row_formula() -> None:
    """costs_on shortcuts rows that share a pricing mode and models without tiers (scalar rates); the numbers
    must be those of the per-row path, on both sides of a long-context threshold."""
    from llmaudit.pricing.cost import costs_on

    shipped = load_pricing()
    tiered = [m.name for m in shipped.models if m.tiers]
    assert tiered, "the shipped tables have a model with a long-context tier"
    prompt = np.array([1_000, 150_000, 199_999, 200_000, 200_001, 900_000])
    for mode in ("standard", "batch"):
        frame = pd.DataFrame(
            {
                "pricing_mode": [mode] * len(prompt),
                "input_tokens": prompt,
                "cache_read_tokens": prompt // 4,
                "cache_write_tokens": prompt // 8,
                "cache_write_1h_tokens": prompt // 16,
                "output_tokens": np.full(len(prompt), 2_000),
                "reasoning_tokens": np.full(len(prompt), 500),
            }
        )
        for name in [*tiered, shipped.models[0].name]:
            one = costs_on(frame, shipped, name)
            per_row = costs_on(frame, shipped, np.array([name] * len(prompt), dtype=object))
            assert np.array_equal(one, per_row), (mode, name)
            assert np.array_equal(one, price_requests(frame.assign(model=name), shipped)["cost_usd"].to_numpy())
    # A model the table cannot price gives NaN on the single-name path too.
    assert np.isnan(costs_on(frame, shipped, "no-such-model")).all()
