"""The simulator's integer-coded helpers agree with the plain pandas computations they replace."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from llmaudit.simulate.match import model_codes, original_models
from llmaudit.simulate.partial import BlockPart, Folder, keyed
from llmaudit.simulate.replay import distinct
from llmaudit.simulate.snapshot import traffic_digest
from llmaudit.simulate.summary import top

TEXT = ("model", "input_tokens", "output_tokens", "status")


def _digest_of_text(frame: pd.DataFrame) -> str:
    """The digest's definition, written out the slow way: every value as text, hashed per row."""
    columns = {
        "timestamp": pd.to_datetime(frame["timestamp"], utc=True).array.asi8,
        **{
            c: frame[c].astype(str).to_numpy(dtype=object) for c in ("model", "input_tokens", "output_tokens", "status")
        },
    }
    hashes = np.sort(pd.util.hash_pandas_object(pd.DataFrame(columns), index=False).to_numpy(dtype=np.uint64))
    return hashlib.sha256(hashes.tobytes()).hexdigest()[:16]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(["2026-03-01T00:00:00Z", "2026-03-01T00:00:05Z", None, "2026-03-02T10:00:00Z"]),
            "model": pd.Series(["gpt-4o", None, "nan", "gpt-4o"], dtype=object),
            "input_tokens": [100, 2_000, 100, 7],
            "output_tokens": [10, 0, 10, 3],
            "status": ["ok", "error", "ok", None],
        }
    )


def test_traffic_digest_hashes_the_text_of_every_value() -> None:
    frame = _frame()
    assert traffic_digest(frame) == _digest_of_text(frame)
    # Categorical columns (as the simulator keeps them) give the same digest as plain ones.
    as_categories = frame.astype({"model": "category", "status": "category"})
    assert traffic_digest(as_categories) == _digest_of_text(frame)
    # Order-independent, and a changed token count changes it.
    assert traffic_digest(frame.iloc[::-1]) == traffic_digest(frame)
    assert traffic_digest(frame.assign(input_tokens=[100, 2_000, 100, 8])) != traffic_digest(frame)


def test_original_models_fall_back_to_the_logged_name() -> None:
    frame = pd.DataFrame(
        {
            "priced_model": pd.Series(["gpt-4o", None, None, "o3"], dtype="category"),
            "model": pd.Series(["gpt-4o-2024-08-06", "my-finetune", None, "o3"], dtype="category"),
        }
    )
    names = original_models(frame).tolist()
    assert names[:2] == ["gpt-4o", "my-finetune"] and names[3] == "o3"
    assert pd.isna(names[2])  # neither name: missing, not a string
    codes, table = model_codes(frame)
    assert codes[2] == -1 and [table[c] for c in codes[[0, 1, 3]]] == ["gpt-4o", "my-finetune", "o3"]


def _top(codes: np.ndarray, names: np.ndarray, cuts: tuple[int, ...] = ()) -> tuple[str, ...]:
    """The two models most moved in one slice, the moves cut into blocks at ``cuts``."""
    labels = [("slice", name) for name in names]
    folder = Folder()
    for block in np.split(codes, list(cuts)):
        folder.add(BlockPart({"moved": keyed(block, labels)}))
    return top(folder.result()["moved"], "slice")


def test_top_models_break_ties_by_first_appearance() -> None:
    names = np.array(["a", "b", "c", "d"], dtype=object)
    # The same across blocks: b's first move (block 1) comes before a's (block 2).
    assert _top(np.array([3, 1, 3, 0, 3]), names, (2, 3)) == ("d", "b")
    assert _top(np.array([0, 3, 1, 3, 1, 0, 3]), names, (1, 1, 5)) == ("d", "a")
    assert _top(np.array([-1, 2, 1, 1, 2]), names, (2,)) == ("c", "b")
    # c and b twice each (c first), a once: c, b
    assert _top(np.array([2, 1, 0, 1, 2]), names) == ("c", "b")
    # d three times leads; the tie between a and b goes to the first seen (b)
    assert _top(np.array([3, 1, 3, 0, 3]), names) == ("d", "b")
    assert _top(np.array([], dtype=np.intp), names) == ()
    assert list(distinct(np.array([3, -1, 0, 3]))) == [0, 3]
