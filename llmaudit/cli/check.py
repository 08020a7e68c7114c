"""``llmaudit check``: a CI gate on projected monthly cost; ``llmaudit baseline`` saves what it compares with."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from llmaudit.check.baseline import load_baseline
from llmaudit.check.run import SameRunBaseline, check
from llmaudit.cli import options as opt
from llmaudit.cli.app import command_app
from llmaudit.cli.common import check_on_cluster, read_requests
from llmaudit.cli.console import ProgressObserver, emit, stderr_console, wants_color, width
from llmaudit.cli.guard import file_inputs
from llmaudit.cli.inputs import LogInputs, takes_log_inputs
from llmaudit.cli.simulate import prepare, simulation
from llmaudit.config import load_config
from llmaudit.errors import EXIT_GATE_FAILED, UsageError
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render
from llmaudit.report.formats.check_format import RENDERERS
from llmaudit.report.safety import term_message
from llmaudit.simulate import load_policy

CheckFormat = Literal[tuple(RENDERERS)]  # type: ignore[valid-type]

EPILOG = """\
Examples:

\b
  # on the base branch: save the baseline
  llmaudit baseline logs/ --policy policy.yaml -o base.json
  # on the pull request: compare, fail above +10% or +$500 a month
  llmaudit check logs/ --policy policy.yaml --baseline base.json --max-increase-pct 10 --max-increase-usd 500
  # the pull request changed the policy or the prices: compare in one run
  llmaudit check logs/ --policy policy.yaml --baseline-policy old-policy.yaml -f markdown -o comment.md
  llmaudit check logs/ --policy policy.yaml --baseline-pricing old-prices.yaml

Exit codes: 0 within thresholds, 1 a threshold crossed, 2 bad input or usage, 3 internal error.
"""

BASELINE_EPILOG = """\
Examples:

\b
  llmaudit baseline logs/ --policy policy.yaml -o base.json
  llmaudit check logs/ --policy policy.yaml --baseline base.json
