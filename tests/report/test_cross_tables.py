"""Cross tables for charts: cost per (day, model) and per (task type, tier), hand-computed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main

# gpt-4o-mini: $0.15 input, $0.60 output per million; gpt-4o: $2.50 input (pricing/openai.yaml).
LOG = """timestamp,model,input_tokens,output_tokens
2026-03-01T10:00:00Z,gpt-4o-mini,1000000,0
2026-03-01T23:30:00Z,gpt-4o,1000000,0
2026-03-02T10:00:00Z,gpt-4o-mini,0,1000000
"""


def _report(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    log = tmp_path / "usage.csv"
    log.write_text(LOG)
    assert main(["analyze", str(log), "-f", "json", "-q", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _cells(rows: list[dict]) -> list[tuple[str, str, int, float]]:
    return [(c["row"], c["column"], c["requests"], round(c["cost_usd"], 10)) for c in rows]


def test_cost_per_day_and_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cells(_report(tmp_path, capsys)["by_day_model"]) == [
        ("2026-03-01", "gpt-4o", 1, 2.5),
        ("2026-03-01", "gpt-4o-mini", 1, 0.15),
        ("2026-03-02", "gpt-4o-mini", 1, 0.6),
    ]


def test_days_follow_the_time_zone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 23:30 UTC on the 1st is the 2nd in Berlin (UTC+1 in March before the switch)
    cells = _cells(_report(tmp_path, capsys, "--timezone", "Europe/Berlin")["by_day_model"])
    assert cells == [
        ("2026-03-01", "gpt-4o-mini", 1, 0.15),
        ("2026-03-02", "gpt-4o", 1, 2.5),
        ("2026-03-02", "gpt-4o-mini", 1, 0.6),
    ]


def test_task_tier_cells_add_up_to_both_breakdowns(capsys: pytest.CaptureFixture[str]) -> None:
    root = Path(__file__).resolve().parents[2]
    assert main(["analyze", str(root / "sample_logs"), "-f", "json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    cells = data["by_task_tier"]
    for rows, side in ((data["by_task"], "row"), (data["by_tier"], "column")):
        for row in rows:
            mine = [c for c in cells if c[side] == row["key"]]
            assert sum(c["requests"] for c in mine) == row["requests"]
            assert sum(c["cost_usd"] for c in mine) == pytest.approx(row["cost_usd"] or 0.0, abs=1e-12)
    for day in data["by_day"]:
        mine = [c for c in data["by_day_model"] if c["row"] == day["key"]]
        assert sum(c["cost_usd"] for c in mine) == pytest.approx(day["cost_usd"], abs=1e-12)
