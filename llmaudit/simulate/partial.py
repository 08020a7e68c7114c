"""Mergeable partial results: what simulate's report needs from one block of rows.

A block is the rows of one file within one reader chunk (``blocks.py``): the same blocks
whether one process reads the logs or a cluster's tasks do. Each block's contribution is
a ``BlockPart``: named ``Keyed`` sums (per tier, task type, route, day, seller...) with
the block's first row of each key, and extremes (first and last timestamp, largest cost).

Floats added in another order differ in the last bit, so parts are never added pairwise
in a tree: a ``Partial`` is the blocks' parts in input order (``merge`` appends the later
one), and ``Folder`` adds them up block after block, in input order, exactly as one
process does. The client of a cluster folds the parts as they arrive (in order), holding
the running sums, never the rows.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np

NO_ROW: Final = np.iinfo(np.int64).max
"""First row of a key that does not order (an untagged task type: listed last)."""


@dataclass(frozen=True)
class Keyed:
    """Sums per key in one block: ``values[i]`` are key ``keys[i]``'s columns; ``first[i]``
    the block's first row of that key (``NO_ROW``: none that orders it)."""

    keys: tuple[Any, ...]
    values: np.ndarray
    first: np.ndarray


def keyed(
    codes: np.ndarray,
    labels: Sequence[Hashable],
    columns: Sequence[np.ndarray | None] = (None,),
    ordered: np.ndarray | None = None,
    *,
    firsts: bool = True,
) -> Keyed:
    """Rows grouped by ``codes`` (indexes into ``labels``; -1: left out): per key each of
    ``columns`` summed in row order (``None``: the count of rows). ``ordered``: the rows
    whose position counts for the key's first row (default all); ``firsts=False``: keys
    whose order nothing reads (their first rows are left at 0)."""
    size = len(labels)
    valid = codes >= 0
    every = bool(valid.all())  # most columns leave no row out: no gathered copies then
    rows = np.arange(len(codes)) if every else np.flatnonzero(valid)
    kept = codes if every else codes[rows]
    counts = np.bincount(kept, minlength=size)
    present = np.flatnonzero(counts)
    sums = [
        counts if c is None else np.bincount(kept, weights=c if every else c[rows], minlength=size) for c in columns
    ]
    values = np.column_stack(sums).astype(np.float64)[present] if sums else np.zeros((len(present), 0))
    if not firsts:
        return Keyed(tuple(labels[int(i)] for i in present), values, np.zeros(len(present), dtype=np.int64))
    first = np.full(size, NO_ROW, dtype=np.int64)
    if ordered is not None:
        rows, kept = rows[ordered[rows]], kept[ordered[rows]]
    first[kept[::-1]] = rows[::-1]  # the last write wins: each key's first row
    return Keyed(tuple(labels[int(i)] for i in present), values, first[present])


def scalars(**values: float) -> Keyed:
    """Named numbers of one block (one column)."""
    return Keyed(
        tuple(values), np.array(list(values.values()), dtype=np.float64).reshape(-1, 1), np.zeros(len(values), np.int64)
    )


@dataclass(frozen=True)
class BlockPart:
    """One block's sums by name, and extremes by name as (smallest, largest) or None."""

    sums: dict[str, Keyed]
    extremes: dict[str, tuple[Any, Any] | None] = field(default_factory=dict)


@dataclass(frozen=True)
class Partial:
    """Consecutive blocks' parts, in input order."""

    blocks: tuple[BlockPart, ...] = ()

    def fold(self) -> Folded:
        folder = Folder()
        for block in self.blocks:
            folder.add(block)
        return folder.result()


def merge(first: Partial, later: Partial) -> Partial:
    """``later`` (the blocks after ``first``'s) appended: associative, and the fold of the
    result adds every block in input order."""
    return Partial(first.blocks + later.blocks)


@dataclass(frozen=True)
class Summed:
    """One name's sums over every block: keys in order of first appearance (block, then row)."""

    keys: list[Any]
    values: np.ndarray
    first: list[tuple[int, int]]

    def get(self, key: Hashable, column: int = 0, default: float = 0.0) -> float:
        try:
            return float(self.values[self.keys.index(key), column])
        except ValueError:
            return default

    def column(self, column: int = 0) -> dict[Hashable, float]:
        return {k: float(v) for k, v in zip(self.keys, self.values[:, column], strict=True)}

    def by_first(self) -> list[int]:
        """Positions of the keys, ordered by their first row in input order."""
        return sorted(range(len(self.keys)), key=lambda i: self.first[i])


_EMPTY = Summed([], np.zeros((0, 1)), [])


@dataclass(frozen=True)
class Folded:
    sums: dict[str, Summed]
    extremes: dict[str, tuple[Any, Any] | None]

    def __getitem__(self, name: str) -> Summed:
        return self.sums.get(name, _EMPTY)

    def scalar(self, name: str, key: str) -> float:
        return self[name].get(key)


class _Sums:
    def __init__(self, width: int) -> None:
        self.index: dict[Hashable, int] = {}
        self.values = np.zeros((16, width))
        self.first: list[tuple[int, int]] = []

    def add(self, part: Keyed, block: int) -> None:
        where = np.empty(len(part.keys), dtype=np.intp)
        for i, key in enumerate(part.keys):  # the block's keys (a few), not its rows
            at = self.index.setdefault(key, len(self.index))
            if at == len(self.first):
                self.first.append((block, int(part.first[i])) if part.first[i] != NO_ROW else (NO_ROW, 0))
            elif self.first[at][0] == NO_ROW and part.first[i] != NO_ROW:
                self.first[at] = (block, int(part.first[i]))
            where[i] = at
        if len(self.index) > len(self.values):
            grown = np.zeros((2 * len(self.index), self.values.shape[1]))
            grown[: len(self.values)] = self.values
            self.values = grown
        self.values[where] += part.values  # distinct keys: each sum adds this block's value once

    def result(self) -> Summed:
        return Summed(list(self.index), self.values[: len(self.index)].copy(), list(self.first))


class Folder:
    """Adds blocks' parts one after the other, in input order."""

    def __init__(self) -> None:
        self.blocks = 0
        self.sums: dict[str, _Sums] = {}
        self.extremes: dict[str, tuple[Any, Any] | None] = {}

    def add(self, part: BlockPart) -> None:
        for name, sums in part.sums.items():
            if name not in self.sums:
                self.sums[name] = _Sums(sums.values.shape[1])
            self.sums[name].add(sums, self.blocks)
        for name, pair in part.extremes.items():
            known = self.extremes.get(name)
            if pair is None:
                self.extremes.setdefault(name, None)
            else:
                self.extremes[name] = pair if known is None else (min(known[0], pair[0]), max(known[1], pair[1]))
        self.blocks += 1

    def add_all(self, parts: Iterable[BlockPart]) -> Folder:
        for part in parts:
            self.add(part)
        return self

    def result(self) -> Folded:
        return Folded({name: s.result() for name, s in self.sums.items()}, dict(self.extremes))
