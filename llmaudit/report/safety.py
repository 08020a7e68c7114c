"""Escaping for values taken from logs, one function per output medium.

Model names, user ids, group keys and file names come from traffic a user does not
control (in CI, from a pull request). Every renderer treats them as plain text:

* terminal: control characters (C0, DEL, C1, bidi overrides, line separators) become
  visible escapes such as ``\\x1b``, so ``ESC[2J`` or an OSC title sequence cannot act;
* Markdown: HTML, emphasis, code, link and table syntax is escaped and ``@`` mentions
  are broken with a zero-width space, so ``<!--``, ``<img onerror>``, a backtick fence
  or ``@org/team`` show as text and ping nobody;
* CSV: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets
  a leading single quote (OWASP's advice against formula injection); a plain number
  stays as it is. A carriage return inside a cell is written as a newline, which CSV
  writers quote (they leave a bare ``\r`` unquoted, and readers end the row there).

``map_strings`` applies one of them to every string of a frozen report object, so a
renderer cannot forget a field.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

import pandas as pd

T = TypeVar("T")

# C0 controls, DEL, C1 controls, bidi embeddings/overrides/isolates, line and paragraph separators.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_CONTROL_KEEP_NEWLINE: Final = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def term_text(value: str) -> str:
    """``value`` with every control character shown as an escape (``\\x1b``, ``\\n``-free)."""
    return _CONTROL.sub(_visible, value)


def term_message(value: str) -> str:
    """Like ``term_text`` but keeps newlines: for multi-line messages on stderr."""
    return _CONTROL_KEEP_NEWLINE.sub(_visible, value)


_MD_SPECIAL: Final = re.compile(
    r"[\\`*\[\]|~<>&@#!]|[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
_MD_ENTITY: Final = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "@&#8203;"}


def _md_one(match: re.Match[str]) -> str:
    char = match.group()
    if char in _MD_ENTITY:
        return _MD_ENTITY[char]
    if ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or ord(char) > 0xFF:
        return " "  # a newline would end a table row; other controls have no business here
    return "\\" + char


def md_text(value: str) -> str:
    """``value`` as literal Markdown text: safe in a paragraph, a list item or a table cell."""
    return _MD_SPECIAL.sub(_md_one, value)


_NUMBER: Final = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula, nor split into two rows."""
    risky = value.startswith(_FORMULA_START) and not _NUMBER.fullmatch(value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return "'" + value if risky else value


def csv_column(values: pd.Series) -> pd.Series:
    """``csv_text`` over a whole text column (missing values stay missing)."""
    text = values.astype("string")
    risky = text.str.match(r"[=+\-@\t\r]").fillna(False)
    if risky.any():  # the number test only where a formula could start: most chunks have none
        risky &= ~text.str.fullmatch(_NUMBER.pattern).fillna(False)
    returns = text.str.contains("\r", regex=False).fillna(False)
    if returns.any():
        text = text.str.replace("\r\n", "\n", regex=False).str.replace("\r", "\n", regex=False)
    if not risky.any() and not returns.any():
        return values
    out = values.astype(object).copy()
    out[returns.to_numpy()] = text[returns].astype(object)
    out[risky.to_numpy()] = "'" + text[risky].astype(object)
    return out


def map_strings(value: T, fn: Callable[[str], str]) -> T:
    """A copy of ``value`` (dataclasses, tuples, lists, dicts) with ``fn`` applied to every string."""
    return _map(value, fn)  # type: ignore[no-any-return]


def _map(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _map(getattr(value, f.name), fn) for f in dataclasses.fields(value) if f.init}
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple) and not hasattr(value, "_fields"):
        return tuple(_map(v, fn) for v in value)
    if isinstance(value, list):
        return [_map(v, fn) for v in value]
    if isinstance(value, dict):
        return {_map(k, fn): _map(v, fn) for k, v in value.items()}
    return value
