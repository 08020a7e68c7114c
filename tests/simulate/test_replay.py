"""The replay engine on small synthetic traffic, every cost worked out by hand.

Prices (USD per million tokens) of the test table:
    big     openai     in 10.00  out 30.00                 context 128,000  out 16,384  tools reasoning caching
    small   openai     in  0.50  out  1.50                 context  16,000  out  4,000  tools caching
    tiny    google     in  0.10  out  0.40                 context   8,000              (vision only: no tools)
    claude  anthropic  in  3.00  out 15.00  read 0.30      context 200,000              tools caching
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from llmaudit.errors import ConfigError
from llmaudit.pricing import load_pricing, price_requests
from llmaudit.schema import COLLECTED
from llmaudit.simulate import Policy, replay
from llmaudit.tagging import tag_requests
from tests.conftest import complete, requests_frame

PRICES = """\
schema_version: 1
name: sim
source: tests
as_of: 2026-11-01
models:
  big: {provider: openai, input: 10, output: 30, context_window: 128000, max_output_tokens: 16384,
        supports: [tools, reasoning, prompt_caching]}
  small: {provider: openai, input: 0.5, output: 1.5, context_window: 16000, max_output_tokens: 4000,
          supports: [tools, prompt_caching]}
  tiny: {provider: google, input: 0.1, output: 0.4, context_window: 8000, supports: [vision]}
  claude: {provider: anthropic, input: 3, output: 15, cache_read: 0.3, context_window: 200000,
           supports: [tools, prompt_caching]}
"""


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("sim") / "prices.yaml"
    path.write_text(PRICES)
    return load_pricing([path], include_shipped=False)


def traffic(table, rows: list[dict[str, Any]]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Priced requests with the columns a collected frame holds (defaults: big, ok, tier 1)."""
    defaults = {
        "model": "big",
        "status": "ok",
        "task_type": "qa",
        "complexity_tier": 1,
        "tag_confidence": 0.9,
        "tool_count": 0,
        "prompt_hash": 0,
        "timestamp": pd.Timestamp("2026-03-01T00:00:00Z"),
        "tags": None,
        "feature": None,
        "user": None,
        "team": None,
        "project": None,
        "provider": "openai",
    }
    frame = requests_frame([{**defaults, **row} for row in rows])
    return complete(price_requests(frame, table), COLLECTED)


def policy(**fields: Any) -> Policy:
    return Policy.model_validate({"schema_version": 1, "name": "p", **fields})


def test_route_to_a_model(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, [dict(input_tokens=1000, output_tokens=100, task_type="classification")] * 2)
    # baseline on big: 1000*10 + 100*30 = 13000 -> $0.013; on small: 1000*0.5 + 100*1.5 = 650 -> $0.00065
    result = replay(
        frame, table, policy(routes=[{"match": {"task_type": ["classification"]}, "to": {"model": "small"}}])
    )
    assert result.cost_usd.tolist() == pytest.approx([0.00065, 0.00065])
    assert result.routed_model.tolist() == ["small", "small"]
    assert result.rerouted.all()


