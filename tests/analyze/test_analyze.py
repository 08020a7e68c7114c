"""analyze() on the report fixture, against the hand-computed values in its README."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llmaudit.analyze.run import DAYS_PER_MONTH, AnalyzeOptions, _Accumulator, analyze
from llmaudit.ingest import IngestOptions, RequestReader
from llmaudit.pricing import load_pricing, price_requests
from llmaudit.report import AnalyzeReport, render
from llmaudit.schema import PRICED_UNTAGGED
from tests.conftest import FIXTURES, LOGS, assert_accounted, complete, requests_frame

AUDIT = LOGS / "report" / "audit.jsonl"
PRICES = FIXTURES / "pricing" / "report.yaml"


def run(*group_by: str, chunk_bytes: int | None = None) -> AnalyzeReport:
    table = load_pricing([PRICES], include_shipped=False)
    options = IngestOptions(chunk_bytes=chunk_bytes) if chunk_bytes else IngestOptions()
    reader = RequestReader([str(AUDIT)], options)
    report = analyze(reader, table, AnalyzeOptions(group_by=group_by))
    assert_accounted(reader.stats)
    return report


def test_summary_totals() -> None:
    s = run().summary
    assert (s.requests, s.lines_read, s.skipped_lines) == (8, 10, 2)
    assert (s.priced_requests, s.unpriced_requests, s.failed_requests) == (7, 1, 1)
    # 3 * 0.0035 + 0.000525 + 0.038 + 0.002
    assert s.total_cost_usd == pytest.approx(0.051025, rel=1e-12)
    # 26 hours of traffic: 0.051025 per 26/24 days, times 365.25/12 days per month
    assert s.period_days == pytest.approx(26 / 24)
    assert s.projected_monthly_cost_usd == pytest.approx(0.051025 * DAYS_PER_MONTH / (26 / 24), rel=1e-12)
    assert s.projection_note is not None and "26.0 hours" in s.projection_note
    assert s.tokens.input_tokens == 1000 * 3 + 2000 + 3000 + 500 + 800
    assert s.tokens.reasoning_tokens == 3000
    # cache read: 1000 * 0.075 = 75 per million; reasoning 3000 * 8 = 24000 per million
    assert s.cost_by_kind.cache_read_usd == pytest.approx(0.000075)
    assert s.cost_by_kind.reasoning_usd == pytest.approx(0.024)


def test_by_model_ranks_by_cost_and_keeps_unpriced_visible() -> None:
    rows = {r.model: r for r in run().by_model}
    assert [r.model for r in run().by_model] == ["o3", "gpt-4o", "gpt-4o-mini", "mystery-model-x"]
    assert rows["gpt-4o"].requests == 5
    assert rows["gpt-4o"].cost_usd == pytest.approx(3 * 0.0035 + 0.002)
    assert rows["mystery-model-x"].cost_usd is None and not rows["mystery-model-x"].priced
    assert rows["o3"].share == pytest.approx(0.038 / 0.051025)


def test_unpriced_list_and_finding() -> None:
    report = run()
    assert [(u.model, u.requests, u.input_tokens, u.output_tokens) for u in report.unpriced] == [
        ("mystery-model-x", 1, 500, 50)
    ]
    first = report.findings[0]
    assert (first.id, first.severity) == ("unpriced_models", "critical")


def test_duplicate_prompt_and_waste_findings() -> None:
    findings = {f.id: f for f in run().findings}
    dup = findings["duplicate_prompts"]
    assert dup.cost_usd == pytest.approx(0.007)  # lines 2 and 10 repeat line 1
    assert "2 of 7 successful requests" in dup.detail  # the failed line 7 is no prompt a cache could answer
    waste = findings["failed_or_empty"]
    assert waste.cost_usd == pytest.approx(0.002)  # the 429 cost nothing; the empty answer $0.002
    assert waste.severity == "warning"


def test_days_and_groups() -> None:
    report = run("user", "feature", "tag")
    days = {r.key: r for r in report.by_day}
    assert days["2025-03-01"].cost_usd == pytest.approx(0.0035 * 2 + 0.000525 + 0.038)
    assert days["2025-03-02"].unpriced_requests == 1
    users = {r.key: r.cost_usd for r in report.groups["user"]}
    assert users == pytest.approx({"u1": 0.0035 * 3, "u2": 0.038525, "u3": 0.002})
    tags = {r.key: r.requests for r in report.groups["tag"]}
    assert tags == {"prod": 1, "(none)": 7}


def test_skipped_lines_with_examples() -> None:
    skipped = {s.reason: s for s in run().skipped}
    assert skipped["blank_line"].examples == (f"{AUDIT}:5",)
    assert skipped["malformed_json"].examples == (f"{AUDIT}:8",)


def test_streaming_in_tiny_chunks_gives_the_same_report() -> None:
    # Same report bytes; sums may differ in the last binary digit, which JSON rounds away.
    assert render(run("user", chunk_bytes=200), "json") == render(run("user"), "json")


def test_daily_buckets_follow_the_time_zone(tmp_path: Path) -> None:
    # 23:30 UTC on March 1 is 00:30 on March 2 in Berlin (UTC+1)
    log = tmp_path / "late.jsonl"
    record = {
        "timestamp": "2025-03-01T23:30:00Z",
        "request": {"model": "gpt-4o"},
        "response": {
            "id": "x",
            "object": "chat.completion",
            "model": "gpt-4o",
            "usage": {"prompt_tokens": 10, "completion_tokens": 1},
        },
    }
    log.write_text(json.dumps(record) + "\n")
    table = load_pricing([PRICES], include_shipped=False)
    utc = analyze(RequestReader([str(log)]), table, AnalyzeOptions())
    berlin = analyze(RequestReader([str(log)]), table, AnalyzeOptions(timezone="Europe/Berlin"))
    assert [r.key for r in utc.by_day] == ["2025-03-01"]
    assert [r.key for r in berlin.by_day] == ["2025-03-02"]
    assert berlin.summary.timezone == "Europe/Berlin"


def test_breakdown_sums_per_dimension_by_hand() -> None:
    """The weighted counts of a chunk per dimension, the tag one over exploded tags."""
    table = load_pricing([PRICES], include_shipped=False)
    model = table.models[0].name
    rows = [
        {"model": model, "input_tokens": 100, "output_tokens": 10, "tags": "a|b", "user": "u1"},
        {"model": model, "input_tokens": 200, "output_tokens": 20, "tags": "b", "user": "u2"},
        {"model": model, "input_tokens": 400, "output_tokens": 40, "tags": None, "user": "u1"},
    ]
    priced = complete(price_requests(complete(requests_frame(rows), PRICED_UNTAGGED), table), PRICED_UNTAGGED)
    acc = _Accumulator(table, AnalyzeOptions(tag=False, group_by=("user", "tag")))
    acc.update(priced)
    cost = priced["cost_usd"].tolist()
    user = acc.breakdown("user")
    assert user.loc["u1", ["requests", "input_tokens", "output_tokens"]].tolist() == [2, 500, 50]
    assert user.loc["u1", "cost_usd"] == pytest.approx(cost[0] + cost[2])
    tag = acc.breakdown("tag")
    assert tag.loc["a", ["requests", "input_tokens"]].tolist() == [1, 100]
    assert tag.loc["b", ["requests", "input_tokens", "output_tokens"]].tolist() == [2, 300, 30]
    assert tag.loc["b", "cost_usd"] == pytest.approx(cost[0] + cost[1])
    assert tag.loc["(none)", ["requests", "input_tokens"]].tolist() == [1, 400]
