"""Quality scores (``simulate --quality FILE``): the file's schema, its loader, and the
expected quality of the traffic under each policy.

A score says how good a model's answers are for a task type (a benchmark or an eval of
your own, in any scale); per-request scores override them for the requests you graded.
The expected quality of a policy is the request-weighted mean score of the model that
serves each request (a cascade: ``(1 - escalation) x first + escalation x then``; a
response-cache hit keeps the score of the model whose answer is cached). A request
whose model and task type have no score is *unscored*: counted, left out of the mean,
never given an assumed score. The schema is documented with a complete example in
``docs/policies.md`` ("Quality scores") and ``examples/quality.yaml``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from llmaudit.errors import ConfigError
from llmaudit.ingest.formats._scores import scale_bounds
from llmaudit.pricing import PriceTable
from llmaudit.schema import UNTAGGED_TASK
from llmaudit.simulate.policy import TASK_TYPES, Tier
from llmaudit.simulate.replay import Replayed
from llmaudit.yamlsrc import StrictModel, YamlDoc, load_yaml, validate

TaskKey = Literal[(*TASK_TYPES, "default")]  # type: ignore[valid-type]
_EPS = 1e-9  # a mean that equals its floor up to float noise is not below it
_COST_EPS = 1e-9  # USD: costs this close are equal on the frontier
HINT = "see docs/policies.md, 'Quality scores', or examples/quality.yaml"


class RequestScore(StrictModel):
    """One graded answer: ``model``'s score on the logged request ``request_id``."""

    request_id: str | int
    model: str
    score: float


class EvidenceCell(StrictModel):
    """One (model, task type, tier) cell of ``llmaudit shadow``'s evidence: mean, 95% interval, count."""

    model: str
    task_type: str
    tier: int
    n: int = Field(ge=1)
    mean: float
    low: float
    high: float
    interval: Literal["wilson", "t"]


class Evidence(StrictModel):
    min_samples: int = Field(default=20, ge=1)
    cells: list[EvidenceCell] = Field(default_factory=list)


class QualitySpec(StrictModel):
    version: Literal[1]
    scale: str = "0-1"
    floor: float | None = None
    floors: dict[Tier, float] = Field(default_factory=dict)
    scores: dict[str, dict[TaskKey, float]]  # type: ignore[valid-type]
    requests: list[RequestScore] | str | None = None
    evidence: Evidence | None = None


@dataclass(frozen=True)
class QualityScores:
    """A loaded quality file, its model names resolved through the price table."""

    source: str
    scale: str
    low: float
    high: float
    floor: float | None
    floors: dict[int, float]
    by_model: dict[str, dict[str, float]]
    """Model (as the price table names it) -> task type or ``default`` -> score."""
    overrides: pd.Series = field(repr=False, compare=False)
    """Score per (request_id, model) from ``requests:``; a float Series with a 2-level index."""
    unpriced_models: tuple[str, ...] = ()
    """Names of ``scores`` the price table does not know, kept as written (unpriced logged models)."""
    cells: tuple[EvidenceCell, ...] = ()
    """``evidence.cells`` (``llmaudit shadow``), model names resolved through the price table."""
    min_samples: int = 20

    def score(self, models: np.ndarray, tasks: np.ndarray, request_ids: np.ndarray | None) -> np.ndarray:
        """Score per row of ``models`` (objects; None = no model) for ``tasks``; NaN = unscored."""
        out = np.full(len(models), np.nan)
        task_series = pd.Series(tasks, dtype=object)
        for model in pd.unique(models):  # a loop over the distinct models, not the rows
            by_task = self.by_model.get(model) if isinstance(model, str) else None
            if by_task is None:
                continue
            sel = models == model
            mapped = task_series[sel].map(by_task).astype(np.float64)
            out[sel] = mapped.fillna(by_task.get("default", np.nan)).to_numpy()
        if len(self.overrides) and request_ids is not None:
            # Only the rows whose id is graded at all: usually a small sample of the traffic.
            rows = np.flatnonzero(pd.Series(request_ids, dtype=object).isin(self.overrides.index.levels[0]).to_numpy())
            keys = pd.MultiIndex.from_arrays([request_ids[rows], pd.Series(models[rows], dtype=object)])
            pos = self.overrides.index.get_indexer(keys)
            hit = pos >= 0
            out[rows[hit]] = self.overrides.to_numpy()[pos[hit]]
        return out


