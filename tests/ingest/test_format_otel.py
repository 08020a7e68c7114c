"""OpenTelemetry GenAI spans, OTLP/JSON and flat records (fixtures: tests/fixtures/logs/otel).

Every expected count is worked out from the fixture's raw attributes in the comment beside
it; the README there describes each span.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.ingest.formats import claude_code, otel
from llmaudit.ingest.registry import formats, get_format
from tests.conftest import LOGS, read_all, write_lines
from tests.conftest import token_rows as tokens_of

OTEL = LOGS / "otel"
OTLP = OTEL / "otlp.jsonl"
FLAT = OTEL / "flat.jsonl"
T0 = pd.Timestamp("2026-01-01T00:00:00Z")
TRACE2 = "0af7651916cd43dd8448eb211c80319c"


def test_otlp_spans_become_inclusive_requests() -> None:
    frame, stats = read_all(OTLP)
    assert stats.files[0].format == "otel"
    assert frame["request_id"].tolist() == [
        "chatcmpl-1",
        "msg_01",
        "msg_02",
        f"{TRACE2}:a1b2c3d4e5f60001",  # no gen_ai.response.id: traceId:spanId
        f"{TRACE2}:a1b2c3d4e5f60002",
        f"{TRACE2}:a1b2c3d4e5f60004",
        f"{TRACE2}:a1b2c3d4e5f60005",
        f"{TRACE2}:a1b2c3d4e5f60006",
    ]
    assert tokens_of(frame) == [
        # S1: inclusive as the conventions say: 1024 of the 1200 were cache reads
        [1200, 1024, 0, 0, 300, 0],
        # S3: reads 10000 > input 5, so the emitter reports Anthropic's exclusive count:
        #     5 + 10000 + 500 = 10505
        [10505, 10000, 500, 0, 200, 0],
        # S4: same scope, service and provider as S3, so exclusive too: 3000 + 0 + 2000 = 5000
        [5000, 0, 2000, 0, 100, 0],
        # S5: deprecated prompt_tokens / completion_tokens
        [9, 0, 0, 0, 5, 0],
        # S6: failed, no usage: nothing billed
        [0, 0, 0, 0, 0, 0],
        # S8: embeddings, input only
        [50, 0, 0, 0, 0, 0],
        # S10: output 3000 already includes the 2500 reasoning tokens
        [1200, 0, 0, 0, 3000, 2500],
        # S9: reasoning 700 > output 300, so thoughts were left out: 300 + 700 = 1000
        [1200, 1000, 0, 0, 1000, 700],
    ]
    # S1 is priced as the response model; the others name only the requested one
    assert frame["model"].tolist() == [
        "gpt-4o-2024-08-06",
        *["claude-sonnet-4-5"] * 2,
        "gpt-4o-mini",
        "gpt-4o",
        "text-embedding-3-small",
        "o3",
        "gemini-2.5-flash",
    ]
    # gen_ai.provider.name, else the deprecated gen_ai.system (lower-cased)
    assert frame["provider"].tolist() == ["openai", "anthropic", "anthropic", *["openai"] * 4, "gcp.gemini"]
    assert frame["source_line"].tolist() == [1, 1, 1, 2, 2, 2, 2, 2]


def test_otlp_times_status_and_attribution() -> None:
    frame, _ = read_all(OTLP)
    seconds = [0, 2, 5, 60, 61, 62, 63, 64]  # startTimeUnixNano - T0, in seconds
    assert frame["timestamp"].tolist() == [T0 + pd.Timedelta(seconds=s) for s in seconds]
    # endTimeUnixNano - startTimeUnixNano: 1.3 s, 2 s, 1.5 s, 0.4 s, 0.1 s, 0.05 s, 30 s, 2 s
    assert frame["latency_ms"].tolist() == [1300.0, 2000.0, 1500.0, 400.0, 100.0, 50.0, 30000.0, 2000.0]
    assert frame["ttft_ms"].iloc[2] == 250.0  # time_to_first_chunk 0.25 s
    assert frame["status"].tolist() == ["ok"] * 4 + ["error"] + ["ok"] * 3
    assert frame["error_type"].iloc[4] == "RateLimitError"
    assert frame["finish_reason"].iloc[0] == "stop"  # the arrayValue's first string
    assert frame["session"].iloc[0] == "conv-42"
    assert frame["user"].iloc[0] == "u42"
    assert frame["max_output_tokens"].iloc[0] == 500
    # resource attributes: service.name -> project; deployment.environment(.name) -> tag
    assert frame["project"].tolist() == ["support-bot"] * 3 + ["batch-jobs"] * 5
    assert frame["tags"].tolist() == ["env:production"] * 3 + ["env:staging"] * 5


def test_otlp_prompt_from_opt_in_messages() -> None:
    frame, _ = read_all(OTLP)
    first = frame.iloc[0]
    # system instructions, then one "role: text" line per message; tool calls carry no text
    assert first["prompt_text"] == (
        "system: You are terse.\nuser: Weather in Paris?\nassistant: \ntool: \nuser: And tomorrow?"
    )
    assert (first["turns"], first["user_text"], first["system_text"]) == (4, "And tomorrow?", "You are terse.")
    assert frame["prompt_text"].iloc[1:].isna().all()  # content capture is opt-in


def test_otlp_line_accounting() -> None:
    _, stats = read_all(OTLP)
    # 9 model-call spans (S1 S3 S4 on line 1; S5 S6 S8 S10 S9 on line 2; S11 on line 4),
    # plus line 3 (no model call) and line 5 (malformed): 9 + 1 + 1 = 11 "lines" read.
    # S2 (HTTP), S7 (agent) and line 3's span are not requests and count for nothing.
    file = stats.files[0]
    assert (file.lines_read, file.parsed) == (11, 8)
    assert dict(file.skipped) == {"not_a_request": 1, "duplicate_request_id": 1, "malformed_json": 1}
    assert stats.examples["not_a_request"] == [f"{OTLP}:3"]
    assert stats.examples["duplicate_request_id"] == [f"{OTLP}:4"]  # S11 repeats S1's response id
    assert stats.examples["malformed_json"] == [f"{OTLP}:5"]


def test_chunking_never_changes_the_result() -> None:
    whole, _ = read_all(OTLP)
    small, stats = read_all(OTLP, chunk_bytes=256)  # about one line per chunk
    pd.testing.assert_frame_equal(whole, small)
    assert stats.files[0].lines_read == 11


def test_pretty_printed_document(tmp_path: Path) -> None:
    batch = json.loads(OTLP.read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "export.json"
    path.write_text(json.dumps(batch, indent=2), encoding="utf-8")
    frame, stats = read_all(path)  # recognized from its first bytes: no line is a whole object
    assert stats.files[0].format == "otel"
    # the document is one record, line 1: 3 model-call spans read, none skipped
    assert (stats.files[0].lines_read, frame["source_line"].tolist()) == (3, [1, 1, 1])
    assert tokens_of(frame)[1] == [10505, 10000, 500, 0, 200, 0]  # 5 + 10000 + 500


def _rewrite(value: object, numbers: bool, enum_names: bool) -> object:
    """The batch as some exporters write it: 64-bit ints (intValue, times) as JSON numbers,
    and/or the status code as its enum name."""
    if isinstance(value, dict):
        out = {k: _rewrite(v, numbers, enum_names) for k, v in value.items()}
        for key in ("intValue", "startTimeUnixNano", "endTimeUnixNano"):
            if numbers and key in out:
                out[key] = int(out[key])
        if enum_names and out.get("code") == 2:
            out["code"] = "STATUS_CODE_ERROR"
        return out
    if isinstance(value, list):
        return [_rewrite(v, numbers, enum_names) for v in value]
    return value


@pytest.mark.parametrize(
    ("numbers", "enum_names", "conforming_first"),
    [
        (True, False, False),  # read by the second OTLP schema (64-bit ints as numbers)
        (False, True, False),  # read by the loose schema (enum as text)
        (True, True, True),  # one conforming line, one not: the per-line parser
    ],
)
def test_exporters_that_write_numbers_or_enum_names(
    tmp_path: Path, numbers: bool, enum_names: bool, conforming_first: bool
) -> None:
    lines = OTLP.read_text(encoding="utf-8").splitlines()[:2]
    written = [json.dumps(_rewrite(json.loads(line), numbers, enum_names)) for line in lines]
    if conforming_first:
        written[0] = lines[0]
    frame, _ = read_all(write_lines(tmp_path / "variant.jsonl", written))
    expected, _ = read_all(write_lines(tmp_path / "spec.jsonl", lines))
    assert tokens_of(frame) == tokens_of(expected)
    assert frame["status"].tolist() == expected["status"].tolist()  # STATUS_CODE_ERROR is an error too
    assert frame["latency_ms"].tolist() == expected["latency_ms"].tolist()
    assert frame["timestamp"].tolist() == expected["timestamp"].tolist()


def test_flat_records_and_aliases() -> None:
    frame, stats = read_all(FLAT)
    assert stats.files[0].format == "otel"
    assert tokens_of(frame) == [
        # line 1 (the docs/formats.md minimal record): inclusive, 8000 >= 5000 + 2000
        [8000, 5000, 2000, 0, 500, 0],
        # line 2: gen_ai.usage.cache_read_tokens alias
        [1200, 1024, 0, 0, 300, 0],
        # line 3: cache_read_tokens 9000 + cache_creation_tokens 300 > input 4: exclusive
        #         4 + 9000 + 300 = 9304 (its emitter, service agent-x, differs from line 1's)
        [9304, 9000, 300, 0, 50, 0],
        # line 4: prompt_tokens / cached_tokens / completion_tokens / reasoning_tokens
        [500, 100, 0, 0, 80, 30],
        # line 7: a failed call without usage
        [0, 0, 0, 0, 0, 0],
        # line 8: input_tokens.cached 0; output_tokens.reasoning 2500 within output 3000
        [1200, 0, 0, 0, 3000, 2500],
    ]
    assert frame["source_line"].tolist() == [1, 2, 3, 4, 7, 8]
    assert frame["request_id"].tolist() == [
        f"{FLAT}:1",  # no id of any kind: the file:line fallback
        "7c2d9f3a1b4e5f60:9e8d7c6b",  # trace_id:span_id
        f"{FLAT}:3",
        f"{FLAT}:4",
        "resp-err",
        f"{FLAT}:8",
    ]
    assert frame["model"].iloc[5] == "o3-2025-04-16"
    assert frame["provider"].iloc[3] == "deepseek"  # from gen_ai.system
    second = frame.iloc[1]
    assert second["timestamp"] == pd.Timestamp("2026-01-01T10:00:00Z")
    assert second["latency_ms"] == 2500.0  # 10:00:02.5 - 10:00:00
    assert (second["session"], second["user"], second["project"], second["tags"]) == (
        "conv-7",
        "u7",
        "search-api",
        "env:prod",
    )
    assert second["finish_reason"] == "stop"
    assert (frame["status"].iloc[4], frame["error_type"].iloc[4]) == ("error", "timeout")  # otel.status_code ERROR
    assert frame["source_cost_usd"].iloc[5] == pytest.approx(0.0264)
    assert frame["prompt_text"].iloc[5] == "user: Prove it"  # the deprecated gen_ai.prompt
    assert dict(stats.skipped) == {"not_a_request": 2}
    assert stats.examples["not_a_request"] == [f"{FLAT}:5", f"{FLAT}:6"]  # a health check, a tool span


def test_strict_accepts_spans_that_are_not_model_calls() -> None:
    frame, _ = read_all(FLAT, strict=True)  # a health check and a tool span lose no data
    assert len(frame) == 6


def test_flat_counts_written_as_text(tmp_path: Path) -> None:
    record = json.loads(FLAT.read_text(encoding="utf-8").splitlines()[0])
    as_text = {k: str(v) if k.startswith("gen_ai.usage.") else v for k, v in record.items()}
    path = write_lines(tmp_path / "text.jsonl", [json.dumps(as_text), json.dumps(record)])
    frame, _ = read_all(path)
    assert tokens_of(frame) == [[8000, 5000, 2000, 0, 500, 0]] * 2


def test_exclusive_rule_needs_proof_per_emitter(tmp_path: Path) -> None:
    def span(service: str, inp: int, read: int) -> str:
        return json.dumps(
            {
                "gen_ai.provider.name": "anthropic",
                "gen_ai.request.model": "claude-sonnet-4-5",
                "service.name": service,
                "gen_ai.usage.input_tokens": inp,
                "gen_ai.usage.cache_read.input_tokens": read,
                "gen_ai.usage.output_tokens": 1,
            }
        )

    spans = [span("a", 3, 900), span("a", 500, 100), span("b", 500, 100), span("c", 0, 400), span("c", 500, 100)]
    frame, stats = read_all(write_lines(tmp_path / "spans.jsonl", spans))
    # service a: 3 + 900 proves exclusive counts, so its second span is 500 + 100 = 600;
    # service b shows no proof, so 500 is read as inclusive (100 of it cached);
    # service c: an input of 0 below 400 cached is fixed to 0 + 400, but a zero proves
    #            nothing about the emitter, so 500 stays inclusive
    assert frame["input_tokens"].tolist() == [903, 600, 500, 400, 500]
    # Only service a's second span changed on another span's evidence: that is said, not silent.
    assert stats.warnings == {"otel_exclusive_inferred": 1}


def test_inferred_convention_is_a_report_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from llmaudit.cli import main

    # One corrupt span (input 4 below 900 cached) re-prices its emitter's 3 other spans: the report says so.
    base = {"gen_ai.provider.name": "openai", "gen_ai.request.model": "gpt-4o", "gen_ai.usage.output_tokens": 1}
    spans = [
        json.dumps({**base, "gen_ai.usage.input_tokens": n, "gen_ai.usage.cache_read.input_tokens": r})
        for n, r in ((4, 900), (1000, 500), (1000, 500), (1000, 500))
    ]
    assert main(["analyze", str(write_lines(tmp_path / "spans.jsonl", spans)), "-f", "json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any(w.startswith("3 otel exclusive inferred: OTel spans read as exclusive") for w in warnings), warnings


def test_flat_messages_as_structure_or_json_text(tmp_path: Path) -> None:
    messages = [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Hi"}, {"type": "blob", "content": "aGk="}]},
    ]
    base = {"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 1}
    structured = json.dumps({**base, "gen_ai.input.messages": messages, "gen_ai.response.finish_reasons": "stop"})
    text = json.dumps({**base, "gen_ai.input.messages": json.dumps(messages)})
    for name, lines in (("structured", [structured]), ("text", [text]), ("both", [structured, text])):
        frame, _ = read_all(write_lines(tmp_path / f"{name}.jsonl", lines))
        # one "role: text" line per message; the blob part carries no text
        assert set(frame["prompt_text"]) == {"system: Be brief.\nuser: Hi"}, name
        assert set(frame["user_text"]) == {"Hi"}
        assert set(frame["system_text"]) == {"Be brief."}  # a system-role message
    assert frame["finish_reason"].iloc[0] == "stop"  # a lone string is one finish reason
    assert pd.isna(frame["finish_reason"].iloc[1])


@pytest.mark.parametrize("name", ["auto", "otel", "opentelemetry"])
def test_detection_and_forcing(name: str) -> None:
    for path, count in ((OTLP, 8), (FLAT, 6)):
        frame, stats = read_all(path, input_format=name)
        assert (stats.files[0].format, len(frame)) == ("otel", count)
    assert get_format("opentelemetry") is otel.FORMAT


def test_sniff() -> None:
    assert otel.sniff({"resourceSpans": []})
    assert otel.sniff({"gen_ai.request.model": "gpt-4o"})
    assert not otel.sniff({"model": "gpt-4o", "usage": {"prompt_tokens": 1}})
    assert not otel.sniff({"attributes": {"gen_ai.request.model": "gpt-4o"}})  # nested: not this shape
    assert otel.sniff_bytes(b'{\n  "resourceSpans": [\n')
    assert not otel.sniff_bytes(b"model,input_tokens\ngpt-4o,1\n")


def test_no_other_fixture_is_taken_for_otel_or_claude_code() -> None:
    others = [p for p in LOGS.rglob("*.jsonl") if p.parent.name != "otel" and "claude_code" not in p.parts]
    assert others
    for path in others:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                assert not otel.sniff(record), (path, line[:80])
                assert not claude_code.sniff(record), (path, line[:80])


def test_no_other_format_takes_these_fixtures() -> None:
    ours = {"otel", "claude-code"}
    paths = [*OTEL.glob("*.jsonl"), *(LOGS / "claude_code").rglob("*.jsonl")]
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            claimed = {name for name, fmt in formats().items() if fmt.sniff(record)}
            assert not claimed - ours, (path, line[:80])


def test_cache_write_attribute_spellings() -> None:
    frame, _ = read_all(OTEL / "cache_write.jsonl")
    assert tokens_of(frame) == [
        # gen_ai.usage.cache_write.input_tokens 1500: a cache write, not plain input
        [3000, 1000, 1500, 0, 100, 0],
        # exclusive emitter (read 200 + write 50 > input 50): 50 + 200 + 50 = 300
        [300, 200, 50, 0, 20, 0],
    ]
