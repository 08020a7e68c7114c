"""OpenAI Batch output files and the --batch-input join (fixtures: tests/fixtures/logs/openai_batch)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from llmaudit.errors import InputError
from llmaudit.ingest.formats import openai, openai_batch
from llmaudit.pricing import load_pricing, price_requests
from tests.conftest import LOGS, read_all, write_lines

BATCH = LOGS / "openai_batch"
OUTPUT = BATCH / "output.jsonl"
INPUT = BATCH / "input.jsonl"
TOKENS = ["input_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens"]


def with_inputs(*paths: Path) -> dict[str, dict[str, tuple[Path, ...]]]:
    return {"openai-batch": {"batch_inputs": paths}}


def tokens_of(frame: pd.DataFrame) -> list[list[int]]:
    return frame[TOKENS].astype(int).values.tolist()


def test_output_without_inputs_reads_the_bodies() -> None:
    frame, stats = read_all(OUTPUT)
    assert stats.files[0].format == "openai-batch"
    assert tokens_of(frame) == [
        [9, 0, 0, 5, 0],
        [2048, 1024, 0, 100, 0],
        [1200, 1024, 0, 3000, 2500],  # Responses body: counts already inclusive
    ]
    # the batch line id, not the body's chatcmpl id and not the reusable custom_id
    assert frame["request_id"].tolist() == ["batch_req_1", "batch_req_2", "batch_req_5"]
    assert (frame["pricing_mode"] == "batch").all()
    assert frame["prompt_text"].isna().all()
    # the two failed lines name no model without their input bodies
    assert dict(stats.skipped) == {"missing_model": 2, "blank_line": 1, "malformed_json": 1}
    assert stats.examples["missing_model"] == [f"{OUTPUT}:3", f"{OUTPUT}:4"]


def test_batch_input_join_recovers_prompts_and_models() -> None:
    frame, stats = read_all(OUTPUT, format_options=with_inputs(INPUT))
    assert dict(stats.skipped) == {"blank_line": 1, "malformed_json": 1}
    assert frame["request_id"].tolist() == [f"batch_req_{i}" for i in (1, 2, 3, 4, 5)]
    assert frame["prompt_text"].tolist() == [
        "system: You are a classifier.\nuser: Classify: I want my money back",
        "user: Describe this image",  # multimodal list flattened to its text part
        "robot: Hello",
        "user: Summarize this ticket",
        "system: Be terse.\nuser: What is 6 times 7?",  # /v1/responses instructions + input
    ]
    assert frame["turns"].tolist() == [2, 1, 1, 1, 2]
    assert frame["user"].iloc[0] == "u-batch"
    # failed lines take the model from their input body
    assert frame["model"].tolist() == [
        "gpt-4o-mini",
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-mini",
        "gpt-4o-mini",
        "o3-2025-04-16",
    ]
    assert (frame["pricing_mode"] == "batch").all()


def test_failed_lines_carry_status_and_error_type() -> None:
    frame, _ = read_all(OUTPUT, format_options=with_inputs(INPUT))
    assert frame["status"].tolist() == ["ok", "ok", "error", "error", "ok"]
    assert frame["error_type"].tolist()[2:4] == ["invalid_request_error", "batch_expired"]
    assert frame.loc[2:3, TOKENS].to_numpy().sum() == 0  # failed batch lines bill nothing


def test_http_failure_without_error_detail_is_named_by_its_code(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "out.jsonl",
        [
            '{"id":"batch_req_a","custom_id":"a","response":{"status_code":500,"body":{"model":"gpt-4o-mini"}},'
            '"error":null}',
            '{"id":"batch_req_b","custom_id":"b","response":{"status_code":200,"body":{"model":"gpt-4o-mini",'
            '"usage":{"prompt_tokens":3,"completion_tokens":1}}},"error":null}',
            '{"id":"batch_req_c","custom_id":"c"}',
        ],
    )
    frame, stats = read_all(path)
    assert frame["status"].tolist() == ["error", "ok"]
    assert frame["error_type"].iloc[0] == "http_500"
    assert pd.isna(frame["error_type"].iloc[1])
    assert dict(stats.skipped) == {"unrecognized_record": 1}  # line 3: neither response nor error


def test_batch_input_file_alone_in_logs_is_refused() -> None:
    with pytest.raises(InputError) as caught:
        read_all(INPUT)
    message = str(caught.value)
    assert "OpenAI Batch input file" in message and "input.jsonl" in message
    assert "batch output" in message


def test_batch_input_file_among_logs_is_joined_like_batch_input() -> None:
    # Passing both files as LOGS (or their folder) gives the same requests as --batch-input.
    together, stats = read_all([OUTPUT, INPUT])
    flagged, _ = read_all(OUTPUT, format_options=with_inputs(INPUT))
    assert together["prompt_text"].tolist() == flagged["prompt_text"].tolist()
    assert stats.companions == [(str(INPUT), "openai-batch-input")]
    assert [f.source for f in stats.files] == [str(OUTPUT)]


def test_forced_batch_input_format_still_explains_itself() -> None:
    with pytest.raises(InputError, match="--batch-input"):
        read_all(INPUT, input_format="openai-batch-input")


def test_missing_batch_input_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(InputError, match=re.escape("nope.jsonl: batch input file not found")):
        read_all(OUTPUT, format_options=with_inputs(missing))


def test_a_file_that_is_not_a_batch_input_is_refused() -> None:
    with pytest.raises(InputError, match=re.escape("output.jsonl: not an OpenAI Batch input file")):
        read_all(OUTPUT, format_options=with_inputs(OUTPUT))


def test_inputs_are_loaded_once_and_a_repeated_custom_id_is_not_joined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = write_lines(
        tmp_path / "in.jsonl",
        [
            '{"custom_id":"req-1","method":"POST","url":"/v1/chat/completions",'
            '"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"first"}]}}',
            '{"custom_id":"req-1","method":"POST","url":"/v1/chat/completions",'
            '"body":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"second"}]}}',
        ],
    )
    second_output = shutil.copy(OUTPUT, tmp_path / "again.jsonl")
    calls: list[Path] = []
    real = openai_batch._read_input_file

    def counting(path: Path):  # type: ignore[no-untyped-def]
        calls.append(path)
        return real(path)

    monkeypatch.setattr(openai_batch, "_read_input_file", counting)
    frame, stats = read_all([OUTPUT, second_output], format_options=with_inputs(inputs))
    assert calls == [inputs]  # two output files, one load
    # req-1 twice: two batches' inputs, and nothing in the output says which: not joined
    assert frame["prompt_text"].isna().all()
    # no body is joinable here, so each file's failed lines 3 and 4 name no model;
    # the second file's usable lines 1, 2 and 5 repeat the first's batch_req ids
    assert stats.skipped["missing_model"] == 4
    assert stats.skipped["duplicate_request_id"] == 3


def test_sniffs_keep_batch_lines_wrapped_logs_and_inputs_apart() -> None:
    output_line = {"id": "b1", "custom_id": "r", "response": {"status_code": 200, "body": {}}, "error": None}
    expired = {"id": "b2", "custom_id": "r", "response": None, "error": {"code": "batch_expired"}}
    input_line = {"custom_id": "r", "method": "POST", "url": "/v1/chat/completions", "body": {}}
    wrapped = {"ts": "2025-01-01", "request": {"messages": []}, "response": {"object": "chat.completion"}}
    # a team's wrapper that also logs a custom_id is still no batch line: its response has no body
    tagged = {**wrapped, "custom_id": "r"}
    lines = (output_line, expired, input_line, wrapped, tagged)
    assert [openai_batch.sniff(r) for r in lines] == [True, True, False, False, False]
    assert [openai_batch.INPUT_FORMAT.sniff(r) for r in lines] == [False, False, True, False, False]
    assert not openai.sniff(output_line)


PRICES = """\
schema_version: 1
name: batch-test
source: hand-written for tests
as_of: 2026-11-01
models:
  gpt-4o-mini:
    provider: openai
    input: 0.15
    output: 0.60
    cache_read: 0.075
    batch: {input: 0.075, output: 0.30, cache_read: 0.0375}
  o3:
    provider: openai
    input: 2.00
    output: 8.00
    cache_read: 0.50
    batch: {input: 1.00, output: 4.00, cache_read: 0.25}
