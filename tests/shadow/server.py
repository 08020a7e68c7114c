"""A small OpenAI-compatible Chat Completions server for the shadow tests (stdlib only).

Deterministic: each model's answer is scripted (``Script``), with a latency in ms and
failures served before the answer (429 with Retry-After, 500, a stall past the client's
read timeout). 401 when the bearer key is not the expected one, 404 for an unknown model.
Every request is recorded (body hash, model, the Authorization header) so tests can count
what was sent, what was answered, and that no request was answered twice.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class _QuietServer(ThreadingHTTPServer):
    """A client that stops early (a 401 ends the run) closes sockets the server is still
    answering on: that is expected here, not a server error worth a traceback on stderr,
    which the CLI tests read (and which would make them depend on thread timing)."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@dataclass
class Script:
    answer: Callable[[dict[str, Any]], str]
    latency_ms: float = 1.0
    failures: list[tuple[int, dict[str, str]] | str] = field(default_factory=list)
    """Served in turn, per distinct body, before the answer: (status, headers) or "stall"."""


@dataclass
class Recorded:
    bodies: list[str] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    answered: Counter[str] = field(default_factory=Counter)
    auth: list[str | None] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    failures_served: Counter[str] = field(default_factory=Counter)


class FakeOpenAI:
    def __init__(self, scripts: dict[str, Script], key: str | None = None, stall_s: float = 0.5) -> None:
        self.scripts = scripts
        self.key = key
        self.stall_s = stall_s
        self.rec = Recorded()
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                outer._handle(self)

        self.httpd = _QuietServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _send(
        self, h: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(payload).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        raw = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        digest = hashlib.sha256(raw).hexdigest()
        body = json.loads(raw)
        auth = h.headers.get("Authorization")
        with self.lock:
            self.rec.bodies.append(digest)
            self.rec.payloads.append(body)
            self.rec.auth.append(auth)
            self.rec.arrivals.append(time.monotonic())
            served = self.rec.failures_served[digest]
        if h.path != "/v1/chat/completions":
            return self._send(h, 404, {"error": {"message": "no such route"}})
        if self.key is not None and auth != f"Bearer {self.key}":
            return self._send(h, 401, {"error": {"message": "Incorrect API key provided"}})
        script = self.scripts.get(body.get("model"))
        if script is None:
            return self._send(h, 404, {"error": {"message": f"The model {body.get('model')} does not exist"}})
        if served < len(script.failures):
            with self.lock:
                self.rec.failures_served[digest] += 1
            failure = script.failures[served]
            if failure == "stall":
                time.sleep(self.stall_s)
                return self._send(h, 200, {"choices": []})
            status, headers = failure  # type: ignore[misc]
            return self._send(h, status, {"error": {"message": "scripted"}}, headers)
        time.sleep(script.latency_ms / 1000)
        text = script.answer(body)
        with self.lock:
            self.rec.answered[digest] += 1
        prompt = sum(len(m.get("content") or "") for m in body["messages"]) // 4 + 1
        self._send(
            h,
            200,
            {
                "id": f"chatcmpl-{digest[:12]}",
                "object": "chat.completion",
                "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt, "completion_tokens": len(text) // 4 + 1},
            },
        )
