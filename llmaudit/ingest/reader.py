"""Stream canonical request frames out of any number of log files.

``RequestReader`` is the only entry point later stages use: iterate it to get
canonical frames chunk by chunk (memory stays bounded whatever the input size), then
read ``stats`` for the line accounting. Progress goes to an optional observer; this
module never prints.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.errors import InputError, MalformedRecordError, UsageError
from llmaudit.ingest import envelope
from llmaudit.ingest.accounting import HARMLESS_REASONS, SKIP_REASONS, FileStats, IngestStats
from llmaudit.ingest.finalize import finalize
from llmaudit.ingest.jsonl import (
    DEFAULT_CHUNK_BYTES,
    Chunk,
    ExactShape,
    ParsedChunk,
    iter_chunks,
    parse_chunk,
    sample_records,
)
from llmaudit.ingest.parallel import ordered_map
from llmaudit.ingest.parquet import is_parquet, parquet_header
from llmaudit.ingest.registry import (
    Converted,
    Detection,
    LogFormat,
    detect,
    detect_bytes,
    formats,
    get_format,
    is_wrapper,
)
from llmaudit.ingest.sources import InputSource, OpenedSource, expand_inputs, open_source

# Records sampled to detect a file's format and the shape of its wrapper fields.
SNIFF_RECORDS: Final = 1000


class Observer(Protocol):
    """Receives progress; the CLI renders it on stderr."""

    def file_started(self, source: InputSource, fmt: str) -> None: ...

    def advanced(self, source: InputSource, raw_bytes: int) -> None: ...


@dataclass(frozen=True)
class IngestOptions:
    """How to read the inputs."""

    input_format: str = "auto"
    strict: bool = False
    chunk_bytes: int = DEFAULT_CHUNK_BYTES
    # Extra per-format settings (batch input files, column mappings), by format name.
    format_options: dict[str, Any] = field(default_factory=dict)
    # Keep only requests with since <= timestamp < until (UTC); others are counted as
    # skipped "outside_period", as are requests without a timestamp when either is set.
    since: pd.Timestamp | None = None
    until: pd.Timestamp | None = None
    # "Now" for rejecting timestamps in the future (finalize.FUTURE_TOLERANCE); None: the clock.
    now: pd.Timestamp | None = None


@dataclass
class _Processed:
    """One chunk after the parallel stages: parsed lines, canonical rows, per-row skips."""

    parsed: ParsedChunk
    frame: pd.DataFrame | None
    dropped: dict[str, np.ndarray]
    from_source: np.ndarray
    # Data-quality notes on kept rows (a dropped field), counted by code.
    warnings: dict[str, int] = field(default_factory=dict)


class _SeenIds:
    """Request ids seen so far, as 64-bit hashes in sorted runs (8 bytes per request).

    Runs are merged like a binary counter (a run is folded into the previous one while
    that one is no larger), so each id takes part in O(log n) merges and a lookup
    searches O(log n) runs: no re-sorting of everything seen on every chunk.
    """

    def __init__(self) -> None:
        self._runs: list[np.ndarray] = []

    def mark_duplicates(self, ids: pd.Series) -> np.ndarray:
        hashes = pd.util.hash_array(ids.to_numpy(dtype=object), categorize=False)
        # Sorted needles make each binary search walk memory in order (several times faster
        # than random probes into a large run).
        order = np.argsort(hashes, kind="stable")
        needles = hashes[order]
        first = np.ones(len(needles), dtype=bool)
        first[1:] = needles[1:] != needles[:-1]  # repeats within this chunk
        seen = np.zeros(len(needles), dtype=bool)
        for run in self._runs:
            pos = np.minimum(np.searchsorted(run, needles), len(run) - 1)
            seen |= run[pos] == needles
        dup = np.empty(len(hashes), dtype=bool)
        dup[order] = seen | ~first
        run = needles[first & ~seen]
        while self._runs and len(self._runs[-1]) <= len(run):
            run = np.concatenate([self._runs.pop(), run])
            run.sort(kind="stable")  # two sorted runs: timsort merges them in linear time
        if len(run):
            self._runs.append(run)
        return dup


def _sample_records(data: bytes | bytearray, limit: int = SNIFF_RECORDS) -> list[dict[str, Any]]:
    """The records of the first MB of ``data`` (a line cut at the MB does not parse: passed over)."""
    return sample_records(data[: 1 << 20], limit)


def _companion_format(source: InputSource) -> LogFormat | None:
    """The format of ``source`` if a sample of it is a companion format, else None."""
    opened = open_source(source)
    try:
        head = opened.stream.read(1 << 16)
    finally:
        opened.close()
    sample = _sample_records(head)
    if not sample:
        return None
    for fmt in formats().values():
        if fmt.companion_of is not None and sum(map(fmt.sniff, sample)) > len(sample) / 2:
            return fmt
    return None


def _check_encoding(head: bytes | bytearray, source: InputSource) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f"{source.display}: the file is UTF-16 encoded",
            hint=f"convert it to UTF-8, e.g. iconv -f UTF-16 -t UTF-8 {source.display} > converted.jsonl",
        )
    if is_parquet(head):
        return  # binary by design: read by the tabular formats (llmaudit.ingest.parquet)
    if b"\x00" in head[:4096]:
        raise InputError(f"{source.display}: looks like a binary file, not JSON Lines or CSV")


class RequestReader:
    """Iterate canonical request frames from ``inputs``; ``stats`` accounts for every line."""

    def __init__(
        self,
        inputs: Sequence[str] | Sequence[InputSource],
        options: IngestOptions | None = None,
        observer: Observer | None = None,
        transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
    ) -> None:
        """``transform`` is applied to each chunk's canonical frame on the worker threads
        (pricing runs there); it must keep every row and the canonical columns."""
        self.sources: list[InputSource] = (
            list(inputs)  # type: ignore[arg-type]
            if inputs and all(isinstance(s, InputSource) for s in inputs)
            else expand_inputs([str(s) for s in inputs])
        )
        self.options = options or IngestOptions()
        self.observer = observer
        self.transform = transform
        self.stats = IngestStats(strict=self.options.strict)
        self._seen = _SeenIds()
        self._forced: LogFormat | None = (
            None if self.options.input_format == "auto" else get_format(self.options.input_format)
        )
        if self._forced is not None and self._forced.name != "generic" and "generic" in self.options.format_options:
            raise UsageError(
                f"--mapping/--map describe the 'generic' format, but --input-format is {self.options.input_format!r}",
                hint="drop --input-format (a mapping implies generic), or drop the mapping",
            )
        if self._forced is None:
            self.sources = self._route_companions(self.sources)

    def _route_companions(self, sources: list[InputSource]) -> list[InputSource]:
        """Take files that are join data for another format (batch inputs) out of the logs.

        Only the first records of each file are read here; stdin is never peeked at.
        """
        logs: list[InputSource] = []
        settings = {name: dict(value) for name, value in self.options.format_options.items()}
        for source in sources:
            fmt = None if source.is_stdin else _companion_format(source)
            if fmt is None or fmt.companion_of is None:
                logs.append(source)
                continue
            target, key = fmt.companion_of
            bucket = settings.setdefault(target, {})
            bucket[key] = (*bucket.get(key, ()), source.path)
            self.stats.companions.append((source.display, fmt.name))
        if self.stats.companions:
            self.options = replace(self.options, format_options=settings)
        return logs

    def __iter__(self) -> Iterator[pd.DataFrame]:
        if not self.sources and self.stats.companions:
            path, _ = self.stats.companions[0]
            raise InputError(
                f"{path}: this is an OpenAI Batch input file (requests without usage); there is no batch "
                "output file among the logs to join it to",
                hint="pass the batch output (results) file too: llmaudit analyze OUTPUT.jsonl INPUT.jsonl",
            )
        for source in self.sources:
            yield from self._read_source(source)
        if self.stats.parsed == 0:
            raise InputError(self._nothing_usable_message(), hint=self._nothing_usable_hint())

    def _nothing_usable_message(self) -> str:
        total = self.stats.lines_read
        names = ", ".join(f.source for f in self.stats.files[:3])
        if total == 0 or total == self.stats.skipped.get("blank_line", 0):
            return f"no records in the input ({names or 'nothing read'}): the files are empty"
        reasons = "; ".join(
            f"{count} {SKIP_REASONS[r][0]} (e.g. {self.stats.examples[r][0]})"
            for r, count in self.stats.skipped.most_common(4)
        )
        lines = "1 line" if total == 1 else f"{total:,} lines"
        return f"no usable records in {lines} read: {reasons}"

    def _nothing_usable_hint(self) -> str | None:
        for reason, _ in self.stats.skipped.most_common():
            if reason in self.stats.details:
                return f"first problem: {self.stats.details[reason]}; {SKIP_REASONS[reason][1]}"
        if not self.stats.skipped:
            return None
        return SKIP_REASONS[self.stats.skipped.most_common(1)[0][0]][1]

    def _read_source(self, source: InputSource) -> Iterator[pd.DataFrame]:
        stats = FileStats(source.display)
        self.stats.files.append(stats)
        opened = open_source(source)
        try:
            chunks = iter_chunks(opened.stream, self.options.chunk_bytes)
            first = next(chunks, None)
            if first is None:
                self.stats.warn("empty_file")
                return
            _check_encoding(first.data[:4096], source)
            parquet_path = None if opened.compressed else source.path
            parquet = is_parquet(first.data)
            stripped = first.data.lstrip()
            if stripped.startswith(b"["):
                chunks, first = self._json_array_chunks(first, chunks, source)
            sample = [] if parquet else _sample_records(first.data)
            # Parquet is recognized by its column names, shown to the sniffers as a CSV header.
            head = parquet_header(parquet_path, source.display) if parquet else first.data[:65536]
            detection = self._detect(sample, first, source, head)
            if detection is None:
                blank = self._blank_lines(first)
                stats.lines_read += len(blank)
                self._record(stats, {"blank_line": blank})
                return
            stats.format = detection.format.name + (" (wrapped)" if detection.wrapped else "")
            if self.observer is not None:
                self.observer.file_started(source, stats.format)
            yield from self._read_chunks(stats, source, opened, detection, sample, first, chunks)
        finally:
            opened.close()

    def _detect(
        self, sample: list[dict[str, Any]], first: Chunk, source: InputSource, head: bytes | bytearray
    ) -> Detection | None:
        if self._forced is not None:
            wrapped = bool(sample) and sum(is_wrapper(r) for r in sample) > len(sample) / 2
            return Detection(
                self._forced, wrapped and self._forced.request_schema is not None, len(sample), len(sample)
            )
        if self.options.format_options.get("generic"):
            # A column mapping (--mapping, --map) describes the files: it implies --input-format generic.
            return Detection(get_format("generic"), False, len(sample), len(sample))
        if not first.data.strip():
            return None  # only blank lines
        if not sample:
            by_bytes = detect_bytes(head)
            if by_bytes is not None:
                return Detection(by_bytes, False, 0, 0)
            if is_parquet(first.data):
                raise InputError(
                    f"{source.display}: no format recognizes this Parquet file's columns ({head.decode().strip()})",
                    hint="name them with --map model=COLUMN --map input_tokens=COLUMN --map output_tokens=COLUMN, "
                    "or in a mapping file passed with --mapping FILE.yaml",
                )
            raise InputError(
                f"{source.display}: no JSON object in the first lines; cannot recognize the log format",
                hint="llmaudit reads JSON Lines (one object per line) and CSV; for your own field names pass "
                "--input-format generic --mapping FILE.yaml",
            )
        return detect(sample, source.display)

    def _blank_lines(self, chunk: Chunk) -> np.ndarray:
        n = chunk.data.count(b"\n") + (0 if chunk.data.endswith(b"\n") else 1)
        return chunk.first_line + np.arange(n, dtype=np.int64)

    def _json_array_chunks(
        self, first: Chunk, rest: Iterator[Chunk], source: InputSource
    ) -> tuple[Iterator[Chunk], Chunk]:
        """A file holding one JSON array: each element becomes a line ("line" = element number)."""
        data = first.data + b"".join(c.data for c in rest)
        try:
            items = json.loads(data)
        except ValueError as exc:
            raise InputError(f"{source.display}: starts with '[' but is not valid JSON ({exc})") from None
        if not isinstance(items, list):
            raise InputError(f"{source.display}: expected a JSON array of records")
        body = b"\n".join(_json_line(item) for item in items) + b"\n"
        chunks = iter_chunks(io.BytesIO(body), self.options.chunk_bytes)
        head = next(chunks, None) or Chunk(b"", 1)
        return chunks, head

    def _read_chunks(
        self,
        stats: FileStats,
        source: InputSource,
        opened: OpenedSource,
        detection: Detection,
        sample: list[dict[str, Any]],
        first: Chunk,
        rest: Iterator[Chunk],
    ) -> Iterator[pd.DataFrame]:
        fmt = detection.format
        if fmt.configure is not None:
            fmt = fmt.configure(self.options.format_options.get(fmt.name, {}))
        if fmt.read_tables is None and is_parquet(first.data):
            raise InputError(
                f"{source.display}: Parquet input is read by the tabular formats, not by {fmt.name}",
                hint="drop --input-format, or choose one of: "
                + ", ".join(n for n, f in formats().items() if f.read_tables or f.configure),
            )
        if detection.wrapped:
            schema = envelope.wrapped_schema(fmt, sample)
            normalize = envelope.normalizer(fmt, schema)
            convert: Callable[[pa.Table], Converted] = lambda table: envelope.convert_wrapped(fmt, table)  # noqa: E731
        else:
            schema, normalize = fmt.schema, fmt.normalize
            convert = lambda table: fmt.convert(table, None)  # noqa: E731

        def to_frame(parsed: ParsedChunk) -> _Processed:
            if not parsed.table.num_rows:
                return _Processed(parsed, None, {}, np.zeros(0, dtype=bool))
            frame, dropped, from_source, warnings = finalize(
                convert(parsed.table), parsed.lines, source.display, self.options.now
            )
            frame, from_source = self._within_period(frame, dropped, from_source)
            if self.transform is not None and len(frame):
                frame = self.transform(frame)
            return _Processed(parsed, frame, dropped, from_source, warnings)

        if fmt.read_tables is not None:
            stream = _ReplayStream(first, rest, source.display, None if opened.compressed else source.path)
            tables = fmt.read_tables(stream, self.options.chunk_bytes)  # type: ignore[arg-type]
            results = ordered_map(to_frame, tables)
        else:
            shape = ExactShape.infer(first.data)
            results = ordered_map(
                lambda chunk: to_frame(parse_chunk(chunk, schema, normalize, shape)), _chain(first, rest)
            )
        for done in results:
            yield from self._account(stats, done)
            if self.observer is not None:
                self.observer.advanced(source, opened.raw_counter.count)

    def _within_period(
        self, frame: pd.DataFrame, dropped: dict[str, np.ndarray], from_source: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray]:
        """Drop rows outside --since/--until (recorded in ``dropped``)."""
        since, until = self.options.since, self.options.until
        if since is None and until is None:
            return frame, from_source
        stamp = frame["timestamp"]
        inside = stamp.notna().to_numpy().copy()
        if since is not None:
            inside &= (stamp >= since).to_numpy()
        if until is not None:
            inside &= (stamp < until).to_numpy()
        if inside.all():
            return frame, from_source
        dropped["outside_period"] = frame.loc[~inside, "source_line"].to_numpy()
        return frame.loc[inside].reset_index(drop=True), from_source[inside]

    def _account(self, stats: FileStats, done: _Processed) -> Iterator[pd.DataFrame]:
        """In file order: drop repeated request ids, record every skip, yield the rows."""
        parsed, frame = done.parsed, done.frame
        stats.lines_read += parsed.lines_read
        skipped = {r: np.asarray(v, dtype=np.int64) for r, v in parsed.skipped.items()}
        if frame is not None:
            dropped = dict(done.dropped)
            dup = np.zeros(len(frame), dtype=bool)
            if done.from_source.any():
                dup[done.from_source] = self._seen.mark_duplicates(frame.loc[done.from_source, "request_id"])
            if dup.any():
                dropped["duplicate_request_id"] = frame.loc[dup, "source_line"].to_numpy()
                frame = frame.loc[~dup].reset_index(drop=True)
            for reason, lines in dropped.items():
                skipped[reason] = np.concatenate([skipped.get(reason, np.zeros(0, np.int64)), lines])
        # Parse-stage and conversion-stage skips are recorded together, so --strict
        # reports the earliest bad line whichever stage found it.
        self._record(stats, skipped, parsed.details)
        for code, count in done.warnings.items():
            self.stats.warn(code, count)
        if frame is not None and len(frame):
            stats.parsed += len(frame)
            yield frame

    def _record(
        self, stats: FileStats, by_reason: dict[str, np.ndarray], details: dict[str, str] | None = None
    ) -> None:
        details = details or {}
        if self.stats.strict:
            harmful = [(int(v.min()), r) for r, v in by_reason.items() if len(v) and r not in HARMLESS_REASONS]
            if harmful:
                line, reason = min(harmful)
                what, how = SKIP_REASONS[reason]
                detail = f" ({details[reason]})" if reason in details else ""
                raise MalformedRecordError(
                    f"{stats.source}:{line}: {what}{detail}",
                    hint=f"{how}; or drop --strict to skip such lines",
                )
        for reason, lines in by_reason.items():
            self.stats.skip(stats, reason, lines, details.get(reason))


def _json_line(item: Any) -> bytes:
    """One array element as a JSON Lines line (UTF-8)."""
    try:
        return json.dumps(item, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        # A lone surrogate cannot be UTF-8: keep it as a \uXXXX escape, which the line
        # parser reads as U+FFFD like any other.
        return json.dumps(item).encode()


def _chain(first: Chunk, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield first
    yield from rest


class _ReplayStream:
    """A binary stream over already-read chunks (the first was consumed for detection).

    ``name`` is the source's display name, so a format's ``read_tables`` can name the file
    in its errors; ``path`` is the file itself when its bytes are not compressed (Parquet
    needs random access, so it is read from the file, not through this stream).
    """

    def __init__(self, first: Chunk, rest: Iterator[Chunk], name: str = "<input>", path: Path | None = None) -> None:
        self.name = name
        self.path = path
        self._chunks = _chain(first, rest)
        self._current: bytes | bytearray = b""
        self._offset = 0

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (all remaining when n < 0); each byte is copied once."""
        parts: list[bytes] = []
        wanted = n
        while wanted != 0:
            if self._offset >= len(self._current):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                self._current, self._offset = chunk.data, 0
            end = len(self._current) if wanted < 0 else min(len(self._current), self._offset + wanted)
            parts.append(bytes(self._current[self._offset : end]))
            if wanted > 0:
                wanted -= end - self._offset
            self._offset = end
        return b"".join(parts)

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._current, self._offset = b"", 0
