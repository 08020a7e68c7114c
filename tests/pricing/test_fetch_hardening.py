"""``pricing import`` against a real HTTP server on 127.0.0.1 started by each test: redirect
loops, redirects to other schemes and to non-public addresses, a trickling server and the
total deadline, plain http, and JSON nested too deep. Every failure is exit 2, never 3,
and nothing that must not be retried is."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.errors import PricingError
from llmaudit.pricing.fetch import FetchOptions, read_price_list

PRICES = {
    "gpt-x": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
    }
}
Route = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, Route], list[str]]]:
    """A local server: ``routes[path](handler)`` answers; ``hits`` records every path asked."""
    routes: dict[str, Route] = {}
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            routes[self.path](self)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", routes, hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def redirect(to: str) -> Route:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(302)
        h.send_header("Location", to)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return answer


def body(data: bytes) -> Route:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    return answer


FAST = FetchOptions(backoff_s=0.01, read_timeout_s=5)


def test_a_redirect_to_a_loopback_path_is_followed(server) -> None:  # type: ignore[no-untyped-def]
    base, routes, _ = server
    routes["/old"] = redirect("/prices.json")
    routes["/prices.json"] = body(json.dumps(PRICES).encode())
    assert read_price_list(f"{base}/old", FAST).data == PRICES


def test_a_redirect_loop_is_refused_once(server) -> None:  # type: ignore[no-untyped-def]
    base, routes, hits = server
    routes["/a"] = redirect("/b")
    routes["/b"] = redirect("/a")
    with pytest.raises(PricingError, match="redirect loop"):
        read_price_list(f"{base}/a", FAST)
    assert hits == ["/a", "/b"]  # no retry


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("file:///etc/passwd", r"redirected to file://"),
        ("http://169.254.169.254/latest/meta-data/", r"non-public address \(169\.254\.169\.254"),
        ("http://10.0.0.1/prices.json", r"non-public address"),
        ("http://[::ffff:192.168.1.1]/x", r"non-public address"),
    ],
)
def test_redirects_to_other_schemes_and_private_addresses_are_refused_unretried(  # type: ignore[no-untyped-def]
    server, target: str, message: str
) -> None:
    base, routes, hits = server
    routes["/p"] = redirect(target)
    with pytest.raises(PricingError, match=message):
        read_price_list(f"{base}/p", FAST)
    assert hits == ["/p"]


def test_a_trickling_server_is_cut_at_the_total_deadline(server) -> None:  # type: ignore[no-untyped-def]
    base, routes, _ = server

    def trickle(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):  # a byte every 0.1 s: each read is fast, the whole is 100 s
            try:
                h.wfile.write(b" ")
                h.wfile.flush()
            except OSError:
                return
            time.sleep(0.1)

    routes["/slow"] = trickle
    started = time.monotonic()
    with pytest.raises(PricingError, match="deadline"):
        read_price_list(f"{base}/slow", FetchOptions(read_timeout_s=5, total_timeout_s=1, backoff_s=0.01))
    # Not a timing assertion on speed: only that the 100 s transfer was not waited out.
    assert time.monotonic() - started < 60


def test_plain_http_is_refused_unless_allowed() -> None:
    with pytest.raises(PricingError, match=r"refusing plain http://") as raised:
        read_price_list("http://prices.example.com/p.json", FAST)
    assert "--allow-http" in (raised.value.hint or "")


def test_json_nested_too_deep_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code = main(["pricing", "import", "litellm", str(deep), "-o", str(tmp_path / "out.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "nested too deep" in err and "Traceback" not in err


def test_the_cli_refuses_a_bad_redirect_with_exit_2(server, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:  # type: ignore[no-untyped-def]
    base, routes, _ = server
    routes["/p"] = redirect("http://169.254.169.254/")
    code = main(["pricing", "import", "litellm", f"{base}/p", "-o", str(tmp_path / "out.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and "non-public address" in err and not (tmp_path / "out.yaml").exists()
