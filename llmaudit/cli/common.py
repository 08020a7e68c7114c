"""Steps every command that reads logs shares: turning its options into core objects."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from llmaudit.cli.console import ClusterProgress, ProgressObserver, stderr_console
from llmaudit.cli.guard import log_inputs, refuse_overwriting, without_own_outputs
from llmaudit.errors import UsageError
from llmaudit.ingest import IngestOptions, IngestStats, InputSource, RequestReader, expand_inputs
from llmaudit.pricing import PriceTable
from llmaudit.report.safety import term_text
from llmaudit.simulate.collect import collect
from llmaudit.simulate.context import ReplayContext
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.quality import QualityScores
from llmaudit.simulate.replay import Replayed
from llmaudit.simulate.run import NamedPolicy
from llmaudit.tagging import load_tag_rules, tag_requests

if TYPE_CHECKING:
    from distributed import Client

    from llmaudit.check.model import CheckReport
    from llmaudit.report.simulate_model import SimulateReport
    from llmaudit.simulate.sweep import SweepReport


def tagger(rules_path: Path | str | None) -> Callable[[pd.DataFrame], pd.DataFrame]:
    """The tagging step for a reader's worker threads, with the user's rules file if any."""
    rules = load_tag_rules(rules_path) if rules_path is not None else None
    return functools.partial(tag_requests, rules=rules)


def read_requests(
    log_args: Sequence[str],
    ingest: IngestOptions,
    table: PriceTable,
    tag_rules: Path | str | None,
    *,
    quiet: bool,
    outputs: Mapping[str, Path | None] | None = None,
    inputs: Sequence[tuple[str, Path]] = (),
    scheduler: str | None = None,
) -> tuple[pd.DataFrame, IngestStats]:
    """Every request of the logs, tagged and priced in one frame (simulate, check), with the
    reading's accounting; progress on stderr unless ``quiet``. Refuses ``outputs`` that would
    replace a log or one of ``inputs``, and skips llmaudit's own outputs among the logs.
    With ``scheduler`` the logs are read on that Dask cluster (the same frame)."""
    sources = without_own_outputs(expand_inputs(log_args), quiet=quiet)
    refuse_overwriting(outputs or {}, log_inputs(sources) + list(inputs))
    if scheduler is not None:
        from llmaudit.cluster.analyze import collect_on

        with on_cluster(scheduler, sources, quiet=quiet) as (client, progress):
            frame, stats = collect_on(
                client, sources, ingest, table, tagger(tag_rules), on_task=progress.on_task, on_stage=progress.stage
            )
        _warn_problems(stats)
        return frame, stats
    with ProgressObserver(sources, enabled=not quiet) as progress:
        reader = RequestReader(sources, ingest, observer=progress)
        frame = collect(reader, table, tagger(tag_rules), on_stage=progress.stage)
    _warn_problems(reader.stats)
    return frame, reader.stats


def read_and_replay_on(
    scheduler: str,
    log_args: Sequence[str],
    ingest: IngestOptions,
    table: PriceTable,
    tag_rules: Path | str | None,
    policies: Sequence[Policy],
    *,
    quiet: bool,
    outputs: Mapping[str, Path | None] | None = None,
    inputs: Sequence[tuple[str, Path]] = (),
) -> tuple[pd.DataFrame, IngestStats, Sequence[Replayed], ReplayContext]:
    """``read_requests`` on the Dask cluster at ``scheduler``, with each policy replayed on the
    workers where the rows are (``cluster/simulate.py``)."""
    from llmaudit.cluster.simulate import collect_and_replay_on

    sources = without_own_outputs(expand_inputs(log_args), quiet=quiet)
    refuse_overwriting(outputs or {}, log_inputs(sources) + list(inputs))
    with on_cluster(scheduler, sources, quiet=quiet) as (client, progress):
        frame, stats, replays, context = collect_and_replay_on(
            client,
            sources,
            ingest,
            table,
            tagger(tag_rules),
            policies,
            on_task=progress.on_task,
            on_stage=progress.stage,
        )
    _warn_problems(stats)
    return frame, stats, replays, context


def read_and_report_on(
    scheduler: str,
    log_args: Sequence[str],
    ingest: IngestOptions,
    table: PriceTable,
    tag_rules: Path | str | None,
    policies: Sequence[NamedPolicy],
    scores: Callable[[pd.DataFrame], QualityScores | None],
    *,
    quiet: bool,
    sweeping: bool = False,
    outputs: Mapping[str, Path | None] | None = None,
    inputs: Sequence[tuple[str, Path]] = (),
) -> tuple[pd.DataFrame, IngestStats, QualityScores | None, SimulateReport | SweepReport]:
    """simulate's report (``sweeping``: the sweep of the one policy) on the Dask cluster at
    ``scheduler``: read, replayed and summed on the workers (``cluster/sums.py``); the rows
    that carry a logged score, the accounting, the quality scores (``scores`` of those
    rows) and the report come back."""
    from llmaudit.cluster.sums import report_on, sweep_on

    sources = without_own_outputs(expand_inputs(log_args), quiet=quiet)
    refuse_overwriting(outputs or {}, log_inputs(sources) + list(inputs))
    with on_cluster(scheduler, sources, quiet=quiet) as (client, progress):
        cluster = (client, sources, ingest, table, tagger(tag_rules))
        out: tuple[pd.DataFrame, IngestStats, QualityScores | None, SimulateReport | SweepReport]
        if sweeping:
            out = sweep_on(*cluster, policies[0].policy, scores, on_task=progress.on_task, on_stage=progress.stage)
        else:
            out = report_on(*cluster, policies, scores, on_task=progress.on_task, on_stage=progress.stage)
    _warn_problems(out[1])
    return out


def check_on_cluster(
    scheduler: str,
    log_args: Sequence[str],
    ingest: IngestOptions,
    table: PriceTable,
    tag_rules: Path | str | None,
    judge: Callable[..., tuple[CheckReport, IngestStats]],
    *,
    quiet: bool,
    outputs: Mapping[str, Path | None] | None = None,
    inputs: Sequence[tuple[str, Path]] = (),
) -> CheckReport:
    """check on the Dask cluster at ``scheduler``: the logs read and replayed where the rows are
    (``cluster/check.py``); ``judge`` is ``functools.partial(check_on, policy=..., ...)``."""
    sources = without_own_outputs(expand_inputs(log_args), quiet=quiet)
    refuse_overwriting(outputs or {}, log_inputs(sources) + list(inputs))
    with on_cluster(scheduler, sources, quiet=quiet) as (client, progress):
        report, stats = judge(
            client, sources, ingest, table, tagger(tag_rules), on_task=progress.on_task, on_stage=progress.stage
        )
    _warn_problems(stats)
    return report


@contextmanager
def on_cluster(
    scheduler: str, sources: Sequence[InputSource], *, quiet: bool
) -> Iterator[tuple[Client, ClusterProgress]]:
    """A client of the ``--scheduler`` cluster, and the progress its run shows on stderr
    (a terminal only, not with ``quiet``). Dask is imported only here."""
    from llmaudit.cluster.connect import check_address, connect

    check_address(scheduler)
    if any(s.is_stdin for s in sources):
        raise UsageError("--scheduler reads files: stdin (-) cannot be sent to the workers", hint="pass files")
    local = scheduler.startswith("local:")
    progress = ClusterProgress(enabled=not quiet)
    with progress:
        progress.stage(
            f"starting a local cluster of {scheduler[6:]} workers" if local else f"connecting to {scheduler}"
        )
        with connect(scheduler) as client:
            yield client, progress
            if local:
                progress.stage("stopping the local cluster")


def _warn_problems(stats: IngestStats) -> None:
    err = stderr_console()
    for problem in stats.problems:  # a file (or its damaged tail) not read: never silent
        err.print(f"llmaudit: warning: {term_text(problem.note)}", markup=False, highlight=False, soft_wrap=True)
