"""Steps every command that reads logs shares: turning its options into core objects."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from llmaudit.cli.console import ProgressObserver, stderr_console
from llmaudit.cli.guard import log_inputs, refuse_overwriting, without_own_outputs
from llmaudit.ingest import IngestOptions, IngestStats, RequestReader, expand_inputs
from llmaudit.ingest.formats._scores import format_settings
from llmaudit.ingest.formats.generic_mapping import cli_settings
from llmaudit.pricing import PriceTable
from llmaudit.report.safety import term_text
from llmaudit.simulate.collect import collect
from llmaudit.tagging import load_tag_rules, tag_requests
from llmaudit.timeutil import check_timezone, parse_moment


def ingest_options(
    *,
    input_format: str,
    strict: bool,
    batch_input: Sequence[Path],
    mapping: Path | None,
    map_fields: Sequence[str],
    since: str | None,
    until: str | None,
    timezone: str,
    score_name: str | None = None,
    score_scale: str | None = None,
) -> IngestOptions:
    """IngestOptions from the shared log-reading options (raises ``UsageError``)."""
    timezone = check_timezone(timezone)
    format_options: dict[str, object] = {}
    if batch_input:
        format_options["openai-batch"] = {"batch_inputs": tuple(batch_input)}
    generic = cli_settings(mapping, map_fields)
    if generic:
        format_options["generic"] = generic
    return IngestOptions(
        input_format=input_format,
        strict=strict,
        format_options=format_settings(score_name, score_scale, format_options),
        since=parse_moment(since, timezone, option="--since") if since else None,
        until=parse_moment(until, timezone, option="--until", end_of_day=True) if until else None,
    )


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
) -> tuple[pd.DataFrame, IngestStats]:
    """Every request of the logs, tagged and priced in one frame (simulate, check), with the
    reading's accounting; progress on stderr unless ``quiet``. Refuses ``outputs`` that would
    replace a log or one of ``inputs``, and skips llmaudit's own outputs among the logs."""
    sources = without_own_outputs(expand_inputs(log_args), quiet=quiet)
    refuse_overwriting(outputs or {}, log_inputs(sources) + list(inputs))
    with ProgressObserver(sources, enabled=not quiet) as progress:
        reader = RequestReader(sources, ingest, observer=progress)
        frame = collect(reader, table, tagger(tag_rules))
    err = stderr_console()
    for problem in reader.stats.problems:  # a file (or its damaged tail) not read: never silent
        err.print(f"llmaudit: warning: {term_text(problem.note)}", markup=False, highlight=False, soft_wrap=True)
    return frame, reader.stats
