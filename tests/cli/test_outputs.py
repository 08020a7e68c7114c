"""Output files under failure: full disk, signals, permissions, --debug (issue 18.14 and smaller items)."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.errors import UsageError
from llmaudit.report.per_request import PerRequestWriter
from tests.conftest import FIXTURES, LOGS

ROOT = Path(__file__).resolve().parents[2]
AUDIT = str(LOGS / "report" / "audit.jsonl")
PRICES = str(FIXTURES / "pricing" / "report.yaml")
# Subprocesses import this checkout's llmaudit, whatever the working directory.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
RECORD = (LOGS / "report" / "audit.jsonl").read_text().splitlines()[0] + "\n"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


# -- full disk ----------------------------------------------------------------------------


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=4k tmpfs /mnt 2>/dev/null || exit 1"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


needs_tmpfs = pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a tmpfs in a user namespace here")


@needs_tmpfs
@pytest.mark.parametrize(
    "target", ["--per-request rows.csv", "--per-request rows.jsonl", "--per-request rows.parquet", "-o r.md"]
)
def test_full_disk_is_exit_2_and_leaves_nothing(tmp_path: Path, target: str) -> None:
    """A 64 KiB tmpfs: the 2,573 sample requests do not fit (nor does the Markdown report in 4 KiB)."""
    option, name = target.split()
    size = "4k" if option == "-o" else "64k"
    script = (
        f"mount -t tmpfs -o size={size} tmpfs {tmp_path} && "
        f"{sys.executable} -m llmaudit analyze {ROOT / 'sample_logs'} -q -f markdown {option} {tmp_path / name}"
        f" > /dev/null; code=$?; ls -A {tmp_path}; exit $code"
    )
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script], capture_output=True, text=True, check=False, cwd=ROOT, env=ENV
    )
    assert done.returncode == 2, done.stderr
    assert f"no space left on device writing {tmp_path / name}" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.strip() == ""  # neither the target nor a .tmp is left on the full disk


def test_writer_on_a_device_that_is_full_raises_usage_error_and_removes_tmp(tmp_path: Path) -> None:
    """/dev/full fails every write with ENOSPC at the OS layer (line-buffered: the header line flushes)."""
    writer = PerRequestWriter(tmp_path / "rows.csv")
    assert leftovers(tmp_path)
    writer._handle.close()  # type: ignore[union-attr]
    writer._handle = open("/dev/full", "w", buffering=1)  # noqa: SIM115 - the writer owns it
    with pytest.raises(UsageError, match="no space left on device writing") as raised:
        writer.write(writer.schema.empty_table().to_pandas())
    assert raised.value.exit_code == 2
    assert leftovers(tmp_path) == [] and not (tmp_path / "rows.csv").exists()


def test_close_on_a_full_device_raises_usage_error_and_removes_tmp(tmp_path: Path) -> None:
    """The bug of issue 18.14: close() flushes, the flush fails, and the .tmp stayed."""
    writer = PerRequestWriter(tmp_path / "rows.jsonl")
    writer._handle.close()  # type: ignore[union-attr]
    writer._handle = open("/dev/full", "w")  # noqa: SIM115
    writer._handle.write("buffered bytes that close() will try to flush")
    with pytest.raises(UsageError, match="no space left on device writing"):
        writer.close()
    assert leftovers(tmp_path) == [] and not (tmp_path / "rows.jsonl").exists()


def test_abort_survives_a_close_that_raises(tmp_path: Path) -> None:
    writer = PerRequestWriter(tmp_path / "rows.jsonl")
    writer._handle.close()  # type: ignore[union-attr]
    full = open("/dev/full", "w")  # noqa: SIM115
    full.write("pending bytes that close() will try to flush")
    writer._handle = full
    writer.abort()  # must not raise, must remove the .tmp
    assert leftovers(tmp_path) == []


# -- signals ------------------------------------------------------------------------------


def _default_signals() -> None:
    """The child starts with the signals' default actions, as a command typed at a terminal does:
    a suite started in the background (``cmd &``, ``nohup``) passes SIGINT or SIGHUP down ignored."""
    for signum in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)


def _start_reading_stdin(tmp_path: Path) -> subprocess.Popen[bytes]:
    """analyze reading a log from a pipe that stays open, with --per-request: its .tmp exists."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmaudit", "analyze", "-", "--pricing", PRICES, "-q", "--per-request", "rows.csv"],
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        cwd=tmp_path,
        env=ENV,
        preexec_fn=_default_signals,
    )
    assert proc.stdin is not None
    proc.stdin.write(RECORD.encode() * 50)
    proc.stdin.flush()
    deadline = time.monotonic() + 120
    while not leftovers(tmp_path):
        assert proc.poll() is None and time.monotonic() < deadline, "the run never created its .tmp"
        time.sleep(0.05)
    time.sleep(0.3)  # let it block on the pipe
    return proc


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129), (signal.SIGINT, 130)])
def test_a_signal_cleans_up_and_exits_128_plus_signum(tmp_path: Path, signum: int, code: int) -> None:
    proc = _start_reading_stdin(tmp_path)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert b"Traceback" not in err and b"interrupted" in err
    assert leftovers(tmp_path) == [] and not (tmp_path / "rows.csv").exists()


