"""The routing policy file: its YAML schema (pydantic, extra fields forbidden) and loader.

A policy says where each request would go and how it would be billed. It is documented
field by field, with complete examples, in ``docs/policies.md`` and
``examples/policies/``. Names of task types and tiers are the tagger's fixed taxonomy.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from llmaudit.errors import ConfigError
from llmaudit.tagging.lexicon import TASK_TYPES
from llmaudit.yamlsrc import StrictModel, load_yaml, validate

TaskType = Literal[TASK_TYPES]  # type: ignore[valid-type]
Tier = Annotated[int, Field(ge=0, le=3)]
Share = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
Capability = Literal["tools", "vision", "json_schema", "reasoning", "prompt_caching"]

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$")
_SECONDS = {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


class Difficulty(StrictModel):
    """A band of the difficulty score (docs/tagging.md, "Difficulty"): ``above`` / ``below`` a
    value, or ``strong_share``: the most difficult share of the logged requests, its threshold
    calibrated on the logs (as RouteLLM calibrates). Untagged requests (no score) never match."""

    above: Share | None = None
    below: Share | None = None
    strong_share: Share | None = None

    @model_validator(mode="after")
    def _some(self) -> Difficulty:
        if self.above is None and self.below is None and self.strong_share is None:
            raise ValueError("give above, below or strong_share")
        if self.strong_share is not None and self.above is not None:
            raise ValueError("give either above or strong_share (it sets the threshold)")
        return self


class RouteMatch(StrictModel):
    """Which requests a route applies to. Every given condition must hold; none given = all."""

    task_type: list[TaskType] | None = None  # type: ignore[valid-type]
    complexity_tier: list[Tier] | None = None
    feature: list[str] | None = None
    tag: list[str] | None = None
    user: list[str] | None = None
    team: list[str] | None = None
    project: list[str] | None = None
    model: list[str] | None = None
    provider: list[str] | None = None
    min_input_tokens: int | None = None
    max_input_tokens: int | None = None
    min_output_tokens: int | None = None
    max_output_tokens: int | None = None
    difficulty: Difficulty | None = None


class Target(StrictModel):
    """A destination: one model, or a named quality tier (the cheapest model there that fits)."""

    model: str | None = None
    tier: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Target:
        if (self.model is None) == (self.tier is None):
            raise ValueError("give exactly one of 'model' or 'tier'")
        return self


class Cascade(StrictModel):
    """Try ``first``; a share of requests (``escalation``) is not good enough and is sent
    again to ``then``. Escalated requests pay for both calls."""

    first: Target
    then: Target
    escalation: Share | dict[str, Share]

    @field_validator("escalation")
    @classmethod
    def _keys(cls, value: float | dict[str, float]) -> float | dict[str, float]:
        if isinstance(value, dict):
            for key in value:
                if key != "default" and key not in TASK_TYPES and not re.fullmatch(r"tier[0-3]", key):
                    raise ValueError(f"escalation key {key!r}: use a task type, tier0..tier3 or default")
        return value


class Verify(StrictModel):
    """An extra call per request (a verification or review pass) on ``model``, with the
    request's tokens scaled by ``token_scale`` (0.5 = half as large as the request)."""

    model: str
    token_scale: Positive = 1.0


class Compression(StrictModel):
    """Prompt compression: input tokens shrink by ``input_reduction``; optionally a call on
    ``model`` reads the original prompt and writes the compressed one."""

    input_reduction: Share
    model: str | None = None


class Route(StrictModel):
    """One routing rule. Rules are tried in order; the first that matches decides."""

    name: str | None = None
    match: RouteMatch = Field(default_factory=RouteMatch)
    to: Target | None = None
    cascade: Cascade | None = None
    fallbacks: list[str] = Field(default_factory=list)
    verify: Verify | None = None
    compression: Compression | None = None
    requires: list[Capability] = Field(default_factory=list)
    latency_budget_ms: Positive | None = None

    @model_validator(mode="after")
    def _destination(self) -> Route:
        if (self.to is None) == (self.cascade is None):
            raise ValueError("give exactly one of 'to' or 'cascade'")
        return self


class ModelTraits(StrictModel):
    """How a model behaves differently from the one that served the logged request."""

    output_ratio: Positive = 1.0
    failure_rate: Share | None = None
    latency_ms: Positive | None = None


class ResponseCache(StrictModel):
    """An exact-match response cache: a request whose prompt went to the same model within
    ``ttl`` earlier is answered from the cache and costs nothing."""

    ttl: str | float = "1h"
    task_types: list[TaskType] | None = None  # type: ignore[valid-type]

    @property
    def ttl_seconds(self) -> float:
        return parse_duration(self.ttl)

    @field_validator("ttl")
    @classmethod
    def _ttl(cls, value: str | float) -> str | float:
        parse_duration(value)
        return value


