"""Seeded synthetic logs in every format llmaudit reads, written block by block.

Used by ``bench_readers.py``. Each generator writes ``records`` requests to a file in the
real wire shape of one format (the shapes of ``tests/fixtures/logs/<format>/``), varying
ids, timestamps, models, token counts, users, features and prompts with a seeded RNG.
Records are drawn in blocks of ``BLOCK`` rows, so generating 5M records takes no more
memory than generating 50,000: only the current block's columns are held.

Every field keeps one JSON type throughout a file, so ``pyarrow.json.read_json`` can parse
each file whole (the "bare parse" the benchmark compares with).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SEED = 20261123
BLOCK = 50_000
START = 1_740_787_200  # 2025-03-01T00:00:00Z; a file spans 30 days
SPAN_S = 30 * 86400

OPENAI_MODELS = ["gpt-4o-2024-08-06", "gpt-4o-mini", "o3-2025-04-16", "gpt-4.1", "gpt-4.1-mini"]
ANTHROPIC_MODELS = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"]
GEMINI_MODELS = ["gemini-2.5-flash", "gemini-2.5-pro", "gemini-2.5-flash-lite"]
MIXED_MODELS = ["gpt-4o", "gpt-4o-mini", "o3-2025-04-16", "claude-sonnet-4-5", "gemini-2.5-flash"]
MIXED_PROVIDERS = ["openai", "openai", "openai", "anthropic", "gemini"]
FEATURES = ["triage", "summarize", "extract", "search", "chat", "code-review"]
SYSTEM = "You are a careful assistant for the ACME support team."
PROMPTS = [
    "Classify the sentiment of this review: {n}",
    "Extract the invoice number and total from: INV-{n} total 1,234.50 EUR",
    "Summarize the following support thread in two sentences. Thread #{n}: customer reports late delivery.",
    "Rewrite this sentence in a friendly tone: your ticket {n} is closed.",
    "Find the bug in this function: def f(x): return x + {n} / 0",
]


@dataclass
class Block:
    """Columns of one block of requests; ``i`` is each request's index in the file."""

    i: np.ndarray
    epoch: np.ndarray  # int seconds, non-decreasing through the file
    iso: np.ndarray  # the same instant as ISO 8601 text ("...Z")
    model: np.ndarray  # index into the format's model list
    user: np.ndarray
    feature: np.ndarray
    prompt: np.ndarray  # index into PROMPTS
    prompt_n: np.ndarray  # the number filled into the prompt (half of them repeat: duplicate prompts)
    input: np.ndarray  # inclusive input tokens
    cached: np.ndarray  # cache reads, part of input
    output: np.ndarray  # inclusive output tokens
    reasoning: np.ndarray  # part of output (reasoning models only)
    latency_ms: np.ndarray
    failed: np.ndarray  # bool: about 2% of requests are rate limited (429)

    def __len__(self) -> int:
        return len(self.i)

    def text(self, k: int) -> str:
        return PROMPTS[self.prompt[k]].format(n=int(self.prompt_n[k]))


