"""``llmaudit simulate``: replay the logged traffic under candidate routing policies."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from llmaudit.analyze.scoresummary import mixed_names_warning
from llmaudit.cli import options as opt
from llmaudit.cli.app import command_app
from llmaudit.cli.common import read_and_replay_on, read_and_report_on, read_requests
from llmaudit.cli.console import (
    ProgressObserver,
    emit,
    per_request_on_stdout,
    reader_left,
    report_skipped_note,
    wants_color,
    width,
)
from llmaudit.cli.guard import file_inputs
from llmaudit.cli.inputs import LogInputs, takes_log_inputs
from llmaudit.config import ProjectConfig, load_config
from llmaudit.errors import UsageError
from llmaudit.ingest import IngestStats
from llmaudit.pricing import PriceTable
from llmaudit.report import RenderOptions, render
from llmaudit.report.formats.sweep_format import RENDERERS as SWEEP_RENDERERS
from llmaudit.report.model import input_files, pricing_sources
from llmaudit.report.per_request import stream_jsonl, write_table
from llmaudit.report.simulate_model import SimulateReport
from llmaudit.shadow.logged import score_names, with_logged_scores
from llmaudit.shipped import DEMO_POLICIES, demo_logs, demo_policies
from llmaudit.simulate import Replayed, load_policy
from llmaudit.simulate.billing import policy_seller
from llmaudit.simulate.context import ReplayContext
from llmaudit.simulate.match import original_models
from llmaudit.simulate.quality import QualityScores, load_quality, request_keys, served_scores
from llmaudit.simulate.run import NamedPolicy, simulate
from llmaudit.simulate.sweep import SweepReport, sweep, sweep_policies

EPILOG = """\
Examples:

\b
  llmaudit simulate sample_logs/ --policy examples/policies/task-map.yaml
  llmaudit simulate sample_logs/ -P examples/policies/four-tiers.yaml -P examples/policies/cascade.yaml
  llmaudit simulate --policy tiers.yaml              # logs and pricing from llmaudit.yaml
  llmaudit simulate logs/ -P tiers.yaml --format markdown -o simulation.md --per-request routed.csv
  llmaudit simulate sample_logs/ -P examples/policies/task-map.yaml --quality examples/quality.yaml
  llmaudit simulate sample_logs/ -P examples/policies/difficulty.yaml --sweep --quality examples/quality.yaml