"""


def test_cost_uses_batch_rates(tmp_path: Path) -> None:
    frame, _ = read_all(OUTPUT, format_options=with_inputs(INPUT))
    (tmp_path / "prices.yaml").write_text(PRICES, encoding="utf-8")
    priced = price_requests(frame, load_pricing([tmp_path / "prices.yaml"], include_shipped=False))
    assert priced["cost_usd"].tolist() == pytest.approx(
        [
            # req-1: 9*0.075 + 5*0.30 = 0.675 + 1.5 = 2.175 per million
            2.175e-6,
            # req-2: (2048-1024)*0.075 + 1024*0.0375 + 100*0.30 = 76.8 + 38.4 + 30 = 145.2
            #        (standard rates would give 153.6 + 76.8 + 60 = 290.4)
            1.452e-4,
            0.0,  # failed lines: no tokens
            0.0,
            # req-5 (o3): (1200-1024)*1.00 + 1024*0.25 + (3000-2500)*4.00 + 2500*4.00
            #           = 176 + 256 + 2000 + 10000 = 12432
            0.012432,
        ]
    )


def test_join_only_what_can_be_this_batchs_request(tmp_path: Path) -> None:
    def line(custom_id: str, model: str, content: str, url: str = "/v1/chat/completions") -> str:
        body = {"model": model, "messages": [{"role": "user", "content": content}]}
        return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})

    # another team's batch reuses req-1 and req-2 (and the fixture's own input has them too)
    other = write_lines(
        tmp_path / "other_batch_input.jsonl",
        [line("req-1", "gpt-4o-mini", "someone else's prompt"), line("req-9", "gpt-4o-mini", "unrelated")],
    )
    mismatched = write_lines(
        tmp_path / "mismatched_input.jsonl",
        [
            line("req-3", "gpt-4.1", "a model the response does not report"),
            line("req-4", "gpt-4o-mini", "another endpoint", url="/v1/embeddings"),
        ],
    )
    inputs = openai_batch.load_batch_inputs([INPUT, other, mismatched])
    assert inputs.ambiguous == 3  # req-1 (two files), req-3 and req-4 (fixture + mismatched)
    frame, _ = read_all(OUTPUT, format_options=with_inputs(INPUT, other))
    prompts = dict(zip(frame["request_id"], frame["prompt_text"], strict=False))
    assert pd.isna(prompts["batch_req_1"])  # req-1 is in both input files
    assert prompts["batch_req_2"] == "user: Describe this image"  # only in the fixture's input
    assert frame["model"].iloc[0] == "gpt-4o-mini"  # tokens, model and cost still come from the response

    served = pa.array(["gpt-4o-mini-2024-07-18", "gpt-4o-mini", "gpt-4o-mini", None])
    requested = pa.array(["gpt-4o-mini", "gpt-4o", "gpt-4o-mini", "gpt-4o"])
    assert openai_batch._same_model(requested, served).tolist() == [True, False, True, True]


def test_a_body_from_another_endpoint_or_model_is_not_joined(tmp_path: Path) -> None:
    def line(custom_id: str, model: str, url: str) -> str:
        body = {"model": model, "messages": [{"role": "user", "content": "x"}]}
        return json.dumps({"custom_id": custom_id, "method": "POST", "url": url, "body": body})

    inputs = write_lines(
        tmp_path / "in.jsonl",
        [
            line("req-1", "gpt-4.1", "/v1/chat/completions"),  # the response is gpt-4o-mini
            line("req-2", "gpt-4o-mini", "/v1/embeddings"),  # the response is a chat.completion
        ],
    )
    frame, stats = read_all(OUTPUT, format_options=with_inputs(inputs))
    assert frame["prompt_text"].isna().all()
    # the report says so: every line of the output file is counted as not joined
    assert stats.warnings["batch_prompt_not_joined"] == len(frame)
