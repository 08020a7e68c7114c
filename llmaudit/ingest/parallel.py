"""Process chunks on a small thread pool, in order, with bounded memory.

pyarrow parses and computes without holding the GIL, so while the main thread prices and
aggregates one chunk, the next ones are parsed and converted on the other cores. Results
come back in input order; at most ``2 * workers`` chunks are in flight.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


# Set by a cluster task (llmaudit.cluster.tasks): a worker's share of its host's cores.
_limit: int | None = None


def limit_workers(n: int | None) -> None:
    """Use at most ``n`` threads per pool from now on in this process (None: as many as cores)."""
    global _limit
    _limit = n


def default_workers() -> int:
    if _limit is not None:
        return _limit
    return max(1, min(4, os.cpu_count() or 1))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int | None = None) -> Iterator[R]:
    """``map(fn, items)`` computed ahead on a thread pool; exceptions surface in order."""
    workers = workers or default_workers()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="llmaudit") as pool:
        pending: deque[Future[R]] = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
