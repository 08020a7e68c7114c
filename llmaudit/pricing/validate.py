"""Unit safety and plausibility checks for price tables, reported as data.

Every check returns :class:`TableIssue` objects; nothing here prints or raises. Two
severities (pricing/README.md, "Validation and plausibility checks"):

- **error**: a value that cannot be right (a per-token price in a per-million field,
  a price above any real one, tiers out of order, a model without input or output
  price). Loading stops; ``pricing validate`` exits 2.
- **warning**: a value that is possible but implausible (output cheaper than input at
  a provider that never does that, cache reads pricier than input, a rate 10x off the
  one it overrides, a missing context window, ...). Loading goes on and the warnings
  are kept on ``PriceTable.warnings``; ``pricing validate --strict`` turns them into
  exit 2.

File-level checks (:func:`check_file`) see one YAML file; model-level checks
(:func:`check_model`) see a model after every table has been merged, so an override
that sets only ``input`` is compared with the ``output`` another table gave.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from pydantic import BaseModel, ValidationError

from llmaudit.pricing.spec import MODE_NAMES, RATE_KINDS, RateSpec, TableSpec
from llmaudit.versions import SCHEMA_VERSION
from llmaudit.yamlsrc import YamlDoc

if TYPE_CHECKING:
    from llmaudit.pricing.prices import ModelPrice

Severity = Literal["error", "warning"]

# A positive per-million price below this is almost surely a per-token price typed into a
# per-million field ($3e-6 instead of $3): the cheapest real rates (cache reads of small
# models) sit around 0.002 per million.
MIN_PLAUSIBLE_PER_MILLION: Final = 0.001
# No model sells tokens above this per million; a larger figure is a unit slip
# (per-thousand or per-token-in-cents) rather than a price.
MAX_PLAUSIBLE_PER_MILLION: Final = 1000.0
# Input and output list prices outside this band exist almost nowhere (the cheapest
# models charge a few cents per million, the dearest a few hundred dollars): outside it a
# price is more likely off by a power of ten than real. Warnings only.
TYPICAL_PER_MILLION: Final = (0.01, 400.0)
# A flat fee per call above this is more likely "$5 per 1,000 requests" typed as 5.
MAX_TYPICAL_PER_REQUEST_USD: Final = 1.0
# Two prices whose ratio is within this factor of a power of ten (10x, 100x, 1000x...)
# look like the same price in another unit.
POWER_OF_TEN_TOLERANCE: Final = 1.05
# Providers whose own list prices never put output below input (checked against every
# chat model LiteLLM 1.106 lists for them). Names as the shipped tables and LiteLLM spell
# them. Elsewhere (resellers, some open-model hosts) cheaper output does occur.
OUTPUT_NEVER_BELOW_INPUT: Final = frozenset(
    {
        "openai",
        "anthropic",
        "google",
        "gemini",
        "vertex_ai",
        "vertex_ai-language-models",
        "vertex_ai-anthropic_models",
        "bedrock",
        "bedrock_converse",
        "deepseek",
        "xai",
        "mistral",
        "alibaba",
        "dashscope",
        "qwen",
        "zhipu",
        "zai",
        "moonshot",
        "groq",
        "cerebras",
        "fireworks_ai",
    }
)


@dataclass(frozen=True)
class TableIssue:
    """One problem in a price table, located as precisely as the YAML allows."""

    severity: Severity
    where: str
    """``file:line`` (or ``file`` when no line is known; empty when the message says it)."""
    field: str
    """Dotted field path, e.g. ``models.gpt-4o.batch.input``; empty for whole-file problems."""
    message: str
    code: str
    """Stable identifier of the check, e.g. ``per-token-in-per-million`` (JSON output)."""
    hint: str | None = None

    def __str__(self) -> str:
        parts = [p for p in (self.where, self.field) if p]
        return ": ".join([*parts, self.message])

    @property
    def file(self) -> str:
        head, sep, tail = self.where.rpartition(":")
        return head if sep and tail.isdigit() else self.where

    @property
    def line(self) -> int | None:
        _, sep, tail = self.where.rpartition(":")
        return int(tail) if sep and tail.isdigit() else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "file": self.file or None,
            "line": self.line,
            "field": self.field or None,
            "code": self.code,
            "message": self.message,
        }


@dataclass(frozen=True)
class ValidationReport:
    """What ``pricing validate`` found in a set of files."""

    files: tuple[str, ...]
    models: int
    sellers: int
    findings: tuple[TableIssue, ...]

    @property
    def errors(self) -> tuple[TableIssue, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[TableIssue, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "files": list(self.files),
            "models": self.models,
            "sellers": self.sellers,
            "errors": [f.to_dict() for f in self.errors],
            "warnings": [f.to_dict() for f in self.warnings],
            "ok": not self.errors,
        }


# --------------------------------------------------------------------------- schema errors


def _describe(loc: tuple[str | int, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        parts.append(f"[{item}]" if isinstance(item, int) else ("." if parts else "") + str(item))
    return "".join(parts) or "(top level)"


def schema_findings(doc: YamlDoc, model: type[BaseModel]) -> tuple[BaseModel | None, list[TableIssue]]:
    """Validate ``doc.data`` against ``model``: the parsed spec, or every schema error as findings."""
    try:
        return model.model_validate(doc.data), []
    except ValidationError as exc:
        findings = []
        for item in exc.errors():
            loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            message = item["msg"]
            if item["type"] == "extra_forbidden":
                message = "unknown field (check the spelling against the documented schema)"
            findings.append(TableIssue("error", doc.where(loc), _describe(loc), message, "schema"))
        return None, findings


# --------------------------------------------------------------------------- file-level checks

Loc = tuple[str | int, ...]


def _rate_sets(prefix: Loc, entry: Any) -> Iterator[tuple[Loc, RateSpec]]:
    """Every rate set of a model entry: base, modes, tiers and the tiers' modes."""
    yield prefix, entry
    for mode in MODE_NAMES:
        if getattr(entry, mode, None) is not None:
            yield (*prefix, mode), getattr(entry, mode)
    for index, tier in enumerate(getattr(entry, "tiers", None) or []):
        yield (*prefix, "tiers", index), tier
        for mode in MODE_NAMES:
            if getattr(tier, mode) is not None:
                yield (*prefix, "tiers", index, mode), getattr(tier, mode)


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def _unit_findings(doc: YamlDoc, prefix: Loc, entry: Any) -> Iterator[TableIssue]:
    for loc, rates in _rate_sets(prefix, entry):
        for kind in RATE_KINDS:
            value = getattr(rates, kind)
            if value is None or value == 0:
                continue
            full = (*loc, kind)
            if value < MIN_PLAUSIBLE_PER_MILLION:
                yield TableIssue(
                    "error",
                    doc.where(full),
                    _dotted(full),
                    f"{value:g} looks like a per-token price; prices here are USD per million tokens "
                    f"(did you mean {value * 1e6:g}?)",
                    "per-token-in-per-million",
                    hint="multiply per-token prices by 1,000,000 (pricing/README.md, 'File format')",
                )
            elif value > MAX_PLAUSIBLE_PER_MILLION:
                yield TableIssue(
                    "error",
                    doc.where(full),
                    _dotted(full),
                    f"{value:g} USD per million tokens is beyond any real price; check the unit "
                    f"(a per-thousand price is 1,000x smaller per million)",
                    "above-any-real-price",
                )
    fee = getattr(entry, "per_request", None)
    if fee is not None and fee >= MAX_TYPICAL_PER_REQUEST_USD:
        loc = (*prefix, "per_request")
        yield TableIssue(
            "warning",
            doc.where(loc),
            _dotted(loc),
            f"{fee:g} USD per call is more than any known per-request fee; per_request is USD per call "
            f"($5 per 1,000 requests is 0.005)",
            "per-request-unit",
        )
    thresholds = [t.above for t in getattr(entry, "tiers", None) or []]
    if thresholds != sorted(set(thresholds)):
        loc = (*prefix, "tiers")
        yield TableIssue(
            "error",
            doc.where(loc),
            _dotted(loc),
            f"thresholds must be strictly ascending, got {thresholds}",
            "tiers-out-of-order",
        )


