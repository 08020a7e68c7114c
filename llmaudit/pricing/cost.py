"""Vectorized whole-request pricing (the formula of docs/formats.md).

With P = input (inclusive), R = cache read, W = cache write (W5m + W1h),
C = output (inclusive), Z = reasoning, and the rates of the long-context tier the
*whole* request falls in (P > threshold; a request is never split at a threshold):

    input  = (P - R - W) * input + R * cache_read + W5m * cache_write + W1h * cache_write_1h
    output = (C - Z) * output + Z * reasoning
    tools  = sum over tool kinds of calls * per_1k_calls / 1000
    cost   = (input + output) / 1e6 + per_request_fee + tools

``cache_savings_usd`` is what prompt caching saved on the request: its cached tokens
(R + W) at the plain input rate minus what the reads and writes cost.

Rates are USD per million tokens, already resolved through every fallback by
``PriceTable.rate_arrays``. Unpriced models get NaN costs, never 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.pricing.spec import RATE_KINDS, TOOL_FEE_KINDS
from llmaudit.pricing.table import PriceTable
from llmaudit.schema import PRICING_MODES, TOOL_CALL_COLUMNS, check_columns

_K: Final = {kind: i for i, kind in enumerate(RATE_KINDS)}
_MODE_CODE: Final[dict[str, int]] = {mode: i for i, mode in enumerate(PRICING_MODES)}
# What the cost formula reads (besides the model): ``costs_on`` needs only these.
PRICING_INPUTS: Final = (
    "pricing_mode",
    "input_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "cache_write_1h_tokens",
    "output_tokens",
    "reasoning_tokens",
)
_NEEDED: Final = ("model", *PRICING_INPUTS)
_COMPONENTS: Final = (
    "cost_input_usd",
    "cost_cache_read_usd",
    "cost_cache_write_usd",
    "cost_output_usd",
    "cost_reasoning_usd",
    "cost_tool_calls_usd",
)
# Tool-call counts the formula reads when a frame has them (older frames and the
# simulator's routed tokens may not: their calls then bill nothing).
TOOL_INPUTS: Final = tuple(TOOL_CALL_COLUMNS[kind] for kind in TOOL_FEE_KINDS)


def resolve_models(models: pd.Series, table: PriceTable) -> tuple[np.ndarray, dict[str, str | None]]:
    """Index into ``table.models`` for every row (-1 when unpriced), plus raw -> priced names.

    Loops over the distinct model names only, never over rows.
    """
    codes, uniques = pd.factorize(models.fillna(""), use_na_sentinel=False)
    mapping: dict[str, str | None] = {}
    lookup = np.full(len(uniques), -1, dtype=np.int64)
    for i, raw in enumerate(uniques):
        hit = table.resolve(str(raw))
        mapping[str(raw)] = hit.model if hit else None
        if hit is not None:
            lookup[i] = table.index[hit.model]
    return lookup[codes] if len(codes) else np.zeros(0, dtype=np.int64), mapping


def price_requests(frame: pd.DataFrame, table: PriceTable, *, model_column: str = "model") -> pd.DataFrame:
    """Return a copy of ``frame`` with priced columns added (see ``schema.PRICED_DTYPES``).

    ``model_column`` names the column holding the model to price with (the simulator
    prices routed traffic through it). The input frame is not modified.
    """
    check_columns(frame, (*_NEEDED, model_column), "price_requests")
    midx, _ = resolve_models(frame[model_column], table)
    priced = midx >= 0
    safe = np.where(priced, midx, 0)
    components, fee, uncached = _cost_parts(frame, safe, table)
    assert uncached is not None
    columns: dict[str, object] = {}
    total = np.zeros(len(frame))
    for name, value in components.items():
        value = np.where(priced, value, np.nan)
        columns[name] = value
        total = total + value
    fee = np.where(priced, fee, np.nan)
    columns["cost_request_fee_usd"] = fee
    columns["cost_usd"] = total + fee
    # What prompt caching saved: the cached tokens at the plain input rate, minus what their
    # reads and writes cost. Negative when writes cost more than the reads save.
    columns["cache_savings_usd"] = np.where(
        priced, uncached - columns["cost_cache_read_usd"] - columns["cost_cache_write_usd"], np.nan
    )
    # Names via Arrow's take on the table's name list: no Python string per row.
    index = pa.array(safe, mask=~priced)
    names = pa.array([m.name for m in table.models] or [""], pa.string())
    providers = pa.array([m.provider for m in table.models] or [None], pa.string())
    columns["priced_model"] = names.take(index).to_pandas().astype("str").array
    columns["priced_provider"] = providers.take(index).to_pandas().astype("str").array
    # assign() copies lazily (copy-on-write): the input frame is left untouched.
    return frame.assign(**columns)


def mode_codes(modes: pd.Series | pd.Categorical | np.ndarray) -> np.ndarray:
    """Each row's pricing mode as its index in ``PRICING_MODES`` (unknown: standard), as int8."""
    codes, names = pd.factorize(modes, use_na_sentinel=False)
    lookup = np.array([_MODE_CODE.get(str(m), 0) for m in names] or [0], dtype=np.int8)
    return lookup[codes] if len(codes) else np.zeros(0, dtype=np.int8)


