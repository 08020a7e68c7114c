"""Property tests: whatever the lines, every line is accounted for and only user errors are raised."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmaudit.errors import InputError
from llmaudit.ingest import jsonl
from tests.conftest import read_all

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
CHUNKS = st.sampled_from([64, 700, 4096, 16 << 20])
TOKENS = st.integers(min_value=0, max_value=5000)


@st.composite
def openai_line(draw: st.DrawFn) -> str:
    usage = {"prompt_tokens": draw(TOKENS), "completion_tokens": draw(TOKENS)}
    rid = draw(st.integers(0, 30))
    return json.dumps({"id": f"c{rid}", "object": "chat.completion", "model": "gpt-4o", "usage": usage})


@st.composite
def anthropic_line(draw: st.DrawFn) -> str:
    usage = {"input_tokens": draw(TOKENS), "output_tokens": draw(TOKENS), "cache_read_input_tokens": draw(TOKENS)}
    record = {"id": f"m{draw(st.integers(0, 30))}", "type": "message", "role": "assistant", "model": "claude-3-5-haiku"}
    return json.dumps({**record, "content": [], "usage": usage})


@st.composite
def gemini_line(draw: st.DrawFn) -> str:
    usage = {"promptTokenCount": draw(TOKENS), "candidatesTokenCount": draw(TOKENS)}
    return json.dumps(
        {"modelVersion": "gemini-2.5-flash", "responseId": f"g{draw(st.integers(0, 30))}", "usageMetadata": usage}
    )


LINES = st.one_of(
    openai_line(),
    anthropic_line(),
    gemini_line(),
    st.text(max_size=40).map(lambda t: t.replace("\n", " ")),  # garbage
    st.just('{"id": "x", "model": "gpt-4o", "usage": {"prompt_tokens": "NaN"'),  # cut short
    st.just("{\x00\x00}"),  # NUL bytes
    st.just(""),
    st.just("   \t"),
    st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),  # deep nesting
    st.integers(1, 3000).map(lambda n: "[" * n),
    st.integers(2000, 5000).map(lambda n: '{"id": "big", "pad": "' + "x" * n + '"}'),  # over the (patched) cap
    st.just('["not", "an", "object"]'),
)


@SETTINGS
@given(lines=st.lists(LINES, min_size=1, max_size=60), chunk_bytes=CHUNKS)
def test_jsonl_lines_are_all_accounted_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lines: list[str], chunk_bytes: int
) -> None:
    monkeypatch.setattr(jsonl.iter_chunks, "__defaults__", (jsonl.DEFAULT_CHUNK_BYTES, 1500))
    path = tmp_path / "p.jsonl"
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")
    path.write_bytes(data)
    try:
        _, stats = read_all(path, chunk_bytes=chunk_bytes)  # asserts parsed + skipped = read
    except InputError:
        return  # a user error with a message (nothing usable, not recognized): never a crash
    if not stats.problems:
        assert stats.lines_read == data.count(b"\n")


CELLS = st.one_of(
    st.integers(0, 10_000).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(['"', '""', 'a"b', '"x,y"', "\n", "\r\n", ",", "NaN", "-1", "1e400"]),
)


@SETTINGS
@given(rows=st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=40), chunk_bytes=CHUNKS)
def test_csv_rows_are_all_accounted_for(tmp_path: Path, rows: list[list[str]], chunk_bytes: int) -> None:
    path = tmp_path / "p.csv"
    body = "\n".join(",".join(row) for row in rows)
    path.write_text("model,input_tokens,output_tokens,request_id\n" + body + "\n", encoding="utf-8")
    try:
        read_all(path, chunk_bytes=chunk_bytes)  # asserts parsed + skipped = read
    except InputError:
        return
