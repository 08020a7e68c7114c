"""Policies replayed side by side on worker threads give the report a serial run gives."""

from __future__ import annotations

from pathlib import Path

import pytest

import llmaudit.simulate.run as run_module
from llmaudit.cli.common import tagger
from llmaudit.errors import ConfigError
from llmaudit.ingest import RequestReader
from llmaudit.pricing import load_pricing
from llmaudit.simulate import load_policy
from llmaudit.simulate.collect import collect
from llmaudit.simulate.run import NamedPolicy, simulate

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ("task-map.yaml", "four-tiers.yaml", "cascade.yaml", "flat-rate.yaml", "via-openrouter.yaml")


def test_threads_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    table = load_pricing()
    frame = collect(RequestReader(["sample_logs"]), table, tagger(None))
    policies = [NamedPolicy(load_policy(ROOT / "examples/policies" / p), p) for p in POLICIES]
    monkeypatch.setattr(run_module, "default_workers", lambda: 1)
    serial = simulate(frame, table, policies)
    monkeypatch.setattr(run_module, "default_workers", lambda: 3)
    threaded = simulate(frame, table, policies)
    assert [p.name for p in threaded.policies] == [p.policy.name for p in policies]
    assert threaded == serial


def test_the_first_failing_policy_is_reported(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    table = load_pricing()
    frame = collect(RequestReader(["sample_logs/app"]), table, tagger(None))
    good = NamedPolicy(load_policy(ROOT / "examples/policies/task-map.yaml"), "task-map.yaml")
    bad = []
    for name in ("first", "second"):
        path = tmp_path / f"{name}.yaml"
        path.write_text(
            f"schema_version: 1\nname: {name}\nroutes:\n  - match: {{}}\n    to: {{model: no-such-{name}}}\n"
        )
        bad.append(NamedPolicy(load_policy(path), str(path)))
    monkeypatch.setattr(run_module, "default_workers", lambda: 3)
    with pytest.raises(ConfigError, match="no-such-first"):
        simulate(frame, table, [good, *bad])
