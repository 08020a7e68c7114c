"""check on the shipped sample logs (2,573 requests): every effect kind, and they add up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ROOT / "examples" / "policies"
CENT = 0.01


@pytest.fixture(scope="module")
def frontier_baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("base") / "base.json"
    code = main(
        ["baseline", str(ROOT / "sample_logs"), "-P", str(POLICIES / "frontier-baseline.yaml"), "-q", "-o", str(out)]
    )
    assert code == 0
    return out


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["check", str(ROOT / "sample_logs"), "-q", "-f", "json", *args])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


def by_name(report: dict) -> dict[str, float]:
    found = {e["name"]: e["change_usd"] for e in report["effects"]}
    assert sum(found.values()) == pytest.approx(report["change_usd"], abs=CENT)
    return found


def test_four_tiers_against_frontier_only_saves_by_routing_and_caching(
    capsys: pytest.CaptureFixture[str], frontier_baseline: Path
) -> None:
    _, report = run_json(
        capsys,
        "-P",
        str(POLICIES / "four-tiers.yaml"),
        "--baseline",
        str(frontier_baseline),
        "--baseline-name",
        "frontier-only",
    )
    found = by_name(report)
    assert report["same_traffic"] is True
    assert found["volume"] == 0 and abs(found["mix"]) < 1e-9 and abs(found["prices"]) < 1e-9
    assert found["routing"] < 0 and found["caching"] < 0  # four-tiers has a response cache, frontier-only none
    # The saved baseline's cost is what simulate projected for frontier-only.
    saved = json.loads(frontier_baseline.read_text())["policies"][0]["projected_monthly_cost_usd"]
    assert report["baseline"]["monthly_cost_usd"] == pytest.approx(saved)


def test_same_policy_new_price_is_all_prices(
    capsys: pytest.CaptureFixture[str], frontier_baseline: Path, tmp_path: Path
) -> None:
    # gpt-4o input $2.50 -> $5.00 per million: the increase is the baseline traffic's gpt-4o
    # input tokens (at the new minus the old rate), all of it a price effect.
    prices = tmp_path / "dearer.yaml"
    prices.write_text(
        "schema_version: 1\nname: dearer\nsource: test\nas_of: 2026-01-01\nmodels:\n  gpt-4o: {input: 5.00}\n"
    )
    _, report = run_json(
        capsys, "-P", str(POLICIES / "frontier-baseline.yaml"), "--baseline", str(frontier_baseline), "-p", str(prices)
    )
    found = by_name(report)
    assert found["prices"] > 1.0
    assert all(abs(found[k]) < 1e-9 for k in ("volume", "mix", "routing", "caching"))
    drivers = next(e for e in report["effects"] if e["name"] == "prices")["drivers"]
    assert [d["key"] for d in drivers if d["kind"] == "model"] == ["gpt-4o"]


def test_fewer_logs_show_as_volume_and_mix(capsys: pytest.CaptureFixture[str], frontier_baseline: Path) -> None:
    code = main(
        [
            "check",
            str(ROOT / "sample_logs" / "app"),
            "-q",
            "-f",
            "json",
            "-P",
            str(POLICIES / "frontier-baseline.yaml"),
            "--baseline",
            str(frontier_baseline),
        ]
    )
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    found = by_name(report)
    assert report["same_traffic"] is False and report["notes"]
    assert found["volume"] < 0
    assert all(abs(found[k]) < 1e-9 for k in ("prices", "routing", "caching"))
