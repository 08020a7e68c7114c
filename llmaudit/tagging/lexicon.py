"""The shipped keyword lexicon (``lexicon.yaml``), loaded once into frozen dataclasses.

The lexicon is data: which words suggest which task type, which make a request hard or
easy, and which regular expressions detect code, stack traces and math. The engine never
names a keyword itself, so improving the tagger is an edit to the YAML file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Final

import yaml

TASK_TYPES: Final = (
    "classification",
    "extraction",
    "summarization",
    "translation",
    "rewrite",
    "qa",
    "chat",
    "creative",
    "code",
    "math",
    "reasoning",
    "unknown",
)
TEXT_TASK_TYPES: Final = TASK_TYPES[:-1]
STRUCTURE_SIGNALS: Final = ("code_block", "code_syntax", "stack_trace", "math_notation")


@dataclass(frozen=True)
class KeywordClass:
    """The keywords of one task type."""

    task_type: str
    reason: str
    weight: float
    pattern: str
    """All of the task type's patterns joined into one case-insensitive RE2 expression."""


@dataclass(frozen=True)
class Lexicon:
    head_chars: int
    tail_chars: int
    body_chars: int
    classes: tuple[KeywordClass, ...]
    hard: str
    easy: str
    statement: str
    """A task statement at the head of the message ("Definition: ...", "In this task, ...")."""
    structure: dict[str, str]


def join_patterns(patterns: list[str] | tuple[str, ...]) -> str:
    """One case-insensitive RE2 expression matching any of ``patterns``."""
    return "(?i)" + "|".join(f"(?:{p})" for p in patterns)


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The lexicon shipped as package data (``llmaudit/tagging/lexicon.yaml``)."""
    text = resources.files("llmaudit.tagging").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    classes = tuple(
        KeywordClass(name, spec["reason"], float(spec["weight"]), join_patterns(spec["patterns"]))
        for name, spec in data["task_types"].items()
    )
    unknown = {c.task_type for c in classes} - set(TEXT_TASK_TYPES)
    if unknown:  # a typo in the shipped file is a bug, not a user error
        raise ValueError(f"lexicon.yaml names unknown task types {sorted(unknown)}")
    structure = {name: "(?m)" + pattern for name, pattern in data["structure"].items()}
    return Lexicon(
        head_chars=int(data["head_chars"]),
        tail_chars=int(data["tail_chars"]),
        body_chars=int(data["body_chars"]),
        classes=classes,
        hard=join_patterns(data["hard"]["patterns"]),
        easy=join_patterns(data["easy"]["patterns"]),
        statement=join_patterns(data["statement"]["patterns"]),
        structure=structure,
    )
