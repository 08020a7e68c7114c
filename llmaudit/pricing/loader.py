"""Load, check and merge price-table files into a :class:`PriceTable`.

Tables load in order (the shipped ones, then each ``--pricing`` path); a later table
overrides or extends an earlier one *field by field*: a user table may set only
``input`` for ``gpt-4o`` and keep every other shipped rate. A model key in a later
table merges into an earlier model only when it is that model's exact name or alias
(case-insensitive); otherwise it is a new model. Sellers merge by name and a later
seller entry replaces an earlier one whole.

One loader serves two callers: :func:`load_pricing` (analyze and every other command:
the first error stops the run) and :func:`validate_pricing` (``pricing validate``:
every problem in every file, as data). Both record where each field was set, so a
warning about a merged model names the file and line of the value it is about.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llmaudit.errors import ConfigError, PricingError
from llmaudit.pricing.fallback import FILE_NAME as FALLBACK_FILE
from llmaudit.pricing.fallback import load_fallback
from llmaudit.pricing.prices import ModelPrice, TableInfo, build_model
from llmaudit.pricing.resolve import ModelResolver
from llmaudit.pricing.sellers import Seller, build_seller
from llmaudit.pricing.spec import RATE_KINDS, TableSpec
from llmaudit.pricing.table import PriceTable, shipped_pricing_dir
from llmaudit.pricing.validate import (
    TableIssue,
    ValidationReport,
    check_file,
    check_model,
    power_of_ten,
    ratio_finding,
    schema_findings,
)
from llmaudit.yamlsrc import YamlDoc, load_yaml

# How many problems a load error lists before "... and N more".
_MAX_LISTED = 12


def _norm(name: str) -> str:
    return name.strip().lower()


def table_files(path: Path) -> list[Path]:
    """The table files ``path`` stands for: itself, or a directory's ``.yaml`` / ``.yml`` files by name."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
        if not files:
            raise PricingError(f"{path}: no .yaml price tables in this directory")
        return files
    if path.is_file():
        return [path]
    raise PricingError(f"{path}: no such price table file or directory")


@dataclass
class _Draft:
    """A model's merged YAML fields while tables are being stacked."""

    fields: dict[str, Any]
    defined_in: str
    tables: list[str]
    origins: dict[str, str] = field(default_factory=dict)


def _deep_merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _deep_merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def _leaves(data: Mapping[str, Any], prefix: tuple[str | int, ...] = ()) -> Iterable[tuple[tuple[str | int, ...], Any]]:
    """(path, value) of every field an override sets, nested mappings and tier items included."""
    for key, value in data.items():
        path = (*prefix, key)
        yield path, value
        if isinstance(value, Mapping):
            yield from _leaves(value, path)
        elif isinstance(value, list) and value and isinstance(value[0], Mapping):
            for index, item in enumerate(value):
                yield (*path, index), item
                yield from _leaves(item, (*path, index))


def _dotted(path: tuple[str | int, ...]) -> str:
    return ".".join(str(p) for p in path)