class Cache(StrictModel):
    response: ResponseCache | None = None
    # Keep providers' prompt caching where the new model supports it (else its cached
    # reads are paid at the input rate).
    prompt_caching: bool = True


class Failures(StrictModel):
    """What failed attempts cost. Rates come from ``models.<name>.failure_rate`` where set,
    else from the error rate the logs show for that model."""

    failed_attempt_cost: Literal["input", "full", "none"] = "input"


class FlatPlan(StrictModel):
    """A flat-rate plan to compare with metered billing. Give ``per_call_usd`` (one price,
    or one per quality tier / complexity tier "tier0".."tier3"), or a subscription."""

    name: str
    per_call_usd: Annotated[float, Field(ge=0)] | dict[str, Annotated[float, Field(ge=0)]] | None = None
    monthly_usd: Annotated[float, Field(ge=0)] | None = None
    included_calls: Annotated[int, Field(ge=0)] | None = None
    overage_per_call_usd: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _kind(self) -> FlatPlan:
        if (self.per_call_usd is None) == (self.monthly_usd is None):
            raise ValueError("give either per_call_usd or monthly_usd (a subscription)")
        return self


class Billing(StrictModel):
    seller: str | None = None
    flat_plans: list[FlatPlan] = Field(default_factory=list)


class RoundUp(StrictModel):
    """Requests tagged with confidence below ``below_confidence`` are treated one
    complexity tier higher: overspending a few cents beats a wrong answer."""

    below_confidence: Share = 0.5


class Policy(StrictModel):
    schema_version: Literal[1]
    name: str
    description: str | None = None
    tiers: dict[str, list[str]] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    quality_floor: dict[Tier, str] = Field(default_factory=dict)
    round_up: RoundUp | None = None
    # Untagged requests (no text to judge): "keep" the logged model (default), "route" them
    # by the rules like the rest (as tier 2, task type unknown), or send them to a target.
    unknown: Literal["keep", "route"] | Target = "keep"
    cache: Cache = Field(default_factory=Cache)
    models: dict[str, ModelTraits] = Field(default_factory=dict)
    tokenizer_ratios: dict[str, Positive] = Field(default_factory=dict)
    failures: Failures = Field(default_factory=Failures)
    billing: Billing = Field(default_factory=Billing)

    @model_validator(mode="after")
    def _names(self) -> Policy:
        known = set(self.tiers)
        for route in self.routes:
            for target in _targets(route):
                if target.tier is not None and target.tier not in known:
                    raise ValueError(f"route uses tier {target.tier!r}, which 'tiers' does not define")
        if isinstance(self.unknown, Target) and self.unknown.tier is not None and self.unknown.tier not in known:
            raise ValueError(f"unknown: uses tier {self.unknown.tier!r}, which 'tiers' does not define")
        for tier_name in self.quality_floor.values():
            if tier_name not in known:
                raise ValueError(f"quality_floor names tier {tier_name!r}, which 'tiers' does not define")
        for name, models in self.tiers.items():
            if not models:
                raise ValueError(f"tier {name!r} lists no models")
        return self

    @property
    def routes_by_difficulty(self) -> bool:
        """Some route matches on the difficulty score (a band or a ``strong_share``)."""
        return any(route.match.difficulty is not None for route in self.routes)

    def tier_rank(self, name: str) -> int:
        """Position of a quality tier, cheapest first (the order the file lists them in)."""
        return list(self.tiers).index(name)


def _targets(route: Route) -> list[Target]:
    if route.to is not None:
        return [route.to]
    assert route.cascade is not None
    return [route.cascade.first, route.cascade.then]


def parse_duration(value: str | float) -> float:
    """Seconds from 3600, "90s", "15m", "1h" or "2d"; ``ValueError`` otherwise."""
    if isinstance(value, (int, float)):
        if value <= 0:
            raise ValueError("a duration must be positive")
        return float(value)
    found = _DURATION.match(value)
    if not found or float(found.group(1)) <= 0:
        raise ValueError(f"{value!r} is not a duration (use seconds or 90s, 15m, 1h, 2d)")
    return float(found.group(1)) * _SECONDS[found.group(2)]


def load_policy(path: str | Path) -> Policy:
    """Load and validate a policy file; ``ConfigError`` with file:line for any problem."""
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}: a policy must be a YAML mapping", hint="see docs/policies.md")
    return validate(doc, Policy, what=f"policy {path}")
