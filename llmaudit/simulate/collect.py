"""All requests of the logs, priced, in one compact frame for the simulator.

Unlike ``analyze``, which aggregates chunk by chunk, a simulation needs every request at
once (response-cache hits look back in time; failure rates come from the whole log).
Each chunk keeps only the columns the simulator and ``check`` read (``KEPT``) once the
reader has accounted for it, and repeated strings become categoricals: the frame holds about
130 bytes a request (measured on the 1M benchmark's records; the request ids are the
largest column).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import pandas as pd
import pyarrow as pa

from llmaudit.ingest import RequestReader
from llmaudit.pricing import PriceTable, price_requests
from llmaudit.schema import TOKEN_COLUMNS, TOOL_CALL_COLUMNS

Tagger = Callable[[pd.DataFrame], pd.DataFrame]
# Repeated strings: kept as categoricals.
_CATEGORIES: Final = (
    "provider",
    "model",
    "priced_model",
    "priced_provider",
    "pricing_mode",
    "status",
    "user",
    "feature",
    "tags",
    "team",
    "project",
    "task_type",
    "score_name",
)
# What routing, billing, the per-request file and ``check`` read (a text column never is).
KEPT: Final = (
    "request_id",
    "timestamp",
    *TOKEN_COLUMNS,
    *TOOL_CALL_COLUMNS.values(),
    *_CATEGORIES,
    "prompt_hash",
    "tool_count",
    "complexity_tier",
    "tag_confidence",
    "difficulty",
    "cost_usd",
    "score",  # a score the logs carry (quality evidence for the logged model)
)


def collect(reader: RequestReader, table: PriceTable, tagger: Tagger | None = None) -> pd.DataFrame:
    """Read, tag (on the reader's worker threads) and price every request; drop the text."""

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        if tagger is not None:
            frame = tagger(frame)
        return price_requests(frame, table)

    reader.transform = prepare
    # The reader still needs every canonical column (line numbers of dropped duplicates).
    frames = [frame[[c for c in KEPT if c in frame.columns]] for frame in reader]
    frame = pd.concat(frames, ignore_index=True)
    del frames  # the chunks' Arrow buffers (text columns, tags) are free from here on...
    categories = {c: "category" for c in _CATEGORIES if c in frame.columns}
    frame = frame.astype(categories)
    # ...so hand them back to the system before the replays allocate their own arrays.
    pa.default_memory_pool().release_unused()
    return frame
