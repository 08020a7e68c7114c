"""Which requests a route's ``match`` selects, as a boolean mask over whole columns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from llmaudit.pricing import PriceTable
from llmaudit.schema import TAG_SEPARATOR
from llmaudit.simulate.policy import Difficulty, RouteMatch

_BOUNDS = (
    ("min_input_tokens", "input_tokens", np.greater_equal),
    ("max_input_tokens", "input_tokens", np.less_equal),
    ("min_output_tokens", "output_tokens", np.greater_equal),
    ("max_output_tokens", "output_tokens", np.less_equal),
)


def _categorical(values: pd.Series) -> pd.Categorical:
    return values.array if isinstance(values.dtype, pd.CategoricalDtype) else pd.Categorical(values)


def model_codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``original_models`` as integer codes into an object array of names (-1: no name).

    Built from the columns' categories: names are looked at once each, never per row.
    """
    priced, logged = _categorical(frame["priced_model"]), _categorical(frame["model"])
    names = list(dict.fromkeys([*map(str, priced.categories), *map(str, logged.categories)]))
    position = {name: i for i, name in enumerate(names)}
    # A trailing -1: code -1 (missing) indexes the last entry.
    from_priced = np.array([position[str(x)] for x in priced.categories] + [-1], dtype=np.intp)
    from_logged = np.array([position[str(x)] for x in logged.categories] + [-1], dtype=np.intp)
    codes = np.where(priced.codes >= 0, from_priced[priced.codes], from_logged[logged.codes])
    return codes, np.array(names, dtype=object)


def names_of(codes: np.ndarray, names: np.ndarray) -> np.ndarray:
    """``names[codes]`` as objects, NaN where the code is -1."""
    return np.append(names, np.nan).astype(object)[codes]


def by_code(codes: np.ndarray, names: np.ndarray) -> pd.Series:
    """Model codes as a categorical (-1: missing), to group or count without a string per row."""
    return pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object)))


def original_models(frame: pd.DataFrame) -> np.ndarray:
    """The model each request was priced as (its logged name when unpriced), as objects."""
    return names_of(*model_codes(frame))


def _isin(values: pd.Series, wanted: Sequence[object]) -> np.ndarray:
    return values.isin(list(wanted)).to_numpy()


def difficulty_threshold(difficulty: np.ndarray, strong_share: float) -> float:
    """The difficulty above which ``strong_share`` of the scored requests lie (RouteLLM's
    calibration: a quantile of the scores of the traffic itself). Unscored (NaN) rows are
    left out; with no scored row, +inf (nothing matches)."""
    scored = difficulty[~np.isnan(difficulty)]
    if not len(scored) or strong_share <= 0:
        return float("inf")
    if strong_share >= 1:
        return float("-inf")
    return float(np.quantile(scored, 1 - strong_share, method="higher"))


def difficulty_mask(
    frame: pd.DataFrame, band: Difficulty, thresholds: Mapping[float, float] | None = None
) -> np.ndarray:
    """Rows whose difficulty lies in ``band``; rows without a score (untagged) never do.

    ``thresholds``: a ``strong_share``'s threshold calibrated on the whole log
    (``context.ReplayContext``), when ``frame`` is only a block of it."""
    d = frame["difficulty"].to_numpy(dtype=np.float64)
    mask = ~np.isnan(d)
    if band.strong_share is not None:
        share = float(band.strong_share)
        threshold = thresholds[share] if thresholds is not None else difficulty_threshold(d, share)
        mask &= d >= threshold
    if band.above is not None:
        mask &= d > band.above
    if band.below is not None:
        mask &= d < band.below
    return mask


def match_mask(
    frame: pd.DataFrame, match: RouteMatch, table: PriceTable, thresholds: Mapping[float, float] | None = None
) -> np.ndarray:
    """Rows ``match`` selects: every condition given must hold (none given: every row).

    Reads ``task_type``, ``effective_tier`` (the complexity tier after round-up),
    ``priced_model``/``model``, ``tags`` and the attribution and token columns.
    """
    mask = np.ones(len(frame), dtype=bool)
    if match.task_type is not None:
        mask &= _isin(frame["task_type"], match.task_type)
    if match.complexity_tier is not None:
        mask &= _isin(frame["effective_tier"], match.complexity_tier)
    for name in ("feature", "user", "team", "project", "provider"):
        wanted = getattr(match, name)
        if wanted is not None:
            mask &= _isin(frame[name], wanted)
    if match.tag is not None:
        alternatives = "|".join(re.escape(tag) for tag in match.tag)
        pattern = rf"(?:^|{re.escape(TAG_SEPARATOR)})(?:{alternatives})(?:{re.escape(TAG_SEPARATOR)}|$)"
        mask &= frame["tags"].str.contains(pattern, regex=True, na=False).to_numpy()
    if match.model is not None:
        wanted = {hit.model if (hit := table.resolve(m)) else m for m in match.model}
        codes, names = model_codes(frame)
        mask &= np.isin(codes, [i for i, name in enumerate(names) if name in wanted])
    if match.difficulty is not None:
        mask &= difficulty_mask(frame, match.difficulty, thresholds)
    for name, column, op in _BOUNDS:
        bound = getattr(match, name)
        if bound is not None:
            mask &= op(frame[column].to_numpy(), bound)
    return mask