def blocks(records: int, n_models: int, reasoning_model: int = 2) -> Iterator[Block]:
    """Seeded blocks of ``BLOCK`` requests covering ``records`` in all."""
    rng = np.random.default_rng(SEED)
    for first in range(0, records, BLOCK):
        i = np.arange(first, min(first + BLOCK, records), dtype=np.int64)
        k = len(i)
        epoch = START + i * SPAN_S // max(records, 1)
        model = rng.integers(0, n_models, k)
        prompt_tokens = rng.integers(40, 6000, k)
        completion = rng.integers(1, 1500, k)
        yield Block(
            i=i,
            epoch=epoch,
            iso=np.char.add(np.datetime_as_string(epoch.astype("datetime64[s]"), unit="s"), "Z"),
            model=model,
            user=rng.integers(0, 5000, k),
            feature=rng.integers(0, len(FEATURES), k),
            prompt=rng.integers(0, len(PROMPTS), k),
            prompt_n=np.where(i % 2 == 1, rng.integers(0, 50, k), i),
            input=prompt_tokens,
            cached=np.where(rng.random(k) < 0.3, (prompt_tokens * 0.8).astype(np.int64) // 128 * 128, 0),
            output=completion,
            reasoning=np.where(model == reasoning_model, (completion * 0.7).astype(np.int64), 0),
            latency_ms=rng.integers(80, 9000, k),
            failed=rng.random(k) < 0.02,
        )


def _dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"))


# One function per JSON Lines shape: a block in, its lines out.


def _openai_wrapped(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        model = OPENAI_MODELS[b.model[k]]
        record: dict[str, Any] = {
            "timestamp": str(b.iso[k]),
            "request": {
                "model": model.split("-2024")[0].split("-2025")[0],
                "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": b.text(k)}],
                "temperature": 0.2,
            },
        }
        if b.failed[k]:
            record["status_code"] = 429
            record["response"] = {"error": {"message": "Rate limit reached", "type": "requests", "code": "429"}}
        else:
            record["status_code"] = 200
            record["response"] = {
                "id": f"chatcmpl-{b.i[k]:09d}",
                "object": "chat.completion",
                "created": int(b.epoch[k]),
                "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": int(b.input[k]),
                    "completion_tokens": int(b.output[k]),
                    "total_tokens": int(b.input[k] + b.output[k]),
                    "prompt_tokens_details": {"cached_tokens": int(b.cached[k])},
                    "completion_tokens_details": {"reasoning_tokens": int(b.reasoning[k])},
                },
            }
        record["latency_ms"] = int(b.latency_ms[k])
        record["user"] = f"user-{b.user[k]}"
        record["feature"] = FEATURES[b.feature[k]]
        yield _dumps(record)


def _openai_batch(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        if b.failed[k]:
            body: dict[str, Any] = {"error": {"message": "Rate limit reached", "type": "requests", "code": "429"}}
        else:
            body = {
                "id": f"chatcmpl-b{b.i[k]:09d}",
                "object": "chat.completion",
                "created": int(b.epoch[k]),
                "model": OPENAI_MODELS[b.model[k]],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                "usage": {
                    "prompt_tokens": int(b.input[k]),
                    "completion_tokens": int(b.output[k]),
                    "total_tokens": int(b.input[k] + b.output[k]),
                    "prompt_tokens_details": {"cached_tokens": int(b.cached[k])},
                    "completion_tokens_details": {"reasoning_tokens": int(b.reasoning[k])},
                },
            }
        yield _dumps(
            {
                "id": f"batch_req_{b.i[k]:09d}",
                "custom_id": f"req-{b.i[k]}",
                "response": {"status_code": 429 if b.failed[k] else 200, "request_id": f"{b.i[k]:x}", "body": body},
                "error": None,
            }
        )


def _anthropic_wrapped(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        model = ANTHROPIC_MODELS[b.model[k]]
        fresh = int(b.input[k] - b.cached[k])
        record: dict[str, Any] = {
            "timestamp": str(b.iso[k]),
            "latency_ms": int(b.latency_ms[k]),
            "feature": FEATURES[b.feature[k]],
            "request": {
                "model": model,
                "max_tokens": 1024,
                "system": SYSTEM,
                "messages": [{"role": "user", "content": b.text(k)}],
                "metadata": {"user_id": f"user-{b.user[k]}"},
            },
        }
        if b.failed[k]:
            record["status_code"] = 429
            record["response"] = {
                "type": "error",
                "error": {"type": "rate_limit_error", "message": "Rate limit reached"},
                "request_id": f"req_{b.i[k]:09d}",
            }
        else:
            record["status_code"] = 200
            record["response"] = {
                "id": f"msg_{b.i[k]:09d}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": "ok"}],
                "stop_reason": "end_turn",
                "usage": {
                    "input_tokens": fresh,
                    "output_tokens": int(b.output[k]),
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": int(b.cached[k]),
                },
            }
        yield _dumps(record)


