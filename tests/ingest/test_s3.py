"""Logs in S3, read from a real S3-compatible server on 127.0.0.1 (moto's, no network).

The bucket holds a Hive-partitioned layout (``logs/date=YYYY-MM-DD/part-0.jsonl.gz`` and
``part-1.parquet``), and s3fs finds the server the standard way, through ``AWS_ENDPOINT_URL``
and (fake) credentials in the environment: llmaudit passes no endpoint of its own. The
server counts every request it answers, so a test can say which objects were fetched.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llmaudit.cli import main

SAMPLES = Path(__file__).parents[2] / "sample_logs"
BUCKET = "llm-logs"
KEY_ID = "AKIAFAKE0TESTKEY0ID0"
SECRET = "fake-secret-s3-test-Zq9wX2vB7nM4kL1pR8tY"
TOKEN = "fake-session-token-s3-test-Hj5gF3dS6a"


@dataclass
class S3Server:
    """A moto S3 server on 127.0.0.1 and the requests it has answered."""

    endpoint: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def object_gets(self) -> list[str]:
        """The keys of the objects fetched (GET of ``/bucket/key``, not a bucket listing)."""
        with self.lock:
            return [path for method, path in self.requests if method == "GET" and path.count("/") >= 2]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


@pytest.fixture(scope="module")
def server() -> Iterator[S3Server]:
    pytest.importorskip("s3fs", reason="the s3 extra (s3fs) is not installed")
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    from werkzeug.serving import WSGIRequestHandler, make_server

    app = moto_server.DomainDispatcherApplication(moto_server.create_backend_app)
    state = S3Server("")

    def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        with state.lock:
            state.requests.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        return app(environ, start_response)

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args: Any) -> None:
            pass

    httpd = make_server("127.0.0.1", 0, counting, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.endpoint = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def s3_env(server: S3Server, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> S3Server:
    """s3fs (and the local cluster's worker processes, which inherit the environment) pointed
    at the server, with fake credentials; no real AWS config file is read."""
    for name, value in {
        "AWS_ENDPOINT_URL": server.endpoint,
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.chdir(tmp_path)  # no llmaudit.yaml of the checkout's
    import fsspec

    fsspec.AbstractFileSystem.clear_instance_cache()  # no s3fs instance from another endpoint
    return server


def _layout() -> dict[str, bytes]:
    """``date=DAY/part-0.jsonl.gz`` (the app log's requests of DAY) and ``date=DAY/part-1.parquet``
    (the gateway export's), for the first days of each."""
    files: dict[str, bytes] = {}
    lines = (SAMPLES / "app" / "requests.jsonl").read_text(encoding="utf-8").splitlines()
    by_day: dict[str, list[str]] = {}
    for line in lines:
        by_day.setdefault(json.loads(line)["timestamp"][:10], []).append(line)
    for day in sorted(by_day)[:4]:
        files[f"date={day}/part-0.jsonl.gz"] = gzip.compress(("\n".join(by_day[day]) + "\n").encode())
    gateway = pd.read_csv(SAMPLES / "gateway" / "usage_export.csv")
    for day, rows in sorted(gateway.groupby(gateway["timestamp"].str[:10]))[:3]:
        sink = pa.BufferOutputStream()
        pq.write_table(pa.Table.from_pandas(rows.reset_index(drop=True), preserve_index=False), sink)
        files[f"date={day}/part-1.parquet"] = sink.getvalue().to_pybytes()
    return files


@pytest.fixture(scope="module")
def layout() -> dict[str, bytes]:
    return _layout()


@pytest.fixture
def logs(s3_env: S3Server, layout: dict[str, bytes], tmp_path: Path) -> tuple[str, Path]:
    """The layout uploaded under ``s3://BUCKET/logs/`` and written under a local folder."""
    import s3fs

    fs = s3fs.S3FileSystem()
    if not fs.exists(BUCKET):
        fs.mkdir(BUCKET)
        for key, data in layout.items():
            fs.pipe(f"{BUCKET}/logs/{key}", data)
    local = tmp_path / "logs"
    for key, data in layout.items():
        (local / key).parent.mkdir(parents=True, exist_ok=True)
        (local / key).write_bytes(data)
    fs.invalidate_cache()
    s3_env.clear()
    return f"s3://{BUCKET}/logs/", local


def _analyze(capsys: pytest.CaptureFixture[str], target: str, *options: str) -> tuple[dict[str, Any], str]:
    """The JSON report of ``target`` (its own path written as ROOT/), and stderr."""
    capsys.readouterr()
    assert main(["analyze", target, "-f", "json", *options]) == 0
    out, err = capsys.readouterr()
    for secret in (KEY_ID, SECRET, TOKEN):
        assert secret not in out and secret not in err
    root = target.rstrip("/") + "/"
    return json.loads(out.replace(root, "ROOT/")), err


def _days(layout: dict[str, bytes]) -> list[str]:
    return sorted({key.split("/")[0].removeprefix("date=") for key in layout})


def test_s3_equals_the_same_files_on_disk(logs: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, local = logs
    remote, _ = _analyze(capsys, url)
    here, _ = _analyze(capsys, str(local))
    assert remote == here
    # Both formats were read: every line of the layout is accounted for.
    assert remote["summary"]["requests"] > 0 and remote["summary"]["lines_read"] == here["summary"]["lines_read"]


def test_since_until_never_fetch_the_excluded_partitions(
    logs: tuple[str, Path], layout: dict[str, bytes], capsys: pytest.CaptureFixture[str], s3_env: S3Server
) -> None:
    url, local = logs
    days = _days(layout)
    assert len(days) == 7, "4 days of JSON Lines, then 3 of Parquet"
    # A JSON Lines day and a Parquet day (--until DATE includes DATE); the days before and after unread.
    since, until = days[3], days[4]
    period = ["--since", since, "--until", until]
    remote, _ = _analyze(capsys, url, *period)
    fetched = {key.split("/")[3] for key in s3_env.object_gets()}
    assert fetched == {f"date={since}", f"date={until}"}
    assert remote == _analyze(capsys, str(local), *period)[0]


def test_the_same_on_a_local_cluster(
    logs: tuple[str, Path], layout: dict[str, bytes], capsys: pytest.CaptureFixture[str], s3_env: S3Server
) -> None:
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    url, local = logs
    days = _days(layout)
    period = ["--since", days[3], "--until", days[4]]
    everything, _ = _analyze(capsys, url, "--scheduler", "local:2")
    assert everything == _analyze(capsys, str(local))[0]
    s3_env.clear()
    pruned, _ = _analyze(capsys, url, "--scheduler", "local:2", *period)
    assert {key.split("/")[3] for key in s3_env.object_gets()} == {f"date={days[3]}", f"date={days[4]}"}
    assert pruned == _analyze(capsys, str(local), *period)[0]


@pytest.mark.parametrize(
    "url",
    [f"s3://no-such-bucket-{BUCKET}/logs/", f"s3://{BUCKET}/logs/date=1999-01-01/part-0.jsonl.gz"],
    ids=["missing bucket", "missing key"],
)
def test_a_missing_bucket_or_key_is_a_clear_error(
    url: str, logs: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["analyze", url]) == 2
    out, err = capsys.readouterr()
    assert url in err and "Traceback" not in err
    for secret in (KEY_ID, SECRET, TOKEN):
        assert secret not in out and secret not in err