"""


app = command_app()


@dataclass(frozen=True)
class Prepared:
    """The logs read, tagged and priced, with the policies to replay them under (simulate, baseline)."""

    frame: pd.DataFrame
    stats: IngestStats
    table: PriceTable
    policies: list[NamedPolicy]
    scores: QualityScores | None
    # With --scheduler: each policy's replay, computed on the workers where the rows are.
    replays: Sequence[Replayed] | None = None
    context: ReplayContext | None = None
    # With --scheduler (without --per-request): the report (or the sweep), summed on the
    # workers; ``frame`` then holds only the rows that carry a logged score.
    report: SimulateReport | None = None
    curve: SweepReport | None = None


def prepare(
    inputs: LogInputs,
    project: ProjectConfig,
    policy_paths: Sequence[Path],
    *,
    quality: Path | None,
    outputs: dict[str, Path | None],
    files: list[tuple[str, Path]],
    sweeping: bool = False,
    logged_scores: bool = False,
    rows: bool = False,
) -> Prepared:
    """Check the policies, prices and quality scores, then read the logs (a bad file fails in a moment,
    not after the reading). ``files`` are the command's own inputs no output may replace. With
    ``--scheduler`` the policies (``sweeping``: the one policy at each share of the sweep) are
    replayed on the cluster as it reads, and the report (or the sweep) is summed there unless
    the caller needs the ``rows`` (``--per-request``): then the rows and each policy's
    per-request outputs are gathered. ``logged_scores``: the scores the logs carry fill
    in the quality file's gaps (``shadow.logged``)."""
    log_args = inputs.log_args(project)
    if not log_args:
        raise UsageError("no logs given", hint="pass LOGS, or name them under 'logs:' in llmaudit.yaml")
    if not policy_paths:
        raise UsageError(
            "no policy given", hint="pass --policy FILE (see examples/policies/), or list 'policies:' in llmaudit.yaml"
        )
    policies = [NamedPolicy(load_policy(path), str(path)) for path in policy_paths]
    names = [p.policy.name for p in policies]
    if len(set(names)) != len(names):
        raise UsageError(f"two policies share a name: {', '.join(names)}", hint="give each policy file its own 'name:'")
    ingest = inputs.ingest_options(inputs.zone(project))
    table = inputs.price_table(project)
    for named in policies:  # an unknown billing.seller fails before the logs are read
        policy_seller(named.policy, named.source, table)
    quality_path = quality or project.quality
    scores = load_quality(quality_path, table) if quality_path is not None else None
    replayed = [p.policy for p in policies]
    if sweeping:  # more than one policy: --sweep's error comes once the logs are read
        replayed = sweep_policies(replayed[0]) if len(replayed) == 1 else []
    if inputs.scheduler is not None and replayed and not rows:

        def final_scores(scored: pd.DataFrame) -> QualityScores | None:
            return with_logged_scores(scores, scored) if logged_scores else scores

        scored, stats, final, report = read_and_report_on(
            inputs.scheduler,
            log_args,
            ingest,
            table,
            inputs.rules_path(project),
            policies,
            final_scores,
            quiet=inputs.quiet,
            sweeping=sweeping,
            outputs=outputs,
            inputs=files + inputs.files(),
        )
        if isinstance(report, SweepReport):
            return Prepared(scored, stats, table, policies, final, curve=report)
        return Prepared(scored, stats, table, policies, final, report=report)
    if inputs.scheduler is not None and replayed:
        frame, stats, replays, context = read_and_replay_on(
            inputs.scheduler,
            log_args,
            ingest,
            table,
            inputs.rules_path(project),
            replayed,
            quiet=inputs.quiet,
            outputs=outputs,
            inputs=files + inputs.files(),
        )
        return Prepared(frame, stats, table, policies, _scores(scores, frame, logged_scores), replays, context)
    frame, stats = read_requests(
        log_args,
        ingest,
        table,
        inputs.rules_path(project),
        quiet=inputs.quiet,
        scheduler=inputs.scheduler,
        outputs=outputs,
        inputs=files + inputs.files(),
    )
    return Prepared(frame, stats, table, policies, _scores(scores, frame, logged_scores))


def _scores(scores: QualityScores | None, frame: pd.DataFrame, logged: bool) -> QualityScores | None:
    return with_logged_scores(scores, frame) if logged else scores