def _percent_findings(doc: YamlDoc, loc: Loc, value: float | None) -> Iterator[TableIssue]:
    if value is not None and 0 < value < 1:
        yield TableIssue(
            "warning",
            doc.where(loc),
            _dotted(loc),
            f"{value:g} means {value:g}%; percentages are written as percent (5.5 means 5.5%): "
            f"did you mean {value * 100:g}?",
            "percent-as-fraction",
        )


def check_file(doc: YamlDoc, spec: TableSpec) -> list[TableIssue]:
    """Checks that need only one file: unit slips, tier order, seller fee units."""
    findings: list[TableIssue] = []
    for key, model in spec.models.items():
        findings += _unit_findings(doc, ("models", key), model)
    for name, seller in spec.sellers.items():
        base: Loc = ("sellers", name)
        for key, priced in seller.models.items():
            findings += _unit_findings(doc, (*base, "models", key), priced)
            missing = [kind for kind in ("input", "output") if getattr(priced, kind) is None]
            if missing:
                loc = (*base, "models", key)
                findings.append(
                    TableIssue(
                        "error",
                        doc.where(loc),
                        _dotted(loc),
                        f"no {missing[0]!r} price: a seller's model entry replaces the list prices whole, "
                        "so it needs input and output",
                        "missing-price",
                    )
                )
        findings += _percent_findings(doc, (*base, "markup_pct"), seller.markup_pct)
        findings += _percent_findings(doc, (*base, "fx_fee_pct"), seller.fx_fee_pct)
        if seller.credit_fee is not None:
            findings += _percent_findings(doc, (*base, "credit_fee", "pct"), seller.credit_fee.pct)
        if seller.byok_fee is not None:
            findings += _percent_findings(doc, (*base, "byok_fee", "pct"), seller.byok_fee.pct)
        if seller.per_request_usd >= MAX_TYPICAL_PER_REQUEST_USD:
            loc = (*base, "per_request_usd")
            findings.append(
                TableIssue(
                    "warning",
                    doc.where(loc),
                    _dotted(loc),
                    f"{seller.per_request_usd:g} USD per call is more than any known gateway fee "
                    f"($5 per 1,000 requests is 0.005)",
                    "per-request-unit",
                )
            )
        if seller.kind == "direct" and seller.models:
            findings.append(
                TableIssue(
                    "warning",
                    doc.where(base),
                    _dotted(base),
                    "a 'direct' seller sells at the tables' list prices; list its own prices as a gateway, "
                    "aggregator or reseller",
                    "direct-with-prices",
                )
            )
    return findings


