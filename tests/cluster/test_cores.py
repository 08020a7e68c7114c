"""A cluster task uses its worker's threads, not every core of the host: two one-thread
workers on two cores each running a reader pool and pyarrow's pool of two oversubscribe the
cores (benchmarks/bench_cluster.py: 1.47x -> 1.37x of the single process at 1M records)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from llmaudit.cluster import tasks
from llmaudit.ingest import parallel


def _threads_after_share() -> tuple[int, int]:
    tasks._share_cores()
    return parallel.default_workers(), pa.cpu_count()


def test_a_task_on_a_one_thread_worker_uses_one_thread(client: Any) -> None:
    assert client.submit(_threads_after_share, pure=False).result() == (1, 1)


def test_off_a_worker_nothing_is_limited() -> None:
    before = (parallel.default_workers(), pa.cpu_count())
    assert _threads_after_share() == before
