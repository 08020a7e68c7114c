"""Merged price tables and the rate fallback rules.

The models' prices and the rate fallback rules are in :mod:`llmaudit.pricing.prices`.
A table re-priced as a seller sells it (``as_sold_by``; the sellers themselves and their
bill-level fees are in :mod:`llmaudit.pricing.sellers`) is an ordinary ``PriceTable``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from llmaudit.errors import PricingError
from llmaudit.pricing.prices import ModelPrice, TableInfo, Tier, build_model
from llmaudit.pricing.resolve import ModelResolver, ResolvedName
from llmaudit.pricing.sellers import Seller
from llmaudit.pricing.spec import RATE_KINDS, TOOL_FEE_KINDS
from llmaudit.pricing.validate import TableIssue
from llmaudit.schema import PRICING_MODES
from llmaudit.shipped import shipped_dir

if TYPE_CHECKING:
    from llmaudit.pricing.fallback import Fallback


class PriceTable:
    """Merged price tables with name resolution and dense rate arrays for costing."""

    def __init__(
        self,
        models: Sequence[ModelPrice],
        tables: Sequence[TableInfo],
        *,
        sellers: Mapping[str, Seller] | None = None,
        warnings: Sequence[TableIssue] = (),
        sold_by: str | None = None,
        fallback: Fallback | None = None,
        adapt: Callable[[ModelPrice], ModelPrice] | None = None,
    ) -> None:
        self.models: tuple[ModelPrice, ...] = tuple(sorted(models, key=lambda m: m.name))
        self.tables: tuple[TableInfo, ...] = tuple(tables)
        self.index: dict[str, int] = {m.name: i for i, m in enumerate(self.models)}
        self.resolver = ModelResolver({m.name: m.aliases for m in self.models})
        self.sellers: Mapping[str, Seller] = dict(sorted((sellers or {}).items()))
        self.warnings: tuple[TableIssue, ...] = tuple(warnings)
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

    def resolve(self, raw: str) -> ResolvedName | None:
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


# --------------------------------------------------------------------------- as a seller sells it


def _marked_up(model: ModelPrice, factor: float) -> ModelPrice:
    if factor == 1.0:
        return model
    return replace(
        model,
        rates=model.rates.scaled(factor),
        modes={m: r.scaled(factor) for m, r in model.modes.items()},
        tiers=tuple(
            Tier(t.above, t.rates.scaled(factor), {m: r.scaled(factor) for m, r in t.modes.items()})
            for t in model.tiers
        ),
        per_request_usd=model.per_request_usd * factor,
    )


def _seller_priced(model: ModelPrice | None, name: str, fields: Mapping[str, Any], seller: Seller) -> ModelPrice:
    # The seller's entry replaces the prices whole; identity (aliases, context window, ...) stays.
    identity = {}
    if model is not None:
        identity = {
            "provider": model.provider,
            "aliases": list(model.aliases),
            "context_window": model.context_window,
            "max_output_tokens": model.max_output_tokens,
            "supports": sorted(model.supports),
        }
    data = {**identity, "provider": identity.get("provider") or seller.name, **fields, "source": seller.source}
    return build_model(
        name,
        data,
        f"sellers.{seller.name}.models.{name}",
        tables=(*(model.tables if model else ()), seller.table),
    )


def sold_by(table: PriceTable, seller: Seller) -> PriceTable:
    """``table`` with every price as ``seller`` charges it (see ``PriceTable.as_sold_by``)."""
    listed: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for key, fields in (seller.models or {}).items():
        hit = table.resolve(key)
        listed[hit.model if hit else key] = (key, fields)
    factor = 1.0 + seller.markup_pct / 100.0
    models = []
    for model in table.models:
        if model.name in listed:
            _, fields = listed.pop(model.name)
            priced = _seller_priced(model, model.name, fields, seller)
        elif seller.unlisted_models == "list_price":
            priced = _marked_up(model, factor)
        else:
            continue
        models.append(priced)
    # Models the seller sells that no table lists.
    models += [_seller_priced(None, key, fields, seller) for key, fields in listed.values()]
    if seller.per_request_usd:
        models = [replace(m, per_request_usd=m.per_request_usd + seller.per_request_usd) for m in models]

    def unlisted(model: ModelPrice) -> ModelPrice:
        """A model of the fallback snapshot, as this seller sells a model it does not list."""
        priced = _marked_up(model, factor)
        return replace(priced, per_request_usd=priced.per_request_usd + seller.per_request_usd)

    # Snapshot models the seller sells at list price come in as the logs name them.
    fallback = table.fallback if seller.unlisted_models == "list_price" else None
    return PriceTable(
        models,
        table.tables,
        sellers=table.sellers,
        warnings=table.warnings,
        sold_by=seller.name,
        fallback=fallback,
        adapt=unlisted,
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
