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
from llmaudit.schema import CANONICAL_DTYPES, TOKEN_COLUMNS, TOOL_CALL_COLUMNS

ABSURD_TOKENS: Final = 10_000_000
# No LLM API billed traffic before 2020 (GPT-3's API opened in June 2020): an earlier time
# is a zero, a truncated or a misread epoch, which would stretch the logged period to
# decades and shrink the monthly projection towards $0.
EARLIEST_TIMESTAMP: Final = pd.Timestamp("2020-01-01", tz="UTC")
# Clocks drift and zones get mislabelled, but not by more than a day.
FUTURE_TOLERANCE: Final = pd.Timedelta(days=1)
# A billed cost above this for one request is a unit or parsing error (the dearest models
# charge about $600 per million output tokens: $1,000 is over a million and a half of them).
MAX_BILLED_USD: Final = 1_000.0
_TEXT_COLUMNS: Final = ("error_type", "finish_reason", "user", "session", "feature", "tags", "team", "project")
_ARROW_TYPES: Final = {"str": pa.string(), "datetime64[ns, UTC]": pa.timestamp("ns", tz="UTC")}
SCHEMA: Final = pa.schema(
    [(name, _ARROW_TYPES.get(str(dtype)) or pa.from_numpy_dtype(dtype)) for name, dtype in CANONICAL_DTYPES.items()]
)


def _text(value: object, n: int) -> pa.Array:
    """A string array of length n from whatever a format gave (Arrow, numpy, or nothing)."""
    if value is None:
        return pa.nulls(n, pa.string())
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return col.strings(value)
    return pa.array(np.asarray(value, dtype=object), pa.string())


def _float(value: object, n: int) -> np.ndarray:
    if value is None:
        return np.full(n, np.nan)
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return col.floats(value)
    return np.asarray(value, dtype=np.float64)


