"""Merged price tables and the rate fallback rules.

A :class:`PriceTable` is what :func:`llmaudit.pricing.load_pricing` builds from the
shipped tables (``pricing/*.yaml``, packaged into the wheel) and any tables the user
passes with ``--pricing`` (merging rules: pricing/README.md, "How tables merge").

Rate fallbacks (the formula in docs/formats.md), for a rate kind k,
long-context tier t (the base rates when no tier applies) and pricing mode m:

1. through tiers and modes, first defined of:
   - batch: ``t.m.k``, ``base.m.k``, ``t.k``, ``base.k`` (a batch discount applies to
     long-context requests too; LiteLLM's batch calculator does the same);
   - priority and flex: ``t.m.k``, ``t.k``, ``base.m.k``, ``base.k`` (a long-context
     request is billed at the tier's rates; without tier rates for the mode it bills at
     the tier's standard rates: OpenAI's priority processing excludes long-context
     requests, which run and bill as standard);
   - standard: ``t.k``, ``base.k``;
2. then through kinds: cache_read and cache_write fall back to input (never 0),
   cache_write_1h to cache_write, reasoning to output.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from llmaudit.errors import PricingError
from llmaudit.pricing.resolve import ModelResolver, Resolution
from llmaudit.pricing.spec import MODE_NAMES, RATE_KINDS, TOOL_FEE_KINDS
from llmaudit.pricing.validate import Finding
from llmaudit.schema import PRICING_MODES
from llmaudit.shipped import shipped_dir

if TYPE_CHECKING:
    from llmaudit.pricing.fallback import Fallback
    from llmaudit.pricing.sellers import Seller

KIND_FALLBACK: Final[Mapping[str, str]] = {
    "cache_read": "input",
    "cache_write": "input",
    "cache_write_1h": "cache_write",
    "reasoning": "output",
}
# Modes whose base rates apply above a long-context threshold before the tier's standard
# rates do (see the module docstring); the other non-standard modes try the tier first.
_MODE_BEFORE_TIER: Final = frozenset({"batch"})


@dataclass(frozen=True)
class TableInfo:
    """Where a table came from."""

    name: str
    path: str
    source: str
    as_of: date
    shipped: bool

    @property
    def shown_path(self) -> str:
        """The path for reports: a shipped table as ``(shipped) name.yaml``, the same on every install."""
        return f"(shipped) {self.path.replace(chr(92), '/').rsplit('/', 1)[-1]}" if self.shipped else self.path


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

    def scaled(self, factor: float) -> Rates:
        return Rates(**{k: None if v is None else v * factor for k, v in self.as_dict().items()})

    def as_dict(self) -> dict[str, float | None]:
        return {k: getattr(self, k) for k in RATE_KINDS}


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
    notes: str | None = None
    tables: tuple[str, ...] = ()
    """Names of the tables that set any of this model's fields, in load order."""
    origins: Mapping[str, str] = field(default_factory=dict)
    """Dotted field path (``input``, ``batch.input``, ``tiers.0.output``) -> ``file:line`` that set it."""
    confidence: str = "high"
    """``high`` (checked against the provider), ``medium`` (an aggregator's list) or ``low``."""
    tool_fees: Mapping[str, float] = field(default_factory=dict)
    """USD per server-side tool call by ``TOOL_FEE_KINDS`` key (the table's ``per_1k_calls`` / 1000);
    a kind the tables do not price is absent and bills nothing."""

    def rate(self, kind: str, tier: int = 0, mode: str = "standard") -> float:
        """USD per million tokens of ``kind`` for a request in ``tier`` (0 = base) and ``mode``."""
        value = self._through_tiers(kind, tier, mode)
        while value is None:
            kind = KIND_FALLBACK[kind]
            value = self._through_tiers(kind, tier, mode)
        return value

    def declared(self, kind: str, tier: int = 0, mode: str = "standard") -> float | None:
        """The rate exactly as the tables set it for this tier and mode (no fallback)."""
        rates = self.tiers[tier - 1] if tier > 0 else None
        base = rates.rates if rates else self.rates
        if mode == "standard":
            return base.get(kind)
        mode_rates = (rates.modes if rates else self.modes).get(mode)
        return mode_rates.get(kind) if mode_rates else None

    def _through_tiers(self, kind: str, tier: int, mode: str) -> float | None:
        t = self.tiers[tier - 1] if tier > 0 else None
        chain: list[Rates | None]
        if mode == "standard" or mode not in ("batch", "priority", "flex"):
            chain = [t.rates if t else None, self.rates]
        elif mode in _MODE_BEFORE_TIER:
            chain = [t.modes.get(mode) if t else None, self.modes.get(mode), t.rates if t else None, self.rates]
        else:
            chain = [t.modes.get(mode) if t else None, t.rates if t else None, self.modes.get(mode), self.rates]
        for rates in chain:
            if rates is not None and rates.get(kind) is not None:
                return rates.get(kind)
        return None