def model_index(table: PriceTable, model: str) -> int:
    """``model``'s row in the table's rate arrays, -1 when the table cannot price it."""
    hit = table.resolve(model)
    return table.index[hit.model] if hit is not None else -1


def costs_on(frame: pd.DataFrame, table: PriceTable, model: str | np.ndarray) -> np.ndarray:
    """USD of every row of ``frame`` (the ``PRICING_INPUTS`` columns) if sent to ``model``.

    ``model`` is one name for every row, or one per row. The same formula as
    ``price_requests``, without building its columns: for comparing requests across
    candidate models. A name the table cannot price gives NaN.
    """
    if isinstance(model, str):
        midx: int | np.ndarray = model_index(table, model)
    else:
        codes, names = pd.factorize(pd.Series(model, dtype=object), use_na_sentinel=False)
        by_name, _ = resolve_models(pd.Series(np.asarray(names, dtype=object), dtype=object), table)
        midx = by_name[codes]
    tokens = {name: frame[name].to_numpy(dtype=np.float64) for name in PRICING_INPUTS[1:]}
    return costs_of(tokens, mode_codes(frame["pricing_mode"]), table, midx)


def costs_of(
    tokens: Mapping[str, np.ndarray], mode: np.ndarray, table: PriceTable, midx: int | np.ndarray
) -> np.ndarray:
    """``costs_on`` for token arrays (the ``PRICING_INPUTS`` token columns as float64), pricing
    modes as ``mode_codes`` and the model as its ``model_index`` (one for all rows, or per row;
    -1 gives NaN)."""
    if isinstance(midx, (int, np.integer)):
        if midx < 0:
            return np.full(len(mode), np.nan)
        components, fee, _ = _cost_arrays(tokens, mode, int(midx), table, with_uncached=False)
        return _total(components, fee)
    priced = midx >= 0
    components, fee, _ = _cost_arrays(tokens, mode, np.where(priced, midx, 0), table, with_uncached=False)
    return np.where(priced, _total(components, fee), np.nan)


def cost_floor(table: PriceTable, model: str, input_tokens: np.ndarray, output_tokens: np.ndarray) -> np.ndarray:
    """A lower bound of what ``model`` charges for these tokens: every input token at the
    model's cheapest input-side rate and every output token at its cheapest output-side
    rate, over all tiers and pricing modes, plus the per-request fee. For skipping
    candidates that cannot win a comparison before pricing them."""
    _, rates, fees = table.rate_arrays
    i = table.index[model]
    low_in = rates[i][:, :, [_K["input"], _K["cache_read"], _K["cache_write"], _K["cache_write_1h"]]].min()
    low_out = rates[i][:, :, [_K["output"], _K["reasoning"]]].min()
    return (input_tokens * low_in + output_tokens * low_out) / 1e6 + fees[i]