def finalize(
    conv: Converted, lines: np.ndarray, source: str, now: pd.Timestamp | None = None
) -> tuple[pd.DataFrame, dict[str, np.ndarray], np.ndarray, dict[str, int]]:
    """Validate and type one chunk.

    A timestamp before ``EARLIEST_TIMESTAMP`` or more than ``FUTURE_TOLERANCE`` after
    ``now`` (default: the current time) skips its row as ``implausible_timestamp``.

    Returns ``(frame, skipped, id_from_source, warnings)``: the canonical frame of kept
    rows, line numbers of dropped rows by reason, for kept rows whether ``request_id``
    came from the source (so it may be used to deduplicate), and counts of fields dropped
    from kept rows by warning code. A billed cost that is negative, not finite or above
    ``MAX_BILLED_USD`` is dropped (``billed_cost_dropped``): the request's tokens still
    count, priced at list price, and only the reconciliation loses that row. Columns are assembled as
    one Arrow table and converted to pandas once.
    """
    n = conv.n
    c = conv.columns
    skip = conv.skip
    assert skip is not None and conv.has_usage is not None

    status = pc.fill_null(_text(c.get("status"), n), "ok")
    ok = np.asarray(pc.equal(status, "ok"))
    model = pc.utf8_trim_whitespace(_text(c.get("model"), n))
    missing_model = ~np.asarray(pc.fill_null(pc.greater(pc.utf8_length(model), 0), False))

    tokens = {name: _float(c.get(name), n) for name in TOKEN_COLUMNS}
    prompt = _text(c.get("prompt_text"), n)
    has_prompt = col.non_empty(prompt)

    # A record lacking usage is a request with zero billed tokens when it failed, an
    # estimate when it succeeded and carries text, and unusable otherwise.
    no_usage = ~conv.has_usage
    estimate = no_usage & ok & has_prompt & pd.isna(skip)
    if estimate.any():
        idx = pa.array(np.flatnonzero(estimate))
        tokens["input_tokens"][idx] = estimate_tokens(prompt.take(idx))
        completion = conv.completion_text
        tokens["output_tokens"][idx] = estimate_tokens(col.strings(completion).take(idx)) if completion else 0
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
    # Server-side tool calls (billed per call): absent is none; a count that is not a
    # whole number of calls is as invalid as such a token count.
    calls = {name: np.nan_to_num(_float(c.get(name), n), nan=0.0) for name in TOOL_CALL_COLUMNS.values()}
    stacked_calls = np.vstack(list(calls.values()))
    conv.mark((stacked_calls < 0).any(axis=0), "negative_tokens")
    conv.mark((stacked_calls != np.floor(stacked_calls)).any(axis=0), "non_integer_tokens")
    conv.mark((stacked_calls > ABSURD_TOKENS).any(axis=0), "absurd_tokens")

    stamp = c.get("timestamp")
    if stamp is not None:
        stamp = col.utc_ns(stamp)
        latest = (now if now is not None else pd.Timestamp.now(tz="UTC")) + FUTURE_TOLERANCE
        implausible = stamp.notna() & ((stamp < EARLIEST_TIMESTAMP) | (stamp > latest))
        conv.mark(np.asarray(implausible), "implausible_timestamp")

    billed = _float(c.get("source_cost_usd"), n)
    bad_bill = ~np.isnan(billed) & ~((billed >= 0) & (billed <= MAX_BILLED_USD))  # also +-inf
    billed[bad_bill] = np.nan

    keep = pd.isna(skip)
    for name in TOKEN_COLUMNS:
        # Dropped rows may hold inf or 1e30: casting them to int64 would warn (and is wasted).
        tokens[name][~keep] = 0.0
    notes = {**conv.warnings, "billed_cost_dropped": bad_bill}
    warnings = {code: int(np.count_nonzero(rows & keep)) for code, rows in notes.items() if (rows & keep).any()}
    skipped = {str(reason): lines[skip == reason] for reason in pd.unique(skip[~keep])}

    request_id = _text(c.get("request_id"), n)
    id_from_source = np.asarray(pc.fill_null(pc.greater(pc.utf8_length(request_id), 0), False))
    if not id_from_source.all():
        fallback = pc.binary_join_element_wise(pa.scalar(f"{source}:"), pa.array(lines).cast(pa.string()), "")
        request_id = pc.if_else(pa.array(id_from_source), request_id, fallback)

    columns = {
        "request_id": request_id,
        "source_file": pa.repeat(pa.scalar(source), n),
        "source_line": pa.array(lines, pa.int64()),
        "timestamp": pa.array(stamp, SCHEMA.field("timestamp").type) if stamp is not None else pa.nulls(n),
        "provider": pc.utf8_lower(_text(c.get("provider"), n)),
        "model": model,
        **{name: pa.array(tokens[name].astype(np.int64)) for name in TOKEN_COLUMNS},
        **{name: pa.array(np.where(np.isfinite(v), v, 0).astype(np.int64)) for name, v in calls.items()},
        "pricing_mode": pc.fill_null(_text(c.get("pricing_mode"), n), "standard"),
        "latency_ms": pa.array(_float(c.get("latency_ms"), n)),
        "ttft_ms": pa.array(_float(c.get("ttft_ms"), n)),
        "status": status,
        **{name: _text(c.get(name), n) for name in _TEXT_COLUMNS},
        "source_cost_usd": pa.array(billed),
        "prompt_text": prompt,
        "prompt_hash": pa.array(np.zeros(n, dtype=np.uint64)),
        "turns": pa.array(np.asarray(c.get("turns", np.zeros(n)), dtype=np.int64)),
        "tokens_estimated": pa.array(estimate),
        "system_text": _text(c.get("system_text"), n),
        # Without a structured conversation, the whole prompt is what the user asked.
        "user_text": col.coalesce(_text(c.get("user_text"), n), prompt),
        "max_output_tokens": pa.array(_float(c.get("max_output_tokens"), n)),
        "structured_output": pa.array(np.asarray(c.get("structured_output", np.zeros(n)), dtype=bool)),
        "tool_count": pa.array(np.asarray(c.get("tool_count", np.zeros(n)), dtype=np.int64)),
        "completion_text": _text(conv.completion_text, n),
        "score": pa.array(_float(c.get("score"), n)),
        "score_name": _text(c.get("score_name"), n),
    }
    table = pa.Table.from_arrays([columns[f.name] for f in SCHEMA], schema=SCHEMA)
    if not keep.all():
        table = table.filter(pa.array(keep))
        has_prompt = has_prompt[keep]
    frame = table.to_pandas()
    frame["prompt_hash"] = _hash_prompts(table.column("prompt_text"), has_prompt)
    return frame, skipped, id_from_source[keep], warnings


def _hash_prompts(prompt: pa.ChunkedArray, present: np.ndarray) -> np.ndarray:
    """64-bit hash of each prompt text (0 where there is none), for duplicate detection."""
    out = np.zeros(len(prompt), dtype=np.uint64)
    if present.any():
        values = pc.fill_null(prompt, "").to_numpy()
        out[present] = pd.util.hash_array(values.astype(object), categorize=False)[present]
    return out