class PriceTable:
    """Merged price tables with name resolution and dense rate arrays for costing."""

    def __init__(
        self,
        models: Sequence[ModelPrice],
        tables: Sequence[TableInfo],
        *,
        sellers: Mapping[str, Seller] | None = None,
        warnings: Sequence[Finding] = (),
        sold_by: str | None = None,
        fallback: Fallback | None = None,
        adapt: Callable[[ModelPrice], ModelPrice] | None = None,
    ) -> None:
        self.models: tuple[ModelPrice, ...] = tuple(sorted(models, key=lambda m: m.name))
        self.tables: tuple[TableInfo, ...] = tuple(tables)
        self.index: dict[str, int] = {m.name: i for i, m in enumerate(self.models)}
        self.resolver = ModelResolver({m.name: m.aliases for m in self.models})
        self.sellers: Mapping[str, Seller] = dict(sorted((sellers or {}).items()))
        self.warnings: tuple[Finding, ...] = tuple(warnings)
        """Plausibility warnings found while loading (never printed by the core)."""
        self.sold_by = sold_by
        """The seller whose prices these are (``as_sold_by``), or ``None`` for list prices."""
        self._sold: dict[str, PriceTable] = {}  # as_sold_by, per seller of this table
        self.fallback = fallback
        """The LiteLLM snapshot, consulted for names no table resolves (``llmaudit.pricing.fallback``)."""
        self._adapt = adapt
        self._lock = threading.Lock()
        self._arrays: dict[str, tuple[int, Any]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Picklable (a cluster run ships the table to its workers): without the lock and caches."""
        state = dict(self.__dict__)
        del state["_lock"]
        state["_arrays"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.models)

    def get(self, name: str) -> ModelPrice:
        return self.models[self.index[name]]

    def resolve(self, raw: str) -> Resolution | None:
        """Resolve a model name as spelled in a log; ``None`` when no table prices it.

        The tables first, by every rule; only then the fallback snapshot, whose model is
        added to this table (appended: existing indexes stay valid) the first time."""
        hit = self.resolver.resolve(raw)
        if hit is not None or self.fallback is None:
            return hit
        found = self.fallback.resolve(raw)
        if found is None:
            return None
        with self._lock:
            if found.model not in self.index:
                fields = self.fallback.fields(found.model)
                model = build_model(found.model, fields, self.fallback.path, (self.fallback.name,))
                if self._adapt is not None:
                    model = self._adapt(model)
                self.index[model.name] = len(self.models)
                self.models = (*self.models, model)
        return found

    def _cached(self, name: str, build: Callable[[], Any]) -> Any:
        """An array cached for the current set of models (the fallback can add models)."""
        count = len(self.models)
        cached = self._arrays.get(name)
        if cached is None or cached[0] != count:
            cached = (count, build())
            self._arrays[name] = cached
        return cached[1]

    def table_info(self, name: str) -> TableInfo | None:
        """The last loaded table called ``name``."""
        return next((t for t in reversed(self.tables) if t.name == name), None)

    def seller(self, name: str) -> Seller:
        """The seller called ``name`` (case-insensitive). Raises ``PricingError`` listing the known ones."""
        for key, seller in self.sellers.items():
            if key.lower() == name.strip().lower():
                return seller
        known = ", ".join(self.sellers) or "none"
        raise PricingError(
            f"no seller named {name!r} in the price tables (known: {known})",
            hint="sellers are defined under 'sellers:' in a price table; see pricing/README.md, 'Sellers'",
        )

    def as_sold_by(self, seller: str | Seller) -> PriceTable:
        """This table with every price as ``seller`` charges it (pricing/README.md, 'Sellers').

        The seller's own model prices replace the list prices; other models keep their list
        prices (plus the seller's markup) or become unpriced, as the seller says; the seller's
        per-request fee is added to every model's. Bill-level fees (credit purchases, BYOK,
        FX) are not per request: compute them with ``llmaudit.pricing.seller_fees``.
        Raises ``PricingError`` for an unknown seller.
        """
        from llmaudit.pricing.sellers import sold_by

        chosen = self.seller(seller) if isinstance(seller, str) else seller
        if self.sellers.get(chosen.name) is not chosen:
            return sold_by(self, chosen)  # a seller from elsewhere: not cached
        if chosen.name not in self._sold:  # built once: simulate bills every policy through every seller
            self._sold[chosen.name] = sold_by(self, chosen)
        return self._sold[chosen.name]

    @property
    def rate_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Dense arrays for vectorized costing.

        Returns ``(thresholds, rates, fees)``: thresholds ``[M, T]`` ascending per model,
        padded with +inf; rates ``[M, T + 1, len(PRICING_MODES), len(RATE_KINDS)]`` in USD
        per million tokens with every fallback already applied; fees ``[M]`` USD per call.
        """
        return self._cached("rates", self._rate_arrays)  # type: ignore[no-any-return]

    def _rate_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        models = self.models
        n_tiers = max((len(m.tiers) for m in models), default=0)
        thresholds = np.full((len(models), n_tiers), np.inf)
        rates = np.zeros((len(models), n_tiers + 1, len(PRICING_MODES), len(RATE_KINDS)))
        fees = np.zeros(len(models))
        for i, model in enumerate(models):
            for t, tier in enumerate(model.tiers):
                thresholds[i, t] = tier.above
            for t in range(len(model.tiers) + 1):
                for j, mode in enumerate(PRICING_MODES):
                    for k, kind in enumerate(RATE_KINDS):
                        rates[i, t, j, k] = model.rate(kind, t, mode)
            # Padding tiers (past the model's own) repeat its last one: never reached, as
            # their threshold is +inf, but kept equal so any read of them is right.
            rates[i, len(model.tiers) + 1 :] = rates[i, len(model.tiers)]
            fees[i] = model.per_request_usd
        return thresholds, rates, fees

    @property
    def tool_fee_array(self) -> np.ndarray:
        """USD per call ``[M, len(TOOL_FEE_KINDS)]``, 0 where a model does not price a kind."""

        def build() -> np.ndarray:
            models = self.models
            out = np.zeros((len(models), len(TOOL_FEE_KINDS)))
            for i, model in enumerate(models):
                for k, kind in enumerate(TOOL_FEE_KINDS):
                    out[i, k] = model.tool_fees.get(kind, 0.0)
            return out

        return self._cached("tools", build)  # type: ignore[no-any-return]


def build_model(
    name: str,
    data: Mapping[str, Any],
    defined_in: str,
    tables: tuple[str, ...] = (),
    origins: Mapping[str, str] | None = None,
) -> ModelPrice:
    """A :class:`ModelPrice` from merged YAML fields (input and output must be present)."""
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
        defined_in=defined_in,
        notes=data.get("notes"),
        tables=tables,
        origins=dict(origins or {}),
        # Providers quote per 1,000 calls; kept per call. A missing kind stays absent, not 0.
        confidence=data.get("confidence") or "high",
        tool_fees={k: v / 1000 for k, v in (data.get("per_1k_calls") or {}).items() if v is not None},
    )


def shipped_pricing_dir() -> Path:
    """Directory of the price tables shipped with llmaudit.

    Installed from a wheel they sit in ``llmaudit/_data/pricing``; in a source checkout
    (editable install, tests) they are the repository's top-level ``pricing/``.
    """
    found = shipped_dir("pricing")
    if found is not None:
        return found
    raise PricingError(
        "the shipped price tables are missing from this installation",
        hint="reinstall llmaudit, or pass your own table with --pricing FILE",
    )
