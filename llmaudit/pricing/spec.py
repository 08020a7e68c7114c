"""The YAML schema of a price table, as pydantic models (documented in pricing/README.md).

All token prices are USD **per million tokens**; ``per_request`` is USD per call.
Every field of a model is optional here because a user's table may override a single
price of a model another table defines; completeness (input and output present) is
checked after tables are merged, in :mod:`llmaudit.pricing.table`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

PerMillion = Annotated[float, Field(ge=0, allow_inf_nan=False)]
ModelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

RATE_KINDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h", "reasoning")
MODE_NAMES = ("batch", "priority", "flex")
CAPABILITIES = ("prompt_caching", "vision", "tools", "reasoning", "json_schema", "audio", "pdf")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateSpec(_Strict):
    """Token prices in USD per million tokens. A missing price falls back (see README)."""

    input: PerMillion | None = None
    output: PerMillion | None = None
    cache_read: PerMillion | None = None
    cache_write: PerMillion | None = None
    cache_write_1h: PerMillion | None = None
    reasoning: PerMillion | None = None


class TierSpec(RateSpec):
    """Rates for the whole request when its prompt (input incl. cache) exceeds ``above``."""

    above: Annotated[int, Field(gt=0)]
    batch: RateSpec | None = None
    priority: RateSpec | None = None
    flex: RateSpec | None = None


class ModelSpec(RateSpec):
    """One model's entry under ``models:``."""

    provider: str | None = None
    aliases: list[ModelName] = Field(default_factory=list)
    context_window: Annotated[int, Field(gt=0)] | None = None
    max_output_tokens: Annotated[int, Field(gt=0)] | None = None
    per_request: PerMillion | None = None
    batch: RateSpec | None = None
    priority: RateSpec | None = None
    flex: RateSpec | None = None
    tiers: list[TierSpec] | None = None
    supports: list[Literal[CAPABILITIES]] | None = None  # type: ignore[valid-type]
    source: str | None = None
    notes: str | None = None


class TableSpec(_Strict):
    """A whole price table file."""

    schema_version: Literal[1]
    name: ModelName
    source: ModelName
    as_of: date
    currency: Literal["USD"] = "USD"
    notes: str | None = None
    models: dict[ModelName, ModelSpec] = Field(default_factory=dict)
