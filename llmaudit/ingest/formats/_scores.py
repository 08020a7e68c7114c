"""Scores the logs already carry for the logged answer: one 0-1 ``score`` column per request.

A format hands ``assign`` every (row, name, value) it found (Langfuse scores, Helicone
feedback and scores, LiteLLM metadata, a mapped column); the rules are the same for all:

- ``--score-name NAME`` keeps only scores called NAME (case ignored). Without it, a
  request whose scores carry several names is read as unscored and counted
  (``score_ambiguous``): mixing "helpfulness" with "toxicity" would mean nothing.
- Several values of the one name on a request (two annotators) are averaged.
- Values are read on the 0-1 scale; ``--score-scale LOW-HIGH`` maps LOW-HIGH onto it
  linearly (``(value - LOW) / (HIGH - LOW)``). A value outside the scale is left out and
  counted (``score_out_of_scale``), never clipped: a 4 on a 0-1 scale is a wrong scale,
  not a perfect answer.

The settings reach a format through ``IngestOptions.format_options[format][SETTINGS_KEY]``
(``configure``); every step is whole-column (a groupby over the scored rows).
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.errors import UsageError
from llmaudit.ingest.registry import Converted, LogFormat

SETTINGS_KEY: Final = "scores"
SCORED_FORMATS: Final = ("langfuse", "langfuse-trace", "helicone", "litellm")
"""The formats that read scores by name (a generic mapping's ``score`` column is read too)."""
_SCALE: Final = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(?:-|\.\.|to)\s*(-?\d+(?:\.\d+)?)\s*$")
_EPS: Final = 1e-9


@dataclass(frozen=True)
class ScoreSettings:
    """``--score-name`` and ``--score-scale``: which score to read and its scale."""

    name: str | None = None
    low: float = 0.0
    high: float = 1.0

    @classmethod
    def of(cls, settings: Mapping[str, Any]) -> ScoreSettings:
        found = settings.get(SETTINGS_KEY)
        return found if isinstance(found, ScoreSettings) else cls()


DEFAULT: Final = ScoreSettings()


def scale_bounds(text: str) -> tuple[float, float] | None:
    """``"1-5"``, ``"1..5"`` or ``"1 to 5"`` -> (1.0, 5.0); None for anything that is not a rising range
    (also the rule of a quality file's ``scale:``)."""
    found = _SCALE.match(text)
    if not found or float(found.group(1)) >= float(found.group(2)):
        return None
    return float(found.group(1)), float(found.group(2))


def parse_scale(text: str, option: str = "--score-scale") -> tuple[float, float]:
    """``scale_bounds``, or ``UsageError`` for anything that is not a rising range."""
    bounds = scale_bounds(text)
    if bounds is None:
        raise UsageError(
            f"{option} {text!r} is not a range of scores",
            hint="write the lowest and highest score the logs use, e.g. 1-5 or 0-100",
        )
    return bounds


def format_settings(name: str | None, scale: str | None, given: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``given`` format options plus the score settings for every scoring format (and for
    ``generic`` when a mapping is given: its presence alone selects that format)."""
    out: dict[str, Any] = {key: dict(value) for key, value in (given or {}).items()}
    if name is None and scale is None:
        return out
    low, high = parse_scale(scale) if scale is not None else (0.0, 1.0)
    settings = ScoreSettings(name=name.strip() if name else None, low=low, high=high)
    for fmt in (*SCORED_FORMATS, *(("generic",) if out.get("generic") else ())):
        out.setdefault(fmt, {})[SETTINGS_KEY] = settings
    return out


def configurable(fmt: LogFormat, convert: Callable[..., Converted]) -> LogFormat:
    """``fmt`` with a ``configure`` hook binding the score settings to ``convert(table, request, scores=)``."""

    def configure(settings: Mapping[str, Any]) -> LogFormat:
        bound = functools.partial(convert, scores=ScoreSettings.of(settings))
        return dataclasses.replace(fmt, convert=bound, configure=None)

    return dataclasses.replace(fmt, configure=configure)


def assign(
    conv: Converted,
    rows: np.ndarray,
    names: np.ndarray,
    values: np.ndarray,
    settings: ScoreSettings,
) -> None:
    """Set ``score`` and ``score_name`` of ``conv`` from (row, name, value) triples.

    ``values`` are floats (NaN: no numeric value, ignored); ``names`` objects (str). The
    rows of scores left out are counted in ``conv.warnings``."""
    n = conv.n
    rows = np.asarray(rows, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    names = np.asarray(names, dtype=object)
    usable = np.isfinite(values) & pd.notna(names)
    if settings.name is not None and len(names):
        lower = pd.Series(names, dtype=object).str.strip().str.lower().to_numpy()
        usable &= lower == settings.name.lower()
    scaled = (values - settings.low) / (settings.high - settings.low)
    outside = usable & ((scaled < -_EPS) | (scaled > 1 + _EPS))
    note_rows(conv, "score_out_of_scale", rows[outside])
    keep = usable & ~outside
    score = np.full(n, np.nan)
    score_name = np.full(n, None, dtype=object)
    if keep.any():
        frame = pd.DataFrame({"row": rows[keep], "name": names[keep], "value": np.clip(scaled[keep], 0.0, 1.0)})
        grouped = frame.groupby("row", sort=False)
        kinds = grouped["name"].nunique()
        single = kinds.index[kinds == 1].to_numpy()
        note_rows(conv, "score_ambiguous", kinds.index[kinds > 1].to_numpy())
        score[single] = grouped["value"].mean()[single].to_numpy()
        score_name[single] = grouped["name"].first()[single].to_numpy()
    conv.columns["score"] = score
    conv.columns["score_name"] = pa.array(score_name, pa.string())


def note_rows(conv: Converted, code: str, rows: np.ndarray) -> None:
    """Count the requests ``rows`` under the warning ``code`` (kept rows only, by finalize)."""
    rows = np.asarray(rows, dtype=np.int64)
    if len(rows):
        mask = conv.warnings.get(code, np.zeros(conv.n, dtype=bool)).copy()
        mask[rows] = True
        conv.warnings[code] = mask
