"""LiteLLM's ``model_prices_and_context_window.json`` -> llmaudit price-table models.

Mapping (LiteLLM per-token USD -> llmaudit USD per million tokens):

============================================================  ======================
LiteLLM key                                                   llmaudit field
============================================================  ======================
``input_cost_per_token``                                      ``input``
``output_cost_per_token``                                     ``output``
``cache_read_input_token_cost``                               ``cache_read``
``cache_creation_input_token_cost``                           ``cache_write`` (5 min)
``cache_creation_input_token_cost_above_1hr``                 ``cache_write_1h``
``output_cost_per_reasoning_token``                           ``reasoning``
``<key>_batches`` / ``_priority`` / ``_flex``                 ``batch`` / ``priority`` / ``flex``
``<key>_above_<N>k_tokens[_<mode>]``                          ``tiers: [{above: N000, ...}]``
``tiered_pricing`` (``range: [start, end]``, DashScope)       base + ``tiers: [{above: start}]``
``input_cost_per_request``                                    ``per_request`` (USD per call)
``max_input_tokens`` / ``max_output_tokens``                  ``context_window`` / ``max_output_tokens``
============================================================  ======================

Rules that keep LiteLLM's meaning (checked record by record against LiteLLM's own cost
function in tests/pricing/test_litellm_agreement.py):

- xAI thresholds are inclusive in LiteLLM (a prompt of exactly N tokens is already
  long-context): written ``above: N - 1``;
- a reasoning rate equal to the output rate is left out (it falls back to output);
- a cache-write price of 0 is read as "no write price" (writes bill at input, as the
  providers that list 0 - DeepSeek, Z.ai - bill cache misses), not as free writes;
- in ``tiered_pricing`` a tier without a cache price bills cache tokens at that tier's
  input rate (LiteLLM's rule), so that rate is written out where the base has its own.

Not carried (no field in the schema): audio, image and video rates, per-character and
per-second prices, search and grounding per-query fees, ``_balanced`` / ``_ultrafast``
service tiers, DeepSeek's off-peak windows, Databricks DBU prices.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from llmaudit.errors import PricingError
from llmaudit.pricing.importers.base import Collector, ImportFilters, ImportResult, ordered, per_million, usd
from llmaudit.pricing.spec import MODE_NAMES

# Entries priced per token for text generation.
MODES: Final = ("chat", "completion", "responses")
# LiteLLM decides inclusive thresholds by provider (litellm_core_utils/llm_cost_calc/utils.py).
INCLUSIVE_THRESHOLD_PROVIDERS: Final = frozenset({"xai"})
# Cache-read price as a share of input where the table gives none, by provider. Fireworks:
# "cached prompt tokens are discounted ... The default discount is 50%"
# (https://docs.fireworks.ai/guides/prompt-caching); LiteLLM applies the same default.
DEFAULT_CACHE_READ_RATIO: Final = {"fireworks_ai": 0.5}

_RATE_KEY: Final = re.compile(
    r"^(?P<base>input_cost_per_token|output_cost_per_token|cache_read_input_token_cost"
    r"|cache_creation_input_token_cost|output_cost_per_reasoning_token)"
    r"(?P<hour>_above_1hr)?(?:_above_(?P<tier>\d+k?)_tokens)?(?P<mode>_batches|_priority|_flex)?$"
)
_KIND: Final = {
    "input_cost_per_token": "input",
    "output_cost_per_token": "output",
    "cache_read_input_token_cost": "cache_read",
    "cache_creation_input_token_cost": "cache_write",
    "output_cost_per_reasoning_token": "reasoning",
}
_MODE: Final = {"_batches": "batch", "_priority": "priority", "_flex": "flex"}
# Keys that are not prices (or are the same price under another name) and need no note.
_IGNORED: Final = frozenset(
    {"input_cost_per_token_cache_hit", "tiered_pricing", "input_cost_per_request", "off_peak_pricing"}
)
_CAPABILITIES: Final = {
    "supports_prompt_caching": "prompt_caching",
    "supports_vision": "vision",
    "supports_function_calling": "tools",
    "supports_reasoning": "reasoning",
    "supports_response_schema": "json_schema",
    "supports_audio_input": "audio",
    "supports_pdf_input": "pdf",
}


def _threshold(text: str) -> int:
    return int(text[:-1]) * 1000 if text.endswith("k") else int(text)


def _not_carried_family(key: str) -> str:
    return re.sub(r"_above_\d+k?_tokens", "_above_N_tokens", key)


def _clean(rates: dict[str, float]) -> dict[str, float]:
    """Apply the per-rate-set rules: drop reasoning == output and zero cache writes."""
    if "reasoning" in rates and rates.get("output") == rates["reasoning"]:
        del rates["reasoning"]
    if rates.get("cache_write") == 0 and rates.get("input", 1) != 0:
        del rates["cache_write"]
    return rates


def _flat_prices(entry: Mapping[str, Any], offset: int) -> dict[str, Any]:
    """Prices from LiteLLM's flat keys; rate sets nest as base -> tier -> mode."""
    base: dict[str, Any] = {}
    tiers: dict[int, dict[str, Any]] = {}
    for key, raw in entry.items():
        match = _RATE_KEY.match(key)
        value = per_million(raw) if match else None
        if match is None or value is None:
            continue
        if match["hour"] and match["base"] != "cache_creation_input_token_cost":
            continue
        kind = "cache_write_1h" if match["hour"] else _KIND[match["base"]]
        target = tiers.setdefault(_threshold(match["tier"]) - offset, {}) if match["tier"] else base
        if match["mode"]:
            target = target.setdefault(_MODE[match["mode"]], {})
        target[kind] = value
    batch = base.get("batch")
    if batch is not None:
        # LiteLLM bills a batch rate its table omits at half the standard rate ("batch cost
        # is usually half"), the 50% batch discount OpenAI, Anthropic, Google, Azure and
        # Bedrock publish. Written out here so the table says what it charges.
        for kind in ("input", "output"):
            if kind not in batch and base.get(kind) is not None:
                batch[kind] = base[kind] / 2
    fields = _with_modes(base)
    if tiers:
        fields["tiers"] = [{"above": above, **_with_modes(tiers[above])} for above in sorted(tiers)]
    return fields


