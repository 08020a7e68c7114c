"""Chat Completions over HTTP: async httpx, bounded concurrency, timeouts and retries.

Transient failures (429, 500, 502, 503, 504, timeouts, dropped connections) are retried
with exponential backoff and full jitter; a ``Retry-After`` header (seconds or an HTTP
date) is honoured when it asks for longer. 401, 403 and 404 stop the run: they name the
endpoint and model, never the key. Any other failure is one failed answer, counted.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from dataclasses import dataclass
from typing import Any, Final

import httpx

from llmaudit.errors import InputError
from llmaudit.shadow.endpoints import Endpoint

RETRY_STATUS: Final = frozenset({408, 409, 429, 500, 502, 503, 504})
FATAL_STATUS: Final = {
    401: "the key was refused (401 Unauthorized)",
    403: "access is forbidden (403 Forbidden)",
    404: "the endpoint or model was not found (404 Not Found)",
}


class EndpointError(InputError):
    """An endpoint refused the run as configured (bad key, no such model or URL): exit 2."""


@dataclass(frozen=True)
class Settings:
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    attempts: int = 6
    backoff: float = 1.0
    """First retry's maximum wait in seconds; doubles each attempt (full jitter)."""
    max_wait: float = 60.0
    deadline: float | None = None
    """``time.monotonic()`` after which nothing new is sent (None = no deadline)."""


@dataclass(frozen=True)
class Reply:
    """What the endpoint answered (``error`` set when no answer came back)."""

    text: str | None
    input_tokens: int = 0
    output_tokens: int = 0
    served_model: str | None = None
    error: str | None = None
    attempts: int = 1


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value.strip() else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed is not None else None


def _wait(attempt: int, settings: Settings, asked: float | None) -> float:
    jitter = random.uniform(0, settings.backoff * 2**attempt)  # spreads retries; not security
    return min(settings.max_wait, max(jitter, asked or 0.0))


def _parse(body: Any) -> Reply:
    try:
        choice = body["choices"][0]
        text = choice["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return Reply(None, error="the response has no choices[0].message")
    usage = body.get("usage") or {}
    return Reply(
        text=text,
        input_tokens=int(usage.get("prompt_tokens") or 0),
        output_tokens=int(usage.get("completion_tokens") or 0),
        served_model=body.get("model"),
    )


async def complete(
    client: httpx.AsyncClient, endpoint: Endpoint, key: str | None, body: dict[str, Any], settings: Settings
) -> Reply:
    """POST ``body`` to the endpoint's /chat/completions, retrying what is transient."""
    url = f"{endpoint.base_url}/chat/completions"
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    last = "no attempt made"
    for attempt in range(settings.attempts):
        if settings.deadline is not None and time.monotonic() > settings.deadline:
            return Reply(None, error=f"deadline reached ({last})", attempts=attempt)
        asked = None
        try:
            response = await client.post(url, json=body, headers=headers)
        except httpx.TimeoutException:
            last = "timed out"
        except httpx.TransportError as exc:
            last = f"connection failed ({type(exc).__name__})"
        else:
            if response.status_code in FATAL_STATUS:
                raise EndpointError(
                    f"{url}: model {endpoint.model!r} (candidate {endpoint.candidate!r}): "
                    f"{FATAL_STATUS[response.status_code]}",
                    hint=f"check the base URL, the model name, and the key in ${endpoint.api_key_env}"
                    if endpoint.api_key_env
                    else "check the base URL and the model name (no --api-key-env was given)",
                )
            if response.status_code < 300:
                try:
                    return _with_attempts(_parse(response.json()), attempt + 1)
                except ValueError:
                    return Reply(None, error="the response is not JSON", attempts=attempt + 1)
            last = f"HTTP {response.status_code}"
            if response.status_code not in RETRY_STATUS:
                return Reply(None, error=last, attempts=attempt + 1)
            asked = _retry_after(response.headers)
        if attempt + 1 < settings.attempts:
            await asyncio.sleep(_wait(attempt, settings, asked))
    return Reply(None, error=f"gave up after {settings.attempts} attempts ({last})", attempts=settings.attempts)


def _with_attempts(reply: Reply, attempts: int) -> Reply:
    return Reply(reply.text, reply.input_tokens, reply.output_tokens, reply.served_model, reply.error, attempts)


def new_client(settings: Settings, concurrency: int) -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.read_timeout, connect=settings.connect_timeout)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(timeout=timeout, limits=limits)
