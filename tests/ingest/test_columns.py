"""Column helpers shared by the readers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

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
