"""Stale prices: a table used to price traffic more than 90 days after its as_of is named.

The reference day is the logs' last request (never the clock), so these tests hold on
any day. The project of tests/check/project.py logs its last request at
2026-01-31T10:30:00Z (first at 2026-01-01T00:00:00Z plus 30.4375 days).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.pricing.staleness import stale_tables, stale_warning
from llmaudit.pricing.table import TableInfo
from tests.check.project import write_project


def _info(name: str, as_of: date) -> TableInfo:
    return TableInfo(name, f"{name}.yaml", "test", as_of, False)


def test_older_than_90_days_at_the_last_request_is_stale() -> None:
    old, edge, fresh = _info("old", date(2025, 11, 1)), _info("edge", date(2025, 11, 2)), _info("new", date(2026, 1, 1))
    used = {"old", "edge", "new"}
    # 2025-11-01 -> 2026-01-31: 30 (Nov) + 31 (Dec) + 30 = 91 days; 2025-11-02: exactly 90, not older.
    assert stale_tables([old, edge, fresh], used, date(2026, 1, 31)) == ((old, 91),)
    # A log from last year priced with last year's table is fine; no timestamps, no judgement.
    assert stale_tables([old], used, date(2025, 12, 1)) == ()
    assert stale_tables([old], used, None) == ()
    # A table that priced nothing the traffic used is not named.
    assert stale_tables([old], {"new"}, date(2026, 1, 31)) == ()
    warning = stale_warning([old, fresh], used, date(2026, 1, 31))
    assert warning is not None
    assert (
        "1 price table older than 90 days at the last request (2026-01-31): old (as of 2025-11-01, 91 days" in warning
    )
    assert "llmaudit pricing import" in warning


@pytest.mark.parametrize(("as_of", "stale"), [("2025-11-01", True), ("2025-11-02", False)])
def test_analyze_and_simulate_warn_about_stale_tables(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, as_of: str, stale: bool
) -> None:
    root = write_project(tmp_path)
    prices = root / "prices.yaml"
    prices.write_text(prices.read_text().replace("as_of: 2026-01-01", f"as_of: {as_of}"))
    logs, common = str(root / "logs"), ["--pricing", str(prices), "-q", "-f", "json"]
    assert main(["analyze", logs, *common]) == 0
    analyze = json.loads(capsys.readouterr().out)["warnings"]
    assert main(["simulate", logs, *common, "--policy", str(root / "policy.yaml")]) == 0
    simulate = json.loads(capsys.readouterr().out)["warnings"]
    for warnings in (analyze, simulate):
        named = [w for w in warnings if "older than 90 days" in w]
        # The shipped tables (as of after the logs) are never named: only team-prices priced the traffic.
        expected = (
            "1 price table older than 90 days at the last request (2026-01-31): "
            f"team-prices (as of {as_of}, 91 days before); prices may have changed since: refresh them: "
            "`llmaudit pricing import litellm URL` (or `openrouter`) writes a current table to pass with "
            "--pricing; a newer llmaudit ships newer tables"
        )
        assert named == ([expected] if stale else [])


def test_check_notes_stale_tables(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    root = write_project(tmp_path)
    prices = root / "prices.yaml"
    prices.write_text(prices.read_text().replace("as_of: 2026-01-01", "as_of: 2025-10-01"))
    args = ["check", "--config", str(root / "llmaudit.yaml"), "-q", "--baseline-policy", str(root / "policy.yaml")]
    assert main([*args, "-f", "json"]) == 0
    notes = json.loads(capsys.readouterr().out)["notes"]
    # 2025-10-01 -> 2026-01-31: 31 (Oct) + 30 (Nov) + 31 (Dec) + 30 = 122 days.
    assert any("team-prices (as of 2025-10-01, 122 days before)" in n for n in notes)
