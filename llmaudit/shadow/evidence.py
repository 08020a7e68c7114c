"""The evidence file: a quality file (``simulate --quality``) with intervals and counts.

Per-request scores go under ``requests:`` (they override the table for the graded
requests), per (model, task type) means under ``scores:``, and per (model, task type,
tier) cell the mean, its 95% interval and the count under ``evidence:``. The interval
is Wilson's score interval when every score of the cell is 0 or 1 (a pass rate), else
Student's t interval on the mean, clipped to 0-1.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import yaml

Z95: Final = 1.959963984540054
MIN_SAMPLES: Final = 20
"""A cell with fewer scored requests is flagged "too few samples" by ``simulate``."""
# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom.
_T95: Final = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t95(df: int) -> float:
    """Student's t quantile for a two-sided 95% interval (beyond 30 df: a close expansion)."""
    if df <= len(_T95):
        return _T95[df - 1]
    return Z95 + (Z95**3 + Z95) / (4 * df) + (5 * Z95**5 + 16 * Z95**3 + 3 * Z95) / (96 * df**2)


def wilson(successes: float, n: int) -> tuple[float, float]:
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def interval(scores: np.ndarray) -> tuple[float, float, str]:
    """95% interval of the mean of ``scores`` (0-1) and the method's name."""
    n = len(scores)
    if np.isin(scores, (0.0, 1.0)).all():
        low, high = wilson(float(scores.sum()), n)
        return low, high, "wilson"
    mean = float(scores.mean())
    if n < 2:
        return 0.0, 1.0, "t"
    half = t95(n - 1) * float(scores.std(ddof=1)) / math.sqrt(n)
    return max(0.0, mean - half), min(1.0, mean + half), "t"


def cells(scored: pd.DataFrame) -> pd.DataFrame:
    """Mean, interval and count per (model, task_type, tier) of the per-request ``scored`` rows."""
    rows = []
    for (model, task, tier), group in scored.groupby(["model", "task_type", "tier"], sort=True):
        values = group["score"].to_numpy(dtype=np.float64)
        low, high, method = interval(values)
        rows.append(
            {
                "model": model,
                "task_type": task,
                "tier": int(tier),
                "n": len(values),
                "mean": round(float(values.mean()), 4),
                "low": round(low, 4),
                "high": round(high, 4),
                "interval": method,
            }
        )
    return pd.DataFrame(rows, columns=["model", "task_type", "tier", "n", "mean", "low", "high", "interval"])


def write_evidence(
    path: str | Path,
    scored: pd.DataFrame,
    reference: dict[str, list[str]],
    header: str,
) -> pd.DataFrame:
    """Write the evidence file from per-request ``scored`` rows (request_id, model, task_type,
    tier, score); ``reference`` lists per logged model the task types its logged answers
    were the reference for (they score 1 by construction). Returns the cells."""
    table = cells(scored)
    means = scored.groupby(["model", "task_type"], sort=True)["score"].mean()
    scores: dict[str, dict[str, float]] = {}
    for model, tasks in sorted(reference.items()):
        scores[model] = {task: 1.0 for task in sorted(tasks)}
    for (model, task), value in means.items():
        scores.setdefault(str(model), {})[str(task)] = round(float(value), 4)
    doc: dict[str, Any] = {
        "version": 1,
        "scale": "0-1",
        "scores": scores,
        "requests": [
            {"request_id": str(r.request_id), "model": str(r.model), "score": round(float(r.score), 4)}
            for r in scored.itertuples(index=False)
        ],
        "evidence": {
            "min_samples": MIN_SAMPLES,
            "cells": [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()} for row in table.to_dict("records")
            ],
        },
    }
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120)
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    Path(path).write_text(comment + text, encoding="utf-8")
    return table
