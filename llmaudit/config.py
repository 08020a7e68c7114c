"""The project configuration shared by ``simulate`` and ``check``.

Found, in this order: ``--config FILE``; else, in the current directory and then each
parent up to the repository root (the first directory holding ``.git``; the filesystem
root outside a repository), as ruff finds its configuration: ``llmaudit.yaml`` (or
``.yml``), or a ``pyproject.toml`` with a ``[tool.llmaudit]`` table (a ``pyproject.toml``
without one is passed over). The nearest wins. Paths in it are relative to the file that
holds them. Command-line flags always win over the config.

```yaml
# llmaudit.yaml
logs: [logs/]                      # LOGS when none are given on the command line
pricing: [prices/private.yaml]     # extra price tables (--pricing)
policies: [policies/tiered.yaml]   # default --policy files
quality: quality.yaml              # --quality (simulate)
tag_rules: rules/tags.yaml         # --tag-rules
timezone: Europe/Berlin            # --timezone
check:                             # thresholds for `llmaudit check`
  max_increase_pct: 5
  max_increase_usd: 200
  max_monthly_usd: 10000
  min_change_usd: 10
  fail_on_unpriced: true
```
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BeforeValidator, Field

from llmaudit.errors import ConfigError
from llmaudit.yamlsrc import StrictModel, YamlDoc, load_yaml, validate

NAMES = ("llmaudit.yaml", "llmaudit.yml")


class Thresholds(StrictModel):
    """The limits of `llmaudit check` on projected monthly cost in USD (check/gate.py says what
    each means): the config's ``check:`` section, with the command's flags over it (``merged``)."""

    max_increase_pct: Annotated[float, Field(ge=0)] | None = None
    max_increase_usd: Annotated[float, Field(ge=0)] | None = None
    max_monthly_usd: Annotated[float, Field(ge=0)] | None = None
    min_change_usd: Annotated[float, Field(ge=0)] | None = None
    # An empty ``fail_on_unpriced:`` (null) in the file means not set, as it always did.
    fail_on_unpriced: Annotated[bool, BeforeValidator(lambda v: False if v is None else v)] = False

    def merged(self, flags: Mapping[str, float | bool | None]) -> Thresholds:
        """These thresholds with each flag that was given (not None) in place of its value."""
        given = {name: value for name, value in flags.items() if value is not None}
        return Thresholds.model_validate({**self.model_dump(), **given})

    @property
    def any(self) -> bool:
        """Whether any threshold can fail the check."""
        limits = (self.max_increase_pct, self.max_increase_usd, self.max_monthly_usd)
        return self.fail_on_unpriced or any(v is not None for v in limits)


def _known_zone(name: str | None) -> str | None:
    """Checked here, not where --timezone is, so a bad zone is blamed on the config's line."""
    if name is None or name.upper() == "UTC":
        return name
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a known time zone; use an IANA name such as UTC, Europe/Berlin or America/New_York"
        ) from None
    return name


class ConfigSpec(StrictModel):
    logs: list[str] = Field(default_factory=list)
    pricing: list[str] = Field(default_factory=list)
    policies: list[str] = Field(default_factory=list)
    quality: str | None = None
    tag_rules: str | None = None
    timezone: Annotated[str | None, AfterValidator(_known_zone)] = None
    check: Thresholds = Field(default_factory=Thresholds)


@dataclass(frozen=True)
class ProjectConfig:
    """The configuration with its paths made relative to the working directory."""

    path: str | None
    logs: tuple[str, ...] = ()
    pricing: tuple[Path, ...] = ()
    policies: tuple[Path, ...] = ()
    quality: Path | None = None
    tag_rules: Path | None = None
    timezone: str | None = None
    check: Thresholds = field(default_factory=Thresholds)


def _resolve(base: Path, items: list[str]) -> tuple[str, ...]:
    return tuple(item if item == "-" else str(base / item) for item in items)


def _from_spec(spec: ConfigSpec, path: Path) -> ProjectConfig:
    base = path.parent
    return ProjectConfig(
        path=str(path),
        logs=_resolve(base, spec.logs),
        pricing=tuple(Path(p) for p in _resolve(base, spec.pricing)),
        policies=tuple(Path(p) for p in _resolve(base, spec.policies)),
        quality=base / spec.quality if spec.quality else None,
        tag_rules=base / spec.tag_rules if spec.tag_rules else None,
        timezone=spec.timezone,
        check=spec.check,
    )


def load_config(explicit: Path | None = None, cwd: Path | None = None) -> ProjectConfig:
    """The project config (empty when there is none). ``ConfigError`` for a bad file."""
    if explicit is not None:
        if explicit.suffix == ".toml":
            return _from_pyproject(explicit, required=True)
        doc = load_yaml(explicit)
        return _from_spec(validate(doc, ConfigSpec, what=f"config {explicit}", data=doc.data or {}), explicit)
    for directory in _search_path(cwd or Path.cwd()):
        for name in NAMES:
            candidate = directory / name
            if candidate.is_file():
                doc = load_yaml(candidate)
                return _from_spec(validate(doc, ConfigSpec, what=f"config {candidate}", data=doc.data or {}), candidate)
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            found = _from_pyproject(pyproject, required=False)
            if found.path is not None:
                return found
    return ProjectConfig(path=None)


def _search_path(start: Path) -> list[Path]:
    """``start`` and its parents, up to and including the repository root."""
    path = []
    for directory in (start.resolve(), *start.resolve().parents):
        path.append(directory)
        if (directory / ".git").exists():
            break
    return path


def _from_pyproject(path: Path, *, required: bool) -> ProjectConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read [tool.llmaudit]: {exc}") from None
    section = data.get("tool", {}).get("llmaudit")
    if section is None:
        if required:
            raise ConfigError(f"{path}: has no [tool.llmaudit] table")
        return ProjectConfig(path=None)
    doc = YamlDoc(f"{path} [tool.llmaudit]", section, {})
    return _from_spec(validate(doc, ConfigSpec, what=f"config {path}"), path)
