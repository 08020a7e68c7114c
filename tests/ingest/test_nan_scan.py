"""The NaN scan of parsed chunks walks nested types without recursion (a deep record is not a crash)."""

from __future__ import annotations

import pyarrow as pa

from llmaudit.ingest.jsonl import _has_nan


def _nested(leaf: pa.Array, depth: int) -> pa.Array:
    for _ in range(depth):
        leaf = pa.StructArray.from_arrays([leaf], ["x"])
    return leaf


def test_a_record_nested_far_deeper_than_the_stack_is_scanned() -> None:
    assert _has_nan(pa.table({"c": _nested(pa.array([1.0, 2.0]), 5000)})) is False
    assert _has_nan(pa.table({"c": _nested(pa.array([1.0, float("nan")]), 5000)})) is True


def test_nan_inside_lists_and_chunked_columns_is_found() -> None:
    inner = pa.ListArray.from_arrays(pa.array([0, 1, 2], pa.int32()), pa.array([0.5, float("nan")]))
    assert _has_nan(pa.table({"c": pa.chunked_array([pa.array([1.0]), pa.array([2.0])]), "d": inner})) is True
    assert _has_nan(pa.table({"c": pa.array(["nan"]), "d": pa.array([1])})) is False  # text "nan" is not a float
