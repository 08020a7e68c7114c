"""Scores the logs carry as quality evidence for the logged model (llmaudit/shadow/logged.py),
every number worked out by hand.

Prices (USD per million tokens): big in 10 / out 30, small in 0.5 / out 1.5. The traffic:
    r1-r3  classification  tier 0  on big    logged scores 1, 0, 1 (thumbs)
    r4-r8  code            tier 1  on big    logged scores 0.2, 0.4, 0.6, 0.8, 1.0
    r9     code            tier 1  on small  no score

Cells: big/classification/0: 2 of 3 up, Wilson: p = 2/3, z = 1.959964, z^2 = 3.841459,
centre = (2/3 + z^2/6) / (1 + z^2/3) = 1.306910 / 2.280486 = 0.573085,
half = z sqrt(p(1-p)/3 + z^2/36) / 2.280486 = 1.959964 x 0.425184 / 2.280486 = 0.365425
-> [0.2077, 0.9385]. big/code/1: mean 0.6, sd (n-1) = sqrt(0.4 / 4) = 0.316228,
t(4) = 2.776, half = 2.776 x 0.316228 / sqrt(5) = 0.392586 -> [0.2074, 0.9926].
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from llmaudit.pricing import PriceTable, load_pricing, price_requests
from llmaudit.schema import COLLECTED
from llmaudit.shadow.logged import logged_scores, score_names, with_logged_scores, write_logged_evidence
from llmaudit.simulate import Policy
from llmaudit.simulate.quality import load_quality
from llmaudit.simulate.run import NamedPolicy, simulate
from tests.conftest import complete, requests_frame

PRICES = """\
schema_version: 1
name: logged-scores-test
source: tests
as_of: 2026-11-01
models:
  big: {provider: openai, input: 10, output: 30}
  small: {provider: openai, input: 0.5, output: 1.5}
