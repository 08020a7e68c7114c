# ruff: noqa: RUF001
"""Words added before the third blind round: requests for creative pieces in the plural or
in more languages, maths problems without a maths keyword, argument and puzzle questions,
and the everyday phrases that must not trigger them.

Every prompt here is written for this test (none is copied from an evaluation source).
"""

from __future__ import annotations

import pandas as pd
import pytest

from llmaudit.tagging import tag_requests


def task_of(user: str) -> str:
    frame = pd.DataFrame({"user_text": pd.array([user], dtype="str")})
    return str(tag_requests(frame)["task_type"].iloc[0])


@pytest.mark.parametrize(
    ("prompt", "task"),
    [
        ("Craft three short stories about a lighthouse keeper and his dog", "creative"),
        ("Write two poems about the first frost of the year", "creative"),
        ("Compose some dialogues between a barista and a robot", "creative"),
        ("A short script where a retired pilot teaches his grandson to fly a kite", "creative"),
        ("为我们的读书会编写一份下个月的活动计划书", "creative"),
        ("请进行头脑风暴，给社区图书馆的周末活动出主意", "creative"),
        ("想出五个适合宠物店的名字", "creative"),
        ("Napiš krátký příběh o dědečkovi a jeho zahradě", "creative"),
        ("Scrivi un racconto breve su un treno di notte", "creative"),
        ("How long will it take a pump moving 12 litres a minute to fill a 300 litre tank", "math"),
        ("Two cards are drawn without replacement from a deck of 52; both are aces with what chance", "math"),
        ("Find the value of the expression when a equals 7", "math"),
        ("一个盒子里有4个红球和6个白球，从中任取3个，一共有多少种取法", "math"),
        ("Tính tổng các nghiệm của phương trình bậc hai này", "math"),
        ("The reasoning in the argument above is most vulnerable to criticism on which ground", "reasoning"),
        ("Exactly three of the five interns will each join exactly one of two teams", "reasoning"),
        ("甲乙丙丁四人站成一排，甲与乙相邻，丙不站在两端，丁站在哪里", "reasoning"),
        ("按此规律，下一个图形应该是哪一个", "reasoning"),
        ("If the red car is parked third, which one of the following could be true", "reasoning"),
        ("以下哪项如果为真，最能质疑上述结论", "reasoning"),
        ("现在你要充当一只猫，只用猫的口吻回答我", "creative"),
        ("提出一个新的社区读书会活动方案", "creative"),
    ],
)
def test_new_words(prompt: str, task: str) -> None:
    assert task_of(prompt) == task


@pytest.mark.parametrize(
    ("prompt", "not_task"),
    [
        ("你想出去走走吗", "creative"),  # 想出去: to want to go out, not to come up with
        ("这些创意工具可以配合哪些处理器使用？", "creative"),  # 创意 alone names no request
        ("Given this flawed rollout plan, which team owns the next step?", "reasoning"),
        ("你是一个律师，请回答这个法律问题：合同无效的情形有哪些？", "creative"),  # a persona, then a question
        ("生态系统的物质循环有其自身的运行规律，下列说法正确的是哪一项", "reasoning"),
    ],
)
def test_everyday_phrases_do_not_trigger_them(prompt: str, not_task: str) -> None:
    assert task_of(prompt) != not_task


def reasons_of(user: str, system: str | None = None) -> list[str]:
    frame = pd.DataFrame({"user_text": pd.array([user], dtype="str")})
    if system is not None:
        frame["system_text"] = pd.array([system], dtype="str")
    return str(tag_requests(frame)["tag_reasons"].iloc[0]).split(",")


@pytest.mark.parametrize(
    "prompt",
    [
        "A jar holds 12 red, 18 blue and 30 green marbles; Lena takes out a handful without looking",
        "一个盒子里有10个红球20个绿球30个蓝球",
        "The tank holds 250 litres, the pipe adds 15 a minute and a leak loses 4 a minute",
        "Mia paid $4.50, $3, and $12.25 at three stalls",
    ],
)
def test_three_numbers_close_together_are_a_problem_to_compute(prompt: str) -> None:
    assert "numbers" in reasons_of(prompt)
    assert task_of(prompt) == "math"


@pytest.mark.parametrize(
    "prompt",
    [
        "We met on 2026-02-28 at 10:30 and again at 14:45 to plan the launch",  # dates and times
        "Upgrade from 3.11.2 to 3.12.1, then to 3.13.0 when it ships",  # versions
        "Steps:\n1. Open the app\n2. Sign in\n3. Tap the bell",  # list markers
        "Sources [1] the manual [2] the forum [3] the FAQ say different things",  # reference markers
        "In 1914 the war began, in 1918 it ended and in 1939 another began",  # years
        "My order #4412 from store #18 has item #7 missing",  # numbered things
        "The first number is 12, and much later, after a long explanation of the context that "
        "takes far more than eighty bytes of text, comes 40, and at the end 7",  # too far apart
    ],
)
def test_numbers_that_are_not_a_problem_do_not_count(prompt: str) -> None:
    assert "numbers" not in reasons_of(prompt)


def test_numbers_count_for_nothing_in_code_under_a_task_or_in_a_puzzle() -> None:
    numbers = "Mia paid $4.50, $3, and $12.25 at three stalls"
    assert "numbers" not in reasons_of("def total():\n    return 4 + 3 + 12  # " + numbers)
    assert "numbers" not in reasons_of(numbers, system="Classify the ticket into billing, bug or other.")
    puzzle = "Clues: 1 lives directly left of 2; 3 lives directly left of 4, 5 and 6 are apart."
    assert "numbers" not in reasons_of(puzzle)


def test_a_short_message_without_a_task_word_is_a_question_unless_it_is_conversation() -> None:
    frame = pd.DataFrame(
        {
            "user_text": pd.array(["Banana milkshake recipe", "thanks a lot!", "ok and the blue one"], dtype="str"),
            "turns": [1, 1, 3],
        }
    )
    assert tag_requests(frame)["task_type"].astype(str).tolist() == ["qa", "chat", "chat"]
