"""--format html: one self-contained page that makes no request, leaks no prompt, escapes every value."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from llmaudit.cli import main
from llmaudit.report import svg

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "sample_logs")
POLICY = str(ROOT / "examples" / "policies" / "task-map.yaml")


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main([*args, "-f", "html", "-q"]) in (0, 1)
    return capsys.readouterr().out


def _self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "<script" not in page.lower()
    # nothing to fetch: no src or href at all, no url() in styles, no @import
    assert not re.search(r"<[^>]*\s(src|href)=", page)
    assert "url(" not in page and "@import" not in page
    # the bottom line comes before everything else the page says
    assert page.index('id="bottom-line"') < page.index("<main>")


def test_analyze_page(capsys: pytest.CaptureFixture[str]) -> None:
    page = _run(capsys, "analyze", SAMPLE)
    _self_contained(page)
    charts = re.findall(r'data-chart="([^"]+)"', page)
    assert charts == ["daily-cost-by-model", "top-cost-drivers", "cost-by-task-and-tier"]
    assert "These logs cost $11.82 over 30.0 days (about $12.00 a month)" in page
    assert "Biggest lever:" in page


def test_analyze_page_never_shows_prompt_text(capsys: pytest.CaptureFixture[str]) -> None:
    page = _run(capsys, "analyze", SAMPLE, "--sample", "3")  # --sample rows are not for this format
    first = json.loads((ROOT / "sample_logs" / "app" / "requests.jsonl").read_text().splitlines()[0])
    prompt = first["request"]["messages"][-1]["content"]
    assert len(prompt) > 20 and prompt[:40] not in page


def test_simulate_page_with_quality(capsys: pytest.CaptureFixture[str]) -> None:
    quality = str(ROOT / "examples" / "quality.yaml")
    page = _run(capsys, "simulate", SAMPLE, "-P", POLICY, "--quality", quality)
    _self_contained(page)
    assert re.findall(r'data-chart="([^"]+)"', page) == [
        "savings-per-policy",
        "cost-per-tier",
        "cost-quality-frontier",
        "per-request-cost",
    ]
    assert "Adopt &#x27;task-map&#x27;" in page


def test_check_page(capsys: pytest.CaptureFixture[str]) -> None:
    page = _run(
        capsys,
        "check",
        SAMPLE,
        "-P",
        str(ROOT / "examples" / "policies" / "four-tiers.yaml"),
        "--baseline-policy",
        POLICY,
    )
    _self_contained(page)
    assert re.findall(r'data-chart="([^"]+)"', page) == ["effect-waterfall"]
    assert "llmaudit check passed" in page or "llmaudit check FAILED" in page


def test_hostile_model_names_are_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "usage.csv"
    log.write_text(
        "timestamp,model,input_tokens,output_tokens\n"
        '2026-03-01T10:00:00Z,"<script>alert(1)</script>",10,10\n'
        '2026-03-01T11:00:00Z,"<img src=x onerror=alert(2)>",10,10\n'
        "2026-03-02T11:00:00Z,gpt-4o,10,10\n"
    )
    page = _run(capsys, "analyze", str(log))
    _self_contained(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_nice_ticks_cover_the_range_with_round_steps() -> None:
    assert svg.nice_ticks(0, 11.82) == [0, 2.5, 5.0, 7.5, 10.0, 12.5]
    assert svg.nice_ticks(0, 0.8) == [0, 0.2, 0.4, 0.6, 0.8]
    assert svg.nice_ticks(0.84, 0.92) == [0.84, 0.86, 0.88, 0.9, 0.92]


def test_waterfall_bars_float_from_the_running_total() -> None:
    fig = svg.waterfall("w", "t", ("base", 10.0), [("up", 5.0), ("down", -3.0)], ("head", 12.0), str, str)
    rects = re.findall(r'<rect class="(\w+)" x="[\d.]+" y="([\d.]+)" width="[\d.]+" height="([\d.]+)"', fig.body)
    # ticks 0..15 over 220 px: 14.667 px a dollar
    heights = [round(float(h) / (220 / 15), 3) for _, _, h in rects]
    assert [c for c, _, _ in rects] == ["s0", "neg", "pos", "s0"]  # a rise is red, a fall green
    assert heights == pytest.approx([10.0, 5.0, 3.0, 12.0], abs=0.01)