def _gemini_wrapped(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        model = GEMINI_MODELS[b.model[k]]
        record: dict[str, Any] = {
            "timestamp": str(b.iso[k]),
            "latency_ms": int(b.latency_ms[k]),
            "user": f"user-{b.user[k]}",
            "feature": FEATURES[b.feature[k]],
            "request": {
                "model": model,
                "systemInstruction": {"parts": [{"text": SYSTEM}]},
                "contents": [{"role": "user", "parts": [{"text": b.text(k)}]}],
            },
        }
        if b.failed[k]:
            record["status_code"] = 429
            record["response"] = {
                "error": {"code": 429, "message": "Resource exhausted", "status": "RESOURCE_EXHAUSTED"}
            }
        else:
            out = int(b.output[k] - b.reasoning[k])  # candidatesTokenCount excludes thoughts
            record["status_code"] = 200
            record["response"] = {
                "modelVersion": model,
                "responseId": f"r{b.i[k]:09d}",
                "candidates": [{"content": {"role": "model", "parts": [{"text": "ok"}]}, "finishReason": "STOP"}],
                "usageMetadata": {
                    "promptTokenCount": int(b.input[k]),
                    "cachedContentTokenCount": int(b.cached[k]),
                    "candidatesTokenCount": out,
                    "thoughtsTokenCount": int(b.reasoning[k]),
                    "totalTokenCount": int(b.input[k] + b.output[k]),
                },
            }
        yield _dumps(record)


def _litellm_payload(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        start = float(b.epoch[k])
        yield _dumps(
            {
                "id": f"chatcmpl-{b.i[k]:09d}",
                "call_type": "acompletion",
                "status": "failure" if b.failed[k] else "success",
                "model": MIXED_MODELS[b.model[k]],
                "model_group": MIXED_MODELS[b.model[k]],
                "custom_llm_provider": MIXED_PROVIDERS[b.model[k]],
                "startTime": start,
                "endTime": start + int(b.latency_ms[k]) / 1000,
                "prompt_tokens": int(b.input[k]),
                "completion_tokens": int(b.output[k]),
                "total_tokens": int(b.input[k] + b.output[k]),
                "response_cost": 0.0,
                "end_user": f"user-{b.user[k]}",
                "request_tags": [f"feature:{FEATURES[b.feature[k]]}"],
                "metadata": {
                    "user_api_key_team_id": f"team-{b.user[k] % 7}",
                    "user_api_key_alias": "prod-key",
                    "usage_object": {
                        "prompt_tokens_details": {"cached_tokens": int(b.cached[k])},
                        "completion_tokens_details": {"reasoning_tokens": int(b.reasoning[k])},
                    },
                },
                "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": b.text(k)}],
                "error_str": "RateLimitError" if b.failed[k] else None,
            }
        )


