"""Stream canonical request frames out of any number of log files.

``RequestReader`` is the only entry point later stages use: iterate it to get
canonical frames chunk by chunk (memory stays bounded whatever the input size), then
read ``stats`` for the line accounting. Progress goes to an optional observer; this
module never prints.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Callable, Generator, Iterator, MutableMapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.errors import InputError, MalformedRecordError, UsageError
from llmaudit.ingest.accounting import HARMLESS_REASONS, SKIP_REASONS, FileProblem, FileStats, IngestStats
from llmaudit.ingest.batches import QUICK_SNIFF_BYTES, QUICK_SNIFF_RECORDS, Batch, SmallFile, small_file
from llmaudit.ingest.documents import JsonDocument
from llmaudit.ingest.finalize import finalize
from llmaudit.ingest.jsonl import (
    DEFAULT_CHUNK_BYTES,
    Chunk,
    ExactShape,
    ParsedChunk,
    parse_chunk,
    sample_records,
)
from llmaudit.ingest.mixed import Mixture, pipeline
from llmaudit.ingest.opening import check_encoding, open_chunks
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
    implied_format,
    is_wrapper,
)
from llmaudit.ingest.remote import outside_period
from llmaudit.ingest.sources import InputSource, OpenedSource, expand_inputs, open_source

# Records sampled to detect a file's format and the shape of its wrapper fields, from the
# whole lines that start in the first SAMPLE_BYTES of the file.
SNIFF_RECORDS: Final = 1000
SAMPLE_BYTES: Final = 1 << 20


def _csv_header(data: bytes | bytearray) -> str | None:
    """The columns of a file whose first line reads as a CSV header (two fields or more, not
    JSON), so an unrecognized CSV is not reported as "no JSON object"."""
    line = next((raw for raw in data.split(b"\n", 64)[:64] if raw.strip()), b"").strip()
    if not line or line[:1] in (b"{", b"["):
        return None
    try:
        fields = next(csv.reader([line.decode("utf-8")]))
    except (UnicodeDecodeError, csv.Error):
        return None
    return ", ".join(f.strip() for f in fields) if len(fields) >= 2 else None


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
    # Rows read by another format than the file's (records of another format inside it), by format.
    foreign: dict[str, int] = field(default_factory=dict)
    # Data-quality notes on kept rows (a dropped field), counted by code.
    warnings: dict[str, int] = field(default_factory=dict)
    # Joined small files: the index of each row's file in its ``Batch``.
    file_index: np.ndarray | None = None


def _merge(parts: list[_Processed], n_lines: int) -> _Processed:
    """One chunk's parts (one per format) as one result, rows back in file order."""
    parsed = ParsedChunk(pa.table({}), np.zeros(0, dtype=np.int64), n_lines)
    dropped: dict[str, np.ndarray] = {}
    for part in parts:
        for reason, lines in part.parsed.skipped.items():
            parsed.skipped.setdefault(reason, []).extend(lines)
        for reason, detail in part.parsed.details.items():
            parsed.details.setdefault(reason, detail)
        for reason, rows in part.dropped.items():
            dropped[reason] = np.concatenate([dropped.get(reason, np.zeros(0, np.int64)), rows])
    kept = [p for p in parts if p.frame is not None]  # an empty frame still carries its dropped rows
    if not kept:
        return _Processed(parsed, None, dropped, np.zeros(0, dtype=bool))
    frame = pd.concat([p.frame for p in kept], ignore_index=True)
    from_source = np.concatenate([p.from_source for p in kept])
    order = np.argsort(frame["source_line"].to_numpy(), kind="stable")
    warnings: dict[str, int] = {}
    for part in parts:
        for code, count in part.warnings.items():
            warnings[code] = warnings.get(code, 0) + count
    return _Processed(parsed, frame.iloc[order].reset_index(drop=True), dropped, from_source[order], warnings=warnings)


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


