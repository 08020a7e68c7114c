"""Bad baselines and bad usage exit 2 with one clear line (no traceback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.cli import main
from tests.check.project import write_project


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A project and the text of its valid baseline."""
    root = write_project(tmp_path_factory.mktemp("project"))
    out = root / "base.json"
    code = main(["baseline", "--config", str(root / "llmaudit.yaml"), "-q", "-o", str(out)])
    assert code == 0
    return root, out.read_text()


def check(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--config", str(root / "llmaudit.yaml"), "-q", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _future(text: str) -> str:
    data = json.loads(text)
    data["schema_version"] = "3.0"
    return json.dumps(data)


def _ancient(text: str) -> str:
    data = json.loads(text)
    data["schema_version"] = "0.9"
    return json.dumps(data)


def _without(key: str) -> object:
    def edit(text: str) -> str:
        data = json.loads(text)
        del data[key]
        return json.dumps(data)

    return edit


INFRACOST = json.dumps({"version": "0.2", "currency": "USD", "projects": [], "totalMonthlyCost": "12.5"})
ANALYZE = json.dumps({"schema_version": "1.0", "tool_version": "0.1.0", "summary": {}, "findings": []})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda text: text[: len(text) // 2], "it ends in the middle of the JSON: the file is truncated (line"),
        (lambda text: "", "the file is empty"),
        (lambda text: "{not json", "it is not valid JSON (line 1, column 2"),
        (lambda text: INFRACOST, "not a file written by llmaudit (no schema_version or tool_version; top-level keys:"),
        (_without("tool_version"), "not a file written by llmaudit (no tool_version; top-level keys: baseline,"),
        (lambda text: ANALYZE, "this is `llmaudit analyze` output; check compares against a simulation"),
        (lambda text: "[1, 2]", "expected a JSON object from `llmaudit baseline`, found a JSON list"),
        (_future, "written by a newer llmaudit (schema_version 3.0; this llmaudit reads 1.x, 2.x)"),
        (_ancient, "written by an older llmaudit (schema_version 0.9, this one reads 1.x, 2.x)"),
        (_without("prices"), "which does not save what `check` replays (no 'traffic' and 'prices')"),
        (lambda text: "[" * 5000 + "]" * 5000, "it is not a baseline: JSON nested too deep"),
    ],
    ids=[
        "truncated",
        "empty",
        "not-json",
        "other-tool",
        "no-tool-version",
        "analyze",
        "list",
        "future-schema",
        "ancient-schema",
        "old-simulate",
        "deep",
    ],
)
def test_bad_baseline_exits_2_with_a_clear_message(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good: tuple[Path, str], make: object, message: str
) -> None:
    root, text = good
    bad = tmp_path / "base.json"
    bad.write_text(make(text))  # type: ignore[operator]
    code, out, err = check(capsys, root, "--baseline", str(bad))
    assert code == 2, err
    assert out == ""
    assert err.startswith(f"llmaudit: error: baseline {bad}: ")
    assert message in err
    assert "hint:" in err and "Traceback" not in err


def test_missing_baseline_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, good: tuple[Path, str]) -> None:
    code, _, err = check(capsys, good[0], "--baseline", str(tmp_path / "nope.json"))
    assert code == 2
    assert f"baseline {tmp_path / 'nope.json'}: no such file" in err
    assert "llmaudit baseline LOGS --policy POLICY.yaml -o BASE.json" in err


def test_a_broken_field_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path, good: tuple[Path, str]) -> None:
    data = json.loads(good[1])
    data["policies"][0]["replay"]["cost_by_tier_usd"] = "lots"
    bad = tmp_path / "base.json"
    bad.write_text(json.dumps(data))
    code, _, err = check(capsys, good[0], "--baseline", str(bad))
    assert code == 2
    assert "field policies[0].replay.cost_by_tier_usd: Input should be a valid dictionary" in err


def test_a_baseline_of_another_policy_name_is_found_or_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good: tuple[Path, str]
) -> None:
    data = json.loads(good[1])
    data["policies"] = [data["policies"][0], {**data["policies"][0], "name": "other"}]
    data["policies"][0] = {**data["policies"][0], "name": "renamed"}
    bad = tmp_path / "base.json"
    bad.write_text(json.dumps(data))
    code, _, err = check(capsys, good[0], "--baseline", str(bad))
    assert code == 2
    assert "it holds no policy named 'prod' (it holds: renamed, other)" in err
    assert "--baseline-name" in err
    code, _, err = check(capsys, good[0], "--baseline", str(bad), "--baseline-name", "renamed")
    assert code == 0, err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "nothing to compare with"),
        (["--baseline", "b.json", "--baseline-policy", "p.yaml"], "--baseline cannot be combined with"),
        (["--baseline-policy", "p.yaml", "--max-increase-pct", "-1"], "--max-increase-pct -1: must be 0 or more"),
    ],
)
def test_usage_errors(
    capsys: pytest.CaptureFixture[str], good: tuple[Path, str], args: list[str], message: str
) -> None:
    code, _, err = check(capsys, good[0], *args)
    assert code == 2
    assert message in err


def test_logs_without_a_monthly_projection(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, good: tuple[Path, str]
) -> None:
    root = good[0]
    short = tmp_path / "short.jsonl"
    short.write_text("".join((root / "logs" / "requests.jsonl").read_text().splitlines(keepends=True)[:1]))
    code = main(
        [
            "check",
            str(short),
            "--config",
            str(root / "llmaudit.yaml"),
            "-q",
            "--baseline-policy",
            str(root / "policy.yaml"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "the logs cannot be projected to a month" in err
