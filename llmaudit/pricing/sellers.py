"""Sellers: the same model sold at different prices, and gateway fees that are not per token.

A *seller* is whoever bills you: a provider's own API (``kind: direct``, list prices),
a gateway (OpenRouter) or an aggregator/reseller. Tables describe sellers under
``sellers:`` (schema and example: pricing/README.md, "Sellers"). Two kinds of effect:

- **per request** (``PriceTable.as_sold_by``, in :mod:`llmaudit.pricing.table`): the seller's
  own model prices replace the list prices, a markup percentage scales list-priced
  models, a per-request fee is added to every call. The result is an ordinary
  :class:`PriceTable`, so ``price_requests`` needs no change;
- **per bill** (:func:`seller_fees`): a fee on each credit purchase (with a minimum),
  a fee on bring-your-own-key traffic above a monthly allowance, an FX fee for billing
  in another currency. These depend on totals, not on requests.

Everything here is pure: USD in, USD out, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from llmaudit.analyze.projection import DAYS_PER_MONTH
from llmaudit.errors import UsageError
from llmaudit.pricing.spec import SellerSpec

# Average days per calendar month (as analyze's monthly projection uses).


@dataclass(frozen=True)
class CreditFee:
    """``pct`` percent of each prepaid-credit purchase, at least ``min_usd`` per purchase."""

    pct: float
    min_usd: float


@dataclass(frozen=True)
class ByokFee:
    """``pct`` percent of what bring-your-own-key traffic would cost through the seller,
    on the requests above ``free_requests_per_month``."""

    pct: float
    free_requests_per_month: int


@dataclass(frozen=True)
class Seller:
    """One seller, as the tables describe it."""

    name: str
    kind: Literal["direct", "gateway", "aggregator", "reseller"]
    source: str
    as_of: date
    table: str
    """Name of the table that defined the seller."""
    display_name: str | None = None
    url: str | None = None
    unlisted_models: Literal["list_price", "unpriced"] = "unpriced"
    """What a model missing from ``models`` costs: the list price (plus markup) or nothing (unpriced)."""
    markup_pct: float = 0.0
    """Percent added to every list price the seller passes through (not to its own ``models`` prices)."""
    per_request_usd: float = 0.0
    """Flat USD fee per request, added to every model's per-request fee."""
    credit_fee: CreditFee | None = None
    byok_fee: ByokFee | None = None
    fx_fee_pct: float = 0.0
    """Percent of the bill charged for billing in another currency (0: billed in USD)."""
    models: Mapping[str, Mapping[str, Any]] | None = None
    """Model name as the seller lists it -> its prices (the YAML fields of a model entry)."""
    notes: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "display_name": self.display_name,
            "url": self.url,
            "source": self.source,
            "as_of": self.as_of.isoformat(),
            "table": self.table,
            "unlisted_models": self.unlisted_models,
            "markup_pct": self.markup_pct,
            "per_request_usd": self.per_request_usd,
            "credit_fee": None if self.credit_fee is None else vars(self.credit_fee),
            "byok_fee": None if self.byok_fee is None else vars(self.byok_fee),
            "fx_fee_pct": self.fx_fee_pct,
            "models": {k: dict(v) for k, v in sorted((self.models or {}).items())},
            "notes": self.notes,
        }


def build_seller(name: str, spec: SellerSpec, *, table: str) -> Seller:
    return Seller(
        name=name,
        kind=spec.kind,
        source=spec.source,
        as_of=spec.as_of,
        table=table,
        display_name=spec.display_name,
        url=spec.url,
        unlisted_models=spec.unlisted_models,
        markup_pct=spec.markup_pct,
        per_request_usd=spec.per_request_usd,
        credit_fee=None if spec.credit_fee is None else CreditFee(spec.credit_fee.pct, spec.credit_fee.min_usd),
        byok_fee=None if spec.byok_fee is None else ByokFee(spec.byok_fee.pct, spec.byok_fee.free_requests_per_month),
        fx_fee_pct=spec.fx_fee_pct,
        models={key: model.model_dump(exclude_none=True) for key, model in spec.models.items()},
        notes=spec.notes,
    )


# --------------------------------------------------------------------------- bill-level fees


@dataclass(frozen=True)
class FeeItem:
    """One bill-level fee, in USD, with how it was computed."""

    name: Literal["credit_purchase", "byok", "fx"]
    usd: float
    description: str


@dataclass(frozen=True)
class FeeBreakdown:
    """A seller's bill-level fees for one period.

    ``metered_usd`` is the request cost as priced through ``PriceTable.as_sold_by`` (so
    it already holds the seller's prices, markup and per-request fees); ``items`` are the
    fees on top; ``total_usd`` is what the period costs.
    """

    seller: str
    period_days: float
    metered_usd: float
    items: tuple[FeeItem, ...]

    @property
    def fees_usd(self) -> float:
        return sum(item.usd for item in self.items)

    @property
    def total_usd(self) -> float:
        return self.metered_usd + self.fees_usd

    def fee(self, name: str) -> float:
        return sum(item.usd for item in self.items if item.name == name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seller": self.seller,
            "period_days": self.period_days,
            "metered_usd": self.metered_usd,
            "fees": [vars(item) for item in self.items],
            "fees_usd": self.fees_usd,
            "total_usd": self.total_usd,
        }


