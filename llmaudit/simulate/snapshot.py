"""What a later run needs to replay new traffic the way a saved simulation did.

``llmaudit check`` compares a pull request's traffic, policy and prices with a baseline
saved on the base branch (the JSON of ``simulate``). To say how much of the change is
prices and how much is routing, it replays the *new* traffic under the *old* policy and
the *old* prices, so the saved JSON carries (additively, next to the report):

- per policy, the policy document as loaded and its cost per tier, task type and routed
  model (``summary.replay_profile``);
- the prices of every model the traffic was priced as or a policy can route to
  (``price_snapshot``), in the price-table field layout, and ``table_with_snapshot``
  to rebuild a :class:`PriceTable` from them;
- what the traffic was (``summary.traffic``): request counts by tier, task type and
  model, the period and an order-independent digest of the requests, so a later run can
  tell whether it replays the same traffic.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, Final

import numpy as np
import pandas as pd

from llmaudit.pricing import ModelPrice, PriceTable, TableInfo
from llmaudit.pricing.prices import Rates, build_model
from llmaudit.pricing.spec import MODE_NAMES
from llmaudit.schema import UNTAGGED_TASK, UNTAGGED_TIER
from llmaudit.simulate.match import by_code
from llmaudit.simulate.policy import Policy, Route
from llmaudit.simulate.replay import Replayed

SNAPSHOT_TABLE: Final = "baseline snapshot"
# The columns that identify a request for the digest (no prompt text, ever).
DIGEST_CHARS: Final = 16
_DIGEST_COLUMNS: Final = ("timestamp", "model", "input_tokens", "output_tokens", "status")


def tier_labels(frame: pd.DataFrame) -> pd.Series:
    """``tier 0`` .. ``tier 3`` per request (a categorical: labels are made once per tier, not once
    per request). A request without a tier is untagged: ``UNTAGGED_TIER``, as everywhere."""
    n = len(frame)
    tier = pd.to_numeric(frame["complexity_tier"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    codes = np.where(np.isnan(tier), UNTAGGED_TIER, np.nan_to_num(tier)).astype(np.int64)
    top = int(codes.max()) if n else -1
    return pd.Series(pd.Categorical.from_codes(codes, [f"tier {i}" for i in range(top + 1)]), index=frame.index)


def task_labels(frame: pd.DataFrame) -> pd.Series:
    """The task type per request, ``UNTAGGED_TASK`` where there is none (a categorical)."""
    codes, names = pd.factorize(frame["task_type"])
    labels = [str(x) for x in names]
    if UNTAGGED_TASK not in labels:
        labels.append(UNTAGGED_TASK)
    fill = labels.index(UNTAGGED_TASK)
    return pd.Series(pd.Categorical.from_codes(np.where(codes < 0, fill, codes), labels), index=frame.index)


def _codes(keys: pd.Series | np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Factorized keys (-1 for missing), without turning an object array into a text column."""
    values = keys if isinstance(keys, pd.Series) else np.asarray(keys, dtype=object)
    codes, uniques = pd.factorize(values)
    return codes, [str(u) for u in uniques]


def _nanoseconds(stamps: pd.Series) -> np.ndarray:
    """UTC nanoseconds since the epoch (NaT as the int64 minimum), without per-row objects."""
    return pd.to_datetime(stamps, utc=True).array.asi8


def _as_text(values: pd.Series) -> pd.Categorical:
    """``values.astype(str)`` as a categorical: each distinct value is converted once.

    Hashing a categorical hashes its categories and takes them by code, which is what
    pandas does for a column of strings, so the digest is the same as hashing the text.
    """
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    text = pd.Series(uniques).astype(str).to_numpy(dtype=object)
    text_codes, categories = pd.factorize(text)  # a missing value stays missing (code -1)
    return pd.Categorical.from_codes(text_codes[codes], categories=categories)


def traffic_digest(frame: pd.DataFrame) -> str:
    """A short hash of the requests, independent of their order and of the files' paths."""
    return digest_of([traffic_rows(frame)])


