"""Load, merge and query price tables.

A :class:`PriceTable` is built from the shipped tables (``pricing/*.yaml``, packaged
into the wheel) followed by any tables the user passes with ``--pricing``. A later
table overrides or extends an earlier one *field by field*: a user table may set only
``input`` for ``gpt-4o`` and keep every other shipped rate. A model key in a later
table merges into an earlier model only when it is that model's exact name or alias
(case-insensitive); otherwise it is a new model.

Rate fallbacks (the formula in the shared FORMATS.md, section 2), for a rate kind k,
long-context tier t (the base rates when no tier applies) and pricing mode m:

1. through tiers and modes, first defined of: t.m.k, base.m.k (discounted modes such
   as batch apply to long-context requests too), t.k, base.k;
2. then through kinds: cache_read and cache_write fall back to input (never 0),
   cache_write_1h to cache_write, reasoning to output.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np

from llmaudit.errors import PricingError
from llmaudit.pricing.resolve import ModelResolver, Resolution
from llmaudit.pricing.spec import MODE_NAMES, RATE_KINDS, TableSpec
from llmaudit.schema import PRICING_MODES
from llmaudit.yamlsrc import YamlDoc, load_yaml, validate

# A positive per-million price below this is almost surely a per-token price typed into a
# per-million field ($3e-6 instead of $3): real prices sit far above it.
MIN_PLAUSIBLE_PER_MILLION: Final = 0.001
# No model sells tokens above this per million; a larger figure is a unit slip
# (per-thousand or per-token-in-cents) rather than a price.
MAX_PLAUSIBLE_PER_MILLION: Final = 1000.0

KIND_FALLBACK: Final[Mapping[str, str]] = {
    "cache_read": "input",
    "cache_write": "input",
    "cache_write_1h": "cache_write",
    "reasoning": "output",
}


@dataclass(frozen=True)
class TableInfo:
    """Where a table came from."""

    name: str
    path: str
    source: str
    as_of: date
    shipped: bool


@dataclass(frozen=True)
class Rates:
    """Per-million prices of one rate set; ``None`` means "falls back"."""

    input: float | None = None
    output: float | None = None
    cache_read: float | None = None
    cache_write: float | None = None
    cache_write_1h: float | None = None
    reasoning: float | None = None

    def get(self, kind: str) -> float | None:
        value: float | None = getattr(self, kind)
        return value

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> Rates:
        data = data or {}
        return cls(**{k: data.get(k) for k in RATE_KINDS})


@dataclass(frozen=True)
class Tier:
    """Long-context rates applied to the whole request when prompt tokens > ``above``."""

    above: int
    rates: Rates
    modes: Mapping[str, Rates]


@dataclass(frozen=True)
class ModelPrice:
    """One priced model after merging every table that mentions it."""

    name: str
    provider: str | None
    aliases: tuple[str, ...]
    rates: Rates
    modes: Mapping[str, Rates]
    tiers: tuple[Tier, ...]
    per_request_usd: float
    context_window: int | None
    max_output_tokens: int | None
    supports: frozenset[str]
    source: str | None
    defined_in: str

    def rate(self, kind: str, tier: int = 0, mode: str = "standard") -> float:
        """USD per million tokens of ``kind`` for a request in ``tier`` (0 = base) and ``mode``."""
        value = self._through_tiers(kind, tier, mode)
        while value is None:
            kind = KIND_FALLBACK[kind]
            value = self._through_tiers(kind, tier, mode)
        return value

    def _through_tiers(self, kind: str, tier: int, mode: str) -> float | None:
        chain: list[Rates | None] = []
        t = self.tiers[tier - 1] if tier > 0 else None
        if mode != "standard":
            chain += [t.modes.get(mode) if t else None, self.modes.get(mode)]
        chain += [t.rates if t else None, self.rates]
        for rates in chain:
            if rates is not None and rates.get(kind) is not None:
                return rates.get(kind)
        return None


@dataclass
class _Draft:
    """A model's merged YAML fields while tables are being stacked."""

    fields: dict[str, Any]
    defined_in: str


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _check_plausible(doc: YamlDoc, spec: TableSpec) -> None:
    """Reject prices that are surely in the wrong unit, naming file and line."""
    problems = []
    for model_key, model in spec.models.items():
        rate_sets: list[tuple[tuple[str | int, ...], Any]] = [((model_key,), model)]
        for mode in MODE_NAMES:
            if getattr(model, mode) is not None:
                rate_sets.append(((model_key, mode), getattr(model, mode)))
        for index, tier in enumerate(model.tiers or []):
            rate_sets.append(((model_key, "tiers", index), tier))
            for mode in MODE_NAMES:
                if getattr(tier, mode) is not None:
                    rate_sets.append(((model_key, "tiers", index, mode), getattr(tier, mode)))
        for loc, rates in rate_sets:
            for kind in RATE_KINDS:
                value = getattr(rates, kind)
                if value is None or value == 0:
                    continue
                full = ("models", *loc, kind)
                if value < MIN_PLAUSIBLE_PER_MILLION:
                    problems.append(
                        f"{doc.where(full)}: models.{'.'.join(map(str, loc))}.{kind}: {value:g} looks like a "
                        f"per-token price; prices here are USD per million tokens "
                        f"(did you mean {value * 1e6:g}?)"
                    )
                elif value > MAX_PLAUSIBLE_PER_MILLION:
                    problems.append(
                        f"{doc.where(full)}: models.{'.'.join(map(str, loc))}.{kind}: {value:g} USD per "
                        f"million tokens is beyond any real price; check the unit"
                    )
        tiers = [t.above for t in model.tiers or []]
        if tiers != sorted(set(tiers)):
            problems.append(
                f"{doc.where(('models', model_key, 'tiers'))}: models.{model_key}.tiers: thresholds must be "
                f"strictly ascending, got {tiers}"
            )
    if problems:
        raise PricingError("implausible prices:\n  " + "\n  ".join(problems))


