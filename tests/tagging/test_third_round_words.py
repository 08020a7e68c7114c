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
        ("生态系统的物质循环有其自身的运行规律，下列说法正确的是哪一项", "reasoning"),
    ],
)
def test_everyday_phrases_do_not_trigger_them(prompt: str, not_task: str) -> None:
    assert task_of(prompt) != not_task
