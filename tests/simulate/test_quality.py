"""Quality-aware simulation (``--quality FILE``), every number worked out by hand.

The test table has two models (USD per million tokens):
    big    in 10.00  out 30.00   -> a request of 1,000 in + 100 out costs 10,000 + 3,000 = 13,000 -> $0.013
    small  in  0.50  out  1.50   -> the same request: 500 + 150 = 650 -> $0.00065

The traffic (``FRAME``), four requests of 1,000 input and 100 output tokens:
    r1  classification  tier 0  on big
    r2  classification  tier 0  on big
    r3  code            tier 1  on big
    r4  code            tier 1  on small

Scores (``SCORES``): big classification 0.9, code 0.8; small classification 0.7, code 0.5.
Baseline quality: (0.9 + 0.9 + 0.8 + 0.5) / 4 = 3.1 / 4 = 0.775; tier 0 0.9, tier 1 (0.8 + 0.5) / 2 = 0.65.
Baseline cost: 3 x 0.013 + 0.00065 = $0.03965.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from llmaudit.cli import main
from llmaudit.errors import ConfigError
from llmaudit.pricing import PriceTable, load_pricing, price_requests
from llmaudit.report import RenderOptions, render
from llmaudit.schema import COLLECTED
from llmaudit.simulate import Policy
from llmaudit.simulate.quality import QualityScores, frontier, load_quality
from llmaudit.simulate.run import NamedPolicy, simulate
from tests.conftest import complete, requests_frame

ROOT = Path(__file__).resolve().parents[2]

PRICES = """\
schema_version: 1
name: quality-test
source: tests
as_of: 2026-11-01
models:
  big: {provider: openai, input: 10, output: 30}
  small: {provider: openai, input: 0.5, output: 1.5}
"""

SCORES = """\
version: 1
scores:
  big: {classification: 0.9, code: 0.8}
  small: {classification: 0.7, code: 0.5}
