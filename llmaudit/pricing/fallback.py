"""The lowest-precedence price list: a dated snapshot of LiteLLM's prices, priced lazily.

The curated tables (``pricing/*.yaml``) price the models in current use, checked by hand.
Logs that span a year also name models those tables leave out (gpt-4, gpt-3.5-turbo, o1,
claude-3.x, gemini-1.5...). ``pricing/litellm-snapshot.json`` holds LiteLLM's
``model_prices_and_context_window.json`` (MIT License, (c) 2023 Berri AI) already
converted by the LiteLLM importer into this schema's fields, USD per million tokens; it
is rebuilt by ``scripts/refresh_litellm_prices.py``.

A name is looked up here only when no curated or user table resolves it, so a curated
price always wins. The snapshot holds thousands of models: building a ``ModelPrice`` for
each at start-up would cost more than a whole small analysis, so :class:`Fallback` keeps
the plain fields and builds a model the first time a log names it. Its prices carry the
confidence ``medium``: an aggregator's list, not checked against the provider's page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final

from llmaudit.errors import PricingError
from llmaudit.pricing.resolve import ModelResolver, ResolvedName

FILE_NAME: Final = "litellm-snapshot.json"
NAME: Final = "litellm-snapshot"
# LiteLLM's prefixes of model makers' own APIs (not clouds or gateways reselling them).
FIRST_PARTY: Final = frozenset(
    {"openai", "anthropic", "gemini", "mistral", "deepseek", "xai", "cohere", "moonshot", "dashscope", "zai"}
)
CONFIDENCE: Final = "medium"


@dataclass
class Fallback:
    """Model fields by name, resolved on demand (resolver built on the first lookup)."""

    name: str
    path: str
    source: str
    as_of: date
    license: str
    entries: Mapping[str, Mapping[str, Any]]
    _resolver: ModelResolver | None = field(default=None, repr=False)

    _renamed: dict[str, str] | None = field(default=None, repr=False)

    def resolve(self, raw: str) -> ResolvedName | None:
        if self._resolver is None:
            self._resolver = ModelResolver(_names(self.entries, self._keys()))
        return self._resolver.resolve(raw)

    def _keys(self) -> dict[str, str]:
        """Model name -> snapshot key, for bare keys renamed by ``_shadowed``."""
        if self._renamed is None:
            self._renamed = {f"{self.entries[k].get('provider')}/{k}": k for k in _shadowed(self.entries)}
        return self._renamed

    def fields(self, key: str) -> dict[str, Any]:
        """The model's YAML fields, with where they came from and their confidence."""
        key = self._keys().get(key, key)
        data = dict(self.entries[key])
        cited = data.pop("source", None)
        retired = data.pop("retired", None)
        if retired:
            data["source"] = (
                f"LiteLLM {retired}, since removed from its list (MIT), key {key!r}; "
                f"kept in the snapshot of {self.as_of.isoformat()}"
            )
        else:
            data["source"] = f"LiteLLM snapshot of {self.as_of.isoformat()} (MIT), key {key!r}"
        if cited:
            data["notes"] = f"LiteLLM cites {cited}" + (f"; {data['notes']}" if data.get("notes") else "")
        data.setdefault("confidence", CONFIDENCE)
        return data


def _shadowed(entries: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Bare keys of a reseller's entry that a maker's own entry also names: LiteLLM files
    Vertex AI's Gemini as bare ``gemini-2.0-flash`` beside ``gemini/gemini-2.0-flash``
    (Google AI Studio). A log's bare name means the maker's API, so such a key is renamed
    ``<provider>/<key>`` and the bare name goes to the maker's entry."""
    own = {k.split("/", 1)[1].lower() for k in entries if "/" in k and k.split("/", 1)[0] in FIRST_PARTY}
    return [
        k for k, v in entries.items() if "/" not in k and k.lower() in own and str(v.get("provider")) not in FIRST_PARTY
    ]


def _names(entries: Mapping[str, Mapping[str, Any]], renamed: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """Each model's spellings: its aliases, and the name after its last ``/`` (LiteLLM files
    ``mistral-large-latest`` only as ``mistral/mistral-large-latest``) when that name is no
    key itself and one key owns it: the only one with it, or the only one of the maker's
    own API among resellers (``azure/...``, ``bedrock/...``); else none does. ``renamed``:
    model name -> key, for the keys ``_shadowed`` renames."""
    name_of = {key: name for name, key in renamed.items()}
    keys = {name_of.get(k, k).lower() for k in entries}
    tails: dict[str, list[str]] = {}
    for key in entries:
        name = name_of.get(key, key)
        if "/" in name:
            tails.setdefault(name.rsplit("/", 1)[1].lower(), []).append(name)
    names = {name_of.get(k, k): tuple(v.get("aliases") or ()) for k, v in entries.items()}
    for tail, owners in tails.items():
        if tail in keys:
            continue
        # Several sellers of one model: the model maker's own API, when exactly one is.
        own = [k for k in owners if k.split("/", 1)[0] in FIRST_PARTY] if len(owners) > 1 else owners
        if len(own) == 1:
            names[own[0]] = (*names[own[0]], tail)
    return names


def load_fallback(path: Path) -> Fallback:
    """Read a snapshot file. Raises ``PricingError`` when it is missing or malformed (a
    broken installation: the file ships with llmaudit)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return Fallback(
            name=str(doc["name"]),
            path=str(path),
            source=str(doc["source"]),
            as_of=date.fromisoformat(doc["as_of"]),
            license=str(doc["license"]),
            entries=doc["models"],
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PricingError(
            f"{path}: the LiteLLM price snapshot cannot be read ({exc})",
            hint="reinstall llmaudit, or run scripts/refresh_litellm_prices.py in a checkout",
        ) from None