def test_a_second_ctrl_c_exits_130_quietly(tmp_path: Path) -> None:
    proc = _start_reading_stdin(tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err
    assert leftovers(tmp_path) == [] and not (tmp_path / "rows.csv").exists()


def _loaded(pid: int, library: str) -> bool:
    try:
        return library in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc to see how far start-up got")
def test_ctrl_c_during_start_up_exits_130_quietly() -> None:
    """Interrupted while the CLI's libraries load (numpy's extension is mapped, pandas not yet done)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "llmaudit", "analyze", AUDIT, "-q"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=ENV,
        preexec_fn=_default_signals,
    )
    while proc.poll() is None and not _loaded(proc.pid, "numpy"):
        time.sleep(0.001)
    if proc.poll() is not None:
        pytest.skip("start-up finished before the test could interrupt it")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert b"Traceback" not in err


# -- permissions --------------------------------------------------------------------------


def test_replacing_an_output_keeps_its_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report, rows = tmp_path / "r.md", tmp_path / "rows.csv"
    for path in (report, rows):
        path.write_text("old")
        path.chmod(0o600)
    code = main(
        ["analyze", AUDIT, "--pricing", PRICES, "-q", "-f", "markdown", "-o", str(report), "--per-request", str(rows)]
    )
    assert code == 0, capsys.readouterr().err
    for path in (report, rows):
        assert path.read_text() != "old"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_include_prompts_output_is_private(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = os.umask(0o022)
    try:
        code = main(
            [
                "analyze",
                AUDIT,
                "--pricing",
                PRICES,
                "-q",
                "-f",
                "json",
                "--per-request",
                str(tmp_path / "p.jsonl"),
                "--include-prompts",
            ]
        )
        code2 = main(
            ["analyze", AUDIT, "--pricing", PRICES, "-q", "-f", "json", "--per-request", str(tmp_path / "n.jsonl")]
        )
    finally:
        os.umask(old)
    assert code == code2 == 0, capsys.readouterr().err
    assert stat.S_IMODE((tmp_path / "p.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "n.jsonl").stat().st_mode) == 0o644


# -- --debug ------------------------------------------------------------------------------


def test_debug_shows_the_traceback_and_keeps_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("llmaudit.cli.analyze.analyze", broken)
    assert main(["analyze", AUDIT, "--pricing", PRICES, "-q"]) == 3
    assert "Traceback" not in capsys.readouterr().err
    assert main(["--debug", "analyze", AUDIT, "--pricing", PRICES, "-q"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: a bug" in err


def test_debug_keeps_a_user_errors_code(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "analyze", "no-such-file.jsonl", "-q"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "no-such-file.jsonl" in err


# -- outputs never replace inputs (18.8) ----------------------------------------------------

POLICY = str(ROOT / "examples" / "policies" / "four-tiers.yaml")


@pytest.fixture()
def logs_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "audit.jsonl").write_text((LOGS / "report" / "audit.jsonl").read_text())
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["analyze", "{log}", "-o", "{log}"],
        ["analyze", "{dir}", "--per-request", "{log}"],
        ["analyze", "{dir}/*.jsonl", "-o", "{dir}/../x.csv", "--per-request", "{dir}/../x.csv"],
        ["analyze", "{dir}", "-o", PRICES],
        ["simulate", "{dir}", "-P", POLICY, "--per-request", "{log}"],
        ["simulate", "{dir}", "-P", POLICY, "-o", POLICY],
        ["check", "{dir}", "-P", POLICY, "--baseline-policy", POLICY, "-o", "{log}"],
        ["baseline", "{dir}", "-P", POLICY, "-o", "{log}"],
    ],
)
def test_an_output_onto_an_input_is_refused(
    logs_dir: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    log = logs_dir / "audit.jsonl"
    before = log.read_bytes(), Path(PRICES).read_bytes(), Path(POLICY).read_bytes()
    argv = [a.format(log=log, dir=logs_dir) for a in args]
    code = main([*argv, "--pricing", PRICES, "-q"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "would replace it" in err or "are the same file" in err
    assert (log.read_bytes(), Path(PRICES).read_bytes(), Path(POLICY).read_bytes()) == before
    assert not (logs_dir.parent / "x.csv").exists()


@pytest.mark.parametrize("name", ["rows.csv", "rows.jsonl", "rows.parquet", "rows.jsonl.gz"])
def test_own_per_request_output_in_the_logs_folder_is_skipped(
    logs_dir: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    import gzip
    import json

    def summary() -> dict[str, int]:
        code = main(["analyze", str(logs_dir), "--pricing", PRICES, "-f", "json"])
        out, err = capsys.readouterr()
        assert code == 0, err
        data = json.loads(out)["summary"]
        return {"requests": data["requests"], "skipped": data["skipped_lines"], "notes": err.count("note: skipped")}

    first = summary()
    plain = name.removesuffix(".gz")
    assert (
        main(
            ["analyze", str(logs_dir), "--pricing", PRICES, "-q", "-f", "json", "--per-request", str(logs_dir / plain)]
        )
        == 0
    )
    if name.endswith(".gz"):
        data = (logs_dir / plain).read_bytes()
        (logs_dir / plain).unlink()
        (logs_dir / name).write_bytes(gzip.compress(data))
    capsys.readouterr()
    second = summary()
    assert first == {"requests": 8, "skipped": 2, "notes": 0}  # the fixture: 8 requests, 2 bad lines
    assert second == {**first, "notes": 1}


def test_simulate_per_request_output_is_skipped_too(logs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = logs_dir / "routed.parquet"
    assert main(["simulate", str(logs_dir), "-P", POLICY, "--pricing", PRICES, "-q", "--per-request", str(target)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(logs_dir), "--pricing", PRICES, "-f", "json"]) == 0
    assert "note: skipped" in capsys.readouterr().err


def test_only_own_outputs_is_a_clear_error(logs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = logs_dir.parent / "rows.csv"
    assert main(["analyze", str(logs_dir), "--pricing", PRICES, "-q", "-f", "json", "--per-request", str(target)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(target), "--pricing", PRICES, "-q"]) == 2
    assert "llmaudit --per-request output, not a log" in capsys.readouterr().err


def test_a_log_that_merely_has_a_request_id_column_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "requests.csv"
    log.write_text("request_id,timestamp,model,input_tokens,output_tokens\nr1,2025-03-01T10:00:00Z,gpt-4o,1000,100\n")
    assert main(["analyze", str(log), "--pricing", PRICES, "-q", "-f", "json"]) == 0
    assert "note: skipped" not in capsys.readouterr().err
