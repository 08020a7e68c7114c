"""``--per-request PATH``: the canonical table with each row's cost, streamed to disk.

The format follows the extension (``.csv``, ``.jsonl``, ``.parquet``). Rows are written
chunk by chunk as they are priced, to a temporary file renamed into place on success,
so a failed run never leaves a half-written file (``llmaudit.report.atomic``). Prompt
text is left out unless the caller asks for it; a file holding it is created 0600.
``--per-request -`` streams JSON Lines to a text stream (stdout) instead, chunk by chunk.
"""

from __future__ import annotations

import contextlib
import gzip
import re
from pathlib import Path
from typing import Final, TextIO

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from llmaudit.errors import UsageError
from llmaudit.report import atomic
from llmaudit.report.safety import csv_column
from llmaudit.schema import CANONICAL_DTYPES, PRICED_DTYPES, PRIVATE_COLUMNS, TAG_DTYPES

FORMATS: Final = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}

# Identity and money first, then the rest of the canonical table.
_LEAD: Final = ("request_id", "timestamp", "model", "priced_model", "pricing_mode")
COLUMNS: Final = tuple(dict.fromkeys([*_LEAD, *CANONICAL_DTYPES, *PRICED_DTYPES]))
TAG_COLUMNS: Final = tuple(TAG_DTYPES)

# How llmaudit knows its own outputs when they land among logs: Parquet files carry this
# metadata key; CSV and JSON Lines files lead with these columns, in this order (no log
# format does: ``priced_model`` and ``pricing_mode`` are llmaudit's own).
OUTPUT_METADATA_KEY: Final = b"llmaudit.output"
_SIMULATE_LEAD: Final = ("policy", "request_id", "timestamp", "original_model", "routed_model")
_SIGNATURES: Final = (_LEAD, _SIMULATE_LEAD)
_JSON_KEY: Final = re.compile(r'[{,]"([a-z_]+)":')


def is_llmaudit_output(path: Path) -> bool:
    """Whether ``path`` is a --per-request file llmaudit wrote (plain or .gz); never raises."""
    name = path.name.lower().removesuffix(".gz")
    try:
        if name.endswith(".parquet"):
            metadata = pq.read_schema(path).metadata or {}
            return OUTPUT_METADATA_KEY in metadata
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", errors="replace", newline="") as handle:
            head = handle.readline(65536)
    except Exception:  # unreadable here is the reader's business: it reports it properly
        return False
    keys = _JSON_KEY.findall(head)[:5] if head.startswith("{") else head.split(",", 5)[:5]
    return tuple(keys) in _SIGNATURES


def _arrow_type(dtype: object) -> pa.DataType:
    if dtype == "str":
        return pa.string()
    if dtype == "datetime64[ns, UTC]":
        return pa.timestamp("ns", tz="UTC")
    return pa.from_numpy_dtype(dtype)  # type: ignore[arg-type]


def _csv_safe(frame: pd.DataFrame, text_columns: list[str]) -> pd.DataFrame:
    """``frame`` with its text cells escaped against spreadsheet formulas (values from logs)."""
    escaped = {c: csv_column(frame[c]) for c in text_columns if c in frame.columns}
    changed = {c: v for c, v in escaped.items() if v is not frame[c]}
    return frame.assign(**changed) if changed else frame


