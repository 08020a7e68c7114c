"""The YAML schema of a price table, as pydantic models (documented in pricing/README.md).

All token prices are USD **per million tokens**; ``per_request`` is USD per call.
Every field of a model is optional here because a user's table may override a single
price of a model another table defines; completeness (input and output present) is
checked after tables are merged, in :mod:`llmaudit.pricing.loader`.

A table may also describe **sellers** (``sellers:``): who sells models at which prices
and which fees a gateway adds that are not per-token (see :mod:`llmaudit.pricing.sellers`).
Percentages are written as percent (``5.5`` means 5.5%), never as fractions.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints

from llmaudit.yamlsrc import StrictModel


def _not_bool(value: object) -> object:
    """pydantic reads ``true`` as 1: ``input: yes`` would be $1.00 per million. YAML 1.1 reads
    yes/no/on/off/true/false as booleans, so say that."""
    if isinstance(value, bool):
        shown = str(value).lower()
        raise ValueError(f"must be a number, not {shown} (YAML reads yes/no/on/off/true/false as booleans)")
    return value


NoBool = BeforeValidator(_not_bool)
PerMillion = Annotated[float, Field(ge=0, allow_inf_nan=False), NoBool]
PerThousandCalls = Annotated[float, Field(ge=0, allow_inf_nan=False), NoBool]
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

# Keys of ``per_1k_calls``: server-side tool calls billed per call (schema.TOOL_CALL_COLUMNS).
TOOL_FEE_KINDS = ("web_search", "web_fetch", "file_search", "code_interpreter", "grounded_prompt", "grounding_query")
RATE_KINDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h", "reasoning")
MODE_NAMES = ("batch", "priority", "flex")
# How far a price is trusted (pricing/README.md, "Confidence"): only "high" prices lead a
# finding or a cheapest-fit choice.
CONFIDENCE_LEVELS = ("high", "medium", "low")
CAPABILITIES = ("prompt_caching", "vision", "tools", "reasoning", "json_schema", "audio", "pdf")


class RateSpec(StrictModel):
    """Token prices in USD per million tokens. A missing price falls back (see README)."""

    input: PerMillion | None = None
    output: PerMillion | None = None
    cache_read: PerMillion | None = None
    cache_write: PerMillion | None = None
    cache_write_1h: PerMillion | None = None
    reasoning: PerMillion | None = None


class TierSpec(RateSpec):
    """Rates for the whole request when its prompt (input incl. cache) exceeds ``above``."""

    above: Annotated[int, Field(gt=0), NoBool]
    batch: RateSpec | None = None
    priority: RateSpec | None = None
    flex: RateSpec | None = None


class ToolFeeSpec(StrictModel):
    """USD per 1,000 server-side tool calls, as providers quote them ($10 per 1,000 searches)."""

    web_search: PerThousandCalls | None = None
    web_fetch: PerThousandCalls | None = None
    file_search: PerThousandCalls | None = None
    code_interpreter: PerThousandCalls | None = None
    grounded_prompt: PerThousandCalls | None = None
    grounding_query: PerThousandCalls | None = None


class ModelSpec(RateSpec):
    """One model's entry under ``models:``."""

    provider: str | None = None
    aliases: list[ModelName] = Field(default_factory=list)
    context_window: Annotated[int, Field(gt=0), NoBool] | None = None
    max_output_tokens: Annotated[int, Field(gt=0), NoBool] | None = None
    per_request: PerMillion | None = None
    per_1k_calls: ToolFeeSpec | None = None
    batch: RateSpec | None = None
    priority: RateSpec | None = None
    flex: RateSpec | None = None
    tiers: list[TierSpec] | None = None
    supports: list[Literal[CAPABILITIES]] | None = None  # type: ignore[valid-type]
    confidence: Literal[CONFIDENCE_LEVELS] | None = None  # type: ignore[valid-type]
    source: str | None = None
    notes: str | None = None


SELLER_KINDS = ("direct", "gateway", "aggregator", "reseller")
Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False), NoBool]
Usd = Annotated[float, Field(ge=0, allow_inf_nan=False), NoBool]


class SellerModelSpec(RateSpec):
    """What a seller charges for one model: replaces the model's list prices whole."""

    per_request: PerMillion | None = None
    batch: RateSpec | None = None
    priority: RateSpec | None = None
    flex: RateSpec | None = None
    tiers: list[TierSpec] | None = None
    notes: str | None = None


class CreditFeeSpec(StrictModel):
    """A fee on each purchase of prepaid credits: ``pct`` of the purchase, at least ``min_usd``."""

    pct: Percent
    min_usd: Usd = 0.0


class ByokFeeSpec(StrictModel):
    """A fee on bring-your-own-key traffic: ``pct`` of what it would cost through the seller,
    charged only on the requests above ``free_requests_per_month``."""

    pct: Percent
    free_requests_per_month: Annotated[int, Field(ge=0), NoBool] = 0


class SellerSpec(StrictModel):
    """One entry under ``sellers:``: a provider's own API, a gateway or an aggregator."""

    kind: Literal[SELLER_KINDS]  # type: ignore[valid-type]
    display_name: str | None = None
    url: str | None = None
    source: ModelName
    as_of: date
    unlisted_models: Literal["list_price", "unpriced"] = "unpriced"
    markup_pct: Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False), NoBool] = 0.0
    per_request_usd: Usd = 0.0
    credit_fee: CreditFeeSpec | None = None
    byok_fee: ByokFeeSpec | None = None
    fx_fee_pct: Percent = 0.0
    models: dict[ModelName, SellerModelSpec] = Field(default_factory=dict)
    notes: str | None = None


class TableSpec(StrictModel):
    """A whole price table file."""

    schema_version: Literal[1]
    name: ModelName
    source: ModelName
    as_of: date
    currency: Literal["USD"] = "USD"
    notes: str | None = None
    models: dict[ModelName, ModelSpec] = Field(default_factory=dict)
    sellers: dict[ModelName, SellerSpec] = Field(default_factory=dict)