def _langfuse(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        yield _dumps(
            {
                "id": f"obs-{b.i[k]:09d}",
                "traceId": f"t-{b.i[k]:09d}",
                "type": "GENERATION",
                "name": "generation",
                "traceName": FEATURES[b.feature[k]],
                "model": MIXED_MODELS[b.model[k]],
                "startTime": str(b.iso[k]),
                "endTime": str(b.iso[k]),
                "usageDetails": {  # Langfuse buckets are exclusive
                    "input": int(b.input[k] - b.cached[k]),
                    "input_cached_tokens": int(b.cached[k]),
                    "output": int(b.output[k] - b.reasoning[k]),
                    "output_reasoning_tokens": int(b.reasoning[k]),
                    "total": int(b.input[k] + b.output[k]),
                },
                "userId": f"user-{b.user[k]}",
                "sessionId": f"sess-{b.user[k]}",
                "tags": [FEATURES[b.feature[k]]],
                "level": "ERROR" if b.failed[k] else "DEFAULT",
                "input": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": b.text(k)}],
                "output": {"role": "assistant", "content": "ok"},
            }
        )


def _helicone(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        model = MIXED_MODELS[b.model[k]]
        yield _dumps(
            {
                "request_id": f"r-{b.i[k]:09d}",
                "request_created_at": str(b.iso[k]),
                "model": model,
                "provider": MIXED_PROVIDERS[b.model[k]].upper(),
                "prompt_tokens": int(b.input[k]),
                "prompt_cache_read_tokens": int(b.cached[k]),
                "prompt_cache_write_tokens": 0,
                "completion_tokens": int(b.output[k]),
                "total_tokens": int(b.input[k] + b.output[k]),
                "delay_ms": int(b.latency_ms[k]),
                "response_status": 429 if b.failed[k] else 200,
                "request_user_id": f"user-{b.user[k]}",
                "properties": {"feature": FEATURES[b.feature[k]]},
                "request_body": {
                    "model": model,
                    "messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": b.text(k)}],
                },
            }
        )


def _otel(b: Block) -> Iterator[str]:
    for k in range(len(b)):
        model = MIXED_MODELS[b.model[k]]
        yield _dumps(
            {
                "trace_id": f"{b.i[k]:032x}",
                "span_id": f"{b.i[k]:016x}",
                "name": f"chat {model}",
                "start_time": str(b.iso[k]),
                "end_time": str(b.iso[k]),
                "gen_ai.operation.name": "chat",
                "gen_ai.provider.name": MIXED_PROVIDERS[b.model[k]],
                "gen_ai.request.model": model,
                "gen_ai.usage.input_tokens": int(b.input[k]),
                "gen_ai.usage.cache_read.input_tokens": int(b.cached[k]),
                "gen_ai.usage.output_tokens": int(b.output[k]),
                "gen_ai.usage.reasoning.output_tokens": int(b.reasoning[k]),
                "gen_ai.conversation.id": f"conv-{b.user[k]}",
                "user.id": f"user-{b.user[k]}",
                "service.name": FEATURES[b.feature[k]],
                "error.type": "429" if b.failed[k] else None,
            }
        )


def _claude_code(b: Block) -> Iterator[str]:
    """A session log: a user turn, then the assistant line.

    As in real sessions, a user turn's ``content`` is a string (a typed prompt, every third
    turn) or a list of blocks (tool results): so no one pyarrow shape fits every line.
    Every fourth response is streamed as two lines with the same ids (the reader keeps one);
    so a file of ``records`` lines holds fewer requests.
    """
    line = 0
    for k in range(len(b)):
        if line >= len(b):
            return
        session = f"{b.user[k] % 500:08d}-aaaa-4aaa-8aaa-000000000000"
        common = {"isSidechain": False, "cwd": f"/home/dev/{FEATURES[b.feature[k]]}", "sessionId": session}
        common |= {"version": "1.0.98", "gitBranch": "main"}
        kinds = ["user", "assistant"] + (["assistant"] if k % 4 == 0 else [])
        for kind in kinds:
            if line >= len(b):
                return
            line += 1
            if kind == "user":
                text = b.text(k)
                content: Any = text if k % 3 == 0 else [{"type": "text", "text": text}]
                message: dict[str, Any] = {"role": "user", "content": content}
                yield _dumps(
                    {**common, "type": "user", "message": message, "uuid": f"u-{b.i[k]}", "timestamp": str(b.iso[k])}
                )
                continue
            message = {
                "id": f"msg_{b.i[k]:09d}",
                "type": "message",
                "role": "assistant",
                "model": ANTHROPIC_MODELS[b.model[k]],
                "content": [{"type": "text", "text": "ok"}],
                "stop_reason": "end_turn",
                "usage": {
                    "input_tokens": int(b.input[k] - b.cached[k]),
                    "cache_creation_input_tokens": 0,
                    "cache_read_input_tokens": int(b.cached[k]),
                    "output_tokens": int(b.output[k]),
                },
            }
            yield _dumps(
                {
                    **common,
                    "type": "assistant",
                    "message": message,
                    "requestId": f"req_{b.i[k]:09d}",
                    "uuid": f"a-{b.i[k]}",
                    "timestamp": str(b.iso[k]),
                }
            )


