"""Scoring, intervals, the sample and the endpoints file, checked against hand-computed values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from llmaudit.shadow.endpoints import load_endpoints, resolve
from llmaudit.shadow.evidence import interval, t95, wilson
from llmaudit.shadow.sample import draw
from llmaudit.shadow.score import judge_score, match_score, verdict

ROOT = Path(__file__).resolve().parents[2]


def test_match_scores():
    assert match_score("Positive.", "positive") == 1.0
    assert match_score("negative", "positive") == 0.0
    assert match_score('```json\n{"a": 1, "b": 2}\n```', '{"b": 2, "a": 1}') == 1.0
    assert match_score('{"a": 1, "b": 3}', '{"a": 1, "b": 2}') == 0.5
    assert match_score("not json", '{"a": 1}') == 0.0


def test_judge_both_orders():
    assert verdict(" a.") == "A" and verdict("Tie") == "TIE" and verdict("maybe") is None
    assert judge_score("A", "A") == 0.5  # a judge that always picks the first answer: no preference left
    assert judge_score("TIE", "TIE") == 1.0 and judge_score("B", "A") == 0.0
    assert judge_score(None, "B") == 1.0 and judge_score(None, None) is None


def test_intervals_against_published_values():
    # Wilson, 8 successes of 10: (0.4902, 0.9433) (Newcombe 1998, method 3 style tables).
    low, high = wilson(8, 10)
    assert (round(low, 4), round(high, 4)) == (0.4902, 0.9433)
    assert t95(10) == 2.228 and t95(60) == pytest.approx(2.000, abs=1e-3) and t95(120) == pytest.approx(1.980, abs=1e-3)
    low, high, method = interval(np.array([0.5, 1.0, 0.5, 1.0]))
    half = 3.182 * np.std([0.5, 1.0, 0.5, 1.0], ddof=1) / 2
    assert method == "t" and low == pytest.approx(0.75 - half) and high == 1.0


def _frame(n: int, start: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "request_id": [f"r{i}" for i in range(start, start + n)],
            "task_type": ["chat", "code"] * (n // 2),
            "complexity_tier": [1] * n,
            "feature": [None] * n,
            "prompt_text": ["hi"] * (n - 1) + [None],
        }
    )


def test_sample_is_seeded_and_independent_of_chunking():
    whole = draw([_frame(40)], 3, seed=7).frame
    split = draw([_frame(40).iloc[:13], _frame(40).iloc[13:]], 3, seed=7).frame
    assert whole["request_id"].tolist() == split["request_id"].tolist()
    assert len(whole) == 6 and whole.groupby("task_type").size().tolist() == [3, 3]
    assert draw([_frame(40)], 3, seed=8).frame["request_id"].tolist() != whole["request_id"].tolist()
    assert draw([_frame(40)], 3, seed=7).without_prompt == 1
    twice = draw([_frame(40), _frame(40)], 30, seed=7).frame
    assert len(twice) == 39 and twice["request_id"].is_unique  # logged twice, sampled once


def test_the_example_endpoints_file_loads():
    spec = load_endpoints(ROOT / "examples" / "shadow-endpoints.yaml")
    haiku, mini = resolve(["claude-haiku-4-5", "gpt-4.1-mini"], spec, None, None)
    assert haiku.model == "anthropic/claude-haiku-4.5" and haiku.api_key_env == "OPENROUTER_API_KEY"
    assert mini.base_url == "https://api.openai.com/v1" and mini.model == "gpt-4.1-mini"