"""
ALL_BIG = {"routes": [{"to": {"model": "big"}}]}


@pytest.fixture(scope="module")
def table(tmp_path_factory: pytest.TempPathFactory) -> PriceTable:
    path = tmp_path_factory.mktemp("logged") / "prices.yaml"
    path.write_text(PRICES)
    return load_pricing([path], include_shipped=False)


@pytest.fixture
def frame(table: PriceTable) -> pd.DataFrame:
    common: dict[str, Any] = {
        "status": "ok", "input_tokens": 1000, "output_tokens": 100, "tag_confidence": 0.9, "tool_count": 0,
        "timestamp": pd.Timestamp("2026-03-01T00:00:00Z"), "tags": None, "provider": "openai",
    }  # fmt: skip
    rows = [
        {"request_id": f"r{i}", "model": "big", "task_type": "classification", "complexity_tier": 0,
         "score": s, "score_name": "thumbs"}
        for i, s in ((1, 1.0), (2, 0.0), (3, 1.0))
    ] + [
        {"request_id": f"r{i}", "model": "big", "task_type": "code", "complexity_tier": 1,
         "score": s, "score_name": "thumbs"}
        for i, s in ((4, 0.2), (5, 0.4), (6, 0.6), (7, 0.8), (8, 1.0))
    ] + [{"request_id": "r9", "model": "small", "task_type": "code", "complexity_tier": 1,
          "score": np.nan, "score_name": None}]  # fmt: skip
    rows = [{**common, **row, "prompt_hash": i} for i, row in enumerate(rows)]
    return complete(price_requests(requests_frame(rows), table), COLLECTED)


def named(name: str, **fields: Any) -> NamedPolicy:
    return NamedPolicy(Policy.model_validate({"schema_version": 1, "name": name, **fields}), f"{name}.yaml")


def test_cells_mean_interval_and_count(frame: pd.DataFrame) -> None:
    scores = logged_scores(frame)
    assert scores is not None and scores.source == "logged scores"
    cells = {(c.model, c.task_type, c.tier): c for c in scores.cells}
    thumbs = cells[("big", "classification", 0)]
    assert (thumbs.n, thumbs.interval) == (3, "wilson")
    assert thumbs.mean == pytest.approx(2 / 3, abs=1e-4)
    assert (thumbs.low, thumbs.high) == (pytest.approx(0.2077, abs=1e-4), pytest.approx(0.9385, abs=1e-4))
    graded = cells[("big", "code", 1)]
    assert (graded.n, graded.interval, graded.mean) == (5, "t", pytest.approx(0.6))
    assert (graded.low, graded.high) == (pytest.approx(0.2074, abs=1e-4), pytest.approx(0.9926, abs=1e-4))
    assert scores.by_model == {"big": {"classification": pytest.approx(2 / 3), "code": pytest.approx(0.6)}}
    assert score_names(frame) == {"thumbs": 8}


def test_simulate_on_logged_scores_alone(table: PriceTable, frame: pd.DataFrame) -> None:
    quality = with_logged_scores(None, frame)
    report = simulate(frame, table, [named("all-big", **ALL_BIG)], quality=quality)
    q = report.policies[0].quality
    assert q is not None and report.quality is not None
    # baseline: each scored request keeps its own score, r9 (small) has none:
    # (1 + 0 + 1 + 0.2 + 0.4 + 0.6 + 0.8 + 1.0) / 8 = 5 / 8
    assert q.baseline == pytest.approx(0.625) and q.baseline_unscored_requests == 1
    # all on big: r9 takes big's code mean 0.6: 5.6 / 9
    assert q.expected == pytest.approx(5.6 / 9) and q.unscored_requests == 0
    assert report.quality.source == "logged scores"


def test_a_quality_file_wins_where_it_scores_and_logged_scores_fill_the_rest(
    tmp_path: Path, table: PriceTable, frame: pd.DataFrame
) -> None:
    path = tmp_path / "quality.yaml"
    path.write_text("version: 1\nscores:\n  big: {classification: 0.9}\n  small: {classification: 0.7, code: 0.5}\n")
    quality = with_logged_scores(load_quality(path, table), frame)
    assert quality is not None
    assert quality.source == f"{path} + logged scores for big"
    report = simulate(frame, table, [named("all-big", **ALL_BIG)], quality=quality)
    q = report.policies[0].quality
    assert q is not None
    # the file's big classification 0.9 wins over r1-r3's own thumbs; big code comes from the
    # logs (r4-r8 their own scores, mean 0.6); r9 small code 0.5 from the file:
    # baseline (3 x 0.9 + 3.0 + 0.5) / 9 = 6.2 / 9; all on big: r9 -> 0.6: 6.3 / 9
    assert q.baseline == pytest.approx(6.2 / 9)
    assert q.expected == pytest.approx(0.7)
    # evidence cells: only the filled (model, task type) pairs
    assert {(c.model, c.task_type) for c in quality.cells} == {("big", "code")}


def test_logged_scores_take_the_file_scale(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    path = tmp_path / "quality.yaml"
    path.write_text("version: 1\nscale: 0-100\nscores:\n  big: {classification: 90}\n  small: {code: 50}\n")
    quality = with_logged_scores(load_quality(path, table), frame)
    assert quality is not None
    assert quality.by_model["big"]["code"] == pytest.approx(60.0)
    report = simulate(frame, table, [named("all-big", **ALL_BIG)], quality=quality)
    q = report.policies[0].quality
    # (3 x 90 + 20 + 40 + 60 + 80 + 100 + r9 on big 60) / 9 = 630 / 9
    assert q is not None and q.expected == pytest.approx(70.0)


def test_a_file_with_a_default_covers_every_task(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    path = tmp_path / "quality.yaml"
    path.write_text("version: 1\nscores:\n  big: {default: 0.5}\n")
    file = load_quality(path, table)
    assert with_logged_scores(file, frame) is file


def test_evidence_file_from_logged_scores(tmp_path: Path, table: PriceTable, frame: pd.DataFrame) -> None:
    out = tmp_path / "evidence.yaml"
    write_logged_evidence(out, frame, "logs/")
    doc = yaml.safe_load(out.read_text())
    assert doc["scores"] == {"big": {"classification": pytest.approx(0.6667), "code": 0.6}}
    assert len(doc["requests"]) == 8 and doc["requests"][0] == {"request_id": "r1", "model": "big", "score": 1.0}
    assert out.read_text().startswith("# Quality evidence from the scores the logs carry (logs/)")
    # simulate --quality reads it as it is
    loaded = load_quality(out, table)
    assert {(c.model, c.task_type, c.tier, c.n) for c in loaded.cells} == {
        ("big", "classification", 0, 3),
        ("big", "code", 1, 5),
    }
