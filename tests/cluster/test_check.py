"""check with --scheduler replays where the rows are (``cluster/check.py``): the JSON and the
exit code are the single process's, byte for byte, for a saved baseline, a baseline policy,
baseline prices (re-priced on the workers), a gate that passes and one that fails, on the
sample logs and on a generated log read as many byte ranges; the rows never reach the client."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from llmaudit.check.gate import Thresholds
from llmaudit.check.run import SameRunBaseline, check
from llmaudit.cli import main
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import load_pricing
from llmaudit.simulate import load_policy
from llmaudit.simulate.collect import collect
from llmaudit.tagging import tag_requests
from tests.cluster.conftest import Gathered

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "sample_logs"
POLICIES = ROOT / "examples" / "policies"
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth_logs  # noqa: E402

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.check.model import CheckReport  # noqa: E402
from llmaudit.cluster import tasks  # noqa: E402
from llmaudit.cluster.check import check_on  # noqa: E402
from llmaudit.cluster.plan import plan  # noqa: E402

DEARER = "schema_version: 1\nname: dearer\nsource: test\nas_of: 2026-01-01\nmodels:\n  gpt-4o: {input: 5.00}\n"


def _both(capsys: pytest.CaptureFixture[str], cluster: Any, args: list[str], outputs: Sequence[Path] = ()) -> int:
    code = main(args)
    single = [capsys.readouterr().out, *(p.read_text() for p in outputs)]
    assert main([*args, "--scheduler", cluster.scheduler_address]) == code
    out, err = capsys.readouterr()
    assert [out, *(p.read_text() for p in outputs)] == single
    assert "Traceback" not in err
    return code


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory, cluster: Any) -> Path:
    """A baseline saved on the cluster, after checking it is the single process's file."""
    base = tmp_path_factory.mktemp("base") / "base.json"
    args = ["baseline", str(SAMPLES), "-P", str(POLICIES / "frontier-baseline.yaml"), "-o", str(base), "-q"]
    assert main(args) == 0
    single = base.read_bytes()
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    assert base.read_bytes() == single
    return base


@pytest.mark.parametrize("gate", [[], ["--max-monthly-usd", "0.01"]], ids=["pass", "fail"])
def test_saved_baseline(cluster: Any, capsys: pytest.CaptureFixture[str], saved: Path, gate: list[str]) -> None:
    policy = str(POLICIES / "four-tiers.yaml")
    args = ["check", str(SAMPLES), "-P", policy, "--baseline", str(saved), "-f", "json", "-q", *gate]
    assert _both(capsys, cluster, args) == (1 if gate else 0)


def test_baseline_policy_and_markdown(cluster: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old = str(POLICIES / "task-map.yaml")
    comment = tmp_path / "comment.md"
    args = ["check", str(SAMPLES), "-P", str(POLICIES / "cascade.yaml"), "--baseline-policy", old, "-q"]
    _both(capsys, cluster, [*args, "-f", "json"])
    _both(capsys, cluster, [*args, "-f", "markdown", "-o", str(comment)], [comment])


def test_baseline_prices_are_applied_on_the_workers(
    cluster: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    prices = tmp_path / "dearer.yaml"
    prices.write_text(DEARER)
    policy = str(POLICIES / "frontier-baseline.yaml")
    args = ["check", str(SAMPLES), "-P", policy, "--baseline-pricing", str(prices), "-f", "json", "-q"]
    _both(capsys, cluster, args)
    # the head at the dearer prices, the baseline at the shipped ones: a fall, all prices
    args = ["check", str(SAMPLES), "-P", policy, "-p", str(prices), "--baseline-pricing", str(prices), "-f", "json"]
    _both(capsys, cluster, [*args, "-q"])


@pytest.fixture(scope="module")
def big_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 generated OpenAI requests (their prompts repeat across the log), an id repeated far apart."""
    path = tmp_path_factory.mktemp("synth") / "openai.jsonl"
    synth_logs.generate(synth_logs.SHAPES["openai"], path, 200_000)
    lines = path.read_bytes().split(b"\n")
    lines[150_000] = lines[10]
    path.write_bytes(b"\n".join(lines))
    return path


def test_a_generated_log_read_as_ranges(client: Any, gathered: Gathered, big_log: Path, tmp_path: Path) -> None:
    """Many ranges and both workers, each task its own sums: still the single process's bits;
    only counts, sums and one split of the digest's hashes at a time come back (no rows, no
    array of a hash or id per request)."""
    ingest = IngestOptions(chunk_bytes=1 << 20)
    logs = [str(big_log), str(SAMPLES / "app")]
    assert len(plan(expand_inputs([str(big_log)]), ingest, range_chunks=8)) > 10
    (tmp_path / "dearer.yaml").write_text(DEARER + "  gpt-4.1: {input: 9.00}\n")  # four-tiers' verifier
    base_table = load_pricing([str(tmp_path / "dearer.yaml")])
    policy = load_policy(POLICIES / "cascade.yaml")
    baseline = SameRunBaseline(load_policy(POLICIES / "four-tiers.yaml"), base_table, "test")
    thresholds = Thresholds(max_increase_pct=5)
    table = load_pricing([])
    one = check(collect(RequestReader(logs, ingest), table, tag_requests), table, policy, baseline, thresholds)

    two, stats = check_on(
        client,
        expand_inputs(logs),
        ingest,
        load_pricing([]),
        tag_requests,
        policy,
        baseline,
        thresholds,
        range_chunks=8,
    )
    assert isinstance(two, CheckReport)
    assert two.to_dict() == one.to_dict()
    assert repr(two.to_dict()) == repr(one.to_dict())  # to the bit, not only equal floats
    assert one.head.requests > 190_000 and stats.skipped["duplicate_request_id"] >= 1
    assert {e.name for e in one.effects if e.change_usd} >= {"prices", "routing"}
    assert gathered  # sums, counts and hashes came back
    for value in gathered:
        assert not isinstance(value, pd.DataFrame)
        assert not (isinstance(value, tasks.Part) and value.rows is not None)
    requests = one.head.requests
    arrays = [v for v in gathered if isinstance(v, np.ndarray)]
    assert max(len(a) for a in arrays) < requests / 4  # sums per key; one split of the digest's hashes
    assert gathered.most_at_once() < requests / 4  # nor every task's hashes in one gather (as before)