def _lookup(fields: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    value: Any = fields
    for part in path:
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return None
    return value


class _Loader:
    def __init__(self) -> None:
        self.findings: list[TableIssue] = []
        self.infos: list[TableInfo] = []
        self.drafts: dict[str, _Draft] = {}
        self.lookup: dict[str, str] = {}  # lower-cased name or alias -> model key
        self.sellers: dict[str, tuple[Seller, str]] = {}
        self.files: list[str] = []

    # ------------------------------------------------------------------ one file

    def add(self, path: Path, shipped: bool, *, strict: bool) -> None:
        shown = str(path)
        self.files.append(shown)
        try:
            doc = load_yaml(path)
        except ConfigError as exc:
            if strict:
                raise
            where, _, message = exc.message.partition(": ")
            if not where.startswith(shown):
                where, message = shown, exc.message
            self.findings.append(TableIssue("error", where, "", message, "yaml", exc.hint))
            return
        if doc.data is None:
            self._error(shown, "the price table is empty", "empty", hint="see pricing/README.md for the schema")
            return
        if not isinstance(doc.data, dict):
            self._error(f"{shown}:1", "a price table must be a YAML mapping with a 'models:' key", "not-a-mapping")
            return
        spec, problems = schema_findings(doc, TableSpec)
        self.findings += problems
        if spec is None or not isinstance(spec, TableSpec):
            return
        file_findings = check_file(doc, spec)
        self.findings += file_findings
        if any(f.severity == "error" for f in file_findings):
            return
        self.infos.append(TableInfo(spec.name, shown, spec.source, spec.as_of, shipped))
        self._merge_models(doc, spec)
        for name, seller_spec in spec.sellers.items():
            self.sellers[_norm(name)] = (build_seller(name, seller_spec, table=spec.name), doc.where(("sellers", name)))

    def _error(self, where: str, message: str, code: str, hint: str | None = None) -> None:
        self.findings.append(TableIssue("error", where, "", message, code, hint))

    def _merge_models(self, doc: YamlDoc, spec: TableSpec) -> None:
        earlier = ModelResolver({key: [] for key in self.drafts}) if self.drafts else None
        seen_in_file: dict[str, str] = {}
        compared = 0
        off: list[int] = []
        for key, model in spec.models.items():
            where = doc.where(("models", key))
            override = model.model_dump(exclude_unset=True)
            target = self.lookup.get(_norm(key))
            if target is None:
                if earlier is not None:
                    hit = earlier.resolve(key)
                    if hit is not None:
                        compared += 1
                        off.append(self._compare_new(doc, key, override, self.drafts[hit.model]))
                draft = _Draft(fields=override, defined_in=where, tables=[spec.name])
                self.drafts[key] = draft
                target = key
            else:
                draft = self.drafts[target]
                compared += 1
                off.append(self._compare_override(doc, key, override, draft))
                merged = _deep_merge(draft.fields, override)
                # Aliases accumulate; every other list (tiers, supports) is replaced whole.
                merged["aliases"] = list(
                    dict.fromkeys([*(draft.fields.get("aliases") or []), *(override.get("aliases") or [])])
                )
                draft.fields = merged
                draft.defined_in = where
                draft.tables.append(spec.name)
            self._record_origins(doc, key, override, self.drafts[target])
            for alias in [key, *(model.aliases or [])]:
                owner = seen_in_file.get(_norm(alias))
                if owner is not None and owner != target:
                    self._error(
                        where,
                        f"name {alias!r} is claimed by both {owner!r} and {target!r} in {doc.path}",
                        "name-claimed-twice",
                        hint="a name or alias may belong to one model only",
                    )
                seen_in_file[_norm(alias)] = target
                self.lookup[_norm(alias)] = target
        exponents = [k for k in off if k]
        if len(exponents) >= 3 and len(set(exponents)) == 1 and len(exponents) * 2 >= compared:
            k = exponents[0]
            self.findings.append(
                TableIssue(
                    "warning",
                    doc.path,
                    "",
                    f"{len(exponents)} of the {compared} models this table shares with the tables loaded before it "
                    f"are priced 10^{k} times theirs: is the whole table in another unit?",
                    "table-power-of-ten-off",
                )
            )

    def _record_origins(self, doc: YamlDoc, key: str, override: Mapping[str, Any], draft: _Draft) -> None:
        if "tiers" in override:
            draft.origins = {p: w for p, w in draft.origins.items() if not p.startswith("tiers")}
        for path, _ in _leaves(override):
            draft.origins[_dotted(path)] = doc.where(("models", key, *path))

    def _compare_override(self, doc: YamlDoc, key: str, override: Mapping[str, Any], draft: _Draft) -> int:
        """Warn where an override is an earlier value off by a power of ten; the first such exponent."""
        seen = []
        for path, value in _leaves(override):
            if path[-1] not in RATE_KINDS and path[-1] != "per_request":
                continue  # only prices are compared
            old = _lookup(draft.fields, path)
            if not isinstance(old, (int, float)) or not isinstance(value, (int, float)):
                continue
            seen.append(power_of_ten(float(value), float(old)))
            finding = ratio_finding(
                doc.where(("models", key, *path)),
                f"models.{key}.{_dotted(path)}",
                float(value),
                float(old),
                draft.origins.get(_dotted(path), draft.defined_in),
            )
            if finding is not None:
                self.findings.append(finding)
        return next((k for k in seen if k), 0)

    def _compare_new(self, doc: YamlDoc, key: str, fields: Mapping[str, Any], other: _Draft) -> int:
        """A new model whose name resolves to an earlier one: compare the base input and output."""
        seen = []
        for kind in ("input", "output"):
            new, old = fields.get(kind), other.fields.get(kind)
            if isinstance(new, (int, float)) and isinstance(old, (int, float)):
                seen.append(power_of_ten(float(new), float(old)))
                finding = ratio_finding(
                    doc.where(("models", key, kind)),
                    f"models.{key}.{kind}",
                    float(new),
                    float(old),
                    other.origins.get(kind, other.defined_in),
                )
                if finding is not None:
                    self.findings.append(finding)
        return next((k for k in seen if k), 0)

    # ------------------------------------------------------------------ the whole table

    def build(self) -> list[ModelPrice]:
        models = []
        for name, draft in self.drafts.items():
            missing = [kind for kind in ("input", "output") if draft.fields.get(kind) is None]
            if missing:
                self.findings.append(
                    TableIssue(
                        "error",
                        draft.defined_in,
                        "",
                        f"model {name!r} has no {missing[0]!r} price",
                        "missing-price",
                        hint="every model needs input and output prices (USD per million tokens)",
                    )
                )
                continue
            model = build_model(name, draft.fields, draft.defined_in, tuple(draft.tables), draft.origins)
            models.append(model)
            self.findings += check_model(model)
        return models


def _sources(extra: Iterable[str | Path], include_shipped: bool) -> list[tuple[Path, bool]]:
    """(path, shipped) in load order. A shipped table named again in ``extra`` (``pricing
    validate pricing/``) loads once, in its shipped place, under the spelling given."""
    given = [p for item in extra for p in table_files(Path(item))]
    sources: list[tuple[Path, bool]] = []
    if include_shipped:
        spelled = {p.resolve(): p for p in given}
        sources += [(spelled.get(p.resolve(), p), True) for p in table_files(shipped_pricing_dir())]
    loaded = {p.resolve() for p, _ in sources}
    sources += [(p, False) for p in given if p.resolve() not in loaded]
    if not sources:
        raise PricingError("no price table given", hint="drop --no-default-pricing or pass --pricing FILE")
    return sources


def load_pricing(extra: Iterable[str | Path] = (), *, include_shipped: bool = True) -> PriceTable:
    """Load the shipped tables, then each path in ``extra`` (file or directory) on top.

    Raises ``PricingError`` (exit 2) listing every error with its file, line and field
    (``ConfigError`` for YAML that does not parse). Plausibility warnings do not stop the
    load: they are on the returned table's ``warnings``.
    """
    loader = _Loader()
    for path, shipped in _sources(extra, include_shipped):
        loader.add(path, shipped, strict=True)
    models = loader.build()
    errors = [f for f in loader.findings if f.severity == "error"]
    if errors:
        raise _as_error(errors)
    sellers = {seller.name: seller for seller, _ in loader.sellers.values()}
    warnings = [f for f in loader.findings if f.severity == "warning"]
    fallback = None
    infos = loader.infos
    if include_shipped:
        # The LiteLLM snapshot, under every table: only names no table resolves reach it.
        fallback = load_fallback(shipped_pricing_dir() / FALLBACK_FILE)
        infos = [TableInfo(fallback.name, fallback.path, fallback.source, fallback.as_of, True), *infos]
    return PriceTable(models, infos, sellers=sellers, warnings=warnings, fallback=fallback)


def _as_error(errors: Sequence[TableIssue]) -> PricingError:
    listed = "\n  ".join(str(f) for f in errors[:_MAX_LISTED])
    more = f"\n  ... and {len(errors) - _MAX_LISTED} more" if len(errors) > _MAX_LISTED else ""
    hint = next((f.hint for f in errors if f.hint), None) or (
        "run `llmaudit pricing validate FILE` to list every problem; the schema is in pricing/README.md"
    )
    if len(errors) == 1 and errors[0].code == "missing-price":
        return PricingError(str(errors[0]), hint=hint)
    count = f"{len(errors)} error{'s' if len(errors) > 1 else ''}"
    return PricingError(f"invalid price table ({count}):\n  {listed}{more}", hint=hint)


def validate_pricing(paths: Iterable[str | Path], *, include_shipped: bool = True) -> ValidationReport:
    """Every error and warning in ``paths`` (files or directories), as data; never raises for bad tables.

    With ``include_shipped`` the files are checked on top of the shipped tables, as
    ``analyze --pricing`` would load them, and only findings located in ``paths`` are
    reported. Raises ``PricingError`` only when a path does not exist.
    """
    paths = list(paths)
    wanted = {p.resolve() for item in paths for p in table_files(Path(item))}
    loader = _Loader()
    for path, shipped in _sources(paths, include_shipped):
        loader.add(path, shipped, strict=False)
    models = loader.build()
    shown = sorted({f for f in loader.files if Path(f).resolve() in wanted})
    order = {name: i for i, name in enumerate(loader.files)}
    findings = tuple(
        sorted(
            (f for f in loader.findings if f.file in shown or not f.file),
            key=lambda f: (order.get(f.file, -1), f.line or 0),
        )
    )
    return ValidationReport(files=tuple(shown), models=len(models), sellers=len(loader.sellers), findings=findings)
