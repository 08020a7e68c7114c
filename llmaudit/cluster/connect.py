"""A Dask client for ``--scheduler``: ``local:N`` starts N worker processes here; an
address (``tcp://host:8786``) connects to a running scheduler, with a timeout.

The workers of a local cluster import llmaudit's task code when they start (Dask's
``preload``), not during the first task, and run without Dask's statistical profiler,
which samples the running task's stack 100 times a second for the dashboard (about 0.9
and 0.7 CPU-seconds a worker at 1M records: docs/scale.md). A long-running cluster gets
the same with ``dask worker --preload llmaudit.cluster.tasks`` and
``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Final

from llmaudit.errors import UsageError

if TYPE_CHECKING:
    from distributed import Client, LocalCluster

CONNECT_TIMEOUT_S: Final = 10.0
_LOCAL: Final = re.compile(r"local:(\d+)")
_INSTALL: Final = 'install it with: pip install "llm-cost-audit[dask]"'
# What a worker imports when it starts: everything a task runs.
WORKER_PRELOAD: Final = ("llmaudit.cluster.tasks",)
# Dask settings of a local cluster's workers (given to each worker process by its nanny).
WORKER_CONFIG: Final = {"distributed.worker.profile.enabled": False}


def check_address(address: str) -> str:
    """``address`` if it names a local cluster or a scheduler, else ``UsageError``."""
    local = _LOCAL.fullmatch(address)
    if local is not None:
        if not 1 <= int(local.group(1)) <= 512:
            raise UsageError(f"--scheduler {address}: the number of workers must be 1 to 512")
        return address
    if re.fullmatch(r"(tcp|tls|ucx|inproc)://[^\s/]+", address):
        return address
    raise UsageError(
        f"--scheduler {address!r}: not a scheduler address",
        hint="use local:N for N local worker processes, or the scheduler's address, e.g. tcp://10.0.0.5:8786",
    )


@contextmanager
def connect(address: str, timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Client]:
    """A client for ``address`` (closed, and a local cluster stopped, on exit).

    ``UsageError`` (exit 2) when Dask is not installed or the scheduler cannot be reached
    within ``timeout`` seconds: never a hang.
    """
    check_address(address)
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs Dask (distributed), which is not installed", hint=_INSTALL) from None
    local = _LOCAL.fullmatch(address)
    if local is not None:
        cluster = local_cluster(int(local.group(1)), dashboard_address=":0")  # any free port: no clash on 8787
        try:
            with Client(cluster) as client:
                yield client
        finally:
            cluster.close()
        return
    try:
        client = Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise UsageError(
            f"--scheduler {address}: no Dask scheduler answered within {timeout:g} s ({exc.__class__.__name__})",
            hint="check the address and port (the scheduler's default is 8786) and that the scheduler is running",
        ) from None
    with client:
        yield client


def local_cluster(workers: int, **options: Any) -> LocalCluster:
    """A cluster of ``workers`` one-thread worker processes on this machine, each with
    llmaudit's task code imported and Dask's profiler off (``options``: LocalCluster's)."""
    import dask
    from distributed import LocalCluster

    with dask.config.set(WORKER_CONFIG):
        return LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            preload=list(WORKER_PRELOAD),
            silence_logs=logging.ERROR,
            **options,
        )
