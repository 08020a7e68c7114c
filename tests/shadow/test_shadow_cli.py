"""``llmaudit shadow`` end to end against a real HTTP server on 127.0.0.1 (tests/shadow/server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from llmaudit.cli import main
from llmaudit.tagging import tag_requests
from tests.shadow.conftest import CLASSIFY, KEY
from tests.shadow.server import FakeOpenAI, Script

Z = 1.959963984540054


def positive(body: dict) -> str:
    return "Positive." if "sentiment" in body["messages"][-1]["content"] else "A sturdy hiking backpack."


def negative(body: dict) -> str:
    return "negative" if "sentiment" in body["messages"][-1]["content"] else "A bag."


def always_a(body: dict) -> str:
    return "A"


def scripts(**extra: Script) -> dict[str, Script]:
    return {
        "gpt-4.1-mini": Script(positive),
        "gpt-4o-mini": Script(negative),
        "gpt-4.1": Script(always_a),
        **extra,
    }


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


def base(logs: Path, server: FakeOpenAI, tmp_path: Path, *cands: str) -> list[str]:
    args = ["shadow", str(logs), "--base-url", server.url, "--api-key-env", "SHADOW_TEST_KEY", "-q"]
    args += ["--cache", str(tmp_path / "cache.sqlite"), "--output", str(tmp_path / "evidence.yaml")]
    for c in cands or ("gpt-4.1-mini",):
        args += ["-c", c]
    return args


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHADOW_TEST_KEY", KEY)
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


def test_without_yes_prints_the_plan_and_sends_nothing(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        code, out, _ = run(base(shadow_logs, server, tmp_path, "gpt-4.1-mini", "gpt-4o-mini"), capsys)
    assert code == 0
    assert server.rec.bodies == []
    assert "14 of 15 requests" in out and "1 without prompt text skipped" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("gpt-")}
    assert lines["gpt-4.1-mini"][1] == "14" and lines["gpt-4o-mini"][1] == "14"
    # 14 requests x 60 logged input tokens; output capped by the logged answers (5 tokens each).
    assert lines["gpt-4.1-mini"][3] == "840" and lines["gpt-4.1-mini"][4] == "70"
    assert "nothing sent" in out
    assert not (tmp_path / "evidence.yaml").exists()


def test_the_plan_prices_the_judge(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        code, out, _ = run(
            [*base(shadow_logs, server, tmp_path, "gpt-4.1-mini", "gpt-4o-mini"), "--judge", "gpt-4.1"], capsys
        )
    assert code == 0 and server.rec.bodies == []
    judge = next(line.split() for line in out.splitlines() if line.startswith("judge gpt-4.1"))
    # 6 open-ended requests x 2 candidates x 2 orders; each shows 60 + 2 x 5 tokens + 80 of instructions,
    # answers 2 tokens; gpt-4.1 at $2 / $8 per million input / output tokens.
    assert judge[-5:] == ["24", "0", "3,600", "48", f"${(3600 * 2 + 48 * 8) / 1e6:.4f}"]


def test_nothing_is_sent_after_the_deadline(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        code, out, _ = run([*base(shadow_logs, server, tmp_path), "--yes", "--deadline", "0"], capsys)
    assert code == 0 and server.rec.bodies == []
    assert "14 without an answer (deadline reached)" in out


def test_scores_every_mode_and_simulate_reads_the_evidence(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        args = [*base(shadow_logs, server, tmp_path, "gpt-4.1-mini", "gpt-4o-mini"), "--judge", "gpt-4.1", "--yes"]
        code, out, err = run(args, capsys)
        assert code == 0, err
        # 14 requests x 2 candidates, then 6 open-ended x 2 candidates x 2 orders for the judge.
        assert len(server.rec.bodies) == 28 + 24
        assert max(server.rec.answered.values()) == 1
    doc = yaml.safe_load((tmp_path / "evidence.yaml").read_text())
    cells = {(c["model"], c["task_type"]): c for c in doc["evidence"]["cells"]}
    good, bad = cells[("gpt-4.1-mini", "classification")], cells[("gpt-4o-mini", "classification")]
    # "Positive." matches "positive" after normalizing; "negative" does not. Wilson at p=1 and p=0:
    assert (good["n"], good["mean"], good["interval"]) == (8, 1.0, "wilson")
    assert good["low"] == pytest.approx(8 / (8 + Z * Z), abs=1e-4) and good["high"] == 1.0
    assert bad["mean"] == 0.0 and bad["high"] == pytest.approx(Z * Z / (8 + Z * Z), abs=1e-4)
    # The judge always says "A": a win in one order, a loss in the other -> 0.5 (position bias cancelled).
    creative = cells[("gpt-4.1-mini", "creative")]
    assert (creative["n"], creative["mean"], creative["interval"]) == (6, 0.5, "t")
    assert "too few samples" in out
    assert doc["scores"]["gpt-4o"] == {"classification": 1.0, "creative": 1.0}  # the reference
    assert len(doc["requests"]) == 28
    policy = tmp_path / "policy.yaml"
    policy.write_text("schema_version: 1\nname: mini\nroutes:\n  - match: {}\n    to: {model: gpt-4.1-mini}\n")
    code, out, err = run(
        [
            "simulate",
            str(shadow_logs),
            "-P",
            str(policy),
            "--quality",
            str(tmp_path / "evidence.yaml"),
            "-q",
            "-f",
            "json",
        ],
        capsys,
    )
    assert code == 0, err
    # Every request is graded on gpt-4.1-mini: 8 x 1.0 + 6 x 0.5 over 14; the logged model is the reference (1.0).
    report = json.loads(out)
    assert report["quality"]["baseline"] == 1.0
    quality = report["policies"][0]["quality"]
    assert quality["expected"] == pytest.approx((8 + 3) / 14)
    # Interval: only the classification cell is uncertain (Wilson width Z^2/(8+Z^2)), weighing 8 of 14 requests.
    half = (8 / 14) * (Z * Z / (8 + Z * Z)) / 2
    assert quality["low"] == pytest.approx(11 / 14 - half, abs=1e-3)
    assert quality["high"] == pytest.approx(11 / 14 + half, abs=1e-3)
    warning = next(w for w in report["warnings"] if "too few to trust" in w)
    # The cell's tier is the tagger's (difficulty thresholds on fitted weights), not this test's subject.
    prompt = pd.DataFrame({"user_text": pd.array([CLASSIFY.format(i=1)], dtype="str")})
    tier = int(tag_requests(prompt)["complexity_tier"].iloc[0])
    assert f"gpt-4.1-mini classification tier {tier}: 1.00 [0.68, 1.00] from 8" in warning


def test_a_rerun_sends_nothing_again(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        assert run([*base(shadow_logs, server, tmp_path), "--yes"], capsys)[0] == 0
        assert len(server.rec.bodies) == 14
        code, out, _ = run([*base(shadow_logs, server, tmp_path), "--yes"], capsys)
        assert code == 0 and len(server.rec.bodies) == 14
        assert "0 sent, 14 from the cache" in out
        # The plan says what is cached: a third look costs nothing.
        _, plan, _ = run(base(shadow_logs, server, tmp_path), capsys)
    assert "estimated cost of the priced models: $0.0000" in plan


def test_the_key_never_leaks(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        code, out, err = run([*base(shadow_logs, server, tmp_path), "--yes", "--judge", "gpt-4.1"], capsys)
        assert code == 0
        assert set(server.rec.auth) == {f"Bearer {KEY}"}  # it was sent, to the server only
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "logs.jsonl"]
    assert len(files) >= 2
    for blob in [out.encode(), err.encode(), *(p.read_bytes() for p in files)]:
        assert KEY.encode() not in blob and b"DO-NOT-LEAK" not in blob


def test_401_and_404_stop_with_exit_2_naming_endpoint_and_model(shadow_logs, tmp_path, capsys, monkeypatch):
    with FakeOpenAI(scripts(), key=KEY) as server:
        monkeypatch.setenv("SHADOW_TEST_KEY", "sk-wrong-key-abc")
        code, out, err = run([*base(shadow_logs, server, tmp_path), "--yes"], capsys)
        assert code == 2
        assert server.url in err and "gpt-4.1-mini" in err and "401" in err and "SHADOW_TEST_KEY" in err
        assert "sk-wrong-key-abc" not in out + err
        assert "Traceback" not in err
        monkeypatch.setenv("SHADOW_TEST_KEY", KEY)
        code, _, err = run([*base(shadow_logs, server, tmp_path, "gpt-4.1-nano"), "--yes"], capsys)
        assert code == 2 and "404" in err and "gpt-4.1-nano" in err
        monkeypatch.delenv("SHADOW_TEST_KEY")
        code, _, err = run([*base(shadow_logs, server, tmp_path), "--yes"], capsys)
        assert code == 2 and "SHADOW_TEST_KEY" in err and "not set" in err


def test_retry_after_429_and_500_and_timeouts_are_retried(shadow_logs, tmp_path, capsys):
    flaky = Script(positive, failures=[(429, {"Retry-After": "0.2"}), (500, {}), "stall"])
    with FakeOpenAI(scripts(**{"gpt-4.1-mini": flaky}), key=KEY, stall_s=0.4) as server:
        args = [*base(shadow_logs, server, tmp_path), "--yes", "--backoff", "0", "--timeout", "0.1", "--sample", "1"]
        code, out, err = run(args, capsys)
        assert code == 0, err
        # 2 requests sampled (one per cell), each served 429, 500, a stall, then an answer.
        assert len(server.rec.bodies) == 8 and sum(server.rec.answered.values()) == 2
        for digest in server.rec.answered:
            times = [t for d, t in zip(server.rec.bodies, server.rec.arrivals, strict=True) if d == digest]
            assert times[1] - times[0] >= 0.2  # waited as long as Retry-After asked (a lower bound only)
    assert "2 sent" in out


def test_spend_cap_stops_sending(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        args = [*base(shadow_logs, server, tmp_path), "--yes", "--max-spend", "0.000001", "--concurrency", "1"]
        code, out, err = run(args, capsys)
        assert code == 0, err
        assert sum(server.rec.answered.values()) == 1  # the first answer reached the cap
    assert "13 without an answer (spend cap reached)" in out and "(cap reached)" in out


def test_max_spend_refuses_an_unpriced_candidate(shadow_logs, tmp_path, capsys):
    with FakeOpenAI(scripts(), key=KEY) as server:
        code, _, err = run(
            [*base(shadow_logs, server, tmp_path, "my-local-llama"), "--yes", "--max-spend", "1"], capsys
        )
    assert code == 2 and "my-local-llama" in err
    assert server.rec.bodies == []


def test_scorer_command_grades_every_answer(shadow_logs, tmp_path, capsys):
    scorer = tmp_path / "scorer.py"
    scorer.write_text(
        "import json, sys\nr = json.load(sys.stdin)\n"
        "print(0.75 if r['logged_answer'] and r['candidate_answer'] else 0)\n"
    )
    with FakeOpenAI(scripts(), key=KEY) as server:
        args = [*base(shadow_logs, server, tmp_path), "--yes", "--scorer", f"{sys.executable} {scorer}"]
        code, _, err = run(args, capsys)
        assert code == 0, err
    doc = yaml.safe_load((tmp_path / "evidence.yaml").read_text())
    assert {r["score"] for r in doc["requests"]} == {0.75}
    assert all(c["interval"] == "t" for c in doc["evidence"]["cells"])
    scorer.write_text("print('great')\n")
    with FakeOpenAI(scripts(), key=KEY) as server:
        code, _, err = run(
            [*base(shadow_logs, server, tmp_path), "--yes", "--scorer", f"{sys.executable} {scorer}"], capsys
        )
    assert code == 2 and "'great'" in err and "not a number" in err


def test_ctrl_c_keeps_every_answer_and_a_rerun_sends_none_twice(shadow_logs, tmp_path):
    slow = {name: Script(s.answer, latency_ms=60) for name, s in scripts().items()}
    with FakeOpenAI(slow, key=KEY) as server:
        args = [sys.executable, "-m", "llmaudit", *base(shadow_logs, server, tmp_path, "gpt-4.1-mini", "gpt-4o-mini")]
        args += ["--yes", "--concurrency", "2"]
        env = {**os.environ, "SHADOW_TEST_KEY": KEY}
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(600):  # until a few answers are in (polling, no timing asserted)
            if sum(server.rec.answered.values()) >= 4 or proc.poll() is not None:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        first = sum(server.rec.answered.values())
        assert 4 <= first < 28
        code = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, check=False)
        assert code.returncode == 0, code.stderr
        assert sum(server.rec.answered.values()) == 28
        assert max(server.rec.answered.values()) == 1  # no request answered (paid) twice
    assert "from the cache" in code.stdout
    assert KEY not in out + err + code.stdout + code.stderr


def test_logs_and_prices_come_from_llmaudit_yaml_like_the_other_commands(shadow_logs, tmp_path, capsys, monkeypatch):
    # The config names the logs and a price table that makes gpt-4.1-mini cost $1 / $1 per
    # million tokens: the plan is 840 input + 70 output tokens, $0.000910.
    prices = tmp_path / "prices.yaml"
    prices.write_text(
        "schema_version: 1\nname: test\nsource: a test\nas_of: 2026-03-01\nmodels:\n"
        "  gpt-4.1-mini:\n    provider: openai\n    input: 1.0\n    output: 1.0\n"
    )
    (tmp_path / "llmaudit.yaml").write_text(f"logs: [{shadow_logs}]\npricing: [{prices}]\n")
    monkeypatch.chdir(tmp_path)
    args = ["shadow", "-c", "gpt-4.1-mini", "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "SHADOW_TEST_KEY"]
    code, out, err = run([*args, "-q", "--cache", str(tmp_path / "c.sqlite")], capsys)
    assert code == 0, err
    assert "14 of 15 requests" in out and "nothing sent" in out
    line = next(line.split() for line in out.splitlines() if line.startswith("gpt-4.1-mini"))
    assert line[3:] == ["840", "70", f"${(840 + 70) / 1e6:.4f}"]


def test_progress_counts_the_requests_sent_and_the_spend_on_a_terminal(shadow_logs, tmp_path, capsys, monkeypatch):
    import io
    import re

    from rich.console import Console

    from llmaudit.cli import console

    buffer = io.StringIO()
    fake = Console(file=buffer, force_terminal=True, width=120, highlight=False)
    monkeypatch.setattr(console, "stderr_console", lambda: fake)
    with FakeOpenAI(scripts(), key=KEY) as server:
        args = [*base(shadow_logs, server, tmp_path, "gpt-4.1-mini", "gpt-4o-mini"), "--judge", "gpt-4.1", "--yes"]
        code, _, err = run([a for a in args if a != "-q"], capsys)
    assert code == 0, err
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", buffer.getvalue())
    # 14 requests x 2 candidates, then the judge's 24 calls (its total is not known in advance).
    assert "sending to the candidates" in shown and "28/28" in shown
    assert "judging with gpt-4.1" in shown and "24/?" in shown
    assert "spent $" in shown
    assert KEY not in shown
