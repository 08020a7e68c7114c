"""Application traffic: the system prompt names the task, the user message is data."""

from __future__ import annotations

import pandas as pd
import pytest

from llmaudit.tagging import tag_requests


def tag(system: str | None, user: str, **columns: object) -> pd.Series:
    frame = pd.DataFrame(
        {
            "system_text": pd.array([system], dtype="str"),
            "user_text": pd.array([user], dtype="str"),
            **{k: [v] for k, v in columns.items()},
        }
    )
    return tag_requests(frame).iloc[0]


TICKET = "Subject: Refund\n\nHow long does a refund take? I paid $49.99 on 2026-03-02 for order 7731."


@pytest.mark.parametrize(
    ("system", "expected"),
    [
        ('Triage incoming tickets. Reply with JSON: {"queue": one of: billing, shipping, other}.', "classification"),
        ("Assign exactly one category to the message below and output only its name.", "classification"),
        ("Extract the order number, amount and date from the message as JSON.", "extraction"),
        ("You fill structured fields for our CRM, matching this schema: {name, order, amount}.", "extraction"),
        ("Summarize the customer's message in one sentence for the agent.", "summarization"),
        ("Rewrite the customer's message so it is polite and concise.", "rewrite"),
        ("Translate the message into German.", "translation"),
        ("Clasifica el mensaje del cliente en una categoría.", "classification"),
        ("Klassifiziere die Nachricht des Kunden.", "classification"),
        ("Classez le message du client dans une catégorie.", "classification"),
        ("请将客户的消息分类。", "classification"),
        ("Fasse die Nachricht des Kunden in zwei Sätzen zusammen.", "summarization"),
        ("Extrae los datos del pedido en JSON.", "extraction"),
    ],
)
def test_the_system_prompt_names_the_task(system: str, expected: str) -> None:
    # The ticket itself is a question with numbers: without the system prompt, qa or math.
    row = tag(system, TICKET, structured_output=True)
    assert row.task_type == expected, row.tag_reasons
    assert "sys_task" in row.tag_reasons


def test_without_an_instruction_the_message_decides() -> None:
    row = tag("You are a helpful assistant for Acme.", TICKET)
    assert row.task_type in {"qa", "chat"}, row.tag_reasons
    assert "sys_task" not in row.tag_reasons


def test_a_digest_full_of_numbers_is_not_math() -> None:
    tickets = "\n".join(f"#{1000 + i} [billing/high] charged {i + 3} + 2 = {i + 5} EUR" for i in range(20))
    row = tag("Write the daily digest for the team lead: volume, top issues, risks.", tickets)
    assert row.task_type == "summarization", row.tag_reasons
    assert "math_notation" in tag(None, tickets).tag_reasons  # the notation is there; the task is not math


def test_the_math_instruction_in_a_system_prompt_still_counts() -> None:
    row = tag("Solve the equation the student sends and show each step.", "3x + 5 = 20")
    assert row.task_type == "math", row.tag_reasons


@pytest.mark.parametrize(
    "text",
    [
        "Lena joined a dance class that meets 3 times a week for 45 minutes. How many hours does she dance in 4 weeks?",
        "A new program at the gym gives 2 free sessions for every 5 paid ones. How many free sessions for 20 paid?",
    ],
)
def test_a_word_problem_without_code_is_not_code(text: str) -> None:
    row = tag(None, text)
    assert row.task_type != "code" and "kw:code" not in row.tag_reasons, row.tag_reasons


@pytest.mark.parametrize(
    "text",
    ["Write a function that returns the median of a list.", "Debug this: my script exits with code 137."],
)
def test_code_requests_are_still_code(text: str) -> None:
    assert tag(None, text).task_type == "code"


@pytest.mark.parametrize("text", ["Meeting moved to 2026-03-14, see you then.", "It costs $12.50 or $15 with tax."])
def test_dates_and_prices_are_not_math_notation(text: str) -> None:
    assert "math_notation" not in tag(None, text).tag_reasons


@pytest.mark.parametrize(
    "text",
    [
        "Write a C# program that prints the first ten squares.",
        "SOLVE THIS IN C++ : read two numbers and print their gcd",
        "Plot a pandas dataframe as a bar chart in gradio",
        "Fix that code so the form validates on submit",
    ],
)
def test_languages_and_tools_mean_code(text: str) -> None:
    # "c++" and "c#" end in a symbol, so a trailing word boundary never matched them.
    assert tag(None, text).task_type == "code"


def test_short_data_under_a_system_prompt_is_not_small_talk() -> None:
    assert tag("Describe this series for our catalogue page.", "The Witcher (2019)").task_type != "chat"
    assert tag(None, "ok thanks, see you").task_type == "chat"


# A template that states its own task first (the shape of Natural-Instructions prompts,
# written here by hand): the statement names the task, the question after it is data.
STATEMENT = (
    "Definition: You are given a sentence and a question about it. Classify whether the "
    "question can be answered from the sentence: answer with one of: answerable, unanswerable.\n"
    "Sentence: The library opens at nine on weekdays.\nQuestion: When does the library open on Sundays?"
)


def test_a_task_statement_in_the_message_names_the_task() -> None:
    row = tag(None, STATEMENT)
    assert row["task_type"] == "classification"
    assert "task_statement" in row["tag_reasons"].split(",")


def test_without_the_statement_the_same_question_stays_a_question() -> None:
    row = tag(None, "Question: When does the library open on Sundays?")
    assert row["task_type"] == "qa"
    assert "task_statement" not in row["tag_reasons"].split(",")


def test_a_statement_that_names_only_a_question_changes_nothing() -> None:
    # "In this task, answer..." names no task beyond qa: nothing is damped.
    row = tag(None, "In this task, answer the question.\nQuestion: What is the capital of Peru?")
    assert row["task_type"] == "qa"
    assert "task_statement" not in row["tag_reasons"].split(",")
