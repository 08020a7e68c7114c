"""simulate, check and baseline with --scheduler: the logs are read on the cluster into the
very frame a single process collects, so the reports are the same, byte for byte."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).parents[2]
LOGS = str(ROOT / "sample_logs")
POLICIES = ROOT / "examples" / "policies"

pytest.importorskip("distributed", reason="the dask extra is not installed")


def _twice(capsys: pytest.CaptureFixture[str], cluster: Any, args: list[str], outputs: list[Path]) -> None:
    assert main(args) == 0
    single = [capsys.readouterr().out, *(p.read_text() for p in outputs)]
    assert main([*args, "--scheduler", cluster.scheduler_address]) == 0
    out, err = capsys.readouterr()
    assert [out, *(p.read_text() for p in outputs)] == single
    assert "Traceback" not in err


def test_simulate(cluster: Any, capsys: pytest.CaptureFixture[str]) -> None:
    policy = str(POLICIES / "cascade.yaml")
    _twice(capsys, cluster, ["simulate", LOGS, "--policy", policy, "-f", "json", "-q"], [])


def test_baseline_then_check(cluster: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = tmp_path / "base.json"
    old = str(POLICIES / "task-map.yaml")
    _twice(capsys, cluster, ["baseline", LOGS, "--policy", old, "-o", str(base), "-q"], [base])
    policy = str(POLICIES / "cascade.yaml")
    _twice(capsys, cluster, ["check", LOGS, "--policy", policy, "--baseline", str(base), "-f", "json", "-q"], [])
