"""What every importer shares: the filters, the result it returns, the collector that
checks each entry, the ``Importer`` protocol and the unit conversions.

A leaf of the importers package: the converters (litellm.py, openrouter.py) import it,
and the package's ``__init__`` imports them to build its registry.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from llmaudit.pricing.spec import ModelSpec
from llmaudit.pricing.validate import model_problems


@dataclass(frozen=True)
class ImportFilters:
    """Which entries to import: providers (``--only``, exact, case-insensitive) and
    model-name globs (``--models``, case-insensitive). Empty means everything."""

    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    def accepts(self, key: str, provider: str | None) -> bool:
        if self.providers and (provider or "").lower() not in {p.lower() for p in self.providers}:
            return False
        return not self.models or any(fnmatch.fnmatchcase(key.lower(), g.lower()) for g in self.models)


@dataclass(frozen=True)
class Skipped:
    """An entry left out of the import, and why."""

    key: str
    reason: str


@dataclass(frozen=True)
class ImportResult:
    """A converted price list, ready to be written as a price-table YAML file."""

    name: str
    source: str
    as_of: date
    models: Mapping[str, Mapping[str, Any]]
    """Model key -> YAML fields, in the schema's field order, prices per million tokens."""
    skipped: tuple[Skipped, ...] = ()
    not_carried: Mapping[str, int] = field(default_factory=dict)
    """Source fields with no place in the schema -> how many imported entries had them."""
    filtered_out: int = 0

    def document(self) -> dict[str, Any]:
        """The price-table document (what the YAML file holds)."""
        reasons = Counter(s.reason.split(":")[0] for s in self.skipped)
        summary = f"{len(self.models)} models imported"
        if self.skipped:
            summary += "; skipped: " + ", ".join(f"{n} {reason}" for reason, n in sorted(reasons.items()))
        if self.filtered_out:
            summary += f"; {self.filtered_out} left out by --only/--models"
        return {
            "schema_version": 1,
            "name": self.name,
            "source": self.source,
            "as_of": self.as_of,
            "notes": summary,
            "models": {key: dict(fields) for key, fields in self.models.items()},
        }


@dataclass
class Collector:
    """What an importer's loop accumulates: accepted models, skips with reasons, counts."""

    models: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    not_carried: Counter[str] = field(default_factory=Counter)
    filtered: int = 0
    seen: dict[str, str] = field(default_factory=dict)

    def skip(self, key: str, reason: str) -> None:
        self.skipped.append(Skipped(key, reason))

    def duplicate(self, key: str) -> bool:
        """Skip ``key`` when a model of the same name (ignoring case) is in already."""
        if key.lower() not in self.seen:
            return False
        self.skip(key, f"duplicate name: same as {self.seen[key.lower()]!r} ignoring case")
        return True

    def add(self, key: str, build: Callable[[], dict[str, Any]]) -> bool:
        """Build the entry's fields and keep them if they pass the unit checks; else skip with the reason."""
        try:
            fields = build()
        except ValueError as exc:
            self.skip(key, f"no per-token price: {exc}")
            return False
        errors = problems(fields)
        if errors:
            self.skip(key, f"implausible: {errors[0]}")
            return False
        self.seen[key.lower()] = key
        self.models[key] = fields
        return True

    def result(self, name: str, source: str, as_of: date) -> ImportResult:
        return ImportResult(
            name=name,
            source=source,
            as_of=as_of,
            models=self.models,
            skipped=tuple(self.skipped),
            not_carried=dict(sorted(self.not_carried.items())),
            filtered_out=self.filtered,
        )


class Importer(Protocol):
    """Converts one price-list format; registered in :data:`IMPORTERS`."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def default_output(self) -> str: ...

    @property
    def source_label(self) -> str:
        """How the table's ``source`` names the format, e.g. "LiteLLM model_prices_and_context_window.json"."""
        ...

    def convert(self, data: object, *, source: str, as_of: date, filters: ImportFilters) -> ImportResult: ...


# --------------------------------------------------------------------------- helpers


def per_million(value: object) -> float | None:
    """A per-token price (number or numeric string) as USD per million tokens, exactly.

    Goes through the decimal text of the value, so 1.1e-06 becomes 1.1 rather than
    1.0999999999999999. ``None`` for missing or non-numeric values.
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        text = repr(value) if isinstance(value, float) else str(value).strip()
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    return float(number.scaleb(6))


def usd(value: object) -> float | None:
    """A plain USD amount (number or numeric string); ``None`` when missing or not a number."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(repr(value) if isinstance(value, float) else str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return float(number) if number.is_finite() else None


_FIELD_ORDER = (
    "provider",
    "aliases",
    "context_window",
    "max_output_tokens",
    "input",
    "output",
    "cache_read",
    "cache_write",
    "cache_write_1h",
    "reasoning",
    "per_request",
    "batch",
    "priority",
    "flex",
    "tiers",
    "supports",
    "source",
    "notes",
)


def ordered(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` in the schema's documented order, without empty values."""
    out = {k: fields[k] for k in _FIELD_ORDER if fields.get(k) not in (None, {}, [])}
    return out | {k: v for k, v in fields.items() if k not in out and v not in (None, {}, [])}


def problems(fields: Mapping[str, Any]) -> list[str]:
    """Why ``fields`` cannot be a model entry (schema or unit errors); empty when it can."""
    return model_problems(ModelSpec, fields)


# --------------------------------------------------------------------------- writing
