"""The README's commands work as written (docs are part of the code).

Every ``llmaudit ...`` line in a ```sh block is run through the real CLI entry point
from the repository root; output files it names go to a temporary directory. The two
quick-start commands are checked for their shape (installing is CI's job).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
COMMANDS = [line.strip() for block in BLOCKS for line in block.splitlines() if line.strip().startswith("llmaudit ")]
OUTPUT_FLAGS = ("--output", "-o", "--per-request")


def test_quick_start_has_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)```", quick, flags=re.S)
    assert [c.strip() for c in commands] == [
        "python -m pip install . && python -m llmaudit analyze sample_logs/",
        'python -m pip install -e ".[test]" && python -m pytest',
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert 'python -m pip install -e ".[test]" && python -m pytest' in ci


def test_readme_has_commands_to_check() -> None:
    assert len(COMMANDS) >= 4


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    # --claude-code reads the fixture tree, as if it were the user's Claude Code directory.
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(ROOT / "tests" / "fixtures" / "logs" / "claude_code"))
    args = shlex.split(command)[1:]
    for i, arg in enumerate(args[:-1]):
        if arg in OUTPUT_FLAGS:
            args[i + 1] = str(tmp_path / Path(args[i + 1]).name)
    if "my-prices.yaml" in args:
        prices = tmp_path / "my-prices.yaml"
        prices.write_text(
            "schema_version: 1\nname: mine\nsource: README example\nas_of: 2026-11-01\n"
            "models:\n  gpt-4o:\n    input: 2.00\n",
            encoding="utf-8",
        )
        args[args.index("my-prices.yaml")] = str(prices)
    assert main(args) == 0, command


def test_readme_simulate_numbers_are_what_simulate_prints(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sample's savings the README quotes (they went stale when the tagger changed)."""
    import json

    monkeypatch.chdir(ROOT)
    policies = ["-P", "examples/policies/four-tiers.yaml", "-P", "examples/policies/difficulty.yaml"]
    assert main(["simulate", "sample_logs", *policies, "-f", "json", "-q"]) == 0
    simulated = {p["name"]: p for p in json.loads(capsys.readouterr().out)["policies"]}
    assert main(["analyze", "sample_logs", "-f", "json", "-q"]) == 0
    logged = {row["key"]: row["cost_usd"] for row in json.loads(capsys.readouterr().out)["by_tier"]}
    text = " ".join(README.split())
    four = re.search(r"`four-tiers` saves (\d+)%.*?about \$([\d.]+) less.*?about \$([\d.]+) more", text)
    assert four is not None
    tiers = simulated["four-tiers"]["replay"]["cost_by_tier_usd"]
    assert round(100 * simulated["four-tiers"]["savings_share"]) == int(four[1])
    assert round(logged["0"] + logged["1"] - tiers["tier 0"] - tiers["tier 1"], 2) == float(four[2])
    assert round(tiers["tier 2"] - logged["2"], 2) == float(four[3])
    difficulty = re.search(r"`difficulty` sends .*?\((\d+)% less\)", text)
    assert difficulty is not None
    assert round(100 * simulated["difficulty"]["savings_share"]) == int(difficulty[1])