def _with_modes(rates: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = _clean({k: v for k, v in rates.items() if k not in MODE_NAMES})
    for mode in MODE_NAMES:
        if mode in rates:
            out[mode] = _clean(dict(rates[mode]))
    return out


def _tiered_prices(tiered: list[Any]) -> dict[str, Any]:
    """DashScope ``tiered_pricing``: all-or-nothing ranges ``start < prompt <= end``."""
    ranges = sorted(
        (t for t in tiered if isinstance(t, Mapping) and len(t.get("range") or []) == 2),
        key=lambda t: float(t["range"][0]),
    )
    if not ranges:
        raise ValueError("tiered_pricing has no usable range")
    sets = []
    for tier in ranges:
        rates = {_KIND[k]: v for k in _KIND if (v := per_million(tier.get(k))) is not None}
        one_hour = per_million(tier.get("cache_creation_input_token_cost_above_1hr"))
        if one_hour is not None:
            rates["cache_write_1h"] = one_hour
        sets.append((int(float(tier["range"][0])), rates))
    (_, base), rest = sets[0], sets[1:]
    fields: dict[str, Any] = _clean(dict(base))
    tiers = []
    for start, rates in rest:
        # LiteLLM bills a tier's cache tokens at that tier's input rate when the tier names no
        # cache price; llmaudit would fall back to the base cache price, so write it out.
        for kind in ("cache_read", "cache_write"):
            if kind not in rates and kind in fields and "input" in rates:
                rates[kind] = rates["input"]
        tiers.append({"above": start, **_clean(rates)})
    if tiers:
        fields["tiers"] = tiers
    return fields


@dataclass(frozen=True)
class LiteLLMImporter:
    name: str = "litellm"
    description: str = "LiteLLM's model_prices_and_context_window.json (per-token prices)"
    source_label: str = "LiteLLM model_prices_and_context_window.json"
    default_output: str = "prices-litellm.yaml"

    def convert(self, data: object, *, source: str, as_of: date, filters: ImportFilters) -> ImportResult:
        """Convert the parsed JSON. Raises ``PricingError`` when it is not LiteLLM's format."""
        if not isinstance(data, Mapping) or not any(
            isinstance(v, Mapping) and "litellm_provider" in v for v in data.values()
        ):
            raise PricingError(
                f"{source}: not LiteLLM's price JSON (expected an object of models with 'litellm_provider')",
                hint="use `llmaudit pricing import openrouter` for OpenRouter's /api/v1/models listing",
            )
        out = Collector()
        for key, entry in data.items():
            if key == "sample_spec" or not isinstance(entry, Mapping) or "litellm_provider" not in entry:
                continue  # the documentation entry and non-model sections
            if not filters.accepts(key, entry.get("litellm_provider")):
                out.filtered += 1
                continue
            if entry.get("mode") not in MODES:
                out.skip(key, f"not a text-generation model: mode {entry.get('mode')!r}")
                continue
            if out.duplicate(key) or not out.add(key, functools.partial(self._model, key, entry)):
                continue
            for k, v in entry.items():
                if ("cost" in k or "pricing" in k) and v and not _RATE_KEY.match(k) and k not in _IGNORED:
                    out.not_carried[_not_carried_family(k)] += 1
                if k == "off_peak_pricing":
                    out.not_carried["off_peak_pricing"] += 1
        return out.result("litellm", source, as_of)

    def _model(self, key: str, entry: Mapping[str, Any]) -> dict[str, Any]:
        provider = entry.get("litellm_provider")
        if isinstance(entry.get("tiered_pricing"), list) and entry.get("input_cost_per_token") is None:
            prices = _tiered_prices(entry["tiered_pricing"])
        else:
            prices = _flat_prices(entry, 1 if provider in INCLUSIVE_THRESHOLD_PROVIDERS else 0)
        for kind in ("input", "output"):
            if prices.get(kind) is None:
                raise ValueError(f"no {kind} price")
        ratio = DEFAULT_CACHE_READ_RATIO.get(str(provider))
        if ratio is not None and prices.get("cache_read") is None:
            prices["cache_read"] = float(per_million(entry.get("input_cost_per_token")) or 0.0) * ratio
        fields: dict[str, Any] = {"provider": provider, **prices}
        window, max_out = entry.get("max_input_tokens"), entry.get("max_output_tokens")
        if isinstance(window, (int, float)) and window > 0:
            fields["context_window"] = int(window)
        if isinstance(max_out, (int, float)) and max_out > 0:
            fields["max_output_tokens"] = int(max_out)
        fee = usd(entry.get("input_cost_per_request"))
        if fee:
            fields["per_request"] = fee
        fields["supports"] = [cap for flag, cap in _CAPABILITIES.items() if entry.get(flag) is True]
        if isinstance(entry.get("source"), str) and entry["source"].startswith("http"):
            fields["source"] = entry["source"]
        return ordered(fields)


LITELLM = LiteLLMImporter()