# --------------------------------------------------------------------------- model-level checks


def power_of_ten(new: float, old: float) -> int:
    """k when ``new / old`` is 10**k (k != 0) within the tolerance, else 0."""
    if new <= 0 or old <= 0:
        return 0
    exponent = math.log10(new / old)
    k = round(exponent)
    return k if k != 0 and abs(exponent - k) <= math.log10(POWER_OF_TEN_TOLERANCE) else 0


def _fmt(value: float) -> str:
    return f"{value:.10g}"


def _times(k: int) -> str:
    return f"{10 ** abs(k):,}x {'above' if k > 0 else 'below'}"


def ratio_finding(where: str, field: str, new: float, old: float, old_where: str) -> TableIssue | None:
    """A warning when ``new`` is ``old`` off by a power of ten (a unit slip in an override)."""
    k = power_of_ten(new, old)
    if not k:
        return None
    return TableIssue(
        "warning",
        where,
        field,
        f"{new:g} is {_times(k)} the {old:g} set at {old_where}; a price in another unit?",
        "power-of-ten-off",
    )


def _where(model: ModelPrice, path: str) -> str:
    origins: Mapping[str, str] = model.origins
    while path:
        if path in origins:
            return origins[path]
        path = path.rpartition(".")[0]
    return model.defined_in


def _w(model: ModelPrice, path: str, message: str, code: str) -> TableIssue:
    return TableIssue("warning", _where(model, path), f"models.{model.name}.{path}", message, code)


def check_model(model: ModelPrice) -> list[TableIssue]:
    """Relational warnings on a merged model (its rates after every fallback)."""
    out: list[TableIssue] = []
    rate = model.rate
    if model.context_window is None:
        out.append(
            TableIssue(
                "warning",
                model.defined_in,
                f"models.{model.name}",
                "no context_window: long prompts cannot be checked against the model's limit",
                "missing-context-window",
            )
        )
    lo, hi = TYPICAL_PER_MILLION
    for kind in ("input", "output"):
        value = rate(kind)
        if 0 < value < lo or value > hi:
            out.append(
                _w(
                    model,
                    kind,
                    f"{value:g} USD per million tokens is outside the {lo:g}-{hi:g} band of real list prices; "
                    "off by a power of ten?",
                    "atypical-price",
                )
            )
    if model.provider in OUTPUT_NEVER_BELOW_INPUT and rate("output") < rate("input"):
        out.append(
            _w(
                model,
                "output",
                f"output {rate('output'):g} is cheaper than input {rate('input'):g}, which {model.provider} "
                "never does; input and output swapped?",
                "output-below-input",
            )
        )
    for t in range(len(model.tiers) + 1):
        prefix = f"tiers.{t - 1}." if t else ""
        read, cached_in = model.rate("cache_read", t), model.rate("input", t)
        if read > cached_in:
            out.append(
                _w(
                    model,
                    prefix + "cache_read",
                    f"cache reads ({_fmt(read)}) cost more than uncached input ({_fmt(cached_in)})",
                    "cache-read-above-input",
                )
            )
        if model.rate("cache_write_1h", t) < model.rate("cache_write", t):
            out.append(
                _w(
                    model,
                    prefix + "cache_write_1h",
                    f"1-hour cache writes ({rate('cache_write_1h', t):g}) cost less than 5-minute writes "
                    f"({rate('cache_write', t):g})",
                    "cache-write-1h-below-5m",
                )
            )
    out += _tier_checks(model)
    out += _mode_checks(model)
    return out


