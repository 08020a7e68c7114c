"""The generic format: JSON Lines or CSV whose field names the user describes.

Registered as ``generic`` with the aliases ``csv`` and ``jsonl``. The column mapping
(``generic_mapping``: a YAML file, ``--map`` flags, or auto-mapping by well-known
names, which assumes inclusive counts) is bound by ``configure``:

- ``format: jsonl`` in the mapping file: the standard chunked JSON Lines path reads an
  explicit schema built from the mapped dotted paths (numeric fields as float64, text
  as string, tags as a list of strings); ``convert`` pulls the paths out.
- otherwise (``auto``, the default, or ``csv``): ``read_tables`` looks at the content.
  JSON Lines go through the same chunked path, with each text field's type taken from
  the first records (so numeric ids or HTTP codes keep the fast path); a Parquet file is
  streamed by record batches (``llmaudit.ingest.parquet``), its column names resolved
  like a CSV header; anything else is read as CSV (``generic_csv``). All yield tables
  whose columns are named by canonical field.

Counts are converted once to the inclusive convention: with ``input_includes_cache:
false`` the input becomes input + cache read + cache write; with
``output_includes_reasoning: false`` the output becomes output + reasoning.

JSON Lines files are recognized as generic only when a mapping is given (``--mapping``
or ``--map`` imply ``--input-format generic``); a CSV file whose header (or a Parquet
file whose column names) auto-maps a model and a token count is recognized by its first bytes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.errors import ConfigError
from llmaudit.ingest import columns as col
from llmaudit.ingest.formats import _scores
from llmaudit.ingest.formats._common import MESSAGES, NUM, STR
from llmaudit.ingest.formats.generic_csv import CsvReader, peek, sniffed_header
from llmaudit.ingest.formats.generic_mapping import (
    FIELD_KINDS,
    ColumnMapping,
    FieldKind,
    auto_map,
    load_mapping,
    split_path,
)
from llmaudit.ingest.jsonl import TABLE_CHUNK_BYTES, Chunk, ParsedChunk, parse_chunk, sampled_chunks
from llmaudit.ingest.parallel import ordered_map
from llmaudit.ingest.parquet import is_parquet, read_parquet
from llmaudit.ingest.registry import Converted, LogFormat, register
from llmaudit.schema import TOKEN_COLUMNS

NAME: Final = "generic"
TITLE: Final = "JSON Lines or CSV with your own field names (--mapping FILE.yaml, --map FIELD=SOURCE)"
SAMPLE_RECORDS: Final = 50
_SAMPLE_BYTES: Final = 1 << 20
_EXACT_FLOAT: Final = 2**53
_MODES: Final = ("standard", "batch", "priority", "flex")
_ERROR_WORDS: Final = (
    "error", "failed", "failure", "fail", "cancelled", "canceled", "timeout", "timed_out",
    "aborted", "rejected", "exception", "false",
)  # fmt: skip
_UNIT_NANOS: Final = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def _never(record: Mapping[str, Any]) -> bool:
    """Unconfigured, generic claims no JSON record: it needs a mapping for JSON Lines."""
    return False


def sniff_bytes(head: bytes | bytearray) -> bool:
    """A CSV whose header row auto-maps a model and a token count."""
    names = sniffed_header(head)
    if names is None:
        return False
    found = auto_map(names)
    return len(names) > 1 and "model" in found and ("input_tokens" in found or "output_tokens" in found)


# --- JSON Lines -------------------------------------------------------------------


@dataclass(frozen=True)
class JsonPlan:
    """The explicit schema for the mapped paths, and how to pull them out of a parsed table."""

    schema: pa.Schema
    paths: dict[str, tuple[str, ...]]

    @classmethod
    def build(cls, mapping: ColumnMapping, sample: Sequence[Mapping[str, Any]] = ()) -> JsonPlan:
        """Raises ``ConfigError`` when one mapped path runs through another mapped as a value."""
        paths = {canonical: tuple(split_path(source)) for canonical, source in mapping.fields.items()}
        kinds: dict[tuple[str, ...], set[FieldKind]] = {}
        for canonical, keys in paths.items():
            kinds.setdefault(keys, set()).add(FIELD_KINDS[canonical])
        tree: dict[str, Any] = {}
        for keys in sorted(kinds, key=len):
            node = tree
            for depth, key in enumerate(keys[:-1]):
                node = node.setdefault(key, {})
                if not isinstance(node, dict):
                    owner = next(c for c, p in paths.items() if p == keys)
                    raise ConfigError(
                        f"{mapping.origins.get(owner, owner)}: {mapping.fields[owner]!r} runs through "
                        f"{'.'.join(keys[: depth + 1])!r}, which another field maps as a value",
                        hint="map each field to a leaf value of the records",
                    )
            values = [_at(record, keys) for record in sample]
            node[keys[-1]] = _leaf_type(kinds[keys], values, mapping.timestamp_unit)
        return cls(pa.schema(_fields(tree)), paths)

    def project(self, table: pa.Table) -> pa.Table:
        """Canonical-named columns of a table parsed with ``schema``."""
        out: dict[str, pa.Array] = {}
        for canonical, keys in self.paths.items():
            arr: pa.Array = table.column(keys[0]).combine_chunks()
            for key in keys[1:]:
                arr = pc.struct_field(arr, key)
            out[canonical] = arr
        return _table(out, table.num_rows)


def _fields(tree: Mapping[str, Any]) -> list[pa.Field]:
    return [pa.field(k, pa.struct(_fields(v)) if isinstance(v, dict) else v) for k, v in tree.items()]


def _at(record: Any, keys: Sequence[str]) -> Any:
    for key in keys:
        record = record.get(key) if isinstance(record, dict) else None
    return record


def _leaf_type(kinds: set[FieldKind], values: Sequence[Any], unit: str) -> pa.DataType:
    """Arrow type of one mapped leaf: numbers as float64; text as the sample shows it."""
    if "number" in kinds:
        return NUM
    seen = {_json_kind(v) for v in values if v is not None}
    kind = next(iter(seen)) if len(seen) == 1 else ("text" if seen else None)
    if "tags" in kinds:  # a list also reads comma strings (the fallback wraps them, _tags splits)
        return STR if seen == {"text"} else pa.list_(STR)
    if kind == "messages" and "prompt" in kinds:
        return MESSAGES
    if kind == "list" and "prompt" in kinds:
        return pa.list_(STR)
    if kind == "number" or (kind is None and "timestamp" in kinds and unit != "auto"):
        return NUM
    if kind == "bool":
        return pa.bool_()
    return STR


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number" if abs(value) < _EXACT_FLOAT else "text"  # big ids stay exact as text
    if isinstance(value, list):
        return "messages" if value and all(isinstance(v, dict) for v in value) else "list"
    return "text"


def _read_jsonl(mapping: ColumnMapping, stream: BinaryIO, chunk_bytes: int, source: str) -> Iterator[ParsedChunk]:
    """The standard chunked JSON Lines path, with a schema typed from the first records."""
    sample, chunks = sampled_chunks(stream, chunk_bytes, SAMPLE_RECORDS, _SAMPLE_BYTES)
    if sample:
        keys = list(dict.fromkeys(k for record in sample for k in record))
        mapping = mapping.complete(keys, source, "record keys")
        _check_sampled(mapping, sample, source)
    plan = JsonPlan.build(mapping, sample)

    def parse(chunk: Chunk) -> ParsedChunk:
        parsed = parse_chunk(chunk, plan.schema)
        parsed.table = plan.project(parsed.table)
        return parsed

    # Parsed ahead on a thread pool, like the standard JSON Lines path.
    yield from ordered_map(parse, chunks)


def _check_sampled(mapping: ColumnMapping, sample: Sequence[Mapping[str, Any]], source: str) -> None:
    """A mapped model or usage path that no sampled record has is almost surely misspelt."""
    needed = [[f] for f in ("model",) if f in mapping.fields and f not in mapping.defaults]
    needed.append([f for f in ("input_tokens", "output_tokens", "prompt_text") if f in mapping.fields])
    for group in needed:
        if group and all(_at(r, split_path(mapping.fields[f])) is None for f in group for r in sample):
            where = "; ".join(f"{mapping.origins.get(f, f)}: {mapping.fields[f]!r}" for f in group)
            keys = ", ".join(list(dict.fromkeys(k for r in sample[:3] for k in r))[:20])
            raise ConfigError(
                f"{where}: not found in the first {len(sample)} records of {source} (their keys: {keys})",
                hint="write nested fields as dotted paths (usage.prompt_tokens); "
                "a literal dot in a key is written '\\.'",
            )


# --- reading by content -----------------------------------------------------------


def read_tables(mapping: ColumnMapping, stream: BinaryIO, chunk_bytes: int) -> Iterator[ParsedChunk]:
    """Parquet (magic bytes), JSON Lines or CSV (first non-blank byte); tables come out canonical-named."""
    source = str(getattr(stream, "name", None) or "<input>")
    head, joined = peek(stream, chunk_bytes)
    table_bytes = min(chunk_bytes, TABLE_CHUNK_BYTES)  # CSV and Parquet hold far more rows per byte
    if is_parquet(head):
        # The mapping resolves against the Parquet column names as it does against a CSV header.
        yield from read_parquet(getattr(stream, "path", None), source, table_bytes, CsvReader(mapping, source))
        return
    is_json = head.lstrip()[:1] in (b"{", b"[")
    if mapping.format == "csv" and is_json:
        raise ConfigError(
            f"{mapping.mapping_file}: says 'format: csv', but {source} holds JSON Lines",
            hint="set 'format: jsonl' (or 'auto') in the mapping",
        )
    if is_json or not head.strip():
        yield from _read_jsonl(mapping, joined, chunk_bytes, source)
    else:
        yield from CsvReader(mapping, source).read(joined, table_bytes)


def configure(settings: Mapping[str, Any]) -> LogFormat:
    """The format bound to a mapping (``settings``: ``mapping`` path and/or ``fields`` flags,
    and the score settings)."""
    mapping = load_mapping(settings)
    scores = _scores.ScoreSettings.of(settings)
    if mapping.format == "jsonl":
        plan = JsonPlan.build(mapping)
        return LogFormat(
            name=NAME, title=TITLE, schema=plan.schema, sniff=_never,
            convert=lambda table, request: to_converted(plan.project(table), mapping, scores),
        )  # fmt: skip
    return LogFormat(
        name=NAME, title=TITLE, schema=pa.schema([]), sniff=_never,
        convert=lambda table, request: to_converted(table, mapping, scores),
        read_tables=functools.partial(read_tables, mapping),
    )  # fmt: skip


# --- conversion -------------------------------------------------------------------


def _table(columns: Mapping[str, pa.Array], n: int) -> pa.Table:
    if columns:
        return pa.table(dict(columns))
    return pa.table({"_": pa.nulls(n)}).drop_columns(["_"])


def _text(arr: pa.Array, default: str | None = None) -> pa.Array:
    """Text (numbers rendered without a trailing .0), blanks filled with ``default``."""
    text = col.strings(arr)
    if default is None:
        return text
    return pc.if_else(pa.array(col.non_empty(text)), text, pa.scalar(default, pa.string()))


def _timestamps(arr: pa.Array, unit: str) -> pd.DatetimeIndex:
    """UTC times from ISO text, or epoch numbers in ``unit`` (``auto``: by magnitude)."""
    stamps = col.timestamps(arr)
    if unit == "auto" or pa.types.is_timestamp(arr.type) or pa.types.is_null(arr.type):
        return stamps
    values = col.floats(arr)
    numeric = ~np.isnan(values)
    if not numeric.any():
        return stamps
    factor = _UNIT_NANOS[unit]
    ok = numeric & (np.abs(np.nan_to_num(values)) < 9.2e18 / factor)  # divide: inf * factor would warn
    whole = ok & (values == np.round(values)) & (np.abs(np.nan_to_num(values)) < _EXACT_FLOAT)
    nanos = np.zeros(len(values), dtype=np.int64)
    nanos[whole] = values[whole].astype(np.int64) * factor  # integer math keeps ms exact
    nanos[ok & ~whole] = np.round(values[ok & ~whole] * factor).astype(np.int64)
    # Beyond the nanosecond range: clamped, so finalize skips it as implausible (not undated).
    nanos[numeric & ~ok] = np.where(values[numeric & ~ok] > 0, np.iinfo(np.int64).max, -np.iinfo(np.int64).max)
    exact = nanos.astype("datetime64[ns]")
    exact[~numeric] = np.datetime64("NaT")
    return stamps.where(~numeric, pd.DatetimeIndex(exact).tz_localize("UTC"))


def _tags(arr: pa.Array, default: str | None) -> pa.Array:
    """Tags from a list or a comma string; list items holding commas are split too."""
    if pa.types.is_list(arr.type):
        split = pc.split_pattern(col.strings(arr.values), ",")
        offsets = np.asarray(split.offsets)[np.asarray(arr.offsets)]
        arr = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), split.values, mask=arr.is_null())
    tags = col.tags(arr)
    if default is None:
        return tags
    return col.coalesce(tags, col.tags(pa.repeat(pa.scalar(default), len(arr))))


def _prompt(arr: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Text and turn count of a prompt given as text, a list of strings, or role/content messages."""
    if pa.types.is_list(arr.type) and pa.types.is_struct(arr.type.value_type):
        return col.join_messages(arr)
    if pa.types.is_list(arr.type):
        text = pc.binary_join(arr, "\n")
        return text, np.asarray(pc.fill_null(pc.list_value_length(arr), 0), dtype=np.int64)
    text = col.strings(arr)
    return text, col.non_empty(text).astype(np.int64)


