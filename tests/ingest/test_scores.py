"""Scores the logs already carry (fixtures: ``*scores*`` under tests/fixtures/logs, shapes in the READMEs).

Each reader turns its own score fields into the canonical ``score`` (0-1, NaN when absent)
and ``score_name``; ``--score-name`` picks one name, ``--score-scale`` maps another scale
onto 0-1. Expected values are worked out beside each row; read = parsed + skipped holds
(``read_all`` checks it).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from llmaudit.errors import UsageError
from llmaudit.ingest.formats import _scores
from llmaudit.ingest.registry import Converted
from tests.conftest import LOGS, read_all


def scores_of(frame: pd.DataFrame) -> list[tuple[str, float | None, str | None]]:
    return [
        (rid, None if math.isnan(score) else round(score, 6), name if isinstance(name, str) else None)
        for rid, score, name in zip(frame["request_id"], frame["score"], frame["score_name"], strict=True)
    ]


def options(name: str | None = None, scale: str | None = None, **given: object) -> dict[str, object]:
    return {"format_options": _scores.format_settings(name, scale, given)}


def test_langfuse_trace_scores_go_to_their_observation_or_the_last_generation() -> None:
    frame, stats = read_all(LOGS / "langfuse" / "trace_scores.json")
    file = stats.files[0]
    assert (file.format, file.lines_read, file.parsed) == ("langfuse-trace", 3, 2)
    # gen-1: its own helpfulness 0.6 (the categorical "tone" is counted and left out);
    # gen-2, the last generation, takes the trace-level helpfulness 0.9 and thumbs 1:
    # two names, so without --score-name it is unscored and counted.
    assert scores_of(frame) == [("gen-1", 0.6, "helpfulness"), ("gen-2", None, None)]
    assert stats.warnings == {"score_categorical": 1, "score_ambiguous": 1}


def test_score_name_picks_one_name() -> None:
    frame, _ = read_all(LOGS / "langfuse" / "trace_scores.json", **options("Helpfulness"))
    assert scores_of(frame) == [("gen-1", 0.6, "helpfulness"), ("gen-2", 0.9, "helpfulness")]
    frame, _ = read_all(LOGS / "langfuse" / "trace_scores.json", **options("thumbs"))
    # a BOOLEAN score's value is 1 (True) or 0
    assert scores_of(frame) == [("gen-1", None, None), ("gen-2", 1.0, "thumbs")]


def test_helicone_feedback_and_scores() -> None:
    frame, stats = read_all(LOGS / "helicone" / "scores.jsonl")
    # h1/h2: thumbs up/down (feedback_rating and Helicone's own helicone-score-feedback are
    # one rating); h3: accuracy 80 is not on 0-1: left out and counted; h4: thumbs up
    # (its accuracy 90 left out likewise); h5: nothing.
    assert scores_of(frame) == [
        ("h1", 1.0, "feedback"),
        ("h2", 0.0, "feedback"),
        ("h3", None, None),
        ("h4", 1.0, "feedback"),
        ("h5", None, None),
    ]
    assert stats.warnings == {"score_out_of_scale": 2}


def test_helicone_scores_on_their_own_scale() -> None:
    frame, stats = read_all(LOGS / "helicone" / "scores.jsonl", **options("accuracy", "0-100"))
    # 80 / 100 and 90 / 100
    assert scores_of(frame)[2:4] == [("h3", 0.8, "accuracy"), ("h4", 0.9, "accuracy")]
    assert not stats.warnings


def test_helicone_csv_feedback_column() -> None:
    frame, _ = read_all(LOGS / "helicone" / "scores.csv")
    assert scores_of(frame) == [("c1", 1.0, "feedback"), ("c2", 0.0, "feedback"), ("c3", None, None)]


def test_litellm_metadata_score() -> None:
    frame, _ = read_all(LOGS / "litellm" / "scores.jsonl")
    # requester_metadata.score (what the caller passed), else metadata.score
    assert scores_of(frame) == [("l1", 0.75, "score"), ("l2", 0.25, "score"), ("l3", None, None)]


def test_generic_mapped_score_column_on_a_1_to_5_scale() -> None:
    mapping = {"generic": {"mapping": LOGS / "generic" / "scores_mapping.yaml"}}
    frame, stats = read_all(LOGS / "generic" / "scores.csv", **options(None, "1-5", **mapping))
    # (4 - 1) / 4 = 0.75, (5 - 1) / 4 = 1; blank: none; 7 is outside 1-5: left out
    assert scores_of(frame) == [
        ("g1", 0.75, "helpfulness"),
        ("g2", 1.0, "helpfulness"),
        ("g3", None, None),
        ("g4", None, None),
    ]
    assert stats.warnings == {"score_out_of_scale": 1}


def test_logs_without_scores_have_none() -> None:
    frame, _ = read_all(LOGS / "helicone" / "requests.jsonl")
    assert frame["score"].isna().all() and frame["score_name"].isna().all()


def test_several_values_of_one_name_are_averaged() -> None:
    conv = Converted(3)
    settings = _scores.ScoreSettings()
    _scores.assign(
        conv, np.array([0, 0, 2]), np.array(["a", "a", "b"], dtype=object), np.array([0.2, 0.6, 1.0]), settings
    )
    assert conv.columns["score"][0] == pytest.approx(0.4)
    assert np.isnan(conv.columns["score"][1]) and conv.columns["score"][2] == 1.0


@pytest.mark.parametrize("text", ["5-1", "high", "1-", "3-3"])
def test_a_bad_scale_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--score-scale"):
        _scores.parse_scale(text)
