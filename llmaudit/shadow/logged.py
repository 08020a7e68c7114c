"""Scores the logs already carry, as quality evidence for the logged model.

The readers put a 0-1 ``score`` on each request whose log carries one (Langfuse scores,
Helicone feedback, LiteLLM metadata, a mapped column: docs/shadow.md, "Scores you already
have"). Here those requests become the same evidence ``llmaudit shadow`` writes: the
per-request scores (for the model that answered), the mean per (model, task type), and
per (model, task type, tier) the mean, its 95% interval and the count (``evidence.cells``).

Merged with a ``--quality`` file, **the file wins** for every (model, task type) it
scores (a ``default`` covers all of the model's task types): a file's scores are on its
own scale and, from ``llmaudit shadow``, relative to the logged answers (which it scores
1 by construction), so mixing in absolute feedback cell by cell would compare unlike
numbers. Logged scores fill the models and task types the file leaves out, rescaled to
the file's scale.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.shadow.evidence import cells, write_evidence
from llmaudit.simulate.match import original_models
from llmaudit.simulate.quality import EvidenceCell, QualityScores, request_keys

SOURCE: Final = "logged scores"


def scored_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """request_id, model (as priced), task_type, tier, score of the requests that carry a score."""
    columns = ["request_id", "model", "task_type", "tier", "score"]
    if "score" not in frame:
        return pd.DataFrame(columns=columns)
    score = frame["score"].to_numpy(dtype=np.float64)
    rows = np.flatnonzero(~np.isnan(score))
    if not len(rows):
        return pd.DataFrame(columns=columns)
    part = frame.iloc[rows]
    tasks, ids = request_keys(part)
    tier = part["complexity_tier"].to_numpy() if "complexity_tier" in part else np.zeros(len(part), np.int64)
    out = pd.DataFrame(
        {
            "request_id": ids if ids is not None else part.index.astype(str).to_numpy(),
            "model": original_models(part),
            "task_type": tasks,
            "tier": tier.astype(np.int64),
            "score": score[rows],
        }
    )
    return out[pd.notna(out["model"])].reset_index(drop=True)


def score_names(frame: pd.DataFrame) -> dict[str, int]:
    """Scored requests per score name (the readers' ``score_name``), most first."""
    if "score_name" not in frame or "score" not in frame:
        return {}
    names = frame["score_name"][frame["score"].notna()].astype(object).dropna()
    counts = names.value_counts()
    return {str(k): int(v) for k, v in counts.items()}


def _from_rows(scored: pd.DataFrame, low: float = 0.0, high: float = 1.0) -> QualityScores:
    """A quality source from per-request 0-1 ``scored`` rows, on the scale ``low``-``high``."""
    span = high - low
    means = scored.groupby(["model", "task_type"], sort=True)["score"].mean()
    by_model: dict[str, dict[str, float]] = {}
    for (model, task), value in means.items():  # one per (model, task type)
        by_model.setdefault(str(model), {})[str(task)] = low + float(value) * span
    # One score per (request, model): a request id repeated across files keeps its mean.
    per_request = low + scored.groupby(["request_id", "model"], sort=False)["score"].mean().astype(np.float64) * span
    return QualityScores(
        source=SOURCE,
        scale="0-1" if (low, high) == (0.0, 1.0) else f"{low:g}-{high:g}",
        low=low,
        high=high,
        floor=None,
        floors={},
        by_model=by_model,
        overrides=per_request,
        cells=tuple(
            EvidenceCell(**{**row, **{k: low + row[k] * span for k in ("mean", "low", "high")}})
            for row in cells(scored).to_dict("records")
        ),
    )


def logged_scores(frame: pd.DataFrame) -> QualityScores | None:
    """The logs' scores as a 0-1 quality source; None when no request carries one."""
    scored = scored_rows(frame)
    return None if scored.empty else _from_rows(scored)


def _covered(file: QualityScores, model: str, task: str) -> bool:
    tasks = file.by_model.get(model)
    return tasks is not None and (task in tasks or "default" in tasks)


def with_logged_scores(file: QualityScores | None, frame: pd.DataFrame) -> QualityScores | None:
    """``file`` (a ``--quality`` file, or None) with the logs' scores filling the (model,
    task type) pairs it does not score; the logs' scores alone without a file."""
    scored = scored_rows(frame)
    if file is None:
        return None if scored.empty else _from_rows(scored)
    if scored.empty:
        return file
    pairs = scored[["model", "task_type"]].drop_duplicates()
    covered = {(m, t) for m, t in zip(pairs["model"], pairs["task_type"], strict=True) if _covered(file, m, t)}
    if covered:
        key = pd.MultiIndex.from_frame(scored[["model", "task_type"]])
        scored = scored[~key.isin(list(covered))]
    if scored.empty:
        return file
    logged = _from_rows(scored, file.low, file.high)
    by_model = {model: dict(tasks) for model, tasks in file.by_model.items()}
    for model, tasks in logged.by_model.items():
        by_model.setdefault(model, {}).update(tasks)
    extra = logged.overrides[~logged.overrides.index.isin(file.overrides.index)]
    overrides = pd.concat([file.overrides, extra]) if len(file.overrides) else extra
    filled = ", ".join(sorted(logged.by_model))
    return replace(
        file,
        source=f"{file.source} + {SOURCE} for {filled}",
        by_model=by_model,
        overrides=overrides,
        cells=(*file.cells, *logged.cells),
    )


def write_logged_evidence(path: str | Path, frame: pd.DataFrame, logs: str) -> pd.DataFrame:
    """Write the logs' scores as an evidence file (``shadow --from-logs``); returns its cells."""
    scored = scored_rows(frame)
    header = (
        f"Quality evidence from the scores the logs carry ({logs}), written by llmaudit shadow --from-logs.\n"
        "Per-request scores are for the model that answered; `simulate --quality` reads this file."
    )
    return write_evidence(path, scored, {}, header)
