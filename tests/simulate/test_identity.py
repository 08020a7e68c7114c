"""The identity policy reproduces analyze's total to the cent, on every sample log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from llmaudit.analyze.run import analyze
from llmaudit.ingest import RequestReader
from llmaudit.pricing import load_pricing
from llmaudit.simulate import Policy, replay
from llmaudit.simulate.collect import collect
from llmaudit.tagging import tag_requests

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "sample_logs").rglob("*") if p.suffix in (".jsonl", ".csv"))
IDENTITY = Policy(schema_version=1, name="identity")


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    return load_pricing()


@pytest.mark.parametrize("logs", [*([s] for s in SAMPLES if "extraction_input" not in s), ["sample_logs"]])
def test_identity_policy_reproduces_analyze(table, logs: list[str], monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(ROOT)
    expected = analyze(RequestReader(logs), table).summary.total_cost_usd
    frame = collect(RequestReader(logs), table, tag_requests)
    replayed = replay(frame, table, IDENTITY)
    assert round(float(np.nansum(replayed.cost_usd)), 2) == round(expected, 2)
    assert float(np.nansum(replayed.cost_usd)) == pytest.approx(expected, rel=1e-12)
    assert not replayed.rerouted.any()
