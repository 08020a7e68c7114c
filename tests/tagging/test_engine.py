# ruff: noqa: RUF001
"""The tagger on tricky cases, one by one, plus its contract (new frame, no mutation, dtypes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from llmaudit.tagging import TASK_TYPES, tag_requests


def tag(text: str | None, **columns: object) -> pd.Series:
    """Tag one request and return its row."""
    frame = pd.DataFrame({"user_text": pd.array([text], dtype="str"), **{k: [v] for k, v in columns.items()}})
    return tag_requests(frame).iloc[0]


@pytest.mark.parametrize(
    "text",
    ["Prove this is NP-complete.", "Find the race condition.", "Prove that sqrt(2) is irrational.", "Find the bug."],
)
def test_short_hard_prompts_are_not_tier_0(text: str) -> None:
    row = tag(text)
    assert row.complexity_tier >= 2, row.tag_reasons
    assert "hard_kw" in row.tag_reasons


def test_long_easy_document_summarized_in_one_line() -> None:
    # About 6,000 tokens of plain prose with the instruction at the very end.
    document = "The quarterly report covers revenue, hiring and the new office. " * 380
    row = tag(document + "\n\nSummarize the above in one line.", input_tokens=6000)
    assert row.task_type == "summarization"
    assert "kw:summarize" in row.tag_reasons
    # Under 8k tokens no long-context prior: the same text over 8k tokens is more difficult.
    assert "input>8k" not in row.tag_reasons
    longer = tag(document + "\n\nSummarize the above in one line.", input_tokens=9000)
    assert longer.difficulty > row.difficulty


def test_same_document_over_8k_tokens_is_long_context() -> None:
    document = "The quarterly report covers revenue, hiring and the new office. " * 380
    row = tag(document + "\n\nSummarize the above in one line.", input_tokens=9000)
    assert row.task_type == "summarization"
    assert row.complexity_tier == 2
    assert "input>8k" in row.tag_reasons


def test_code_pasted_into_a_grammar_question_is_a_rewrite() -> None:
    text = (
        "Fix the grammar in this comment, don't touch the code:\n"
        "```python\n# this function return the user they is logged\ndef current_user(req):\n    return req.user\n```"
    )
    row = tag(text)
    assert row.task_type == "rewrite"
    assert "code_block" in row.tag_reasons  # seen, but the instruction wins


def test_translation_request_containing_code() -> None:
    text = 'Translate the strings in this snippet into German:\n```js\nconst msg = "Your order has shipped";\n```'
    row = tag(text)
    assert row.task_type == "translation"


def test_stack_trace_is_code_and_hard() -> None:
    text = (
        "Why does this crash?\nTraceback (most recent call last):\n"
        "  File \"app.py\", line 3, in <module>\nKeyError: 'user'"
    )
    row = tag(text)
    assert row.task_type == "code"
    assert row.complexity_tier == 2
    assert "stack_trace" in row.tag_reasons


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请把下面这段话翻译成英文：我们明天开会。", "translation"),
        ("总结以下段落的主要内容：公司今年收入增长了百分之二十。", "summarization"),
        ("Traduce al inglés: el pedido llegó tarde.", "translation"),
        ("Resume este texto en una frase: la reunión se pospuso hasta el lunes por la huelga.", "summarization"),
        ("Traduisez en anglais : la réunion est reportée.", "translation"),
        ("Bitte übersetze ins Englische: Die Lieferung ist verspätet.", "translation"),
        ("Fasse diesen Text zusammen: Der Umsatz stieg im dritten Quartal deutlich.", "summarization"),
        ("写一个Python函数，计算列表的平均值。", "code"),
    ],
)
def test_multilingual_instructions(text: str, expected: str) -> None:
    assert tag(text).task_type == expected


def test_no_text_is_unknown_with_low_confidence() -> None:
    frame = pd.DataFrame({"input_tokens": [120, 20000], "output_tokens": [30, 50], "model": ["gpt-4o", "gpt-4o"]})
    out = tag_requests(frame)
    assert list(out.task_type) == ["unknown", "unknown"]
    assert (out.tag_confidence <= 0.3).all()
    # Untagged: rounded up to tier 2 whatever its size (never "easy"), difficulty unknown.
    assert list(out.complexity_tier) == [2, 2]
    assert out.difficulty.isna().all()
    assert "no_text" in out.tag_reasons.iloc[0]
    assert "input>8k" in out.tag_reasons.iloc[1]


def test_no_text_with_null_user_text_column() -> None:
    frame = pd.DataFrame({"user_text": pd.array([None, ""], dtype="str")})
    out = tag_requests(frame)
    assert list(out.task_type) == ["unknown", "unknown"]


def test_empty_frame() -> None:
    out = tag_requests(pd.DataFrame({"user_text": pd.array([], dtype="str")}))
    assert len(out) == 0
    assert list(out.columns[-5:]) == ["task_type", "complexity_tier", "tag_confidence", "tag_reasons", "difficulty"]


def test_output_columns_and_dtypes() -> None:
    frame = pd.DataFrame({"user_text": ["Classify this review as positive or negative: great!", "hi there"]})
    out = tag_requests(frame)
    assert out["complexity_tier"].dtype == np.int64
    assert out["tag_confidence"].dtype == np.float64
    assert set(out["task_type"]) <= set(TASK_TYPES)
    assert out["tag_confidence"].between(0, 1).all()
    assert out.loc[0, "task_type"] == "classification"
    assert out.loc[0, "complexity_tier"] == 0


def test_does_not_mutate_input_and_returns_a_new_frame() -> None:
    frame = pd.DataFrame({"user_text": ["Translate to French: hello"], "turns": [1]})
    before = frame.copy(deep=True)
    out = tag_requests(frame)
    assert out is not frame
    pd.testing.assert_frame_equal(frame, before)
    assert "task_type" not in frame.columns


def test_deterministic() -> None:
    texts = ["What is the capital of Peru?", "Write a haiku about rain", "def f(x): return x+1  # explain"] * 50
    frame = pd.DataFrame({"user_text": texts})
    pd.testing.assert_frame_equal(tag_requests(frame), tag_requests(frame))


def test_low_confidence_rounds_up_and_margin_is_configurable() -> None:
    frame = pd.DataFrame({"user_text": ["ok so what do you reckon about the thing from yesterday"]})
    default = tag_requests(frame).iloc[0]
    never = tag_requests(frame, round_up_margin=0.0).iloc[0]
    assert never.complexity_tier <= default.complexity_tier
    if default.tag_confidence < 0.5:
        assert "low_conf:+1" in default.tag_reasons
        assert default.complexity_tier == never.complexity_tier + 1


def test_multi_turn_small_talk_is_chat() -> None:
    row = tag("haha yeah I love that movie too, did you see the sequel?", turns=5)
    assert row.task_type == "chat"