# Tabular shapes: a block becomes one Arrow table (no per-row Python work).


def _generic_table(b: Block, typed_time: bool) -> pa.Table:
    """The auto-mapped generic columns (tests/fixtures/logs/generic/auto.csv)."""
    models = np.array(MIXED_MODELS)[b.model]
    prompts = np.array([p.split(":")[0] for p in PROMPTS])[b.prompt]
    stamps: pa.Array = (
        pa.array(b.epoch * 1000, pa.int64()).cast(pa.timestamp("ms", tz="UTC")) if typed_time else pa.array(b.iso)
    )
    return pa.table(
        {
            "request_id": pa.array(np.char.add("r-", b.i.astype(str))),
            "timestamp": stamps,
            "model": pa.array(models),
            "prompt_tokens": b.input,
            "completion_tokens": b.output,
            "cached_tokens": b.cached,
            "reasoning_tokens": b.reasoning,
            "user": pa.array(np.char.add("user-", b.user.astype(str))),
            "feature": pa.array(np.array(FEATURES)[b.feature]),
            "tags": pa.array(np.char.add("prod, ", prompts.astype(str))),
            "latency_ms": b.latency_ms,
            "status": np.where(b.failed, 429, 200),
        }
    )


def _spendlogs_table(b: Block) -> pa.Table:
    """LiteLLM SpendLogs export columns (tests/fixtures/logs/litellm/spendlogs.csv), usage JSON in metadata."""
    start = np.datetime_as_string(b.epoch.astype("datetime64[s]"), unit="ms")
    end = np.datetime_as_string((b.epoch * 1000 + b.latency_ms).astype("datetime64[ms]"), unit="ms")
    meta = [
        f'{{"user_api_key_alias": "prod-key", "usage_object": {{"prompt_tokens_details": {{"cached_tokens": {c}}}, '
        f'"completion_tokens_details": {{"reasoning_tokens": {r}}}}}}}'
        for c, r in zip(b.cached.tolist(), b.reasoning.tolist(), strict=True)
    ]
    return pa.table(
        {
            "request_id": pa.array(np.char.add("chatcmpl-", b.i.astype(str))),
            "call_type": pa.array(np.full(len(b), "acompletion")),
            "spend": np.zeros(len(b)),
            "total_tokens": b.input + b.output,
            "prompt_tokens": b.input,
            "completion_tokens": b.output,
            "startTime": pa.array(np.char.add(start.astype(str), "+00")),
            "endTime": pa.array(np.char.add(end.astype(str), "+00")),
            "request_duration_ms": b.latency_ms,
            "model": pa.array(np.array(MIXED_MODELS)[b.model]),
            "custom_llm_provider": pa.array(np.array(MIXED_PROVIDERS)[b.model]),
            "user": pa.array(np.char.add("user-", b.user.astype(str))),
            "metadata": pa.array(meta),
            "request_tags": pa.array(np.char.add('["feature:', np.char.add(np.array(FEATURES)[b.feature], '"]'))),
            "team_id": pa.array(np.char.add("team-", (b.user % 7).astype(str))),
            "status": pa.array(np.where(b.failed, "failure", "success")),
        }
    )


@dataclass(frozen=True)
class Shape:
    """One benchmark input: how to write it and how llmaudit is told to read it."""

    name: str  # file stem and table label
    input_format: str  # llmaudit --input-format
    suffix: str  # .jsonl, .csv or .parquet
    n_models: int
    lines: Callable[[Block], Iterator[str]] | None = None
    table: Callable[[Block], pa.Table] | None = None
    note: str = ""
    per_file: int = 0  # > 0: a directory of files of this many lines each (suffix "")


