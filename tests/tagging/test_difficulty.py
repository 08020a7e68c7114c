"""The difficulty score: APGR by hand, the shipped weights, the column and the tiers from it."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from llmaudit.tagging import tag_requests
from llmaudit.tagging.difficulty import FEATURES, TIER_THRESHOLDS, apgr, load_weights, tiers_from


def test_apgr_by_hand() -> None:
    score = np.array([0.9, 0.5, 0.1, 0.5])
    weak = np.array([0, 1, 1, 0])
    strong = np.array([1, 1, 1, 1])
    # Gap 2 (rows 0 and 3). Strong calls by score: row 0 (share 1/4, recovered 1/2), then the
    # tied rows 1 and 3 together (share 3/4, recovered 1), then row 2 (share 1, recovered 1).
    # Area: 1/4 * (0 + 1/2)/2 + 1/2 * (1/2 + 1)/2 + 1/4 * (1 + 1)/2 = 0.0625 + 0.375 + 0.25.
    assert apgr(score, weak, strong) == pytest.approx(0.6875)


def test_apgr_of_random_oracle_and_reverse() -> None:
    weak = np.array([0, 1, 1, 0, 1])
    strong = np.array([1, 1, 0, 1, 1])
    assert apgr(np.zeros(5), weak, strong) == pytest.approx(0.5)  # one tie: a straight line
    gap = strong - weak
    # Oracle: the two rows the strong model fixes first (tied), the one it breaks last. Net gap 1;
    # gain recovered 0, 2, 2, 1 at shares 0, 2/5, 4/5, 1 (above 1 in between: the strong model
    # also breaks a row) -> 2/5 * 1 + 2/5 * 2 + 1/5 * 3/2 = 0.4 + 0.8 + 0.3.
    assert apgr(gap.astype(float), weak, strong) == pytest.approx(1.5)
    assert apgr(-gap.astype(float), weak, strong) < 0.5
    assert np.isnan(apgr(np.zeros(2), np.array([1, 0]), np.array([0, 1])))


def test_shipped_weights_name_their_source_and_every_feature() -> None:
    doc = json.loads(resources.files("llmaudit.tagging").joinpath("difficulty.json").read_text())
    assert set(doc["weights"]) == set(FEATURES)
    assert any("RouteLLM" in source for source in doc["sources"])
    assert set(load_weights()) == set(FEATURES)


def test_tiers_from_thresholds() -> None:
    low, high = TIER_THRESHOLDS
    d = np.array([0.0, low - 1e-9, low, high - 1e-9, high, 1.0])
    assert tiers_from(d).tolist() == [0, 0, 1, 1, 2, 2]


def test_difficulty_column() -> None:
    frame = pd.DataFrame(
        {
            "user_text": pd.array(
                ["hi", "Prove that every bounded monotone sequence of real numbers converges.", None], dtype="str"
            )
        }
    )
    out = tag_requests(frame)
    d = out["difficulty"].to_numpy()
    assert out["difficulty"].dtype == np.float64
    assert 0 < d[0] < d[1] < 1  # the hard keyword and the length raise it
    assert np.isnan(d[2])  # no text: unknown, not easy
    assert out["complexity_tier"].tolist()[1:] == [2, 2]


def test_rules_still_override_the_tier() -> None:
    from llmaudit.tagging import TagRules

    rules = TagRules.model_validate({"rules": [{"match": {"feature": "f"}, "tier": 0}]})
    out = tag_requests(pd.DataFrame({"user_text": ["Prove the Riemann hypothesis."], "feature": ["f"]}), rules)
    assert out["complexity_tier"].tolist() == [0]
    assert out["difficulty"].iloc[0] > TIER_THRESHOLDS[1]  # the score itself is untouched


def test_untagged_is_one_task_type_and_one_tier() -> None:
    from llmaudit.schema import UNTAGGED_TASK, UNTAGGED_TIER
    from llmaudit.tagging import TASK_TYPES

    assert UNTAGGED_TASK in TASK_TYPES
    out = tag_requests(pd.DataFrame({"user_text": pd.array([None], dtype="str"), "input_tokens": [50]}))
    assert out["task_type"].tolist() == [UNTAGGED_TASK]
    assert out["complexity_tier"].tolist() == [UNTAGGED_TIER]
