"""The user's tagging rules file (``--tag-rules``): schema, loading and matching.

A rules file adds keywords, maps features/tags/teams/projects/users/models (or text
patterns) to task types and tiers, and marks high-stakes domains. Metadata rules win over
text signals. The schema is pydantic with ``extra="forbid"``; the file is read by
:mod:`llmaudit.yamlsrc`, so every error names ``file:line: field``. A complete example is
in ``examples/tag-rules.yaml`` and docs/tagging.md.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
import pyarrow.compute as pc
from pydantic import Field, field_validator, model_validator

from llmaudit.errors import ConfigError
from llmaudit.schema import TAG_SEPARATOR
from llmaudit.tagging.lexicon import TASK_TYPES
from llmaudit.tagging.signals import text_column
from llmaudit.yamlsrc import StrictModel, load_yaml, validate

TaskTypeName = Literal[TASK_TYPES]  # type: ignore[valid-type]
Tier = Annotated[int, Field(ge=0, le=3)]
METADATA_FIELDS = ("feature", "tags", "team", "project", "user", "model")


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    return pattern


class RuleMatch(StrictModel):
    """Conditions of one rule; all given conditions must hold. Values are globs (``*``, ``?``)."""

    feature: str | list[str] | None = None
    tags: str | list[str] | None = None
    team: str | list[str] | None = None
    project: str | list[str] | None = None
    user: str | list[str] | None = None
    model: str | list[str] | None = None
    text: str | None = None
    """A regular expression searched (case-insensitively) in the last user message."""

    @field_validator("text")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)

    @model_validator(mode="after")
    def _not_empty(self) -> RuleMatch:
        if all(getattr(self, name) is None for name in (*METADATA_FIELDS, "text")):
            raise ValueError("a match needs at least one of feature, tags, team, project, user, model, text")
        return self


class Rule(StrictModel):
    """When ``match`` holds, set the task type and/or the tier (metadata wins over text)."""

    name: str | None = None
    match: RuleMatch
    task_type: TaskTypeName | None = None
    tier: Tier | None = None

    @model_validator(mode="after")
    def _does_something(self) -> Rule:
        if self.task_type is None and self.tier is None:
            raise ValueError("a rule must set task_type, tier or both")
        return self


class HighStakes(StrictModel):
    """Requests that are tier 3 whatever their text says: errors there are expensive."""

    features: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    teams: list[str] = Field(default_factory=list)
    projects: list[str] = Field(default_factory=list)
    users: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    patterns: list[str] = Field(default_factory=list)
    """Regular expressions searched in the last user message and the system prompt."""

    @field_validator("patterns")
    @classmethod
    def _regexes(cls, value: list[str]) -> list[str]:
        return [_check_regex(p) for p in value]


class TagRules(StrictModel):
    """A tagging rules file (``--tag-rules``)."""

    version: Literal[1] = 1
    keywords: dict[TaskTypeName, list[str]] = Field(default_factory=dict)
    """Extra text patterns per task type, added to the shipped lexicon."""
    hard_patterns: list[str] = Field(default_factory=list)
    """Extra patterns that make a request hard (tier 2 at least)."""
    rules: list[Rule] = Field(default_factory=list)
    """Applied in order; a later rule overrides an earlier one where both match."""
    high_stakes: HighStakes = HighStakes()
    round_up_margin: Annotated[float, Field(ge=0, le=1)] | None = None
    """Override of the confidence below which the tier is rounded up one step."""

    @field_validator("keywords")
    @classmethod
    def _keyword_regexes(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {k: [_check_regex(p) for p in v] for k, v in value.items()}

    @field_validator("hard_patterns")
    @classmethod
    def _hard_regexes(cls, value: list[str]) -> list[str]:
        return [_check_regex(p) for p in value]


def load_tag_rules(path: str | Path) -> TagRules:
    """Load and validate a rules file. Raises ``ConfigError`` naming ``file:line: field``."""
    doc = load_yaml(path)
    if doc.data is None:
        raise ConfigError(f"{doc.path}: the rules file is empty", hint="see examples/tag-rules.yaml")
    return validate(doc, TagRules, what="tagging rules file")


def _globs(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def metadata_mask(frame: pd.DataFrame, column: str, globs: list[str]) -> np.ndarray:
    """Rows whose ``column`` matches any glob; for ``tags``, any of the row's tags.

    Works on the column's distinct values (features, teams and models repeat a lot), so
    its cost does not grow with the number of rules times rows.
    """
    n = len(frame)
    if not globs or column not in frame.columns:
        return np.zeros(n, dtype=bool)
    codes, uniques = pd.factorize(frame[column], use_na_sentinel=True)
    regex = re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs), re.IGNORECASE)
    hits = []
    for value in uniques:
        parts = str(value).split(TAG_SEPARATOR) if column == "tags" else [str(value)]
        hits.append(any(regex.match(part.strip()) for part in parts))
    table = np.asarray([*hits, False], dtype=bool)
    return table[np.where(codes < 0, len(uniques), codes)]


def text_mask(frame: pd.DataFrame, pattern: str, columns: tuple[str, ...] = ("user_text",)) -> np.ndarray:
    """Rows where ``pattern`` occurs (case-insensitively) in any of ``columns``."""
    out = np.zeros(len(frame), dtype=bool)
    for column in columns:
        if column not in frame.columns:
            continue
        arr = text_column(frame, column)
        out |= np.asarray(pc.fill_null(pc.match_substring_regex(arr, f"(?i){pattern}"), False), dtype=bool)
    return out


def rule_mask(frame: pd.DataFrame, rule: Rule) -> np.ndarray:
    """Rows matched by every condition of ``rule``."""
    mask = np.ones(len(frame), dtype=bool)
    m = rule.match
    for column in METADATA_FIELDS:
        globs = _globs(getattr(m, column))
        if globs:
            mask &= metadata_mask(frame, column, globs)
    if m.text is not None:
        mask &= text_mask(frame, m.text)
    return mask


def rule_label(rule: Rule) -> str:
    """The reason code of a rule: its name, or its first condition (``feature=support``)."""
    if rule.name:
        return f"rule:{rule.name}"
    for column in METADATA_FIELDS:
        globs = _globs(getattr(rule.match, column))
        if globs:
            return f"rule:{column}={globs[0]}"
    return "rule:text"


def high_stakes_mask(frame: pd.DataFrame, spec: HighStakes) -> tuple[np.ndarray, list[tuple[str, np.ndarray]]]:
    """Rows marked high-stakes, and the (reason, mask) of each condition that fired."""
    parts: list[tuple[str, np.ndarray]] = []
    for column, globs in (
        ("feature", spec.features),
        ("tags", spec.tags),
        ("team", spec.teams),
        ("project", spec.projects),
        ("user", spec.users),
        ("model", spec.models),
    ):
        if globs:
            parts.append((f"high_stakes:{column}", metadata_mask(frame, column, globs)))
    if spec.patterns:
        pattern = "|".join(f"(?:{p})" for p in spec.patterns)
        parts.append(("high_stakes:text", text_mask(frame, pattern, ("user_text", "system_text"))))
    total = np.zeros(len(frame), dtype=bool)
    for _, mask in parts:
        total |= mask
    return total, parts


__all__ = ["HighStakes", "Rule", "RuleMatch", "TagRules", "load_tag_rules"]
