"""The check result: both sides of the comparison, the effects and the verdict, frozen.

``to_dict`` is the JSON contract (``schema_version``; money in USD per month,
unrounded; renderers round). Nothing in it depends on the clock or on where the files
are, so the same inputs give the same bytes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from llmaudit.check.decompose import Effect
from llmaudit.check.gate import Thresholds, Verdict
from llmaudit.report.model import SCHEMA_VERSION


@dataclass(frozen=True)
class Side:
    """The baseline or the head: what was replayed and what it costs a month (USD)."""

    policy: str
    pricing: tuple[str, ...]  # price tables, in load order
    requests: int
    period_days: float
    monthly_requests: float
    monthly_cost_usd: float
    unpriced_requests: int
    digest: str


@dataclass(frozen=True)
class CheckReport:
    tool_version: str
    baseline_kind: Literal["saved", "same-run"]
    baseline_source: str  # BASE.json as given, or the --baseline-policy / --baseline-pricing files
    baseline: Side
    head: Side
    change_usd: float
    change_share: float | None  # share of the baseline's monthly cost (0.25 = +25%)
    effects: tuple[Effect, ...]
    same_traffic: bool
    thresholds: Thresholds
    verdict: Verdict
    notes: tuple[str, ...]
    schema_version: str = field(default=SCHEMA_VERSION)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "thresholds": self.thresholds.model_dump()}
