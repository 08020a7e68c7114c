"""``llmaudit simulate``: replay the logged traffic under candidate routing policies."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from llmaudit.cli import options as opt
from llmaudit.cli.app import command_app
from llmaudit.cli.common import ingest_options, read_requests
from llmaudit.cli.console import emit, wants_color, width
from llmaudit.cli.guard import file_inputs
from llmaudit.config import load_config
from llmaudit.errors import UsageError
from llmaudit.pricing import load_pricing
from llmaudit.report import RenderOptions, render
from llmaudit.report.formats.sweep_format import RENDERERS as SWEEP_RENDERERS
from llmaudit.report.model import input_files, pricing_sources
from llmaudit.report.per_request import write_table
from llmaudit.scoresummary import mixed_names_warning
from llmaudit.shadow.logged import score_names, with_logged_scores
from llmaudit.shipped import DEMO_POLICIES, demo_logs, demo_policies
from llmaudit.simulate import Replayed, load_policy
from llmaudit.simulate.billing import policy_seller
from llmaudit.simulate.match import original_models
from llmaudit.simulate.quality import QualityScores, load_quality, request_keys, served_scores
from llmaudit.simulate.run import NamedPolicy, simulate
from llmaudit.simulate.sweep import sweep

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


@app.command("simulate", epilog=EPILOG)
def simulate_command(
    logs: Annotated[
        list[str] | None,
        typer.Argument(
            help=opt.LOGS_HELP + " Optional when llmaudit.yaml names them.", metavar="LOGS", show_default=False
        ),
    ] = None,
    policy: Annotated[
        list[Path],
        typer.Option(
            "--policy",
            "-P",
            metavar="FILE",
            help="A routing policy (YAML; docs/policies.md). Repeat to compare several side by side.",
            show_default=False,
        ),
    ] = [],  # noqa: B006
    demo: Annotated[
        bool,
        typer.Option(
            "--demo",
            help="Replay the sample logs shipped with llmaudit under the example policies (examples/policies: "
            + ", ".join(DEMO_POLICIES)
            + "; or your --policy files).",
        ),
    ] = False,
    config: opt.ConfigOpt = None,
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
    pricing: opt.Pricing = [],  # noqa: B006
    input_format: opt.InputFormatOpt = "auto",
    output_format: opt.SimulateFormatOpt = "table",
    output: opt.Output = None,
    per_request: Annotated[
        Path | None,
        typer.Option(
            "--per-request",
            metavar="PATH",
            help="Write each request under each policy (routed model, path, cache outcome, cost as the policy "
            "bills it, reason).",
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
    since: opt.Since = None,
    until: opt.Until = None,
    timezone: opt.ProjectTimezone = None,
    batch_input: opt.BatchInput = [],  # noqa: B006
    mapping: opt.Mapping = None,
    map_fields: opt.MapOpt = [],  # noqa: B006
    score_name: opt.ScoreName = None,
    score_scale: opt.ScoreScale = None,
    tag_rules: opt.TagRulesOpt = None,
    strict: opt.Strict = False,
    quiet: opt.Quiet = False,
) -> None:
    """Replay the logged traffic under routing policies and compare what it would cost.

    Each policy routes requests by task type, complexity tier, feature, model or size to a
    model or a quality tier (the cheapest model there that fits), with fallbacks,
    cascades, quality floors, a response cache and prompt compression. The report shows
    per policy the monthly cost and savings against the logged baseline, where savings
    come from per complexity tier and task type, the traffic moved, the cost through
    gateways' fees, and flat-rate plans against metered billing.
    """
    project = load_config(config)
    if demo and logs:
        raise UsageError("--demo reads the shipped sample logs", hint="drop LOGS, or drop --demo")
    log_args = [str(demo_logs())] if demo else list(logs or project.logs)
    if not log_args:
        raise UsageError("no logs given", hint="pass LOGS, or name them under 'logs:' in llmaudit.yaml")
    policy_paths = list(policy or (demo_policies() if demo else project.policies))
    if not policy_paths:
        raise UsageError(
            "no policy given", hint="pass --policy FILE (see examples/policies/), or list 'policies:' in llmaudit.yaml"
        )
    policies = [NamedPolicy(load_policy(path), str(path)) for path in policy_paths]
    names = [p.policy.name for p in policies]
    if len(set(names)) != len(names):
        raise UsageError(f"two policies share a name: {', '.join(names)}", hint="give each policy file its own 'name:'")
    zone = timezone or project.timezone or "UTC"
    ingest = ingest_options(
        input_format=input_format,
        strict=strict,
        batch_input=batch_input,
        mapping=mapping,
        map_fields=map_fields,
        since=since,
        until=until,
        timezone=zone,
        score_name=score_name,
        score_scale=score_scale,
    )
    table = load_pricing([*project.pricing, *pricing])
    for named in policies:  # an unknown billing.seller fails before the logs are read
        policy_seller(named.policy, named.source, table)
    quality_path = quality or project.quality
    scores = load_quality(quality_path, table) if quality_path is not None else None
    frame, stats = read_requests(
        log_args,
        ingest,
        table,
        tag_rules or project.tag_rules,
        quiet=quiet,
        outputs={"--output": output, "--per-request": per_request},
        inputs=file_inputs(
            policy=policy,
            config=config,
            quality=quality,
            pricing=pricing,
            tag_rules=tag_rules,
            mapping=mapping,
            batch_input=batch_input,
        ),
    )
    scores = with_logged_scores(scores, frame)
    if sweep_curve:
        if len(policies) != 1:
            raise UsageError("--sweep takes one policy", hint="pass a single --policy FILE")
        curve = sweep(frame, table, policies[0].policy, scores)
        options = RenderOptions(color=wants_color(output), width=width(output))
        emit(SWEEP_RENDERERS[output_format](curve, options), output)
        return
    replays: dict[str, Replayed] = {}  # for --per-request: the replays the report was built from
    report = simulate(
        frame,
        table,
        policies,
        inputs=input_files(stats),
        pricing=pricing_sources(table),
        quality=scores,
        on_replay=(lambda named, r: replays.__setitem__(named.policy.name, r)) if per_request is not None else None,
    )
    mixed = mixed_names_warning(score_names(frame))
    if mixed:
        report = dataclasses.replace(report, warnings=(*report.warnings, mixed))
    if per_request is not None:
        write_table(per_request, _per_request_rows(frame, [(p, replays[p.policy.name]) for p in policies], scores))
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
