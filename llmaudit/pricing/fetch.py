"""Read a price list to import: a local JSON file, or a URL fetched with httpx.

The only module in llmaudit that touches the network (and the only one importing
httpx). A fetch has connect and read timeouts, a size cap checked both against
``Content-Length`` and while streaming, and a few retries with exponential backoff on
connection errors, timeouts, 429 and 5xx answers. Every failure is a ``PricingError``
(exit 2) naming the URL and the reason; nothing is written here, so a failed fetch can
never leave a half-written table behind. Tests inject an ``httpx.MockTransport``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from llmaudit import __version__
from llmaudit.errors import PricingError

MB: Final = 1024 * 1024
# The transport used when a caller passes none (None: the real network). CLI tests put an
# httpx.MockTransport here, so no test ever opens a connection.
DEFAULT_TRANSPORT: httpx.BaseTransport | None = None
_RETRY_STATUS: Final = frozenset({429, 500, 502, 503, 504})
_VERSION_IN_LOCATION: Final = re.compile(r"(?:litellm[-_/@=]v?|/v)(\d+\.\d+\.\d+)")


@dataclass(frozen=True)
class FetchOptions:
    """Limits for fetching a price list over HTTP."""

    connect_timeout_s: float = 10.0
    read_timeout_s: float = 60.0
    max_bytes: int = 50 * MB
    retries: int = 2
    """Attempts after the first one, on connection errors, timeouts, 429 and 5xx."""
    backoff_s: float = 1.0
    """Wait before the first retry; doubles on each further one."""


@dataclass(frozen=True)
class Fetched:
    """A parsed price list and where it came from."""

    data: Any
    location: str
    is_url: bool
    size_bytes: int
    version: str | None
    """A LiteLLM release named in the location (``.../litellm-1.106.0/...``, ``/v1.106.0/``)."""


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def read_price_list(
    location: str,
    options: FetchOptions = FetchOptions(),
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Fetched:
    """Parse the JSON at ``location`` (a path or an http(s) URL). Raises ``PricingError``.

    ``transport`` (default :data:`DEFAULT_TRANSPORT`) and ``sleep`` (between retries,
    default ``time.sleep``) are for tests.
    """
    if is_url(location):
        raw = _fetch(location, options, transport=transport or DEFAULT_TRANSPORT, sleep=sleep or time.sleep)
    else:
        path = Path(location)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise PricingError(f"{location}: no such file", hint="give a local JSON file or an http(s) URL") from None
        except OSError as exc:
            raise PricingError(f"{location}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PricingError(
            f"{location}: not valid JSON ({exc})", hint="point at the raw JSON file, not an HTML page about it"
        ) from None
    match = _VERSION_IN_LOCATION.search(location)
    return Fetched(data, location, is_url(location), len(raw), match.group(1) if match else None)


def _fetch(
    url: str, options: FetchOptions, *, transport: httpx.BaseTransport | None, sleep: Callable[[float], None]
) -> bytes:
    timeout = httpx.Timeout(options.read_timeout_s, connect=options.connect_timeout_s)
    headers = {"User-Agent": f"llmaudit/{__version__} (pricing import)", "Accept": "application/json"}
    last = "no attempt made"
    with httpx.Client(timeout=timeout, headers=headers, transport=transport, follow_redirects=True) as client:
        for attempt in range(options.retries + 1):
            if attempt:
                sleep(options.backoff_s * 2 ** (attempt - 1))
            try:
                with client.stream("GET", url) as response:
                    if response.status_code in _RETRY_STATUS:
                        last = f"HTTP {response.status_code} {response.reason_phrase}".strip()
                        continue
                    if response.status_code >= 400:
                        raise PricingError(
                            f"cannot fetch {url}: HTTP {response.status_code} {response.reason_phrase}".strip(),
                            hint="check the URL; the existing price table was left untouched",
                        )
                    return _read_capped(url, response, options.max_bytes)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = _reason(exc)
    raise PricingError(
        f"cannot fetch {url}: {last} (after {options.retries + 1} attempt{'s' if options.retries else ''})",
        hint="check the network, or download the file and import it from disk; "
        "the existing price table was left untouched",
    )


def _read_capped(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    too_big = PricingError(
        f"cannot fetch {url}: larger than the {max_bytes / MB:g} MB limit",
        hint="raise the limit with --max-size MB if the file is genuine",
    )
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    chunks = []
    received = 0
    for chunk in response.iter_bytes():
        received += len(chunk)
        if received > max_bytes:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(exc: Exception) -> str:
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    if isinstance(exc, httpx.ReadTimeout):
        return "timed out reading the response"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})" if str(exc) else "cannot connect"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
