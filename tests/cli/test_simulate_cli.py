"""``llmaudit simulate`` end to end: the JSON contract, the examples, the config file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "policies").glob("*.yaml"))


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_every_example_policy_runs_on_the_sample_logs(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["simulate", "sample_logs", "-q", "-f", "json"]
    for path in EXAMPLES:
        args += ["--policy", str(path.relative_to(ROOT))]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    data = json.loads(out)
    assert data["schema_version"] and data["baseline"]["total_cost_usd"] > 0
    assert len(data["policies"]) == len(EXAMPLES)
    for policy in data["policies"]:
        for key in (
            "name",
            "total_cost_usd",
            "projected_monthly_cost_usd",
            "savings_usd",
            "savings_share",
            "by_tier",
            "by_task",
            "markup",
            "flat_vs_metered",
        ):
            assert key in policy, key
        assert policy["savings_usd"] == pytest.approx(data["baseline"]["total_cost_usd"] - policy["total_cost_usd"])
    plans = next(p for p in data["policies"] if p["name"] == "flat-rate-plans")["flat_vs_metered"]["plans"]
    assert [p["plan"] for p in plans] == ["per-call by tier", "subscription"]


def test_identity_policy_matches_analyze(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    identity = tmp_path / "identity.yaml"
    identity.write_text("schema_version: 1\nname: identity\n")
    _, out, _ = run(capsys, "analyze", "sample_logs", "-q", "-f", "json")
    analyzed = json.loads(out)["summary"]["total_cost_usd"]
    code, out, err = run(capsys, "simulate", "sample_logs", "-P", str(identity), "-q", "-f", "json")
    assert code == 0, err
    simulated = json.loads(out)
    assert round(simulated["policies"][0]["total_cost_usd"], 2) == round(analyzed, 2)
    assert simulated["baseline"]["total_cost_usd"] == pytest.approx(analyzed, rel=1e-12)


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_other_formats(capsys: pytest.CaptureFixture[str], fmt: str) -> None:
    code, out, err = run(capsys, "simulate", "sample_logs", "-P", "examples/policies/four-tiers.yaml", "-q", "-f", fmt)
    assert code == 0, err
    assert "four-tiers" in out


def test_per_request_rows_for_each_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "routed.csv"
    code, out, err = run(
        capsys,
        "simulate",
        "sample_logs",
        "-P",
        "examples/policies/task-map.yaml",
        "-P",
        "examples/policies/cascade.yaml",
        "--per-request",
        str(target),
        "-q",
        "-f",
        "json",
    )
    assert code == 0, err
    rows = pd.read_csv(target)
    requests = json.loads(out)["baseline"]["requests"]
    assert len(rows) == 2 * requests
    assert set(rows["policy"]) == {"task-map", "cascade"}
    for column in ("routed_model", "path", "cache_hit", "cost_usd", "reason"):
        assert column in rows.columns


def test_config_file_supplies_logs_and_policies(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "llmaudit.yaml").write_text(
        f"logs: [{ROOT / 'sample_logs' / 'gateway'}]\npolicies: [{ROOT / 'examples' / 'policies' / 'task-map.yaml'}]\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "simulate", "-q", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["policies"][0]["name"] == "task-map"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "sample_logs"], "no policy given"),
        (["simulate", "sample_logs", "-P", "missing.yaml"], "missing.yaml: no such file"),
        (["simulate", "-P", "examples/policies/task-map.yaml"], "no logs given"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], message: str) -> None:
    code, _, err = run(capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_policy_names_file_and_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schema_version: 1\nname: bad\nroutes:\n  - to: {model: gpt-4o}\n    cascade_typo: 1\n")
    code, _, err = run(capsys, "simulate", "sample_logs", "-P", str(bad), "-q")
    assert code == 2
    assert f"{bad}:5: routes[0].cascade_typo: unknown field" in err


def test_per_request_costs_are_what_each_policy_bills(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """With billing.seller the per-request file gives the seller's prices (per-request fees included), so each
    policy's rows add up to its total less the bill-level fees; without one, to its total."""
    target = tmp_path / "routed.csv"
    args = [
        "simulate",
        "sample_logs",
        "-P",
        "examples/policies/task-map.yaml",
        "-P",
        "examples/policies/via-openrouter.yaml",
    ]
    code, out, err = run(capsys, *args, "--per-request", str(target), "-q", "-f", "json")
    assert code == 0, err
    report = {p["name"]: p for p in json.loads(out)["policies"]}
    rows = pd.read_csv(target)
    sums = rows.groupby("policy")["cost_usd"].sum()
    assert sums["task-map"] == pytest.approx(report["task-map"]["total_cost_usd"], rel=1e-9)
    routed = report["via-openrouter"]
    assert routed["billed_by"] == "openrouter"
    credits = next(m for m in routed["markup"] if m["seller"] == "openrouter")
    assert credits["period_fees_usd"] > 0
    assert sums["via-openrouter"] == pytest.approx(routed["total_cost_usd"] - credits["period_fees_usd"], rel=1e-9)
    # ...which is not the list-price cost of the same calls
    listed = next(m for m in routed["markup"] if m["seller"] == "direct")
    assert sums["via-openrouter"] != pytest.approx(listed["period_cost_usd"], rel=1e-6)


def test_unpriced_requests_are_said_not_counted_as_free(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    lines = [
        {"id": "a", "model": "gpt-4o", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
        {"id": "b", "model": "gpt-4o", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
        {"id": "c", "model": "our-own-model", "usage": {"prompt_tokens": 1000, "completion_tokens": 100}},
    ]
    log.write_text("".join(json.dumps(line) + "\n" for line in lines))
    policy = str(ROOT / "examples/policies/task-map.yaml")
    code, out, err = run(capsys, "simulate", str(log), "-P", policy, "-f", "json")
    assert code == 0, err
    report = json.loads(out)
    # gpt-4o at $2.50 in / $10 out per million: 2 x (0.0025 + 0.001) = $0.007; the third request has no price
    assert report["baseline"]["priced_requests"] == 2
    assert report["baseline"]["total_cost_usd"] == pytest.approx(0.007)
    said = "1 of 3 requests are on models without a price (our-own-model)"
    assert any(w.startswith(said) for w in report["warnings"])


def test_shipped_price_tables_are_named_as_analyze_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    """No install path in the JSON (a saved baseline is the same on every machine), as in analyze's."""
    code, out, err = run(capsys, "simulate", "sample_logs", "-P", "examples/policies/task-map.yaml", "-f", "json")
    assert code == 0, err
    simulated = json.loads(out)["pricing"]
    code, out, err = run(capsys, "analyze", "sample_logs", "-f", "json", "-q")
    assert code == 0, err
    assert simulated == json.loads(out)["pricing"]
    shipped = [p["path"] for p in simulated if p["shipped"]]
    assert all(path.startswith("(shipped) ") and path.endswith((".yaml", ".json")) for path in shipped)
