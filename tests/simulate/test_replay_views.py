"""Replays read the token columns through views of the routed rows (``replay._View``).

A route that matches every request reads the log's own arrays (no copy), and a tool-call
column with no call in the whole log is left out of the arrays (pricing skips a column of
zeros): the costs must be what the pricing formula gives by hand, and the frame untouched.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from llmaudit.pricing import load_pricing, price_requests
from llmaudit.schema import COLLECTED, TOOL_CALL_COLUMNS
from llmaudit.simulate import Policy, replay
from tests.conftest import complete, requests_frame

# $/M tokens; per_1k_calls web_search 10 = $0.01 a search on big, 5 = $0.005 on small.
PRICES = """\
schema_version: 1
name: views
source: hand-written for tests
as_of: 2026-11-01
models:
  big: {provider: openai, input: 10, output: 30, context_window: 128000, supports: [tools],
        per_1k_calls: {web_search: 10.00}}
  small: {provider: openai, input: 1, output: 2, context_window: 128000, supports: [tools],
          per_1k_calls: {web_search: 5.00}}
"""


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("views") / "prices.yaml"
    path.write_text(PRICES)
    return load_pricing([path], include_shipped=False)


def traffic(table, searches: list[int], tasks: list[str]) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    """Requests on big, 1000 input and 100 output tokens each, with ``searches`` web searches."""
    rows: list[dict[str, Any]] = [
        {
            "model": "big",
            "provider": "openai",
            "status": "ok",
            "task_type": task,
            "complexity_tier": 1,
            "tag_confidence": 0.9,
            "tool_count": 1,
            "prompt_hash": 0,
            "timestamp": pd.Timestamp("2026-03-01T00:00:00Z"),
            "input_tokens": 1000,
            "output_tokens": 100,
        }
        for task in tasks
    ]
    frame = requests_frame(rows)
    for column in TOOL_CALL_COLUMNS.values():
        frame[column] = 0
    frame["web_search_calls"] = searches
    return complete(price_requests(frame, table), COLLECTED)


def policy(**fields: Any) -> Policy:
    return Policy.model_validate({"schema_version": 1, "name": "p", **fields})


# On small: 1000 x $1/M + 100 x $2/M = $0.0012, plus $0.005 a search.
# On big: 1000 x $10/M + 100 x $30/M = $0.013, plus $0.01 a search.
@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ({"to": {"model": "small"}}, [0.0012 + 2 * 0.005, 0.0012, 0.0012]),  # every row: the log's arrays
        (  # some rows: gathered arrays; the code request keeps big
            {"match": {"task_type": ["classification"]}, "to": {"model": "small"}},
            [0.0012 + 2 * 0.005, 0.0012, 0.013],
        ),
        (  # a cascade on every row: small, then big for half of them
            {"cascade": {"first": {"model": "small"}, "then": {"model": "big"}, "escalation": 0.5}},
            [0.0112 + 0.5 * (0.013 + 0.02), 0.0012 + 0.5 * 0.013, 0.0012 + 0.5 * 0.013],
        ),
    ],
)
def test_routed_costs_include_tool_calls_and_leave_the_log_alone(
    table,  # type: ignore[no-untyped-def]
    route: dict[str, Any],
    expected: list[float],
) -> None:
    frame = traffic(table, [2, 0, 0], ["classification", "classification", "code"])
    before = frame.copy(deep=True)
    result = replay(frame, table, policy(routes=[route]))
    assert result.cost_usd.tolist() == pytest.approx(expected, rel=1e-12)
    pd.testing.assert_frame_equal(frame, before)


def test_a_tool_column_without_calls_costs_nothing(table) -> None:  # type: ignore[no-untyped-def]
    frame = traffic(table, [0, 0], ["classification", "qa"])
    result = replay(frame, table, policy(routes=[{"to": {"model": "small"}}]))
    assert result.cost_usd.tolist() == pytest.approx([0.0012, 0.0012], rel=1e-12)
