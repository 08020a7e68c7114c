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


# The windows are matched as bytes, where RE2 reads text and pattern as Latin-1: ``\\b``
# and ``\\w`` see ASCII letters only, ``(?i)`` folds no Cyrillic, Greek or accented UTF-8
# letter, and a character class holds bytes, not characters. So the lexicon writes a word
# start or end in any script as ``\\<`` / ``\\>``, and ``byte_safe`` spells out the
# upper case of every non-ASCII letter. Both cost nothing at match time.
WORD_START: Final = r"(?:^|[^\w\x80-\xff])"
WORD_END: Final = r"(?:$|[^\w\x80-\xff])"


def byte_safe(pattern: str) -> str:
    """``pattern`` rewritten for RE2's byte mode: ``\\<`` and ``\\>`` become word boundaries
    that hold in any script, and a non-ASCII letter outside a character class matches its
    upper case too (``п`` -> ``(?:п|П)``). A non-ASCII character inside a class would match
    any of its bytes (``[π∞]`` matches most of CJK), so it raises ``ValueError``.
    """
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            out.append(
                WORD_START if nxt == "<" and not in_class else WORD_END if nxt == ">" and not in_class else c + nxt
            )
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
        elif c == "]" and in_class and pattern[i - 1] != "[" and pattern[i - 2 : i] != "[^":
            in_class = False
        elif ord(c) > 127:
            if in_class:
                raise ValueError(f"non-ASCII {c!r} inside a character class of {pattern!r}: write an alternation")
            upper = c.upper()
            if upper != c and len(upper) == 1:
                c = f"(?:{c}|{upper})"
        out.append(c)
        i += 1
    return "".join(out)


def join_patterns(patterns: list[str] | tuple[str, ...]) -> str:
    """One case-insensitive RE2 expression matching any of ``patterns`` (``byte_safe``)."""
    return "(?i)" + "|".join(f"(?:{byte_safe(p)})" for p in patterns)


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
    structure = {name: "(?m)" + byte_safe(pattern) for name, pattern in data["structure"].items()}
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
