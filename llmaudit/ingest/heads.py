"""What every byte range of a file shares, worked out once per process.

On a cluster (``--scheduler``) a large file is read as many byte-range tasks, and each
task's reader takes the format from the file's head as a single process does: the sample
of its first MB, the detected format and the verified shape of its records (``Mixture``).
Those are the same for every range of the file, and worked out again they cost a task
about 0.1 s (parsing a thousand sample records twice). A worker keeps them here, keyed by
the file's name, a digest of its head bytes and the reader's options: a file rewritten
between runs has another head and misses; a run never sees another run's results for a
different input. Only results that depend on nothing but the key are kept, and a
``Mixture`` is handed out as a fresh copy (it widens its shape as it reads).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, Final, TypeVar

T = TypeVar("T")

# Files a worker keeps the heads of (a few entries each): enough for the files a run
# interleaves, small enough to hold (a sample is a thousand records at most).
_LIMIT: Final = 64
_kept: OrderedDict[Hashable, Any] = OrderedDict()
_lock = threading.Lock()


def head_key(display: str, head: bytes | bytearray, sampled: int, options: object) -> tuple[str, str, str]:
    """The key of a file's head: its name, a digest of the head's lines that start in its
    first ``sampled`` bytes (all the sample and the verified shape read) and the reader's options."""
    end = head.find(b"\n", sampled)
    region = memoryview(head)[: end + 1 if end >= 0 else len(head)]
    return display, hashlib.blake2b(region, digest_size=16).hexdigest(), repr(options)


def kept(key: Hashable, make: Callable[[], T]) -> T:
    """``make()``'s result, computed once per ``key`` in this process (recent keys kept)."""
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]  # type: ignore[no-any-return]
    value = make()  # outside the lock: two threads may both make it, the same value
    with _lock:
        _kept[key] = value
        while len(_kept) > _LIMIT:
            _kept.popitem(last=False)
    return value


def forget() -> None:
    """Drop everything kept (tests)."""
    with _lock:
        _kept.clear()
