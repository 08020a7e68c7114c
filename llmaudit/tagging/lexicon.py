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
STRUCTURE_SIGNALS: Final = ("code_block", "code_syntax", "stack_trace", "math_notation", "puzzle", "numbers")


@dataclass(frozen=True)
class KeywordClass:
    """The keywords of one task type."""

    task_type: str
    reason: str
    weight: float
    pattern: str
    """The task type's patterns joined into one case-insensitive RE2 expression (those that
    can match ASCII text)."""
    script_pattern: str | None = None
    """The alternatives that need a non-ASCII character (``split_by_script``), or None."""


@dataclass(frozen=True)
class Lexicon:
    head_chars: int
    tail_chars: int
    body_chars: int
    classes: tuple[KeywordClass, ...]
    hard: str
    hard_script: str | None
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


def _top_level(pattern: str) -> list[str]:
    """``pattern`` split at its top-level ``|``."""
    parts, depth, in_class, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]" or pattern[i - 1] == "[" or pattern[i - 2 : i] == "[^"
        elif c == "[":
            in_class = True
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*parts, pattern[start:]]


def needs_non_ascii(pattern: str) -> bool:
    """Whether every match of ``pattern`` holds a non-ASCII character, so it never matches
    ASCII text. Conservative: False where unsure (a pattern kept with the ASCII ones is
    still matched on every window, so the answer stays exact)."""
    pos = 0

    def alternation() -> bool:
        nonlocal pos
        every = sequence()
        while pos < len(pattern) and pattern[pos] == "|":
            pos += 1
            every = sequence() and every
        return every

    def sequence() -> bool:
        nonlocal pos
        needs = False
        while pos < len(pattern) and pattern[pos] not in "|)":
            required = atom()
            needs |= required and not optional()
        return needs

    def atom() -> bool:
        nonlocal pos
        c = pattern[pos]
        if c == "\\":
            pos += 2
            return False
        if c == "[":  # a class: bytes, never a required non-ASCII character (byte_safe)
            end = pos + 1
            end += pattern.startswith("^", end)
            end += pattern.startswith("]", end)
            while pattern[end] != "]":
                end += 2 if pattern[end] == "\\" else 1
            pos = end + 1
            return False
        if c == "(":
            pos += 1
            if pattern.startswith("?:", pos):
                pos += 2
            elif pattern.startswith("?", pos):  # flags: (?i) or (?i:...)
                end = pos
                while pattern[end] not in ":)":
                    end += 1
                pos = end + 1
                if pattern[end] == ")":
                    return False
            inner = alternation()
            pos += 1
            return inner
        pos += 1
        return ord(c) > 127

    def optional() -> bool:
        nonlocal pos
        may_skip = False
        while pos < len(pattern) and pattern[pos] in "?*+{":
            if pattern[pos] == "{":
                end = pattern.index("}", pos)
                may_skip |= pattern[pos + 1 : end].split(",")[0].strip() == "0"
                pos = end + 1
            else:
                may_skip |= pattern[pos] in "?*"
                pos += 1
        return may_skip

    try:
        return alternation() and pos == len(pattern)
    except (IndexError, ValueError):
        return False


def split_by_script(patterns: list[str]) -> tuple[str, str | None]:
    """``patterns`` as two joined expressions: the alternatives that can match ASCII text,
    and those that need a non-ASCII character (None when there are none).

    One alternation of every task type's words in eight scripts outgrows RE2's DFA budget
    (matching falls back to a slower engine: 250 times slower here), so the second part
    runs apart, and only on windows that hold a non-ASCII byte, where it can match at all.
    """
    ascii_parts: list[str] = []
    script_parts: list[str] = []
    for pattern in patterns:
        for part in _top_level(pattern):
            (script_parts if needs_non_ascii(part) else ascii_parts).append(part)
    return join_patterns(ascii_parts or [r"\b\B"]), join_patterns(script_parts) if script_parts else None


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """The lexicon shipped as package data (``llmaudit/tagging/lexicon.yaml``)."""
    text = resources.files("llmaudit.tagging").joinpath("lexicon.yaml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    classes = tuple(
        KeywordClass(name, spec["reason"], float(spec["weight"]), *split_by_script(spec["patterns"]))
        for name, spec in data["task_types"].items()
    )
    hard, hard_script = split_by_script(data["hard"]["patterns"])
    unknown = {c.task_type for c in classes} - set(TEXT_TASK_TYPES)
    if unknown:  # a typo in the shipped file is a bug, not a user error
        raise ValueError(f"lexicon.yaml names unknown task types {sorted(unknown)}")
    structure = {name: "(?m)" + byte_safe(pattern) for name, pattern in data["structure"].items()}
    return Lexicon(
        head_chars=int(data["head_chars"]),
        tail_chars=int(data["tail_chars"]),
        body_chars=int(data["body_chars"]),
        classes=classes,
        hard=hard,
        hard_script=hard_script,
        easy=join_patterns(data["easy"]["patterns"]),
        statement=join_patterns(data["statement"]["patterns"]),
        structure=structure,
    )