def _usd(value: float) -> str:
    return f"${value:,.2f}"


def seller_fees(
    seller: Seller,
    metered_usd: float,
    requests: int,
    period_days: float,
    *,
    purchase_usd: float | None = None,
    byok_metered_usd: float = 0.0,
    byok_requests: int = 0,
) -> FeeBreakdown:
    """The fees ``seller`` adds to a period's bill, in USD.

    - ``metered_usd``: cost of the period's requests billed by the seller (priced with
      ``PriceTable.as_sold_by(seller)``); ``requests``: how many there were.
    - ``period_days``: length of the period (monthly allowances scale with it).
    - ``purchase_usd``: size of each prepaid-credit top-up. ``None`` buys the period's
      metered spend in one purchase; otherwise ``ceil(metered / purchase_usd)`` top-ups
      of that size are bought, each paying ``max(pct x size, min_usd)``.
    - ``byok_metered_usd`` / ``byok_requests``: traffic sent with your own provider key
      (billed by the provider, not the seller), valued at the seller's prices; the BYOK
      fee is ``pct`` of its cost on the requests above the free allowance
      (``free_requests_per_month x period_days / 30.44``), cost spread evenly per request.
    - FX fee: ``fx_fee_pct`` of everything the seller bills (metered + credit + BYOK fees).

    Raises ``UsageError`` for negative amounts or a non-positive period or top-up.
    """
    if metered_usd < 0 or byok_metered_usd < 0 or requests < 0 or byok_requests < 0:
        raise UsageError("seller fees: spend and request counts cannot be negative")
    if period_days <= 0:
        raise UsageError(f"seller fees: the period must be positive, got {period_days} days")
    if purchase_usd is not None and purchase_usd <= 0:
        raise UsageError(f"seller fees: a credit purchase must be positive, got {purchase_usd}")
    items = [
        _credit_fee(seller, metered_usd, purchase_usd),
        _byok_fee(seller, byok_metered_usd, byok_requests, period_days),
    ]
    billed = metered_usd + sum(item.usd for item in items)
    if seller.fx_fee_pct:
        fx = billed * seller.fx_fee_pct / 100.0
        items.append(FeeItem("fx", fx, f"{seller.fx_fee_pct:g}% FX fee on {_usd(billed)} billed in another currency"))
    else:
        items.append(FeeItem("fx", 0.0, "billed in USD: no FX fee"))
    return FeeBreakdown(seller.name, float(period_days), float(metered_usd), tuple(items))


def period_fees(
    seller: Seller,
    billed_usd: float,
    requests: int,
    days: float,
    *,
    byok_usd: float = 0.0,
    month: bool = False,
) -> FeeBreakdown:
    """``seller_fees`` for a logged period of ``days`` with ``requests`` calls, or (``month``)
    for the projected month: spend and calls scaled to DAYS_PER_MONTH days, one credit
    purchase. ``byok_usd`` > 0: the traffic runs on your own keys (valued at the seller's
    prices), so its calls count for the BYOK fee instead of being bought with credits."""
    if month:
        scale = DAYS_PER_MONTH / days
        billed_usd, byok_usd, requests = billed_usd * scale, byok_usd * scale, round(requests * scale)
        days = DAYS_PER_MONTH
    return seller_fees(
        seller,
        billed_usd,
        0 if byok_usd else requests,
        days,
        byok_metered_usd=byok_usd,
        byok_requests=requests if byok_usd else 0,
    )


def _credit_fee(seller: Seller, metered_usd: float, purchase_usd: float | None) -> FeeItem:
    fee = seller.credit_fee
    if fee is None:
        return FeeItem("credit_purchase", 0.0, "no fee on credit purchases")
    if metered_usd <= 0:
        return FeeItem("credit_purchase", 0.0, "no credits bought (nothing metered)")
    size = metered_usd if purchase_usd is None else purchase_usd
    count = 1 if purchase_usd is None else math.ceil(metered_usd / purchase_usd - 1e-12)
    each = max(size * fee.pct / 100.0, fee.min_usd)
    plural = "purchase" if count == 1 else "purchases"
    return FeeItem(
        "credit_purchase",
        count * each,
        f"{fee.pct:g}% of {count} credit {plural} of {_usd(size)} (minimum {_usd(fee.min_usd)} each)",
    )


def _byok_fee(seller: Seller, byok_usd: float, byok_requests: int, period_days: float) -> FeeItem:
    fee = seller.byok_fee
    if fee is None:
        return FeeItem("byok", 0.0, "no fee on bring-your-own-key traffic")
    if byok_requests <= 0 or byok_usd <= 0:
        return FeeItem("byok", 0.0, "no bring-your-own-key traffic")
    allowance = fee.free_requests_per_month * period_days / DAYS_PER_MONTH
    charged = max(0.0, byok_requests - allowance)
    usd = byok_usd * (charged / byok_requests) * fee.pct / 100.0
    span = "a month" if abs(period_days - DAYS_PER_MONTH) < 1e-9 else f"{period_days:.1f} days"
    return FeeItem(
        "byok",
        usd,
        f"{fee.pct:g}% of the BYOK cost of {charged:,.0f} of {byok_requests:,} requests"
        + (" projected for a month" if span == "a month" else "")
        + " "
        f"above the free {allowance:,.0f} for {span}",
    )
