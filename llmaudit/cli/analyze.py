"""``llmaudit analyze``: read logs, price them, show where the money goes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from llmaudit.analyze.run import AnalyzeOptions, analyze
from llmaudit.cli import options as opt
from llmaudit.cli.app import command_app
from llmaudit.cli.common import on_cluster
from llmaudit.cli.console import (
    ProgressObserver,
    emit,
    per_request_on_stdout,
    reader_left,
    report_skipped_note,
    stderr_console,
    wants_color,
    width,
)
from llmaudit.cli.guard import log_inputs, refuse_overwriting, without_own_outputs
from llmaudit.cli.inputs import LogInputs, takes_log_inputs
from llmaudit.config import load_config
from llmaudit.errors import UsageError
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.ingest.formats.claude_code import claude_code_candidates, claude_code_dirs
from llmaudit.ingest.sources import InputSource
from llmaudit.pricing import PriceTable
from llmaudit.report import RenderOptions, render
from llmaudit.report.model import AnalyzeReport
from llmaudit.report.per_request import PerRequestWriter
from llmaudit.shipped import demo_logs
from llmaudit.tagging import load_tag_rules


def _claude_code_logs(other_logs: bool) -> list[Path]:
    """Claude Code's projects directories.

    None found: a usage error saying where it looked, or only a warning when other logs
    were given (they are still worth reading).
    """
    found = claude_code_dirs()
    if not found:
        looked = ", ".join(str(p) for p in claude_code_candidates())
        message = f"--claude-code: no Claude Code session logs found (looked in {looked})"
        hint = (
            "set CLAUDE_CONFIG_DIR to the directory that holds Claude Code's projects/ folder, "
            "or pass the directory as LOGS"
        )
        if not other_logs:
            raise UsageError(message, hint=hint)
        stderr_console().print(f"llmaudit: warning: {message}; {hint}", markup=False, highlight=False, soft_wrap=True)
    return found


EPILOG = """\
Examples:

