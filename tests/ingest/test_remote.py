"""Logs where they live: file:// URLs, http(s):// through fsspec (a real HTTP server on
127.0.0.1, no network), and Hive-style partitions that --since/--until leave unopened."""

from __future__ import annotations

import functools
import gzip
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import llmaudit.ingest.reader as reader_module
from llmaudit.analyze.run import analyze
from llmaudit.cli import main
from llmaudit.ingest import IngestOptions, RequestReader
from llmaudit.ingest.remote import outside_period, partition_days
from llmaudit.pricing import load_pricing

SAMPLE = Path(__file__).parents[2] / "sample_logs" / "app" / "requests.jsonl"


def _totals(logs: list[str], **options: Any) -> tuple[Any, ...]:
    report = analyze(RequestReader(logs, IngestOptions(**options)), load_pricing([]))
    s = report.summary
    return s.requests, s.lines_read, s.total_cost_usd, s.tokens, tuple((m.key, m.requests) for m in report.by_model)


def test_file_urls_are_paths(tmp_path: Path) -> None:
    assert _totals([f"file://{SAMPLE}"]) == _totals([str(SAMPLE)])
    assert _totals([f"file://{SAMPLE.parent}"]) == _totals([str(SAMPLE)])


@pytest.fixture
def web(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real HTTP server on 127.0.0.1 serving ``tmp_path``."""
    pytest.importorskip("fsspec", reason="the http extra is not installed")
    pytest.importorskip("aiohttp", reason="the http extra is not installed")
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    finally:
        server.shutdown()
        server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


def test_https_style_reads_through_fsspec(web: tuple[str, Path]) -> None:
    base, root = web
    shutil.copy(SAMPLE, root / "requests.jsonl")
    (root / "requests.jsonl.gz").write_bytes(gzip.compress(SAMPLE.read_bytes()))
    local = _totals([str(SAMPLE)])
    assert _totals([f"{base}/requests.jsonl"]) == local
    assert _totals([f"{base}/requests.jsonl.gz"]) == local


def test_parquet_over_http(web: tuple[str, Path]) -> None:
    base, root = web
    csv = SAMPLE.parents[1] / "gateway" / "usage_export.csv"
    pq.write_table(pa.Table.from_pandas(pd.read_csv(csv)), root / "gateway.parquet")
    assert _totals([f"{base}/gateway.parquet"]) == _totals([str(root / "gateway.parquet")])


def test_a_missing_url_is_a_clear_error(web: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    base, _ = web
    assert main(["analyze", f"{base}/nothing.jsonl", "-q"]) == 2
    err = capsys.readouterr().err
    assert f"{base}/nothing.jsonl" in err and "Traceback" not in err


def test_partition_days() -> None:
    assert partition_days("s3://b/logs/date=2026-11-01/part-0.parquet") == (pd.Timestamp("2026-11-01").date(),) * 2
    assert partition_days("logs/dt=20261101/x.jsonl") == (pd.Timestamp("2026-11-01").date(),) * 2
    first, last = partition_days("logs/year=2026/month=02/x.jsonl")  # type: ignore[misc]
    assert (str(first), str(last)) == ("2026-02-01", "2026-02-28")
    assert partition_days("logs/2026-11-01/x.jsonl") is None
    since, until = pd.Timestamp("2026-11-02", tz="UTC"), pd.Timestamp("2026-11-03", tz="UTC")
    assert outside_period("date=2026-11-01/a", since, until)
    assert not outside_period("date=2026-11-02/a", since, until)
    assert outside_period("date=2026-11-03/a", since, until)
    assert not outside_period("date=2026-11-03/a", since, None)


def test_partitions_outside_the_period_are_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = SAMPLE.read_text().splitlines()
    days = sorted({line.split('"timestamp":"')[1][:10] for line in lines if '"timestamp":"' in line})[:5]
    assert len(days) == 5, "the sample spans days"
    for day in days:
        folder = tmp_path / f"date={day}"
        folder.mkdir()
        (folder / "part-0.jsonl").write_text("\n".join(x for x in lines if f'"timestamp":"{day}' in x) + "\n")
    opened: list[str] = []
    real = reader_module.open_source

    def counting(source: Any) -> Any:
        opened.append(source.display)
        return real(source)

    monkeypatch.setattr(reader_module, "open_source", counting)
    since, until = pd.Timestamp(days[1], tz="UTC"), pd.Timestamp(days[3], tz="UTC")
    pruned = _totals([str(tmp_path)], since=since, until=until)
    read = sorted({Path(p).parent.name for p in opened})
    assert read == [f"date={days[1]}", f"date={days[2]}"]
    opened.clear()
    assert pruned[0] > 0
    # The same requests as reading everything and filtering by time (only fewer lines read).
    monkeypatch.setattr(reader_module, "outside_period", lambda *a: False)
    everything = _totals([str(tmp_path)], since=since, until=until)
    assert (everything[0], *everything[2:]) == (pruned[0], *pruned[2:])
    assert everything[1] > pruned[1]
    assert len({Path(p).parent.name for p in opened}) == 5