def _scale(text: str, doc: YamlDoc) -> tuple[float, float]:
    bounds = scale_bounds(text)
    if bounds is None:
        raise ConfigError(
            f"{doc.where(('scale',))}: scale: {text!r} is not a range of scores",
            hint='write the lowest and highest score, e.g. "0-1", "0-100" or "1-5"',
        )
    return bounds


def _check_range(value: float, low: float, high: float, where: str, field_name: str, scale: str) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        raise ConfigError(
            f"{where}: {field_name}: {value!r} is outside the scale {scale}",
            hint="give scores in the file's 'scale' (default 0-1), or change 'scale'",
        )


def _request_rows(spec: QualitySpec, doc: YamlDoc) -> list[tuple[str, str, float, str]]:
    """(request_id, model, score, where) for each per-request score, from the YAML list or a CSV file."""
    if spec.requests is None:
        return []
    if not isinstance(spec.requests, str):
        return [
            (str(r.request_id), r.model, float(r.score), doc.where(("requests", i)))
            for i, r in enumerate(spec.requests)
        ]
    path = Path(doc.path).parent / spec.requests
    try:
        csv = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ConfigError(
            f"{doc.where(('requests',))}: requests: {str(path)!r}: no such file",
            hint="a CSV path is relative to the quality file",
        ) from None
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the per-request scores as CSV ({exc})") from None
    missing = [c for c in ("request_id", "model", "score") if c not in csv.columns]
    if missing:
        raise ConfigError(
            f"{path}:1: per-request scores need the columns request_id, model, score (missing: {', '.join(missing)})"
        )
    scores = pd.to_numeric(csv["score"].str.strip(), errors="coerce")
    bad = np.flatnonzero(scores.isna().to_numpy())
    if len(bad):
        line = int(bad[0]) + 2  # the header is line 1
        raise ConfigError(f"{path}:{line}: score: {csv['score'].iloc[bad[0]]!r} is not a number")
    return [
        (rid, model, float(score), f"{path}:{i + 2}")
        for i, (rid, model, score) in enumerate(zip(csv["request_id"], csv["model"], scores, strict=True))
    ]


def load_quality(path: str | Path, table: PriceTable) -> QualityScores:
    """Load and validate a quality file; model names resolve through ``table``.

    A name the table does not know is kept as written (it can score an unpriced logged
    model). Raises ``ConfigError`` with file:line:field for any problem: an unknown field
    or task type, a score outside the scale, two names for the same model, a repeated
    (request_id, model) pair.
    """
    doc = load_yaml(path)
    if not isinstance(doc.data, dict):
        raise ConfigError(f"{path}: a quality file must be a YAML mapping", hint=HINT)
    spec = validate(doc, QualitySpec, what=f"quality file {path}")
    low, high = _scale(spec.scale, doc)
    if spec.floor is not None:
        _check_range(spec.floor, low, high, doc.where(("floor",)), "floor", spec.scale)
    for tier, value in spec.floors.items():
        _check_range(value, low, high, doc.where(("floors", tier)), f"floors.{tier}", spec.scale)
    by_model: dict[str, dict[str, float]] = {}
    written: dict[str, str] = {}
    unpriced = []
    for name, tasks in spec.scores.items():
        hit = table.resolve(name)
        model = hit.model if hit is not None else name
        if hit is None:
            unpriced.append(name)
        if model in by_model:
            raise ConfigError(
                f"{doc.where(('scores', name))}: scores.{name}: the same model as {written[model]!r} ({model})",
                hint="give each model's scores once",
            )
        for task, value in tasks.items():
            _check_range(value, low, high, doc.where(("scores", name, task)), f"scores.{name}.{task}", spec.scale)
        by_model[model], written[model] = dict(tasks), name
    rows = _request_rows(spec, doc)
    ids, models, values = [], [], []
    seen: dict[tuple[str, str], str] = {}
    for rid, name, value, where in rows:
        _check_range(value, low, high, where, "score", spec.scale)
        hit = table.resolve(name)
        model = hit.model if hit is not None else name
        if (rid, model) in seen:
            raise ConfigError(
                f"{where}: request {rid!r} on {model} is scored twice (first at {seen[(rid, model)]})",
                hint="give each (request_id, model) pair once",
            )
        seen[(rid, model)] = where
        ids.append(rid)
        models.append(model)
        values.append(value)
    overrides = pd.Series(values, index=pd.MultiIndex.from_arrays([ids, models]), dtype=np.float64)
    return QualityScores(
        source=str(path),
        scale=spec.scale.strip(),
        low=low,
        high=high,
        floor=spec.floor,
        floors=dict(spec.floors),
        by_model=by_model,
        overrides=overrides,
        unpriced_models=tuple(unpriced),
        cells=_cells(spec, table),
        min_samples=spec.evidence.min_samples if spec.evidence else 20,
    )


