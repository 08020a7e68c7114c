"""``llmaudit shadow``: replay a sample of the logged requests to candidate models and score them."""

from __future__ import annotations

import math
import os
import time
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer

from llmaudit.cli.app import command_app
from llmaudit.cli.common import read_requests, tagger
from llmaudit.cli.console import CountProgress, ProgressObserver
from llmaudit.cli.guard import file_inputs, log_inputs, refuse_overwriting, without_own_outputs
from llmaudit.cli.inputs import CLUSTER_OPTIONS, LogInputs, takes_log_inputs
from llmaudit.config import ProjectConfig, load_config
from llmaudit.errors import EXIT_INTERRUPTED, InputError, UsageError
from llmaudit.ingest import IngestOptions, RequestReader, expand_inputs
from llmaudit.pricing import PriceTable, price_requests
from llmaudit.shadow.cache import AnswerCache
from llmaudit.shadow.client import Settings
from llmaudit.shadow.endpoints import Endpoint, load_endpoints, resolve
from llmaudit.shadow.evidence import MIN_SAMPLES, write_evidence
from llmaudit.shadow.grade import grade, judge_estimate, judge_jobs
from llmaudit.shadow.logged import score_names, write_logged_evidence
from llmaudit.shadow.messages import logged_requests
from llmaudit.shadow.payload import is_partial
from llmaudit.shadow.run import Outcome, PlanRow, Sender, Spend, candidate_jobs, execute, plan, price
from llmaudit.shadow.sample import draw

EPILOG = """\
Examples:

\b
  llmaudit shadow sample_logs/ -c gpt-4.1-mini -c claude-haiku-4-5 --base-url https://openrouter.ai/api/v1 \\
      --api-key-env OPENROUTER_API_KEY --judge gpt-4.1              # prints the plan, sends nothing
  llmaudit shadow sample_logs/ -c gpt-4.1-mini --endpoints examples/shadow-endpoints.yaml --yes --max-spend 5
  llmaudit simulate sample_logs/ -P examples/policies/task-map.yaml --quality shadow-quality.yaml
"""


def _keys(endpoints: list[Endpoint]) -> dict[str, str | None]:
    keys: dict[str, str | None] = {}
    for e in endpoints:
        if e.api_key_env is None:
            keys[e.candidate] = None
            continue
        value = os.environ.get(e.api_key_env, "")
        if not value.strip():
            raise UsageError(
                f"the environment variable {e.api_key_env} (the key for {e.candidate!r}) is not set",
                hint=f"export {e.api_key_env}=... , or name another variable with --api-key-env",
            )
        keys[e.candidate] = value.strip()
    return keys


def _plan_lines(rows: list[PlanRow], cap: float | None) -> list[str]:
    lines = [f"{'model':<44} {'requests':>8} {'cached':>7} {'est. input':>11} {'est. output':>12} {'est. cost':>11}"]
    total = 0.0
    unpriced = []
    for r in rows:
        cost = "unpriced" if r.cost_usd is None else f"${r.cost_usd:,.4f}"
        total += r.cost_usd or 0.0
        if r.cost_usd is None and r.requests > r.cached:
            unpriced.append(r.name)
        lines.append(
            f"{r.name:<44} {r.requests:>8,} {r.cached:>7,} {r.input_tokens:>11,} {r.output_tokens:>12,} {cost:>11}"
        )
    lines.append(f"estimated cost of the priced models: ${total:,.4f}" + (f" (cap: ${cap:,.2f})" if cap else ""))
    if unpriced:
        lines.append(f"not priced (cost unknown, not in the estimate): {', '.join(unpriced)}; add with --pricing")
    return lines


app = command_app()


