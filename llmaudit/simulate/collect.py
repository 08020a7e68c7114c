"""All requests of the logs, priced, in one compact frame for the simulator.

Unlike ``analyze``, which aggregates chunk by chunk, a simulation needs every request at
once (response-cache hits look back in time; failure rates come from the whole log).
Each chunk keeps only the columns the simulator and ``check`` read (``schema.SIMULATE_KEPT``)
once the reader has accounted for it, and repeated strings become categoricals: the frame holds about
130 bytes a request (measured on the 1M benchmark's records; the request ids are the
largest column). The frame records its blocks (``blocks.py``: the runs of one file within
a chunk), the unit the report's sums are computed on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import pandas as pd
import pyarrow as pa

from llmaudit.ingest import RequestReader
from llmaudit.pricing import PriceTable, price_requests
from llmaudit.schema import INGESTED, PRICED, SIMULATE_CATEGORIES, SIMULATE_KEPT
from llmaudit.simulate.blocks import file_runs, with_blocks

Tagger = Callable[[pd.DataFrame], pd.DataFrame]
_KEPT: Final = list(SIMULATE_KEPT)
_CATEGORIES: Final = dict.fromkeys(SIMULATE_CATEGORIES, "category")


def collect(
    reader: RequestReader,
    table: PriceTable,
    tagger: Tagger,
    on_stage: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Read, tag (on the reader's worker threads) and price every request; drop the text.

    The frame holds the ``schema.COLLECTED`` columns; ``tagger`` is ``tag_requests`` with the
    user's rules (routing, billing and ``check`` read the tags). ``on_stage`` is told when
    reading is over and the chunks are put together.
    """
    return compact(collect_rows(reader, table, tagger, on_stage))


def collect_rows(
    reader: RequestReader,
    table: PriceTable,
    tagger: Tagger,
    on_stage: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """The kept columns of every request, in input order, before ``compact`` (a cluster run
    concatenates the parts' rows, then compacts them once)."""

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        return price_requests(tagger(INGESTED.require(frame, "simulate")), table)

    reader.transform = prepare
    # The reader still needs every canonical column (line numbers of dropped duplicates).
    frames, lengths = [], []
    for frame in reader:
        lengths += file_runs(frame)  # the report's blocks (``blocks.py``), before the file's name is dropped
        frames.append(PRICED.require(frame, "simulate collect")[_KEPT])
    if on_stage is not None:
        on_stage(f"collecting {sum(len(f) for f in frames):,} requests")
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_KEPT)
    return with_blocks(rows, lengths)


def compact(frame: pd.DataFrame) -> pd.DataFrame:
    """Repeated strings as categoricals, and the chunks' buffers handed back."""
    # The chunks' Arrow buffers (text columns, tags) are free from here on...
    frame = frame.astype({c: kind for c, kind in _CATEGORIES.items() if c in frame.columns})
    # ...so hand them back to the system before the replays allocate their own arrays.
    pa.default_memory_pool().release_unused()
    return frame
