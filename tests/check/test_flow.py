"""The whole CI flow in a temporary git repository (issue 7, "Done when").

A baseline is saved on the base commit; three pull requests branch from it and are
checked against it. Every expected figure is worked out by hand from the synthetic
project (tests/check/project.py: one logged period is exactly one month, chat $2.50 on
frontier-x and $0.20 on budget-y, classification $2.30 and $0.22).

The base: 10 chat requests routed to budget-y (10 x 0.20 = 2.00) and 10 classification
requests left on frontier-x (10 x 2.30 = 23.00): C0 = $25.00 a month over 20 requests
a month ($1.25 a request).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from pathlib import Path

import pytest

from llmaudit.cli import main
from tests.check.project import POLICY_BASE, write_project

CENT = 0.01


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def effects(report: dict) -> dict[str, float]:
    """Effects by name; asserts they add up to the total change within a cent."""
    found = {e["name"]: e["change_usd"] for e in report["effects"]}
    assert sum(found.values()) == pytest.approx(report["change_usd"], abs=CENT)
    assert report["change_usd"] == pytest.approx(
        report["head"]["monthly_cost_usd"] - report["baseline"]["monthly_cost_usd"], abs=CENT
    )
    return found


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    """The base commit, with its baseline saved to ../base.json by `llmaudit baseline`."""
    root = write_project(tmp_path / "repo")
    git(root, "init", "-q")
    commit(root, "base")
    monkeypatch.chdir(root)
    code, _, err = run(capsys, "baseline", "-q", "-o", str(tmp_path / "base.json"))
    assert code == 0, err
    saved = json.loads((tmp_path / "base.json").read_text())
    # The saved simulation itself: 25.00 a month under the base policy (see module doc).
    assert saved["policies"][0]["projected_monthly_cost_usd"] == pytest.approx(25.00, abs=1e-9)
    assert saved["traffic"]["monthly_requests"] == pytest.approx(20.0)
    return root


def branch(repo: Path, name: str) -> None:
    git(repo, "checkout", "-q", "main")
    git(repo, "checkout", "-q", "-b", name)


def check(capsys: pytest.CaptureFixture[str], repo: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run(capsys, "check", "-q", "--baseline", str(repo.parent / "base.json"), "-f", "json", *extra)
    return code, json.loads(out) if out else {}, err


def test_unchanged_pull_request_passes_with_nothing_moved(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report, err = check(capsys, repo)
    assert code == 0, err
    assert report["same_traffic"] is True and report["notes"] == []
    assert all(abs(v) < 1e-9 for v in effects(report).values())
    assert report["head"]["monthly_cost_usd"] == pytest.approx(25.00)


def test_price_tables_name_the_shipped_ones_as_one(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from llmaudit.pricing import load_pricing

    shipped = load_pricing().tables
    newest = max(t.as_of for t in shipped).isoformat()
    code, report, err = check(capsys, repo)
    assert code == 0, err
    # the project's own table by name, after the shipped ones counted once
    assert report["head"]["pricing"] == [f"shipped ({len(shipped)} tables, as of {newest})", "team-prices"]


def test_doubling_frontier_traffic_fails_on_volume_and_routing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The pull request doubles chat traffic (10 -> 20 requests in the month) and sends chat
    # to the frontier tier instead of the budget one.
    branch(repo, "more-frontier")
    write_project(repo, chat=20)
    (repo / "policy.yaml").write_text(POLICY_BASE.replace("to: {tier: budget}", "to: {tier: frontier}"))
    commit(repo, "double chat, on frontier")
    code, report, err = check(capsys, repo, "--max-increase-usd", "20")
    # C4 = 20 chat x 2.50 + 10 classification x 2.30 = 50.00 + 23.00 = 73.00; change 73 - 25 = +48.00.
    # volume = 1.25 a request x (30 - 20) requests = +12.50
    # C1 (new traffic, old policy and prices) = 20 x 0.20 + 23.00 = 27.00; mix = 27.00 - 25.00 - 12.50 = -10.50
    #   (the 10 added requests are chat at 0.20 against 1.25 on average: 10 x -1.05 = -10.50)
    # prices 0; routing = C3 - C2 = 73.00 - 27.00 = +46.00; caching 0. Sum: 12.5 - 10.5 + 46 = 48.00.
    assert code == 1
    found = effects(report)
    assert report["change_usd"] == pytest.approx(48.00, abs=1e-9)
    assert report["change_share"] == pytest.approx(48.00 / 25.00)
    assert found == pytest.approx({"volume": 12.50, "mix": -10.50, "prices": 0.0, "routing": 46.00, "caching": 0.0})
    # The limits crossed, with by how much: 192.0% vs 10% (config), $48.00 vs $20.00 (flag).
    assert "projected monthly cost rises 192.0%, above the 10% allowed (by 182.0 percentage points)" in err
    assert "projected monthly cost rises $48.00, above the $20.00 allowed (by $28.00)" in err
    assert report["same_traffic"] is False
    assert "the baseline was built from different traffic: 20 requests over 30.4 days" in report["notes"][0]
    routing = next(e for e in report["effects"] if e["name"] == "routing")
    # Chat moved from budget-y (20 x 0.20 = 4.00) to frontier-x (20 x 2.50 = 50.00).
    moved = {d["key"]: d["change_usd"] for d in routing["drivers"] if d["kind"] == "model"}
    assert moved == pytest.approx({"frontier-x": 50.00 - 0.0, "budget-y": -4.00})
    # The PR comment names the volume and routing effects, verdict first.
    code, out, _ = run(capsys, "check", "-q", "--baseline", str(repo.parent / "base.json"), "-f", "markdown")
    assert code == 1
    lines = out.splitlines()
    assert lines[1].startswith(
        "### :x: llmaudit check FAILED: projected monthly cost rises by $48.00 a month (+192.0%)"
    )
    assert "| Volume | +$12.50 | +50.0% | +10 requests a month |" in lines
    assert "| Routing | +$46.00 | +184.0% | frontier-x +$50.00, budget-y -$4.00; tier 1 +$46.00 |" in lines
    assert "| **Total** | **+$48.00** | **+192.0%** | |" in lines


def test_classification_to_a_budget_model_passes_and_shows_the_saving(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    branch(repo, "budget-classification")
    (repo / "policy.yaml").write_text(
        POLICY_BASE + "  - name: classify\n    match: {task_type: [classification]}\n    to: {model: budget-y}\n"
    )
    commit(repo, "classification on budget-y")
    code, report, err = check(capsys, repo)
    # C4 = 10 chat x 0.20 + 10 classification x 0.22 = 2.00 + 2.20 = 4.20; change 4.20 - 25.00 = -20.80,
    # all of it routing (-20.80 / 25.00 = -83.2%).
    assert code == 0, err
    assert effects(report) == pytest.approx({"volume": 0, "mix": 0, "prices": 0, "routing": -20.80, "caching": 0})
    assert report["change_share"] == pytest.approx(-0.832)
    code, out, _ = run(capsys, "check", "-q", "--baseline", str(repo.parent / "base.json"), "-f", "markdown")
    assert code == 0
    assert "passed: projected monthly cost falls by $20.80 a month (-83.2%): $25.00 -> $4.20" in out.splitlines()[1]
    assert "| Routing | -$20.80 | -83.2% | frontier-x -$23.00, budget-y +$2.20; tier 0 -$20.80 |" in out


def test_a_price_change_alone_is_attributed_to_prices(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    branch(repo, "new-prices")
    write_project(repo, frontier_output=40)  # frontier-x output $30 -> $40 per million
    commit(repo, "frontier-x output price up")
    code, report, err = check(capsys, repo)
    # Only the 10 classification requests stay on frontier-x: 10 x 10,000 output tokens x $10/1e6 = +$1.00
    # (chat is routed to budget-y, whose prices did not change). +1.00 / 25.00 = +4.0%, within 10%.
    assert code == 0, err
    assert effects(report) == pytest.approx({"volume": 0, "mix": 0, "prices": 1.00, "routing": 0, "caching": 0})
    assert report["same_traffic"] is True
    prices = next(e for e in report["effects"] if e["name"] == "prices")
    assert {d["key"]: d["change_usd"] for d in prices["drivers"]} == pytest.approx(
        {"tier 0": 1.00, "classification": 1.00, "frontier-x": 1.00}
    )
    # The same comparison without a saved file: the base branch's price table, from git.
    old = tmp_path / "old-prices.yaml"
    old.write_text(git(repo, "show", "main:prices.yaml"))
    code, out, err = run(capsys, "check", "-q", "--baseline-pricing", str(old), "-f", "json")
    assert code == 0, err
    same_run = json.loads(out)
    assert effects(same_run) == pytest.approx(effects(report))
    assert same_run["baseline_kind"] == "same-run"


def test_policy_change_compared_in_one_run(repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    branch(repo, "frontier-chat")
    (repo / "policy.yaml").write_text(POLICY_BASE.replace("to: {tier: budget}", "to: {tier: frontier}"))
    commit(repo, "chat on frontier")
    old = tmp_path / "old-policy.yaml"
    old.write_text(git(repo, "show", "main:policy.yaml"))
    code, out, err = run(
        capsys, "check", "-q", "--baseline-policy", str(old), "-f", "json", "--max-increase-pct", "200"
    )
    # Chat moves from budget-y to frontier-x: 10 x (2.50 - 0.20) = +23.00 (23.00 / 25.00 = +92%, within 200%).
    assert code == 0, err
    report = json.loads(out)
    assert effects(report) == pytest.approx({"volume": 0, "mix": 0, "prices": 0, "routing": 23.00, "caching": 0})


def test_steps_with_the_same_inputs_replay_once(
    repo: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import llmaudit.check.run as check_run

    calls: list[str] = []
    evaluate = check_run.evaluate
    monkeypatch.setattr(
        check_run,
        "evaluate",
        lambda frame, table, policy, months: calls.append(policy.name) or evaluate(frame, table, policy, months),
    )
    old = tmp_path / "old-policy.yaml"
    old.write_text((repo / "policy.yaml").read_text().replace("to: {tier: budget}", "to: {tier: frontier}"))
    # Only a baseline policy (same cache section): steps 1 and 2 both replay the base policy on
    # the same prices, steps 3 and 4 the head policy: 2 replays instead of 4.
    code, _, err = run(capsys, "check", "-q", "--baseline-policy", str(old), "-f", "json")
    assert code in (0, 1), err
    assert len(calls) == 2
    # Only baseline prices: step 1 on the old prices; steps 2, 3 and 4 are one replay on the new.
    calls.clear()
    code, _, err = run(capsys, "check", "-q", "--baseline-pricing", str(repo / "prices.yaml"), "-f", "json")
    assert code in (0, 1), err
    assert len(calls) == 2


def test_same_inputs_give_the_same_bytes(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    branch(repo, "more-frontier")
    write_project(repo, chat=20)
    commit(repo, "double chat")
    for fmt in ("markdown", "json", "table", "csv"):
        first = run(capsys, "check", "-q", "--baseline", str(repo.parent / "base.json"), "-f", fmt)
        second = run(capsys, "check", "-q", "--baseline", str(repo.parent / "base.json"), "-f", fmt)
        assert first == second, fmt
        assert first[1], fmt
    # The CSV: one row per effect and a total (hand figures as in the doubling test, same policy:
    # volume 1.25 x 10 = 12.50; mix: C1 = 20 x 0.20 + 23.00 = 27.00, 27.00 - 25.00 - 12.50 = -10.50).
    rows = list(csv.reader(io.StringIO(first[1])))
    assert rows[0] == ["effect", "change_usd", "share_of_baseline", "drivers"]
    assert [(r[0], float(r[1])) for r in rows[1:]] == [
        ("volume", 12.5),
        ("mix", -10.5),
        ("prices", 0.0),
        ("routing", 0.0),
        ("caching", 0.0),
        ("total", 2.0),
    ]
