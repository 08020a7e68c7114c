"""The tagger's shortcuts change no result: scores computed once per distinct combination of
inputs equal scores computed row by row, and the output frame is what column insertion gives."""

from __future__ import annotations

import numpy as np
import pandas as pd

from llmaudit.tagging import engine, tag_requests
from llmaudit.tagging.lexicon import load_lexicon
from llmaudit.tagging.signals import extract_signals
from tests.tagging.test_signals import TEXTS as SIGNAL_TEXTS

# The signal tests' texts (code, a stack trace, Chinese, a question...), a null and a JSON ask.
TEXTS = [*SIGNAL_TEXTS, None, "Extract the invoice number as JSON: INV-12"]


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
    by_combination, combination, reasons_by_combination = engine._score_rows(sig, frame)
    assert by_combination.shape[1] < n / 10  # far fewer combinations of inputs than rows
    score = by_combination[:, combination]
    assert score.dtype == expected.dtype
    np.testing.assert_array_equal(score, expected)
    assert reasons_by_combination.codes == reasons.codes
    np.testing.assert_array_equal(reasons_by_combination.bits, reasons.bits)


def test_scores_of_an_empty_frame() -> None:
    frame = pd.DataFrame({"user_text": pd.array([], dtype="str")})
    score, combination, reasons = engine._score_rows(extract_signals(frame, load_lexicon()), frame)
    assert score.shape == (len(engine.TEXT_TASK_TYPES), 0) and len(combination) == len(reasons.bits) == 0


def test_output_frame_keeps_index_attrs_and_a_second_tagging_in_place() -> None:
    frame = pd.DataFrame(
        {"user_text": pd.array(["Classify this: good", "What is 2+2?", "hello"], dtype="str"), "n": [1, 2, 3]},
        index=[7, 7, 3],  # a repeated label
    )
    frame.attrs["blocks"] = [3]
    once = tag_requests(frame)
    assert list(once.index) == [7, 7, 3]
    assert list(once.columns) == [
        "user_text",
        "n",
        "task_type",
        "complexity_tier",
        "tag_confidence",
        "tag_reasons",
        "difficulty",
    ]
    assert once.attrs == {"blocks": [3]} and once.attrs["blocks"] is not frame.attrs["blocks"]
    unique = tag_requests(frame.reset_index(drop=True))
    assert unique.attrs == {"blocks": [3]}
    pd.testing.assert_frame_equal(once.reset_index(drop=True), unique)
    # Tagging a tagged frame replaces the tag columns where they are.
    twice = tag_requests(unique)
    pd.testing.assert_frame_equal(twice, unique)
    assert "blocks" not in frame.columns and list(frame.columns) == ["user_text", "n"]
