"""What a replay needs from the whole log (``simulate/context.py``): computed from parts of the
log merged in any grouping, it is the whole log's context to the bit, and with it a replay of
each block of rows gives those rows what a replay of the whole log gives them."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmaudit.ingest import RequestReader
from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.simulate import Policy, load_policy, replay
from llmaudit.simulate.collect import collect
from llmaudit.simulate.context import ContextPart, Needs, ReplayContext, merged, needs
from llmaudit.simulate.replay import Replayed, cache_eligible, with_cache_hits
from llmaudit.simulate.response_cache import candidates, hits_by_block, split
from llmaudit.tagging import tag_requests

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(p.name for p in (ROOT / "sample_logs").iterdir() if p.is_dir())
POLICIES = sorted((ROOT / "examples" / "policies").glob("*.yaml"))
# A route held to a latency budget reads each model's median latency over the whole log.
LATENCY = Policy.model_validate(
    {
        "schema_version": 1,
        "name": "fast",
        "routes": [{"to": {"model": "gpt-4.1-mini"}, "latency_budget_ms": 1500, "fallbacks": ["gpt-4.1"]}],
    }
)


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_pricing()


@pytest.fixture(scope="module")
def frames(table: PriceTable) -> dict[str, pd.DataFrame]:
    return {name: collect(RequestReader([str(ROOT / "sample_logs" / name)]), table, tag_requests) for name in SAMPLES}


def _blocks(frame: pd.DataFrame) -> list[pd.DataFrame]:
    """Three uneven blocks (one may be empty), as tasks of a cluster hold them."""
    cuts = [0, len(frame) // 5, len(frame) // 5, 2 * len(frame) // 3, len(frame)]
    return [frame.iloc[a:b] for a, b in itertools.pairwise(cuts)]


def _no_response_cache(policy: Policy) -> Policy:
    """Response-cache hits look back across blocks: the replay of blocks leaves them to a later pass."""
    return policy.model_copy(update={"cache": policy.cache.model_copy(update={"response": None})})


def test_hand_computed_context() -> None:
    frame = pd.DataFrame(
        {
            "priced_model": pd.Categorical(["a", "a", "a", "b", "b", None]),
            "model": ["a", "a", "a", "b", "b", "x"],
            "status": ["ok", "error", "ok", "ok", "ok", "ok"],
            "latency_ms": [100.0, 5.0, 300.0, 40.0, np.nan, 7.0],
            "difficulty": [0.1, np.nan, 0.9, 0.5, 0.3, 0.7],
        }
    )
    want = Needs(latency=True, shares=(0.4,))
    whole = ContextPart.of(frame, want).finish()
    # a: 1 failure in 3; b: none; x (unpriced, logged name) counts as its logged name.
    assert whole.failure_rates == {"a": 1 / 3, "b": 0.0, "x": 0.0}
    # Successful requests only: a's failure (5 ms) is left out; b's NaN too.
    assert whole.latency_ms == {"a": 200.0, "b": 40.0, "x": 7.0}
    # Scored: 0.1 0.3 0.5 0.7 0.9; the 40% most difficult lie at or above the 0.6 quantile, 'higher': 0.7.
    assert whole.thresholds == {0.4: 0.7}
    parts = [ContextPart.of(frame.iloc[i : i + 2], want) for i in (4, 0, 2)]  # any grouping, any order
    assert merged(parts) == whole


@pytest.mark.parametrize("name", SAMPLES)
def test_merged_parts_are_the_whole_logs_context(frames: dict[str, pd.DataFrame], name: str) -> None:
    frame = frames[name]
    policies = [load_policy(p) for p in POLICIES] + [LATENCY]
    wanted = needs(policies)
    assert wanted.latency and wanted.shares == (0.3,)
    whole = ReplayContext.of(frame, policies)
    assert whole.failure_rates and (whole.latency_ms or name == "batch")  # batch results log no latency
    assert merged([ContextPart.of(block, wanted) for block in _blocks(frame)]) == whole


def _same(a: Replayed, b: Replayed) -> None:
    for column in ("routed_model", "path", "reason", "then_model"):
        assert pd.Series(getattr(a, column)).equals(pd.Series(getattr(b, column))), column
    for column in ("cost_usd", "escalation"):
        assert np.array_equal(getattr(a, column), getattr(b, column), equal_nan=True), column  # to the bit
    for column in ("cache_hit", "context_failover", "rerouted"):
        assert np.array_equal(getattr(a, column), getattr(b, column)), column


def _concat(parts: list[Replayed]) -> Replayed:
    columns = ("routed_model", "path", "reason", "cost_usd", "cache_hit", "context_failover", "rerouted")
    joined = {c: np.concatenate([getattr(p, c) for p in parts]) for c in columns}
    then = np.concatenate([p.then_model for p in parts if p.then_model is not None])
    escalation = np.concatenate([p.escalation for p in parts if p.escalation is not None])
    return Replayed(**joined, then_model=then, escalation=escalation)


@pytest.mark.parametrize("policy", [*POLICIES, "latency"], ids=lambda p: getattr(p, "stem", p))
@pytest.mark.parametrize("name", SAMPLES)
def test_a_replay_of_blocks_is_the_replay_of_the_whole(
    table: PriceTable, frames: dict[str, pd.DataFrame], name: str, policy: Path | str
) -> None:
    chosen = _no_response_cache(LATENCY if policy == "latency" else load_policy(policy))
    frame = frames[name]
    whole = replay(frame, table, chosen)
    blocks = _blocks(frame)
    context = merged([ContextPart.of(block, needs([chosen])) for block in blocks])
    _same(_concat([replay(block, table, chosen, context=context) for block in blocks]), whole)


def test_without_the_context_a_block_would_route_differently(
    table: PriceTable, frames: dict[str, pd.DataFrame]
) -> None:
    """The check above can fail: a block's own difficulty quantile is not the log's."""
    policy = load_policy(ROOT / "examples" / "policies" / "difficulty.yaml")
    frame = frames["support-bot"]
    whole = replay(frame, table, policy)
    own = _concat([replay(block, table, policy) for block in _blocks(frame)])
    assert not pd.Series(own.routed_model).equals(pd.Series(whole.routed_model))


@pytest.mark.parametrize("name", [*SAMPLES, "app twice"])
def test_response_cache_hits_found_across_blocks_are_the_whole_logs(
    table: PriceTable, frames: dict[str, pd.DataFrame], name: str
) -> None:
    """Each block replayed without its cache, its candidates shuffled by prompt hash into 3
    partitions: the hits, costs and paths are those of one replay of the whole log. "app twice"
    is the app log followed by itself a minute later: its second half hits the first, across blocks."""
    policy = load_policy(ROOT / "examples" / "policies" / "four-tiers.yaml")
    assert policy.cache.response is not None
    ttl = policy.cache.response.ttl_seconds
    frame = frames[name.split()[0]]
    if name == "app twice":
        later = frame.assign(timestamp=frame["timestamp"] + pd.Timedelta(minutes=1))
        frame = pd.concat([frame, later], ignore_index=True)
    whole = replay(frame, table, policy)
    blocks = _blocks(frame)
    context = merged([ContextPart.of(block, needs([policy])) for block in blocks])
    replays = [replay(block, table, _no_response_cache(policy), context=context) for block in blocks]
    found = [
        candidates(b["prompt_hash"].to_numpy(), r.routed_model, b["timestamp"], cache_eligible(b, policy))
        for b, r in zip(blocks, replays, strict=True)
    ]
    pieces = [split(f, 3) for f in found]
    hits = [np.zeros(len(b), dtype=bool) for b in blocks]
    for p in range(3):
        for i, rows in enumerate(hits_by_block([piece[p] for piece in pieces], ttl)):
            hits[i][rows] = True
    _same(_concat([with_cache_hits(r, h) for r, h in zip(replays, hits, strict=True)]), whole)
    if name == "app twice":  # the second copy's cacheable rows hit the first, blocks away
        assert whole.cache_hit[1519:].sum() > 500 and not whole.cache_hit[:1519].sum() > 10
