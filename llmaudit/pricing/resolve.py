"""Resolve model names as logs spell them to the names a price table uses.

Logs write one model many ways: ``gpt-4o-2024-08-06``, ``openai/gpt-4o``,
``deepseek-ai/DeepSeek-V4-Flash``, ``Pro/deepseek-ai/DeepSeek-V3.2``,
``us.anthropic.claude-sonnet-4-5-20250929-v1:0``, ``claude-sonnet-4.5``. Rules are
tried in order and the first that names exactly one model wins:

1. ``exact``: the name or an alias, ignoring case;
2. ``prefix``: after dropping routing prefixes (``openai/``, ``Pro/deepseek-ai/``) and
   cloud vendor prefixes (``us.anthropic.``);
3. ``snapshot``: after also dropping a dated snapshot or version suffix
   (``-2024-08-06``, ``-20250929``, ``@20250929``, ``-v1:0``, ``-latest``);
4. ``normalized``: comparing with ``.``, ``_`` and spaces read as ``-``.

Short numeric suffixes such as ``-0731`` are *not* dropped: they often name a variant
with its own price. A name none of the rules resolves is reported as unpriced.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

NameRule = Literal["exact", "prefix", "snapshot", "normalized"]

_VENDOR_PREFIX: Final = re.compile(
    r"^(?:(?:us|eu|apac|global|au|jp|ca)\.)?(?:anthropic|meta|amazon|mistral|cohere|ai21|deepseek|openai|qwen)\."
)
_SNAPSHOT_SUFFIX: Final = re.compile(r"(?:@\d{8}|-\d{4}-\d{2}-\d{2}|-\d{8}|-v\d+(?::\d+)?|-latest|:latest)$")


@dataclass(frozen=True)
class ResolvedName:
    """How a raw name was matched to a priced model."""

    model: str
    rule: NameRule


def _normalize(name: str) -> str:
    return re.sub(r"[._\s]+", "-", name.strip().lower())


def _prefix_variants(name: str) -> Iterator[str]:
    parts = name.split("/")
    for start in range(1, len(parts)):
        yield "/".join(parts[start:])
    stripped = _VENDOR_PREFIX.sub("", parts[-1])
    if stripped != parts[-1]:
        yield stripped


def _snapshot_variants(name: str) -> Iterator[str]:
    current = name
    while True:
        shorter = _SNAPSHOT_SUFFIX.sub("", current)
        if shorter == current or not shorter:
            return
        yield shorter
        current = shorter


class ModelResolver:
    """Case-insensitive name resolution over a fixed set of models and aliases."""

    def __init__(self, names: Mapping[str, Sequence[str]]) -> None:
        self._exact: dict[str, str] = {}
        normalized: dict[str, set[str]] = {}
        for model, aliases in names.items():
            for spelling in (model, *aliases):
                self._exact.setdefault(spelling.strip().lower(), model)
                normalized.setdefault(_normalize(spelling), set()).add(model)
        self._normalized = {key: next(iter(v)) for key, v in normalized.items() if len(v) == 1}
        self._cache: dict[str, ResolvedName | None] = {}

    def resolve(self, raw: str) -> ResolvedName | None:
        if raw in self._cache:
            return self._cache[raw]
        result = self._resolve(raw)
        self._cache[raw] = result
        return result

    def _resolve(self, raw: str) -> ResolvedName | None:
        name = raw.strip().lower()
        if not name:
            return None
        if name in self._exact:
            return ResolvedName(self._exact[name], "exact")
        prefixless = [name, *_prefix_variants(name)]
        for candidate in prefixless[1:]:
            if candidate in self._exact:
                return ResolvedName(self._exact[candidate], "prefix")
        for base in prefixless:
            for candidate in _snapshot_variants(base):
                if candidate in self._exact:
                    return ResolvedName(self._exact[candidate], "snapshot")
        for base in prefixless:
            for candidate in (base, *_snapshot_variants(base)):
                hit = self._normalized.get(_normalize(candidate))
                if hit is not None:
                    return ResolvedName(hit, "normalized")
        return None
