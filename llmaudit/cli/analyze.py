"""``llmaudit analyze``: read logs, price them, show where the money goes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from llmaudit.analysis import AnalyzeOptions, analyze
from llmaudit.cli import options as opt
from llmaudit.cli.app import command_app
from llmaudit.cli.common import ingest_options
from llmaudit.cli.console import ProgressObserver, emit, stderr_console, wants_color, width
from llmaudit.cli.guard import file_inputs, log_inputs, refuse_overwriting, without_own_outputs
from llmaudit.config import load_config
from llmaudit.errors import UsageError
from llmaudit.ingest import RequestReader, expand_inputs
from llmaudit.ingest.formats.claude_code import claude_code_candidates, claude_code_dirs
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render
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
def analyze_command(
    logs: Annotated[
        list[str] | None,
        typer.Argument(
            help=opt.LOGS_HELP + " Optional with --claude-code, or when llmaudit.yaml names them.",
            metavar="LOGS",
            show_default=False,
        ),
    ] = None,
    claude_code: Annotated[
        bool,
        typer.Option(
            "--claude-code",
            help="Also read Claude Code's session logs where Claude Code keeps them: <dir>/projects for each "
            "directory in CLAUDE_CONFIG_DIR (comma-separated), else ~/.config/claude/projects and ~/.claude/projects.",
        ),
    ] = False,
    demo: opt.Demo = False,
    config: opt.ConfigOpt = None,
    pricing: opt.Pricing = [],  # noqa: B006 - typer reads the default, never mutates it
    input_format: opt.InputFormatOpt = "auto",
    output_format: opt.FormatOpt = "table",
    output: opt.Output = None,
    group_by: opt.GroupBy = [],  # noqa: B006
    per_request: Annotated[
        Path | None,
        typer.Option(
            "--per-request",
            metavar="PATH",
            help="Also write every request with its cost to PATH (.csv, .jsonl or .parquet).",
            show_default=False,
        ),
    ] = None,
    include_prompts: Annotated[
        bool,
        typer.Option("--include-prompts", help="Include prompt text in --per-request output (off by default)."),
    ] = False,
    since: opt.Since = None,
    until: opt.Until = None,
    timezone: opt.ProjectTimezone = None,
    batch_input: opt.BatchInput = [],  # noqa: B006
    mapping: opt.Mapping = None,
    map_fields: opt.MapOpt = [],  # noqa: B006
    score_name: opt.ScoreName = None,
    score_scale: opt.ScoreScale = None,
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
    tag_rules: opt.TagRulesOpt = None,
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
    strict: opt.Strict = False,
    quiet: opt.Quiet = False,
) -> None:
    """Price every request in LOGS and report where the money goes.

    Shows totals and a monthly projection, cost by model, provider and day (and by
    --group-by fields), cost by task type and complexity tier (every request is tagged
    from its text and metadata; docs/tagging.md), the findings a cost auditor leads
    with (easy traffic on frontier-priced models, top cost drivers, cache and reasoning
    spend, failed requests, duplicate prompts), unpriced models, and every skipped line
    by reason. Prompt text is never printed, except truncated and redacted by --sample.
    """
    project = load_config(config)
    timezone = timezone or project.timezone or "UTC"
    ingest = ingest_options(
        input_format=input_format,
        strict=strict,
        batch_input=batch_input,
        mapping=mapping,
        map_fields=map_fields,
        since=since,
        until=until,
        timezone=timezone,
        score_name=score_name,
        score_scale=score_scale,
    )
    table = load_pricing([*project.pricing, *pricing])
    sold_by = table.seller(seller) if seller is not None else None
    if sold_by is not None:
        table = table.as_sold_by(sold_by)
    rules_path = (tag_rules or project.tag_rules) if tag else None  # the config's rules are not for --no-tag
    rules = load_tag_rules(rules_path) if rules_path is not None else None
    if demo and (logs or claude_code):
        raise UsageError("--demo reads the shipped sample logs", hint="drop LOGS and --claude-code, or drop --demo")
    log_args = [str(demo_logs())] if demo else list(logs or ([] if claude_code else project.logs))
    if claude_code:
        log_args += [str(d) for d in _claude_code_logs(other_logs=bool(log_args))]
    if not log_args:
        raise UsageError(
            "no logs given",
            hint="pass LOGS (files, directories, globs or -), --claude-code, or list them in llmaudit.yaml",
        )
    sources = without_own_outputs(expand_inputs(log_args), quiet=quiet)
    refuse_overwriting(
        {"--output": output, "--per-request": per_request},
        log_inputs(sources)
        + file_inputs(
            pricing=[*project.pricing, *pricing],
            tag_rules=rules_path,
            mapping=mapping,
            batch_input=batch_input,
            config=project.path,
        ),
    )
    if not tag and (sample or tag_rules is not None):
        raise UsageError("--sample and --tag-rules need tagging", hint="drop --no-tag")
    writer = PerRequestWriter(per_request, include_prompts=include_prompts, tagged=tag) if per_request else None
    with ProgressObserver(sources, enabled=not quiet) as progress:
        reader = RequestReader(sources, ingest, observer=progress)
        try:
            report = analyze(
                reader,
                table,
                AnalyzeOptions(
                    group_by=tuple(dict.fromkeys(str(g) for g in group_by)),
                    timezone=timezone,
                    tag=tag,
                    tag_rules=rules,
                    sample=sample,
                    seller=sold_by,
                ),
                sink=writer.write if writer else None,
            )
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
    if writer is not None:
        writer.close()
    emit(render(report, output_format, RenderOptions(color=wants_color(output), width=width(output))), output)
