"""Accuracy guard: macro-F1 on the held-out evaluation prompts (tests/data/README.md).

Fails CI when a change to the lexicon or the engine makes the tagger worse than the
issue's bar: macro-F1 >= 0.80 and every task type's F1 >= 0.6 on the held-out split.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_tagging  # noqa: E402


def test_evaluation_set_is_large_and_covers_every_task_type() -> None:
    items = pd.read_json(bench_tagging.EVAL, lines=True)
    assert len(items) >= 590
    assert set(items["label"]) == set(bench_tagging.LABELS)
    assert set(items["split"]) == {"heldout", "tuning"}
    assert items["source"].is_unique


@pytest.mark.parametrize("split", ["heldout", "tuning"])
def test_macro_f1(split: str) -> None:
    table, macro, _confusion, _tagged = bench_tagging.evaluate(split)
    assert macro >= 0.80, table
    assert (table["f1"] >= 0.6).all(), table
