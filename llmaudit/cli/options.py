"""Options shared by several commands, defined once.

Choices come from the registries (log formats, renderers, group-by dimensions), so a
new format or renderer appears in ``--help`` without touching the commands.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import typer

from llmaudit.analyze.run import GROUP_DIMENSIONS
from llmaudit.ingest import format_choices
from llmaudit.report import RENDERERS
from llmaudit.report.formats import SIMULATE_RENDERERS

# Each report type has its own renderers: its --format choices come from its own registry.
OutputFormat = Literal[tuple(RENDERERS)]  # type: ignore[valid-type]
SimulateOutputFormat = Literal[tuple(SIMULATE_RENDERERS)]  # type: ignore[valid-type]
FORMAT_HELP = {
    "table": "table (terminal)",
    "json": "json (stable contract)",
    "csv": "csv",
    "markdown": "markdown",
    "html": "html (one self-contained page with charts)",
}
InputFormat = Literal[tuple(format_choices(aliases=True))]  # type: ignore[valid-type]
# typer takes a list of an Enum (not of a Literal) for repeatable choices.
GroupDimension = StrEnum(  # type: ignore[misc]
    "GroupDimension", {d: d for d in GROUP_DIMENSIONS if d not in ("model", "provider", "day")}
)

LOGS_HELP = "Log files, directories (read recursively), globs, or - for stdin. gzip is detected automatically."

Pricing = Annotated[
    list[Path],
    typer.Option(
        "--pricing",
        "-p",
        metavar="FILE|DIR",
        help="Extra price table (YAML file or directory), applied on top of the shipped tables. "
        "Repeatable; later tables win field by field. Schema: pricing/README.md.",
        show_default=False,
    ),
]

INPUT_FORMAT_HELP = "Log format: " + ", ".join(format_choices()) + ". 'auto' detects it per file."

InputFormatOpt = Annotated[
    InputFormat,  # type: ignore[valid-type]
    typer.Option("--input-format", "-i", metavar="FORMAT", help=INPUT_FORMAT_HELP),
]


def format_help(names: Iterable[str]) -> str:
    """The --format help: each renderer's name, with what it is for."""
    return "Report format: " + ", ".join(FORMAT_HELP.get(n, n) for n in names) + "."


FormatOpt = Annotated[
    OutputFormat,  # type: ignore[valid-type]
    typer.Option("--format", "-f", metavar="FORMAT", help=format_help(RENDERERS)),
]
SimulateFormatOpt = Annotated[
    SimulateOutputFormat,  # type: ignore[valid-type]
    typer.Option("--format", "-f", metavar="FORMAT", help=format_help(SIMULATE_RENDERERS)),
]


def _stdout_dash(value: Path | None) -> Path | None:
    """``-o -`` is stdout, as in most tools (never a file named "-")."""
    return None if value is not None and str(value) == "-" else value


Output = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to this file instead of stdout ('-': stdout).",
        show_default=False,
        callback=_stdout_dash,
    ),
]

Strict = Annotated[
    bool,
    typer.Option("--strict", help="Stop at the first unusable line (exit 2) instead of skipping and counting it."),
]

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")]

GroupBy = Annotated[
    list[GroupDimension],
    typer.Option(
        "--group-by",
        "-g",
        metavar="FIELD",
        help="Also break costs down by FIELD where the logs carry it: " + ", ".join(GroupDimension) + ". Repeatable.",
        show_default=False,
    ),
]

BatchInput = Annotated[
    list[Path],
    typer.Option(
        "--batch-input",
        metavar="FILE",
        help="OpenAI Batch *input* file(s), joined to Batch output lines on custom_id to recover prompts.",
        show_default=False,
    ),
]

Mapping = Annotated[
    Path | None,
    typer.Option(
        "--mapping",
        metavar="FILE",
        help="YAML column mapping for the 'generic' format (JSONL or CSV with your own field names).",
        show_default=False,
    ),
]

MapOpt = Annotated[
    list[str],
    typer.Option(
        "--map",
        metavar="FIELD=SOURCE",
        help="Map a field (model, input_tokens, output_tokens, ...) to a CSV column or dotted JSON path "
        "for the 'generic' format. Repeatable; overrides --mapping. Fields: docs/mapping.md.",
        show_default=False,
    ),
]

Since = Annotated[
    str | None,
    typer.Option(
        "--since",
        metavar="DATE",
        help="Only requests at or after DATE (YYYY-MM-DD, YYYYMMDD or ISO date-time; dates in --timezone).",
        show_default=False,
    ),
]

Until = Annotated[
    str | None,
    typer.Option(
        "--until",
        metavar="DATE",
        help="Only requests before DATE's end (a date includes that whole day; a date-time is exclusive).",
        show_default=False,
    ),
]

TagRulesOpt = Annotated[
    Path | None,
    typer.Option(
        "--tag-rules",
        metavar="FILE",
        help="Your tagging rules (YAML; docs/tagging.md): keywords, feature/tag/endpoint -> task type or tier, "
        "high-stakes domains. They win over text signals.",
        show_default=False,
    ),
]

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        metavar="FILE",
        help="Project config (default: the nearest llmaudit.yaml or [tool.llmaudit] in pyproject.toml, "
        "from here up to the repository root).",
        show_default=False,
    ),
]

# The zone of daily buckets; None: the project config's, else UTC.
ProjectTimezone = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        "--tz",
        metavar="ZONE",
        help="Time zone for daily buckets and for --since/--until dates (IANA name, e.g. Europe/Berlin; "
        "default: llmaudit.yaml's timezone, else UTC).",
        show_default=False,
    ),
]

Demo = Annotated[
    bool,
    typer.Option(
        "--demo",
        help="Run on the sample logs shipped with llmaudit (a month of a help-desk product's traffic in five "
        "formats): a first command that works anywhere.",
    ),
]

Scheduler = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        metavar="ADDRESS",
        help="Run on a Dask cluster: local:N starts N local worker processes, tcp://HOST:PORT connects to a "
        "running scheduler. Same report as without it (docs/scale.md); needs llm-cost-audit[dask].",
        show_default=False,
    ),
]

ScoreName = Annotated[
    str | None,
    typer.Option(
        "--score-name",
        metavar="NAME",
        help="Read only the logged scores called NAME (Langfuse score name, Helicone score, 'feedback' for "
        "thumbs), for logs that carry several (docs/shadow.md, 'Scores you already have').",
        show_default=False,
    ),
]

ScoreScale = Annotated[
    str | None,
    typer.Option(
        "--score-scale",
        metavar="LOW-HIGH",
        help="The scale of the logged scores, mapped onto 0-1 (e.g. 1-5 or 0-100; default 0-1). Scores outside "
        "it are left out and counted.",
        show_default=False,
    ),
]
