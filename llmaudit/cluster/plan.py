"""Inputs as tasks: whole files, and large uncompressed JSON Lines files as byte ranges.

A range starts and ends on the chunk boundaries a single-process read of the file would
use (``llmaudit.ingest.ranges``), so every chunk is the same; each range task still reads
the first MB of its file to detect the format from the same sample. A range's lines are
numbered from 1 at its start: nothing counts the newlines before it ahead of the reading
(a full extra pass over the bytes); the merge moves each range's line numbers past the
lines of the ranges before it (``cluster.lines``). Compressed files, JSON documents, CSV,
Parquet and the formats that read whole exports are one task each.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import replace
from typing import Final

from llmaudit.errors import InputError
from llmaudit.ingest.documents import is_document
from llmaudit.ingest.jsonl import sample_records
from llmaudit.ingest.parquet import is_parquet
from llmaudit.ingest.ranges import ByteRange, chunk_end_before
from llmaudit.ingest.reader import SAMPLE_BYTES, SNIFF_RECORDS, IngestOptions
from llmaudit.ingest.registry import detect, get_format
from llmaudit.ingest.sources import InputSource

# Chunks per range task: 4 x 16 MiB, enough work per task to hide the scheduling cost.
RANGE_CHUNKS: Final = 4


def splittable(source: InputSource, options: IngestOptions, range_bytes: int) -> bool:
    """Whether ``source`` can be read as byte ranges with the same result."""
    if source.path is None or source.byte_range is not None:
        return False
    try:
        if source.path.stat().st_size <= range_bytes:
            return False
        with open(source.path, "rb") as stream:
            head = stream.read(SAMPLE_BYTES + (1 << 16))
    except OSError:
        return False  # the task reports it
    if head[:2] == b"\x1f\x8b" or is_parquet(head) or is_document(head, more=True):
        return False
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        return False  # CSV (its header line), blank first chunk, or not a log
    if options.format_options.get("generic"):
        return False
    try:
        if options.input_format != "auto":
            fmt = get_format(options.input_format)
        else:
            end = head.find(b"\n", SAMPLE_BYTES)
            fmt = detect(sample_records(head[: end if end >= 0 else len(head)], SNIFF_RECORDS), source.display).format
    except InputError:
        return False
    return fmt.read_tables is None and fmt.companion_of is None


def boundaries(source: InputSource, offsets: Sequence[int]) -> list[int]:
    """Start offsets of the ranges after the first: the chunk boundary for each of ``offsets``
    (multiples of the chunk size, increasing)."""
    assert source.path is not None
    size = source.path.stat().st_size
    found: list[int] = []
    with open(source.path, "rb") as stream:
        for offset in offsets:
            cut = chunk_end_before(stream, offset)
            if cut is not None and (not found or cut > found[-1]) and 0 < cut < size:
                found.append(cut)
    return found


def offsets(size: int, range_bytes: int, chunk_bytes: int, tail_bytes: int = 0) -> list[int]:
    """Where ranges of a ``size``-byte file end: every ``range_bytes``, and in the last
    ``tail_bytes`` every ``chunk_bytes`` (one-chunk tasks to even out the workers' ends)."""
    tail = max(0, size - tail_bytes)
    fine = max(chunk_bytes, -(-tail // chunk_bytes) * chunk_bytes)
    return [*range(range_bytes, tail, range_bytes), *range(fine, size, chunk_bytes)]


def plan(
    sources: Sequence[InputSource], options: IngestOptions, range_chunks: int = RANGE_CHUNKS, workers: int = 1
) -> list[InputSource]:
    """One task per input, or per range of a large JSON Lines file, in input order. Every
    range's lines are numbered from 1 (the merge makes them the file's).

    The last such file ends in ``2 * workers`` one-chunk ranges: the run ends when the last
    task does, and small last tasks leave no worker idle long while another finishes.
    """
    chunk = options.chunk_bytes
    range_bytes = range_chunks * chunk
    split = [splittable(s, options, range_bytes) for s in sources]
    last = max((i for i, yes in enumerate(split) if yes), default=-1)
    tasks: list[InputSource] = []
    for i, source in enumerate(sources):
        if not split[i]:
            tasks.append(source)
            continue
        assert source.path is not None
        size = source.path.stat().st_size
        ends = offsets(size, range_bytes, chunk, 2 * workers * chunk if i == last else 0)
        edges = [0, *boundaries(source, ends), size]
        tasks += [replace(source, byte_range=ByteRange(a, b, 1)) for a, b in itertools.pairwise(edges)]
    return tasks
