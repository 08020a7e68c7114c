"""Many small JSON Lines files read as one stream of chunks.

``~/.claude/projects`` holds one file per session, a few hundred lines (about 200 KB)
each; a logs folder often holds one small file per hour or per worker. Read one by one,
such files cost far more than their bytes: a detection sample, a thread pool, pyarrow's
shape inference and one analysis update per file. So consecutive small files of one
format are joined into a chunk (up to the reader's chunk size) and read as one: each
line gets a *virtual* line number in the joined chunk, and ``Batch`` maps it back to its
file and its own line, for the frame's ``source_file``/``source_line``, the fallback
request ids and each file's accounting (read = parsed + skipped per file still holds).

Only plain (not compressed), whole JSON Lines files no larger than ``SMALL_FILE_BYTES``
are joined; anything else (gzip, a JSON document, CSV or Parquet, a blank or binary
file) is read by the per-file path, which words its errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest.accounting import FileStats
from llmaudit.ingest.documents import is_document
from llmaudit.ingest.jsonl import Chunk, sample_records
from llmaudit.ingest.opening import START_BYTES, is_binary
from llmaudit.ingest.parquet import is_parquet
from llmaudit.ingest.registry import Detection
from llmaudit.ingest.sources import InputSource

# A file up to this size may be joined with its neighbours (larger ones amortize their own costs).
SMALL_FILE_BYTES: Final = 4 << 20
# Detection of a joined file looks at its first records only; an ambiguous sample (a record
# the chosen format does not claim) is detected again on the usual sample.
QUICK_SNIFF_RECORDS: Final = 8
QUICK_SNIFF_BYTES: Final = 1 << 16
_BOM: Final = b"\xef\xbb\xbf"
_GZIP: Final = b"\x1f\x8b"


@dataclass
class SmallFile:
    """The whole of one small JSON Lines file, newline-terminated, without a BOM."""

    source: InputSource
    data: bytes
    n_lines: int
    size: int  # bytes on disk, for progress

    def quick_sample(self) -> list[dict[str, Any]]:
        return sample_records(self.data[:QUICK_SNIFF_BYTES], QUICK_SNIFF_RECORDS)


def small_file(source: InputSource, chunk_bytes: int) -> SmallFile | None:
    """``source`` read whole when it is a small plain JSON Lines file with content, else None
    (the per-file path reads it, and says what is wrong with it)."""
    if source.path is None or source.byte_range is not None:
        return None  # a URL, stdin, or part of a large file (a cluster task)
    try:
        size = source.path.stat().st_size
        if size > min(SMALL_FILE_BYTES, chunk_bytes) or size == 0:
            return None
        data = source.path.read_bytes()
    except OSError:
        return None
    if len(data) != size or data.startswith(_GZIP):
        return None
    data = data.removeprefix(_BOM)
    head = data[:START_BYTES]
    if (
        data.isspace()
        or head.startswith((b"\xff\xfe", b"\xfe\xff"))
        or is_parquet(head)
        or (b"\x00" in head and is_binary(head[:4096]))
        or is_document(head, more=len(data) > len(head))
    ):
        return None
    if not data.endswith(b"\n"):
        data += b"\n"  # the line count is the same (an unterminated last line is a line)
    return SmallFile(source, data, data.count(b"\n"), size)


@dataclass
class Batch:
    """Consecutive small files of one format, joined: ``starts[k]`` is the virtual number of
    file k's first line. ``key`` tells which files may join (format, wrapped, wrapper
    schema); ``detection`` and ``sample`` are the first file's."""

    key: tuple[Any, ...]
    detection: Detection
    sample: list[dict[str, Any]]
    files: list[SmallFile] = field(default_factory=list)
    stats: list[FileStats] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    nbytes: int = 0

    def add(self, file: SmallFile, stats: FileStats) -> None:
        self.starts.append(1 + sum(f.n_lines for f in self.files))
        self.files.append(file)
        self.stats.append(stats)
        self.nbytes += len(file.data)

    def chunk(self) -> Chunk:
        data = b"".join(f.data for f in self.files)
        return Chunk(data, 1, sum(f.n_lines for f in self.files))

    def file_of(self, virtual: np.ndarray) -> np.ndarray:
        """The index of the file holding each virtual line."""
        return np.searchsorted(np.asarray(self.starts, dtype=np.int64), virtual, side="right") - 1

    def relocate(self, frame: pd.DataFrame, from_source: np.ndarray) -> np.ndarray:
        """Give ``frame``'s rows (numbered by virtual line) their own file and line, and fallback
        request ids (``file:line``) that name them; returns each row's file index."""
        virtual = frame["source_line"].to_numpy()
        index = self.file_of(virtual)
        names = np.array([f.source.display for f in self.files], dtype=object)
        local = virtual - np.asarray(self.starts, dtype=np.int64)[index] + 1
        frame["source_file"] = names[index]
        frame["source_line"] = local
        fallback = ~from_source
        if fallback.any():
            ids = pc.binary_join_element_wise(
                pa.array(names[index[fallback]], pa.string()), pa.array(local[fallback]).cast(pa.string()), ":"
            )
            column = frame["request_id"].to_numpy(dtype=object).copy()
            column[fallback] = np.asarray(ids.to_numpy(zero_copy_only=False), dtype=object)
            frame["request_id"] = column
        return index

    def split(self, virtual: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Virtual line numbers as (file index, its own line numbers), for files that have any."""
        if not len(virtual):
            return []
        index = self.file_of(virtual)
        local = virtual - np.asarray(self.starts, dtype=np.int64)[index] + 1
        return [(int(k), local[index == k]) for k in np.unique(index)]