"""


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> PriceTable:
    path = tmp_path_factory.mktemp("quality") / "prices.yaml"
    path.write_text(PRICES)
    return load_pricing([path], include_shipped=False)


@pytest.fixture
def frame(table: PriceTable) -> pd.DataFrame:
    common = {
        "status": "ok",
        "input_tokens": 1000,
        "output_tokens": 100,
        "tag_confidence": 0.9,
        "tool_count": 0,
        "timestamp": pd.Timestamp("2026-03-01T00:00:00Z"),
        "tags": None,
        "provider": "openai",
    }
    rows = [
        {"request_id": "r1", "model": "big", "task_type": "classification", "complexity_tier": 0, "prompt_hash": 1},
        {"request_id": "r2", "model": "big", "task_type": "classification", "complexity_tier": 0, "prompt_hash": 2},
        {"request_id": "r3", "model": "big", "task_type": "code", "complexity_tier": 1, "prompt_hash": 3},
        {"request_id": "r4", "model": "small", "task_type": "code", "complexity_tier": 1, "prompt_hash": 4},
    ]
    return complete(price_requests(requests_frame([{**common, **row} for row in rows]), table), COLLECTED)


def scores(tmp_path: Path, table: PriceTable, text: str = SCORES, name: str = "quality.yaml") -> QualityScores:
    path = tmp_path / name
    path.write_text(text)
    return load_quality(path, table)


def named(name: str, **fields: Any) -> NamedPolicy:
    return NamedPolicy(Policy.model_validate({"schema_version": 1, "name": name, **fields}), f"{name}.yaml")


CHEAP_CLASS = {"routes": [{"match": {"task_type": ["classification"]}, "to": {"model": "small"}}]}
ALL_BIG = {"routes": [{"to": {"model": "big"}}]}


def test_expected_quality_of_a_policy_that_moves_traffic(
    tmp_path: Path, table: PriceTable, frame: pd.DataFrame
) -> None:
    report = simulate(frame, table, [named("cheap-class", **CHEAP_CLASS)], quality=scores(tmp_path, table))
    q = report.policies[0].quality
    assert q is not None
    # r1, r2 move to small (0.7 each); r3 stays on big (0.8), r4 on small (0.5): 2.7 / 4 = 0.675
    assert q.expected == pytest.approx(0.675)
    assert q.baseline == pytest.approx(0.775)
    assert q.change == pytest.approx(-0.1)
    assert q.unscored_requests == 0 and q.baseline_unscored_requests == 0
    assert not q.below_floor and q.floor is None
    # tier 0: 0.7 against 0.9; tier 1 unchanged at 0.65
    tiers = {row.key: row for row in q.by_tier}
    assert tiers["tier 0"].expected == pytest.approx(0.7) and tiers["tier 0"].baseline == pytest.approx(0.9)
    assert tiers["tier 0"].change == pytest.approx(-0.2)
    assert tiers["tier 1"].expected == pytest.approx(0.65) and tiers["tier 1"].change == pytest.approx(0.0)
    # cost: 3 x 0.00065 + 0.013 = 0.01495
    assert report.policies[0].total_cost_usd == pytest.approx(0.01495)
    assert report.quality is not None and report.quality.baseline == pytest.approx(0.775)


def test_without_a_quality_file_nothing_changes(table: PriceTable, frame: pd.DataFrame) -> None:
    report = simulate(frame, table, [named("cheap-class", **CHEAP_CLASS)])
    assert report.policies[0].quality is None and report.quality is None and report.frontier is None
    data = report.to_dict()
    assert data["frontier"] is None and data["policies"][0]["quality"] is None
    assert "quality" not in render(report, "table", RenderOptions(width=120))


@pytest.mark.parametrize(
    ("bounds", "below", "tier0_below"),
    [
        ("floor: 0.7\n", True, False),  # 0.675 < 0.7
        ("floor: 0.675\n", False, False),  # equal (up to float noise) is not below
        ("floor: 0.6\nfloors: {0: 0.75}\n", True, True),  # overall fine, tier 0 at 0.7 < 0.75
        ("floors: {1: 0.65}\n", False, False),  # tier 1 at 0.65 = its floor
    ],
)
def test_floors_flag_a_policy(
    tmp_path: Path, table: PriceTable, frame: pd.DataFrame, bounds: str, below: bool, tier0_below: bool
) -> None:
    quality = scores(tmp_path, table, SCORES.replace("version: 1\n", "version: 1\n" + bounds))
    report = simulate(frame, table, [named("cheap-class", **CHEAP_CLASS)], quality=quality)
    q = report.policies[0].quality
    assert q is not None and q.below_floor is below
    assert {r.key: r.below_floor for r in q.by_tier}["tier 0"] is tier0_below
    text = render(report, "table", RenderOptions(width=140))
    assert ("BELOW FLOOR" in text) is below
    assert ("Below the quality floor: cheap-class" in text) is below


def test_frontier_leaves_out_the_dominated_policy(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    policies = [
        named("cheap-class", **CHEAP_CLASS),  # $0.01495, quality 0.675 (above)
        named("all-big", **ALL_BIG),  # 4 x 0.013 = $0.052; (0.9 + 0.9 + 0.8 + 0.8) / 4 = 0.85
        # all-big plus a verify pass on big at half size: 500 x 10 + 50 x 30 = 6,500 -> $0.0065 more per
        # request: 4 x (0.013 + 0.0065) = $0.078, same quality 0.85: all-big is cheaper and as good.
        named("all-big-verified", routes=[{"to": {"model": "big"}, "verify": {"model": "big", "token_scale": 0.5}}]),
    ]
    report = simulate(frame, table, policies, quality=scores(tmp_path, table))
    costs = {p.name: p.total_cost_usd for p in report.policies}
    assert costs == pytest.approx({"cheap-class": 0.01495, "all-big": 0.052, "all-big-verified": 0.078})
    assert {p.name: p.quality.expected for p in report.policies if p.quality} == pytest.approx(
        {"cheap-class": 0.675, "all-big": 0.85, "all-big-verified": 0.85}
    )
    # The baseline ($0.03965, 0.775) sits between cheap-class and all-big: on the frontier too.
    assert report.frontier == ("cheap-class", "all-big")
    assert report.quality is not None and report.quality.baseline_on_frontier
    text = render(report, "table", RenderOptions(width=140))
    assert (
        "Cost-quality frontier (cheapest first): cheap-class, baseline (as logged), all-big; "
        "dominated or unscored: all-big-verified"
    ) in text
    markdown = render(report, "markdown", RenderOptions())
    assert "| policy | monthly | period cost | savings | savings % | rerouted | cache hits | failovers | quality |" in (
        markdown
    )
    assert "| cheap-class |" in markdown and "| 0.675 (-0.100) |" in markdown
    data = json.loads(render(report, "json", RenderOptions()))
    assert data["frontier"] == ["cheap-class", "all-big"]
    assert data["quality"]["baseline_on_frontier"] is True


def test_frontier_points() -> None:
    # (cost, quality): index 1 is beaten by 0 (cheaper, better); 3 ties 2 in cost but is worse;
    # 4 has no quality; 5 equals 0 in cost up to float noise (the same costs summed in another order)
    # and in quality: neither dominates, both stay.
    points = [(1.0, 0.8), (2.0, 0.7), (3.0, 0.9), (3.0 + 1e-12, 0.85), (0.5, None), (1.0 - 1e-15, 0.8)]
    assert frontier(points) == [5, 0, 2]


def test_cascade_scores_the_expected_mix(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    cascade = named(
        "cascade",
        routes=[
            {
                "match": {"task_type": ["classification"]},
                "cascade": {"first": {"model": "small"}, "then": {"model": "big"}, "escalation": 0.25},
            }
        ],
    )
    report = simulate(frame, table, [cascade], quality=scores(tmp_path, table))
    q = report.policies[0].quality
    assert q is not None
    # r1, r2: 0.75 x 0.7 + 0.25 x 0.9 = 0.525 + 0.225 = 0.75; r3 0.8, r4 0.5: (0.75 + 0.75 + 0.8 + 0.5) / 4 = 0.7
    assert q.expected == pytest.approx(0.7)
    assert {r.key: r.expected for r in q.by_tier} == pytest.approx({"tier 0": 0.75, "tier 1": 0.65})


def test_cache_hit_keeps_the_score_of_the_cached_model(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    repeated = frame.assign(prompt_hash=[1, 1, 3, 4])  # r2 repeats r1's prompt at the same time
    policy = named("cached", cache={"response": {"ttl": "1h"}}, **CHEAP_CLASS)
    report = simulate(repeated, table, [policy], quality=scores(tmp_path, table))
    p = report.policies[0]
    assert p.cache_hits == 1
    # r2 is answered from the cache of small's answer to r1: 0.7 as before, so still 2.7 / 4 = 0.675
    assert p.quality is not None and p.quality.expected == pytest.approx(0.675)


def test_unscored_requests_are_counted_and_left_out(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    text = "version: 1\nscores:\n  big: {classification: 0.9, code: 0.8}\n  small: {classification: 0.7}\n"
    policies = [named("cheap-class", **CHEAP_CLASS), named("all-small", routes=[{"to": {"model": "small"}}])]
    report = simulate(frame, table, policies, quality=scores(tmp_path, table, text))
    cheap, small = (p.quality for p in report.policies)
    assert cheap is not None and small is not None
    # baseline: r4 (code on small) has no score: (0.9 + 0.9 + 0.8) / 3 = 0.8667
    assert cheap.baseline == pytest.approx(2.6 / 3) and cheap.baseline_unscored_requests == 1
    # cheap-class: 0.7, 0.7, 0.8 and r4 unscored: 2.2 / 3
    assert cheap.expected == pytest.approx(2.2 / 3) and cheap.unscored_requests == 1
    # all-small: r3 and r4 unscored: (0.7 + 0.7) / 2 = 0.7
    assert small.expected == pytest.approx(0.7) and small.unscored_requests == 2
    tier1 = {r.key: r for r in small.by_tier}["tier 1"]
    assert tier1.expected is None and tier1.unscored_requests == 2 and tier1.change is None
    assert any("up to 2 requests" in w for w in report.warnings)
    assert "n/a" in render(report, "table", RenderOptions(width=140))


def test_a_default_scores_the_task_types_not_listed(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    text = "version: 1\nscores:\n  big: {default: 0.9}\n  small: {default: 0.6, classification: 0.7}\n"
    report = simulate(frame, table, [named("cheap-class", **CHEAP_CLASS)], quality=scores(tmp_path, table, text))
    q = report.policies[0].quality
    # baseline (0.9 + 0.9 + 0.9 + 0.6) / 4 = 0.825; policy (0.7 + 0.7 + 0.9 + 0.6) / 4 = 0.725
    assert q is not None and q.baseline == pytest.approx(0.825) and q.expected == pytest.approx(0.725)


def test_per_request_scores_override_for_that_model_only(
    tmp_path: Path, table: PriceTable, frame: pd.DataFrame
) -> None:
    listed = SCORES + "requests:\n  - {request_id: r1, model: small, score: 0.0}\n"
    (tmp_path / "graded.csv").write_text("request_id,model,score\nr1,small,0.0\n")
    in_csv = SCORES + "requests: graded.csv\n"
    for text, name in ((listed, "listed.yaml"), (in_csv, "csv.yaml")):
        report = simulate(
            frame, table, [named("cheap-class", **CHEAP_CLASS)], quality=scores(tmp_path, table, text, name)
        )
        q = report.policies[0].quality
        # r1 on small is graded 0.0: (0.0 + 0.7 + 0.8 + 0.5) / 4 = 0.5; the baseline served r1 on big: 0.775
        assert q is not None and q.expected == pytest.approx(0.5) and q.baseline == pytest.approx(0.775), name


def test_a_scale_other_than_0_1(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    text = "version: 1\nscale: 0-100\nfloor: 70\nscores:\n  big: {default: 90}\n  small: {default: 50}\n"
    report = simulate(frame, table, [named("cheap-class", **CHEAP_CLASS)], quality=scores(tmp_path, table, text))
    q = report.policies[0].quality
    # baseline (90 x 3 + 50) / 4 = 80; policy (50 + 50 + 90 + 50) / 4 = 60, below the floor of 70
    assert q is not None and q.baseline == pytest.approx(80) and q.expected == pytest.approx(60) and q.below_floor
    assert "60.0 (-20.0) BELOW FLOOR" in render(report, "table", RenderOptions(width=140))


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("version: 1\nscores:\n  big: {classification: 0.9}\n  small: {clasification: 0.7}\n", 4, "scores.small"),
        ("version: 1\nscores:\n  big: {default: 0.9}\nfloors: {0: 0.7}\nflor: 0.5\n", 5, "flor"),
        ("version: 1\nscores:\n  big:\n    default: 1.5\n", 4, "scores.big.default"),
        ("version: 1\nscale: 1-1\nscores:\n  big: {default: 1}\n", 2, "scale"),
        ("version: 1\nfloor: 2\nscores:\n  big: {default: 1}\n", 2, "floor"),
        ("version: 2\nscores:\n  big: {default: 1}\n", 1, "version"),
        ("version: 1\nscores:\n  big: {default: 1}\n  BIG: {default: 1}\n", 4, "scores.BIG"),
        (
            "version: 1\nscores: {big: {default: 1}}\nrequests:\n  - {request_id: r1, model: big, score: 1}\n"
            "  - {request_id: r1, model: big, score: 0}\n",
            5,
            "scored twice",
        ),
    ],
)
def test_a_bad_file_names_file_line_and_field(
    tmp_path: Path, table: PriceTable, text: str, line: int, field: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        scores(tmp_path, table, text)
    message = str(caught.value)
    assert f"quality.yaml:{line}:" in message and field in message, message


def test_a_bad_csv_names_its_line(tmp_path: Path, table: PriceTable) -> None:
    (tmp_path / "graded.csv").write_text("request_id,model,score\nr1,small,0.5\nr2,small,high\n")
    with pytest.raises(ConfigError, match=r"graded\.csv:3: score: 'high' is not a number"):
        scores(tmp_path, table, SCORES + "requests: graded.csv\n")


# -- the CLI on the sample logs -----------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_end_to_end_on_the_sample_logs(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    identity = tmp_path / "identity.yaml"
    identity.write_text("schema_version: 1\nname: identity\n")
    policies = ["-P", str(identity)]
    for name in ("task-map", "four-tiers", "cascade", "frontier-baseline"):
        policies += ["-P", f"examples/policies/{name}.yaml"]
    routed = tmp_path / "routed.csv"
    args = ["simulate", "sample_logs", *policies, "--quality", "examples/quality.yaml", "-q"]
    code, out, err = run(capsys, *args, "-f", "json", "--per-request", str(routed))
    assert code == 0, err
    data = json.loads(out)
    # examples/quality.yaml scores every model of the sample logs and of the example policies
    assert data["quality"]["baseline_unscored_requests"] == 0
    assert not [w for w in data["warnings"] if "quality" in w]
    by_name = {p["name"]: p["quality"] for p in data["policies"]}
    for q in by_name.values():
        assert q["unscored_requests"] == 0 and 0 < q["expected"] < 1
        # the JSON rounds each to 10 decimals on its own: equal to within two roundings
        assert q["change"] == pytest.approx(q["expected"] - q["baseline"], abs=2e-10)
    # the identity policy serves every request on its logged model: exactly the baseline
    assert by_name["identity"]["expected"] == pytest.approx(data["quality"]["baseline"])
    assert by_name["identity"]["change"] == pytest.approx(0.0, abs=1e-12)
    # a policy on the frontier is not beaten by any other on both cost and quality
    costs = {p["name"]: p["total_cost_usd"] for p in data["policies"]}
    for name in data["frontier"]:
        assert not any(
            costs[o] < costs[name] and by_name[o]["expected"] > by_name[name]["expected"] for o in costs if o != name
        )
    # the --per-request file's expected_quality averages to each policy's expected quality
    rows = pd.read_csv(routed)
    means = rows.groupby("policy")["expected_quality"].mean()
    for name, q in by_name.items():
        assert means[name] == pytest.approx(q["expected"])
    code, out, err = run(capsys, *args, "-f", "table")
    assert code == 0, err
    assert "Cost-quality frontier (cheapest first):" in out and "quality" in out


def test_cli_bad_quality_file_exits_2_with_file_and_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(ROOT)
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nscores:\n  gpt-4o: {default: 0.9}\n  gpt-4o-mini: {poetry: 0.8}\n")
    code, out, err = run(
        capsys, "simulate", "sample_logs", "-P", "examples/policies/task-map.yaml", "--quality", str(bad), "-q"
    )
    assert code == 2 and out == ""
    assert f"{bad}:4: scores.gpt-4o-mini.poetry" in err and "Traceback" not in err


def test_quality_from_the_project_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "llmaudit.yaml"
    config.write_text(
        f"logs: [{ROOT / 'sample_logs'}]\npolicies: [{ROOT / 'examples/policies/task-map.yaml'}]\n"
        f"quality: {ROOT / 'examples/quality.yaml'}\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "simulate", "-q", "-f", "json")
    assert code == 0, err
    assert json.loads(out)["policies"][0]["quality"]["expected"] is not None
