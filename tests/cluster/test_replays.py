"""simulate's replays where the rows are (``cluster/simulate.py``): on a 2-worker cluster,
each task's replays under every example policy are its rows' share of the single-process
replay of the whole log, request for request and to the bit; the rows never reach the
client (only the context's parts and the cache shuffle's row numbers do)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.simulate import load_policy, replay
from llmaudit.simulate.collect import collect
from llmaudit.simulate.context import ReplayContext
from llmaudit.tagging import tag_requests

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "sample_logs"
POLICIES = [load_policy(p) for p in sorted((ROOT / "examples" / "policies").glob("*.yaml"))]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth_logs  # noqa: E402

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.cluster import tasks  # noqa: E402
from llmaudit.cluster.plan import plan  # noqa: E402
from llmaudit.cluster.simulate import gather_replays, replays_on  # noqa: E402


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_pricing([])


def _compare(client: Any, logs: list[str], ingest: IngestOptions, table: PriceTable, **kw: Any) -> int:
    """Replay on the cluster and in one process; the number of response-cache hits."""
    frame = collect(RequestReader(logs, ingest), table, tag_requests)
    gathered: list[Any] = []
    gather = client.gather

    def recording(futures: Any, *args: Any, **kwargs: Any) -> Any:
        out = gather(futures, *args, **kwargs)
        gathered.extend(out if isinstance(out, list) else [out])
        return out

    client.gather = recording
    try:
        futures, context = replays_on(client, expand_inputs(logs), ingest, table, tag_requests, POLICIES, **kw)
    finally:
        del client.gather
    assert len(futures) > 1
    for value in gathered:  # what came back: counts, context parts, hit rows; never rows
        assert not isinstance(value, (pd.DataFrame, tasks.Part))
    assert context == ReplayContext.of(frame, POLICIES)
    hits = 0
    for i, policy in enumerate(POLICIES):
        whole = replay(frame, table, policy)
        parts = gather_replays(client, futures, i)
        assert sum(len(p.cost_usd) for p in parts) == len(frame)
        for column in ("routed_model", "path", "reason", "then_model"):
            joined = np.concatenate([getattr(p, column) for p in parts])
            assert pd.Series(joined).equals(pd.Series(getattr(whole, column))), (policy.name, column)
        for column in ("cost_usd", "escalation", "cache_hit", "context_failover", "rerouted"):
            joined = np.concatenate([getattr(p, column) for p in parts])
            assert np.array_equal(joined, getattr(whole, column), equal_nan=column in ("cost_usd", "escalation"))
        hits += int(whole.cache_hit.sum())
    return hits


def test_every_sample_log(client: Any, table: PriceTable) -> None:
    assert _compare(client, [str(SAMPLES)], IngestOptions(), table) > 0


def test_a_generated_log_read_as_ranges(client: Any, table: PriceTable, tmp_path: Path) -> None:
    """200,000 generated requests read as 10+ byte ranges, and the app log."""
    path = tmp_path / "openai.jsonl"
    synth_logs.generate(synth_logs.SHAPES["openai"], path, 200_000)
    ingest = IngestOptions(chunk_bytes=1 << 20)
    assert len(plan(expand_inputs([str(path)]), ingest, lambda spans: [0] * len(spans), range_chunks=8)) > 10
    # The generated prompts repeat across the log: the response cache hits across tasks.
    assert _compare(client, [str(path), str(SAMPLES / "app")], ingest, table, range_chunks=8) > 1000
