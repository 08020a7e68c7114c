"""Fixtures for the shadow tests: a small log in the OpenAI SDK's request/response shape
(the shape of sample_logs/app, itself learned from the openai-python ChatCompletion
objects) with 8 sentiment classifications (logged answer "positive") and 6 product
descriptions (open-ended), and the fake OpenAI-compatible server of ``server.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CLASSIFY = "Classify the sentiment of this review as positive, negative or neutral. Review {i}: the backpack is great."
DESCRIBE = "Product {i}: a 40L hiking backpack, waterproof, two side pockets."
KEY = "sk-shadowtest-DO-NOT-LEAK-7f3a9c"


def _line(i: int, system: str, user: str, answer: str) -> str:
    request = {
        "model": "gpt-4o",
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "max_tokens": 50,
    }
    response = {
        "id": f"chatcmpl-{i:04d}",
        "object": "chat.completion",
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 60, "completion_tokens": 5, "total_tokens": 65},
    }
    return json.dumps(
        {"timestamp": f"2026-03-01T00:{i:02d}:00Z", "request": request, "response": response, "status_code": 200}
    )


@pytest.fixture
def shadow_logs(tmp_path: Path) -> Path:
    lines = [_line(i, "You label customer reviews.", CLASSIFY.format(i=i), "positive") for i in range(8)] + [
        _line(i, "Write a short, friendly product description.", DESCRIBE.format(i=i), "A sturdy backpack.")
        for i in range(8, 14)
    ]
    # A request the logs kept no text for: counted and skipped by the sample.
    bare = json.loads(_line(14, "x", "y", "z"))
    bare["request"]["messages"] = []
    path = tmp_path / "logs.jsonl"
    path.write_text("\n".join([*lines, json.dumps(bare)]) + "\n")
    return path
