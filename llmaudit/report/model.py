"""The analyze result: one frozen object that every renderer reads and nothing mutates.

``to_dict`` gives the stable JSON contract (``schema_version`` bumps on a breaking
change). Money is USD, unrounded here; renderers round.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from llmaudit.ingest import IngestStats
    from llmaudit.pricing import PriceTable

from llmaudit.versions import SCHEMA_VERSION

Severity = Literal["critical", "warning", "info"]


@dataclass(frozen=True)
class TokenTotals:
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cache_write_1h_tokens: int
    output_tokens: int
    reasoning_tokens: int


@dataclass(frozen=True)
class CostBreakdown:
    """Where the priced spend went, by kind of token (USD)."""

    input_usd: float
    cache_read_usd: float
    cache_write_usd: float
    output_usd: float
    reasoning_usd: float
    request_fees_usd: float
    cache_savings_usd: float
    tool_calls_usd: float = 0.0
    """Server-side tool calls billed per call (web search, file search, code interpreter, grounding)."""


@dataclass(frozen=True)
class Summary:
    requests: int
    lines_read: int
    skipped_lines: int
    priced_requests: int
    unpriced_requests: int
    estimated_requests: int
    failed_requests: int
    period_start: str | None
    period_end: str | None
    period_days: float | None
    total_cost_usd: float
    projected_monthly_cost_usd: float | None
    projection_note: str | None
    tokens: TokenTotals
    cost_by_kind: CostBreakdown
    timezone: str = "UTC"


@dataclass(frozen=True)
class BreakdownRow:
    """One row of a breakdown (by model, provider, day, or a --group-by dimension)."""

    key: str
    requests: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float | None
    share: float | None
    unpriced_requests: int
    cache_savings_usd: float | None


@dataclass(frozen=True)
class ModelRow(BreakdownRow):
    """A by-model row: ``model`` is the priced name, or the raw name when unpriced."""

    model: str = ""
    provider: str | None = None
    priced: bool = True
    seen_as: tuple[str, ...] = ()


@dataclass(frozen=True)
class TaggedRow:
    """A by-task-type or by-complexity-tier row, with the models that carry most of its cost."""

    key: str
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    share: float | None
    unpriced_requests: int
    main_models: tuple[str, ...]
    # Complexity tiers: key is the tier number ("0".."3"), name its label ("trivial", ...).
    name: str | None = None
    # Mean difficulty score (docs/tagging.md, "Difficulty") of the rows that have one; None if none do.
    mean_difficulty: float | None = None


@dataclass(frozen=True)
class CrossCell:
    """One cell of a cross table: the traffic where one dimension is ``row`` and another ``column``.

    ``by_day_model``: a day (in the report's time zone) and a model (priced name, else as
    logged); ``by_task_tier``: a task type and a complexity tier ("0".."3"). Only cells
    with traffic; unpriced requests count in ``requests`` but add nothing to ``cost_usd``.
    """

    row: str
    column: str
    requests: int
    cost_usd: float


@dataclass(frozen=True)
class SampleRow:
    """One request shown by ``--sample``: its tags and its prompt, truncated and redacted."""

    task_type: str
    complexity_tier: int
    tag_confidence: float
    tag_reasons: str
    model: str
    text: str


@dataclass(frozen=True)
class SellerFee:
    name: str
    usd: float
    description: str


@dataclass(frozen=True)
class SellerBill:
    """``--seller``: the traffic as that seller bills it, with the fees that are not per token.

    ``metered_usd`` is the summary's total (requests priced at the seller's prices, markup
    and per-request fees); ``fees`` are bill-level (credit purchases, BYOK, FX) for the
    log's period; the monthly figures recompute them on the projected month (a minimum fee
    does not scale with the period).
    """

    seller: str
    display_name: str | None
    kind: str
    source: str
    as_of: str
    period_days: float | None
    metered_usd: float
    fees: tuple[SellerFee, ...]
    fees_usd: float
    total_usd: float
    monthly_fees_usd: float | None
    projected_monthly_total_usd: float | None


@dataclass(frozen=True)
class SkipRow:
    reason: str
    description: str
    count: int
    examples: tuple[str, ...]
    hint: str
    detail: str | None = None


@dataclass(frozen=True)
class UnpricedRow:
    model: str
    requests: int
    input_tokens: int
    output_tokens: int


@dataclass(frozen=True)
class ReconciliationRow:
    """Billed (as the source logged it) vs list-price cost for one provider and model.

    ``typical_ratio`` is the geometric mean of billed/list per request, ``ratio_spread``
    the standard deviation of its logarithm; ``verdict`` is one of matches, markup,
    below_list, inconsistent, unit_error, unpriced (no list price to compare with).
    """

    provider: str
    model: str
    requests: int
    billed_usd: float
    list_usd: float | None
    gap_usd: float | None
    gap_share: float | None
    typical_ratio: float | None
    ratio_spread: float | None
    verdict: str


@dataclass(frozen=True)
class Finding:
    """Something a cost auditor would lead with; ``cost_usd`` is the money it concerns."""

    id: str
    severity: Severity
    title: str
    detail: str
    cost_usd: float | None = None
    share: float | None = None


@dataclass(frozen=True)
class InputFile:
    """One input file. ``role`` is "log" (request lines, all accounted for), "join"
    (data joined into another file's requests, such as an OpenAI Batch input file) or
    "not_read" (a file that could not be read; ``problem`` says why and how to fix it)."""

    path: str
    format: str
    lines_read: int
    parsed: int
    skipped: int
    role: str = "log"
    problem: str | None = None


@dataclass(frozen=True)
class PricingSource:
    name: str
    path: str
    source: str
    as_of: str
    shipped: bool


def input_files(stats: IngestStats) -> tuple[InputFile, ...]:
    """Every file read: the logs (each line accounted for) and the files joined into them."""
    return (
        *(InputFile(f.source, f.format, f.lines_read, f.parsed, f.skipped_total) for f in stats.files),
        *(InputFile(path, fmt, 0, 0, 0, role="join") for path, fmt in stats.companions),
        *(InputFile(p.source, "-", 0, 0, 0, role="not_read", problem=p.text) for p in stats.problems if not p.partial),
    )


def pricing_sources(table: PriceTable) -> tuple[PricingSource, ...]:
    """The price tables a report was priced with, in load order."""
    return tuple(PricingSource(i.name, i.shown_path, i.source, i.as_of.isoformat(), i.shipped) for i in table.tables)


@dataclass(frozen=True)
class Resolution:
    raw: str
    model: str | None
    rule: str | None
    table: str | None = None
    """The table whose price is used (the last that set the model; ``litellm-snapshot`` for the fallback)."""
    confidence: str | None = None


@dataclass(frozen=True)
class ScoreRow:
    """Scores the logs carry for one model's answers (0-1; docs/shadow.md, "Scores you already have")."""

    model: str
    requests: int
    scored_requests: int
    mean_score: float


@dataclass(frozen=True)
class LoggedScores:
    """How many requests carry a score, under which names, and the mean per model."""

    scored_requests: int
    names: dict[str, int]
    by_model: tuple[ScoreRow, ...]


@dataclass(frozen=True)
class AnalyzeReport:
    tool_version: str
    inputs: tuple[InputFile, ...]
    pricing: tuple[PricingSource, ...]
    summary: Summary
    by_model: tuple[ModelRow, ...]
    by_provider: tuple[BreakdownRow, ...]
    by_day: tuple[BreakdownRow, ...]
    groups: dict[str, tuple[BreakdownRow, ...]]
    skipped: tuple[SkipRow, ...]
    unpriced: tuple[UnpricedRow, ...]
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...]
    reconciliation: tuple[ReconciliationRow, ...]
    model_names: tuple[Resolution, ...]
    by_task: tuple[TaggedRow, ...] = ()
    by_tier: tuple[TaggedRow, ...] = ()
    samples: tuple[SampleRow, ...] = ()
    seller: SellerBill | None = None
    # Cross tables for charts: cost per day and model, requests and cost per task type and tier.
    by_day_model: tuple[CrossCell, ...] = ()
    by_task_tier: tuple[CrossCell, ...] = ()
    # Scores the logs carry (None when no request carries one).
    scores: LoggedScores | None = None
    schema_version: str = field(default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract: plain types only, tuples as lists."""
        data = asdict(self)
        data["groups"] = {k: [asdict(r) for r in rows] for k, rows in self.groups.items()}
        return data
