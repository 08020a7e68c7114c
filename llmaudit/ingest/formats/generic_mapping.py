"""The column mapping of the generic format: its YAML schema, ``--map`` flags and auto-mapping.

A mapping says which source field (a CSV column, or a dotted path into a JSON record)
holds each canonical field, which token convention the source uses, and constants for
fields the logs lack. It comes from a YAML file (``--mapping``), from ``--map
FIELD=SOURCE`` flags (which override the file), or, with no file, from well-known
column names (``AUTO_NAMES``). Auto-mapping assumes the source's counts are already
*inclusive* (input includes cache reads and writes, output includes reasoning); a
source with exclusive counts needs a mapping file that says so. The full schema is
documented in docs/mapping.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Annotated, Any, Final, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, StrictBool, create_model

from llmaudit.errors import ConfigError, InputError, UsageError
from llmaudit.yamlsrc import load_yaml, validate

FieldKind = Literal["number", "text", "timestamp", "tags", "prompt"]

# Every canonical field a mapping may name, and how its values are read.
FIELD_KINDS: Final[dict[str, FieldKind]] = {
    "request_id": "text",
    "timestamp": "timestamp",
    "provider": "text",
    "model": "text",
    "input_tokens": "number",
    "cache_read_tokens": "number",
    "cache_write_tokens": "number",
    "cache_write_1h_tokens": "number",
    "output_tokens": "number",
    "reasoning_tokens": "number",
    "pricing_mode": "text",
    "latency_ms": "number",
    "ttft_ms": "number",
    "status": "text",
    "error_type": "text",
    "finish_reason": "text",
    "user": "text",
    "session": "text",
    "feature": "text",
    "tags": "tags",
    "source_cost_usd": "number",
    "prompt_text": "prompt",
    "completion_text": "prompt",
    "score": "number",
}
FIELD_NAMES: Final = tuple(FIELD_KINDS)
USAGE_FIELDS: Final = ("input_tokens", "output_tokens", "prompt_text")

# Source names recognized without a mapping, compared after lower-casing and turning
# spaces, dots and hyphens into underscores. Earlier names win within one field.
AUTO_NAMES: Final[dict[str, tuple[str, ...]]] = {
    "request_id": ("request_id", "id"),
    "timestamp": ("timestamp", "time", "created_at", "start_time", "ts", "datetime"),
    "provider": ("provider",),
    "model": ("model", "model_name", "model_id"),
    "input_tokens": ("input_tokens", "prompt_tokens", "tokens_in", "input_token_count", "prompt_token_count"),
    "cache_read_tokens": (
        "cache_read_tokens",
        "cached_tokens",
        "cache_read_input_tokens",
        "cached_input_tokens",
    ),
    "cache_write_tokens": ("cache_write_tokens", "cache_creation_input_tokens", "cache_creation_tokens"),
    "cache_write_1h_tokens": ("cache_write_1h_tokens",),
    "output_tokens": (
        "output_tokens",
        "completion_tokens",
        "tokens_out",
        "output_token_count",
        "completion_token_count",
    ),
    "reasoning_tokens": ("reasoning_tokens", "thinking_tokens"),
    "pricing_mode": ("pricing_mode", "service_tier"),
    "latency_ms": ("latency_ms", "duration_ms"),
    "ttft_ms": ("ttft_ms",),
    "status": ("status", "status_code", "http_status"),
    "error_type": ("error_type", "error"),
    "finish_reason": ("finish_reason", "stop_reason"),
    "user": ("user", "user_id"),
    "session": ("session", "session_id"),
    "feature": ("feature",),
    "tags": ("tags",),
    "source_cost_usd": ("cost", "cost_usd", "source_cost_usd"),
    "prompt_text": ("prompt", "prompt_text"),
    "completion_text": ("completion", "completion_text"),
    "score": ("score",),
}

_Source = Annotated[str, Field(min_length=1)]
FieldMap = create_model(  # type: ignore[call-overload]
    "FieldMap",
    __config__=ConfigDict(extra="forbid"),
    **{name: (_Source | None, None) for name in FIELD_NAMES},
)


class Defaults(BaseModel):
    """Constants for fields the logs lack (they also fill empty values of mapped fields)."""

    model_config = ConfigDict(extra="forbid")

    model: _Source | None = None
    provider: _Source | None = None
    pricing_mode: Literal["standard", "batch", "priority", "flex"] | None = None
    user: _Source | None = None
    session: _Source | None = None
    feature: _Source | None = None
    tags: _Source | list[_Source] | None = None


class MappingFile(BaseModel):
    """The YAML mapping file (docs/mapping.md)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["auto", "csv", "jsonl"] = "auto"
    fields: FieldMap = Field(default_factory=FieldMap)  # type: ignore[valid-type]
    input_includes_cache: StrictBool = True
    output_includes_reasoning: StrictBool = True
    timestamp_unit: Literal["auto", "s", "ms", "us", "ns"] = "auto"
    delimiter: Annotated[str, Field(min_length=1, max_length=1)] | None = None
    defaults: Defaults = Field(default_factory=Defaults)


