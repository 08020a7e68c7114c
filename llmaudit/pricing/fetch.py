"""Read a price list to import: a local JSON file, or a URL fetched with httpx.

The only module in llmaudit that touches the network (and the only one importing
httpx). A fetch has connect and read timeouts and a total deadline (a server trickling a
byte a second cannot hold it past ``total_timeout_s``), a size cap checked both against
``Content-Length`` and while streaming, and a few retries with exponential backoff on
connection errors, timeouts, 429 and 5xx answers. Nothing else is retried: a 4xx answer,
a redirect loop, a redirect to another scheme (``file://``) or to a non-public address
(``169.254.169.254``, private ranges, loopback; loopback stays allowed when the URL itself
was loopback) fail at once. Plain ``http://`` is refused unless ``allow_http`` (or the host
is loopback). Every failure is a ``PricingError`` (exit 2) naming the URL and the reason;
nothing is written here, so a failed fetch can never leave a half-written table behind.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
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
    total_timeout_s: float | None = None
    """The whole fetch, retries included; ``None``: twice the read timeout."""
    allow_http: bool = False
    """Accept plain ``http://`` to a host that is not loopback."""
    max_redirects: int = 5


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
    except RecursionError:
        raise PricingError(f"{location}: JSON nested too deep to be a price list") from None
    match = _VERSION_IN_LOCATION.search(location)
    return Fetched(data, location, is_url(location), len(raw), match.group(1) if match else None)


class _Refused(Exception):
    """A fetch that must not be retried (a bad redirect, an over-long fetch)."""


def _loopback_host(host: str) -> bool:
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return []  # the request itself will fail with "cannot connect"
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _check_redirect(target: httpx.URL, origin: httpx.URL) -> None:
    """Refuse a redirect to another scheme or to an address that is not public."""
    if target.scheme not in ("http", "https"):
        raise _Refused(f"redirected to {target.scheme}:// ({target}), which is refused")
    loopback_ok = _loopback_host(origin.host)
    for address in _addresses(target.host):
        if address.is_loopback and loopback_ok:
            continue
        if not address.is_global or address.is_multicast:
            raise _Refused(f"redirected to a non-public address ({target.host} is {address}), which is refused")


def _check_scheme(url: httpx.URL, options: FetchOptions) -> None:
    if url.scheme == "http" and not options.allow_http and not _loopback_host(url.host):
        raise PricingError(
            f"refusing plain http:// for {url}: the price list could be altered in transit",
            hint="use https://, or pass --allow-http if you trust the network path",
        )


def _fetch(
    url: str, options: FetchOptions, *, transport: httpx.BaseTransport | None, sleep: Callable[[float], None]
) -> bytes:
    origin = httpx.URL(url)
    _check_scheme(origin, options)
    total = options.total_timeout_s if options.total_timeout_s is not None else 2 * options.read_timeout_s
    deadline = time.monotonic() + total
    headers = {"User-Agent": f"llmaudit/{__version__} (pricing import)", "Accept": "application/json"}
    last = "no attempt made"
    with httpx.Client(headers=headers, transport=transport, follow_redirects=False) as client:
        for attempt in range(options.retries + 1):
            if attempt:
                sleep(min(options.backoff_s * 2 ** (attempt - 1), max(0.0, deadline - time.monotonic())))
            try:
                status, reason, body = _get(client, origin, options, deadline)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = _reason(exc)
            except _Refused as exc:
                raise PricingError(
                    f"cannot fetch {url}: {exc}", hint="check the URL; the existing price table was left untouched"
                ) from None
            else:
                if body is not None:
                    return body
                if status not in _RETRY_STATUS:
                    raise PricingError(
                        f"cannot fetch {url}: HTTP {status} {reason}".strip(),
                        hint="check the URL; the existing price table was left untouched",
                    )
                last = f"HTTP {status} {reason}".strip()
            if time.monotonic() >= deadline:
                last += f"; gave up at the {total:g} s deadline"
                break
    raise PricingError(
        f"cannot fetch {url}: {last} (after {attempt + 1} attempt{'s' if attempt else ''})",
        hint="check the network, or download the file and import it from disk; "
        "the existing price table was left untouched",
    )


def _get(
    client: httpx.Client, origin: httpx.URL, options: FetchOptions, deadline: float
) -> tuple[int, str, bytes | None]:
    """One attempt, following redirects by hand (each checked): (status, reason, body or None)."""
    url = origin
    seen = {str(url)}
    for _ in range(options.max_redirects + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise httpx.ReadTimeout("deadline")
        timeout = httpx.Timeout(
            min(options.read_timeout_s, remaining), connect=min(options.connect_timeout_s, remaining)
        )
        with client.stream("GET", url, timeout=timeout) as response:
            if response.is_redirect:
                location = response.headers.get("location", "")
                target = url.join(location)
                if str(target) in seen:
                    raise _Refused(f"redirect loop ({target} again)")
                seen.add(str(target))
                _check_redirect(target, origin)
                url = target
                continue
            if response.status_code >= 400:
                return response.status_code, response.reason_phrase, None
            return response.status_code, response.reason_phrase, _read_capped(str(origin), response, options, deadline)
    raise _Refused(f"more than {options.max_redirects} redirects")


def _read_capped(url: str, response: httpx.Response, options: FetchOptions, deadline: float) -> bytes:
    max_bytes = options.max_bytes
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
        if time.monotonic() > deadline:
            raise _Refused("the download did not finish within the deadline (--timeout)")
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
