"""The registry of log formats and format detection.

A format module describes one wire shape: the Arrow schema of the fields it needs, a
``sniff`` predicate for one decoded record, and a ``convert`` function that turns a
chunk of records into canonical columns in the inclusive token convention. Formats
register themselves by name; CLI choices come from the registry keys.

Records may also arrive wrapped, as teams commonly log them:
``{"timestamp": ..., "request": {...}, "response": {<provider response>}, ...}``.
Detection looks inside ``response`` for such records and the envelope module reads the
outer fields; every wrappable format gets this for free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.errors import InputError
from llmaudit.ingest.jsonl import Normalizer, ParsedChunk


@dataclass
class Converted:
    """Canonical columns extracted from one chunk; every array has the chunk's length.

    Token columns are float64 with NaN where the source had no value. ``has_usage``
    says whether the record carried usage at all (a record without it may get
    estimated counts). ``skip`` holds a skip-reason code for rows to drop, else None.
    """

    n: int
    columns: dict[str, Any] = field(default_factory=dict)
    has_usage: np.ndarray | None = None
    skip: np.ndarray | None = None
    completion_text: pa.Array | None = None
    # Data-quality notes a conversion makes, by code: the rows they concern (finalize counts
    # those it keeps into IngestStats.warn).
    warnings: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.has_usage is None:
            self.has_usage = np.ones(self.n, dtype=bool)
        if self.skip is None:
            self.skip = np.empty(self.n, dtype=object)  # object arrays start as None

    def mark_unrecognized(self, known: np.ndarray, wrapped: bool) -> None:
        """Skip bare records the format does not recognize (``known`` False).

        Wrapped records are left alone: a wrapper around a failed call may have no
        response at all and is still a request.
        """
        if not wrapped:
            self.mark(~np.asarray(known, dtype=bool), "unrecognized_record")

    def mark(self, mask: np.ndarray | np.bool_, reason: str) -> None:
        """Skip rows in ``mask`` with ``reason`` unless already skipped for another."""
        assert self.skip is not None
        self.skip[np.asarray(mask, dtype=bool) & pd.isna(self.skip)] = reason


ConvertFn = Callable[[pa.Table, "pa.Array | None"], Converted]


@dataclass(frozen=True)
class LogFormat:
    """One log format: what to read, how to recognize it, how to convert it.

    JSON Lines formats need only ``schema``, ``sniff`` and ``convert``. The optional
    hooks serve the others:

    - ``configure(settings)`` returns the format bound to per-run settings (the
      ``--batch-input`` join, a ``--mapping`` file); ``settings`` is the dict the CLI
      put under this format's name in ``IngestOptions.format_options``.
    - ``read_tables(stream, chunk_bytes)`` replaces JSON Lines parsing (CSV, Parquet):
      it yields ``ParsedChunk``s with line numbers and per-line skips. Such a format
      still takes part in JSON detection through ``sniff``; its ``read_tables`` then
      reads the JSON Lines too (``llmaudit.ingest.tabular.read_by_content``).
    - ``sniff_bytes(head)`` recognizes a file that is not JSON from its first bytes (for
      Parquet, from its column names, presented as a CSV header line).
    - ``settings_flags`` (e.g. ``"--mapping/--map"``): settings given for this format
      describe every file: the format is implied for all of them (the generic format's
      column mapping), and forcing another with ``--input-format`` is a usage error.
    - ``owns_envelope(record)``: records of this format that carry a ``response`` object
      of their own (an OpenAI Batch output line: ``custom_id`` + ``response``), which are
      therefore not the ``{"request", "response"}`` wrapper (``is_wrapper``).
    - ``orphan = (message, hint)``: for a companion format, the error when its files come
      without any file of the format they join.
    - ``claims(table)`` is ``sniff`` over a whole chunk: given the chunk parsed against
      ``schema``, a boolean per row, True only where ``sniff`` recognizes the record (it
      may say False where sniff says True: those rows are checked one by one). With it, a
      chunk of the format's own records needs no per-record test for records of other
      formats (``llmaudit.ingest.mixed``): records whose shape varies from line to line
      (Claude Code's string-or-list ``content``) are read as fast as uniform ones.
    - ``companion_of = (format, setting)`` marks files that are not request logs but
      data another format joins (OpenAI Batch *input* files): found among the LOGS, they
      are added to that format's ``setting`` instead of being read as requests.
    """

    name: str
    title: str
    schema: pa.Schema
    sniff: Callable[[Mapping[str, Any]], bool]
    convert: ConvertFn
    request_schema: pa.StructType | None = None
    normalize: Normalizer | None = None
    request_normalize: Normalizer | None = None
    aliases: tuple[str, ...] = ()
    configure: Callable[[Mapping[str, Any]], LogFormat] | None = None
    read_tables: Callable[[BinaryIO, int], Iterator[ParsedChunk]] | None = None
    sniff_bytes: Callable[[bytes | bytearray], bool] | None = None
    companion_of: tuple[str, str] | None = None
    claims: Callable[[pa.Table], np.ndarray] | None = None
    settings_flags: str | None = None
    owns_envelope: Callable[[Mapping[str, Any]], bool] | None = None
    orphan: tuple[str, str] | None = None


# The formats' ``owns_envelope`` predicates, for ``is_wrapper`` (per record: kept, not rebuilt).
_ENVELOPE_OWNERS: list[Callable[[Mapping[str, Any]], bool]] = []


_REGISTRY: dict[str, LogFormat] = {}
_ALIASES: dict[str, str] = {}


def register(fmt: LogFormat) -> LogFormat:
    if fmt.name in _REGISTRY:
        raise ValueError(f"format {fmt.name!r} registered twice")
    _REGISTRY[fmt.name] = fmt
    if fmt.owns_envelope is not None:
        _ENVELOPE_OWNERS.append(fmt.owns_envelope)
    for alias in fmt.aliases:
        _ALIASES[alias] = fmt.name
    return fmt


def formats() -> dict[str, LogFormat]:
    """Registered formats by name, in registration order (also the sniffing order)."""
    _load_builtin_formats()
    return dict(_REGISTRY)


def get_format(name: str) -> LogFormat:
    """Look a format up by name or alias; ``InputError`` lists the choices if unknown."""
    _load_builtin_formats()
    key = _ALIASES.get(name, name)
    if key not in _REGISTRY:
        raise InputError(f"unknown input format {name!r}", hint=f"choose one of: {', '.join(format_choices())}")
    return _REGISTRY[key]


def format_choices(*, aliases: bool = False) -> list[str]:
    """Names accepted by --input-format: "auto", every format, and optionally their aliases."""
    _load_builtin_formats()
    return ["auto", *_REGISTRY, *(_ALIASES if aliases else ())]


def _load_builtin_formats() -> None:
    # Importing the package registers every built-in format exactly once.
    import llmaudit.ingest.formats  # noqa: F401


def detect_bytes(head: bytes | bytearray) -> LogFormat | None:
    """A non-JSON format that recognizes the file's first bytes, if any."""
    for fmt in formats().values():
        if fmt.sniff_bytes is not None and fmt.sniff_bytes(head):
            return fmt
    return None


def is_wrapper(record: Mapping[str, Any]) -> bool:
    """The ``{"request": ..., "response": {...}}`` envelope (but not a record of a format
    whose own shape has a ``response``: ``LogFormat.owns_envelope``)."""
    if "response" not in record or not (
        isinstance(record.get("response"), dict) or isinstance(record.get("request"), dict)
    ):
        return False
    _load_builtin_formats()
    return not any(owns(record) for owns in _ENVELOPE_OWNERS)


def implied_format(settings: Mapping[str, Any]) -> LogFormat | None:
    """The format every file is read as because settings for it were given (``settings_flags``)."""
    for fmt in formats().values():
        if fmt.settings_flags is not None and settings.get(fmt.name):
            return fmt
    return None


def _request_beside_response(records: Sequence[Mapping[str, Any]], candidates: list[LogFormat], half: float) -> bool:
    """Most records hold a ``request`` object and a ``response`` a wrappable format recognizes."""
    if sum(1 for r in records if isinstance(r.get("request"), dict)) <= half:
        return False
    responses = [r["response"] for r in records if isinstance(r.get("response"), dict)]
    return any(f.request_schema is not None and sum(1 for r in responses if f.sniff(r)) > half for f in candidates)


@dataclass(frozen=True)
class Detection:
    """The format chosen for one file and whether its records are wrapped."""

    format: LogFormat
    wrapped: bool
    matched: int
    sampled: int


def detect(records: Sequence[Mapping[str, Any]], source: str) -> Detection:
    """Choose the format that recognizes most sampled records.

    Raises ``InputError`` when no format recognizes any of them.
    """
    # Formats that read tables (CSV, Parquet) may also read JSON records: those sniff them too
    # (an unconfigured generic format claims no JSON record).
    candidates = list(formats().values())
    half = len(records) / 2
    wrapped = sum(1 for r in records if is_wrapper(r)) > half
    if wrapped and any(sum(1 for r in records if f.sniff(r)) > half for f in candidates):
        # A format's own records may carry a "response" object (LiteLLM's logging payload);
        # but a record with a request beside a recognized response is a wrapper, even when it
        # also copies the usage to the top (a logging proxy's capture).
        wrapped = _request_beside_response(records, candidates, half)
    inner = [r.get("response") for r in records] if wrapped else list(records)
    inner_dicts = [r for r in inner if isinstance(r, dict)]
    best: tuple[int, LogFormat] | None = None
    for fmt in candidates:
        if wrapped and fmt.request_schema is None:
            continue
        hits = sum(1 for r in inner_dicts if fmt.sniff(r))
        if hits and (best is None or hits > best[0]):
            best = (hits, fmt)
    if best is None:
        keys = sorted({k for r in records[:3] for k in r})[:12]
        raise InputError(
            f"{source}: cannot recognize the log format (first record's keys: {', '.join(keys) or 'none'})",
            hint="force one with --input-format ("
            + ", ".join(format_choices()[1:])
            + "), or describe your columns with --mapping FILE.yaml",
        )
    return Detection(best[1], wrapped, best[0], len(records))
