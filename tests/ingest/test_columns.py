"""Column helpers shared by the readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from llmaudit.cli import main
from llmaudit.ingest.columns import floats


def test_floats_accepts_integers_beyond_float_precision() -> None:
    # 1,772,323,200,123,456,789 ns (an epoch timestamp in nanoseconds) is above 2**53: a safe cast raises.
    values = floats(pa.array([1_772_323_200_123_456_789, None, 5], type=pa.int64()))
    assert values[0] == np.float64(1_772_323_200_123_456_789)
    assert np.isnan(values[1]) and values[2] == 5.0
    values[2] = 6.0  # writable


def test_floats_of_text_and_booleans() -> None:
    assert np.isnan(floats(pa.array([True]))).all()
    text = floats(pa.array(["1.5", "n/a", None]))
    assert text[0] == 1.5 and np.isnan(text[1]) and np.isnan(text[2])
    text[1] = 0.0  # writable too (finalize fills absent counts in place)


def test_a_record_of_another_shape_with_text_counts_is_a_user_error(tmp_path: Path) -> None:
    """Found by hand: usage counts as text in a record no format recognizes crashed with exit 3."""
    logs = tmp_path / "logs.jsonl"
    logs.write_text('{"model": "gpt-4o", "usage": {"prompt_tokens": "x"}}\n')
    assert main(["analyze", str(logs), "-q"]) == 2
