"""Failure behaviour: a worker that dies mid-run is replaced and its task run again, with
every record counted once; a scheduler that is not there is a clear error (exit 2), never a
hang; --strict stops at the same line as a single process; the options a cluster run cannot
honour are refused; a run without --scheduler never imports Dask."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from llmaudit.analyze.run import AnalyzeOptions, analyze
from llmaudit.cli import main
from llmaudit.errors import MalformedRecordError, UsageError
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import synth_logs  # noqa: E402

pytest.importorskip("distributed", reason="the dask extra is not installed")

from llmaudit.cluster.analyze import analyze_on  # noqa: E402
from llmaudit.cluster.connect import connect  # noqa: E402
from tests.cluster.crash import read_part_dying_once  # noqa: E402

INGEST = IngestOptions(chunk_bytes=1 << 18)


@pytest.fixture(scope="module")
def log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "anthropic.jsonl"
    synth_logs.generate(synth_logs.SHAPES["anthropic"], path, 20_000)
    lines = path.read_bytes().split(b"\n")
    lines[15_000] = b'{"type": "message", "usage": '  # a truncated line, in a late range
    path.write_bytes(b"\n".join(lines))
    return path


def test_a_worker_killed_mid_run_is_retried_without_counting_twice(client: Any, log: Path) -> None:
    single = analyze(RequestReader([str(log)], INGEST), load_pricing([]), AnalyzeOptions())
    marker = log.with_name(log.name + ".crashed")
    assert not marker.exists()
    report = analyze_on(
        client, expand_inputs([str(log)]), INGEST, load_pricing([]), range_chunks=2, read_part=read_part_dying_once
    )
    assert marker.exists(), "no worker died: the test did not test anything"
    assert report.summary.requests == single.summary.requests == 19_999
    assert render(report, "json", RenderOptions()) == render(single, "json", RenderOptions())


def test_strict_stops_at_the_same_line(client: Any, log: Path) -> None:
    strict = IngestOptions(chunk_bytes=1 << 18, strict=True)
    with pytest.raises(MalformedRecordError) as one:
        analyze(RequestReader([str(log)], strict), load_pricing([]))
    with pytest.raises(MalformedRecordError) as two:
        analyze_on(client, expand_inputs([str(log)]), strict, load_pricing([]), range_chunks=2)
    assert f"{log}:15001:" in one.value.message
    assert two.value.message == one.value.message


def test_the_cli_on_a_running_scheduler(cluster: Any, capsys: pytest.CaptureFixture[str]) -> None:
    logs = str(ROOT / "sample_logs")
    assert main(["analyze", logs, "-f", "json", "-q"]) == 0
    single = capsys.readouterr().out
    assert main(["analyze", logs, "-f", "json", "-q", "--scheduler", cluster.scheduler_address]) == 0
    out, err = capsys.readouterr()
    assert out == single and json.loads(out)["summary"]["requests"] > 0
    assert "Traceback" not in err


def test_local_n_starts_a_cluster_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    logs = str(ROOT / "sample_logs" / "app")
    assert main(["analyze", logs, "-f", "json", "-q"]) == 0
    single = capsys.readouterr().out
    assert main(["analyze", logs, "-f", "json", "-q", "--scheduler", "local:1"]) == 0
    assert capsys.readouterr().out == single


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unreachable_scheduler_is_a_clear_error() -> None:
    address = f"tcp://127.0.0.1:{_closed_port()}"
    with pytest.raises(UsageError) as caught, connect(address, timeout=2):
        pass
    assert address in caught.value.message and "no Dask scheduler answered within 2 s" in caught.value.message
    assert "8786" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scheduler", "localhost"], "not a scheduler address"),
        (["--scheduler", "local:0"], "1 to 512"),
        (["--scheduler", "local:2", "--per-request", "x.csv"], "--per-request is not available with --scheduler"),
        (["-", "--scheduler", "local:2"], "stdin (-) cannot be sent to the workers"),
    ],
)
def test_what_a_cluster_run_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    args = [a if a != "x.csv" else str(tmp_path / a) for a in args]
    assert main(["analyze", str(ROOT / "sample_logs" / "app"), "-q", *args]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err


def test_a_run_without_scheduler_never_imports_dask() -> None:
    code = (
        "import sys\nfrom llmaudit.cli import main\n"
        "assert main(['analyze', 'sample_logs/app', '-q', '-f', 'json', '-o', '/dev/null']) == 0\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed', 'fsspec')))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


# Run as text by ``eval`` (a builtin): a function of this module would import llmaudit on the worker.
_WORKER_STATE = (
    "'llmaudit.cluster.tasks' in __import__('sys').modules,"
    " __import__('dask').config.get('distributed.worker.profile.enabled')"
)


def test_local_workers_start_with_llmaudit_imported_and_no_profiler() -> None:
    from distributed import Client

    from llmaudit.cluster.connect import local_cluster

    with local_cluster(1, dashboard_address=":0") as cluster, Client(cluster) as client:
        assert list(client.run(eval, _WORKER_STATE).values()) == [(True, False)]