SHAPES: dict[str, Shape] = {
    s.name: s
    for s in [
        Shape("openai", "openai", ".jsonl", len(OPENAI_MODELS), _openai_wrapped, note="wrapped chat completions"),
        Shape("openai-batch", "openai-batch", ".jsonl", len(OPENAI_MODELS), _openai_batch, note="batch output"),
        Shape("anthropic", "anthropic", ".jsonl", len(ANTHROPIC_MODELS), _anthropic_wrapped, note="wrapped messages"),
        Shape("gemini", "gemini", ".jsonl", len(GEMINI_MODELS), _gemini_wrapped, note="wrapped generateContent"),
        Shape("litellm", "litellm", ".jsonl", len(MIXED_MODELS), _litellm_payload, note="logging payload"),
        Shape("langfuse", "langfuse", ".jsonl", len(MIXED_MODELS), _langfuse, note="observations export"),
        Shape("helicone", "helicone", ".jsonl", len(MIXED_MODELS), _helicone, note="request export"),
        Shape("otel", "otel", ".jsonl", len(MIXED_MODELS), _otel, note="flat GenAI spans"),
        Shape("claude-code", "claude-code", ".jsonl", len(ANTHROPIC_MODELS), _claude_code, note="session lines"),
        # As ~/.claude/projects holds them: one file per session, a few hundred lines each.
        Shape(
            "claude-code-sessions",
            "claude-code",
            "",
            len(ANTHROPIC_MODELS),
            _claude_code,
            note="500-line session files",
            per_file=500,
        ),
        Shape(
            "generic-csv",
            "generic",
            ".csv",
            len(MIXED_MODELS),
            table=lambda b: _generic_table(b, typed_time=False),
            note="auto-mapped CSV",
        ),
        Shape("litellm-csv", "litellm", ".csv", len(MIXED_MODELS), table=_spendlogs_table, note="SpendLogs CSV"),
        Shape(
            "generic-parquet",
            "generic",
            ".parquet",
            len(MIXED_MODELS),
            table=lambda b: _generic_table(b, typed_time=True),
            note="auto-mapped Parquet",
        ),
    ]
}


def _write_files(directory: Path, lines: Iterator[str], per_file: int) -> None:
    """``lines`` split into files of ``per_file`` lines under ``directory/project-<k>/``."""
    directory.mkdir(parents=True, exist_ok=True)
    batch: list[str] = []
    count = 0

    def flush() -> None:
        nonlocal count
        folder = directory / f"project-{count // 100:04d}"
        folder.mkdir(exist_ok=True)
        (folder / f"session-{count:06d}.jsonl").write_text("\n".join(batch) + "\n", encoding="utf-8")
        count += 1
        batch.clear()

    for line in lines:
        batch.append(line)
        if len(batch) == per_file:
            flush()
    if batch:
        flush()


def generate(shape: Shape, path: Path, records: int) -> None:
    """Write ``records`` lines (JSON Lines) or rows (CSV, Parquet) of ``shape`` to ``path``, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    stream = blocks(records, shape.n_models)
    if shape.per_file:
        assert shape.lines is not None
        _write_files(tmp, (line for block in stream for line in shape.lines(block)), shape.per_file)
    elif shape.lines is not None:
        with open(tmp, "w", encoding="utf-8", buffering=1 << 20) as out:
            for block in stream:
                out.write("\n".join(shape.lines(block)))
                out.write("\n")
    else:
        assert shape.table is not None
        writer: Any = None
        for block in stream:
            table = shape.table(block)
            if writer is None:
                if shape.suffix == ".parquet":
                    writer = pq.ParquetWriter(tmp, table.schema)
                else:
                    writer = pacsv.CSVWriter(tmp, table.schema)
            writer.write_table(table)
        if writer is not None:
            writer.close()
    os.replace(tmp, path)
