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
    frame = collect(RequestReader(["sample_logs/gateway"]), table)
    result = replay(frame, table, policy)  # every model named resolves to a price
    assert len(result.cost_usd) == len(frame)
    assert policy_seller(policy, str(path), table) is not None  # billing.seller is a shipped seller
