"""A Dask client for ``--scheduler``: ``local:N`` starts N worker processes here; an
address (``tcp://host:8786``) connects to a running scheduler, with a timeout."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from llmaudit.errors import UsageError

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT_S: Final = 10.0
_LOCAL: Final = re.compile(r"local:(\d+)")
_INSTALL: Final = 'install it with: pip install "llm-cost-audit[dask]"'


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
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError("--scheduler needs Dask (distributed), which is not installed", hint=_INSTALL) from None
    local = _LOCAL.fullmatch(address)
    if local is not None:
        cluster = LocalCluster(
            n_workers=int(local.group(1)),
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never a clash with another cluster on 8787
            silence_logs=logging.ERROR,
        )
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