def _tier_checks(model: ModelPrice) -> Iterator[TableIssue]:
    for i, tier in enumerate(model.tiers):
        if model.context_window is not None and tier.above >= model.context_window:
            yield _w(
                model,
                f"tiers.{i}.above",
                f"{tier.above:,} is not below the context window ({model.context_window:,}): the tier can never apply",
                "tier-beyond-context",
            )
        for kind in ("input", "output"):
            below, above = model.rate(kind, i), model.rate(kind, i + 1)
            if above < below:
                yield _w(
                    model,
                    f"tiers.{i}.{kind}",
                    f"{above:g} above {tier.above:,} tokens is cheaper than {below:g} below it; "
                    "long-context tiers cost more, and must be listed in ascending order",
                    "tier-cheaper",
                )


_MODE_DIRECTION: Final = {"batch": "discount", "flex": "discount", "priority": "premium"}


def _has_one_hour_price(model: ModelPrice) -> bool:
    return model.rates.cache_write_1h is not None or any(t.rates.cache_write_1h is not None for t in model.tiers)


def _mode_checks(model: ModelPrice) -> Iterator[TableIssue]:
    for mode, direction in _MODE_DIRECTION.items():
        if mode not in model.modes:
            continue
        for kind in ("input", "output"):
            value, standard = model.rate(kind, 0, mode), model.rate(kind)
            if (direction == "discount" and value > standard) or (direction == "premium" and value < standard):
                yield _w(
                    model,
                    f"{mode}.{kind}",
                    f"{mode} {kind} {value:g} is {'above' if value > standard else 'below'} the standard {standard:g}; "
                    f"{mode} is a {direction}",
                    f"{mode}-{'above' if value > standard else 'below'}-standard",
                )
        if mode == "batch" and _has_one_hour_price(model):
            for t in range(len(model.tiers) + 1):
                discounted = model.rate("input", t, "batch") < model.rate("input", t)
                if discounted and model.rate("cache_write_1h", t, "batch") == model.rate("cache_write_1h", t):
                    yield _w(
                        model,
                        f"tiers.{t - 1}.batch" if t else "batch",
                        "batch input is discounted but batch 1-hour cache writes bill at the standard 1-hour price "
                        f"({model.rate('cache_write_1h', t):g}); set batch.cache_write_1h (Anthropic applies the batch "
                        "discount to cache writes too)",
                        "batch-1h-undiscounted",
                    )
        if mode == "priority":
            # A long-context request without tier priority rates bills at the tier's standard
            # rates: what OpenAI does (priority processing excludes long context).
            continue
        fallback = "the base batch rates" if mode == "batch" else "this tier's standard rates"
        for i, tier in enumerate(model.tiers):
            if mode not in tier.modes and any(tier.rates.get(k) is not None for k in RATE_KINDS):
                yield _w(
                    model,
                    f"tiers.{i}",
                    f"the model has {mode} rates but this tier has none: {mode} requests above {tier.above:,} tokens "
                    f"are priced at {fallback}; "
                    f"add tiers[{i}].{mode} with the provider's long-context {mode} prices",
                    f"tier-without-{mode}",
                )


def model_problems(spec: type[BaseModel], fields: Mapping[str, Any]) -> list[str]:
    """Errors that would stop ``fields`` from loading as a model entry (schema or unit slips)."""
    doc = YamlDoc("", dict(fields), {})
    parsed, found = schema_findings(doc, spec)
    if parsed is not None:
        found = [f for f in _unit_findings(doc, (), parsed) if f.severity == "error"]
    return [f"{f.field}: {f.message}" if f.field else f.message for f in found]
