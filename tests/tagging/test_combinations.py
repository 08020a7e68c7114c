"""Scores computed once per distinct combination of inputs equal scores computed row by row."""

from __future__ import annotations

import numpy as np
import pandas as pd

from llmaudit.tagging import engine
from llmaudit.tagging.lexicon import load_lexicon
from llmaudit.tagging.signals import extract_signals

TEXTS = [
    "Classify this review as positive or negative: great!",
    "Summarize the above in one line and translate it into German.",
    "Write a python script that solves 3x + 2 = 11, step by step.",
    "hello there",
    "",
    None,
    "Prove this is NP-complete.",
    "What is the capital of France?",
    "```js\nconst msg = 1;\n```\nFix the grammar in this comment",
    "Extract the invoice number as JSON: INV-12",
]


def test_combinations_group_equal_rows_and_cover_every_row() -> None:
    rng = np.random.default_rng(3)
    for width in (3, 40, 70):  # 70 columns: more than a 64-bit key holds
        columns = [rng.random(500) < 0.2 for _ in range(width)]
        rows, inverse = engine._combinations(columns, 500)
        matrix = np.stack(columns)
        expected = np.unique(matrix.T, axis=0)
        assert len(rows) == len(expected)
        # Every row has the inputs of its combination's representative row.
        assert (matrix[:, rows[inverse]] == matrix).all()
        # Distinct combinations have distinct representatives.
        assert len(np.unique(matrix[:, rows].T, axis=0)) == len(rows)


def test_scores_by_combination_equal_row_by_row_scores() -> None:
    rng = np.random.default_rng(11)
    n = 3_000
    frame = pd.DataFrame(
        {
            "user_text": pd.array(rng.choice(np.array(TEXTS, dtype=object), n), dtype="str"),
            "system_text": pd.array(
                rng.choice(np.array([None, "Classify the ticket.", "You are helpful."], dtype=object), n), dtype="str"
            ),
            "structured_output": rng.random(n) < 0.3,
            "tool_count": rng.integers(0, 2, n),
            "turns": np.where(rng.random(n) < 0.1, np.nan, rng.integers(1, 5, n)),
        }
    )
    sig = extract_signals(frame, load_lexicon())
    reasons = engine._Reasons(n)
    expected = engine._score(sig, frame, reasons)
    score, by_combination = engine._score_rows(sig, frame)
    assert score.dtype == expected.dtype
    np.testing.assert_array_equal(score, expected)
    assert by_combination.codes == reasons.codes
    np.testing.assert_array_equal(by_combination.bits, reasons.bits)


def test_scores_of_an_empty_frame() -> None:
    frame = pd.DataFrame({"user_text": pd.array([], dtype="str")})
    score, reasons = engine._score_rows(extract_signals(frame, load_lexicon()), frame)
    assert score.shape == (len(engine.TEXT_TASK_TYPES), 0) and len(reasons.bits) == 0