def test_tier_takes_the_cheapest_model_that_fits(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(tiers={"budget": ["tiny", "small"], "frontier": ["big"]}, routes=[{"to": {"tier": "budget"}}])
    frame = traffic(
        table,
        [
            dict(input_tokens=1000, output_tokens=100),  # tiny: 100 + 40 = 140 -> $0.00014
            dict(input_tokens=12000, output_tokens=100),  # too long for tiny (8k): small 6000+150 -> $0.00615
            dict(input_tokens=20000, output_tokens=100),  # fits neither: frontier big 200000+3000 -> $0.203
            dict(input_tokens=1000, output_tokens=100, tool_count=2),  # tiny has no tools: small $0.00065
        ],
    )
    result = replay(frame, table, p)
    assert result.routed_model.tolist() == ["tiny", "small", "big", "small"]
    assert result.cost_usd.tolist() == pytest.approx([0.00014, 0.00615, 0.203, 0.00065])
    assert result.context_failover.tolist() == [False, False, True, False]


def _latency_traffic(table) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    one = dict(input_tokens=1000, output_tokens=100)
    return traffic(
        table,
        [
            {**one, "model": "small", "latency_ms": 2000.0},
            {**one, "model": "small", "latency_ms": 2600.0},
            {**one, "model": "small", "latency_ms": 3000.0},
            {**one, "model": "small", "latency_ms": 50.0, "status": "error"},  # a failure: not in the median
            {**one, "model": "big", "latency_ms": 400.0, "tool_count": 2},
            {**one, "model": "big", "latency_ms": 800.0, "tool_count": 2},
        ],
    )


def test_latency_budget_skips_models_logged_slower_than_it(table) -> None:  # type: ignore[no-untyped-def]
    # Expected latencies: tiny 500 (models.tiny.latency_ms; never logged); small: the median of
    # its successful requests, median(2000, 2600, 3000) = 2600 > 2400 (with the failure's 50 it
    # would be 2300, within budget); big: median(400, 800) = 600.
    route = {"to": {"tier": "budget"}, "latency_budget_ms": 2400}
    tiers = {"budget": ["tiny", "small"], "frontier": ["big"]}
    result = replay(
        _latency_traffic(table), table, policy(tiers=tiers, routes=[route], models={"tiny": {"latency_ms": 500}})
    )
    # Rows 1-3: tiny (no tools needed) 1000*0.1 + 100*0.4 -> $0.00014. Row 4 failed: kept, small
    # 1000*0.5 + 100*1.5 -> $0.00065. Rows 5-6 offer tools: tiny has none, small is over budget, so
    # the tier above: big 1000*10 + 100*30 -> $0.013, a failover.
    assert result.routed_model.tolist() == ["tiny", "tiny", "tiny", "small", "big", "big"]
    assert result.cost_usd.tolist() == pytest.approx([0.00014] * 3 + [0.00065, 0.013, 0.013])
    assert result.context_failover.tolist() == [False, False, False, False, True, True]
    # Without the budget, or with small's latency_ms within it, rows 5-6 go to small: $0.00065, plus
    # small's logged failure rate (1 of 4) x its failed attempt's input ($0.0005) = $0.000775.
    unbudgeted = replay(_latency_traffic(table), table, policy(tiers=tiers, routes=[{"to": {"tier": "budget"}}]))
    assert unbudgeted.cost_usd.tolist()[4:] == pytest.approx([0.000775] * 2)
    assert unbudgeted.routed_model.tolist()[4:] == ["small", "small"]
    fast = policy(tiers=tiers, routes=[route], models={"tiny": {"latency_ms": 500}, "small": {"latency_ms": 2400}})
    assert replay(_latency_traffic(table), table, fast).routed_model.tolist()[4:] == ["small", "small"]


def test_latency_budget_keeps_models_of_unknown_latency_and_the_logged_one_last(table) -> None:  # type: ignore[no-untyped-def]
    # claude is never logged and has no latency_ms: its latency is unknown, so within budget.
    p = policy(routes=[{"to": {"model": "claude"}, "latency_budget_ms": 1}])
    assert replay(_latency_traffic(table), table, p).routed_model.tolist()[:3] == ["claude"] * 3
    # small (median 2600) is over a 1000 ms budget and nothing else is offered: the request
    # keeps its logged model, counted as a failover.
    p = policy(routes=[{"match": {"model": ["big"]}, "to": {"model": "small"}, "latency_budget_ms": 1000}])
    result = replay(_latency_traffic(table), table, p)
    assert result.routed_model.tolist()[4:] == ["big", "big"]
    assert result.context_failover.tolist()[4:] == [True, True]


def test_logs_without_a_tool_count_need_no_tools(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(tiers={"budget": ["tiny", "small"]}, routes=[{"to": {"tier": "budget"}}])
    # Ingest writes tool_count 0 for a log that says nothing of tools.
    frame = traffic(table, [dict(input_tokens=1000, output_tokens=100, tool_count=0)])
    # tiny (no tools support) fits: 1000*0.1 + 100*0.4 = 140 -> $0.00014
    assert replay(frame, table, p).routed_model.tolist() == ["tiny"]


def test_quality_floor_and_round_up(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(
        tiers={"budget": ["small"], "frontier": ["big"]},
        routes=[{"to": {"tier": "budget"}}],
        quality_floor={3: "frontier", 2: "frontier"},
        round_up={"below_confidence": 0.5},
    )
    frame = traffic(
        table,
        [
            dict(input_tokens=1000, output_tokens=100, complexity_tier=1),
            dict(input_tokens=1000, output_tokens=100, complexity_tier=3),  # lifted to the floor
            dict(input_tokens=1000, output_tokens=100, complexity_tier=1, tag_confidence=0.2),  # 1 -> 2: floor
        ],
    )
    result = replay(frame, table, p)
    assert result.routed_model.tolist() == ["small", "big", "big"]
    assert result.cost_usd.tolist() == pytest.approx([0.00065, 0.013, 0.013])


def test_cascade_pays_both_calls_for_escalated_requests(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(
        routes=[
            {
                "cascade": {
                    "first": {"model": "small"},
                    "then": {"model": "big"},
                    "escalation": {"code": 0.3, "default": 0.1},
                }
            }
        ]
    )
    frame = traffic(table, [dict(input_tokens=1000, output_tokens=100, task_type=t) for t in ("code", "qa")])
    # code: 0.00065 + 0.3 * 0.013 = 0.00455; qa: 0.00065 + 0.1 * 0.013 = 0.00195
    result = replay(frame, table, p)
    assert result.cost_usd.tolist() == pytest.approx([0.00455, 0.00195])
    assert result.path.tolist() == ["small -> big (cascade)"] * 2


def test_verification_pass(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(routes=[{"to": {"model": "big"}, "verify": {"model": "big", "token_scale": 0.5}}])
    frame = traffic(table, [dict(model="small", input_tokens=1000, output_tokens=100)])
    # big: 0.013, plus a half-size call on big: 500*10 + 50*30 = 6500 -> 0.0065; total 0.0195
    assert replay(frame, table, p).cost_usd.tolist() == pytest.approx([0.0195])


def test_compression_with_a_compressor_call(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(routes=[{"to": {"model": "big"}, "compression": {"input_reduction": 0.3, "model": "small"}}])
    frame = traffic(table, [dict(model="claude", provider="anthropic", input_tokens=1000, output_tokens=100)])
    # big reads 700: 7000 + 3000 = 10000 -> 0.01; small reads 1000 (500) and writes 700 (1050) -> 0.00155
    assert replay(frame, table, p).cost_usd.tolist() == pytest.approx([0.01155])


def test_expected_failures_on_the_new_model(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(routes=[{"to": {"model": "small"}}], models={"small": {"failure_rate": 0.1}})
    frame = traffic(table, [dict(input_tokens=1000, output_tokens=100)])
    # 0.00065 + 0.1 * (failed attempt: its input, 1000*0.5 = 0.0005) = 0.0007
    assert replay(frame, table, p).cost_usd.tolist() == pytest.approx([0.0007])
    with_fallback = policy(
        routes=[{"to": {"model": "small"}, "fallbacks": ["big"]}], models={"small": {"failure_rate": 0.1}}
    )
    # 0.00065 + 0.1 * (0.0005 + 0.013 - 0.00065) = 0.00065 + 0.001285 = 0.001935
    assert replay(frame, table, with_fallback).cost_usd.tolist() == pytest.approx([0.001935])


def test_failure_rates_come_from_the_logs_by_default(table) -> None:  # type: ignore[no-untyped-def]
    rows = [dict(model="small", input_tokens=10, output_tokens=1, status="error")] + [
        dict(model="small", input_tokens=10, output_tokens=1)
    ] * 3  # small fails 1 in 4 in the logs
    rows += [dict(model="big", input_tokens=1000, output_tokens=100)]
    frame = traffic(table, rows)
    result = replay(frame, table, policy(routes=[{"match": {"model": ["big"]}, "to": {"model": "small"}}]))
    # rerouted big request: 0.00065 + 0.25 * 0.0005 = 0.000775; the failed request keeps its
    # logged cost (10*0.5 + 1*1.5 = 6.5 per million)
    assert result.cost_usd[-1] == pytest.approx(0.000775)
    assert result.cost_usd[0] == pytest.approx(6.5e-6)
    assert result.reason[0] == "failed in the logs: kept as logged"


def test_response_cache_hits_within_the_ttl(table) -> None:  # type: ignore[no-untyped-def]
    t0 = pd.Timestamp("2026-03-01T00:00:00Z")
    rows = [
        dict(prompt_hash=7, timestamp=t0, input_tokens=1000, output_tokens=100),
        dict(prompt_hash=7, timestamp=t0 + pd.Timedelta(minutes=30), input_tokens=1000, output_tokens=100),  # hit
        dict(prompt_hash=7, timestamp=t0 + pd.Timedelta(hours=3), input_tokens=1000, output_tokens=100),  # expired
        dict(prompt_hash=8, timestamp=t0 + pd.Timedelta(minutes=1), input_tokens=1000, output_tokens=100),
        dict(prompt_hash=8, timestamp=t0 + pd.Timedelta(minutes=2), status="error"),  # failed: no part
    ]
    result = replay(traffic(table, rows), table, policy(cache={"response": {"ttl": "1h"}}))
    assert result.cache_hit.tolist() == [False, True, False, False, False]
    assert result.cost_usd[1] == 0.0 and result.path[1] == "cache hit"


def test_prompt_cache_reads_are_paid_as_input_where_the_new_model_has_no_cache(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, [dict(model="claude", provider="anthropic", input_tokens=6000, cache_read_tokens=5000)])
    # on claude: 1000*3 + 5000*0.3 = 4500 -> 0.0045 (the logged cost)
    assert frame["cost_usd"].tolist() == pytest.approx([0.0045])
    # tiny has no prompt caching: all 6000 at 0.10 -> 0.0006
    assert replay(frame, table, policy(routes=[{"to": {"model": "tiny"}}])).cost_usd.tolist() == pytest.approx([0.0006])


def test_tokenizer_ratio_and_output_ratio(table) -> None:  # type: ignore[no-untyped-def]
    p = policy(
        routes=[{"to": {"model": "claude"}}],
        tokenizer_ratios={"anthropic": 1.2},
        models={"claude": {"output_ratio": 1.5}},
    )
    frame = traffic(table, [dict(input_tokens=1000, output_tokens=100)])
    # 1000 openai tokens are 1200 for claude; 100 output becomes 150: 1200*3 + 150*15 = 5850 -> 0.00585
    assert replay(frame, table, p).cost_usd.tolist() == pytest.approx([0.00585])


def test_unknown_model_in_a_policy_names_the_place(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, [dict(input_tokens=10, output_tokens=1)])
    with pytest.raises(ConfigError, match=r"routes\.routes\[0\]\.to: model 'nope' has no price"):
        replay(frame, table, policy(routes=[{"to": {"model": "nope"}}]))


def test_invariants_on_random_traffic(table) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(3)
    n = 400
    rows = [
        dict(
            model=str(rng.choice(["big", "claude", "small"])),
            input_tokens=int(rng.integers(100, 60000)),
            output_tokens=int(rng.integers(1, 3000)),
            complexity_tier=int(rng.integers(0, 4)),
            tag_confidence=float(rng.random()),
            tool_count=int(rng.integers(0, 2)),
        )
        for _ in range(n)
    ]
    frame = traffic(table, rows)
    p = policy(
        tiers={"budget": ["tiny", "small"], "mid": ["claude"], "frontier": ["big"]},
        routes=[{"to": {"tier": "budget"}}],
        quality_floor={2: "mid", 3: "frontier"},
        round_up={"below_confidence": 0.3},
    )
    result = replay(frame, table, p)
    rank = {"tiny": 0, "small": 0, "claude": 1, "big": 2}
    effective = np.where(
        frame["tag_confidence"] < 0.3, np.minimum(frame["complexity_tier"] + 1, 3), frame["complexity_tier"]
    )
    floor = {0: 0, 1: 0, 2: 1, 3: 2}
    for i in np.flatnonzero(result.rerouted):
        model = result.routed_model[i]
        price = table.get(model)
        # never beyond a context window (providers count the same tokens: ratios are 1 here)
        assert frame["input_tokens"][i] <= price.context_window
        # never below the quality floor
        assert rank[model] >= floor[int(effective[i])]
    # never cheaper than the cheapest allowed model on the same tokens
    allowed = [
        price_requests(frame.assign(model=m), table)["cost_usd"].to_numpy() for m in ("tiny", "small", "claude", "big")
    ]
    assert np.nansum(result.cost_usd) >= np.nansum(np.min(allowed, axis=0)) - 1e-12


def test_policy_file_errors_name_file_and_line(tmp_path: Path) -> None:
    from llmaudit.simulate import load_policy

    path = tmp_path / "bad.yaml"
    path.write_text("schema_version: 1\nname: x\nroutes:\n  - to: {tier: nowhere}\n")
    with pytest.raises(ConfigError, match="tier 'nowhere'"):
        load_policy(path)
    path.write_text("schema_version: 1\nname: x\nroutes:\n  - match: {task_type: [poetry]}\n    to: {model: a}\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:4: routes\[0\]\.match\.task_type\[0\]"):
        load_policy(path)


def test_latency_budget_reads_the_latency_the_logs_carry(table, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from llmaudit.ingest import RequestReader
    from llmaudit.simulate.collect import collect

    def line(model: str, latency: int, minute: int) -> str:
        return json.dumps(
            {
                "timestamp": f"2026-03-01T00:0{minute}:00Z",
                "request": {"model": model, "messages": [{"role": "user", "content": f"question {minute}"}]},
                "response": {
                    "model": model,
                    "choices": [{"message": {"role": "assistant", "content": "answer"}}],
                    "usage": {"prompt_tokens": 1000, "completion_tokens": 100},
                },
                "latency_ms": latency,
            }
        )

    log = tmp_path / "requests.jsonl"
    log.write_text(
        "\n".join([line("big", 100, 1), line("big", 100, 2), line("small", 2600, 3), line("small", 3000, 4)])
    )
    frame = collect(RequestReader([log]), table, tag_requests)
    # small's median logged latency is 2800 ms: over a 1000 ms budget (every request keeps its
    # model), within a 3000 ms one (every request goes to small).
    routes = [[{"to": {"model": "small"}, "latency_budget_ms": budget}] for budget in (1000, 3000)]
    tight, loose = (replay(frame, table, policy(routes=r, unknown="route")) for r in routes)
    assert tight.routed_model.tolist() == ["big", "big", "small", "small"]
    assert loose.routed_model.tolist() == ["small"] * 4