@dataclass
class FileHead:
    """What a file's first MB decides for all of it: the format (None: only blank lines), the
    sample it was detected from (wrapper fields), the head itself, and, once built, the
    verified shape of its records (``Mixture``, kept as built: each read gets a fresh copy)."""

    detection: Detection | None
    sample: list[dict[str, Any]]
    head: bytes
    mixture: Mixture | None = None


def _head_chunks(first: Chunk, chunks: Iterator[Chunk]) -> list[Chunk]:
    """``first`` and the chunks after it that hold the file's first MB: the sample (format,
    wrapper fields, the verified shape) is the first MB whatever the chunk size, so no
    result depends on the chunk size."""
    head = [first]
    while sum(len(c.data) for c in head) < SAMPLE_BYTES:
        following = next(chunks, None)
        if following is None:
            break
        head.append(following)
    return head


def _sample_records(data: bytes | bytearray, limit: int = SNIFF_RECORDS) -> list[dict[str, Any]]:
    """The records of the whole lines that start in the first MB of ``data`` (so a first record
    over 1 MB, a long-context prompt, is sampled whole)."""
    end = data.find(b"\n", SAMPLE_BYTES)
    return sample_records(data[: end if end >= 0 else len(data)], limit)


def _companion_format(source: InputSource, quick_samples: dict[InputSource, list[dict[str, Any]]]) -> LogFormat | None:
    """The format of ``source`` if a sample of it is a companion format, else None. The
    first records of a plain file are kept in ``quick_samples`` (detection reuses them)."""
    opened = open_source(source)
    try:
        head = opened.stream.read(1 << 16)
    finally:
        opened.close()
    companions = [f for f in formats().values() if f.companion_of is not None]
    # The first records first (a folder of many small logs is checked at little cost): the
    # usual sample only when one of them is a companion's.
    quick = sample_records(head[:QUICK_SNIFF_BYTES], QUICK_SNIFF_RECORDS)
    if not opened.compressed and not head.startswith(b"\xef\xbb\xbf"):
        quick_samples[source] = quick
    if not any(f.sniff(r) for f in companions for r in quick):
        return None
    sample = _sample_records(head)
    for fmt in companions:
        if sum(map(fmt.sniff, sample)) > len(sample) / 2:
            return fmt
    return None


