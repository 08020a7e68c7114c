"""The scores logs carry, through the CLI: analyze's account of them, simulate's use of them
as quality evidence, --score-name/--score-scale. Numbers worked out by hand beside each check."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main
from tests.conftest import LOGS

HELICONE = LOGS / "helicone" / "scores.jsonl"
PRICES = """\
schema_version: 1
name: scores-cli
source: tests
as_of: 2026-11-01
models:
  big: {provider: openai, input: 10, output: 30}
  small: {provider: openai, input: 0.5, output: 1.5}
"""
# Untagged requests (no text): task type "unknown", tier 2; the policy routes them (unknown: route).
LOG = """\
id,ts,model,in,out,stars
a1,2026-03-01T10:00:00Z,big,1000,100,5
a2,2026-03-01T11:00:00Z,big,1000,100,1
a3,2026-03-01T12:00:00Z,big,1000,100,4
a4,2026-03-01T13:00:00Z,small,1000,100,
"""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_reports_scored_requests_and_the_mean_per_model(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "analyze", str(HELICONE), "-f", "json", "-q")
    assert code == 0, err
    scores = json.loads(out)["scores"]
    # h1 up, h2 down, h4 up (thumbs); h3's accuracy 80 is off the 0-1 scale: (1 + 0 + 1) / 3
    assert scores["scored_requests"] == 3 and scores["names"] == {"feedback": 3}
    assert scores["by_model"] == [
        {"model": "gpt-4o-mini", "requests": 5, "scored_requests": 3, "mean_score": pytest.approx(2 / 3)}
    ]
    code, out, err = run(
        capsys, "analyze", str(HELICONE), "-f", "json", "-q", "--score-name", "accuracy", "--score-scale", "0-100"
    )
    assert code == 0, err
    # h3 80 and h4 90 on 0-100: (0.8 + 0.9) / 2
    row = json.loads(out)["scores"]["by_model"][0]
    assert (row["scored_requests"], row["mean_score"]) == (2, pytest.approx(0.85))


def test_analyze_table_shows_the_scores(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, err = run(capsys, "analyze", str(LOGS / "langfuse" / "trace_scores.json"), "-q")
    assert code == 0, err
    assert "Logged scores (0-1)" in out and "Scores from helpfulness (1)." in out
    assert "1 score ambiguous" in out and "1 score categorical" in out


def test_a_bad_score_scale_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "analyze", str(HELICONE), "-q", "--score-scale", "5-1")
    assert code == 2
    assert "--score-scale '5-1' is not a range of scores" in err


def test_simulate_uses_logged_scores_as_quality_evidence(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    prices = tmp_path / "prices.yaml"
    prices.write_text(PRICES)
    log = tmp_path / "log.csv"
    log.write_text(LOG)
    policy = tmp_path / "all-big.yaml"
    policy.write_text("schema_version: 1\nname: all-big\nunknown: route\nroutes:\n  - to: {model: big}\n")
    args = ["simulate", str(log), "-P", str(policy), "-p", str(prices), "-q", "-f", "json"]
    args += ["--map", "request_id=id", "--map", "timestamp=ts", "--map", "model=model"]
    args += ["--map", "input_tokens=in", "--map", "output_tokens=out", "--map", "score=stars"]
    code, out, err = run(capsys, *args, "--score-scale", "1-5")
    assert code == 0, err
    data = json.loads(out)
    # stars 5, 1, 4 on 1-5: 1, 0, 0.75 for big; a4 (small) has none.
    # baseline: (1 + 0 + 0.75) / 3 scored = 0.583333; all-big moves a4 to big, which
    # takes big's mean for its task type (0.583333): (1.75 + 0.583333) / 4 = 0.583333
    assert data["quality"]["source"] == "logged scores"
    assert data["quality"]["baseline"] == pytest.approx(1.75 / 3)
    assert data["quality"]["baseline_unscored_requests"] == 1
    q = data["policies"][0]["quality"]
    assert q["expected"] == pytest.approx(1.75 / 3) and q["unscored_requests"] == 0
    # with a quality file that scores small but not big, the logs fill big
    quality = tmp_path / "quality.yaml"
    quality.write_text("version: 1\nscores:\n  small: {default: 0.2}\n")
    code, out, err = run(capsys, *args, "--score-scale", "1-5", "--quality", str(quality))
    assert code == 0, err
    data = json.loads(out)
    assert data["quality"]["source"] == f"{quality} + logged scores for big"
    # baseline (1 + 0 + 0.75 + 0.2) / 4 = 0.4875
    assert data["quality"]["baseline"] == pytest.approx(0.4875)
    assert data["policies"][0]["quality"]["expected"] == pytest.approx((1.75 + 1.75 / 3) / 4)


def test_shadow_from_logs_writes_the_logged_scores_as_evidence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "evidence.yaml"
    trace = str(LOGS / "langfuse" / "trace_scores.json")
    code, out, err = run(capsys, "shadow", trace, "--from-logs", "--score-name", "helpfulness", "-o", str(out_file))
    assert code == 0, err
    assert "2 of 2 requests carry a score: helpfulness (2)" in out
    # gen-1 0.6, gen-2 0.9: mean 0.75; t interval with 1 df: 12.706 x 0.212132 / sqrt(2) = 1.906 -> [0, 1]
    assert "n=2    mean 0.75 [0.00, 1.00] t  (too few samples)" in out
    doc = out_file.read_text()
    assert "request_id: gen-1" in doc and "score: 0.9" in doc
    code, _, err = run(capsys, "shadow", str(LOGS / "helicone" / "requests.jsonl"), "--from-logs", "-o", str(out_file))
    assert code == 2 and "no request in the logs carries a score" in err
    code, _, err = run(capsys, "shadow", trace, "--from-logs", "-c", "gpt-4o", "-o", str(out_file))
    assert code == 2 and "--from-logs sends nothing" in err


def test_simulate_warns_when_scores_of_several_names_are_mixed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    policy = tmp_path / "identity.yaml"
    policy.write_text("schema_version: 1\nname: identity\n")
    logs = [str(LOGS / "langfuse" / "trace_scores.json"), str(HELICONE)]
    code, out, err = run(capsys, "simulate", *logs, "-P", str(policy), "-q", "-f", "json")
    assert code == 0, err
    # gen-1's helpfulness and the Helicone thumbs (h1, h2, h4)
    assert any(
        w.startswith("the logs carry scores under 2 names: feedback (3), helpfulness (1)")
        for w in json.loads(out)["warnings"]
    )
