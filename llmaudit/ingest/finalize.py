"""From a format's extracted columns to the canonical request frame.

Common to every format: estimate tokens where usage is missing but text is present,
validate token counts (negative, fractional, absurd, inconsistent subsets), fill the
``request_id`` fallback (``file:line``), hash prompts, and cast to canonical dtypes.
Rows that fail are returned by reason with their line numbers; nothing is dropped
silently.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest.registry import Converted
from llmaudit.ingest.tokens import estimate_tokens
from llmaudit.schema import CANONICAL_DTYPES, TOKEN_COLUMNS

ABSURD_TOKENS: Final = 10_000_000
_STRING_COLUMNS: Final = tuple(k for k, v in CANONICAL_DTYPES.items() if v == "str")


def _as_string_series(value: object, n: int) -> pd.Series:
    if value is None:
        return pd.Series(np.full(n, None, dtype=object), dtype="str")
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return col.strings(value).to_pandas().astype("str")
    return pd.Series(np.asarray(value, dtype=object), dtype="str")


def _as_float(value: object, n: int) -> np.ndarray:
    if value is None:
        return np.full(n, np.nan)
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return col.floats(value)
    return np.asarray(value, dtype=np.float64)


def finalize(conv: Converted, lines: np.ndarray, source: str) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray]:
    """Validate and type one chunk.

    Returns ``(frame, skipped, id_from_source)``: the canonical frame of kept rows,
    line numbers of dropped rows by reason, and for kept rows whether ``request_id``
    came from the source (so it may be used to deduplicate).
    """
    n = conv.n
    c = conv.columns
    skip = conv.skip
    assert skip is not None and conv.has_usage is not None
    has_usage = conv.has_usage.copy()

    status = _as_string_series(c.get("status"), n).fillna("ok")
    ok = (status == "ok").to_numpy()
    model = _as_string_series(c.get("model"), n)
    model = model.str.strip()
    missing_model = (model.isna() | (model == "")).to_numpy()

    tokens = {name: _as_float(c.get(name), n) for name in TOKEN_COLUMNS}
    prompt = c.get("prompt_text")
    prompt_arr = col.strings(prompt) if isinstance(prompt, (pa.Array, pa.ChunkedArray)) else pa.nulls(n, pa.string())
    has_prompt = col.non_empty(prompt_arr)

    # A record lacking usage is a request with zero billed tokens when it failed, an
    # estimate when it succeeded and carries text, and unusable otherwise.
    no_usage = ~has_usage
    estimate = no_usage & ok & has_prompt & pd.isna(skip)
    if estimate.any():
        idx = np.flatnonzero(estimate)
        tokens["input_tokens"][idx] = estimate_tokens(prompt_arr.take(pa.array(idx)))
        completion = conv.completion_text
        if completion is not None:
            tokens["output_tokens"][idx] = estimate_tokens(col.strings(completion).take(pa.array(idx)))
        else:
            tokens["output_tokens"][idx] = 0
        for name in ("cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens", "reasoning_tokens"):
            tokens[name][idx] = 0
    conv.mark(no_usage & ok & ~has_prompt, "no_usage")
    conv.mark(missing_model, "missing_model")
    for name in TOKEN_COLUMNS:
        # Absent sub-counts (no cache, no reasoning) are zero; failed calls bill nothing.
        tokens[name][np.isnan(tokens[name])] = 0.0

    stacked = np.vstack([tokens[name] for name in TOKEN_COLUMNS])
    conv.mark((stacked < 0).any(axis=0), "negative_tokens")
    conv.mark((stacked != np.floor(stacked)).any(axis=0), "non_integer_tokens")
    conv.mark((stacked > ABSURD_TOKENS).any(axis=0), "absurd_tokens")
    inconsistent = (
        (tokens["cache_read_tokens"] + tokens["cache_write_tokens"] > tokens["input_tokens"])
        | (tokens["cache_write_1h_tokens"] > tokens["cache_write_tokens"])
        | (tokens["reasoning_tokens"] > tokens["output_tokens"])
    )
    conv.mark(inconsistent, "inconsistent_tokens")

    keep = pd.isna(skip)
    skipped: dict[str, np.ndarray] = {}
    for reason in pd.unique(skip[~keep]):
        skipped[str(reason)] = lines[skip == reason]

    request_id = _as_string_series(c.get("request_id"), n)
    id_from_source = request_id.notna().to_numpy() & (request_id.str.len() > 0).fillna(False).to_numpy()
    fallback = pd.Series(lines, dtype="int64").astype("str").radd(f"{source}:")
    request_id = request_id.where(id_from_source, fallback)

    frame = pd.DataFrame(index=pd.RangeIndex(n))
    frame["request_id"] = request_id
    frame["source_file"] = pd.Series(np.full(n, source, dtype=object), dtype="str")
    frame["source_line"] = lines.astype(np.int64)
    stamp = c.get("timestamp")
    frame["timestamp"] = (
        pd.DatetimeIndex(stamp).as_unit("ns") if stamp is not None else pd.DatetimeIndex([pd.NaT] * n, tz="UTC")
    )
    frame["provider"] = _as_string_series(c.get("provider"), n).str.lower()
    frame["model"] = model
    for name in TOKEN_COLUMNS:
        frame[name] = tokens[name].astype(np.int64)
    frame["pricing_mode"] = _as_string_series(c.get("pricing_mode"), n).fillna("standard")
    frame["latency_ms"] = _as_float(c.get("latency_ms"), n)
    frame["ttft_ms"] = _as_float(c.get("ttft_ms"), n)
    frame["status"] = status
    for name in ("error_type", "finish_reason", "user", "session", "feature", "tags"):
        frame[name] = _as_string_series(c.get(name), n)
    frame["source_cost_usd"] = _as_float(c.get("source_cost_usd"), n)
    frame["prompt_text"] = _as_string_series(prompt_arr, n)
    frame["prompt_hash"] = _hash_prompts(prompt_arr, has_prompt)
    frame["turns"] = np.asarray(c.get("turns", np.zeros(n)), dtype=np.int64)
    frame["tokens_estimated"] = estimate
    frame = frame.loc[keep].reset_index(drop=True)
    return frame, skipped, id_from_source[keep]


def _hash_prompts(prompt: pa.Array, present: np.ndarray) -> np.ndarray:
    """64-bit hash of each prompt text (0 where there is none), for duplicate detection."""
    out = np.zeros(len(prompt), dtype=np.uint64)
    if present.any():
        values = pc.fill_null(prompt, "").to_numpy(zero_copy_only=False)
        hashed = pd.util.hash_array(values.astype(object), categorize=False)
        out[present] = hashed[present]
    return out