def _status(status: pa.Array, error_type: pa.Array) -> tuple[pa.Array, pa.Array]:
    """ok/error from an HTTP code (>= 400 fails) or a word, and the error kind of failures.

    Without a status, a non-empty error type marks the request as failed.
    """
    words = pc.utf8_lower(pc.utf8_trim_whitespace(col.strings(status)))
    if pa.types.is_string(status.type):  # codes as text: digits only, cast by Arrow (fast)
        digits = pc.fill_null(pc.utf8_is_decimal(words), False)
        codes = col.floats(pc.cast(pc.if_else(digits, words, pa.scalar(None, pa.string())), pa.float64()))
    else:
        codes = col.floats(status)
    http_failed = np.nan_to_num(codes, nan=0) >= 400
    word_failed = np.asarray(pc.fill_null(pc.is_in(words, pa.array(_ERROR_WORDS)), False))
    errors = col.strings(error_type)
    has_error = col.non_empty(errors)
    failed = http_failed | word_failed | (~col.non_empty(words) & has_error)
    code_text = col.strings(pa.array(np.nan_to_num(codes, nan=0)).cast(pa.int64(), safe=False))
    http_text = pc.binary_join_element_wise(pa.scalar("http_"), code_text, "")
    kind = col.coalesce(
        pc.if_else(pa.array(has_error), errors, pa.scalar(None, pa.string())),
        pc.if_else(pa.array(http_failed), http_text, pa.scalar(None, pa.string())),
        pc.if_else(pa.array(word_failed), words, pa.scalar(None, pa.string())),
    )
    kind = pc.if_else(pa.array(failed | has_error), kind, pa.scalar(None, pa.string()))
    return pc.if_else(pa.array(failed), pa.scalar("error"), pa.scalar("ok")), kind


