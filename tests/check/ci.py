"""Running CI workflow commands in tests: a sample project and the llmaudit lines of a workflow."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

from llmaudit.cli import main

ROOT = Path(__file__).resolve().parents[2]


def sample_project(head: Path) -> Path:
    """A project whose llmaudit.yaml names the sample logs, an example policy and a threshold."""
    head.mkdir()
    config = f"logs: [{ROOT / 'sample_logs'}]\npolicies: [policy.yaml]\ncheck: {{max_increase_pct: 5}}\n"
    (head / "llmaudit.yaml").write_text(config)
    shutil.copy(ROOT / "examples" / "policies" / "task-map.yaml", head / "policy.yaml")
    return head


def run_commands(commands: list[str], env: dict[str, str]) -> list[str]:
    """Run each ``llmaudit ...`` shell line with ``env`` put in (``|| status=$?`` dropped); each
    must exit 0. Returns the subcommands run."""
    ran = []
    for command in commands:
        command = re.sub(r"\s*\|\|\s*status=\$\?\s*$", "", command)
        for name, value in env.items():
            command = command.replace(f"${name}", value)
        assert "$" not in command, command
        args = shlex.split(command)[1:]
        assert main(args) == 0, command
        ran.append(args[0])
    return ran
