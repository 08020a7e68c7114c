"""Conformance over every fixture: no format claims another's records; chunking never changes a result.

Issue 14's conformance test: every registered format's ``sniff`` is run over every other
format's fixture records, and every fixture is read at several chunk sizes (one line per
chunk, small chunks, the default) with identical frames and full accounting each time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from llmaudit.ingest.jsonl import Chunk, parse_chunk
from llmaudit.ingest.registry import formats, is_wrapper
from tests.conftest import LOGS, TOKENS, read_all

# Fixture folder -> the format its files hold (the generic and tabular-only folders are read by mapping).
OWNER = {
    "anthropic": "anthropic",
    "claude_code": "claude-code",
    "gemini": "gemini",
    "helicone": "helicone",
    "langfuse": "langfuse",
    "litellm": "litellm",
    "openai": "openai",
    "openai_batch": None,  # output and input files: two formats, checked by file below
    "otel": "otel",
    "report": "openai",
}
BATCH = {"output.jsonl": "openai-batch", "input.jsonl": "openai-batch-input"}
# Files of a folder that hold a neighbouring format (the folder's provider, another file shape).
BY_FILE = {
    "batch_results.jsonl": "anthropic-batch",
    "trace_download.json": "langfuse-trace",
    "trace_scores.json": "langfuse-trace",
}
JSON_FIXTURES = sorted(
    p for p in LOGS.rglob("*.json*") if p.relative_to(LOGS).parts[0] in OWNER and p.suffix in (".json", ".jsonl")
)
CHUNK_SIZES = (64, 4096, 16 << 20)


def _records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith("["):
        return [r for r in json.loads(text) if isinstance(r, dict)]
    try:
        document = json.loads(text)  # one pretty-printed object (a downloaded trace, a saved response)
    except ValueError:
        document = None
    if isinstance(document, dict):
        return [document]
    out = []
    for line in text.splitlines():
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def _claimants(record: dict[str, Any]) -> set[str]:
    """Formats that recognize the record: bare first; as a wrapped response only if none does."""
    bare = {name for name, fmt in formats().items() if fmt.sniff(record)}
    if bare or not (is_wrapper(record) and isinstance(record.get("response"), dict)):
        return bare
    return {name for name, fmt in formats().items() if fmt.request_schema is not None and fmt.sniff(record["response"])}


@pytest.mark.parametrize("path", JSON_FIXTURES, ids=lambda p: str(p.relative_to(LOGS)))
def test_no_format_claims_another_formats_records(path: Path) -> None:
    folder = path.relative_to(LOGS).parts[0]
    owner = BATCH[path.name] if folder == "openai_batch" else BY_FILE.get(path.name, OWNER[folder])
    records = _records(path)
    assert records
    for i, record in enumerate(records):
        others = _claimants(record) - {owner}
        assert not others, f"record {i + 1} of {path.name} is claimed by {sorted(others)} as well as {owner}"


def _inputs(path: Path) -> list[Path]:
    if path.parts[-2] == "openai_batch":
        return [path.parent / "output.jsonl", path.parent / "input.jsonl"]
    return [path]


# Claude Code writes one response as several lines; a response cut by a chunk boundary keeps
# the first chunk's usage (tests/ingest/test_format_claude_code.py documents it): its results
# depend on the chunk size until the format joins streamed lines across chunks.
_SPLIT_RESPONSES = pytest.mark.xfail(reason="Claude Code streamed lines are joined per chunk", strict=False)
READABLE = [
    *(
        pytest.param(p, marks=_SPLIT_RESPONSES) if "claude_code" in p.parts and "2222" not in p.name else p
        for p in JSON_FIXTURES
        if p.name != "input.jsonl"
    ),
    pytest.param(LOGS / "claude_code" / "projects", marks=_SPLIT_RESPONSES),
    *sorted(p for p in LOGS.rglob("*.csv") if p.parent.name in ("helicone", "litellm", "reconcile")),
    LOGS / "generic" / "auto.csv",
]


@pytest.mark.parametrize("path", READABLE, ids=lambda p: str(Path(p).relative_to(LOGS)))
def test_every_chunk_size_gives_the_same_frame_and_accounting(path: Path) -> None:
    results = [read_all(_inputs(path), chunk_bytes=size) for size in CHUNK_SIZES]  # read_all checks the accounting
    frame, stats = results[0]
    assert len(frame)
    for other, other_stats in results[1:]:
        pd.testing.assert_frame_equal(frame, other)
        assert other_stats.skipped == stats.skipped
        assert other_stats.lines_read == stats.lines_read
        assert other_stats.examples == stats.examples


MIXABLE = ["openai/chat.jsonl", "anthropic/messages.jsonl", "gemini/responses.jsonl", "openai/responses.jsonl"]


@pytest.mark.parametrize("chunk_bytes", CHUNK_SIZES)
def test_concatenated_logs_read_as_the_sum_of_their_files(tmp_path: Path, chunk_bytes: int) -> None:
    """``cat a.jsonl b.jsonl``: every record is read by its own format, as if its file were read alone."""
    parts = [read_all(LOGS / name)[0] for name in MIXABLE]
    mixed = tmp_path / "cat.jsonl"
    mixed.write_text("".join((LOGS / name).read_text(encoding="utf-8") for name in MIXABLE))
    frame, _ = read_all(mixed, chunk_bytes=chunk_bytes)  # detected as openai or anthropic: the first chunk decides
    alone = pd.concat(parts, ignore_index=True)
    key = ["request_id", "model"]
    got = frame.set_index(key)[TOKENS].sort_index()
    want = alone.set_index(key)[TOKENS].sort_index()
    pd.testing.assert_frame_equal(got, want)


CLAIMING = [name for name, fmt in formats().items() if fmt.claims is not None]


@pytest.mark.parametrize("name", CLAIMING)
def test_a_whole_chunk_claim_is_never_wider_than_sniff(name: str) -> None:
    """``claims`` (sniff over a parsed chunk) says True only where ``sniff`` does, on every
    fixture record of every format; and it claims its own format's fixtures."""
    fmt = formats()[name]
    claimed = 0
    for path in JSON_FIXTURES:
        records = _records(path)
        parsed = parse_chunk(Chunk("\n".join(json.dumps(r) for r in records).encode() + b"\n", 1), fmt.schema)
        assert parsed.table.num_rows == len(records), path
        for record, claim in zip(records, fmt.claims(parsed.table), strict=True):  # type: ignore[misc]
            assert not claim or fmt.sniff(record), f"{path.name}: claims a record sniff does not: {record}"
            claimed += bool(claim)
    assert claimed >= 10
