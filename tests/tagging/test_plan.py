"""Pass planning (tagging/plan.py): groups chosen from earlier match rates change the cost, never a result."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from llmaudit.tagging import matching, plan, tag_requests
from llmaudit.tagging.lexicon import STRUCTURE_SIGNALS, load_lexicon

# Prompts whose only task word is a Spanish, French, German or Portuguese word written in
# ASCII letters: these words sit in the main (ASCII) alternations every window goes
# through, so whatever groups the planner makes, they must still be found.
LATIN_SCRIPT = [
    ("Klassifiziere diese Bewertung: das Essen war kalt.", "classification"),
    ("Kategorisiere die folgenden Tickets nach Dringlichkeit.", "classification"),
    ("Extrahiere alle Namen aus diesem Text: Anna traf Paul in Wien.", "extraction"),
    ("Reescribe este parrafo con un tono mas amable.", "rewrite"),
    ("Umformulieren bitte: der Zug kommt spaet.", "rewrite"),
    ("Resuma o relatorio de vendas de ontem.", "summarization"),
    ("Traduza esta frase para o espanhol: bom dia a todos.", "translation"),
    ("Calcule la moyenne de ces notes: 12, 15 et 9.", "math"),
    ("Escreva um conto curto sobre um farol.", "creative"),
    ("Demuestra que la suma de dos pares es par.", "reasoning"),
]
ENGLISH = [
    "Classify the sentiment of this review: {n}",
    "Summarize this ticket in one line: order {n} arrived late",
    "Find the bug in this function: def f(x): return x + {n} / 0",
    "What is the capital of country number {n}?",
]


@pytest.fixture(autouse=True)
def fresh_rates() -> Iterator[None]:
    plan.RATES.clear()
    yield
    plan.RATES.clear()


def one_pass_each(values: pa.Array, patterns: list[str]) -> np.ndarray:
    return np.array([np.asarray(pc.fill_null(pc.match_substring_regex(values, p), False)) for p in patterns])


def lexicon_patterns() -> list[str]:
    lex = load_lexicon()
    return [c.pattern for c in lex.classes] + [lex.hard, lex.easy, lex.statement]


@pytest.mark.parametrize("rates", ["zero", "one", "random", "backwards"])
@pytest.mark.parametrize("size", [(1_000_000, 12_000), (40_000_000, 200_000)])
def test_planned_groups_match_exactly_what_one_pass_per_pattern_matches(rates: str, size: tuple[int, int]) -> None:
    patterns = lexicon_patterns() + [load_lexicon().structure[s] for s in STRUCTURE_SIGNALS]
    texts = [t for t, _ in LATIN_SCRIPT] + [e.format(n=i) for i, e in enumerate(ENGLISH)] + ["", "ok"]
    values = pa.array([t.encode() for t in texts * 3], pa.large_binary())
    expected = one_pass_each(values, patterns)
    truth = expected.mean(axis=1)
    k = len(patterns)
    rate = {
        "zero": np.zeros(k),
        "one": np.ones(k),
        "random": np.random.default_rng(7).random(k),
        "backwards": 1.0 - truth,  # the rarest patterns believed the most common
    }[rates]
    # The sizes stand for a small chunk (compiling dominates) and a large frame (scanning does).
    groups = plan.plan_groups(patterns, list(range(k)), rate, *size)
    assert sorted(i for g in groups for i in g) == list(range(k))  # every pattern, once
    np.testing.assert_array_equal(matching.match_all(values, patterns, groups, planned=True), expected)


def test_rare_patterns_share_a_pass_and_common_ones_run_alone() -> None:
    patterns = ["x" * 1_000] * 12
    rates = np.array([0.0] * 10 + [0.9, 0.9])
    # About a reader chunk's head windows: 12,000 values, 1 MB.
    groups = plan.plan_groups(patterns, list(range(12)), rates, 1_000_000, 12_000)
    assert [10] in groups and [11] in groups
    assert any(len(g) >= 5 for g in groups)
    # Where scanning outweighs compiling many times over, one group halved by match_all is cheaper.
    assert plan.plan_groups(patterns, list(range(12)), np.zeros(12), 40_000_000, 200_000) == [list(range(12))]


def test_rates_are_recorded_per_pattern_and_a_small_sample_moves_them_only_a_little() -> None:
    rates = plan.MatchRates()
    assert rates.get(["a", "b"]) is None
    rates.record(["a", "b"], np.array([[True, True, False, False], [False] * 4]))
    np.testing.assert_allclose(rates.get(["a", "b"]), [0.5, 0.0])  # type: ignore[arg-type]
    assert rates.get(["a", "c"]) is None  # "c" never seen: no plan
    rates.record(["a"], np.ones((1, 200), dtype=bool))  # 200 values weigh 200/20,000
    np.testing.assert_allclose(rates.get(["a"]), [0.5 + 0.5 * 0.01])  # type: ignore[arg-type]


def frame_with(texts: list[str], rows: int) -> pd.DataFrame:
    """``texts`` first, then templated English rows (enough to deduplicate and plan)."""
    filler = [ENGLISH[i % len(ENGLISH)].format(n=i % 700) for i in range(rows - len(texts))]
    return pd.DataFrame({"user_text": pd.array(texts + filler, dtype="str")})


@pytest.mark.parametrize("history", ["none", "english chunks", "every pattern always", "no pattern ever"])
def test_latin_script_task_words_are_tagged_whatever_the_plan(history: str) -> None:
    texts = [t for t, _ in LATIN_SCRIPT]
    if history == "english chunks":
        for _ in range(2):  # what analyze's earlier chunks of English traffic leave behind
            tag_requests(frame_with([], 5_000))
    elif history != "none":
        # Rates as wrong as they can be, so the plan is all singletons or one group.
        lex = load_lexicon()
        patterns = lexicon_patterns() + [lex.structure[s] for s in STRUCTURE_SIGNALS]
        plan.RATES.record(patterns, np.full((len(patterns), 1), history == "every pattern always"))
    out = tag_requests(frame_with(texts, 5_000))
    assert list(out["task_type"][: len(texts)]) == [task for _, task in LATIN_SCRIPT]
    # And the rest of the frame is tagged as it is without any plan.
    plan.RATES.clear()
    pd.testing.assert_frame_equal(out, tag_requests(frame_with(texts, 5_000)))
