"""The HTML reports in a real browser: headless Chromium (Debian's `chromium`), driven by Playwright.

Each report of the sample logs is opened from a file, in light and dark colour schemes and
as printed; every chart must have drawn (an SVG with a real size and marks in it), the
console must stay silent, and the page must request nothing but itself. Skipped, with the
reason, where Chromium or Playwright is missing; .ci/run installs both.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = str(ROOT / "sample_logs")
POLICIES = ROOT / "examples" / "policies"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
if CHROMIUM is None:
    pytest.skip("no chromium on PATH (Debian: apt-get install chromium; .ci/run does it)", allow_module_level=True)

REPORTS = {
    "analyze": ["analyze", SAMPLE],
    "simulate": ["simulate", SAMPLE, "-P", str(POLICIES / "task-map.yaml"), "-P", str(POLICIES / "four-tiers.yaml"),
                 "--quality", str(ROOT / "examples" / "quality.yaml")],
    "check": ["check", SAMPLE, "-P", str(POLICIES / "four-tiers.yaml"), "--baseline-policy",
              str(POLICIES / "task-map.yaml")],
}  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("html")
    written = {}
    for name, args in REPORTS.items():
        path = out / f"{name}.html"
        assert main([*args, "-f", "html", "-q", "-o", str(path)]) in (0, 1)
        written[name] = path
    return written


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_chart_draws_with_no_error_and_no_request(
    browser: object, pages: dict[str, Path], report: str, scheme: str
) -> None:
    page = browser.new_page(color_scheme=scheme, viewport={"width": 1100, "height": 900})  # type: ignore[attr-defined]
    console: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.on("request", lambda request: requests.append(request.url))
    url = pages[report].as_uri()
    page.goto(url)
    charts = page.evaluate(
        """() => [...document.querySelectorAll('figure.chart')].map(f => {
            const box = f.querySelector('svg').getBoundingClientRect();
            const marks = f.querySelectorAll('svg rect, svg circle, svg polyline');
            const painted = [...marks].filter(m => {
                const r = m.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
            return {name: f.dataset.chart, width: box.width, height: box.height, marks: painted.length,
                    fill: painted.length ? getComputedStyle(f.querySelector('svg rect, svg circle')).fill : ''};
        })"""
    )
    assert charts, f"{report}: no chart"
    for chart in charts:
        assert chart["width"] > 500 and chart["height"] > 50, chart
        assert chart["marks"] >= 1, chart
        assert chart["fill"] not in ("", "none", "rgb(0, 0, 0)"), chart  # the page's colours applied
    assert console == []
    assert requests == [url]
    page.emulate_media(media="print")
    printed = page.evaluate(
        "() => [...document.querySelectorAll('figure.chart svg')].map(s => s.getBoundingClientRect().height)"
    )
    assert all(h > 50 for h in printed)
    page.close()