def traffic_rows(frame: pd.DataFrame) -> np.ndarray:
    """Each request's 64-bit hash for the digest (the same hash whatever rows it is computed with)."""
    columns = [c for c in _DIGEST_COLUMNS if c in frame]
    # Timestamps as their int64 nanoseconds (formatting a million of them as text takes seconds).
    plain = pd.DataFrame({c: _as_text(frame[c]) if c != "timestamp" else _nanoseconds(frame[c]) for c in columns})
    return pd.util.hash_pandas_object(plain, index=False).to_numpy(dtype=np.uint64)


def digest_of(hashes: list[np.ndarray]) -> str:
    """The digest of the requests whose ``traffic_rows`` hashes are ``hashes`` (in any order)."""
    joined = np.sort(np.concatenate(hashes)) if hashes else np.zeros(0, dtype=np.uint64)
    return hashlib.sha256(joined.tobytes()).hexdigest()[:DIGEST_CHARS]


def routed_models(r: Replayed) -> pd.Series | np.ndarray:
    """The routed model per request, as a categorical when the replay has its codes (grouped without strings)."""
    if r.routed_codes is None or r.model_names is None:
        return r.routed_model
    return by_code(r.routed_codes, r.model_names)


# -- prices ------------------------------------------------------------------------------


def _route_models(route: Route) -> Iterable[str]:
    for target in (route.to, *((route.cascade.first, route.cascade.then) if route.cascade else ())):
        if target is not None and target.model is not None:
            yield target.model
    yield from route.fallbacks
    if route.verify is not None:
        yield route.verify.model
    if route.compression is not None and route.compression.model is not None:
        yield route.compression.model


def policy_models(policy: Policy) -> set[str]:
    """Every model name a policy can send traffic to, as the policy spells them."""
    names = {m for models in policy.tiers.values() for m in models}
    for route in policy.routes:
        names.update(_route_models(route))
    return names


def _rates(rates: Rates) -> dict[str, float]:
    return {k: v for k, v in rates.as_dict().items() if v is not None}


def _model_fields(model: ModelPrice) -> dict[str, Any]:
    """One model's prices in the price-table layout (``build_model`` reads it back)."""
    data: dict[str, Any] = {"provider": model.provider, "aliases": sorted(model.aliases), **_rates(model.rates)}
    data.update({mode: _rates(model.modes[mode]) for mode in MODE_NAMES if mode in model.modes})
    if model.tiers:
        data["tiers"] = [
            {"above": t.above, **_rates(t.rates), **{m: _rates(t.modes[m]) for m in MODE_NAMES if m in t.modes}}
            for t in model.tiers
        ]
    if model.per_request_usd:
        data["per_request"] = model.per_request_usd
    data["context_window"] = model.context_window
    data["max_output_tokens"] = model.max_output_tokens
    data["supports"] = sorted(model.supports)
    return data


def price_snapshot(table: PriceTable, names: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The prices of the models ``names`` resolve to (unpriced names are left out), by model name."""
    resolved = {hit.model for name in names if name and (hit := table.resolve(str(name))) is not None}
    return {name: _model_fields(table.get(name)) for name in sorted(resolved)}


def table_with_snapshot(table: PriceTable, snapshot: Mapping[str, Mapping[str, Any]]) -> PriceTable:
    """``table`` with the snapshot's models replacing (or adding to) its own.

    Models the snapshot does not hold keep ``table``'s prices: a model the baseline
    neither used nor could route to has no recorded price, and pricing it as today keeps
    its cost out of the price effect.
    """
    snapped = [build_model(name, fields, SNAPSHOT_TABLE, (SNAPSHOT_TABLE,)) for name, fields in snapshot.items()]
    kept = [m for m in table.models if m.name not in snapshot]
    as_of = max((t.as_of for t in table.tables), default=date(1970, 1, 1))
    info = TableInfo(SNAPSHOT_TABLE, SNAPSHOT_TABLE, SNAPSHOT_TABLE, as_of, False)
    return PriceTable([*kept, *snapped], [*table.tables, info], sellers=table.sellers, fallback=table.fallback)
