"""Shared test helpers.

- ``read_all(paths, ...)`` reads logs through the real ingest pipeline and returns the
  concatenated canonical frame plus the accounting, asserting the invariant every test
  relies on: parsed + skipped = lines read, per file.
- ``FIXTURES`` is tests/fixtures; each fixture directory has a README saying what its
  files contain.
- An autouse fixture fixes the console width and removes colour so CLI output is stable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

from llmaudit.ingest import IngestOptions, IngestStats, RequestReader
from llmaudit.schema import (
    CANONICAL_DTYPES,
    OVERSPEND_DTYPES,
    PRICED_DTYPES,
    ROUTING_DTYPES,
    TAG_DTYPES,
    TOKEN_COLUMNS,
    UNTAGGED_TASK,
    UNTAGGED_TIER,
    Stage,
)

# CI runs the property tests on a fixed sequence of examples, so a green main stays green;
# elsewhere each run explores new ones (and a failure found is saved and replayed).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
LOGS = FIXTURES / "logs"


def assert_accounted(stats: IngestStats) -> None:
    """parsed + skipped (by reason) = lines read, for every file and in total."""
    for f in stats.files:
        assert f.parsed + sum(f.skipped.values()) == f.lines_read, f
    assert stats.parsed + sum(stats.skipped.values()) == stats.lines_read


def read_all(paths: list[str | Path] | str | Path, **options: Any) -> tuple[pd.DataFrame, IngestStats]:
    """Read ``paths`` with ``IngestOptions(**options)``; return (canonical frame, stats)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    reader = RequestReader([str(p) for p in paths], IngestOptions(**options))
    frames = list(reader)
    assert_accounted(reader.stats)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return frame, reader.stats


TOKENS = list(TOKEN_COLUMNS)


def token_rows(frame: pd.DataFrame) -> list[list[int]]:
    """The canonical token columns of each row, in ``TOKENS`` order."""
    return frame[TOKENS].astype(int).values.tolist()


def requests_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A minimal request frame for pricing: every token column 0 and standard mode unless given."""
    base: dict[str, Any] = {"pricing_mode": "standard", **dict.fromkeys(TOKENS, 0)}
    return pd.DataFrame([{**base, **row} for row in rows])


def complete(frame: pd.DataFrame, stage: Stage) -> pd.DataFrame:
    """``frame`` (hand-built) with every column ``stage`` hands on that it lacks: no value (None,
    NaN, NaT), 0 for counts, False for flags, untagged for tags. A test names the columns it means."""
    dtypes = {**CANONICAL_DTYPES, **TAG_DTYPES, **PRICED_DTYPES, **OVERSPEND_DTYPES, **ROUTING_DTYPES}
    empty: dict[Any, Any] = {np.int64: 0, np.bool_: False, np.uint64: 0}
    # Tags left out are the untagged treatment (schema.UNTAGGED_TASK, UNTAGGED_TIER), never "easy".
    fill: dict[str, Any] = {"task_type": UNTAGGED_TASK, "complexity_tier": UNTAGGED_TIER}
    missing = {
        c: pd.Series(fill.get(c, empty.get(dtypes[c])), index=frame.index, dtype=dtypes[c])  # type: ignore[call-overload]
        for c in stage.columns
        if c not in frame.columns
    }
    return frame.assign(**missing)


def write_lines(path: Path, lines: list[str], *, trailing_newline: bool = True) -> Path:
    """Write raw lines (strings, written as given) to ``path``."""
    path.write_text("\n".join(lines) + ("\n" if trailing_newline else ""), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _stable_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("LLMAUDIT_DEBUG", raising=False)
