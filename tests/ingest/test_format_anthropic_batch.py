"""Anthropic Message Batches results (fixture: tests/fixtures/logs/anthropic/batch_results.jsonl).

Succeeded results are Messages API responses priced at batch rates; errored, canceled and
expired results are not billed and are skipped by reason. Costs are worked out from the
shipped claude-sonnet-4-5 batch rates (USD per million: input 1.50, output 7.50, cache
read 0.15, cache write 1.875).
"""

from __future__ import annotations

import json

import pytest

from llmaudit.ingest.formats import anthropic_batch, langfuse_trace
from llmaudit.pricing import load_pricing, price_requests
from tests.conftest import LOGS, read_all
from tests.conftest import token_rows as tokens_of

RESULTS = LOGS / "anthropic" / "batch_results.jsonl"


def test_succeeded_results_are_batch_requests() -> None:
    frame, stats = read_all(RESULTS)
    assert stats.files[0].format == "anthropic-batch"
    assert tokens_of(frame) == [
        [1000, 0, 0, 0, 200, 0],
        # 50 uncached + 4000 read + 1000 written = 5050
        [5050, 4000, 1000, 0, 100, 0],
    ]
    assert frame["request_id"].tolist() == ["msg_b1", "msg_b2"]
    assert (frame["pricing_mode"] == "batch").all()  # request-2 names no service tier
    assert (frame["provider"] == "anthropic").all()


def test_unbilled_results_are_skipped_by_reason() -> None:
    _, stats = read_all(RESULTS)
    assert dict(stats.files[0].skipped) == {"batch_errored": 1, "batch_canceled": 1, "batch_expired": 1}
    assert stats.examples["batch_errored"] == [f"{RESULTS}:3"]
    assert stats.examples["batch_canceled"] == [f"{RESULTS}:4"]
    assert stats.examples["batch_expired"] == [f"{RESULTS}:5"]


def test_strict_accepts_unbilled_results() -> None:
    _, stats = read_all(RESULTS, strict=True)
    assert stats.files[0].parsed == 2


def test_batch_rates() -> None:
    frame, _ = read_all(RESULTS)
    priced = price_requests(frame, load_pricing())
    # request-1: 1000 * 1.50 + 200 * 7.50 = 1500 + 1500 = 3000 per million -> $0.003
    assert priced["cost_usd"].iloc[0] == pytest.approx(0.003)
    # request-2: 50 * 1.50 + 4000 * 0.15 + 1000 * 1.875 + 100 * 7.50
    #          = 75 + 600 + 1875 + 750 = 3300 per million -> $0.0033
    assert priced["cost_usd"].iloc[1] == pytest.approx(0.0033)


def test_sniff() -> None:
    assert anthropic_batch.sniff({"custom_id": "a", "result": {"type": "succeeded", "message": {}}})
    assert anthropic_batch.sniff({"custom_id": "a", "result": {"type": "expired"}})
    assert not anthropic_batch.sniff({"custom_id": "a", "response": {"status_code": 200, "body": {}}})
    assert not anthropic_batch.sniff({"custom_id": "a", "result": {"type": "pending"}})


def test_no_other_fixture_is_claimed_by_the_new_shapes() -> None:
    own = {RESULTS, LOGS / "langfuse" / "trace_download.json"}
    claimed = []
    for path in sorted(LOGS.rglob("*.json*")):
        if path in own:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict) and (anthropic_batch.sniff(record) or langfuse_trace.sniff(record)):
                claimed.append(f"{path}:{number}")
    assert claimed == []