@app.command("shadow", epilog=EPILOG)
@takes_log_inputs(logs_help=" Optional when llmaudit.yaml names them.", omit=CLUSTER_OPTIONS)
def shadow_command(
    inputs: LogInputs,
    candidate: Annotated[
        list[str],
        typer.Option(
            "--candidate", "-c", metavar="MODEL", help="A model to try (repeat for several).", show_default=False
        ),
    ] = [],  # noqa: B006
    from_logs: Annotated[
        bool,
        typer.Option(
            "--from-logs",
            help="Send nothing: write the scores the logs already carry (Langfuse, Helicone, LiteLLM, a mapped "
            "column) as the evidence file, for the logged models (docs/shadow.md, 'Scores you already have').",
        ),
    ] = False,
    sample: Annotated[
        int, typer.Option("--sample", "-n", metavar="N", min=1, help="Requests per task type x tier (x feature) cell.")
    ] = 20,
    seed: Annotated[
        int, typer.Option("--seed", metavar="N", min=0, help="Seed of the sample (same seed, same requests).")
    ] = 0,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", metavar="URL", help="OpenAI-compatible API base, e.g. https://api.openai.com/v1."),
    ] = None,
    api_key_env: Annotated[
        str | None, typer.Option("--api-key-env", metavar="VAR", help="Environment variable holding the API key.")
    ] = None,
    endpoints: Annotated[
        Path | None,
        typer.Option("--endpoints", metavar="FILE", help="Per-candidate endpoints (YAML; docs/shadow.md)."),
    ] = None,
    judge: Annotated[
        str | None, typer.Option("--judge", metavar="MODEL", help="Judge model for open-ended tasks (pairwise).")
    ] = None,
    scorer: Annotated[
        str | None,
        typer.Option("--scorer", metavar="CMD", help="Your scorer: JSON on stdin, a 0-1 score on stdout (no shell)."),
    ] = None,
    scorer_timeout: Annotated[
        float,
        typer.Option(
            "--scorer-timeout",
            metavar="SECONDS",
            min=0.1,
            help="How long --scorer may take for one answer; past it the run stops (exit 2) naming the request.",
        ),
    ] = 30.0,
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Send the requests (without it: print the plan only).")
    ] = False,
    max_spend: Annotated[
        float | None,
        typer.Option(
            "--max-spend", metavar="USD", min=0.0, help="Stop sending once the answers' priced cost reaches this."
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", metavar="N", min=1, max=256, help="Requests in flight.")
    ] = 4,
    timeout: Annotated[
        float, typer.Option("--timeout", metavar="SECONDS", min=0.01, help="Read timeout per request.")
    ] = 120.0,
    deadline: Annotated[
        float | None, typer.Option("--deadline", metavar="SECONDS", min=0.0, help="Send nothing new after this long.")
    ] = None,
    retries: Annotated[
        int, typer.Option("--retries", metavar="N", min=0, max=20, help="Retries of a transient failure.")
    ] = 5,
    backoff: Annotated[
        float, typer.Option("--backoff", metavar="SECONDS", min=0.0, help="First retry's max wait.")
    ] = 1.0,
    cache: Annotated[Path, typer.Option("--cache", metavar="PATH", help="Answer cache (SQLite).")] = Path(
        ".llmaudit-shadow.sqlite"
    ),
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="FILE", help="Evidence file for simulate --quality.")
    ] = Path("shadow-quality.yaml"),
) -> int:
    """Replay a sample of the logged requests to candidate models and score their answers.

    The sample is seeded and stratified by task type, tier and feature; the answers are scored
    against the logged ones, and the evidence is written in the form `simulate --quality` reads.

    Without --yes it only prints the plan (requests and estimated cost per model) and sends
    nothing. Every answer is kept in an on-disk cache: a rerun never pays twice.
    """
    project = load_config(inputs.config)
    log_args = inputs.log_args(project)
    if not log_args:
        raise UsageError("no logs given", hint="pass LOGS, or name them under 'logs:' in llmaudit.yaml")
    table = inputs.price_table(project)
    ingest = inputs.ingest_options(inputs.zone(project))
    rules = inputs.rules_path(project)
    if from_logs:
        if candidate:
            raise UsageError("--from-logs sends nothing", hint="drop --candidate, or drop --from-logs")
        return _from_logs(inputs, project, ingest, table, output)
    if not candidate:
        raise UsageError("no --candidate given", hint="name a model to try with --candidate MODEL, or use --from-logs")
    spec = load_endpoints(endpoints) if endpoints is not None else None
    targets = resolve(list(dict.fromkeys(candidate)), spec, base_url, api_key_env)
    judge_target = resolve([judge], spec, base_url, api_key_env)[0] if judge else None
    if judge and scorer:
        raise UsageError("--judge and --scorer both given", hint="a --scorer command grades every answer; pick one")
    if max_spend is not None:
        unpriced = [
            e.candidate
            for e in [*targets, *([judge_target] if judge_target else [])]
            if table.resolve(e.candidate) is None
        ]
        if unpriced:
            raise UsageError(
                f"--max-spend cannot count what {', '.join(unpriced)} cost: the price tables do not know them",
                hint="add their prices with --pricing FILE, or run without --max-spend",
            )
    sources = without_own_outputs(expand_inputs(log_args), quiet=inputs.quiet)
    refuse_overwriting(
        {"--output": output, "--cache": cache},
        log_inputs(sources) + file_inputs(endpoints=endpoints) + inputs.files(project),
    )
    tag = tagger(rules)
    with ProgressObserver(sources, enabled=not inputs.quiet) as progress:
        reader = RequestReader(sources, ingest, observer=progress, transform=lambda f: price_requests(tag(f), table))
        drawn = draw(reader, sample, seed)
    frame = drawn.frame
    logged = logged_requests(frame, sources)
    partial = sum(is_partial(r, str(r["request_id"]) in logged) for r in frame.to_dict("records"))
    echo = typer.echo
    echo(
        f"sample: {len(frame):,} of {drawn.requests:,} requests in {drawn.cells} cells (seed {seed}, up to {sample} "
        f"per cell); {drawn.without_prompt:,} without prompt text skipped"
        + (
            f"; {partial} replayed as their last turn (their logged messages or tools could not be read back)"
            if partial
            else ""
        )
    )
    store = AnswerCache(cache)
    try:
        jobs = candidate_jobs(frame, targets, logged)
        rows = plan(jobs, store, table)
        to_send = sum(r.requests - r.cached for r in rows)  # the judge's row is added below
        if judge_target is not None:
            calls, ins, outs = judge_estimate(frame, len(targets))
            cost = float(price(table, judge_target.candidate, np.array([ins]), np.array([outs]))[0])
            name = f"judge {judge_target.candidate} (up to)"
            rows.append(PlanRow(name, calls, 0, ins, outs, cost if np.isfinite(cost) else None))
        for line in _plan_lines(rows, max_spend):
            echo(line)
        if not yes:
            echo("nothing sent: rerun with --yes to send these requests")
            return 0
        keys = _keys([*targets, *([judge_target] if judge_target else [])])
        settings = Settings(
            read_timeout=timeout,
            attempts=retries + 1,
            backoff=backoff,
            deadline=time.monotonic() + deadline if deadline is not None else None,
        )
        spend = Spend(max_spend)
        sender = Sender(keys, store, table, settings, concurrency, spend)
        with CountProgress(not inputs.quiet, lambda: f"spent ${spend.spent:,.4f}") as progress:
            progress.phase("sending to the candidates", to_send)
            outcome = execute(jobs, sender, progress=progress.tick)
            if judge_target is not None and not outcome.interrupted:
                names = [t.candidate for t in targets]
                judged = judge_jobs(frame, outcome.replies, names, judge_target)
                progress.phase(f"judging with {judge_target.candidate}", None)
                execute(judged, sender, outcome=outcome, progress=progress.tick)
        _summary(outcome, spend)
        if outcome.interrupted:
            echo("interrupted: every answer received is in the cache; rerun the same command to continue", err=True)
            return EXIT_INTERRUPTED
        graded = grade(
            frame, outcome.replies, [t.candidate for t in targets], judge=judge_target, scorer=scorer,
            scorer_timeout=scorer_timeout,
        )  # fmt: skip
    finally:
        store.close()
    reference: dict[str, list[str]] = {}
    if scorer is None and len(graded.scores):
        scored_ids = set(graded.scores["request_id"])
        for r in frame.to_dict("records"):
            model = r.get("priced_model") if isinstance(r.get("priced_model"), str) else r.get("model")
            if str(r["request_id"]) in scored_ids and isinstance(model, str):
                reference.setdefault(model, []).append(str(r.get("task_type") or "unknown"))
        reference = {m: sorted(set(t)) for m, t in reference.items()}
    header = (
        f"Quality evidence written by `llmaudit shadow` (seed {seed}, up to {sample} per cell).\n"
        "Scores (0-1) measure candidates against the logged answers; the logged models are the reference (1.0).\n"
        f"Cells with fewer than {MIN_SAMPLES} scored requests are too few to trust. Schema: docs/shadow.md."
    )
    cells = write_evidence(output, graded.scores, reference, header)
    for (cand, reason), n in sorted(graded.unscored.items()):
        echo(f"unscored: {cand}: {n} ({reason})")
    for line in _cell_lines(cells):
        echo(line)
    echo(f"wrote {output} (use: llmaudit simulate LOGS -P POLICY --quality {output})")
    return 0