\b
  llmaudit analyze --demo                                    # the sample logs shipped with llmaudit
  llmaudit analyze sample_logs/
  llmaudit analyze logs/*.jsonl.gz --group-by feature --format markdown -o cost.md
  llmaudit analyze requests.jsonl --pricing my-prices.yaml --per-request priced.parquet
  llmaudit analyze logs/ --since 2026-03-01 --until 2026-03-31 --timezone Europe/Berlin
  llmaudit analyze logs/ --tag-rules rules.yaml --sample 3     # check the tagger on your data
  llmaudit analyze --claude-code --group-by project          # your Claude Code usage, by project
  llmaudit analyze logs/ --seller openrouter                   # as billed through a gateway, with its fees
  cat today.jsonl | llmaudit analyze - --format json
"""


app = command_app()


@app.command("analyze", epilog=EPILOG)
@takes_log_inputs(logs_help=" Optional with --claude-code, or when llmaudit.yaml names them.")
def analyze_command(
    inputs: LogInputs,
    claude_code: Annotated[
        bool,
        typer.Option(
            "--claude-code",
            help="Also read Claude Code's session logs where Claude Code keeps them: <dir>/projects for each "
            "directory in CLAUDE_CONFIG_DIR (comma-separated), else ~/.config/claude/projects and ~/.claude/projects.",
        ),
    ] = False,
    demo: opt.Demo = False,
    output_format: opt.FormatOpt = "table",
    output: opt.Output = None,
    group_by: opt.GroupBy = [],  # noqa: B006 - typer reads the default, never mutates it
    per_request: Annotated[
        Path | None,
        typer.Option(
            "--per-request",
            metavar="PATH",
            help="Also write every request with its cost to PATH (.csv, .jsonl or .parquet; '-': JSON Lines "
            "on stdout).",
            show_default=False,
        ),
    ] = None,
    include_prompts: Annotated[
        bool,
        typer.Option("--include-prompts", help="Include prompt text in --per-request output (off by default)."),
    ] = False,
    seller: Annotated[
        str | None,
        typer.Option(
            "--seller",
            metavar="NAME",
            help="Price the traffic as this seller or gateway bills it (its prices, markup and per-request fee) and "
            "add its bill-level fees (credit purchases, BYOK, FX). List them: llmaudit pricing list --sellers.",
            show_default=False,
        ),
    ] = None,
    tag: Annotated[
        bool,
        typer.Option(
            "--tag/--no-tag",
            help="Tag every request by task type and complexity tier (--no-tag skips it: faster, but no by-task and "
            "by-tier breakdowns and no overspend finding).",
        ),
    ] = True,
    sample: Annotated[
        int,
        typer.Option(
            "--sample",
            metavar="N",
            min=0,
            help="Show N requests per task type with their tags and reasons (prompts truncated to 160 characters, "
            "e-mail addresses, passwords, keys, PEM blocks and long digit runs redacted), "
            "to check the tagger on your data.",
        ),
    ] = 0,
) -> None:
    """Price every request in LOGS and report where the money goes.

    Shows totals and a monthly projection, cost by model, provider and day (and by
    --group-by fields), cost by task type and complexity tier (every request is tagged
    from its text and metadata; docs/tagging.md), the findings a cost auditor leads
    with (easy traffic on frontier-priced models, top cost drivers, cache and reasoning
    spend, failed requests, duplicate prompts), unpriced models, and every skipped line
    by reason. Prompt text is never printed, except truncated and redacted by --sample.
    """
    project = load_config(inputs.config)
    timezone = inputs.zone(project)
    ingest = inputs.ingest_options(timezone)
    table = inputs.price_table(project)
    sold_by = table.seller(seller) if seller is not None else None
    if sold_by is not None:
        table = table.as_sold_by(sold_by)
    rules_path = inputs.rules_path(project) if tag else None  # the config's rules are not for --no-tag
    rules = load_tag_rules(rules_path) if rules_path is not None else None
    if demo and (inputs.logs or claude_code):
        raise UsageError("--demo reads the shipped sample logs", hint="drop LOGS and --claude-code, or drop --demo")
    log_args = [str(demo_logs())] if demo else list(inputs.logs or ([] if claude_code else project.logs))
    if claude_code:
        log_args += [str(d) for d in _claude_code_logs(other_logs=bool(log_args))]
    if not log_args:
        raise UsageError(
            "no logs given",
            hint="pass LOGS (files, directories, globs or -), --claude-code, or list them in llmaudit.yaml",
        )
    sources = without_own_outputs(expand_inputs(log_args), quiet=inputs.quiet)
    rows_to_stdout = per_request_on_stdout(per_request, output)
    refuse_overwriting(
        {"--output": output, "--per-request": None if rows_to_stdout else per_request},
        log_inputs(sources) + inputs.files(project),
    )
    if not tag and (sample or inputs.tag_rules is not None):
        raise UsageError("--sample and --tag-rules need tagging", hint="drop --no-tag")
    options = AnalyzeOptions(
        group_by=tuple(dict.fromkeys(str(g) for g in group_by)),
        timezone=timezone,
        tag=tag,
        tag_rules=rules,
        sample=sample,
        seller=sold_by,
    )
    if inputs.scheduler is not None:
        cluster_report = _on_cluster(inputs.scheduler, sources, ingest, table, options, per_request, inputs.quiet)
        emit(
            render(cluster_report, output_format, RenderOptions(color=wants_color(output), width=width(output))), output
        )
        return
    stream = sys.stdout if rows_to_stdout else None
    writer = (
        PerRequestWriter(per_request, include_prompts=include_prompts, tagged=tag, stream=stream)
        if per_request
        else None
    )
    with ProgressObserver(sources, enabled=not inputs.quiet) as progress:
        reader = RequestReader(sources, ingest, observer=progress)
        try:
            report = analyze(reader, table, options, sink=writer.write if writer else None)
        except BaseException as exc:
            if writer is not None:
                writer.abort()
            if rows_to_stdout and isinstance(exc, BrokenPipeError):
                reader_left()
            raise
    if writer is not None:
        writer.close()
    if rows_to_stdout and output is None:
        report_skipped_note(inputs.quiet)
        return
    emit(render(report, output_format, RenderOptions(color=wants_color(output), width=width(output))), output)


def _on_cluster(
    scheduler: str,
    sources: list[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    options: AnalyzeOptions,
    per_request: Path | None,
    quiet: bool,
) -> AnalyzeReport:
    """The report computed on a Dask cluster (Dask is imported only here), with progress on
    stderr unless ``quiet``."""
    from llmaudit.cluster.analyze import analyze_on
    from llmaudit.cluster.connect import check_address

    check_address(scheduler)
    if per_request is not None:
        raise UsageError("--per-request is not available with --scheduler", hint="drop one of them")
    with on_cluster(scheduler, sources, quiet=quiet) as (client, progress):
        return analyze_on(client, sources, ingest, table, options, on_task=progress.on_task, on_stage=progress.stage)
