"""Thresholds: flags over config, noise, budget, unpriced traffic; each failure says by how much."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.check.gate import Thresholds, judge
from llmaudit.cli import main
from tests.check.project import write_project


def test_flags_win_over_the_config() -> None:
    config = Thresholds(max_increase_pct=5, max_increase_usd=100, fail_on_unpriced=True)
    merged = config.merged({"max_increase_pct": 20.0, "fail_on_unpriced": False, "max_monthly_usd": None})
    assert merged == Thresholds(max_increase_pct=20.0, max_increase_usd=100.0, fail_on_unpriced=False)
    assert Thresholds().merged({}) == Thresholds()
    assert Thresholds.model_validate({"fail_on_unpriced": None}) == Thresholds()  # an empty YAML value
    assert not Thresholds().any and merged.any


def test_each_threshold_says_by_how_much() -> None:
    t = Thresholds(max_increase_pct=10, max_increase_usd=50, max_monthly_usd=1000, fail_on_unpriced=True)
    # 1000 -> 1200: +$200 = +20%; over 10% by 10 points, over $50 by $150, over the $1,000 budget by $200.
    v = judge(1000.0, 1200.0, 3, t)
    assert not v.passed
    assert [f.message for f in v.failures] == [
        "projected monthly cost rises 20.0%, above the 10% allowed (by 10.0 percentage points)",
        "projected monthly cost rises $200.00, above the $50.00 allowed (by $150.00)",
        "projected monthly cost $1,200.00 exceeds the $1,000.00 budget (by $200.00)",
        "3 requests go to models without a price (their cost is unknown); add the models to a price table (--pricing)",
    ]
    assert [f.threshold for f in v.failures] == [
        "max_increase_pct",
        "max_increase_usd",
        "max_monthly_usd",
        "fail_on_unpriced",
    ]


def test_limits_are_inclusive_and_savings_never_fail() -> None:
    t = Thresholds(max_increase_pct=10, max_increase_usd=100)
    assert judge(1000.0, 1100.0, 0, t).passed  # exactly +10% and +$100
    assert judge(1000.0, 10.0, 0, t).passed


def test_noise_below_min_change_is_quiet_but_the_budget_still_applies() -> None:
    t = Thresholds(max_increase_pct=1, min_change_usd=5, max_monthly_usd=100)
    # 100 -> 104: +4% is above 1%, but $4 is below the $5 noise floor.
    # ... but $104 is over the $100 budget, and a failed check is never called quiet.
    over = judge(100.0, 104.0, 0, t)
    assert not over.passed and not over.quiet
    assert [f.threshold for f in over.failures] == ["max_monthly_usd"]
    calm = judge(90.0, 94.0, 0, t)
    assert calm.passed and calm.quiet


def test_from_zero_any_increase_crosses_a_percent_limit() -> None:
    v = judge(0.0, 5.0, 0, Thresholds(max_increase_pct=10))
    assert not v.passed and "rises from $0 to $5.00" in v.failures[0].message


def test_thresholds_from_pyproject(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # The project (tests/check/project.py) costs $25.00 a month under policy.yaml; a budget of
    # $20 in [tool.llmaudit.check] fails it by $5.00; --max-monthly-usd 30 on the command line wins.
    root = write_project(tmp_path)
    config = (root / "llmaudit.yaml").read_text()
    (root / "llmaudit.yaml").unlink()
    body = config.split("check:")[0]
    (root / "pyproject.toml").write_text(
        "[tool.llmaudit]\n"
        'logs = ["logs/"]\npricing = ["prices.yaml"]\npolicies = ["policy.yaml"]\ntag_rules = "tags.yaml"\n'
        "[tool.llmaudit.check]\nmax_monthly_usd = 20\n"
    )
    assert "logs: [logs/]" in body
    args = ["check", "--config", str(root / "pyproject.toml"), "-q", "--baseline-policy", str(root / "policy.yaml")]
    code = main([*args, "-f", "json"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "llmaudit: check failed: projected monthly cost $25.00 exceeds the $20.00 budget (by $5.00)" in err
    assert json.loads(out)["thresholds"]["max_monthly_usd"] == 20
    assert main([*args, "--max-monthly-usd", "30"]) == 0


def test_a_failure_says_what_passes() -> None:
    # $812.34 -> $905.10 a month: +$92.76 = +11.4188...% of $812.34.
    # 5% allows 812.34 * 1.05 = $852.957 (cents down: $852.95); $40 allows $852.34, the lower:
    # reduce by 905.10 - 852.34 = $52.76, or raise the limits to 11.5% (11.4188 up to 0.1) and $92.76.
    v = judge(812.34, 905.10, 0, Thresholds(max_increase_pct=5, max_increase_usd=40))
    assert v.to_pass is not None
    assert v.to_pass.target_monthly_usd == 852.34
    assert v.to_pass.reduce_by_usd == pytest.approx(52.76, abs=1e-9)
    assert v.to_pass.raise_limits == {"max_increase_pct": 11.5, "max_increase_usd": 92.76}
    assert v.to_pass.intended_increase and not v.to_pass.price_unpriced
    # The percent limit alone: the target is its allowance, cents rounded down (852.957 -> 852.95).
    alone = judge(812.34, 905.10, 0, Thresholds(max_increase_pct=5)).to_pass
    assert alone is not None and alone.target_monthly_usd == 852.95
    assert alone.reduce_by_usd == pytest.approx(52.15, abs=1e-9)
    assert judge(812.34, 852.95, 0, Thresholds(max_increase_pct=5)).passed  # the target passes


def test_what_passes_from_zero_and_with_unpriced_traffic() -> None:
    # From $0 no percent allows an increase: only a cost of $0 passes, no raised percent does.
    zero = judge(0.0, 5.0, 0, Thresholds(max_increase_pct=10)).to_pass
    assert zero is not None and (zero.reduce_by_usd, zero.target_monthly_usd, zero.raise_limits) == (5.0, 0.0, {})
    # Unpriced traffic alone: no cost to cut, the models need prices.
    unpriced = judge(10.0, 10.0, 2, Thresholds(fail_on_unpriced=True)).to_pass
    assert unpriced is not None and unpriced.reduce_by_usd is None and unpriced.price_unpriced
    assert not unpriced.intended_increase
    assert judge(10.0, 11.0, 0, Thresholds(max_increase_pct=20)).to_pass is None


def test_a_failing_comment_ends_with_the_action_to_pass(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # The project costs $25.00 a month under policy.yaml on both sides; a $20 budget fails by $5.00.
    root = write_project(tmp_path)
    args = ["check", "--config", str(root / "llmaudit.yaml"), "-q", "--baseline-policy", str(root / "policy.yaml")]
    args += ["--max-monthly-usd", "20"]
    assert main([*args, "-f", "markdown"]) == 1
    comment = capsys.readouterr().out.rstrip()
    assert comment.endswith(
        "**To pass:** reduce the projected monthly cost by $5.00 (to $20.00 or less), "
        "or raise `--max-monthly-usd` to $25.00 (or the same keys under check: in llmaudit.yaml)."
    )
    assert main([*args, "-f", "json"]) == 1
    to_pass = json.loads(capsys.readouterr().out)["verdict"]["to_pass"]
    assert to_pass == {
        "reduce_by_usd": 5.0,
        "target_monthly_usd": 20.0,
        "raise_limits": {"max_monthly_usd": 25.0},
        "price_unpriced": False,
        "intended_increase": False,
    }
    assert main([*args, "-f", "table"]) == 1
    assert "To pass: reduce the projected monthly cost by $5.00" in capsys.readouterr().out
    assert main([*args, "--max-monthly-usd", "25", "-f", "markdown"]) == 0
    assert "To pass" not in capsys.readouterr().out