def _cost_parts(
    frame: pd.DataFrame, safe: np.ndarray, table: PriceTable
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray | None]:
    """``_cost_arrays`` of a frame's ``PRICING_INPUTS`` columns."""
    names = (*PRICING_INPUTS[1:], *(c for c in TOOL_INPUTS if c in frame.columns))
    tokens = {name: frame[name].to_numpy(dtype=np.float64) for name in names}
    return _cost_arrays(tokens, mode_codes(frame["pricing_mode"]), safe, table)


def _cost_arrays(
    tokens: Mapping[str, np.ndarray],
    mode: np.ndarray,
    safe: int | np.ndarray,
    table: PriceTable,
    *,
    with_uncached: bool = True,
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray | None]:
    """Per-kind USD of each row priced on model number ``safe`` (docs/formats.md, "The pricing formula"), the
    per-request fee, and what the cached tokens would have cost at the input rate.

    ``safe`` is one model number for every row or one per row. Each rate is gathered per
    row as one flat index into the table's rates (a scalar when every row shares it).
    """
    P = tokens["input_tokens"]
    R = tokens["cache_read_tokens"]
    W = tokens["cache_write_tokens"]
    W1h = tokens["cache_write_1h_tokens"]
    C = tokens["output_tokens"]
    Z = tokens["reasoning_tokens"]
    n = len(P)
    thresholds, rates, fees = table.rate_arrays
    if not len(table):
        zero = np.zeros(n)
        components = dict.fromkeys(_COMPONENTS, zero)
        return components, zero, zero
    # The long-context tier each row falls in: the number of its model's thresholds it exceeds.
    tier: int | np.ndarray = 0
    for t in range(thresholds.shape[1]):
        above = thresholds[safe, t]
        if np.isscalar(above) and not np.isfinite(above):
            continue
        tier = tier + (above < P)
    _, tiers, modes, kinds = rates.shape
    index: int | np.ndarray = mode.astype(np.intp)
    if n and mode.min() == mode.max():
        index = int(mode[0])  # every row in one mode: a scalar index
    flat = (safe * tiers + tier) * modes + index
    by_kind = rates.reshape(-1, kinds)
    r = {kind: by_kind[:, k][flat] for k, kind in enumerate(RATE_KINDS)}
    fee = fees[safe]
    if np.isscalar(fee):
        fee = np.full(n, fee)
    # In place, in the formula's own order: the same floats as the expressions in the module
    # doc, with fewer million-row temporaries.
    per_million = 1e6
    cost_input = np.subtract(P, R)
    cost_input -= W
    cost_input *= r["input"]
    cost_input /= per_million
    cost_write = np.subtract(W, W1h)
    cost_write *= r["cache_write"]
    cost_write += W1h * r["cache_write_1h"]
    cost_write /= per_million
    cost_output = np.subtract(C, Z)
    cost_output *= r["output"]
    cost_output /= per_million
    components = {
        "cost_input_usd": cost_input,
        "cost_cache_read_usd": _per_million(R, r["cache_read"]),
        "cost_cache_write_usd": cost_write,
        "cost_output_usd": cost_output,
        "cost_reasoning_usd": _per_million(Z, r["reasoning"]),
        "cost_tool_calls_usd": _tool_costs(tokens, safe, table, n),
    }
    uncached = _per_million(R + W, r["input"]) if with_uncached else None
    return components, fee, uncached


def _tool_costs(tokens: Mapping[str, np.ndarray], safe: int | np.ndarray, table: PriceTable, n: int) -> np.ndarray:
    """USD of each row's server-side tool calls: calls times the model's fee per call, per kind."""
    out = np.zeros(n)
    per_call = table.tool_fee_array
    for k, column in enumerate(TOOL_INPUTS):
        calls = tokens.get(column)
        if calls is not None and calls.any():
            out += calls * per_call[safe, k]
    return out


def _per_million(tokens: np.ndarray, rate: np.ndarray | np.floating) -> np.ndarray:
    out = np.multiply(tokens, rate)
    out /= 1e6
    return out


def _total(components: dict[str, np.ndarray], fee: np.ndarray | np.floating) -> np.ndarray:
    """fee + each component, in order (``fee + a == a + fee`` exactly), into the first
    component's array: the caller does not need the components afterwards."""
    parts = iter(components.values())
    total = next(parts)
    total += fee
    for part in parts:
        total += part
    return total
