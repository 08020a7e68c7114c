"""Stage boundaries: each stage's consumer checks once that the stages before it ran.

Columns are declared per stage in ``llmaudit/schema.py``; a frame without them is a bug
(ingest makes every canonical column whatever the logs hold), reported as an internal error
that names the missing columns and the stage that adds them, exit 3.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

import llmaudit.analyze.run as analyze_run
from llmaudit.analyze.overspend import Overspend
from llmaudit.analyze.run import AnalyzeOptions, _Accumulator, analyze
from llmaudit.analyze.tagsummary import TagAccumulator
from llmaudit.cli import main
from llmaudit.pricing import PriceTable, load_pricing, price_requests
from llmaudit.schema import (
    COLLECTED,
    INGESTED,
    OVERSPEND_DTYPES,
    OVERSPENT,
    PRICED,
    PRICED_UNTAGGED,
    ROUTED,
    TAG_DTYPES,
    TAGGED,
    StageError,
)
from llmaudit.simulate.collect import collect
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.replay import _Replayer
from llmaudit.tagging import tag_requests
from tests.conftest import complete, requests_frame

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return load_pricing()


def one_request() -> pd.DataFrame:
    return requests_frame([{"model": "gpt-4o", "status": "ok", "input_tokens": 100, "output_tokens": 10}])


class FakeReader:
    """Yields ``frames`` through the transform the stage under test installs, like RequestReader."""

    def __init__(self, *frames: pd.DataFrame) -> None:
        self.frames = frames
        self.transform: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def __iter__(self) -> Iterator[pd.DataFrame]:
        for frame in self.frames:
            yield self.transform(frame) if self.transform else frame


def test_each_stage_holds_the_one_before_it() -> None:
    assert set(INGESTED.columns) < set(TAGGED.columns) < set(PRICED.columns) < set(OVERSPENT.columns)
    assert set(TAGGED.columns) - set(INGESTED.columns) == set(TAG_DTYPES)
    assert set(OVERSPENT.columns) - set(PRICED.columns) == set(OVERSPEND_DTYPES)
    assert set(PRICED_UNTAGGED.columns) == set(PRICED.columns) - set(TAG_DTYPES)
    assert set(ROUTED.columns) - set(COLLECTED.columns) == {"effective_tier"}
    # simulate keeps only columns the pipeline made before it.
    assert set(COLLECTED.columns) <= set(PRICED.columns)


def test_the_error_names_the_missing_columns_and_the_stage() -> None:
    frame = complete(one_request(), TAGGED).drop(columns=["difficulty", "tag_reasons"])
    with pytest.raises(StageError) as caught:
        TAGGED.require(frame, "the test")
    assert str(caught.value) == (
        "the test was handed a frame without the column(s) tag_reasons, difficulty, which every frame "
        "has after the tagging stage"
    )
    assert TAGGED.require(complete(frame, TAGGED), "the test") is not None


def test_analyze_reads_canonical_frames(table: PriceTable) -> None:
    # ingest -> tagging: a chunk without a canonical column never reaches the tagger.
    frame = complete(one_request(), INGESTED).drop(columns=["user_text"])
    with pytest.raises(StageError, match=r"analyze .* user_text, .* ingest stage"):
        analyze(FakeReader(frame), table)  # type: ignore[arg-type]


def test_overspend_needs_tagged_priced_requests(table: PriceTable) -> None:
    priced = price_requests(complete(one_request(), INGESTED), table)  # never tagged
    with pytest.raises(StageError, match=r"overspend stage .* task_type, complexity_tier"):
        Overspend(table).annotate(priced)


def test_the_aggregation_needs_the_overspend_columns_when_tagging(table: PriceTable) -> None:
    priced = price_requests(tag_requests(complete(one_request(), INGESTED)), table)  # overspend skipped
    with pytest.raises(StageError, match=r"analyze .* overspend_eligible, .* overspend stage"):
        _Accumulator(table, AnalyzeOptions()).update(priced)
    with pytest.raises(StageError, match=r"tagged summary .* overspend_eligible"):
        TagAccumulator().update(priced)
    # Without tagging, pricing is the last stage: the same frame is enough.
    _Accumulator(table, AnalyzeOptions(tag=False)).update(priced)


def test_simulate_collects_tagged_priced_requests(table: PriceTable) -> None:
    def forgetful_tagger(frame: pd.DataFrame) -> pd.DataFrame:
        return tag_requests(frame).drop(columns=["complexity_tier"])

    reader = FakeReader(complete(one_request(), INGESTED))
    with pytest.raises(StageError, match=r"simulate collect .* complexity_tier, .* pricing stage"):
        collect(reader, table, forgetful_tagger)  # type: ignore[arg-type]
    kept = collect(FakeReader(complete(one_request(), INGESTED)), table, tag_requests)  # type: ignore[arg-type]
    assert list(kept.columns) == list(COLLECTED.columns)


def test_routing_needs_the_effective_tier(table: PriceTable) -> None:
    frame = complete(price_requests(one_request(), table), COLLECTED)
    policy = Policy.model_validate({"schema_version": 1, "name": "p"})
    with pytest.raises(StageError, match=r"routing .* effective_tier, .* routing stage"):
        _Replayer(frame, table, policy, {})


def test_a_broken_stage_is_an_internal_error_naming_the_column(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken_tagger(frame: pd.DataFrame, rules: object = None) -> pd.DataFrame:
        return tag_requests(frame).drop(columns=["difficulty"])

    monkeypatch.setattr(analyze_run, "tag_requests", broken_tagger)
    code = main(["analyze", str(ROOT / "sample_logs" / "app"), "-f", "json", "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert "internal error" in err and "difficulty" in err and "overspend stage" in err
