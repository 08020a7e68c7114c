"""Blocks of rows: the unit simulate's report sums are computed on (``partial.py``).

A block is the rows of one file within one reader chunk. A single process joins runs of
small JSON Lines files into one chunk, a cluster reads each file as a task, and a large
file's byte ranges end where a single-process chunk ends: cutting at both chunk and file
boundaries gives the same blocks either way, so the sums are the same to the bit.

``collect`` records a frame's block lengths in ``frame.attrs[BLOCKS]``; a frame without
them (built in a test, or filtered since) is one block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import numpy as np
import pandas as pd

from llmaudit.simulate.replay import Replayed

BLOCKS: Final = "llmaudit.blocks"


def file_runs(chunk: pd.DataFrame) -> list[int]:
    """Lengths of the runs of rows of one source file in a reader chunk."""
    if not len(chunk):
        return []
    if "source_file" not in chunk:
        return [len(chunk)]
    codes = pd.factorize(chunk["source_file"], use_na_sentinel=False)[0]
    cuts = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    return np.diff([0, *cuts.tolist(), len(chunk)]).tolist()


def with_blocks(frame: pd.DataFrame, lengths: Sequence[int]) -> pd.DataFrame:
    frame.attrs[BLOCKS] = [int(n) for n in lengths if n]
    return frame


def lengths_of(frame: pd.DataFrame) -> list[int]:
    """The frame's block lengths (one block when it has none that fit)."""
    lengths = frame.attrs.get(BLOCKS)
    if not isinstance(lengths, list) or sum(lengths) != len(frame):
        return [len(frame)] if len(frame) else []
    return lengths


def bounds(frame: pd.DataFrame) -> list[tuple[int, int]]:
    ends = np.cumsum(lengths_of(frame)).tolist()
    return list(zip([0, *ends[:-1]], ends, strict=True))


@dataclass(frozen=True)
class PolicyBlock:
    """A block's rows with its share of one policy's replay, and the cost of the same calls
    as each seller of the price tables sells them."""

    rows: pd.DataFrame
    replayed: Replayed
    sold: dict[str, np.ndarray]


def cut(r: Replayed, start: int, stop: int) -> Replayed:
    """Rows ``start:stop`` of a replay (its repricer, which holds every row, left out)."""
    arrays: dict[str, Any] = {
        name: None if (value := getattr(r, name)) is None else value[start:stop]
        for name in (
            "routed_model",
            "path",
            "reason",
            "cost_usd",
            "cache_hit",
            "context_failover",
            "rerouted",
            "then_model",
            "escalation",
            "routed_codes",
            "original_codes",
        )
    }
    return replace(r, reprice=None, **arrays)


def _without_attrs(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` (no copy of the data) without ``attrs``: pandas deep-copies a frame's attrs
    (the block lengths, a list as long as the blocks) into every slice and every column taken
    from it, and a block's sums take about twenty columns."""
    plain = rows.copy(deep=False)
    plain.attrs = {}
    return plain


def policy_blocks(rows: pd.DataFrame, r: Replayed, sold: dict[str, np.ndarray]) -> Iterator[PolicyBlock]:
    plain = _without_attrs(rows)
    for start, stop in bounds(rows):
        yield PolicyBlock(
            plain.iloc[start:stop], cut(r, start, stop), {name: cost[start:stop] for name, cost in sold.items()}
        )


def row_blocks(rows: pd.DataFrame) -> Iterator[pd.DataFrame]:
    plain = _without_attrs(rows)
    for start, stop in bounds(rows):
        yield plain.iloc[start:stop]


BlockMap = Callable[..., Iterator[Any]]
"""Runs ``fn(block, *args)`` on every block, wherever the blocks are; the results in input order."""


class Local:
    """Blocks held in this process."""

    def __init__(self, blocks: Sequence[Any]) -> None:
        self.blocks = blocks

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Iterator[Any]:
        return (fn(block, *args) for block in self.blocks)
