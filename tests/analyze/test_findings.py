"""Findings that need their own small inputs (each written here, with its arithmetic)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.analyze.run import analyze
from llmaudit.ingest import RequestReader
from llmaudit.pricing import load_pricing
from llmaudit.report.model import AnalyzeReport

PRICES = """\
schema_version: 1
name: findings
source: tests
as_of: 2026-11-01
models:
  claude-x: {provider: anthropic, input: 3.00, output: 15.00, cache_read: 0.30, cache_write: 3.75, cache_write_1h: 6.00}
  o-x: {provider: openai, input: 2.00, output: 8.00}
"""


def report_for(tmp_path: Path, lines: list[dict[str, object]]) -> AnalyzeReport:
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICES)
    log = tmp_path / "log.jsonl"
    log.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    return analyze(RequestReader([str(log)]), load_pricing([prices], include_shipped=False))


def anthropic(i: int, *, uncached: int, read: int, write_1h: int, out: int = 10) -> dict[str, object]:
    usage = {
        "input_tokens": uncached,
        "output_tokens": out,
        "cache_read_input_tokens": read,
        "cache_creation_input_tokens": write_1h,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": write_1h},
    }
    return {"id": f"msg_{i}", "type": "message", "model": "claude-x", "usage": usage}


def test_cache_that_is_written_but_rarely_read_is_flagged(tmp_path: Path) -> None:
    # Two 1-hour writes of 10,000 tokens, one read of 10,000:
    # without cache: 30,000 * 3.00 = 90,000; with: 20,000 * 6.00 + 10,000 * 0.30 = 123,000
    # -> caching cost $0.033 more than it saved.
    report = report_for(
        tmp_path,
        [
            anthropic(1, uncached=100, read=0, write_1h=10_000),
            anthropic(2, uncached=100, read=10_000, write_1h=0),
            anthropic(3, uncached=100, read=0, write_1h=10_000),
        ],
    )
    findings = {f.id: f for f in report.findings}
    losing = findings["cache_writes_lose_money"]
    assert losing.severity == "warning"
    assert losing.cost_usd == pytest.approx(0.033)
    assert findings["prompt_caching"].cost_usd == pytest.approx(-0.033)


def test_cache_that_pays_off_is_not_flagged(tmp_path: Path) -> None:
    # One write, five reads of 10,000: without 60,000 * 3 = 180,000; with 60,000 + 15,000 = 75,000
    lines = [anthropic(1, uncached=0, read=0, write_1h=10_000)]
    lines += [anthropic(i, uncached=0, read=10_000, write_1h=0) for i in range(2, 7)]
    findings = {f.id: f for f in report_for(tmp_path, lines).findings}
    assert "cache_writes_lose_money" not in findings
    assert findings["prompt_caching"].cost_usd == pytest.approx(0.105)


def test_answers_that_are_only_hidden_reasoning_count_as_empty(tmp_path: Path) -> None:
    # o-x: 1000 prompt, 4000 output all reasoning: 1000*2 + 4000*8 = 34,000 -> $0.034 for no answer
    body = {"object": "chat.completion", "model": "o-x", "choices": [{"finish_reason": "length"}]}
    usage = {"prompt_tokens": 1000, "completion_tokens": 4000, "completion_tokens_details": {"reasoning_tokens": 4000}}
    ok = {"prompt_tokens": 1000, "completion_tokens": 10}
    report = report_for(tmp_path, [{**body, "id": "a", "usage": usage}, {**body, "id": "b", "usage": ok}])
    waste = {f.id: f for f in report.findings}["failed_or_empty"]
    assert waste.cost_usd == pytest.approx(0.034)
    assert "1 empty answer" in waste.title


def test_retry_after_failure_is_not_a_cacheable_repeat(tmp_path: Path) -> None:
    def wrapped(i: int, status: int, model: str) -> dict[str, object]:
        request = {"model": "o-x", "messages": [{"role": "user", "content": "same prompt"}]}
        response = (
            None
            if status >= 400
            else {
                "id": f"r{i}",
                "object": "chat.completion",
                "model": model,
                "usage": {"prompt_tokens": 10, "completion_tokens": 5},
            }
        )
        return {"timestamp": f"2026-03-01T10:00:0{i}Z", "request": request, "response": response, "status": status}

    # a 429, then the successful retry (logged under a dated spelling), then a true repeat
    report = report_for(tmp_path, [wrapped(1, 429, "o-x"), wrapped(2, 200, "o-x-2025-01-01"), wrapped(3, 200, "o-x")])
    dup = {f.id: f for f in report.findings}["duplicate_prompts"]
    assert "1 of 2 successful requests" in dup.detail  # only request 3 repeats request 2
