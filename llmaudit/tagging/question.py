"""The closing question mark of a message, read from its Arrow buffers (no regex pass).

A regex pass costs about 60 ns a value even over 3 bytes; reading the last bytes of each
value from the offsets and data buffers costs a few numpy operations per column. The
answer is that of the pattern the tagger used before, over the last 3 bytes (tested
against it on random bytes: tests/tagging/test_signals.py).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

# ASCII whitespace as RE2's ``\s`` (no vertical tab) and the bytes of U+FF1F (full-width "?").
_SPACE = np.zeros(256, dtype=bool)
_SPACE[[0x09, 0x0A, 0x0C, 0x0D, 0x20]] = True
_FULL_WIDTH_QUESTION = (0xEF, 0xBC, 0x9F)


def ends_with_question(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per row: ``values`` (binary) match ``(?:\\?|\uff1f)\\s*$`` within their last 3 bytes.

    The same answer as that RE2 pattern over ``binary_slice(values, -3)``; nulls do not match.
    """
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    return np.concatenate([_ends_with_question(c) for c in chunks]) if chunks else np.zeros(0, dtype=bool)


def _ends_with_question(values: pa.Array) -> np.ndarray:
    n = len(values)
    values = values.cast(pa.large_binary())
    _, offset_buffer, data_buffer = values.buffers()
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[values.offset : values.offset + n + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, dtype=np.uint8)
    ends = offsets[1:]
    lengths = ends - offsets[:-1]
    if values.null_count:
        lengths = np.where(np.asarray(values.is_valid(), dtype=bool), lengths, 0)
    # last[j]: the (j+1)-th byte from the end, -1 where the value is shorter.
    last = []
    for j in range(1, 4):
        present = lengths >= j
        byte = data[np.maximum(ends - j, 0)].astype(np.int16) if len(data) else np.zeros(n, dtype=np.int16)
        last.append(np.where(present, byte, -1))
    space = [(b >= 0) & _SPACE[np.maximum(b, 0)] for b in last]
    question = [b == ord("?") for b in last]
    full_width = (lengths >= 3) & (last[2] == _FULL_WIDTH_QUESTION[0]) & (last[1] == _FULL_WIDTH_QUESTION[1])
    full_width &= last[0] == _FULL_WIDTH_QUESTION[2]
    return question[0] | (space[0] & question[1]) | (space[0] & space[1] & question[2]) | full_width


__all__ = ["ends_with_question"]
