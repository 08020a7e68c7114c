"""Records of several formats in one JSON Lines file, each read by its own format.

Teams concatenate logs (``cat openai.jsonl anthropic.jsonl``) and proxies log several
providers into one file. A file's format is detected from its first records; a record of
another registered format further on must not be read by the file's format (an Anthropic
message read as an OpenAI response loses its cache tokens and is mispriced).

Kept fast on the common, single-format file:

- The first lines of the file (the detection sample, about 1 MB) are checked record by
  record. The exact shape (every field pyarrow sees, at every depth) of those the file's
  format claims is *verified*.
- Each chunk is first parsed against the verified shape, refusing any field it does not
  have. A chunk that parses holds only fields that records of the file's format had: it
  is read as one block, with no per-record work.
- A chunk that brings a new field is checked record by record (``claimant``): records
  another format claims are grouped by format, each group parsed and converted by its
  format, and the rows put back in file order with their own line numbers. A chunk that
  proves to hold only the file's format widens the verified shape instead.

A format with a whole-chunk ``claims`` (Claude Code, whose lines vary in shape) skips the
verified shape: each chunk is parsed with the format's schema, and only the lines it does
not claim as a column are checked record by record.

Records the file's format claims, or that no other format claims, stay with the file's
format (which skips what it does not recognize, by reason). Another format that reads
tables (CSV exports, OTLP spans, a column mapping) cannot read single records, so its
records are skipped as ``other_format_record``, naming the format.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pyarrow as pa

from llmaudit.ingest import envelope
from llmaudit.ingest.jsonl import (
    Chunk,
    ExactShape,
    Normalizer,
    ParsedChunk,
    loads,
    mark_too_long,
    parse_chunk,
    read_json,
)
from llmaudit.ingest.registry import Converted, LogFormat, formats, is_wrapper

# How often a verified shape may be widened by a chunk with new fields before such chunks
# are simply checked record by record (a file whose shape never settles).
MAX_WIDENINGS: Final = 8

Key = tuple[str, bool]  # (format name, wrapped)


@dataclass(frozen=True)
class Pipeline:
    """How records of one format (bare or wrapped) are parsed and converted."""

    key: Key
    schema: pa.Schema | None  # None: the format reads tables; its records inside a JSON Lines file are skipped
    normalize: Normalizer | None
    convert: Callable[[pa.Table], Converted]


def pipeline(fmt: LogFormat, wrapped: bool, sample: Sequence[Mapping[str, Any]]) -> Pipeline:
    """The parse and convert steps of ``fmt`` (already configured) for its bare or wrapped records."""
    key = (fmt.name, wrapped)
    if fmt.read_tables is not None:
        return Pipeline(key, None, None, lambda t: fmt.convert(t, None))
    if wrapped:
        schema = envelope.wrapped_schema(fmt, sample)
        return Pipeline(key, schema, envelope.normalizer(fmt, schema), lambda t: envelope.convert_wrapped(fmt, t))
    return Pipeline(key, fmt.schema, fmt.normalize, lambda t: fmt.convert(t, None))


class _Given:
    """A shape whose parse of the chunk was already done (``parse_chunk`` takes it as is)."""

    def __init__(self, table: pa.Table) -> None:
        self._table = table

    def parse(self, data: bytes | bytearray) -> pa.Table | None:
        return self._table


@dataclass
class Part:
    """The lines of one chunk that one pipeline reads, parsed, with their true line numbers."""

    pipeline: Pipeline
    parsed: ParsedChunk


class Mixture:
    """Splits chunks of one file by the format each record belongs to (see the module docstring)."""

    def __init__(
        self,
        own: LogFormat,
        wrapped: bool,
        own_pipeline: Pipeline,
        configure: Callable[[LogFormat], LogFormat],
        head: bytes | bytearray,
    ) -> None:
        self.own = own
        self.wrapped = wrapped
        self.own_pipeline = own_pipeline
        self._configure = configure
        self._others = [f for f in formats().values() if f.companion_of is None]
        self._wrappable = [f for f in self._others if f.request_schema is not None]
        self._pipelines: dict[Key, Pipeline] = {own_pipeline.key: own_pipeline}
        self._widenings = 0
        self.shape: ExactShape | None = None
        # A format that claims whole chunks needs no verified shape (see ``parse``).
        self._claims = own.claims if not wrapped and own_pipeline.schema is not None else None
        if self._claims is None:
            self._verify(head)

    def fresh(self) -> Mixture:
        """A copy as just made (the verified shape kept): a copy widens and adds pipelines on its own."""
        copy = object.__new__(Mixture)
        copy.__dict__.update(self.__dict__)
        copy._pipelines = {self.own_pipeline.key: self.own_pipeline}
        copy._widenings = 0
        return copy

    def claimant(self, record: dict[str, Any]) -> Key | None:
        """The (format, wrapped) that reads ``record`` when not the file's own, else None."""
        response = record.get("response")
        if self.wrapped and isinstance(response, dict) and is_wrapper(record) and self.own.sniff(response):
            return None
        if not self.wrapped and self.own.sniff(record):
            return None
        for fmt in self._others:
            if fmt.sniff(record):
                return None if (fmt.name, False) == self.own_pipeline.key else (fmt.name, False)
        if isinstance(response, dict) and is_wrapper(record):
            for fmt in self._wrappable:
                if fmt.sniff(response):
                    return None if (fmt.name, True) == self.own_pipeline.key else (fmt.name, True)
        return None  # claimed by no format: the file's format says what it is

    def _verify(self, head: bytes | bytearray) -> None:
        """The shape of the file's own records among its first lines (about 1 MB): records of
        other formats there are left out, so only chunks that hold such records are split."""
        end = head.find(b"\n", 1 << 20)
        region = bytes(head[: end + 1 if end >= 0 else len(head)])
        own = [raw for raw in region.split(b"\n") if (r := _record(raw)) is not None and self.claimant(r) is None]
        self.shape = ExactShape.infer(b"\n".join(own) + b"\n") if own else None

    def parse(self, chunk: Chunk) -> list[Part]:
        """The chunk's lines, parsed by the pipeline of the format each belongs to."""
        own = self.own_pipeline
        assert own.schema is not None
        shape = self.shape
        if shape is not None:
            table = read_json(chunk.data, shape.schema, unexpected="error")
            if table is not None:
                return [Part(own, parse_chunk(chunk, own.schema, own.normalize, _Given(table)))]
        if self._claims is not None:
            parsed = parse_chunk(chunk, own.schema, own.normalize)
            unclaimed = parsed.lines[~self._claims(parsed.table)] if parsed.table.num_rows else parsed.lines
            if self._stay(chunk, unclaimed):
                return [Part(own, parsed)]
        groups, records = self._split(chunk)
        if groups is None:
            self._widen(chunk)
            return [Part(own, parse_chunk(chunk, own.schema, own.normalize))]
        return [self._parse_group(chunk, key, index, records) for key, index in groups.items()]

    def _stay(self, chunk: Chunk, numbers: np.ndarray) -> bool:
        """Whether no other format claims any of the lines ``numbers`` (the few the file's
        format did not claim as a column: see ``LogFormat.claims``)."""
        if not len(numbers):
            return True
        lines = _lines(chunk)
        for i in numbers - chunk.first_line:
            record = _record(lines[i])
            if record is not None and self.claimant(record) is not None:
                return False
        return True

    def _split(self, chunk: Chunk) -> tuple[dict[Key | None, list[int]] | None, dict[int, dict[str, Any]]]:
        groups: dict[Key | None, list[int]] = {}
        records: dict[int, dict[str, Any]] = {}
        for i, raw in enumerate(_lines(chunk)):
            record = _record(raw)
            key = None if record is None else self.claimant(record)
            groups.setdefault(key, []).append(i)
            if key is not None and record is not None:
                records[i] = record
        if set(groups) <= {None}:
            return None, records
        return groups, records

    def _widen(self, chunk: Chunk) -> None:
        shape = self.shape
        if shape is None or self._widenings >= MAX_WIDENINGS:
            return
        self._widenings += 1
        wider = ExactShape.infer(chunk.data)
        if wider is None:
            return
        try:
            schema = pa.unify_schemas([shape.schema, wider.schema], promote_options="permissive")
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return
        self.shape = ExactShape(schema)

    def _pipeline(self, key: Key, sample: Sequence[Mapping[str, Any]]) -> Pipeline:
        found = self._pipelines.get(key)
        if found is None:
            name, wrapped = key
            fmt = self._configure(next(f for f in self._others if f.name == name))
            found = self._pipelines[key] = pipeline(fmt, wrapped, sample)
        return found

    def _parse_group(self, chunk: Chunk, key: Key | None, index: list[int], records: dict[int, dict[str, Any]]) -> Part:
        lines = _lines(chunk)
        numbers = chunk.first_line + np.asarray(index, dtype=np.int64)
        data = b"".join(lines[i] + b"\n" for i in index)
        sub = Chunk(data, 1, len(index))
        pipe = self.own_pipeline if key is None else self._pipeline(key, [records[i] for i in index])
        if pipe.schema is None:
            parsed = ParsedChunk(pa.table({}), np.zeros(0, dtype=np.int64), len(index))
            parsed.skipped["other_format_record"] = numbers.tolist()
            parsed.details["other_format_record"] = f"a {key[0] if key else '?'} record"
            return Part(pipe, parsed)
        parsed = parse_chunk(sub, pipe.schema, pipe.normalize)
        parsed.lines = numbers[parsed.lines - 1]
        parsed.skipped = {r: numbers[np.asarray(v, dtype=np.int64) - 1].tolist() for r, v in parsed.skipped.items()}
        if chunk.too_long:
            mark_too_long(parsed, chunk.too_long)
        return Part(pipe, parsed)


def _lines(chunk: Chunk) -> list[bytes]:
    lines = bytes(chunk.data).split(b"\n")
    if chunk.data.endswith(b"\n"):
        lines.pop()
    return lines


def _record(raw: bytes) -> dict[str, Any] | None:
    if not raw.strip() or b"\x00" in raw:
        return None
    try:
        value = loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None