def _norm(name: str) -> str:
    return name.strip().lower()


class PriceTable:
    """Merged price tables with name resolution and dense rate arrays for costing."""

    def __init__(self, models: Sequence[ModelPrice], tables: Sequence[TableInfo]) -> None:
        self.models: tuple[ModelPrice, ...] = tuple(sorted(models, key=lambda m: m.name))
        self.tables: tuple[TableInfo, ...] = tuple(tables)
        self.index: dict[str, int] = {m.name: i for i, m in enumerate(self.models)}
        self.resolver = ModelResolver({m.name: m.aliases for m in self.models})

    def __len__(self) -> int:
        return len(self.models)

    def get(self, name: str) -> ModelPrice:
        return self.models[self.index[name]]

    def resolve(self, raw: str) -> Resolution | None:
        """Resolve a model name as spelled in a log; ``None`` when no table prices it."""
        return self.resolver.resolve(raw)

    @cached_property
    def rate_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dense arrays for vectorized costing.

        Returns ``(thresholds, rates, fees)``: thresholds ``[M, T]`` ascending per model,
        padded with +inf; rates ``[M, T + 1, len(PRICING_MODES), len(RATE_KINDS)]`` in USD
        per million tokens with every fallback already applied; fees ``[M]`` USD per call.
        """
        n_tiers = max((len(m.tiers) for m in self.models), default=0)
        thresholds = np.full((len(self.models), n_tiers), np.inf)
        rates = np.zeros((len(self.models), n_tiers + 1, len(PRICING_MODES), len(RATE_KINDS)))
        fees = np.zeros(len(self.models))
        for i, model in enumerate(self.models):
            for t, tier in enumerate(model.tiers):
                thresholds[i, t] = tier.above
            for t in range(n_tiers + 1):
                real_tier = min(t, len(model.tiers))
                for j, mode in enumerate(PRICING_MODES):
                    for k, kind in enumerate(RATE_KINDS):
                        rates[i, t, j, k] = model.rate(kind, real_tier, mode)
            fees[i] = model.per_request_usd
        return thresholds, rates, fees


def shipped_pricing_dir() -> Path:
    """Directory of the price tables shipped with llmaudit.

    Installed from a wheel they sit in ``llmaudit/_data/pricing``; in a source checkout
    (editable install, tests) they are the repository's top-level ``pricing/``.
    """
    packaged = Path(str(resources.files("llmaudit"))) / "_data" / "pricing"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "pricing"
    if checkout.is_dir():
        return checkout
    raise PricingError(
        "the shipped price tables are missing from this installation",
        hint="reinstall llmaudit, or pass your own table with --pricing FILE",
    )


def _table_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise PricingError(f"{path}: no .yaml price tables in this directory")
        return files
    if path.is_file():
        return [path]
    raise PricingError(f"{path}: no such price table file or directory")


def _load_table_file(path: Path) -> tuple[YamlDoc, TableSpec]:
    doc = load_yaml(path)
    if doc.data is None:
        raise PricingError(f"{path}: the price table is empty", hint="see pricing/README.md for the schema")
    if not isinstance(doc.data, dict):
        raise PricingError(f"{path}:1: a price table must be a YAML mapping with a 'models:' key")
    spec = validate(doc, TableSpec, error=PricingError, what=f"price table {path}")
    _check_plausible(doc, spec)
    return doc, spec


def _build_model(name: str, draft: _Draft) -> ModelPrice:
    data = draft.fields
    for kind in ("input", "output"):
        if data.get(kind) is None:
            raise PricingError(
                f"{draft.defined_in}: model {name!r} has no '{kind}' price",
                hint="every model needs input and output prices (USD per million tokens)",
            )
    tiers = tuple(
        Tier(
            above=int(t["above"]),
            rates=Rates.from_mapping(t),
            modes={m: Rates.from_mapping(t[m]) for m in MODE_NAMES if t.get(m)},
        )
        for t in sorted(data.get("tiers") or [], key=lambda t: t["above"])
    )
    return ModelPrice(
        name=name,
        provider=data.get("provider"),
        aliases=tuple(data.get("aliases") or ()),
        rates=Rates.from_mapping(data),
        modes={m: Rates.from_mapping(data[m]) for m in MODE_NAMES if data.get(m)},
        tiers=tiers,
        per_request_usd=float(data.get("per_request") or 0.0),
        context_window=data.get("context_window"),
        max_output_tokens=data.get("max_output_tokens"),
        supports=frozenset(data.get("supports") or ()),
        source=data.get("source"),
        defined_in=draft.defined_in,
    )


def load_pricing(extra: Iterable[str | Path] = (), *, include_shipped: bool = True) -> PriceTable:
    """Load the shipped tables, then each path in ``extra`` (file or directory) on top.

    Raises ``PricingError`` (exit 2) naming file, line and field for any problem.
    """
    sources: list[tuple[Path, bool]] = []
    if include_shipped:
        sources += [(p, True) for p in _table_files(shipped_pricing_dir())]
    for item in extra:
        sources += [(p, False) for p in _table_files(Path(item))]
    if not sources:
        raise PricingError("no price table given", hint="drop --no-default-pricing or pass --pricing FILE")

    drafts: dict[str, _Draft] = {}
    lookup: dict[str, str] = {}  # lower-cased name or alias -> model key
    infos: list[TableInfo] = []
    for path, shipped in sources:
        doc, spec = _load_table_file(path)
        infos.append(TableInfo(spec.name, str(path), spec.source, spec.as_of, shipped))
        seen_in_file: dict[str, str] = {}
        for key, model in spec.models.items():
            where = doc.where(("models", key))
            override = model.model_dump(exclude_unset=True)
            target = lookup.get(_norm(key))
            if target is None:
                drafts[key] = _Draft(fields=override, defined_in=where)
                target = key
            else:
                merged = _deep_merge(drafts[target].fields, override)
                # Aliases accumulate; every other list (tiers, supports) is replaced whole.
                merged["aliases"] = list(
                    dict.fromkeys([*(drafts[target].fields.get("aliases") or []), *(override.get("aliases") or [])])
                )
                drafts[target] = _Draft(merged, where)
            for alias in [key, *(model.aliases or [])]:
                owner = seen_in_file.get(_norm(alias))
                if owner is not None and owner != target:
                    raise PricingError(
                        f"{where}: name {alias!r} is claimed by both {owner!r} and {target!r} in {path}",
                        hint="a name or alias may belong to one model only",
                    )
                seen_in_file[_norm(alias)] = target
                lookup[_norm(alias)] = target
    models = [_build_model(name, draft) for name, draft in drafts.items()]
    return PriceTable(models, infos)
