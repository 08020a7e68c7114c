"""Exact-match response cache hits, measured from the traffic's own repeats.

A request is a hit when the same prompt went to the same (routed) model earlier and
succeeded, at most ``ttl`` seconds before. Entries are taken to live ``ttl`` after their
latest use (as a cache that refreshes on every hit would behave), which decides each
hit from the previous identical request alone: one sort, no per-request loop.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cache_hits(
    prompt_hash: np.ndarray, model: np.ndarray, timestamp: pd.Series, eligible: np.ndarray, ttl_seconds: float
) -> np.ndarray:
    """Boolean per row: served by the response cache.

    ``eligible`` rows (successful, with prompt text, of the cached task types) take part;
    rows without a timestamp never hit.
    """
    n = len(prompt_hash)
    hits = np.zeros(n, dtype=bool)
    seconds = timestamp.to_numpy(dtype="datetime64[ns]").astype("int64") / 1e9
    usable = eligible & (prompt_hash != 0) & timestamp.notna().to_numpy()
    rows = np.flatnonzero(usable)
    if len(rows) < 2:
        return hits
    model_code = pd.factorize(pd.Series(model[rows]))[0].astype(np.uint64)
    key = np.asarray(prompt_hash, dtype=np.uint64)[rows] ^ (model_code * np.uint64(0x9E3779B97F4A7C15))
    order = np.lexsort((seconds[rows], key))
    key, when, rows = key[order], seconds[rows][order], rows[order]
    same = key[1:] == key[:-1]
    close = (when[1:] - when[:-1]) <= ttl_seconds
    hits[rows[1:][same & close]] = True
    return hits
