"""The complete example in docs/policies.md loads and runs (docs are part of the code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmaudit.ingest import RequestReader
from llmaudit.pricing import load_pricing
from llmaudit.simulate import load_policy, replay
from llmaudit.simulate.billing import policy_seller
from llmaudit.simulate.collect import collect
from llmaudit.simulate.quality import load_quality
from llmaudit.tagging import tag_requests

ROOT = Path(__file__).resolve().parents[2]


def test_documented_policy_is_valid_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if "routes:" in block)
    path = tmp_path / "policy.yaml"
    path.write_text(example, encoding="utf-8")
    policy = load_policy(path)
    assert policy.name == "tiered" and len(policy.routes) == 3
    monkeypatch.chdir(ROOT)
    table = load_pricing()
    frame = collect(RequestReader(["sample_logs/gateway"]), table, tag_requests)
    result = replay(frame, table, policy)  # every model named resolves to a price
    assert len(result.cost_usd) == len(frame)
    assert policy_seller(policy, str(path), table) is not None  # billing.seller is a shipped seller


def test_documented_quality_file_is_valid_and_scores_the_sample_logs(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "policies.md").read_text(encoding="utf-8")
    example = next(block for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.S) if "scores:" in block)
    path = tmp_path / "quality.yaml"
    path.write_text(example, encoding="utf-8")
    scores = load_quality(path, load_pricing())
    assert scores.floor == 0.8 and scores.floors == {3: 0.9} and len(scores.overrides) == 1
    assert not scores.unpriced_models  # every model named resolves to a price
    # examples/quality.yaml: only the logs' fine-tune has no price (it is scored by its logged name)
    shipped = load_quality(ROOT / "examples" / "quality.yaml", load_pricing())
    assert shipped.unpriced_models == ("ft:gpt-4o-mini-2024-07-18:acme::b7x9k2",)
