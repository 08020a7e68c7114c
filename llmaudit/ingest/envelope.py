"""The logging wrapper many teams write around a provider response.

    {"timestamp": "...", "request": {<provider request>}, "response": {<provider response>},
     "latency_ms": 812, "user": "u42", "feature": "search", "tags": [...], ...}

The outer fields are optional and may be spelled several ways (see ``FIELDS``). A
wrapper's ``model`` names the model when neither the response nor the request does, and
a top-level ``usage`` (a logging proxy's copy, e.g. Frugon's ``capture``) is read where
the response carries none. Their
JSON types vary between teams (a timestamp as text or epoch number, tags as a list or
a comma string, an error as an object or text), so the Arrow type of each outer field
is taken from a sample of the file (its first 1,000 records); values that disagree
later are coerced by the per-line fallback parser. An attribution field (user,
feature, tags, session...) that no sampled record carries is not read.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from llmaudit.ingest import columns as col
from llmaudit.ingest.registry import Converted, LogFormat

_STR: Final = pa.string()
_NUM: Final = pa.float64()
_ERROR: Final = pa.struct([("type", _STR), ("code", _STR), ("message", _STR)])
_METADATA: Final = pa.struct(
    [("feature", _STR), ("user_id", _STR), ("user", _STR), ("session_id", _STR), ("tags", pa.list_(_STR))]
)

# outer key -> default Arrow type when the sample does not show it
FIELDS: Final[dict[str, pa.DataType]] = {
    "timestamp": _STR,
    "time": _STR,
    "ts": _STR,
    "created_at": _STR,
    "start_time": _STR,
    "latency_ms": _NUM,
    "duration_ms": _NUM,
    "ttft_ms": _NUM,
    "user": _STR,
    "user_id": _STR,
    "feature": _STR,
    "team": _STR,
    "project": _STR,
    "tags": pa.list_(_STR),
    "session": _STR,
    "session_id": _STR,
    "request_id": _STR,
    "id": _STR,
    "provider": _STR,
    "model": _STR,
    "status": _NUM,
    "status_code": _NUM,
    "http_status": _NUM,
    "error": _ERROR,
    "cost_usd": _NUM,
    "metadata": _METADATA,
}
_STRUCTS: Final = {"error": _ERROR, "metadata": _METADATA}
ALWAYS_DECLARED: Final = frozenset({"status", "status_code", "http_status", "error"})


def _type_from_sample(key: str, sample: Sequence[Mapping[str, Any]]) -> pa.DataType:
    for record in sample:
        value = record.get(key)
        if value is None:
            continue
        if isinstance(value, bool):
            return pa.bool_()
        if isinstance(value, (int, float)):
            return _NUM
        if isinstance(value, str):
            return _STR
        if isinstance(value, list):
            return pa.list_(_STR)
        if isinstance(value, dict):
            return _STRUCTS.get(key, _STR)
    return FIELDS[key]


def wrapped_schema(fmt: LogFormat, sample: Sequence[Mapping[str, Any]]) -> pa.Schema:
    """Schema for wrapped records of ``fmt``: typed outer fields, request and response.

    Every declared field costs parse time even where absent, so of the outer fields'
    many spellings only those the sample uses are declared, plus the ones that mark a
    failure (which may first appear deep into a file). The request and response keep the
    format's whole schema: dropping a field there could lose tokens.
    """
    assert fmt.request_schema is not None
    seen = {key for record in sample for key in record}
    keys = [key for key in FIELDS if key in seen or key in ALWAYS_DECLARED]
    outer = [pa.field(key, _type_from_sample(key, sample)) for key in keys]
    if "usage" in seen and "usage" in fmt.schema.names:
        # A logging proxy's copy of the usage beside the response (read where the response has none).
        outer.append(pa.field("usage", fmt.schema.field("usage").type))
    return pa.schema(
        [*outer, pa.field("request", fmt.request_schema), pa.field("response", pa.struct(list(fmt.schema)))]
    )


def normalizer(fmt: LogFormat, schema: pa.Schema):  # type: ignore[no-untyped-def]
    """Per-line normalizer for wrapped records: the format's own for the parts, and tags
    coerced to the sampled type ("a, b" and ["a", "b"] mean the same)."""
    tags_as_list = "tags" in schema.names and pa.types.is_list(schema.field("tags").type)

    def normalize(record: dict[str, Any]) -> dict[str, Any]:
        out = dict(record)
        tags = out.get("tags")
        if tags_as_list and isinstance(tags, str):
            out["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
        elif not tags_as_list and isinstance(tags, list):
            out["tags"] = ",".join(str(t) for t in tags)
        if fmt.normalize is not None and isinstance(out.get("response"), dict):
            out["response"] = fmt.normalize(out["response"])
        if fmt.request_normalize is not None and isinstance(out.get("request"), dict):
            out["request"] = fmt.request_normalize(out["request"])
        return out

    return normalize


def _text(f: col.Fields, *keys: str) -> pa.Array:
    return col.coalesce(*[col.strings(f(k)) for k in keys])


def convert_wrapped(fmt: LogFormat, table: pa.Table) -> Converted:
    """Convert wrapped records: the format reads ``response``/``request``, outer fields overlay."""
    f = col.Fields(table)
    response = f("response")
    inner = pa.Table.from_arrays(response.flatten(), names=[f.name for f in response.type])
    outer_usage = f("usage")
    if "usage" in inner.column_names and outer_usage.type == inner.schema.field("usage").type:
        own = col.get(inner, "usage")
        inner = inner.set_column(inner.schema.get_field_index("usage"), "usage", pc.coalesce(own, outer_usage))
    request = f("request")
    conv = fmt.convert(inner, request)
    c = conv.columns
    # The served model (response), else the requested one, else the wrapper's own field.
    c["model"] = col.coalesce(col.strings(c["model"]), col.strings(f("model"))) if "model" in c else f("model")

    def overlay(name: str, value: pa.Array) -> None:
        current = c.get(name)
        c[name] = value if current is None else col.coalesce(value, col.strings(current))

    overlay("request_id", _text(f, "request_id", "id"))
    overlay("provider", _text(f, "provider"))
    overlay("user", _text(f, "user", "user_id", "metadata.user_id", "metadata.user"))
    overlay("feature", _text(f, "feature", "metadata.feature"))
    overlay("team", _text(f, "team"))
    overlay("project", _text(f, "project"))
    overlay("session", _text(f, "session", "session_id", "metadata.session_id"))
    tags = col.coalesce(col.tags(f("tags")), col.tags(f("metadata.tags")))
    overlay("tags", tags)

    stamp = col.timestamps(col.coalesce(*[f(k) for k in ("timestamp", "time", "ts", "created_at", "start_time")]))
    if "timestamp" in c:
        stamp = stamp.where(~stamp.isna(), c["timestamp"])
    c["timestamp"] = stamp
    for name, keys in (("latency_ms", ("latency_ms", "duration_ms")), ("ttft_ms", ("ttft_ms",))):
        outer = col.floats(col.coalesce(*[f(k) for k in keys]))
        inner_value = c.get(name)
        c[name] = outer if inner_value is None else np.where(np.isnan(outer), inner_value, outer)
    cost = col.floats(f("cost_usd"))
    if "source_cost_usd" in c:
        cost = np.where(np.isnan(cost), c["source_cost_usd"], cost)
    c["source_cost_usd"] = cost

    failed, error_type = _outer_failure(f)
    status = col.strings(c["status"]) if "status" in c else pa.repeat(pa.scalar("ok"), conv.n)
    c["status"] = pc.if_else(pa.array(failed), pa.scalar("error"), status)
    c["error_type"] = col.coalesce(col.strings(c["error_type"]), error_type) if "error_type" in c else error_type
    return conv


def _outer_failure(f: col.Fields) -> tuple[np.ndarray, pa.Array]:
    """Rows the wrapper marks as failed (HTTP status >= 400 or an error), and the error kind."""
    codes = col.coalesce(*[f(k) for k in ("status_code", "http_status", "status")])
    numeric = col.floats(codes)
    words = col.strings(codes)
    word_failed = np.asarray(
        pc.fill_null(pc.is_in(pc.utf8_lower(words), pa.array(["error", "failed", "failure", "fail"])), False)
    )
    error = f("error")
    if pa.types.is_struct(error.type):
        error_text = col.coalesce(
            col.strings(col.get(error, "type")),
            col.strings(col.get(error, "code")),
            col.strings(col.get(error, "message")),
        )
        has_error = np.asarray(error.is_valid())
    else:
        error_text = col.strings(error)
        has_error = col.non_empty(error)
    http_failed = np.nan_to_num(numeric, nan=0) >= 400
    failed = http_failed | word_failed | has_error
    http_text = pc.binary_join_element_wise(
        pa.scalar("http_"), col.strings(pa.array(numeric).cast(pa.int64(), safe=False)), ""
    )
    kind = col.coalesce(error_text, pc.if_else(pa.array(http_failed), http_text, pa.scalar(None, pa.string())))
    kind = pc.if_else(pa.array(failed), kind, pa.scalar(None, pa.string()))
    return failed, kind
