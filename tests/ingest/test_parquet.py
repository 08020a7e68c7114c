"""Parquet input: each tabular shape, streamed by record batches (tests/fixtures/logs/parquet).

The Parquet files are written into ``tmp_path`` by each test from rows spelled out here, with
small row groups so that one file spans several; the same rows are written as CSV where the
test compares the two. Parquet "lines" are 1-based row numbers (no header line).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llmaudit.errors import InputError
from llmaudit.ingest import IngestOptions, RequestReader
from tests.conftest import LOGS, TOKENS, read_all
from tests.conftest import token_rows as tokens_of

# Auto-mapped generic columns; counts are inclusive.
GENERIC_ROWS: list[dict[str, Any]] = [
    {"request_id": "g1", "timestamp": "2025-01-01T10:00:00Z", "model": "gpt-4o", "prompt_tokens": 1200,
     "completion_tokens": 300, "cached_tokens": 1024, "reasoning_tokens": 0, "user": "u1", "feature": "search",
     "tags": "a,b", "status": 200, "cost": 0.00472},
    {"request_id": "g2", "timestamp": "2025-01-01T11:00:00Z", "model": "o3", "prompt_tokens": 1200,
     "completion_tokens": 3000, "cached_tokens": 0, "reasoning_tokens": 2500, "user": "u2", "feature": "plan",
     "tags": "b", "status": 200, "cost": 0.0264},
    {"request_id": "g3", "timestamp": "2025-01-01T12:00:00Z", "model": "gpt-4o-mini", "prompt_tokens": 9,
     "completion_tokens": 5, "cached_tokens": 0, "reasoning_tokens": 0, "user": "u1", "feature": "search",
     "tags": "", "status": 200, "cost": None},
    {"request_id": "g4", "timestamp": "2025-01-01T13:00:00Z", "model": "gpt-4o", "prompt_tokens": 400,
     "completion_tokens": 0, "cached_tokens": 0, "reasoning_tokens": 0, "user": "u3", "feature": "chat",
     "tags": "", "status": 500, "cost": None},
    {"request_id": "g5", "timestamp": "2025-01-01T14:00:00Z", "model": "gpt-4o", "prompt_tokens": 100,
     "completion_tokens": 20, "cached_tokens": 0, "reasoning_tokens": 0, "user": "u3", "feature": "chat",
     "tags": "c", "status": 200, "cost": 0.00045},
    {"request_id": "g6", "timestamp": "2025-01-01T15:00:00Z", "model": "claude-sonnet-4-5", "prompt_tokens": 800,
     "completion_tokens": 200, "cached_tokens": 300, "reasoning_tokens": 0, "user": "u2", "feature": "chat",
     "tags": "", "status": 200, "cost": None},
    {"request_id": "g7", "timestamp": "2025-01-01T16:00:00Z", "model": "gpt-4o-mini", "prompt_tokens": 50,
     "completion_tokens": 10, "cached_tokens": 0, "reasoning_tokens": 0, "user": "u1", "feature": "search",
     "tags": "", "status": 200, "cost": None},
]  # fmt: skip


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([{k: "" if v is None else v for k, v in row.items()} for row in rows])
    return path


def write_parquet(path: Path, table: pa.Table, row_group_size: int = 2) -> Path:
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def generic_table(rows: list[dict[str, Any]]) -> pa.Table:
    """Typed columns, as a data warehouse writes them: integers, a timestamp, tags as a list."""
    table = pa.Table.from_pylist(rows)
    stamps = pa.array([r["timestamp"] for r in rows]).cast(pa.timestamp("ms", tz="UTC"))
    tags = pa.array([[t for t in r["tags"].split(",") if t] for r in rows], pa.list_(pa.string()))
    table = table.set_column(table.schema.get_field_index("timestamp"), "timestamp", stamps)
    return table.set_column(table.schema.get_field_index("tags"), "tags", tags)


def test_generic_parquet_across_row_groups_matches_the_csv(tmp_path: Path) -> None:
    parquet = write_parquet(tmp_path / "requests.parquet", generic_table(GENERIC_ROWS))
    assert pq.ParquetFile(parquet).num_row_groups == 4  # 7 rows, 2 per group
    csv_frame, _ = read_all(write_csv(tmp_path / "requests.csv", GENERIC_ROWS))
    frame, stats = read_all(parquet, chunk_bytes=64)
    assert stats.files[0].format == "generic"
    assert stats.lines_read == 7 and stats.parsed == 7
    assert frame["source_line"].tolist() == [1, 2, 3, 4, 5, 6, 7]  # row numbers
    assert tokens_of(frame) == tokens_of(csv_frame)
    # input 1200+1200+9+400+100+800+50 = 3759; cache reads 1024+300 = 1324;
    # output 300+3000+5+0+20+200+10 = 3535; reasoning 2500
    assert frame[TOKENS].sum().tolist() == [3759, 1324, 0, 0, 3535, 2500]
    same = ["request_id", "model", "timestamp", "user", "feature", "status", "source_cost_usd"]
    pd.testing.assert_frame_equal(frame[same], csv_frame[same])
    assert frame["tags"].fillna("").tolist() == ["a|b", "b", "", "", "c", "", ""]


def test_parquet_is_streamed_by_record_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parquet = write_parquet(tmp_path / "requests.parquet", generic_table(GENERIC_ROWS))

    def whole_file(*args: object, **kwargs: object) -> None:
        raise AssertionError("the Parquet file was loaded whole")

    monkeypatch.setattr(pq.ParquetFile, "read", whole_file)
    monkeypatch.setattr(pq, "read_table", whole_file)
    reader = RequestReader([str(parquet)], IngestOptions(chunk_bytes=64))
    frames = list(reader)
    assert len(frames) > 1  # one canonical frame per record batch
    assert sum(len(f) for f in frames) == 7


SPENDLOGS_ROWS = json.loads((LOGS / "litellm" / "spendlogs.json").read_text())


def spendlogs_text_rows() -> list[dict[str, Any]]:
    """The SpendLogs rows as a database export writes them: JSON columns as text."""
    return [{k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in row.items()} for row in SPENDLOGS_ROWS]


def test_spendlogs_parquet_matches_the_csv(tmp_path: Path) -> None:
    rows = spendlogs_text_rows()
    parquet = write_parquet(tmp_path / "spend.parquet", pa.Table.from_pylist(rows), row_group_size=1)
    csv_frame, csv_stats = read_all(write_csv(tmp_path / "spend.csv", rows))
    frame, stats = read_all(parquet)
    assert stats.files[0].format == csv_stats.files[0].format == "litellm"
    # 1200 inclusive with 1024 cached; 1300 inclusive with 300 written
    assert tokens_of(frame) == tokens_of(csv_frame) == [[1200, 1024, 0, 0, 300, 0], [1300, 0, 300, 0, 50, 0]]
    same = ["request_id", "model", "timestamp", "user", "team", "tags", "source_cost_usd", "latency_ms"]
    pd.testing.assert_frame_equal(frame[same], csv_frame[same])


def test_spendlogs_parquet_with_structured_metadata(tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k not in ("messages", "response")} for row in SPENDLOGS_ROWS]
    parquet = write_parquet(tmp_path / "spend.parquet", pa.Table.from_pylist(rows))  # metadata as a struct
    frame, _ = read_all(parquet)
    assert tokens_of(frame) == [[1200, 1024, 0, 0, 300, 0], [1300, 0, 300, 0, 50, 0]]
    assert frame["team"].tolist() == ["Search Team", "team-b"]  # metadata alias, then the team_id column


def helicone_table(prompt_tokens: pa.Array | None = None) -> pa.Table:
    """Two Helicone rows as a ClickHouse export: a timestamp column and properties as a map."""
    properties = pa.array(
        [[("feature", "search"), ("customer", "acme")], [("feature", "support"), ("Helicone-Session-Id", "sess-9")]],
        pa.map_(pa.string(), pa.string()),
    )
    return pa.table(
        {
            "request_id": ["r1", "r2"],
            "request_created_at": pa.array([1735689600000, 1735693200000], pa.timestamp("ms", tz="UTC")),
            "model": ["gpt-4o", "claude-sonnet-4-5"],
            "provider": ["OPENAI", "ANTHROPIC"],
            "prompt_tokens": prompt_tokens if prompt_tokens is not None else pa.array([1200, 1000], pa.int64()),
            "completion_tokens": pa.array([300, 500], pa.int64()),
            "prompt_cache_read_tokens": pa.array([1024, 5000], pa.int64()),
            "prompt_cache_write_tokens": pa.array([0, 2000], pa.int64()),
            "delay_ms": pa.array([1300, 2100], pa.int64()),
            "response_status": pa.array([200, 200], pa.int32()),
            "request_user_id": ["u42", "u7"],
            "properties": properties,
            "costUSD": [0.00472, 0.0108],
        }
    )


def test_helicone_parquet_with_map_properties(tmp_path: Path) -> None:
    frame, stats = read_all(write_parquet(tmp_path / "helicone.parquet", helicone_table(), row_group_size=1))
    assert stats.files[0].format == "helicone"
    # r1 inclusive as logged; r2 Anthropic: 1000 + 5000 read + 2000 written = 8000
    assert tokens_of(frame) == [[1200, 1024, 0, 0, 300, 0], [8000, 5000, 2000, 0, 500, 0]]
    assert frame["timestamp"].astype(str).tolist() == ["2025-01-01 00:00:00+00:00", "2025-01-01 01:00:00+00:00"]
    assert frame["feature"].tolist() == ["search", "support"]
    assert frame["session"].fillna("").tolist() == ["", "sess-9"]
    assert frame["tags"].fillna("").tolist() == ["customer:acme", ""]
    assert frame["source_cost_usd"].tolist() == [0.00472, 0.0108]


def test_numbers_stored_as_text_are_checked(tmp_path: Path) -> None:
    table = helicone_table(pa.array(["1200", "lots"]))
    frame, stats = read_all(write_parquet(tmp_path / "helicone.parquet", table))
    assert frame["request_id"].tolist() == ["r1"]
    assert dict(stats.skipped) == {"invalid_field": 1}
    assert stats.examples["invalid_field"] == [f"{tmp_path / 'helicone.parquet'}:2"]  # row 2
    assert "'lots' is not a number" in stats.details["invalid_field"]


def test_each_shape_is_detected_in_a_directory(tmp_path: Path) -> None:
    write_parquet(tmp_path / "a_generic.parquet", generic_table(GENERIC_ROWS))
    write_parquet(tmp_path / "b_spend.parquet", pa.Table.from_pylist(spendlogs_text_rows()))
    write_parquet(tmp_path / "c_helicone.parquet", helicone_table())
    frame, stats = read_all(tmp_path)
    assert [f.format for f in stats.files] == ["generic", "litellm", "helicone"]
    assert len(frame) == 7 + 2 + 2


def test_generic_mapping_resolves_against_parquet_columns(tmp_path: Path) -> None:
    table = pa.table({"engine": ["gpt-4o", "o3"], "tin": [1200, 1200], "tout": [300, 3000], "who": ["a", "b"]})
    parquet = write_parquet(tmp_path / "own.parquet", table)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("fields:\n  model: engine\n  input_tokens: tin\n  output_tokens: tout\n  user: who\n")
    frame, stats = read_all(parquet, format_options={"generic": {"mapping": mapping}})
    assert stats.files[0].format == "generic"
    assert tokens_of(frame) == [[1200, 0, 0, 0, 300, 0], [1200, 0, 0, 0, 3000, 0]]
    assert frame["user"].tolist() == ["a", "b"]


def test_unrecognized_columns_get_a_clear_error(tmp_path: Path) -> None:
    parquet = write_parquet(tmp_path / "other.parquet", pa.table({"alpha": [1], "beta": ["x"]}))
    with pytest.raises(InputError, match=r"no format recognizes this Parquet file's columns \(alpha,beta\)"):
        read_all(parquet)


def test_a_json_only_format_refuses_parquet(tmp_path: Path) -> None:
    parquet = write_parquet(tmp_path / "requests.parquet", generic_table(GENERIC_ROWS))
    with pytest.raises(InputError, match="read by the tabular formats, not by openai"):
        read_all(parquet, input_format="openai")


def test_compressed_or_piped_parquet_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.BytesIO()
    pq.write_table(generic_table(GENERIC_ROWS), buffer)
    gz = tmp_path / "requests.parquet.gz"
    gz.write_bytes(gzip.compress(buffer.getvalue()))
    with pytest.raises(InputError, match="not from stdin"):  # a gzip stream is not a file either
        read_all(gz)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(buffer.getvalue())))
    with pytest.raises(InputError, match="not from stdin"):
        read_all("-")