def _cells(spec: QualitySpec, table: PriceTable) -> tuple[EvidenceCell, ...]:
    if spec.evidence is None:
        return ()
    out = []
    for cell in spec.evidence.cells:
        hit = table.resolve(cell.model)
        out.append(cell.model_copy(update={"model": hit.model}) if hit is not None else cell)
    return tuple(out)


def evidence_warnings(scores: QualityScores, models: set[str]) -> tuple[str, ...]:
    """ "Too few samples" for the evidence cells of ``models`` (the models some policy or the logs use)."""
    few = [c for c in scores.cells if c.model in models and c.n < scores.min_samples]
    if not few:
        return ()
    shown = "; ".join(
        f"{c.model} {c.task_type} tier {c.tier}: {c.mean:.2f} [{c.low:.2f}, {c.high:.2f}] from {c.n}" for c in few[:8]
    )
    more = f"; and {len(few) - 8} more" if len(few) > 8 else ""
    return (
        f"quality: {len(few)} evidence cell(s) in {scores.source} have fewer than {scores.min_samples} scored "
        f"requests, too few to trust (mean [95% interval] from n): {shown}{more}; rerun `llmaudit shadow` with a "
        "larger --sample",
    )


def request_keys(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Task type (``unknown`` when untagged) and request id (as text; None where absent) per row."""
    task = frame["task_type"].astype(object)
    tasks = task.where(task.notna(), UNTAGGED_TASK).to_numpy(dtype=object)
    ids = frame["request_id"]
    return tasks, ids.astype(str).astype(object).where(ids.notna(), None).to_numpy(dtype=object)


def served_scores(scores: QualityScores, r: Replayed, tasks: np.ndarray, ids: np.ndarray | None) -> np.ndarray:
    """Expected score per request under a replay; NaN where a model that may answer is unscored."""
    first = scores.score(r.routed_model, tasks, ids)
    if r.then_model is None or r.escalation is None or not (r.escalation > 0).any():
        return first
    share = r.escalation
    then = scores.score(r.then_model, tasks, ids)
    mixed = np.where(share >= 1, then, (1 - share) * first + share * then)
    return np.where(share > 0, mixed, first)


def _below(value: float | None, floor: float | None) -> bool:
    return value is not None and floor is not None and value < floor - _EPS


def _change(expected: float | None, baseline: float | None) -> float | None:
    return expected - baseline if expected is not None and baseline is not None else None


def frontier(points: Sequence[tuple[float, float | None]]) -> list[int]:
    """Indices of the (cost, quality) points no other point dominates, cheapest first.

    A point is dominated when another costs no more and scores no less, one of the two
    strictly. Points without a quality are never on the frontier and dominate nothing.
    """
    known = [(i, c, q) for i, (c, q) in enumerate(points) if q is not None]

    def dominates(c2: float, q2: float, c: float, q: float) -> bool:
        # Sums of the same costs in another order differ in the last bits: equal within noise.
        no_worse = c2 <= c + _COST_EPS and q2 >= q - _EPS
        return no_worse and (c2 < c - _COST_EPS or q2 > q + _EPS)

    keep = [(c, -q, i) for i, c, q in known if not any(dominates(c2, q2, c, q) for j, c2, q2 in known if j != i)]
    return [i for _, _, i in sorted(keep)]
