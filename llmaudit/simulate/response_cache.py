"""Exact-match response cache hits, measured from the traffic's own repeats.

A request is a hit when the same prompt went to the same (routed) model earlier and
succeeded, at most ``ttl`` seconds before. Entries are taken to live ``ttl`` after their
latest use (as a cache that refreshes on every hit would behave), which decides each
hit from the previous identical request alone: one sort, no per-request loop.

Requests with different prompts never meet, so the log can be cut by prompt hash: each
block of rows ``split``s its candidates into hash partitions, each partition finds its
hits among the blocks' candidates in block order (``hits_by_block``), and the hits are
exactly those of one pass over the whole log (``tests/simulate/test_context.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd


class Candidates(NamedTuple):
    """A block's rows that may hit or be hit: prompt hash, routed model, seconds, row in the block."""

    prompt_hash: np.ndarray
    model: np.ndarray
    seconds: np.ndarray
    row: np.ndarray

    def take(self, sel: np.ndarray) -> Candidates:
        return Candidates(*(values[sel] for values in self))


def candidates(prompt_hash: np.ndarray, model: np.ndarray, timestamp: pd.Series, eligible: np.ndarray) -> Candidates:
    """``eligible`` rows (successful, with prompt text, of the cached task types) with a prompt
    hash and a timestamp: rows without a timestamp never hit."""
    seconds = timestamp.to_numpy(dtype="datetime64[ns]").astype("int64") / 1e9
    usable = eligible & (prompt_hash != 0) & timestamp.notna().to_numpy()
    rows = np.flatnonzero(usable)
    return Candidates(np.asarray(prompt_hash, dtype=np.uint64)[rows], np.asarray(model)[rows], seconds[rows], rows)


def _hits(found: Candidates, ttl_seconds: float) -> np.ndarray:
    """Boolean per candidate (in their order, which is the log's): served by the cache."""
    hits = np.zeros(len(found.row), dtype=bool)
    if len(hits) < 2:
        return hits
    model = pd.factorize(pd.Series(found.model))[0]
    order = np.lexsort((found.seconds, model, found.prompt_hash))  # stable: ties keep the log's order
    key, code, when = found.prompt_hash[order], model[order], found.seconds[order]
    same = (key[1:] == key[:-1]) & (code[1:] == code[:-1])
    close = (when[1:] - when[:-1]) <= ttl_seconds
    hits[order[1:][same & close]] = True
    return hits


def cache_hits(
    prompt_hash: np.ndarray, model: np.ndarray, timestamp: pd.Series, eligible: np.ndarray, ttl_seconds: float
) -> np.ndarray:
    """Boolean per row: served by the response cache (``model``: the routed model, names or codes)."""
    hits = np.zeros(len(prompt_hash), dtype=bool)
    found = candidates(prompt_hash, model, timestamp, eligible)
    hits[found.row[_hits(found, ttl_seconds)]] = True
    return hits


def split(found: Candidates, n: int) -> list[Candidates]:
    """A block's candidates by partition of their prompt hash (``model`` as names: codes are the block's own)."""
    slot = found.prompt_hash % np.uint64(n)
    return [found.take(slot == p) for p in range(n)]


def hits_by_block(blocks: list[Candidates], ttl_seconds: float) -> list[np.ndarray]:
    """For one partition, given each block's candidates in log order: each block's rows that are hits."""
    if not blocks:
        return []
    joined = Candidates(*(np.concatenate([getattr(b, f) for b in blocks]) for f in Candidates._fields))
    block = np.repeat(np.arange(len(blocks)), [len(b.row) for b in blocks])
    hit = _hits(joined, ttl_seconds)
    return [joined.row[hit & (block == i)] for i in range(len(blocks))]
