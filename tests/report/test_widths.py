"""Terminal output at 80, 100 and 120 columns: every figure and every name printed whole.

Each report of the sample logs is rendered at each width; no line may be wider than the
terminal, no cell may end in an ellipsis, and every model name and money figure the JSON
of the same run holds must appear whole on a line of the text.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.report.fmt import money, signed

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "sample_logs")
POLICIES = ROOT / "examples" / "policies"
WIDTHS = (80, 100, 120)


def _render(args: list[str], width: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict]:
    monkeypatch.setenv("COLUMNS", str(width))
    text_path, json_path = tmp_path / f"{width}.txt", tmp_path / f"{width}.json"
    assert main([*args, "-q", "-o", str(text_path)]) in (0, 1)
    assert main([*args, "-q", "-f", "json", "-o", str(json_path)]) in (0, 1)
    return text_path.read_text(), json.loads(json_path.read_text())


def _whole(text: str, width: int, words: set[str]) -> None:
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in text and "..." not in text.replace("...)", "")
    tokens = {t for line in lines for t in re.split(r"[\s,;()]+", line)}
    # a name with spaces must stand whole on one line; others are whole tokens (not a prefix of one)
    missing = sorted(w for w in words if (w not in tokens if " " not in w else not any(w in ln for ln in lines)))
    assert not missing, missing


@pytest.mark.parametrize("width", WIDTHS)
def test_analyze(width: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, data = _render(["analyze", SAMPLE], width, tmp_path, monkeypatch)
    words = {r["model"] for r in data["by_model"]}
    words |= {money(r["cost_usd"]) for r in data["by_model"] if r["cost_usd"] is not None}
    words |= {money(r["cost_usd"]) for r in data["by_task"] + data["by_provider"] if r["cost_usd"] is not None}
    _whole(text, width, words)


@pytest.mark.parametrize("width", WIDTHS)
def test_simulate(width: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = ["simulate", SAMPLE, "-P", str(POLICIES / "task-map.yaml"), "-P", str(POLICIES / "via-openrouter.yaml")]
    text, data = _render(args, width, tmp_path, monkeypatch)
    words = {p["name"] for p in data["policies"]}
    for p in data["policies"]:
        words |= {money(p["projected_monthly_cost_usd"])}
        for row in p["by_tier"] + p["by_task"]:
            words |= {money(row["baseline_cost_usd"]), money(row["policy_cost_usd"]), *row["moved_to"]}
        words |= {m["seller"] for m in p["markup"]} | {money(m["monthly_cost_usd"]) for m in p["markup"]}
    _whole(text, width, words)


@pytest.mark.parametrize("width", WIDTHS)
def test_check(width: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    args = [
        "check",
        SAMPLE,
        "-P",
        str(POLICIES / "four-tiers.yaml"),
        "--baseline-policy",
        str(POLICIES / "task-map.yaml"),
    ]
    text, data = _render(args, width, tmp_path, monkeypatch)
    _whole(text, width, {money(data["head"]["monthly_cost_usd"]), money(data["baseline"]["monthly_cost_usd"])})
    assert signed(data["change_usd"]) in text


@pytest.mark.parametrize("width", WIDTHS)
def test_pricing_show(width: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["pricing", "show", "gpt-4o"]) == 0
    text = capsys.readouterr().out
    _whole(text, width, {"gpt-4o", "standard", "batch", "priority", "2.5*", "10*", "1.25*"})
