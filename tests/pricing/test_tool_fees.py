"""Server-side tool calls billed per call (web search, web fetch, file search, code
interpreter, Google Search grounding): read by the provider readers, priced from
``per_1k_calls``, shown as their own cost component.

Expected costs are worked out by hand in the comments from the rates written here or the
providers' list prices (pricing/anthropic.yaml, openai.yaml, google.yaml), never taken
from the code's output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.cli import main
from llmaudit.ingest import RequestReader
from llmaudit.pricing import load_pricing, price_requests
from llmaudit.schema import TOOL_CALL_COLUMNS
from tests.conftest import requests_frame

TABLE = """\
schema_version: 1
name: tools
source: hand-written for tests
as_of: 2026-11-01
models:
  searcher:
    provider: acme
    input: 3.00
    output: 15.00
    per_1k_calls: {web_search: 10.00, file_search: 2.50, code_interpreter: 30.00}
  grounder:
    provider: acme
    input: 1.00
    output: 2.00
    per_1k_calls: {grounded_prompt: 35.00, grounding_query: 14.00}
  plain:
    provider: acme
    input: 1.00
    output: 1.00
"""

# A Messages response that ran two web searches (shape of the Anthropic API reference's
# usage object with server_tool_use, learned from anthropic-sdk-python's types/usage.py).
ANTHROPIC = {
    "id": "msg_01",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [{"type": "text", "text": "Results"}],
    "stop_reason": "end_turn",
    "usage": {
        "input_tokens": 1000,
        "output_tokens": 500,
        "cache_read_input_tokens": 0,
        "cache_creation_input_tokens": 0,
        "server_tool_use": {"web_search_requests": 2, "web_fetch_requests": 1},
    },
}
# A Responses object whose output holds the built-in tools' call items (openai-python's
# types/responses: ResponseFunctionWebSearch, ResponseFileSearchToolCall,
# ResponseCodeInterpreterToolCall with container_id): two code calls share one container.
OPENAI = {
    "id": "resp_1",
    "object": "response",
    "created_at": 1760000000,
    "model": "gpt-4.1",
    "status": "completed",
    "output": [
        {"type": "web_search_call", "id": "ws_1", "status": "completed", "action": {"type": "search", "query": "q"}},
        {"type": "web_search_call", "id": "ws_2", "status": "completed", "action": {"type": "search", "query": "r"}},
        {"type": "file_search_call", "id": "fs_1", "status": "completed", "queries": ["x"], "results": None},
        {"type": "code_interpreter_call", "id": "ci_1", "container_id": "cntr_a", "code": "1+1", "status": "completed"},
        {"type": "code_interpreter_call", "id": "ci_2", "container_id": "cntr_a", "code": "2+2", "status": "completed"},
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "ok"}]},
    ],
    "usage": {
        "input_tokens": 100,
        "output_tokens": 20,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    },
}


def gemini(model: str, queries: list[str]) -> dict[str, object]:
    """A GenerateContentResponse grounded with Google Search (REST shape: groundingMetadata
    with webSearchQueries on the candidate, as in the Gemini API grounding docs)."""
    return {
        "responseId": "r1",
        "modelVersion": model,
        "candidates": [
            {
                "finishReason": "STOP",
                "content": {"role": "model", "parts": [{"text": "x"}]},
                "groundingMetadata": {"webSearchQueries": queries, "groundingChunks": []},
            }
        ],
        "usageMetadata": {"promptTokenCount": 10, "candidatesTokenCount": 5},
    }


def read(tmp_path: Path, record: dict[str, object]) -> pd.DataFrame:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return pd.concat(list(RequestReader([str(path)])))


def calls(frame: pd.DataFrame) -> dict[str, int]:
    return {c: int(frame[c].iloc[0]) for c in TOOL_CALL_COLUMNS.values() if frame[c].iloc[0]}


@pytest.fixture
def table(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "tools.yaml"
    path.write_text(TABLE, encoding="utf-8")
    return load_pricing([path], include_shipped=False)


def test_readers_count_each_providers_tool_calls(tmp_path: Path) -> None:
    assert calls(read(tmp_path, ANTHROPIC)) == {"web_search_calls": 2, "web_fetch_calls": 1}
    assert calls(read(tmp_path, OPENAI)) == {
        "web_search_calls": 2,
        "file_search_calls": 1,
        "code_interpreter_sessions": 1,  # two calls in one container: one session
    }
    assert calls(read(tmp_path, gemini("gemini-2.5-flash", ["a", "b", "c"]))) == {
        "grounded_prompts": 1,
        "grounding_queries": 3,
    }
    assert calls(read(tmp_path, gemini("gemini-2.5-flash", []))) == {}  # grounding offered, no search ran


def test_records_without_tools_have_zero_calls(tmp_path: Path) -> None:
    plain = {**ANTHROPIC, "usage": {"input_tokens": 10, "output_tokens": 5}}
    frame = read(tmp_path, plain)
    assert calls(frame) == {} and all(frame[c].dtype == "int64" for c in TOOL_CALL_COLUMNS.values())


def test_tool_calls_priced_per_call_as_their_own_component(table) -> None:  # type: ignore[no-untyped-def]
    frame = requests_frame(
        [
            # 1000 in x $3/M = 0.003, 500 out x $15/M = 0.0075; 3 searches x $0.01 = 0.03,
            # 4 file searches x $0.0025 = 0.01, 2 containers x $0.03 = 0.06: tools 0.10
            {
                "model": "searcher",
                "input_tokens": 1000,
                "output_tokens": 500,
                "web_search_calls": 3,
                "file_search_calls": 4,
                "code_interpreter_sessions": 2,
            },
            # grounded prompt $0.035 + 5 queries x $0.014 = 0.07 (a model prices one of them in
            # practice; both here to test both): tools 0.105; tokens 0
            {"model": "grounder", "grounded_prompts": 1, "grounding_queries": 5},
            # a kind the model does not price (web search on "plain") bills nothing: 10 x $1/M
            {"model": "plain", "input_tokens": 10, "web_search_calls": 2},
        ]
    )
    for column in TOOL_CALL_COLUMNS.values():
        frame[column] = frame.get(column, pd.Series(0, index=frame.index)).fillna(0).astype("int64")
    priced = price_requests(frame, table)
    assert priced["cost_tool_calls_usd"].tolist() == pytest.approx([0.10, 0.105, 0.0])
    assert priced["cost_usd"].tolist() == pytest.approx([0.1105, 0.105, 0.00001])


def test_frames_without_tool_columns_still_price(table) -> None:  # type: ignore[no-untyped-def]
    priced = price_requests(requests_frame([{"model": "searcher", "input_tokens": 1_000_000}]), table)
    assert priced["cost_tool_calls_usd"].tolist() == [0.0] and priced["cost_usd"].tolist() == [3.0]


@pytest.mark.parametrize(
    ("record", "tokens_usd", "tools_usd"),
    [
        # claude-sonnet-4-5 $3/$15: 1000 x 3e-6 + 500 x 15e-6 = 0.0105; 2 searches x $10/1000 = 0.02
        # (web fetch has no fee). Without the searches the response was 0.0105 of 0.0305: 66% under.
        (ANTHROPIC, 0.0105, 0.02),
        # gpt-4.1 $2/$8: 100 x 2e-6 + 20 x 8e-6 = 0.00036; 2 x $0.01 + $0.0025 + 1 x $0.03 = 0.0525
        (OPENAI, 0.00036, 0.0525),
        # gemini-2.5-flash $0.30/$2.50: 10 x 0.3e-6 + 5 x 2.5e-6 = 0.0000155; one grounded prompt $0.035
        (gemini("gemini-2.5-flash", ["a", "b", "c"]), 0.0000155, 0.035),
        # gemini-3-pro-preview $2/$12: 10 x 2e-6 + 5 x 12e-6 = 0.00008; 3 queries x $14/1000 = 0.042
        (gemini("gemini-3-pro-preview", ["a", "b", "c"]), 0.00008, 0.042),
    ],
)
def test_shipped_prices_bill_tool_calls_end_to_end(
    record: dict[str, object],
    tokens_usd: float,
    tools_usd: float,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "-f", "json", "-q"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert summary["cost_by_kind"]["tool_calls_usd"] == pytest.approx(tools_usd)
    assert summary["total_cost_usd"] == pytest.approx(tokens_usd + tools_usd)


def test_cost_by_kind_line_shows_tool_calls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(ANTHROPIC) + "\n", encoding="utf-8")
    assert main(["analyze", str(path), "-q"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "reasoning $0.00, tool calls $0.0200" in out


def test_per_1k_calls_rejects_unknown_kinds_and_negatives(tmp_path: Path) -> None:
    from llmaudit.pricing import validate_pricing

    path = tmp_path / "t.yaml"
    path.write_text(TABLE.replace("web_search: 10.00,", "web_serch: 10.00, web_fetch: -1,"), encoding="utf-8")
    report = validate_pricing([path], include_shipped=False)
    assert [(e.line, e.field) for e in report.errors] == [
        (10, "models.searcher.per_1k_calls.web_fetch"),
        (10, "models.searcher.per_1k_calls.web_serch"),
    ]


def test_simulate_bills_the_tool_calls_on_the_routed_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text(json.dumps(ANTHROPIC) + "\n", encoding="utf-8")
    identity = tmp_path / "identity.yaml"
    identity.write_text("schema_version: 1\nname: identity\n", encoding="utf-8")
    # Everything to gpt-4.1 ($2/$8, web search $10 per 1,000): 1000 x 2e-6 + 500 x 8e-6 = 0.006,
    # plus 2 searches x $0.01 = 0.026 (the web fetch has no fee on either model).
    to_gpt = tmp_path / "to-gpt.yaml"
    # the record has no prompt text (untagged): `unknown: route` sends it through the routes too
    to_gpt.write_text(
        "schema_version: 1\nname: to-gpt\nunknown: route\nroutes:\n  - to: {model: gpt-4.1}\n", encoding="utf-8"
    )
    args = ["simulate", str(path), "-P", str(identity), "-P", str(to_gpt), "-q", "-f", "json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["baseline"]["total_cost_usd"] == pytest.approx(0.0305)
    totals = {p["name"]: p["total_cost_usd"] for p in data["policies"]}
    assert totals == pytest.approx({"identity": 0.0305, "to-gpt": 0.026})
