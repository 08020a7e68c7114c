"""Helicone request exports, JSON Lines and CSV (fixtures: tests/fixtures/logs/helicone).

Helicone's ``prompt_tokens`` excludes the cache for Anthropic-routed calls (and for OpenAI in
current Helicone); each expected count below names the rule that applies and its arithmetic.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.ingest.formats import helicone
from tests.conftest import LOGS, read_all
from tests.conftest import token_rows as tokens_of

HELICONE = LOGS / "helicone"
JSONL = HELICONE / "requests.jsonl"
CSV = HELICONE / "requests.csv"


def texts(column: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in column]


def test_jsonl_tokens_under_each_convention() -> None:
    frame, stats = read_all(JSONL)
    assert stats.files[0].format == "helicone"
    assert frame["request_id"].tolist() == ["r1", "r2", "r3", "r4", "r5", "r6", "r10"]
    assert tokens_of(frame) == [
        # r1 (docs/formats.md): OpenAI, 1024 reads <= 1200, no total: inclusive as logged
        [1200, 1024, 0, 0, 300, 0],
        # r2: Anthropic-routed, prompt is Anthropic's input_tokens: 1000 + 5000 read + 2000 written
        [8000, 5000, 2000, 0, 500, 0],
        # r3: 1024 reads > 176 prompt, so 176 is exclusive: 176 + 1024 = 1200
        [1200, 1024, 0, 0, 300, 0],
        # r4: total 5300 = 3976 + 1024 + 300 (not 3976 + 300), so exclusive: 3976 + 1024 = 5000
        [5000, 1024, 0, 0, 300, 0],
        # r5: 2500 reasoning from response_body.usage, inside the 3000 completion
        [1200, 0, 0, 0, 3000, 2500],
        # r6: a 429 with null counts bills nothing
        [0, 0, 0, 0, 0, 0],
        # r10: as r1
        [1200, 1024, 0, 0, 300, 0],
    ]


def test_jsonl_cost_status_and_times() -> None:
    frame, _ = read_all(JSONL)
    cost = frame["source_cost_usd"].tolist()
    # costUSD; r10 has only ClickHouse's integer cost 4720000 * 1e-9 = $0.00472
    assert cost[:2] == [0.00472, 0.0108] and cost[4] == 0.0264
    assert cost[6] == pytest.approx(0.00472)
    assert pd.isna(cost[2]) and pd.isna(cost[3]) and pd.isna(cost[5])
    assert frame["status"].tolist() == ["ok"] * 5 + ["error", "ok"]
    assert texts(frame["error_type"]) == [None] * 5 + ["http_429", None]
    assert frame["latency_ms"].tolist() == [1300.0, 2100.0, 900.0, 1500.0, 20000.0, 120.0, 1100.0]  # delay_ms
    assert texts(frame["ttft_ms"]) == [None, 640.0, None, None, 800.0, None, None]  # time_to_first_token
    assert frame["timestamp"].iloc[6] == pd.Timestamp("2025-01-01T09:00:00Z")  # naive ClickHouse time as UTC
    assert frame["provider"].tolist() == ["openai", "anthropic", "openai", "openai", "openai", "openai", "openai"]


def test_jsonl_properties_and_prompt() -> None:
    frame, _ = read_all(JSONL)
    assert texts(frame["user"]) == ["u42", "u7", "u42", "u9", "u9", "u42", None]
    assert texts(frame["feature"]) == ["search", "support", "search", None, None, "search", None]
    assert texts(frame["session"]) == [None, "sess-9", None, None, None, None, None]  # Helicone-Session-Id
    assert texts(frame["team"]) == [None, None, None, None, "growth", None, None]
    assert texts(frame["project"]) == [None, None, None, None, "onboarding", None, None]
    # other properties as key:value; feature/team/project and Helicone-* keys are not tags
    assert texts(frame["tags"]) == [None, "env:prod", None, None, "customer:acme", None, None]
    # r2's system is a list of text blocks (flattened); r5 has developer + user messages
    assert frame["prompt_text"].iloc[1] == "system: You triage tickets.\nuser: Printer on fire."
    assert frame["system_text"].iloc[1] == "You triage tickets."
    assert (frame["system_text"].iloc[4], frame["user_text"].iloc[4]) == ("Think hard.", "Plan the launch.")
    assert frame["turns"].tolist() == [0, 2, 0, 0, 2, 0, 0]


def test_jsonl_skips() -> None:
    _, stats = read_all(JSONL)
    assert stats.lines_read == 10
    assert dict(stats.skipped) == {"blank_line": 1, "malformed_json": 1, "missing_model": 1}
    assert stats.examples["blank_line"] == [f"{JSONL}:7"]
    assert stats.examples["malformed_json"] == [f"{JSONL}:8"]
    assert stats.examples["missing_model"] == [f"{JSONL}:9"]


def test_csv_export_with_json_text_columns() -> None:
    frame, stats = read_all(CSV)
    assert stats.files[0].format == "helicone"
    assert frame["request_id"].tolist() == ["r1", "r2", "r4"]
    assert frame["source_line"].tolist() == [2, 3, 5]
    assert tokens_of(frame) == [
        [1200, 1024, 0, 0, 300, 0],  # inclusive, as in the JSON Lines
        [8000, 5000, 2000, 0, 500, 0],  # Anthropic: 1000 + 5000 + 2000
        [0, 0, 0, 0, 0, 0],  # HTTP 500, empty counts
    ]
    assert texts(frame["error_type"]) == [None, None, "http_500"]
    # properties and request_body parsed from JSON text
    assert texts(frame["feature"]) == ["search", "support", None]
    assert texts(frame["tags"]) == ["customer:acme", None, None]
    assert texts(frame["session"]) == [None, "sess-9", None]
    assert texts(frame["team"]) == [None, None, "growth"]
    assert frame["prompt_text"].tolist()[:2] == [
        "user: How do I rotate keys?",
        "system: You triage tickets.\nuser: Printer on fire.",
    ]
    assert frame["ttft_ms"].iloc[1] == 640.0
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-01-01T00:00:00Z")


def test_csv_skips() -> None:
    _, stats = read_all(CSV)
    assert stats.lines_read == 5
    assert dict(stats.skipped) == {"invalid_field": 1, "blank_line": 1}
    assert stats.examples["invalid_field"] == [f"{CSV}:4"]
    assert "'many' is not a number" in stats.details["invalid_field"]
    assert stats.examples["blank_line"] == [f"{CSV}:6"]


@pytest.mark.parametrize("path", [JSONL, CSV])
@pytest.mark.parametrize("name", ["auto", "helicone"])
def test_detection_and_forcing(path: Path, name: str) -> None:
    _, stats = read_all(path, input_format=name)
    assert stats.files[0].format == "helicone"


def test_sniffers() -> None:
    assert helicone.sniff(json.loads(JSONL.read_text().splitlines()[0]))
    assert helicone.sniff_bytes(CSV.read_bytes())
    assert not helicone.sniff_bytes((LOGS / "generic" / "auto.csv").read_bytes())
    assert not helicone.sniff_bytes((LOGS / "litellm" / "spendlogs.csv").read_bytes())
    for path in LOGS.glob("*/*.jsonl"):
        if path.parent.name == "helicone":
            continue
        for line in path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            assert not (isinstance(record, dict) and helicone.sniff(record)), (path, line[:80])


@pytest.mark.parametrize("path", [JSONL, CSV])
def test_chunk_size_never_changes_the_result(path: Path) -> None:
    small, small_stats = read_all(path, chunk_bytes=256)  # one record per chunk, property keys from the sample
    whole, whole_stats = read_all(path)
    pd.testing.assert_frame_equal(small, whole)
    assert small_stats.skipped == whole_stats.skipped


def test_system_and_content_as_text_or_blocks(tmp_path: Path) -> None:
    r2 = json.loads(JSONL.read_text().splitlines()[1])  # system as content blocks: the schema reads blocks
    body = {**r2["request_body"], "system": "Plain system.", "messages": [
        {"role": "user", "content": [{"type": "text", "text": "Look:"}, {"type": "image", "source": {}}]},
    ]}  # fmt: skip
    later = {**r2, "request_id": "r2b", "request_body": body}  # text system, block content: per-line path
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(r2) + "\n" + json.dumps(later) + "\n")
    frame, _ = read_all(path)
    assert frame["prompt_text"].tolist() == [
        "system: You triage tickets.\nuser: Printer on fire.",
        "system: Plain system.\nuser: Look:",  # the image block has no text
    ]


def test_csv_bodies_mixing_text_and_block_content(tmp_path: Path) -> None:
    body = {
        "system": [{"type": "text", "text": "Be brief.", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello."}]},
            {"role": "user", "content": 'Say "bye"'},
        ],
    }
    header = "request_id,request_created_at,model,provider,prompt_tokens,completion_tokens,request_body"
    row = ["r1", "2025-01-01 00:00:00", "claude-sonnet-4-5", "ANTHROPIC", "10", "2", json.dumps(body)]
    path = tmp_path / "bodies.csv"
    with path.open("w", newline="") as out:
        out.write(header + "\n")
        csv.writer(out).writerow(row)
    frame, _ = read_all(path)
    assert frame["prompt_text"].iloc[0] == 'system: Be brief.\nuser: Hi\nassistant: Hello.\nuser: Say "bye"'
    assert frame["user_text"].iloc[0] == 'Say "bye"'


def test_official_export_tool_csv() -> None:
    path = LOGS / "helicone" / "export_tool.csv"
    frame, stats = read_all(path)
    assert stats.files[0].format == "helicone"
    assert stats.files[0].parsed == 3
    assert tokens_of(frame) == [[500, 0, 0, 0, 40, 0], [300, 0, 0, 0, 60, 0], [0, 0, 0, 0, 0, 0]]
    assert frame["request_id"].tolist() == ["resp-1", "resp-2", "resp-3"]  # response_id: the only id
    assert frame["latency_ms"].tolist() == [820.0, 1500.0, 30000.0]  # the "latency" column, ms
    assert frame["status"].tolist() == ["ok", "ok", "error"]
    assert frame["error_type"].iloc[2] == "http_500"
    assert frame["source_cost_usd"].iloc[0] == pytest.approx(0.000099)
    assert frame["user"].iloc[0] == "u1"
    # the doubled quotes of the tool's JSON columns are undone
    assert frame["feature"].iloc[0] == "tracking"
    assert frame["tags"].iloc[0] == "customer:acme"
    assert frame["prompt_text"].iloc[1] == "system: Be brief.\nuser: Summarize the call."
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-02-01T10:00:00Z")