def _cell_lines(cells: pd.DataFrame) -> list[str]:
    out = []
    for row in cells.itertuples(index=False):
        few = "  (too few samples)" if row.n < MIN_SAMPLES else ""
        out.append(
            f"{row.model:<28} {row.task_type:<15} tier {row.tier}  n={row.n:<4} mean {row.mean:.2f} "
            f"[{row.low:.2f}, {row.high:.2f}] {row.interval}{few}"
        )
    return out


def _from_logs(
    inputs: LogInputs, project: ProjectConfig, ingest: IngestOptions, table: PriceTable, output: Path
) -> int:
    """``--from-logs``: the logs' own scores as the evidence file (nothing sent)."""
    logs = inputs.log_args(project)
    frame, _ = read_requests(
        logs,
        ingest,
        table,
        inputs.rules_path(project),
        quiet=inputs.quiet,
        outputs={"--output": output},
        inputs=inputs.files(project),
    )
    names = score_names(frame)
    if not names:
        raise InputError(
            "no request in the logs carries a score",
            hint="scores are read from Langfuse traces, Helicone exports, LiteLLM metadata or a mapped 'score' "
            "column (docs/shadow.md, 'Scores you already have'); check --score-name and --score-scale",
        )
    cells = write_logged_evidence(output, frame, ", ".join(logs))
    echo = typer.echo
    shown = ", ".join(f"{name} ({n:,})" for name, n in names.items())
    echo(f"{sum(names.values()):,} of {len(frame):,} requests carry a score: {shown}")
    for line in _cell_lines(cells):
        echo(line)
    echo(f"wrote {output} (use: llmaudit simulate LOGS -P POLICY --quality {output})")
    return 0


def _summary(outcome: Outcome, spend: Spend) -> None:
    names = list(dict.fromkeys([*outcome.cached, *outcome.sent, *(k for k, _ in outcome.failed)]))
    for name in names:
        typer.echo(f"{name}: {outcome.sent[name]} sent, {outcome.cached[name]} from the cache")
    for (name, why), n in sorted((outcome.failed + outcome.not_sent).items()):
        typer.echo(f"{name}: {n} without an answer ({why})")
    spent = "" if math.isnan(spend.spent) else f"${spend.spent:,.4f}"
    typer.echo(f"spent on new answers: {spent}" + (" (cap reached)" if spend.reached else ""))
