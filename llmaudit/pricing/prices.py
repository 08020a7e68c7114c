"""One priced model: its rate sets, long-context tiers and modes, and the rate fallback rules.

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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final

from llmaudit.pricing.spec import MODE_NAMES, RATE_KINDS

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
