"""Importers: other price lists converted into llmaudit's YAML price-table schema.

Each importer turns parsed JSON into an :class:`ImportResult` (model entries in USD per
million tokens, plus what it skipped and which fields it could not carry); the registry
:data:`IMPORTERS` names them for ``llmaudit pricing import FORMAT``. Converting is pure;
reading the JSON (a file, or a URL through :mod:`llmaudit.pricing.fetch`) and writing
the YAML happen around it.

Every model an importer emits passes the same unit checks as a hand-written table: an
entry with an impossible value (a per-token price above $1,000 per million, say) is
skipped with the reason, never written.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from llmaudit.errors import PricingError, UsageError
from llmaudit.pricing.importers.base import Importer, ImportFilters, ImportResult
from llmaudit.pricing.importers.litellm import LITELLM
from llmaudit.pricing.importers.openrouter import OPENROUTER
from llmaudit.pricing.loader import validate_pricing
from llmaudit.pricing.validate import TableIssue

if TYPE_CHECKING:
    from llmaudit.pricing.fetch import FetchOptions


_EVERYTHING = ImportFilters()


class _Flow(dict):  # type: ignore[type-arg]
    """A mapping written on one line (rate sets: ``batch: {input: 1.25, output: 5.0}``)."""


class _FlowList(list):  # type: ignore[type-arg]
    """A list written on one line (``supports: [tools, vision]``)."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda d, v: d.represent_mapping("tag:yaml.org,2002:map", v, flow_style=True))
_Dumper.add_representer(_FlowList, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _styled(fields: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in fields.items():
        if key == "tiers":
            out[key] = [_styled(tier) for tier in value]
        elif isinstance(value, Mapping):
            out[key] = _Flow(value)
        elif isinstance(value, list):
            out[key] = _FlowList(value)
        else:
            out[key] = value
    return out


def render_yaml(result: ImportResult, *, command: str) -> str:
    """The YAML text of an imported table, with a header saying where it came from."""
    doc = result.document()
    doc["models"] = {key: _styled(fields) for key, fields in doc["models"].items()}
    header = [
        f"# Imported with `{command}` on {result.as_of.isoformat()}.",
        f"# Source: {result.source}",
        "# USD per million tokens (per_request: USD per call); schema: pricing/README.md.",
        f"# {doc['notes']}.",
    ]
    if result.not_carried:
        carried = ", ".join(f"{name} ({n})" for name, n in result.not_carried.items())
        header.append(f"# Not carried (no field in the schema; models that had it): {carried}")
    listed = [s for s in result.skipped if not s.reason.startswith("not a text-generation model")]
    for item in listed[:40]:
        header.append(f"# skipped {item.key}: {item.reason}")
    if len(listed) > 40:
        header.append(f"# ... and {len(listed) - 40} more skipped entries")
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)
    return "\n".join(line.rstrip() for line in header) + "\n" + body


def write_atomically(text: str, path: Path) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: a failure leaves any
    existing file untouched. Raises ``PricingError`` when the file cannot be written."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise PricingError(f"{path}: cannot write the price table ({exc.strerror})") from None


# --------------------------------------------------------------------------- the whole import


@dataclass(frozen=True)
class ImportOutcome:
    """What ``pricing import`` did."""

    result: ImportResult
    output: Path
    warnings: tuple[TableIssue, ...]
    size_bytes: int


def import_price_list(
    fmt: str,
    location: str,
    output: Path,
    *,
    as_of: date,
    filters: ImportFilters = _EVERYTHING,
    fetch_options: FetchOptions | None = None,
    transport: Any = None,
    command: str = "llmaudit pricing import",
) -> ImportOutcome:
    """Read ``location`` (file or URL), convert it with importer ``fmt`` and write ``output``.

    The table is checked with the same validation as any table before it replaces
    ``output``, and written through a temporary file: any failure (fetch, format, an
    empty selection, a write error) raises ``PricingError`` and leaves an existing
    ``output`` untouched. ``transport`` is an ``httpx`` transport for tests.
    """
    # Imported here: httpx loads only when a price list is actually read.
    from llmaudit.pricing.fetch import FetchOptions, read_price_list

    importer = IMPORTERS.get(fmt)
    if importer is None:
        raise UsageError(f"unknown price-list format {fmt!r}; choose one of {', '.join(IMPORTERS)}")
    fetched = read_price_list(location, fetch_options or FetchOptions(), transport=transport)
    version = f" (LiteLLM {fetched.version})" if fetched.version and fmt == "litellm" else ""
    source = f"{importer.source_label}{version}, {location}"
    result = importer.convert(fetched.data, source=source, as_of=as_of, filters=filters)
    if not result.models:
        raise PricingError(
            f"{location}: no model to import ({len(result.skipped)} skipped, {result.filtered_out} filtered out)",
            hint="check --only / --models; `--only` takes provider names as the source spells them",
        )
    text = render_yaml(result, command=command)
    with tempfile.TemporaryDirectory() as scratch:
        draft = Path(scratch) / output.name
        draft.write_text(text, encoding="utf-8")
        report = validate_pricing([draft], include_shipped=False)
    if report.errors:  # the converters skip what would fail; this is a safety net
        raise PricingError(
            f"the converted table does not validate: {report.errors[0]}",
            hint="this is a bug in the importer; please report it with the source file",
        )
    write_atomically(text, output)
    return ImportOutcome(result, output, report.warnings, fetched.size_bytes)


IMPORTERS: Mapping[str, Importer] = {importer.name: importer for importer in (LITELLM, OPENROUTER)}