@dataclass(frozen=True)
class ColumnMapping:
    """A resolved mapping: canonical field -> source name, conventions and constants."""

    fields: dict[str, str] = field(default_factory=dict)
    # canonical field -> where it was mapped ("mapping.yaml:7", "--map model=engine", "auto-mapped")
    origins: dict[str, str] = field(default_factory=dict)
    format: Literal["auto", "csv", "jsonl"] = "auto"
    input_includes_cache: bool = True
    output_includes_reasoning: bool = True
    timestamp_unit: Literal["auto", "s", "ms", "us", "ns"] = "auto"
    delimiter: str | None = None
    defaults: dict[str, str] = field(default_factory=dict)
    # The mapping file, if any. Without one, unmapped fields are auto-mapped by name.
    mapping_file: str | None = None

    @property
    def auto(self) -> bool:
        return self.mapping_file is None

    def missing_required(self) -> list[str]:
        """What a usable mapping still lacks: 'a model', 'token counts'."""
        missing = []
        if "model" not in self.fields and "model" not in self.defaults:
            missing.append("a model")
        if not any(name in self.fields for name in USAGE_FIELDS):
            missing.append("token counts")
        return missing

    def complete(self, names: Sequence[str], source: str, what: str) -> ColumnMapping:
        """Fill unmapped fields from well-known ``names`` (without a mapping file) and check
        the result can price requests.

        ``names`` are the CSV header's columns or the JSON records' keys (``what`` says
        which, for messages). Raises ``InputError`` listing ``names`` when auto-mapping
        finds no model or no token counts.
        """
        mapping = self
        if self.auto:
            found = auto_map(names)
            extra = {k: v for k, v in found.items() if k not in self.fields}
            mapping = replace(
                self,
                fields={**self.fields, **extra},
                origins={**self.origins, **{k: "auto-mapped" for k in extra}},
            )
        missing = mapping.missing_required()
        if missing and self.auto:
            shown = ", ".join(names[:40]) + (", ..." if len(names) > 40 else "")
            noun = "column" if what == "columns" else "key"
            raise InputError(
                f"{source}: cannot map the {what} to llmaudit's fields: found no {noun} for "
                f"{f' and no {noun} for '.join(missing)} ({what}: {shown or 'none'})",
                hint="name them with --map model=COLUMN --map input_tokens=COLUMN "
                "--map output_tokens=COLUMN, or in a mapping file ('fields:' with 'model: COLUMN', "
                "'input_tokens: COLUMN', 'output_tokens: COLUMN') passed with --mapping FILE.yaml; "
                "see docs/mapping.md",
            )
        return mapping


def normalize_name(name: str) -> str:
    """A source name as auto-mapping compares it: lower case, separators as underscores."""
    return re.sub(r"[\s.\-]+", "_", name.strip().lower()).strip("_")


def auto_map(names: Sequence[str]) -> dict[str, str]:
    """Canonical field -> source name, for the well-known names among ``names``."""
    by_norm: dict[str, str] = {}
    for name in names:
        by_norm.setdefault(normalize_name(name), name)
    found: dict[str, str] = {}
    for canonical, candidates in AUTO_NAMES.items():
        for candidate in candidates:
            if candidate in by_norm:
                found[canonical] = by_norm[candidate]
                break
    return found


def split_path(path: str) -> list[str]:
    """A dotted JSON path as keys; ``\\.`` is a literal dot inside a key."""
    return [part.replace("\\.", ".") for part in re.split(r"(?<!\\)\.", path)]


def _fields_hint() -> str:
    return "fields you may map: " + ", ".join(FIELD_NAMES)


