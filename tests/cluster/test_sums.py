"""simulate's report summed on the workers (``cluster/sums.py``): the single process's JSON,
byte for byte, while the client receives sums, counts and one split of the digest's hashes
at a time: never the rows, never a policy's per-request outputs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.report import RenderOptions, render
from llmaudit.report.model import input_files, pricing_sources
from llmaudit.shadow.logged import with_logged_scores
from llmaudit.simulate import Policy, Replayed, load_policy
from llmaudit.simulate.collect import collect
from llmaudit.simulate.context import ReplayContext
from llmaudit.simulate.quality import load_quality
from llmaudit.simulate.run import NamedPolicy, simulate
from llmaudit.simulate.sweep import sweep, sweep_policies
from llmaudit.tagging import tag_requests
from tests.cluster.conftest import Gathered

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "sample_logs"
EXAMPLES = sorted((ROOT / "examples" / "policies").glob("*.yaml"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth_logs  # noqa: E402

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.cluster import tasks  # noqa: E402
from llmaudit.cluster.analyze import Run  # noqa: E402
from llmaudit.cluster.plan import plan  # noqa: E402
from llmaudit.cluster.simulate import Outputs, _replay_tasks  # noqa: E402
from llmaudit.cluster.sums import report_on, sweep_on  # noqa: E402


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_pricing([])


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """60,000 generated requests, the sample logs (every format) and a LiteLLM log whose
    requests carry scores."""
    path = tmp_path_factory.mktemp("synth") / "openai.jsonl"
    synth_logs.generate(synth_logs.SHAPES["openai"], path, 60_000)
    return [str(path), str(SAMPLES), str(ROOT / "tests" / "fixtures" / "logs" / "litellm" / "scores.jsonl")]


def _on(client: Any, on: Any, logs: list[str], ingest: IngestOptions, *args: Any) -> Any:
    """``on`` (``report_on``, ``sweep_on``) with the logs' scores."""
    table, what, quality = args
    return on(
        client,
        expand_inputs(logs),
        ingest,
        table,
        tag_requests,
        what,
        lambda rows: with_logged_scores(quality, rows),
        range_chunks=2,
    )


def test_the_report_from_sums_and_the_client_never_holds_rows(
    client: Any, gathered: Gathered, table: PriceTable, logs: list[str]
) -> None:
    ingest = IngestOptions(chunk_bytes=1 << 20)
    assert len(plan(expand_inputs(logs), ingest, range_chunks=2)) > 10
    named = [NamedPolicy(load_policy(p), str(p)) for p in EXAMPLES]
    quality = load_quality(ROOT / "examples" / "quality.yaml", table)

    reader = RequestReader(logs, ingest)
    frame = collect(reader, table, tag_requests)
    single = {"inputs": input_files(reader.stats), "pricing": pricing_sources(table)}
    one = simulate(frame, table, named, quality=with_logged_scores(quality, frame), **single)

    scored, stats, _, two = _on(client, report_on, logs, ingest, table, named, quality)
    assert one.baseline.requests > 60_000 and stats.parsed == one.baseline.requests
    assert render(one, "json", RenderOptions()) == render(two, "json", RenderOptions())

    # What reached the client: no rows but the scored ones, no replay, no per-request column.
    requests = one.baseline.requests
    frames = [v for v in gathered if isinstance(v, pd.DataFrame)]
    assert sum(len(f) for f in frames) == len(scored) == int(frame["score"].notna().sum()) > 0
    assert all(f["score"].notna().all() for f in frames)
    assert not [v for v in gathered if isinstance(v, (Replayed, Outputs, pd.Series))]
    assert all(v.rows is None for v in gathered if isinstance(v, tasks.Part))
    arrays = [v for v in gathered if isinstance(v, np.ndarray)]
    assert max(len(a) for a in arrays) < requests / 4  # sums per key; one split of the digest's hashes


def test_the_sweep_from_sums(client: Any, gathered: Gathered, table: PriceTable, logs: list[str]) -> None:
    ingest = IngestOptions(chunk_bytes=1 << 20)
    policy = load_policy(ROOT / "examples" / "policies" / "difficulty.yaml")
    quality = load_quality(ROOT / "examples" / "quality.yaml", table)
    frame = collect(RequestReader(logs, ingest), table, tag_requests)
    one = sweep(frame, table, policy, with_logged_scores(quality, frame))
    _, _, _, two = _on(client, sweep_on, logs, ingest, table, policy, quality)
    assert one.scored_requests > 50_000 and one.baseline_quality is not None
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict())
    assert max(len(v) for v in gathered if isinstance(v, np.ndarray)) < one.requests / 4
    assert not [v for v in gathered if isinstance(v, (Replayed, pd.Series))]


def test_the_replay_context_by_selection(client: Any, gathered: Gathered, table: PriceTable, logs: list[str]) -> None:
    """Median latencies (a latency budget) and difficulty thresholds (strong shares) found
    from counts are the whole log's, to the bit; no latency or difficulty reaches the client."""
    fast = Policy.model_validate(
        {
            "schema_version": 1,
            "name": "fast",
            "routes": [{"to": {"model": "gpt-4.1-mini"}, "latency_budget_ms": 1500, "fallbacks": ["gpt-4.1"]}],
        }
    )
    policies = [fast, *sweep_policies(load_policy(ROOT / "examples" / "policies" / "difficulty.yaml"))]
    ingest = IngestOptions(chunk_bytes=1 << 20)
    frame = collect(RequestReader(logs, ingest), table, tag_requests)
    run = Run(client, expand_inputs(logs), ingest, table, 2)
    read = run.read(tasks.read_rows, tag_requests)
    _, _, context = _replay_tasks(client, run, read, policies)
    whole = ReplayContext.of(frame, policies)
    assert len(whole.latency_ms) >= 3 and len(whole.thresholds) == 11
    assert context == whole
    assert sorted(map(repr, context.latency_ms.items())) == sorted(map(repr, whole.latency_ms.items()))
    assert not [v for v in gathered if isinstance(v, np.ndarray) and v.dtype == np.float64 and len(v) > 100]
