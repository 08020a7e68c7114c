"""Puzzles told as prose, instructions after a preamble, and the phrases added before the second blind round.

Every prompt here is written for this test (none is copied from an evaluation source).
"""

from __future__ import annotations

import pandas as pd
import pytest

from llmaudit.tagging import tag_requests
from llmaudit.tagging.lexicon import load_lexicon


def tag(user: str) -> pd.Series:
    frame = pd.DataFrame({"user_text": pd.array([user], dtype="str")})
    return tag_requests(frame).iloc[0]


FILLER = (
    "We keep a small shared notebook for the team, and every Friday somebody brings a new "
    "item to it. Last week it was the coffee rota, the week before the parking list, and "
    "this week it is the following short text, which several of us found interesting. "
)


@pytest.mark.parametrize(
    "prompt",
    [
        # a seating puzzle whose clues come after a long setup, closing with a plain question
        FILLER + "Four friends sit on a bench.\n\nClue(s):\n1. Ana sits directly left of Ben.\n"
        "2. Cy does not sit at either end.\n\nWho sits at the right end?",
        # a swap puzzle: the state to track is in the middle of the message
        "Tom, Uma and Val each hold a card at the start of a game: Tom has a red card, Uma a blue "
        "card and Val a green card. During the game pairs of players swap their cards. First Tom "
        "and Val swap their cards. Then Uma and Tom swap their cards. At the end, Uma has the",
        # a whodunit: suspects named in the body, the question in the last line
        "The museum's guard found the case empty at dawn. The three suspects had each given an "
        "alibi: the cleaner was mopping the east wing, the curator was at dinner, the driver was "
        "asleep in the van. Only one of them knew the alarm code. Who stole the necklace?",
    ],
)
def test_a_puzzle_told_as_prose_is_reasoning(prompt: str) -> None:
    row = tag(prompt)
    assert row["task_type"] == "reasoning"


def test_the_puzzle_signal_names_its_reason() -> None:
    row = tag("Clues:\n1. The baker lives directly right of the painter.\n2. The cat owner is not in house 3.")
    assert "puzzle" in row["tag_reasons"].split(",")


@pytest.mark.parametrize(
    "prompt",
    [
        "I suspect the cache is stale. Why does my page show yesterday's prices?",
        "Which seat is best on a long flight, left or right of the aisle?",
    ],
)
def test_everyday_words_near_the_puzzle_phrases_are_not_puzzles(prompt: str) -> None:
    assert "puzzle" not in tag(prompt)["tag_reasons"].split(",")


def test_an_instruction_after_a_preamble_of_200_to_400_bytes_is_read() -> None:
    prompt = FILLER + "Please translate it into French: the meeting moves to Thursday."
    head = load_lexicon().head_chars
    assert 200 < prompt.index("translate") < head
    row = tag(prompt)
    assert row["task_type"] == "translation"


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Minimally change the given sentence so that its answer becomes the other object.", "rewrite"),
        ("The paragraph below should be rewritten for a younger audience.", "rewrite"),
        ("Suggest a catchy motto for our bakery, which opens in May.", "creative"),
        ("Give the new podcast a short title and three hashtags.", "creative"),
        ("A cake costs $4.50 and a pie $6.25; find the total cost of two cakes and a pie.", "math"),
        ("The town had 48,613 residents; write that number rounded to the nearest hundred.", "math"),
    ],
)
def test_second_blind_round_phrases(prompt: str, expected: str) -> None:
    assert tag(prompt)["task_type"] == expected