def simulation(
    prepared: Prepared,
    on_replay: Callable[[NamedPolicy, Replayed], None] | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> SimulateReport:
    """The simulation report of the prepared traffic under its policies."""
    if prepared.report is not None:
        return prepared.report
    return simulate(
        prepared.frame,
        prepared.table,
        prepared.policies,
        inputs=input_files(prepared.stats),
        pricing=pricing_sources(prepared.table),
        context=prepared.context,
        replays=prepared.replays,
        quality=prepared.scores,
        on_replay=on_replay,
        on_stage=on_stage,
    )


@app.command("simulate", epilog=EPILOG)
@takes_log_inputs(logs_help=" Optional when llmaudit.yaml names them.")
def simulate_command(
    inputs: LogInputs,
    policy: Annotated[
        list[Path],
        typer.Option(
            "--policy",
            "-P",
            metavar="FILE",
            help="A routing policy (YAML; docs/policies.md). Repeat to compare several side by side.",
            show_default=False,
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Replay the sample logs shipped with llmaudit under the example policies (examples/policies: "
            + ", ".join(DEMO_POLICIES)
            + "; or your --policy files).",
        ),
    ] = False,
    quality: Annotated[
        Path | None,
        typer.Option(
            "--quality",
            metavar="FILE",
            help="Quality scores per model and task type (YAML; docs/policies.md, 'Quality scores'): adds each "
            "policy's expected quality, the change vs baseline, floors and the cost-quality frontier.",
            show_default=False,
        ),
    ] = None,
    output_format: opt.SimulateFormatOpt = "table",
    output: opt.Output = None,
    per_request: Annotated[
        Path | None,
        typer.Option(
            "--per-request",
            metavar="PATH",
            help="Write each request under each policy (routed model, path, cache outcome, cost as the policy "
            "bills it, reason) to PATH (.csv, .jsonl or .parquet; '-': JSON Lines on stdout).",
            show_default=False,
        ),
    ] = None,
    sweep_curve: Annotated[
        bool,
        typer.Option(
            "--sweep",
            help="Print the cost-quality curve of one policy: its first route matching on difficulty takes the "
            "0%, 10%, ... 100% most difficult requests in turn (docs/policies.md, 'Routing by difficulty').",
        ),
    ] = False,
) -> None:
    """Replay the logged traffic under routing policies and compare what it would cost.

    Each policy routes requests by task type, complexity tier, feature, model or size to a
    model or a quality tier (the cheapest model there that fits), with fallbacks,
    cascades, quality floors, a response cache and prompt compression. The report shows
    per policy the monthly cost and savings against the logged baseline, where savings
    come from per complexity tier and task type, the traffic moved, the cost through
    gateways' fees, and flat-rate plans against metered billing.
    """
    project = load_config(inputs.config)
    if demo and inputs.logs:
        raise UsageError("--demo reads the shipped sample logs", hint="drop LOGS, or drop --demo")
    if demo:
        inputs = replace(inputs, logs=(str(demo_logs()),))
    rows_to_stdout = per_request_on_stdout(per_request, output)
    prepared = prepare(
        inputs,
        project,
        list(policy or (demo_policies() if demo else project.policies)),
        quality=quality,
        outputs={"--output": output, "--per-request": None if rows_to_stdout else per_request},
        files=file_inputs(policy=policy, quality=quality),
        sweeping=sweep_curve,
        logged_scores=True,
        rows=per_request is not None,
    )
    if sweep_curve:
        if len(prepared.policies) != 1:
            raise UsageError("--sweep takes one policy", hint="pass a single --policy FILE")
        curve = prepared.curve or sweep(
            prepared.frame, prepared.table, prepared.policies[0].policy, prepared.scores, replays=prepared.replays
        )
        options = RenderOptions(color=wants_color(output), width=width(output))
        emit(SWEEP_RENDERERS[output_format](curve, options), output)
        return
    replays: dict[str, Replayed] = {}  # for --per-request: the replays the report was built from
    with ProgressObserver([], enabled=not inputs.quiet) as progress:
        report = simulation(
            prepared,
            on_replay=(lambda named, r: replays.__setitem__(named.policy.name, r)) if per_request is not None else None,
            on_stage=progress.stage,
        )
        if per_request is not None:
            progress.stage("building the per-request rows")
            rows = _per_request_rows(
                prepared.frame, [(p, replays[p.policy.name]) for p in prepared.policies], prepared.scores
            )
    mixed = mixed_names_warning(score_names(prepared.frame))
    if mixed:
        report = replace(report, warnings=(*report.warnings, mixed))
    if per_request is not None:
        if rows_to_stdout:
            try:
                stream_jsonl(rows, sys.stdout)
            except BrokenPipeError:
                reader_left()
            if output is None:
                report_skipped_note(inputs.quiet)
                return
        else:
            write_table(per_request, rows)
    emit(render(report, output_format, RenderOptions(color=wants_color(output), width=width(output))), output)


def _per_request_rows(
    frame: pd.DataFrame, replays: list[tuple[NamedPolicy, Replayed]], scores: QualityScores | None = None
) -> pd.DataFrame:
    """One row per request and policy: where it went and what it cost there as billed (and its expected quality)."""
    parts = []
    tasks, ids = request_keys(frame)
    original = original_models(frame)
    for named, r in replays:
        quality = {} if scores is None else {"expected_quality": served_scores(scores, r, tasks, ids)}
        parts.append(
            pd.DataFrame(
                {
                    "policy": named.policy.name,
                    "request_id": frame["request_id"].to_numpy(),
                    "timestamp": frame["timestamp"].to_numpy(),
                    "original_model": original,
                    "routed_model": r.routed_model,
                    "path": r.path,
                    "cache_hit": r.cache_hit,
                    "context_failover": r.context_failover,
                    "baseline_cost_usd": frame["cost_usd"].to_numpy(dtype=np.float64),
                    "cost_usd": r.cost_usd,
                    "reason": r.reason,
                    **quality,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)