class RequestReader:
    """Iterate canonical request frames from ``inputs``; ``stats`` accounts for every line."""

    def __init__(
        self,
        inputs: Sequence[str] | Sequence[InputSource],
        options: IngestOptions | None = None,
        observer: Observer | None = None,
        transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
        known_ids: np.ndarray | None = None,
        heads: MutableMapping[tuple[str, int, int], FileHead] | None = None,
    ) -> None:
        """``transform`` is applied to each chunk's canonical frame on the worker threads
        (pricing runs there); it must keep every row and the canonical columns.

        ``known_ids`` (request id hashes, as ``request_id_hashes`` returns them) count as
        already seen: a cluster task is told the ids that earlier tasks read. With
        ``require_records`` False a reader that finds no usable record does not raise
        (``check_usable`` does, on the merged accounting).

        ``heads`` keeps what each file's head decides (``file_head``) for the byte ranges of
        files read with the same options: a cluster worker's, so that its tasks of one file
        do not each read and detect the file's head again."""
        self.sources: list[InputSource] = (
            list(inputs)  # type: ignore[arg-type]
            if inputs and all(isinstance(s, InputSource) for s in inputs)
            else expand_inputs([str(s) for s in inputs])
        )
        self.options = options or IngestOptions()
        self.observer = observer
        self.transform = transform
        self.heads = heads
        self.stats = IngestStats(strict=self.options.strict)
        self._seen = _SeenIds()
        if known_ids is not None and len(known_ids):
            self._seen._runs.append(np.unique(known_ids))
        self.require_records = True
        self.failures: list[InputError] = []
        self._forced: LogFormat | None = (
            None if self.options.input_format == "auto" else get_format(self.options.input_format)
        )
        implied = implied_format(self.options.format_options)
        if self._forced is not None and implied is not None and self._forced.name != implied.name:
            raise UsageError(
                f"{implied.settings_flags} describe the {implied.name!r} format, but --input-format is "
                f"{self.options.input_format!r}",
                hint=f"drop --input-format ({implied.settings_flags} imply {implied.name}), or drop "
                f"{implied.settings_flags}",
            )
        # The first records of each file, read when looking for companion files.
        self._quick_samples: dict[InputSource, list[dict[str, Any]]] = {}
        if self.options.since is not None or self.options.until is not None:
            # Hive-style partitions (date=2026-11-01/) wholly outside the period are not opened.
            self.sources = [
                s
                for s in self.sources
                if not outside_period(s.url or str(s.path or ""), self.options.since, self.options.until)
            ]
        if self._forced is None:
            self.sources = self._route_companions(self.sources)

    def _configured(self, fmt: LogFormat) -> LogFormat:
        """``fmt`` bound to this run's settings for it (batch inputs, a mapping)."""
        return fmt.configure(self.options.format_options.get(fmt.name, {})) if fmt.configure is not None else fmt

    def _route_companions(self, sources: list[InputSource]) -> list[InputSource]:
        """Take files that are join data for another format (batch inputs) out of the logs.

        Only the first records of each file are read here; stdin is never peeked at.
        """
        logs: list[InputSource] = []
        settings = {name: dict(value) for name, value in self.options.format_options.items()}
        for source in sources:
            fmt = None if source.is_stdin else _companion_format(source, self._quick_samples)
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
            path, name = self.stats.companions[0]
            message, hint = get_format(name).orphan or (f"a {name} file, with no file of the format it joins", None)
            raise InputError(f"{path}: {message}", hint=hint)
        index = 0
        while index < len(self.sources):
            # Runs of small JSON Lines files are read joined; any other file on its own.
            index = yield from self._read_small_files(index, self.failures)
            if index < len(self.sources):
                yield from self._read_guarded(self.sources[index], self.failures)
                index += 1
        if self.require_records:
            self.check_usable()

    def request_id_hashes(self) -> np.ndarray:
        """The 64-bit hashes of every request id read so far (each once)."""
        runs = self._seen._runs
        return np.concatenate(runs) if runs else np.zeros(0, dtype=np.uint64)

    def check_usable(self) -> None:
        """``InputError`` when nothing usable was read: the first file's own error when no line
        was read at all, else what the lines were."""
        failures = self.failures
        if self.stats.parsed == 0:
            if failures and self.stats.lines_read == 0:
                raise failures[0]  # nothing else was read: the first file's own error
            if self.stats.problems and self.stats.lines_read == 0:
                first = self.stats.problems[0]
                raise InputError(first.message, hint=first.hint)
            raise InputError(self._nothing_usable_message(), hint=self._nothing_usable_hint())

    def _read_guarded(self, source: InputSource, failures: list[InputError]) -> Iterator[pd.DataFrame]:
        """Read one file; a file that cannot be read is listed and the run goes on (not with --strict)."""
        files = len(self.stats.files)
        try:
            yield from self._read_source(source)
        except InputError as exc:
            if self.stats.strict:
                raise
            if len(self.stats.files) > files and self.stats.files[-1].lines_read == 0:
                del self.stats.files[files:]  # nothing of it was read: listed as a problem only
            self.stats.problems.append(FileProblem(source.display, "unreadable_file", exc.message, exc.hint))
            failures.append(exc)

    def _read_small_files(self, start: int, failures: list[InputError]) -> Generator[pd.DataFrame, None, int]:
        """Read the small JSON Lines files from ``sources[start]`` on, consecutive ones of one
        format joined into chunks (``llmaudit.ingest.batches``), on one thread pool; returns
        the index of the first source not read."""
        stop = start
        processors: list[tuple[tuple[Any, ...], Callable[[Chunk], _Processed]]] = []

        def processor(key: tuple[Any, ...], make: Callable[[], Callable[[Chunk], _Processed]]) -> Any:
            for known, process in processors:
                if known == key:
                    return process
            processors.append((key, make()))
            return processors[-1][1]

        def close(batch: Batch) -> tuple[Batch, Chunk, Callable[[Chunk], _Processed]]:
            chunk = batch.chunk()
            detection, sample, first = batch.detection, batch.sample, batch.files[0].source.display
            make = lambda: self._processor(detection.format, detection, sample, chunk.data, chunk.data, first)  # noqa: E731
            return batch, chunk, processor(batch.key, make)

        def jobs() -> Iterator[tuple[Batch, Chunk, Callable[[Chunk], _Processed]]]:
            nonlocal stop
            batch: Batch | None = None
            for index in range(start, len(self.sources)):
                found = self._small_detected(self.sources[index], None if batch is None else batch.detection)
                if found is None:
                    break
                file, detection, sample = found
                # Wrapped records are read with the wrapper fields of their sample: files join
                # only when those are the same.
                own = pipeline(detection.format, True, sample) if detection.wrapped else None
                key = (detection.format.name, detection.wrapped, None if own is None else own.schema)
                if batch is not None and (key != batch.key or batch.nbytes + len(file.data) > self.options.chunk_bytes):
                    yield close(batch)
                    batch = None
                if batch is None:
                    batch = Batch(key, detection, sample)
                batch.add(
                    file,
                    FileStats(
                        file.source.display, format=detection.format.name + (" (wrapped)" if detection.wrapped else "")
                    ),
                )
                stop = index + 1
            if batch is not None:
                yield close(batch)

        def run(job: tuple[Batch, Chunk, Callable[[Chunk], _Processed]]) -> tuple[Batch, _Processed | InputError]:
            batch, chunk, process = job
            try:
                done = process(chunk)
            except InputError as exc:
                return batch, exc  # its files are read again one by one, which lists the error
            if done.frame is not None and len(done.frame):
                done.file_index = batch.relocate(done.frame, done.from_source)
            return batch, self._transformed(done)

        for batch, done in ordered_map(run, jobs()):
            if isinstance(done, InputError):
                for file in batch.files:
                    yield from self._read_guarded(file.source, failures)
                continue
            yield from self._account_batch(batch, done)
        return stop

    def _small_detected(
        self, source: InputSource, previous: Detection | None
    ) -> tuple[SmallFile, Detection, list[dict[str, Any]]] | None:
        """``source`` read whole and its format detected, when it may be joined with others;
        None sends it to the per-file path (which words any error).

        The first records decide: a file whose first records the previous file's format all
        claims (none a wrapper) is of that format (no two formats claim one record:
        tests/ingest/test_conformance.py); otherwise every format is tried on them, and an
        unclear result (a wrapper, a quarter unclaimed) is decided on the usual sample.
        """
        file = small_file(source, self.options.chunk_bytes)
        if file is None:
            return None
        first = Chunk(file.data, 1, file.n_lines)
        sample = self._quick_samples.pop(source, None)
        if sample is None:
            sample = file.quick_sample()
        if (
            previous is not None
            and self._forced is None
            and not previous.wrapped
            and sample
            and all(previous.format.sniff(r) and not is_wrapper(r) for r in sample)
        ):
            return file, Detection(previous.format, False, len(sample), len(sample)), sample
        try:
            detection = self._detect(sample, first, source, file.data[:65536])
            if detection is not None and (detection.wrapped or 4 * detection.matched < 3 * detection.sampled):
                # Not a clear case: the usual sample decides, as for any file.
                sample = _sample_records(file.data)
                detection = self._detect(sample, first, source, file.data[:65536])
        except InputError:
            return None
        fmt = None if detection is None else detection.format
        if fmt is None or fmt.read_tables is not None or fmt.configure is not None or not sample:
            return None
        return file, detection, sample  # type: ignore[return-value]

    def _account_batch(self, batch: Batch, done: _Processed) -> Iterator[pd.DataFrame]:
        """``_account`` for joined files: each file's lines, skips and rows in its own stats."""
        skipped: list[dict[str, np.ndarray]] = [{} for _ in batch.files]

        def add(reason: str, virtual: np.ndarray) -> None:
            for k, lines in batch.split(np.asarray(virtual, dtype=np.int64)):
                skipped[k][reason] = np.concatenate([skipped[k].get(reason, np.zeros(0, np.int64)), lines])

        parsed, frame = done.parsed, done.frame
        for reason, lines in [*parsed.skipped.items(), *done.dropped.items()]:
            add(reason, np.asarray(lines, dtype=np.int64))
        kept = np.zeros(len(batch.files), dtype=np.int64)
        if frame is not None and done.file_index is not None:
            index = done.file_index
            dup = np.zeros(len(frame), dtype=bool)
            if done.from_source.any():
                dup[done.from_source] = self._seen.mark_duplicates(frame.loc[done.from_source, "request_id"])
            if dup.any():
                lines = frame.loc[dup, "source_line"].to_numpy()
                for k in np.unique(index[dup]):
                    mine = lines[index[dup] == k]
                    old = skipped[k].get("duplicate_request_id", np.zeros(0, np.int64))
                    skipped[k]["duplicate_request_id"] = np.concatenate([old, mine])
                frame, index = frame.loc[~dup].reset_index(drop=True), index[~dup]
            kept = np.bincount(index, minlength=len(batch.files))
        # A chunk keeps one detail per reason (its first line's): it belongs to that line's file.
        owner = {r: int(batch.file_of(np.asarray([min(parsed.skipped[r])]))[0]) for r in parsed.details}
        for k, (file, stats) in enumerate(zip(batch.files, batch.stats, strict=True)):
            self.stats.files.append(stats)
            if self.observer is not None:
                self.observer.file_started(file.source, stats.format)
            stats.lines_read += file.n_lines
            self._record(stats, skipped[k], {r: d for r, d in parsed.details.items() if owner[r] == k})
            stats.parsed += int(kept[k])
            if self.observer is not None:
                self.observer.advanced(file.source, file.size)
        for code, count in done.warnings.items():
            self.stats.warn(code, count)
        for name, count in done.foreign.items():
            self.stats.warn(f"records_read_as_{name}_inside_{batch.stats[0].format.split()[0]}_files", count)
        if frame is not None and len(frame):
            yield frame

    def _nothing_usable_message(self) -> str:
        total = self.stats.lines_read
        sources = dict.fromkeys([f.source for f in self.stats.files] + [p.source for p in self.stats.problems])
        names = ", ".join(list(sources)[:3])
        if self.stats.problems:
            count = len(self.stats.problems)
            unread = f"; {count} file{'s' if count > 1 else ''} not read (first: {self.stats.problems[0].text})"
        else:
            unread = ""
        if total == 0 or total == self.stats.skipped.get("blank_line", 0):
            return f"no records in the input ({names or 'nothing read'}): the files are empty{unread}"
        reasons = "; ".join(
            f"{count:,} {SKIP_REASONS[r][0]} (e.g. {self.stats.examples[r][0]})"
            for r, count in self.stats.skipped.most_common(4)
        )
        lines = "1 line" if total == 1 else f"{total:,} lines"
        return f"no usable records in {lines} read: {reasons}{unread}"

    def _nothing_usable_hint(self) -> str | None:
        for reason, _ in self.stats.skipped.most_common():
            if reason in self.stats.details:
                return f"first problem: {self.stats.details[reason]}; {SKIP_REASONS[reason][1]}"
        if not self.stats.skipped:
            return None
        return SKIP_REASONS[self.stats.skipped.most_common(1)[0][0]][1]

    def _read_source(self, source: InputSource) -> Iterator[pd.DataFrame]:
        if source.byte_range is not None and source.path is not None:
            yield from self._read_range(source)
            return
        stats = FileStats(source.display)
        self.stats.files.append(stats)
        opened = open_source(source)
        document: JsonDocument | None = None
        try:
            opening = open_chunks(opened.stream, self.options.chunk_bytes, source.display)
            chunks, document = opening.chunks, opening.document
            first = next(chunks, None)
            if first is None:
                self.stats.warn("empty_file")
                self._note_damage(stats, source, opened)
                return
            parquet_path = None if opened.compressed else source.path or source.url
            parquet = is_parquet(first.data)
            while not parquet and not first.data.strip():
                # Leading chunks of blank lines are accounted for here; the first one with
                # content decides the format (not the first 16 MiB, whatever they hold).
                following = next(chunks, None)
                if following is None:
                    break
                blank = self._blank_lines(first)
                stats.lines_read += len(blank)
                self._record(stats, {"blank_line": blank})
                first = following
                check_encoding(first.data[:4096], source.display)
            head_chunks = [first] if parquet else _head_chunks(first, chunks)
            head_data = first.data if len(head_chunks) == 1 else b"".join(c.data for c in head_chunks)
            chunks = itertools.chain(head_chunks[1:], chunks)
            sample = [] if parquet else _sample_records(head_data)
            # Parquet is recognized by its column names, shown to the sniffers as a CSV header.
            head = parquet_header(parquet_path, source.display) if parquet else first.data[:65536]
            detection = self._detect(sample, first, source, head)
            if detection is None:
                blank = self._blank_lines(first)
                stats.lines_read += len(blank)
                self._record(stats, {"blank_line": blank})
                self._note_damage(stats, source, opened)
                return
            stats.format = detection.format.name + (" (wrapped)" if detection.wrapped else "")
            if self.observer is not None:
                self.observer.file_started(source, stats.format)
            yield from self._read_chunks(stats, source, opened, detection, sample, first, chunks, head_data)
            self._note_damage(stats, source, opened)
            if document is not None and document.damage is not None:
                self._note_problem(
                    stats,
                    "invalid_json_tail",
                    f"{source.display}: {document.damage}; the records before it were read",
                    "fix the JSON at that record (a truncated download or a hand edit)",
                )
        finally:
            opened.close()

    def _read_range(self, source: InputSource) -> Iterator[pd.DataFrame]:
        """A cluster task's byte range of a JSON Lines file: the file's head decides the format
        (as for the whole file, whatever lines the range starts with); only the range is read."""
        assert source.byte_range is not None and source.path is not None
        stats = FileStats(source.display)
        self.stats.files.append(stats)
        known = self.file_head(source)
        chunks = source.byte_range.chunks(source.path, self.options.chunk_bytes)
        first = next(chunks, Chunk(bytearray(), source.byte_range.first_line, 0))
        if known.detection is None:  # the file holds only blank lines
            for chunk in _chain(first, chunks):
                blank = self._blank_lines(chunk)
                stats.lines_read += len(blank)
                self._record(stats, {"blank_line": blank})
            return
        opened = open_source(source)
        try:
            stats.format = known.detection.format.name + (" (wrapped)" if known.detection.wrapped else "")
            if self.observer is not None:
                self.observer.file_started(source, stats.format)
            yield from self._read_chunks(stats, source, opened, known.detection, known.sample, first, chunks, known)
        finally:
            opened.close()

    def file_head(self, source: InputSource) -> FileHead:
        """What the first MB of ``source`` (a local file) decides for all of it, read as a
        single-process read of the file reads it; kept in ``heads`` when the reader has them
        (a cluster worker's, for every range of the file it reads)."""
        assert source.path is not None
        try:
            status = source.path.stat()
        except OSError as exc:
            raise InputError(f"{source.display}: cannot open ({exc.strerror})") from None
        key = (str(source.path), status.st_size, status.st_mtime_ns)
        known = self.heads.get(key) if self.heads is not None else None
        if known is not None:
            return known
        opened = open_source(source)
        try:
            chunks = open_chunks(opened.stream, self.options.chunk_bytes, source.display).chunks
            first = next(chunks, None)
            while first is not None and not first.data.strip():
                first = next(chunks, None)  # leading blank chunks: the first with content decides
            if first is None:
                known = FileHead(None, [], b"")
            else:
                head_chunks = _head_chunks(first, chunks)
                head = first.data if len(head_chunks) == 1 else b"".join(c.data for c in head_chunks)
                sample = _sample_records(head)
                end = head.find(b"\n", SAMPLE_BYTES)  # all that Mixture reads of the head
                known = FileHead(
                    self._detect(sample, first, source, first.data[:65536]),
                    sample,
                    bytes(head[: end + 1] if end >= 0 else head),
                )
        finally:
            opened.close()
        if self.heads is not None:
            self.heads[key] = known
        return known

    def _note_damage(self, stats: FileStats, source: InputSource, opened: OpenedSource) -> None:
        """A compressed file damaged part-way: what came before was read; say what was not."""
        if opened.damage is not None:
            message = f"{source.display}: {opened.damage}; the records before the damage were read"
            self._note_problem(
                stats, "corrupt_compressed_tail", message, "re-copy or re-download it (gzip -t tests it)"
            )

    def _note_problem(self, stats: FileStats, reason: str, message: str, hint: str) -> None:
        """A file read only up to a problem: listed with the reason; fatal with --strict."""
        if self.stats.strict:
            raise InputError(message, hint=f"{hint}, or drop --strict to read what is intact")
        self.stats.problems.append(FileProblem(stats.source, reason, message, hint))

    def _detect(
        self, sample: list[dict[str, Any]], first: Chunk, source: InputSource, head: bytes | bytearray
    ) -> Detection | None:
        if self._forced is not None:
            wrapped = bool(sample) and sum(is_wrapper(r) for r in sample) > len(sample) / 2
            return Detection(
                self._forced, wrapped and self._forced.request_schema is not None, len(sample), len(sample)
            )
        implied = implied_format(self.options.format_options)
        if implied is not None:
            # Settings that describe the files (a column mapping) imply their format.
            return Detection(implied, False, len(sample), len(sample))
        if not first.data.strip():
            return None  # only blank lines
        if not sample:
            by_bytes = detect_bytes(head)
            if by_bytes is not None:
                return Detection(by_bytes, False, 0, 0)
            parquet = is_parquet(first.data)
            columns = head.decode().strip() if parquet else _csv_header(first.data)
            if columns is not None:
                kind = "Parquet" if parquet else "CSV"
                raise InputError(
                    f"{source.display}: no format recognizes this {kind} file's columns ({columns})",
                    hint="name them with --map model=COLUMN --map input_tokens=COLUMN --map output_tokens=COLUMN, "
                    "or in a mapping file passed with --mapping FILE.yaml (docs/mapping.md)",
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

    def _read_chunks(
        self,
        stats: FileStats,
        source: InputSource,
        opened: OpenedSource,
        detection: Detection,
        sample: list[dict[str, Any]],
        first: Chunk,
        rest: Iterator[Chunk],
        head: bytes | bytearray | FileHead,
    ) -> Iterator[pd.DataFrame]:
        """``head``: the file's first MB, or (a byte range) what it decided (``file_head``)."""
        fmt = detection.format
        if fmt.configure is not None:
            fmt = fmt.configure(self.options.format_options.get(fmt.name, {}))
        if fmt.read_tables is None and is_parquet(first.data):
            raise InputError(
                f"{source.display}: Parquet input is read by the tabular formats, not by {fmt.name}",
                hint="drop --input-format, or choose one of: "
                + ", ".join(n for n, f in formats().items() if f.read_tables or f.configure),
            )
        if fmt.read_tables is not None:
            own = pipeline(fmt, detection.wrapped, sample)
            stream = _ReplayStream(
                first, rest, source.display, None if opened.compressed else source.path or source.url
            )
            tables = fmt.read_tables(stream, self.options.chunk_bytes)  # type: ignore[arg-type]
            results = ordered_map(
                lambda parsed: self._transformed(self._to_frame(parsed, own.convert, source.display)), tables
            )
        else:
            process = self._processor(fmt, detection, sample, first.data, head, source.display)
            results = ordered_map(lambda chunk: self._transformed(process(chunk)), _chain(first, rest))
        for done in results:
            for name, count in done.foreign.items():
                self.stats.warn(f"records_read_as_{name}_inside_{fmt.name}_files", count)
            yield from self._account(stats, done)
            if self.observer is not None:
                self.observer.advanced(source, opened.raw_counter.count)

    def _processor(
        self,
        fmt: LogFormat,
        detection: Detection,
        sample: list[dict[str, Any]],
        first: bytes | bytearray,
        head: bytes | bytearray | FileHead,
        source: str,
    ) -> Callable[[Chunk], _Processed]:
        """Parse and convert one JSON Lines chunk of ``fmt`` (``first``: the first chunk's data,
        ``head``: the file's first MB, or what it decided); runs on the worker threads."""
        known, head = (head, head.head) if isinstance(head, FileHead) else (None, head)
        # Another range of a file read here before: its verified shape, as it was first built.
        template = known.mixture if known is not None and self._forced is None else None
        own = template.own_pipeline if template is not None else pipeline(fmt, detection.wrapped, sample)
        assert own.schema is not None
        schema = own.schema
        if self._forced is not None:
            # A forced format reads every record (the user said what the file holds).
            shape = ExactShape.infer(first)
            return lambda chunk: self._to_frame(parse_chunk(chunk, schema, own.normalize, shape), own.convert, source)
        if template is not None:
            mixture = template.fresh(self._configured)
        else:
            mixture = Mixture(fmt, detection.wrapped, own, self._configured, head)
            if known is not None:
                known.mixture = mixture.fresh(None)

        def process(chunk: Chunk) -> _Processed:
            parts = mixture.parse(chunk)
            done = [self._to_frame(part.parsed, part.pipeline.convert, source) for part in parts]
            merged = done[0] if len(done) == 1 else _merge(done, chunk.n_lines)
            merged.foreign = {
                part.pipeline.key[0]: len(d.frame)
                for part, d in zip(parts, done, strict=True)
                if part.pipeline is not own and d.frame is not None and len(d.frame)
            }
            return merged

        return process

    def _to_frame(self, parsed: ParsedChunk, convert: Callable[[pa.Table], Converted], source: str) -> _Processed:
        if not parsed.table.num_rows:
            return _Processed(parsed, None, {}, np.zeros(0, dtype=bool))
        frame, dropped, from_source, warnings = finalize(convert(parsed.table), parsed.lines, source, self.options.now)
        frame, from_source = self._within_period(frame, dropped, from_source)
        return _Processed(parsed, frame, dropped, from_source, warnings=warnings)

    def _transformed(self, done: _Processed) -> _Processed:
        """``transform`` (pricing) applied to a processed chunk's rows, on the worker thread."""
        if self.transform is not None and done.frame is not None and len(done.frame):
            done.frame = self.transform(done.frame)
        return done

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


def _chain(first: Chunk, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    yield first
    yield from rest


class _ReplayStream:
    """A binary stream over already-read chunks (the first was consumed for detection).

    ``name`` is the source's display name, so a format's ``read_tables`` can name the file
    in its errors; ``path`` is the file itself when its bytes are not compressed (Parquet
    needs random access, so it is read from the file, not through this stream).
    """

    def __init__(
        self, first: Chunk, rest: Iterator[Chunk], name: str = "<input>", path: Path | str | None = None
    ) -> None:
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
