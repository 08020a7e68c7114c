"""Importers: other price lists converted into llmaudit's YAML price-table schema.

Each importer turns parsed JSON into an :class:`ImportResult` (model entries in USD per
million tokens, plus what it skipped and which fields it could not carry); the registry
:data:`IMPORTERS` names them for ``llmaudit pricing import FORMAT``. Converting is pure;
reading the JSON (a file, or a URL through :mod:`llmaudit.pricing.fetch`) and writing
the YAML happen around it.

Every model an importer emits passes the same unit checks as a hand-written table: an
entry with an impossible value (a per-token price above $1,000 per million, say) is
skipped with the reason, never written.
"""

from __future__ import annotations

import contextlib
import fnmatch
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import yaml

from llmaudit.errors import PricingError, UsageError
from llmaudit.pricing.loader import validate_pricing
from llmaudit.pricing.spec import ModelSpec
from llmaudit.pricing.validate import TableIssue, model_problems

if TYPE_CHECKING:
    from llmaudit.pricing.fetch import FetchOptions


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


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping written on one line (rate sets: ``batch: {input: 1.25, output: 5.0}``)."""


class _FlowList(list):  # type: ignore[type-arg]
    """A list written on one line (``supports: [tools, vision]``)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _styled(fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "tiers":
            out[key] = [_styled(tier) for tier in value]
        elif isinstance(value, Mapping):
            out[key] = _Flow(value)
        elif isinstance(value, list):
            out[key] = _FlowList(value)
        else:
            out[key] = value
    return out


def render_yaml(result: ImportResult, *, command: str) -> str:
    """The YAML text of an imported table, with a header saying where it came from."""
    doc = result.document()
    doc["models"] = {key: _styled(fields) for key, fields in doc["models"].items()}
    header = [
        f"# Imported with `{command}` on {result.as_of.isoformat()}.",
        f"# Source: {result.source}",
        "# USD per million tokens (per_request: USD per call); schema: pricing/README.md.",
        f"# {doc['notes']}.",
    ]
    if result.not_carried:
        carried = ", ".join(f"{name} ({n})" for name, n in result.not_carried.items())
        header.append(f"# Not carried (no field in the schema; models that had it): {carried}")
    listed = [s for s in result.skipped if not s.reason.startswith("not a text-generation model")]
    for item in listed[:40]:
        header.append(f"# skipped {item.key}: {item.reason}")
    if len(listed) > 40:
        header.append(f"# ... and {len(listed) - 40} more skipped entries")
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    return "\n".join(line.rstrip() for line in header) + "\n" + body


def write_atomically(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a failure leaves any
    existing file untouched. Raises ``PricingError`` when the file cannot be written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise PricingError(f"{path}: cannot write the price table ({exc.strerror})") from None


# --------------------------------------------------------------------------- the whole import


@dataclass(frozen=True)
class ImportOutcome:
    """What ``pricing import`` did."""

    result: ImportResult
    output: Path
    warnings: tuple[TableIssue, ...]
    size_bytes: int


def import_price_list(
    fmt: str,
    location: str,
    output: Path,
    *,
    as_of: date,
    filters: ImportFilters = ImportFilters(),
    fetch_options: FetchOptions | None = None,
    transport: Any = None,
    command: str = "llmaudit pricing import",
) -> ImportOutcome:
    """Read ``location`` (file or URL), convert it with importer ``fmt`` and write ``output``.

    The table is checked with the same validation as any table before it replaces
    ``output``, and written through a temporary file: any failure (fetch, format, an
    empty selection, a write error) raises ``PricingError`` and leaves an existing
    ``output`` untouched. ``transport`` is an ``httpx`` transport for tests.
    """
    # Imported here: httpx loads only when a price list is actually read.
    from llmaudit.pricing.fetch import FetchOptions, read_price_list

    importer = IMPORTERS.get(fmt)
    if importer is None:
        raise UsageError(f"unknown price-list format {fmt!r}; choose one of {', '.join(IMPORTERS)}")
    fetched = read_price_list(location, fetch_options or FetchOptions(), transport=transport)
    version = f" (LiteLLM {fetched.version})" if fetched.version and fmt == "litellm" else ""
    source = f"{importer.source_label}{version}, {location}"
    result = importer.convert(fetched.data, source=source, as_of=as_of, filters=filters)
    if not result.models:
        raise PricingError(
            f"{location}: no model to import ({len(result.skipped)} skipped, {result.filtered_out} filtered out)",
            hint="check --only / --models; `--only` takes provider names as the source spells them",
        )
    text = render_yaml(result, command=command)
    with tempfile.TemporaryDirectory() as scratch:
        draft = Path(scratch) / output.name
        draft.write_text(text, encoding="utf-8")
        report = validate_pricing([draft], include_shipped=False)
    if report.errors:  # the converters skip what would fail; this is a safety net
        raise PricingError(
            f"the converted table does not validate: {report.errors[0]}",
            hint="this is a bug in the importer; please report it with the source file",
        )
    write_atomically(text, output)
    return ImportOutcome(result, output, report.warnings, fetched.size_bytes)


def _registry() -> dict[str, Importer]:
    from llmaudit.pricing.importers.litellm import LITELLM
    from llmaudit.pricing.importers.openrouter import OPENROUTER

    importers: tuple[Importer, ...] = (LITELLM, OPENROUTER)
    return {importer.name: importer for importer in importers}


IMPORTERS: Mapping[str, Importer] = _registry()
