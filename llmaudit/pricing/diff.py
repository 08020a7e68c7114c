"""Compare two price tables: models added and removed, and every price that changed.

Prices are compared as the tables *set* them (base rates, each mode's rates, each
long-context tier by its threshold, the per-request fee, the context window), not after
fallbacks, so a change reads the way the YAML changed. A model is matched by name
(case-insensitive), then by an alias of the other table's model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llmaudit.pricing.prices import ModelPrice, Rates
from llmaudit.pricing.spec import RATE_KINDS
from llmaudit.pricing.table import PriceTable
from llmaudit.versions import SCHEMA_VERSION


@dataclass(frozen=True)
class Change:
    """One field of one model that differs. Rates in USD per million tokens."""

    model: str
    field: str
    """``input``, ``batch.output``, ``tiers[>200000].cache_read``, ``per_request_usd``, ``context_window``."""
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def pct(self) -> float | None:
        """Relative change in percent; ``None`` when a side is missing or the old value is 0."""
        if self.old is None or self.new is None or self.old == 0:
            return None
        return (self.new - self.old) / self.old * 100.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "delta": self.delta,
            "pct": self.pct,
        }


@dataclass(frozen=True)
class TableDiff:
    """The differences from ``old`` to ``new``."""

    old: str
    new: str
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[Change, ...]
    unchanged: int

    @property
    def changed_models(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.model for c in self.changed))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "old": self.old,
            "new": self.new,
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [c.to_dict() for c in self.changed],
            "summary": {
                "added": len(self.added),
                "removed": len(self.removed),
                "changed_models": len(self.changed_models),
                "changed_fields": len(self.changed),
                "unchanged_models": self.unchanged,
            },
        }


def _rates(prefix: str, rates: Rates, out: dict[str, float]) -> None:
    for kind in RATE_KINDS:
        value = rates.get(kind)
        if value is not None:
            out[prefix + kind] = value


def flat_prices(model: ModelPrice) -> dict[str, float]:
    """Every price a model sets, by field path (see :attr:`Change.field`)."""
    out: dict[str, float] = {}
    _rates("", model.rates, out)
    for mode, rates in sorted(model.modes.items()):
        _rates(f"{mode}.", rates, out)
    for tier in model.tiers:
        _rates(f"tiers[>{tier.above}].", tier.rates, out)
        for mode, rates in sorted(tier.modes.items()):
            _rates(f"tiers[>{tier.above}].{mode}.", rates, out)
    if model.per_request_usd:
        out["per_request_usd"] = model.per_request_usd
    if model.context_window is not None:
        out["context_window"] = float(model.context_window)
    return out


def _match(table: PriceTable) -> Mapping[str, ModelPrice]:
    return {m.name.lower(): m for m in table.models}


def diff_tables(old: PriceTable, new: PriceTable, *, old_label: str = "old", new_label: str = "new") -> TableDiff:
    """What changed from ``old`` to ``new`` (both merged tables)."""
    old_by, new_by = _match(old), _match(new)
    pairs: dict[str, tuple[ModelPrice, ModelPrice]] = {}
    for key, model in old_by.items():
        other = new_by.get(key)
        if other is None:
            hit = new.resolve(model.name)
            other = new.get(hit.model) if hit is not None and hit.rule == "exact" else None
        if other is not None:
            pairs[model.name] = (model, other)
    matched_new = {b.name for _, b in pairs.values()}
    removed = tuple(sorted(m.name for m in old.models if m.name not in pairs))
    added = tuple(sorted(m.name for m in new.models if m.name not in matched_new))
    changed: list[Change] = []
    unchanged = 0
    for name in sorted(pairs):
        before, after = (flat_prices(m) for m in pairs[name])
        fields = sorted(before.keys() | after.keys(), key=_field_order)
        model_changes = [Change(name, f, before.get(f), after.get(f)) for f in fields if before.get(f) != after.get(f)]
        changed += model_changes
        unchanged += not model_changes
    return TableDiff(old_label, new_label, added, removed, tuple(changed), unchanged)


def _field_order(field: str) -> tuple[int, str]:
    if field.startswith("tiers["):
        return (2, field)
    if "." in field:
        return (1, field)
    return (0, f"{RATE_KINDS.index(field):02d}" if field in RATE_KINDS else field)
