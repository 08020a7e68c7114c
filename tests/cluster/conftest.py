"""One local Dask cluster (2 worker processes, 1 thread each) for the whole test session:
starting one costs seconds, so every cluster test shares it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.ERROR
    ) as local:
        yield local


@pytest.fixture
def client(cluster: Any) -> Iterator[Any]:
    from distributed import Client

    with Client(cluster) as c:
        yield c


class Gathered(list[Any]):
    """Every value ``client.gather`` brought to the client, looked into: the items of lists,
    tuples and dicts, and each dataclass (a task's part, a block's sums) with its fields.
    ``calls`` keeps them per call of ``gather``: what the client received at once."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[Any]] = []

    def record(self, out: Any) -> None:
        values: list[Any] = []
        _received(out, values, set())
        self.calls.append(values)
        self.extend(values)

    def most_at_once(self) -> int:
        """The most array elements one call of ``gather`` brought (every array it returned, summed)."""
        return max((sum(v.size for v in call if isinstance(v, np.ndarray)) for call in self.calls), default=0)


def _received(value: Any, out: list[Any], seen: set[int]) -> None:
    if isinstance(value, (list, tuple)):
        for item in value:
            _received(item, out, seen)
    elif isinstance(value, dict):
        for item in value.values():
            _received(item, out, seen)
    else:
        out.append(value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type) and id(value) not in seen:
            seen.add(id(value))
            for f in dataclasses.fields(value):
                _received(getattr(value, f.name), out, seen)


@pytest.fixture
def gathered(client: Any) -> Iterator[Gathered]:
    """Everything ``client.gather`` brings to the client during the test (``Gathered``)."""
    seen = Gathered()
    gather = client.gather

    def recording(futures: Any, *args: Any, **kwargs: Any) -> Any:
        out = gather(futures, *args, **kwargs)
        seen.record(out)
        return out

    client.gather = recording
    yield seen
    del client.gather
