"""The log-reading options every command shares, declared once and built into one ``LogInputs``.

A command takes ``inputs: LogInputs`` (its first parameter) and is decorated with
``@takes_log_inputs(...)``: the decorator puts LOGS and the shared options (declared in
``cli/options.py``) into the signature typer reads, after the command's own options (so
--help lists them together, in one order for every command), and hands the command one
frozen ``LogInputs``. A shared option is added or changed here, once, for every command.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from llmaudit.cli import options as opt
from llmaudit.cli.guard import file_inputs
from llmaudit.config import ProjectConfig
from llmaudit.errors import UsageError
from llmaudit.ingest import IngestOptions
from llmaudit.ingest.formats._scores import format_settings
from llmaudit.ingest.formats.generic_mapping import cli_settings
from llmaudit.pricing import PriceTable, load_pricing
from llmaudit.timeutil import check_timezone, parse_moment

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class LogInputs:
    """What to read and how: the shared options of analyze, simulate, check, baseline and shadow.

    Values are as given on the command line; the project config fills the gaps through
    the methods taking a ``ProjectConfig`` (the command line wins).
    """

    logs: tuple[str, ...] = ()
    config: Path | None = None
    pricing: tuple[Path, ...] = ()
    input_format: str = "auto"
    since: str | None = None
    until: str | None = None
    timezone: str | None = None
    batch_input: tuple[Path, ...] = ()
    mapping: Path | None = None
    map_fields: tuple[str, ...] = ()
    tag_rules: Path | None = None
    strict: bool = False
    quiet: bool = False
    scheduler: str | None = None
    score_name: str | None = None
    score_scale: str | None = None

    def log_args(self, project: ProjectConfig) -> list[str]:
        """LOGS, else the config's ``logs:``."""
        return list(self.logs or project.logs)

    def zone(self, project: ProjectConfig) -> str:
        """The time zone of daily buckets and of --since/--until dates: --timezone, the config's, else UTC."""
        return self.timezone or project.timezone or "UTC"

    def price_table(self, project: ProjectConfig) -> PriceTable:
        """The shipped tables, then the config's ``pricing:``, then --pricing (later wins)."""
        return load_pricing([*project.pricing, *self.pricing])

    def rules_path(self, project: ProjectConfig) -> Path | None:
        """--tag-rules, else the config's."""
        return self.tag_rules or project.tag_rules

    def ingest_options(self, timezone: str) -> IngestOptions:
        """IngestOptions for the readers (raises ``UsageError`` on a bad zone, date or --map)."""
        timezone = check_timezone(timezone)
        format_options: dict[str, object] = {}
        if self.batch_input:
            format_options["openai-batch"] = {"batch_inputs": self.batch_input}
        generic = cli_settings(self.mapping, self.map_fields)
        if generic:
            format_options["generic"] = generic
        since = parse_moment(self.since, timezone, option="--since") if self.since else None
        until = parse_moment(self.until, timezone, option="--until", end_of_day=True) if self.until else None
        if since is not None and until is not None and since >= until:
            # Otherwise every request is skipped as outside the period and the error blames the logs.
            raise UsageError(
                f"--since {self.since} is not before --until {self.until}: the period holds no time",
                hint="--since is the first moment kept and --until the last day kept; swap them?",
            )
        return IngestOptions(
            input_format=self.input_format,
            strict=self.strict,
            format_options=format_settings(self.score_name, self.score_scale, format_options),
            since=since,
            until=until,
        )

    def files(self, project: ProjectConfig | None = None) -> list[tuple[str, Path]]:
        """The files these options (and the project config) name besides the logs, as ``(--option, path)``:
        an output must never replace one of them."""
        return file_inputs(
            config=project.path if project is not None and project.path else self.config,
            pricing=[*(project.pricing if project is not None else ()), *self.pricing],
            tag_rules=self.rules_path(project) if project is not None else self.tag_rules,
            mapping=self.mapping,
            batch_input=self.batch_input,
        )


# The shared options in the order --help lists them, each with its declaration and default.
# (A list default is never mutated: typer reads it.)
_OPTIONS: tuple[tuple[str, Any, Any], ...] = (
    ("config", opt.ConfigOpt, None),
    ("pricing", opt.Pricing, []),
    ("input_format", opt.InputFormatOpt, "auto"),
    ("since", opt.Since, None),
    ("until", opt.Until, None),
    ("timezone", opt.ProjectTimezone, None),
    ("batch_input", opt.BatchInput, []),
    ("mapping", opt.Mapping, None),
    ("map_fields", opt.MapOpt, []),
    ("score_name", opt.ScoreName, None),
    ("score_scale", opt.ScoreScale, None),
    ("tag_rules", opt.TagRulesOpt, None),
    ("strict", opt.Strict, False),
    ("quiet", opt.Quiet, False),
    ("scheduler", opt.Scheduler, None),
)
# Options for a whole-traffic report run on a Dask cluster (shadow replays a sample: not these).
CLUSTER_OPTIONS = frozenset({"scheduler"})
_FIELDS = frozenset(f.name for f in fields(LogInputs))


def _logs_parameter(help_extra: str, required: bool) -> inspect.Parameter:
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    if required:
        argument = typer.Argument(help=opt.LOGS_HELP + help_extra, show_default=False, metavar="LOGS...")
        return inspect.Parameter("logs", kind, annotation=Annotated[list[str], argument])
    argument = typer.Argument(help=opt.LOGS_HELP + help_extra, metavar="LOGS", show_default=False)
    return inspect.Parameter("logs", kind, annotation=Annotated[list[str] | None, argument], default=None)


def takes_log_inputs(
    *, logs_help: str = "", logs_required: bool = False, omit: frozenset[str] = frozenset()
) -> Callable[[F], F]:
    """Give the decorated command LOGS and the shared options, built into its ``inputs: LogInputs``.

    ``logs_help`` is appended to the LOGS help; ``logs_required`` makes LOGS mandatory (no
    project config to name them); ``omit`` leaves options out (they keep their defaults).
    Place this decorator under ``@app.command``.
    """

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        own = [p for p in signature.parameters.values() if p.name != "inputs"]
        kind = inspect.Parameter.KEYWORD_ONLY
        shared = [
            inspect.Parameter(name, kind, annotation=annotation, default=default)
            for name, annotation, default in _OPTIONS
            if name not in omit
        ]
        parameters = [_logs_parameter(logs_help, logs_required), *own, *shared]
        parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in parameters]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            given = {name: kwargs.pop(name) for name in list(kwargs) if name in _FIELDS}
            values: dict[str, Any] = {
                k: tuple(v or ()) if isinstance(v, list) or k == "logs" else v for k, v in given.items()
            }
            return command(inputs=LogInputs(**values), **kwargs)

        wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in parameters} | {"return": signature.return_annotation}
        return wrapper  # type: ignore[return-value]

    return decorate
