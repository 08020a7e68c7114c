"""What ``pricing list`` and ``pricing show`` report, as data (renderers live in the CLI).

:func:`list_models` filters a :class:`PriceTable` by provider and name; :func:`show_model`
resolves a name the way ``analyze`` would and lays out every rate the model bills at,
for every long-context tier and pricing mode, marking which rates the tables set and
which come from a fallback. All prices are USD per million tokens.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from llmaudit.errors import PricingError
from llmaudit.pricing.prices import ModelPrice, TableInfo
from llmaudit.pricing.spec import RATE_KINDS
from llmaudit.pricing.table import PriceTable
from llmaudit.schema import PRICING_MODES
from llmaudit.versions import SCHEMA_VERSION


def _matches(model: ModelPrice, pattern: str) -> bool:
    names = [model.name, *model.aliases]
    if any(ch in pattern for ch in "*?["):
        return any(fnmatch.fnmatchcase(n.lower(), pattern.lower()) for n in names)
    return any(pattern.lower() in n.lower() for n in names)


def list_models(table: PriceTable, *, providers: Iterable[str] = (), pattern: str | None = None) -> list[ModelPrice]:
    """Models by name, keeping those of ``providers`` (any, case-insensitive) whose name or an
    alias contains ``pattern`` (a glob when it has ``*``, ``?`` or ``[``)."""
    wanted = {p.lower() for p in providers}
    return [
        m
        for m in table.models
        if (not wanted or (m.provider or "").lower() in wanted) and (not pattern or _matches(m, pattern))
    ]


def model_summary(model: ModelPrice) -> dict[str, Any]:
    """One row of ``pricing list`` (JSON shape)."""
    return {
        "name": model.name,
        "provider": model.provider,
        "aliases": list(model.aliases),
        "context_window": model.context_window,
        "input": model.rate("input"),
        "output": model.rate("output"),
        "cache_read": model.rate("cache_read"),
        "cache_write": model.rate("cache_write"),
        "per_request_usd": model.per_request_usd,
        "modes": sorted(model.modes),
        "tiers": [t.above for t in model.tiers],
        "tables": list(model.tables),
    }


@dataclass(frozen=True)
class RateRow:
    """The rates of one (tier, mode) pair after every fallback."""

    tier: int
    above: int | None
    mode: str
    rates: dict[str, float]
    declared: frozenset[str]
    """Kinds the tables set for exactly this tier and mode (the rest fall back)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "above": self.above,
            "mode": self.mode,
            **self.rates,
            "declared": sorted(self.declared),
        }


@dataclass(frozen=True)
class ModelDetail:
    """Everything ``pricing show MODEL`` prints."""

    query: str
    rule: str
    model: ModelPrice
    rows: tuple[RateRow, ...]
    tables: tuple[TableInfo, ...]
    sold_by: str | None

    def to_dict(self) -> dict[str, Any]:
        m = self.model
        return {
            "schema_version": SCHEMA_VERSION,
            "query": self.query,
            "model": m.name,
            "rule": self.rule,
            "sold_by": self.sold_by,
            "provider": m.provider,
            "aliases": list(m.aliases),
            "context_window": m.context_window,
            "max_output_tokens": m.max_output_tokens,
            "per_request_usd": m.per_request_usd,
            "supports": sorted(m.supports),
            "source": m.source,
            "confidence": m.confidence,
            "notes": m.notes,
            "defined_in": m.defined_in,
            "tables": [
                {"name": t.name, "path": t.path, "source": t.source, "as_of": t.as_of.isoformat(), "shipped": t.shipped}
                for t in self.tables
            ],
            "rates": [row.to_dict() for row in self.rows],
        }


def rate_rows(model: ModelPrice) -> tuple[RateRow, ...]:
    """Base and every tier, standard and every mode the model (or one of its tiers) prices."""
    modes = ["standard", *[m for m in PRICING_MODES[1:] if m in model.modes or any(m in t.modes for t in model.tiers)]]
    rows = []
    for tier in range(len(model.tiers) + 1):
        for mode in modes:
            rows.append(
                RateRow(
                    tier=tier,
                    above=model.tiers[tier - 1].above if tier else None,
                    mode=mode,
                    rates={kind: model.rate(kind, tier, mode) for kind in RATE_KINDS},
                    declared=frozenset(k for k in RATE_KINDS if model.declared(k, tier, mode) is not None),
                )
            )
    return tuple(rows)


def show_model(table: PriceTable, name: str) -> ModelDetail:
    """Resolve ``name`` as a log would spell it. Raises ``PricingError`` (with close names) when no table prices it."""
    hit = table.resolve(name)
    if hit is None:
        spellings = [n for m in table.models for n in (m.name, *m.aliases)]
        close = difflib.get_close_matches(name.lower(), [s.lower() for s in spellings], n=3, cutoff=0.6)
        hint = f"did you mean {', '.join(close)}?" if close else "`llmaudit pricing list PATTERN` searches the tables"
        raise PricingError(f"no price table prices {name!r}", hint=hint)
    model = table.get(hit.model)
    tables = tuple(t for name_ in model.tables if (t := table.table_info(name_)) is not None)
    return ModelDetail(name, hit.rule, model, rate_rows(model), tables, table.sold_by)