def parse_map_flags(values: Sequence[str]) -> dict[str, str]:
    """``--map FIELD=SOURCE`` values as a dict; ``UsageError`` (one line) for a bad one."""
    fields: dict[str, str] = {}
    for value in values:
        name, sep, source = value.partition("=")
        name, source = name.strip(), source.strip()
        if not sep or not name or not source:
            example = "e.g. --map input_tokens=tokens_in"
            raise UsageError(f"--map {value!r}: expected FIELD=SOURCE, {example} ({_fields_hint()})")
        if name not in FIELD_KINDS:
            raise UsageError(f"--map {value!r}: unknown field {name!r} ({_fields_hint()})")
        if name in fields:
            raise UsageError(f"--map {value!r}: {name} is mapped twice; give each field once")
        fields[name] = source
    return fields


def cli_settings(mapping: Path | None, maps: Sequence[str]) -> dict[str, Any]:
    """The ``format_options["generic"]`` entry for ``--mapping`` and ``--map`` (empty if neither)."""
    settings: dict[str, Any] = {}
    if mapping is not None:
        settings["mapping"] = mapping
    if maps:
        settings["fields"] = parse_map_flags(maps)
    return settings


def load_mapping(settings: Mapping[str, Any]) -> ColumnMapping:
    """The mapping from ``settings`` (``mapping``: a YAML path; ``fields``: flags, which win).

    Raises ``ConfigError`` naming the file and line for an invalid file, or a file
    that maps no model or no token counts.
    """
    path = settings.get("mapping")
    flags = dict(settings.get("fields") or {})
    unknown = [k for k in flags if k not in FIELD_KINDS]
    if unknown:
        raise UsageError(f"--map: unknown field {unknown[0]!r} ({_fields_hint()})")
    if path is None:
        return ColumnMapping(fields=flags, origins={k: f"--map {k}={v}" for k, v in flags.items()})

    doc = load_yaml(path)
    try:
        spec = validate(doc, MappingFile, what="mapping file")
    except ConfigError as exc:
        raise ConfigError(exc.message, hint=_fields_hint() + "; schema: docs/mapping.md") from None
    fields = {k: v for k, v in cast(BaseModel, spec.fields).model_dump().items() if v is not None}
    origins = {k: f"{doc.where(('fields', k))}: fields.{k}" for k in fields}
    for name, source in flags.items():
        fields[name] = source
        origins[name] = f"--map {name}={source}"
    raw_defaults = spec.defaults.model_dump(exclude_none=True)
    if isinstance(raw_defaults.get("tags"), list):
        raw_defaults["tags"] = ",".join(raw_defaults["tags"])
    mapping = ColumnMapping(
        fields=fields,
        origins=origins,
        format=spec.format,
        input_includes_cache=spec.input_includes_cache,
        output_includes_reasoning=spec.output_includes_reasoning,
        timestamp_unit=spec.timestamp_unit,
        delimiter=spec.delimiter,
        defaults={k: str(v) for k, v in raw_defaults.items()},
        mapping_file=str(path),
    )
    missing = mapping.missing_required()
    if missing:
        where = doc.where(("fields",))
        raise ConfigError(
            f"{where}: the mapping names no source for {' and no source for '.join(missing)}",
            hint="under 'fields:' map 'model' (or give it under 'defaults:'), and 'input_tokens' and "
            "'output_tokens' (or 'prompt_text' to estimate them); see docs/mapping.md",
        )
    return mapping


def resolve_columns(mapping: ColumnMapping, header: Sequence[str], source: str) -> dict[str, str]:
    """Canonical field -> CSV column, each mapped name matched exactly, else ignoring case.

    Raises ``ConfigError`` naming where each missing column was mapped (file and line,
    or the ``--map`` flag) and listing the header's columns.
    """
    exact = set(header)
    by_norm: dict[str, list[str]] = {}
    for name in header:
        by_norm.setdefault(normalize_name(name), []).append(name)
    resolved: dict[str, str] = {}
    problems: list[str] = []
    for canonical, wanted in mapping.fields.items():
        if wanted in exact:
            resolved[canonical] = wanted
            continue
        candidates = by_norm.get(normalize_name(wanted), [])
        if len(candidates) == 1:
            resolved[canonical] = candidates[0]
            continue
        origin = mapping.origins.get(canonical, canonical)
        problems.append(f"{origin}: column {wanted!r} is not in the header of {source}")
    if problems:
        shown = ", ".join(repr(h) for h in header[:40]) + (", ..." if len(header) > 40 else "")
        raise ConfigError(
            "; ".join(problems) + f" (the header's columns: {shown})",
            hint="correct the column name in the mapping (names are matched exactly, then ignoring case)",
        )
    return resolved