class PerRequestWriter:
    """Append priced chunks to ``path``; call ``close()`` on success, ``abort()`` on failure."""

    def __init__(
        self, path: str | Path, *, include_prompts: bool = False, tagged: bool = True, stream: TextIO | None = None
    ) -> None:
        """``stream``: write JSON Lines there as rows come (``path`` then only names it in errors)."""
        self.path = Path(path)
        self.stream = stream
        suffix = self.path.suffix.lower()
        if stream is None and suffix not in FORMATS:
            raise UsageError(
                f"--per-request {path}: unknown file type {suffix or '(none)'}",
                hint="end the name with .csv, .jsonl or .parquet, or give - for JSON Lines on stdout",
            )
        self.kind = "jsonl" if stream is not None else FORMATS[suffix]
        self.columns = [c for c in COLUMNS if include_prompts or c not in PRIVATE_COLUMNS]
        if tagged:
            self.columns += TAG_COLUMNS
        dtypes = {**CANONICAL_DTYPES, **PRICED_DTYPES, **TAG_DTYPES}
        self.schema = pa.schema([(c, _arrow_type(dtypes[c])) for c in self.columns]).with_metadata(
            {OUTPUT_METADATA_KEY: b"per-request"}
        )
        self._text_columns = [c for c in self.columns if dtypes[c] == "str"]
        self._parquet: pq.ParquetWriter | None = None
        self._first = True
        self.rows = 0
        if stream is not None:
            self.tmp: Path | None = None
            self._handle: TextIO | None = stream
            return
        self.tmp = atomic.create_temp(self.path, private=include_prompts, option="--per-request")
        try:
            # Kept open across write() calls and closed by close()/abort(): no context manager.
            self._handle = (
                None if self.kind == "parquet" else open(self.tmp, "w", encoding="utf-8", newline="")  # noqa: SIM115
            )
        except OSError as exc:
            atomic.discard(self.tmp)
            raise atomic.write_error("--per-request", self.path, exc) from None

    def write(self, priced: pd.DataFrame) -> None:
        try:
            self._write(priced.loc[:, self.columns])
        except BrokenPipeError:
            raise  # stdout's reader went away (`--per-request - | head`): the CLI ends quietly
        except OSError as exc:
            self.abort()
            raise atomic.write_error("--per-request", self.path, exc) from None

    def _write(self, frame: pd.DataFrame) -> None:
        if self.kind == "parquet":
            table = pa.Table.from_pandas(frame, schema=self.schema, preserve_index=False)
            if self._parquet is None:
                self._parquet = pq.ParquetWriter(self.tmp, self.schema)
            self._parquet.write_table(table)
        elif self.kind == "csv":
            frame = _csv_safe(frame, self._text_columns)
            frame.to_csv(self._handle, header=self._first, index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
        else:
            text = frame.to_json(orient="records", lines=True, date_format="iso", date_unit="ms")
            assert self._handle is not None
            self._handle.write(text if text.endswith("\n") or not text else text + "\n")
            if self.stream is not None:
                self._handle.flush()  # a reader downstream gets each chunk as it is priced
        self._first = False
        self.rows += len(frame)

    def close(self) -> None:
        if self.stream is not None:
            self.stream.flush()
            return
        try:
            if self._parquet is not None:
                self._parquet.close()
            elif self.kind == "parquet":
                pq.write_table(self.schema.empty_table(), self.tmp)
            if self._handle is not None:
                if self._first and self.kind == "csv":
                    self._handle.write(",".join(self.columns) + "\n")
                self._handle.close()
        except OSError as exc:
            self.abort()
            raise atomic.write_error("--per-request", self.path, exc) from None
        assert self.tmp is not None
        atomic.finish(self.tmp, self.path, "--per-request")

    def abort(self) -> None:
        """Drop the partial file. Never raises: closing a writer on a full disk flushes and fails,
        and the temporary file must go all the same. A stream is left open: rows sent are sent."""
        if self.stream is not None:
            self._handle = None
            return
        parquet, handle, self._parquet, self._handle = self._parquet, self._handle, None, None
        for closer in (parquet, handle):
            if closer is not None:
                with contextlib.suppress(Exception):
                    closer.close()
        if self.tmp is not None:
            atomic.discard(self.tmp)


def stream_jsonl(frame: pd.DataFrame, stream: TextIO, chunk_rows: int = 50_000) -> None:
    """``frame`` as JSON Lines on ``stream``, ``chunk_rows`` rows at a time (the text of one
    chunk in memory, never the whole table's)."""
    for start in range(0, len(frame), chunk_rows):
        text = frame.iloc[start : start + chunk_rows].to_json(orient="records", lines=True, date_format="iso")
        stream.write(text if text.endswith("\n") or not text else text + "\n")
        stream.flush()


def write_table(path: str | Path, frame: pd.DataFrame) -> None:
    """Write a whole frame to ``path`` (.csv, .jsonl or .parquet), atomically."""
    target = Path(path)
    kind = FORMATS.get(target.suffix.lower())
    if kind is None:
        raise UsageError(f"--per-request {path}: unknown file type", hint="end the name with .csv, .jsonl or .parquet")
    tmp = atomic.create_temp(target, private=False, option="--per-request")
    try:
        if kind == "parquet":
            table = pa.Table.from_pandas(frame, preserve_index=False)
            metadata = {**(table.schema.metadata or {}), OUTPUT_METADATA_KEY: b"per-request"}
            pq.write_table(table.replace_schema_metadata(metadata), tmp)
        elif kind == "csv":
            text = [c for c in frame.columns if frame[c].dtype == object or isinstance(frame[c].dtype, pd.StringDtype)]
            _csv_safe(frame, text).to_csv(tmp, index=False)
        else:
            frame.to_json(tmp, orient="records", lines=True, date_format="iso")
    except OSError as exc:
        atomic.discard(tmp)
        raise atomic.write_error("--per-request", target, exc) from None
    except BaseException:
        atomic.discard(tmp)
        raise
    atomic.finish(tmp, target, "--per-request")
