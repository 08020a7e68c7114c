"""All requests of the logs, priced, in one compact frame for the simulator.

Unlike ``analyze``, which aggregates chunk by chunk, a simulation needs every request at
once (response-cache hits look back in time; failure rates come from the whole log).
Text columns are dropped as soon as a chunk is tagged, and repeated strings become
categoricals: the frame holds about 270 bytes a request (measured on the 1M benchmark's
records; the tag reasons and request ids are the largest columns).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from llmaudit.ingest import RequestReader
from llmaudit.pricing import PriceTable, price_requests
from llmaudit.schema import PRIVATE_COLUMNS

Tagger = Callable[[pd.DataFrame], pd.DataFrame]
_CATEGORIES = (
    "source_file",
    "provider",
    "model",
    "priced_model",
    "priced_provider",
    "pricing_mode",
    "status",
    "error_type",
    "finish_reason",
    "user",
    "session",
    "feature",
    "tags",
    "team",
    "project",
    "task_type",
)


def collect(reader: RequestReader, table: PriceTable, tagger: Tagger | None = None) -> pd.DataFrame:
    """Read, tag (on the reader's worker threads) and price every request; drop the text."""

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        if tagger is not None:
            frame = tagger(frame)
        priced = price_requests(frame, table)
        return priced.drop(columns=[c for c in PRIVATE_COLUMNS if c in priced.columns])

    reader.transform = prepare
    frames = list(reader)
    frame = pd.concat(frames, ignore_index=True)
    categories = {c: "category" for c in _CATEGORIES if c in frame.columns}
    return frame.astype(categories)
