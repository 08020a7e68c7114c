"""What the analyze findings read: the log's summed measures, typed, and the rows beside them.

``Totals`` replaces the string-keyed dict the accumulator used to hand on: every measure has a
name and a type, so a finding that reads a measure nobody sums fails in mypy, not at run time
with a silent zero. ``Aggregates`` bundles it with the report rows the findings also read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from llmaudit.report.model import BreakdownRow, ModelRow, Summary, TokenTotals, UnpricedRow
from llmaudit.schema import TOKEN_COLUMNS


@dataclass(frozen=True)
class Totals:
    """Per-request measures summed over every parsed request of the log."""

    requests: int
    input_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    cache_write_1h_tokens: int
    output_tokens: int
    reasoning_tokens: int
    # Priced requests only: an unpriced request adds nothing (its cost is unknown, not zero).
    cost_usd: float
    cache_savings_usd: float
    cost_input_usd: float
    cost_cache_read_usd: float
    cost_cache_write_usd: float
    cost_output_usd: float
    cost_reasoning_usd: float
    cost_request_fee_usd: float
    cost_tool_calls_usd: float
    unpriced: int
    # Requests priced from token counts estimated offline (records with text but no usage).
    estimated: int
    failed: int
    failed_cost_usd: float
    # Successful requests with no visible output, and what they cost.
    empty: int
    empty_cost_usd: float

    @property
    def tokens(self) -> TokenTotals:
        return TokenTotals(**{c: getattr(self, c) for c in TOKEN_COLUMNS})

    @classmethod
    def from_sums(cls, sums: Mapping[str, float]) -> Totals:
        """From running sums keyed by field name (a field never summed is 0); counts become ints."""
        unknown = set(sums) - {f.name for f in fields(cls)}
        if unknown:  # a misspelt sum would otherwise vanish
            raise ValueError(f"sums with no Totals field: {sorted(unknown)}")
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = sums.get(f.name, 0.0)
            values[f.name] = float(value) if f.type == "float" else int(value)
        return cls(**values)


@dataclass(frozen=True)
class Duplicates:
    """Exact repeats: successful requests that sent an earlier request's prompt to the same model."""

    prompts: int  # successful requests with prompt text
    repeats: int
    repeat_cost_usd: float


@dataclass(frozen=True)
class Aggregates:
    """Everything a finding may read: no finding sees a request."""

    summary: Summary
    totals: Totals
    by_model: tuple[ModelRow, ...]
    groups: Mapping[str, tuple[BreakdownRow, ...]]
    unpriced: tuple[UnpricedRow, ...]
    duplicates: Duplicates
