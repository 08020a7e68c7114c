"""The overspend finding leaves untagged requests out and shows them as untagged spend."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmaudit.analyze.overspend import Overspend
from llmaudit.analyze.tagsummary import TagAccumulator
from llmaudit.pricing import load_pricing, price_requests
from llmaudit.schema import TAGGED
from tests.analyze.test_tagged_analyze import TABLE
from tests.conftest import complete, requests_frame


def test_untagged_requests_are_never_easy(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(TABLE)
    table = load_pricing([path], include_shipped=False)
    base = {"model": "frontier", "status": "ok", "output_tokens": 100}
    frame = requests_frame(
        [
            # easy and tagged: frontier 2,000 x 10 + 100 x 30 = $0.023; tiny 0.0002 + 0.00004 = $0.00024
            {**base, "complexity_tier": 0, "task_type": "classification", "input_tokens": 2000},
            # untagged (no text), even at tier 0: left out; on frontier 1,000 x 10 + 100 x 30 = $0.013
            {**base, "complexity_tier": 0, "task_type": "unknown", "input_tokens": 1000},
            # untagged at the untagged tier: 3,000 x 10 + 100 x 30 = $0.033
            {**base, "complexity_tier": 2, "task_type": "unknown", "input_tokens": 3000},
            # untagged but on a model that is not frontier-priced: not counted
            {**base, "model": "mid", "complexity_tier": 2, "task_type": "unknown", "input_tokens": 1000},
        ]
    )
    annotated = Overspend(table).annotate(price_requests(complete(frame, TAGGED), table))
    assert annotated["overspend_eligible"].tolist() == [True, False, False, False]
    assert annotated["overspend_untagged"].tolist() == [False, True, True, False]
    acc = TagAccumulator()
    acc.update(annotated)
    finding = acc.finding(float(annotated["cost_usd"].sum()))
    assert finding is not None
    assert "1 easy request (tier 0-1)" in finding.title
    assert finding.cost_usd == pytest.approx(0.023 - 0.00024)
    # 0.013 + 0.033 = $0.046 of untagged spend on frontier-priced models.
    assert "untagged spend" in finding.detail
    assert "2 requests, $0.046" in finding.detail
