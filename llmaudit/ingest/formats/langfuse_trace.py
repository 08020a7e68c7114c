"""Langfuse's "download trace" file: ``langfuse-trace``.

The trace view's download button (and ``GET /api/public/traces/{id}``) writes one JSON
object, usually pretty-printed, holding a trace and its observations:

    {"trace": {"id", "name", "userId", "sessionId", "tags", ...}, "observations": [...]}

or, from the API, the trace's own fields with ``observations`` among them. Its
``GENERATION`` observations are the requests; they are read exactly as the ``langfuse``
format reads an observation export (same usage rules), and an observation that lacks
``traceName``, ``userId``, ``sessionId``, ``projectId`` or ``traceTags`` takes them from
its trace (the trace's ``name`` names the use case, the feature).

**Accounting.** A "line" is one observation, numbered 1, 2, ... through the file (as for
a JSON array), so read = observations; spans and events are skipped as
``not_a_generation``. A trace with no observations counts as one line, skipped as
``not_a_request``. A file holding several such objects, one per line, is read object by
object (observations numbered on through the file); a line that is not JSON is one line
skipped as ``malformed_json``.

**Scores.** The trace's ``scores`` (Langfuse score objects) go to the observation they
name (``observationId``); a trace-level score (no ``observationId``) rates the trace's
final answer, so it goes to its last GENERATION (latest ``startTime``). They are then read
as the ``langfuse`` format reads them (docs/shadow.md, "Scores you already have").

The file is read whole (one trace is small); the observations are then parsed in chunks
by pyarrow like any JSON Lines.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any, BinaryIO, Final

import numpy as np

from llmaudit.ingest.formats import _scores, langfuse
from llmaudit.ingest.jsonl import ExactShape, ParsedChunk, iter_chunks, parse_chunk
from llmaudit.ingest.registry import LogFormat, register

# Observation fields filled from the trace when the observation lacks them.
_FROM_TRACE: Final = (("traceName", "name"), ("userId", "userId"), ("sessionId", "sessionId"),
                      ("projectId", "projectId"), ("traceTags", "tags"))  # fmt: skip
# A pretty-printed download opens with one of these keys.
_OPENING: Final = re.compile(rb'^\s*\{\s*"(trace|observations)"\s*:')


def _trace_and_observations(record: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Any]] | None:
    observations = record.get("observations")
    if not isinstance(observations, list):
        return None
    trace = record.get("trace")
    if isinstance(trace, dict):
        return trace, observations
    # The API's trace object: its fields beside the observations (and its scores).
    if "htmlPath" in record or "scores" in record or ("id" in record and "timestamp" in record):
        return record, observations
    return None


def sniff(record: Mapping[str, Any]) -> bool:
    return _trace_and_observations(record) is not None


def sniff_bytes(head: bytes | bytearray) -> bool:
    return _OPENING.match(bytes(head[:4096])) is not None


def _enriched(observation: Any, trace: Mapping[str, Any]) -> Any:
    if not isinstance(observation, dict):
        return observation
    out = dict(observation)
    for key, trace_key in _FROM_TRACE:
        if out.get(key) in (None, "", []) and trace.get(trace_key) not in (None, "", []):
            out[key] = trace[trace_key]
    return out


def _with_scores(trace: Mapping[str, Any], observations: list[Any]) -> list[Any]:
    """Observations with the trace's scores attached (by ``observationId``; trace-level
    scores to the last GENERATION)."""
    scores = [s for s in trace.get("scores") or () if isinstance(s, dict)]
    if not scores:
        return observations
    by_observation: dict[Any, list[Any]] = {}
    for score in scores:
        by_observation.setdefault(score.get("observationId") or None, []).append(score)
    generations = [o for o in observations if isinstance(o, dict) and o.get("type") == "GENERATION"]
    if generations and None in by_observation:
        last = max(generations, key=lambda o: str(o.get("startTime") or ""))
        by_observation.setdefault(last.get("id"), []).extend(by_observation.pop(None))
    out = []
    for observation in observations:
        mine = by_observation.get(observation.get("id")) if isinstance(observation, dict) else None
        out.append({**observation, "scores": mine} if mine else observation)
    return out


def _documents(data: bytes) -> Iterator[tuple[Any, bool]]:
    """The file's JSON objects: the whole file as one, else one per line (``ok`` False
    for a line that does not parse)."""
    try:
        yield json.loads(data), True
        return
    except ValueError:
        pass
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            yield json.loads(raw), True
        except ValueError:
            yield None, False


def read_tables(stream: BinaryIO, chunk_bytes: int) -> Iterator[ParsedChunk]:
    """Observations of the file's trace(s), parsed in chunks; empty traces and bad lines
    skipped by reason."""
    data = stream.read()
    lines: list[bytes] = []
    skipped: dict[str, list[int]] = {}
    for document, ok in _documents(data):
        found = _trace_and_observations(document) if ok and isinstance(document, dict) else None
        if found is None or not found[1]:
            reason = "malformed_json" if not ok else "not_a_request"
            skipped.setdefault(reason, []).append(len(lines) + sum(map(len, skipped.values())) + 1)
            continue
        trace, observations = found
        for observation in _with_scores(trace, observations):
            lines.append(json.dumps(_enriched(observation, trace), ensure_ascii=False).encode())
    # Skipped documents take numbers in the same sequence as observations: rebuild the
    # numbering so that observations fill the numbers not taken by a skip.
    taken = sorted(n for numbers in skipped.values() for n in numbers)
    total = len(lines) + len(taken)
    numbers = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), np.asarray(taken, dtype=np.int64))
    if skipped:
        yield ParsedChunk(langfuse.SCHEMA.empty_table(), np.zeros(0, dtype=np.int64), len(taken), skipped)
    if not lines:
        return
    body = b"\n".join(lines) + b"\n"
    shape: ExactShape | None = None
    for chunk in iter_chunks(io.BytesIO(body), chunk_bytes):
        if shape is None:
            shape = ExactShape.infer(chunk.data)
        parsed = parse_chunk(chunk, langfuse.SCHEMA, langfuse.normalize, shape)
        # The body's line numbers (1..observations) onto the file's sequence numbers.
        parsed.lines = numbers[parsed.lines - 1]
        parsed.skipped = {r: numbers[np.asarray(v, dtype=np.int64) - 1].tolist() for r, v in parsed.skipped.items()}
        yield parsed


FORMAT = register(
    _scores.configurable(
        LogFormat(
            name="langfuse-trace",
            title="Langfuse trace download ({trace, observations}: GENERATION observations)",
            schema=langfuse.SCHEMA,
            sniff=sniff,
            convert=langfuse.convert,
            normalize=langfuse.normalize,
            aliases=("langfuse_trace",),
            read_tables=read_tables,
            sniff_bytes=sniff_bytes,
        ),
        langfuse.convert,
    )
)
