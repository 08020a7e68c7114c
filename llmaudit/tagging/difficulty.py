"""The difficulty score: the chance that a cheaper model's answer is worse than a frontier one's.

A logistic model over signals the tagger already has (no extra text pass): the length of
the message, math notation, code, a closing question and the task
type chosen. Its weights (``difficulty.json``, next to this module) are fitted offline by
``benchmarks/fit_difficulty.py`` on public per-prompt outcomes of a weak and a strong model
(RouteLLM's MMLU responses); the file names its sources. Request shapes the fitting data
never shows (inputs over 8k tokens, long answers, reasoning tokens, stack traces, the
hard and easy keywords) add
documented prior terms instead (``PRIORS``), not fitted values.

``apgr`` measures a score the way RouteLLM does (docs/tagging.md, "Difficulty").
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final

import numpy as np

# Features in the order of the weight vector (``difficulty.json`` lists them by name).
FEATURES: Final = (
    "bias",
    "log_chars",
    "math_notation",
    "code",
    "question_end",
    "type_math",
    "type_code",
    "type_reasoning",
    "type_simple",
)
SIMPLE_TYPES: Final = ("classification", "extraction", "rewrite")
# Logit added where the fitting data has no such requests (why: see module docstring).
# The hard and easy keywords ("prove", "find the bug"; "in one word") are near absent from
# multiple-choice exam questions, so their weights are set by hand too.
PRIORS: Final = {
    "input>8k": 1.0,
    "output>2k": 0.5,
    "reasoning_tokens": 1.0,
    "stack_trace": 1.0,
    "hard_kw": 1.5,
    "easy_kw": -1.0,
}
# Tier from difficulty (docs/tagging.md, "Tiers"): below the first is tier 0, below the second tier 1.
TIER_THRESHOLDS: Final = (0.12, 0.2)


@cache
def load_weights() -> dict[str, float]:
    """The shipped weights by feature name (a missing feature weighs 0)."""
    text = resources.files("llmaudit.tagging").joinpath("difficulty.json").read_text(encoding="utf-8")
    weights = json.loads(text)["weights"]
    return {name: float(weights.get(name, 0.0)) for name in FEATURES}


def feature_matrix(columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Features as a [len(FEATURES), n] float matrix; ``columns`` maps names to arrays (bias implied)."""
    out = np.zeros((len(FEATURES), n), dtype=np.float64)
    out[0] = 1.0
    for i, name in enumerate(FEATURES[1:], start=1):
        out[i] = columns[name]
    return out


def score(features: np.ndarray, prior_logit: np.ndarray | None = None) -> np.ndarray:
    """Difficulty in [0, 1] per row from a feature matrix (and extra prior logits)."""
    weights = load_weights()
    logit = np.array([weights[name] for name in FEATURES]) @ features
    if prior_logit is not None:
        logit = logit + prior_logit
    return 1.0 / (1.0 + np.exp(-logit))


def tiers_from(difficulty: np.ndarray) -> np.ndarray:
    """Tier 0, 1 or 2 by ``TIER_THRESHOLDS`` (tier 3 is only ever set by the user's rules)."""
    return np.searchsorted(np.asarray(TIER_THRESHOLDS), difficulty, side="right").astype(np.int64)


def apgr(score: np.ndarray, weak_correct: np.ndarray, strong_correct: np.ndarray) -> float:
    """Average performance gap recovered when the highest-scored requests go to the strong model.

    The curve has one point per share of strong calls: 0, then the end of each group of equal
    scores (ties move together, as a threshold moves them), joined by straight lines, which
    is the expected value of breaking the ties at random. Performance gap recovered is
    ``(accuracy - weak) / (strong - weak)``; the area under it over strong share 0..1 is
    APGR: 0.5 for random routing, 1 for an oracle. NaN when both models score the same.
    """
    s = np.asarray(score, dtype=np.float64)
    weak = np.asarray(weak_correct, dtype=np.float64)
    strong = np.asarray(strong_correct, dtype=np.float64)
    n = len(s)
    if n == 0 or strong.sum() == weak.sum():
        return float("nan")
    order = np.argsort(-s, kind="stable")
    gain = np.concatenate([[0.0], np.cumsum((strong - weak)[order])])
    sorted_scores = s[order]
    ends = np.flatnonzero(np.append(sorted_scores[1:] != sorted_scores[:-1], True)) + 1
    points = np.concatenate([[0], ends])
    share = points / n
    recovered = gain[points] / (strong.sum() - weak.sum())
    return float(np.sum((recovered[1:] + recovered[:-1]) / 2 * np.diff(share)))


__all__ = ["FEATURES", "PRIORS", "TIER_THRESHOLDS", "apgr", "feature_matrix", "load_weights", "score", "tiers_from"]
