"""The shared log options: declared once, built into one LogInputs, the same in every command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from llmaudit.cli.app import app as root_app
from llmaudit.cli.inputs import CLUSTER_OPTIONS, LogInputs, takes_log_inputs

SHARED = [
    "--config",
    "--pricing",
    "--input-format",
    "--since",
    "--until",
    "--timezone",
    "--batch-input",
    "--mapping",
    "--map",
    "--score-name",
    "--score-scale",
    "--tag-rules",
    "--strict",
    "--quiet",
    "--scheduler",
]


def _command(name: str) -> Any:
    root = typer.main.get_command(root_app)
    command = root.get_command(typer.Context(root), name)  # type: ignore[attr-defined]
    assert command is not None
    return command


def _arguments(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "argument"]


def _options(command: Any) -> list[tuple[str, str | None]]:
    """(first long flag, help) of each option, in --help order."""
    return [
        (next(o for o in p.opts if o.startswith("--")), p.help)
        for p in command.params
        if p.param_type_name == "option" and p.name != "help"
    ]


@pytest.mark.parametrize("name", ["analyze", "simulate", "check", "baseline"])
def test_each_log_command_ends_with_the_same_shared_options(name: str) -> None:
    reference = _options(_command("simulate"))[-len(SHARED) :]
    options = _options(_command(name))
    assert [flag for flag, _ in options[-len(SHARED) :]] == SHARED
    assert options[-len(SHARED) :] == reference  # same help text everywhere
    assert not {flag for flag, _ in options[: -len(SHARED)]} & set(SHARED)  # declared once
    logs = _arguments(_command(name))
    assert [p.name for p in logs] == ["logs"] and not logs[0].required


def test_shadow_takes_the_shared_options_less_the_cluster_one() -> None:
    command = _command("shadow")
    flags = [flag for flag, _ in _options(command)]
    assert [f for f in flags if f in SHARED] == [f for f in SHARED if f != "--scheduler"]
    assert [p.required for p in _arguments(command)] == [False]  # llmaudit.yaml may name them


def _toy(**decorator: object) -> tuple[typer.Typer, list[LogInputs]]:
    seen: list[LogInputs] = []
    app = typer.Typer()

    @app.command()
    @takes_log_inputs(**decorator)  # type: ignore[arg-type]
    def toy(inputs: LogInputs, loud: bool = typer.Option(False, "--loud")) -> None:
        seen.append(inputs)
        if loud:
            typer.echo("loud")

    return app, seen


FIRST = ["a.jsonl", "b/", "--loud", "-p", "one.yaml", "--pricing", "two.yaml", "--since", "2026-03-01"]
MORE = ["--map", "model=m", "--tz", "Europe/Berlin", "-q", "--strict", "-i", "openai"]


def test_the_command_gets_one_frozen_log_inputs_with_its_own_options_apart() -> None:
    app, seen = _toy()
    result = CliRunner().invoke(
        app,
        [*FIRST, *MORE],
    )
    assert result.exit_code == 0, result.output
    assert result.output == "loud\n"
    assert seen == [
        LogInputs(
            logs=("a.jsonl", "b/"),
            pricing=(Path("one.yaml"), Path("two.yaml")),
            input_format="openai",
            since="2026-03-01",
            timezone="Europe/Berlin",
            map_fields=("model=m",),
            strict=True,
            quiet=True,
        )
    ]
    with pytest.raises(AttributeError):
        seen[0].quiet = False  # type: ignore[misc]


def test_no_logs_and_no_options_give_the_defaults() -> None:
    app, seen = _toy()
    assert CliRunner().invoke(app, []).exit_code == 0
    assert seen == [LogInputs()]


def test_omitted_options_are_not_accepted_and_required_logs_are() -> None:
    app, seen = _toy(logs_required=True, omit=CLUSTER_OPTIONS)
    assert CliRunner().invoke(app, ["--scheduler", "local:2", "a.jsonl"]).exit_code == 2
    assert CliRunner().invoke(app, []).exit_code == 2
    assert CliRunner().invoke(app, ["a.jsonl", "--since", "2026-01-01"]).exit_code == 0
    assert seen == [LogInputs(logs=("a.jsonl",), since="2026-01-01")]


def test_ingest_options_resolve_dates_in_the_zone_and_the_formats_settings() -> None:
    inputs = LogInputs(since="2026-03-01", until="2026-03-01", batch_input=(Path("in.jsonl"),))
    ingest = inputs.ingest_options("Europe/Berlin")
    assert ingest.since is not None and ingest.until is not None
    # Berlin is UTC+1 in March before the switch: the day runs 23:00 to 23:00 UTC.
    assert ingest.since.isoformat().startswith("2026-02-28T23:00")
    assert ingest.until.isoformat().startswith("2026-03-01T23:00")
    assert ingest.format_options == {"openai-batch": {"batch_inputs": (Path("in.jsonl"),)}}
