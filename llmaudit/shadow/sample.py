"""A seeded sample of the logged requests, stratified by task type x complexity tier (x feature).

The sample is drawn while the logs stream: each request gets a pseudo-random priority
from a hash of (seed, request id), and every chunk keeps only the ``per_cell``
lowest-priority requests of each cell. The result is the same whatever the chunk
order or size, and memory is bounded by cells x ``per_cell``, not by the log size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

# What the replay, the plan and the scores read from a sampled request.
SAMPLE_COLUMNS: Final = (
    "request_id",
    "source_file",
    "source_line",
    "model",
    "priced_model",
    "task_type",
    "complexity_tier",
    "feature",
    "input_tokens",
    "output_tokens",
    "pricing_mode",
    "cost_usd",
    "system_text",
    "user_text",
    "prompt_text",
    "completion_text",
    "max_output_tokens",
    "structured_output",
    "turns",
    "tool_count",
)


@dataclass(frozen=True)
class Sample:
    """The sampled requests and what was left out."""

    frame: pd.DataFrame
    requests: int
    """Requests read (after the reader's own skips)."""
    without_prompt: int
    """Requests with no prompt text: they cannot be replayed, so are never sampled."""
    cells: int


def cell_keys(frame: pd.DataFrame, by_feature: bool) -> list[str]:
    keys = ["task_type", "complexity_tier"]
    return [*keys, "feature"] if by_feature and "feature" in frame.columns else keys


def _priority(ids: pd.Series, seed: int) -> np.ndarray:
    return pd.util.hash_array(ids.astype(str).to_numpy(dtype=object), hash_key=f"{seed:016d}"[:16])


def _keep(frame: pd.DataFrame, per_cell: int, keys: list[str]) -> pd.DataFrame:
    ordered = frame.sort_values(["_priority", "request_id"], kind="stable")
    rank = ordered.groupby(keys, dropna=False, sort=False, observed=True).cumcount()
    return ordered[rank.to_numpy() < per_cell]


def draw(chunks: Iterable[pd.DataFrame], per_cell: int, seed: int, *, by_feature: bool = True) -> Sample:
    """Up to ``per_cell`` requests of each (task type, tier[, feature]) cell, with prompt text."""
    kept: list[pd.DataFrame] = []
    requests = without_prompt = 0
    for chunk in chunks:
        requests += len(chunk)
        text = chunk["prompt_text"]
        has_prompt = (text.notna() & (text.astype(str).str.strip() != "")).to_numpy()
        without_prompt += int((~has_prompt).sum())
        part = chunk.loc[has_prompt, [c for c in SAMPLE_COLUMNS if c in chunk.columns]].copy()
        if "feature" in part.columns:
            part["feature"] = part["feature"].fillna("")
        part["_priority"] = _priority(part["request_id"], seed)
        kept.append(_keep(part, per_cell, cell_keys(part, by_feature)))
    frame = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=[*SAMPLE_COLUMNS, "_priority"])
    keys = cell_keys(frame, by_feature)
    if len(frame):
        # A request logged twice (a retry, two exports) is one request: scored once.
        frame = frame.sort_values(["_priority", "request_id"], kind="stable").drop_duplicates("request_id")
        frame = _keep(frame, per_cell, keys)
        frame = frame.sort_values([*keys, "_priority"], kind="stable")
    frame = frame.drop(columns="_priority").reset_index(drop=True)
    cells = int(frame.groupby(keys, dropna=False, observed=True).ngroups) if len(frame) else 0
    return Sample(frame=frame, requests=requests, without_prompt=without_prompt, cells=cells)
