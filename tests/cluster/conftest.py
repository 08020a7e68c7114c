"""One local Dask cluster (2 worker processes, 1 thread each) for the whole test session:
starting one costs seconds, so every cluster test shares it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

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


@pytest.fixture
def gathered(client: Any) -> Iterator[list[Any]]:
    """Everything ``client.gather`` brings to the client during the test."""
    seen: list[Any] = []
    gather = client.gather

    def recording(futures: Any, *args: Any, **kwargs: Any) -> Any:
        out = gather(futures, *args, **kwargs)
        seen.extend(out if isinstance(out, list) else [out])
        return out

    client.gather = recording
    yield seen
    del client.gather