def to_converted(table: pa.Table, mapping: ColumnMapping, scores: _scores.ScoreSettings = _scores.DEFAULT) -> Converted:
    """Canonical columns (inclusive counts) from a table whose columns are named by canonical field."""
    n = table.num_rows
    present = set(table.column_names)
    defaults = mapping.defaults

    def get(name: str) -> pa.Array:
        return table.column(name).combine_chunks() if name in present else pa.nulls(n)

    conv = Converted(n)
    c = conv.columns
    tokens = {name: col.floats(get(name)) for name in TOKEN_COLUMNS}
    conv.has_usage = ~np.isnan(tokens["input_tokens"]) | ~np.isnan(tokens["output_tokens"])
    if "cache_write_tokens" not in present:
        tokens["cache_write_tokens"] = tokens["cache_write_1h_tokens"].copy()  # all writes were 1-hour
    if not mapping.input_includes_cache:
        cached = np.nan_to_num(tokens["cache_read_tokens"]) + np.nan_to_num(tokens["cache_write_tokens"])
        tokens["input_tokens"] = tokens["input_tokens"] + cached  # NaN (no usage) stays NaN
    if not mapping.output_includes_reasoning:
        tokens["output_tokens"] = tokens["output_tokens"] + np.nan_to_num(tokens["reasoning_tokens"])
    c.update(tokens)

    for name in ("request_id", "error_type", "finish_reason"):
        c[name] = _text(get(name))
    for name in ("model", "provider", "user", "session", "feature"):
        c[name] = _text(get(name), defaults.get(name))
    mode = pc.utf8_lower(pc.utf8_trim_whitespace(_text(get("pricing_mode"), defaults.get("pricing_mode"))))
    c["pricing_mode"] = pc.if_else(pc.fill_null(pc.is_in(mode, pa.array(_MODES)), False), mode, pa.scalar("standard"))
    c["status"], c["error_type"] = _status(get("status"), get("error_type"))
    c["timestamp"] = _timestamps(get("timestamp"), mapping.timestamp_unit)
    c["tags"] = _tags(get("tags"), defaults.get("tags"))
    for name in ("latency_ms", "ttft_ms", "source_cost_usd"):
        c[name] = col.floats(get(name))
    if "prompt_text" in present:
        c["prompt_text"], c["turns"] = _prompt(get("prompt_text"))
    if "completion_text" in present:
        conv.completion_text = _prompt(get("completion_text"))[0]
    if "score" in present:  # named after its source column (a dotted path: its last part)
        score = col.floats(get("score"))
        given = np.flatnonzero(~np.isnan(score))
        name = mapping.fields.get("score", "score").rsplit(".", 1)[-1]
        _scores.assign(conv, given, np.full(len(given), name, dtype=object), score[given], scores)
    return conv


FORMAT = register(
    LogFormat(
        name=NAME,
        title=TITLE,
        schema=pa.schema([]),
        sniff=_never,
        convert=lambda table, request: to_converted(table, ColumnMapping()),
        aliases=("csv", "jsonl"),
        configure=configure,
        sniff_bytes=sniff_bytes,
        settings_flags="--mapping/--map",  # a column mapping describes every file
    )
)
