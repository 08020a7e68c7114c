"""OpenRouter's models listing (``GET https://openrouter.ai/api/v1/models``) -> price-table models.

The listing is ``{"data": [{"id": "openai/gpt-4o", "context_length": 128000,
"pricing": {"prompt": "0.0000025", "completion": "0.00001", ...}, ...}]}`` with every
price a *string* in USD per token (per request for ``request``). Mapping:

=======================  =====================================================
OpenRouter ``pricing``    llmaudit field
=======================  =====================================================
``prompt``               ``input``
``completion``           ``output``
``input_cache_read``     ``cache_read``
``input_cache_write``    ``cache_write`` (the default, 5-minute write)
``input_cache_write_1h``  ``cache_write_1h``
``internal_reasoning``   ``reasoning``
``request``              ``per_request`` (USD per call)
``discount``             applied: every price x (1 - discount)
=======================  =====================================================

``"0"`` for a cache, reasoning or request price means "not priced separately" and is
left out (cache tokens then bill at input, reasoning at output); ``"0"`` prompt and
completion prices are real (free models). A price of ``"-1"`` means the price is set
per request (``openrouter/auto``): such models are skipped. Models keep OpenRouter's id
(``openai/gpt-4o``) as their name and ``openrouter`` as their provider, since that is
who bills them. Image, audio and web-search prices are not carried.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from llmaudit.errors import PricingError
from llmaudit.pricing.importers.base import Collector, ImportFilters, ImportResult, ordered, per_million, usd

_TOKEN_PRICES: Final = {
    "prompt": "input",
    "completion": "output",
    "input_cache_read": "cache_read",
    "input_cache_write": "cache_write",
    "input_cache_write_1h": "cache_write_1h",
    "internal_reasoning": "reasoning",
}
# Zero here means "not priced separately", not "free".
_ZERO_IS_ABSENT: Final = frozenset({"cache_read", "cache_write", "cache_write_1h", "reasoning"})
_KNOWN: Final = frozenset({*_TOKEN_PRICES, "request", "discount"})


@dataclass(frozen=True)
class OpenRouterImporter:
    name: str = "openrouter"
    description: str = "OpenRouter's /api/v1/models listing (per-token prices as strings)"
    source_label: str = "OpenRouter models API listing"
    default_output: str = "prices-openrouter.yaml"

    def convert(self, data: object, *, source: str, as_of: date, filters: ImportFilters) -> ImportResult:
        """Convert the parsed JSON. Raises ``PricingError`` when it is not OpenRouter's listing."""
        listing = data.get("data") if isinstance(data, Mapping) else None
        if not isinstance(listing, list):
            raise PricingError(
                f'{source}: not OpenRouter\'s models listing (expected {{"data": [...]}})',
                hint="fetch https://openrouter.ai/api/v1/models, or use `pricing import litellm` for LiteLLM's JSON",
            )
        out = Collector()
        for item in listing:
            key = item.get("id") if isinstance(item, Mapping) else None
            if not isinstance(key, str) or not key.strip():
                out.skip(str(key), "no model id")
                continue
            if not filters.accepts(key, key.split("/", 1)[0] if "/" in key else None):
                out.filtered += 1
                continue
            if out.duplicate(key):
                continue
            pricing = item.get("pricing")
            if not isinstance(pricing, Mapping):
                out.skip(key, "no per-token price: no 'pricing' object")
                continue
            if any(str(v).strip() == "-1" for v in pricing.values()):
                out.skip(key, "no per-token price: priced per request by the routed model (-1)")
                continue
            if not out.add(key, functools.partial(self._model, item, pricing)):
                continue
            for name, value in pricing.items():
                if name not in _KNOWN and usd(value):
                    out.not_carried[name] += 1
        return out.result("openrouter", source, as_of)

    def _model(self, item: Mapping[str, Any], pricing: Mapping[str, Any]) -> dict[str, Any]:
        discount = usd(pricing.get("discount")) or 0.0
        factor = 1.0 - discount
        fields: dict[str, Any] = {"provider": "openrouter"}
        for name, kind in _TOKEN_PRICES.items():
            value = per_million(pricing.get(name))
            if value is None or (value == 0 and kind in _ZERO_IS_ABSENT):
                continue
            fields[kind] = value * factor if factor != 1.0 else value
        for kind in ("input", "output"):
            if fields.get(kind) is None:
                raise ValueError(f"no {'prompt' if kind == 'input' else 'completion'} price")
        if fields.get("reasoning") == fields.get("output"):
            fields.pop("reasoning", None)
        fee = usd(pricing.get("request"))
        if fee:
            fields["per_request"] = fee * factor
        top_provider = item.get("top_provider")
        top: Mapping[str, Any] = top_provider if isinstance(top_provider, Mapping) else {}
        window = item.get("context_length") or top.get("context_length")
        if isinstance(window, (int, float)) and window > 0:
            fields["context_window"] = int(window)
        max_out = top.get("max_completion_tokens")
        if isinstance(max_out, (int, float)) and max_out > 0:
            fields["max_output_tokens"] = int(max_out)
        if discount:
            fields["notes"] = f"OpenRouter discount {discount:g} applied to every price"
        return ordered(fields)


OPENROUTER = OpenRouterImporter()