"""


def _threshold(flag: str, text: str) -> Any:
    return typer.Option(flag, metavar="N", help=text + " Overrides the config's check: section.", show_default=False)


check_app = command_app()
baseline_app = command_app()


@check_app.command("check", epilog=EPILOG)
@takes_log_inputs(logs_help=" Optional when llmaudit.yaml names them.")
def check_command(
    inputs: LogInputs,
    policy: Annotated[
        Path | None,
        typer.Option(
            "--policy",
            "-P",
            metavar="FILE",
            help="The routing policy of the pull request (default: the one policy llmaudit.yaml lists).",
            show_default=False,
        ),
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            "-b",
            metavar="BASE.json",
            help="The baseline saved on the base branch by `llmaudit baseline` (or `simulate -f json`).",
            show_default=False,
        ),
    ] = None,
    baseline_name: Annotated[
        str | None,
        typer.Option(
            "--baseline-name",
            metavar="NAME",
            help="The policy of BASE.json to compare with, when it holds several (default: the same name).",
            show_default=False,
        ),
    ] = None,
    baseline_policy: Annotated[
        Path | None,
        typer.Option(
            "--baseline-policy",
            metavar="FILE",
            help="Compare in one run with this (old) policy instead of a saved baseline.",
            show_default=False,
        ),
    ] = None,
    baseline_pricing: Annotated[
        list[Path],
        typer.Option(
            "--baseline-pricing",
            metavar="FILE|DIR",
            help="Compare in one run with these (old) price tables: they replace --pricing and the config's "
            "pricing on the baseline side, over the shipped tables. Repeatable.",
            show_default=False,
        ),
    ] = [],  # noqa: B006
    max_increase_pct: Annotated[
        float | None, _threshold("--max-increase-pct", "Fail when projected monthly cost rises more than N percent.")
    ] = None,
    max_increase_usd: Annotated[
        float | None, _threshold("--max-increase-usd", "Fail when projected monthly cost rises more than $N.")
    ] = None,
    max_monthly_usd: Annotated[
        float | None, _threshold("--max-monthly-usd", "Fail when projected monthly cost exceeds $N (a budget).")
    ] = None,
    min_change_usd: Annotated[
        float | None,
        _threshold("--min-change-usd", "Ignore changes smaller than $N a month (the increase limits do not apply)."),
    ] = None,
    fail_on_unpriced: Annotated[
        bool | None,
        typer.Option(
            "--fail-on-unpriced/--no-fail-on-unpriced",
            help="Fail when traffic goes to a model without a price (default: the config's, else no).",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        CheckFormat,  # type: ignore[valid-type]
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help=opt.format_help(RENDERERS).replace("markdown", "markdown (a pull-request comment)"),
        ),
    ] = "table",
    output: opt.Output = None,
) -> None:
    """Fail a pull request that raises projected monthly LLM cost, and say why it moved.

    Replays the logged traffic under the pull request's policy and prices, compares the
    projected monthly cost with a baseline (saved on the base branch, or the old policy
    or prices in the same run) and splits the change into effects that add up to it:
    volume, mix, prices, routing and caching, each with the tiers, task types and models
    that moved most. Thresholds come from the flags or the config's `check:` section.
    """
    project = load_config(inputs.config)
    log_args = inputs.log_args(project)
    if not log_args:
        raise UsageError("no logs given", hint="pass LOGS, or name them under 'logs:' in llmaudit.yaml")
    if policy is None:
        if len(project.policies) != 1:
            raise UsageError(
                "no policy given" if not project.policies else "llmaudit.yaml lists several policies",
                hint="pass --policy FILE: the policy of the pull request",
            )
        policy = project.policies[0]
    if baseline is not None and (baseline_policy is not None or baseline_pricing):
        raise UsageError(
            "--baseline cannot be combined with --baseline-policy or --baseline-pricing",
            hint="a saved baseline holds its own policy and prices; use one or the other",
        )
    if baseline is None and baseline_policy is None and not baseline_pricing:
        raise UsageError(
            "nothing to compare with",
            hint="pass --baseline BASE.json (from `llmaudit baseline` on the base branch), "
            "or --baseline-policy OLD.yaml / --baseline-pricing OLD_TABLE",
        )
    for name, value in (
        ("--max-increase-pct", max_increase_pct),
        ("--max-increase-usd", max_increase_usd),
        ("--max-monthly-usd", max_monthly_usd),
        ("--min-change-usd", min_change_usd),
    ):
        if value is not None and value < 0:
            raise UsageError(f"{name} {value:g}: must be 0 or more")
    thresholds = project.check.merged(
        {
            "max_increase_pct": max_increase_pct,
            "max_increase_usd": max_increase_usd,
            "max_monthly_usd": max_monthly_usd,
            "min_change_usd": min_change_usd,
            "fail_on_unpriced": fail_on_unpriced,
        }
    )
    head_policy = load_policy(policy)
    # Read the baseline before the logs: a bad file fails in a moment, not after the replay.
    against = (
        load_baseline(baseline, baseline_name or head_policy.name)
        if baseline is not None
        else SameRunBaseline(
            load_policy(baseline_policy) if baseline_policy is not None else None,
            load_pricing(baseline_pricing) if baseline_pricing else None,
            " ".join(
                ([f"--baseline-policy {baseline_policy}"] if baseline_policy is not None else [])
                + [f"--baseline-pricing {p}" for p in baseline_pricing]
            ),
        )
    )
    table = inputs.price_table(project)
    ingest = inputs.ingest_options(inputs.zone(project))
    read_inputs = (
        file_inputs(
            policy=policy, baseline=baseline, baseline_policy=baseline_policy, baseline_pricing=baseline_pricing
        )
        + inputs.files()
    )
    if inputs.scheduler is not None:
        from llmaudit.cluster.check import check_on

        report = check_on_cluster(
            inputs.scheduler,
            log_args,
            ingest,
            table,
            inputs.rules_path(project),
            functools.partial(check_on, policy=head_policy, baseline=against, thresholds=thresholds),
            quiet=inputs.quiet,
            outputs={"--output": output},
            inputs=read_inputs,
        )
    else:
        frame, _ = read_requests(
            log_args,
            ingest,
            table,
            inputs.rules_path(project),
            quiet=inputs.quiet,
            outputs={"--output": output},
            inputs=read_inputs,
        )
        with ProgressObserver([], enabled=not inputs.quiet) as progress:
            report = check(frame, table, head_policy, against, thresholds, on_stage=progress.stage)
    emit(RENDERERS[output_format](report, RenderOptions(color=wants_color(output), width=width(output))), output)
    if not report.verdict.passed:
        err = stderr_console()
        for failure in report.verdict.failures:
            err.print(
                f"llmaudit: check failed: {term_message(failure.message)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        raise typer.Exit(EXIT_GATE_FAILED)


@baseline_app.command("baseline", epilog=BASELINE_EPILOG)
@takes_log_inputs(logs_help=" Optional when llmaudit.yaml names them.")
def baseline_command(
    inputs: LogInputs,
    policy: Annotated[
        list[Path],
        typer.Option(
            "--policy",
            "-P",
            metavar="FILE",
            help="The routing policy of the base branch (repeatable; check picks one by name).",
            show_default=False,
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    output: opt.Output = None,
) -> None:
    """Save the baseline `llmaudit check` compares with: `simulate --format json` under another name.

    Besides the simulation it holds what a later check replays new traffic with: each
    policy as loaded, the prices of the models the traffic used or a policy can route to,
    and a profile of the traffic. Build it on the base branch; keep it as a CI artifact.
    """
    project = load_config(inputs.config)
    prepared = prepare(
        inputs,
        project,
        list(policy or project.policies),
        quality=None,
        outputs={"--output": output},
        files=file_inputs(policy=policy),
    )
    emit(render(simulation(prepared), "json", RenderOptions(color=wants_color(output), width=width(output))), output)
