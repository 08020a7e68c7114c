"""simulate's replays where the rows are (``cluster/simulate.py``): on a 2-worker cluster,
each task's replays under every example policy are its rows' share of the single-process
replay of the whole log, request for request and to the bit; the rows never reach the
client (only the context's parts and the cache shuffle's row numbers do)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from llmaudit.cli import main
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.report import RenderOptions, render
from llmaudit.simulate import load_policy, replay
from llmaudit.simulate.collect import collect
from llmaudit.simulate.context import ReplayContext
from llmaudit.simulate.quality import load_quality
from llmaudit.simulate.run import NamedPolicy, simulate
from llmaudit.tagging import tag_requests

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "sample_logs"
POLICIES = [load_policy(p) for p in sorted((ROOT / "examples" / "policies").glob("*.yaml"))]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth_logs  # noqa: E402

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.cluster import tasks  # noqa: E402
from llmaudit.cluster.analyze import Run  # noqa: E402
from llmaudit.cluster.plan import RANGE_CHUNKS, plan  # noqa: E402
from llmaudit.cluster.simulate import collect_and_replay_on, gather_replays, replay_tasks  # noqa: E402
from tests.cluster.conftest import Gathered  # noqa: E402


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_pricing([])


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 generated OpenAI requests (their prompts repeat across the log)."""
    path = tmp_path_factory.mktemp("synth") / "openai.jsonl"
    synth_logs.generate(synth_logs.SHAPES["openai"], path, 200_000)
    return path


def _compare(
    client: Any, gathered: Gathered, logs: list[str], ingest: IngestOptions, table: PriceTable, **kw: Any
) -> int:
    """Replay on the cluster and in one process; the number of response-cache hits."""
    frame = collect(RequestReader(logs, ingest), table, tag_requests)
    before = len(gathered)
    run = Run(client, expand_inputs(logs), ingest, table, kw.get("range_chunks", RANGE_CHUNKS))
    futures, context = replay_tasks(client, run, run.read(tasks.read_rows, tag_requests), POLICIES)
    assert len(futures) > 1 and len(gathered) > before
    for value in gathered[before:]:  # what came back: counts, context parts, hit rows; never rows
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


def test_every_sample_log(client: Any, gathered: Gathered, table: PriceTable) -> None:
    assert _compare(client, gathered, [str(SAMPLES)], IngestOptions(), table) > 0


def test_a_generated_log_read_as_ranges(client: Any, gathered: Gathered, table: PriceTable, big_log: Path) -> None:
    """200,000 generated requests read as 10+ byte ranges, and the app log."""
    path = big_log
    ingest = IngestOptions(chunk_bytes=1 << 20)
    assert len(plan(expand_inputs([str(path)]), ingest, range_chunks=8)) > 10
    # The generated prompts repeat across the log: the response cache hits across tasks.
    assert _compare(client, gathered, [str(path), str(SAMPLES / "app")], ingest, table, range_chunks=8) > 1000


# -- the report: simulate's JSON from the cluster's replays is the single process's --------

EXAMPLES = sorted(str(p) for p in (ROOT / "examples" / "policies").glob("*.yaml"))


@pytest.mark.parametrize("logs", [*sorted(p.name for p in SAMPLES.iterdir() if p.is_dir()), "all"])
def test_simulate_json_is_the_same(cluster: Any, capsys: pytest.CaptureFixture[str], logs: str) -> None:
    path = str(SAMPLES if logs == "all" else SAMPLES / logs)
    args = ["simulate", path, *(a for p in EXAMPLES for a in ("-P", p)), "-f", "json", "-q"]
    args += ["--quality", str(ROOT / "examples" / "quality.yaml")]
    assert main(args) == 0
    single = capsys.readouterr().out
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    out, err = capsys.readouterr()
    assert json.loads(single)["baseline"]["requests"] > 0
    assert out == single
    assert "Traceback" not in err


def test_simulate_report_of_a_generated_log_read_as_ranges(client: Any, table: PriceTable, big_log: Path) -> None:
    path = big_log
    ingest = IngestOptions(chunk_bytes=1 << 20)
    logs = [str(path), str(SAMPLES / "app")]
    named = [NamedPolicy(p, str(i)) for i, p in enumerate(POLICIES)]
    quality = load_quality(ROOT / "examples" / "quality.yaml", table)
    frame = collect(RequestReader(logs, ingest), table, tag_requests)
    one = simulate(frame, table, named, quality=quality)
    gathered, _, replays, context = collect_and_replay_on(
        client, expand_inputs(logs), ingest, table, tag_requests, POLICIES, range_chunks=8
    )
    two = simulate(gathered, table, named, quality=quality, replays=replays, context=context)
    assert one.baseline.requests > 190_000
    assert render(one, "json", RenderOptions()) == render(two, "json", RenderOptions())


def test_per_request_rows_and_the_sweep_are_the_same(
    cluster: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--per-request writes the rows of the cluster's replays; --sweep replays on the client."""
    four, openrouter = (str(ROOT / "examples" / "policies" / f"{n}.yaml") for n in ("four-tiers", "via-openrouter"))
    rows = tmp_path / "rows.jsonl"
    args = ["simulate", str(SAMPLES / "app"), "-P", four, "-P", openrouter, "--per-request", str(rows), "-q"]
    single: list[str] = []
    for extra in ([], ["--scheduler", cluster.scheduler_address]):
        assert main([*args, *extra]) == 0
        single.append(capsys.readouterr().out + rows.read_text())
    assert single[0] == single[1] and len(single[0].splitlines()) > 3000
    sweep = ["simulate", str(SAMPLES), "-P", str(ROOT / "examples" / "policies" / "difficulty.yaml"), "--sweep"]
    sweep += ["-f", "json", "-q"]
    assert main(sweep) == 0
    one = capsys.readouterr().out
    assert main([*sweep, "--scheduler", cluster.scheduler_address]) == 0
    assert capsys.readouterr().out == one
