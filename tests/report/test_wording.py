"""Counts agree with their nouns and verbs, and a finding never reports a zero it need not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main

CLASSIFY = {
    "timestamp": "2026-03-01T10:00:00Z",
    "request": {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "Classify the support ticket into one category: billing, bug or other."},
            {"role": "user", "content": "My invoice shows the wrong amount."},
        ],
    },
    "response": {
        "id": "chatcmpl-one",
        "object": "chat.completion",
        "created": 1772359200,
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "billing"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 4000, "completion_tokens": 2, "total_tokens": 4002},
    },
}


def _analyze(tmp_path: Path, capsys: pytest.CaptureFixture[str], *records: dict) -> dict:
    log = tmp_path / "log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in records))
    assert main(["analyze", str(log), "-f", "json", "-q"]) == 0
    return {f["id"]: f for f in json.loads(capsys.readouterr().out)["findings"]}


def test_one_easy_request_and_one_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    findings = _analyze(tmp_path, capsys, CLASSIFY)
    assert findings["overspend"]["title"].startswith("1 easy request (tier 0-1) ran on frontier-priced models")
    assert findings["top_cost_drivers"]["title"].startswith("1 model makes ")


def test_failed_requests_alone_say_nothing_of_empty_answers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    failed = {**CLASSIFY, "response": None, "error": {"type": "rate_limit", "message": "slow down"}}
    failed["request"] = {**CLASSIFY["request"]}
    findings = _analyze(tmp_path, capsys, CLASSIFY, {**failed, "timestamp": "2026-03-01T11:00:00Z"})
    detail = findings["failed_or_empty"]["detail"]
    assert "successful request" not in detail and "$0.00" not in detail
    assert detail.startswith("The failed requests were not billed.")


def test_pricing_import_of_one_model_says_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "prices.json"
    source.write_text(
        json.dumps(
            {"gpt-4o": {"litellm_provider": "openai", "mode": "chat", "input_cost_per_token": 2.5e-6,
                        "output_cost_per_token": 1e-5}}
        )
    )  # fmt: skip
    assert main(["pricing", "import", "litellm", str(source), "-o", str(tmp_path / "out.yaml")]) == 0
    assert "wrote 1 model to " in capsys.readouterr().out
