"""The typed totals the findings read, and each finding as a function of them alone."""

from __future__ import annotations

from dataclasses import fields, replace

import pytest

from llmaudit.analyze.findings import FINDINGS, build_findings, duplicate_prompts, failed_or_empty
from llmaudit.analyze.totals import Aggregates, Duplicates, Totals
from llmaudit.report.model import CostBreakdown, Finding, Summary, TokenTotals


def totals(**sums: float) -> Totals:
    return Totals.from_sums(sums)


NO_DUPLICATES = Duplicates(0, 0, 0.0)


def aggregates(t: Totals, total_cost: float, duplicates: Duplicates = NO_DUPLICATES) -> Aggregates:
    tokens = TokenTotals(0, 0, 0, 0, 0, 0)
    summary = Summary(
        requests=t.requests,
        lines_read=t.requests,
        skipped_lines=0,
        priced_requests=t.requests,
        unpriced_requests=0,
        estimated_requests=0,
        failed_requests=t.failed,
        period_start=None,
        period_end=None,
        period_days=None,
        total_cost_usd=total_cost,
        projected_monthly_cost_usd=None,
        projection_note=None,
        tokens=tokens,
        cost_by_kind=CostBreakdown(0, 0, 0, 0, 0, 0, 0),
    )
    return Aggregates(summary, t, (), {}, (), duplicates)


def test_totals_are_typed_counts_and_dollars_with_unsummed_fields_zero() -> None:
    t = totals(requests=3.0, failed=1.0, failed_cost_usd=0.25, cost_usd=2.0)
    assert (t.requests, t.failed, t.empty) == (3, 1, 0)
    assert isinstance(t.requests, int) and isinstance(t.failed_cost_usd, float)
    assert t.empty_cost_usd == 0.0 and isinstance(t.empty_cost_usd, float)
    with pytest.raises(AttributeError):
        t.requests = 4  # type: ignore[misc]


def test_the_token_sums_as_the_report_shows_them() -> None:
    t = totals(input_tokens=1200, cache_read_tokens=1000, cache_write_tokens=100, output_tokens=50)
    assert t.tokens == TokenTotals(1200, 1000, 100, 0, 50, 0)


def test_a_misspelt_sum_is_an_error_not_a_silent_zero() -> None:
    with pytest.raises(ValueError, match="failed_cost"):
        totals(failed_cost=1.0)


def test_every_field_is_a_count_or_dollars() -> None:
    for f in fields(Totals):
        assert f.type == ("float" if f.name.endswith("_usd") else "int"), f.name


def test_failed_and_empty_from_the_totals_alone() -> None:
    # 2 failed ($0.30) and 1 empty ($0.20) of $10.00: $0.50 wasted, 5.0% of spend (a warning: >= 1%).
    t = totals(requests=10, failed=2, failed_cost_usd=0.30, empty=1, empty_cost_usd=0.20, cost_usd=10.0)
    (finding,) = failed_or_empty(aggregates(t, 10.0))
    assert finding.severity == "warning"
    assert finding.cost_usd == pytest.approx(0.50) and finding.share == pytest.approx(0.05)
    assert finding.title == "2 failed requests and 1 empty answer cost $0.500 (5.0% of spend)"  # 3 digits under $1
    # Unbilled failures alone: a note; none at all: no finding.
    (only_failed,) = failed_or_empty(aggregates(totals(requests=10, failed=3), 10.0))
    assert (only_failed.severity, only_failed.title) == ("info", "3 failed requests, not billed")
    assert list(failed_or_empty(aggregates(totals(requests=10), 10.0))) == []


def test_duplicates_rate_decides_the_severity() -> None:
    # 1 repeat in 20 prompts is exactly 5%: a warning; 1 in 21 is under it.
    t = totals(requests=20, cost_usd=4.0)
    (warn,) = duplicate_prompts(aggregates(t, 4.0, Duplicates(20, 1, 0.2)))
    assert warn.severity == "warning" and warn.share == pytest.approx(0.05)
    (note,) = duplicate_prompts(aggregates(t, 4.0, Duplicates(21, 1, 0.2)))
    assert note.severity == "info"
    assert list(duplicate_prompts(aggregates(t, 4.0))) == []


def test_build_findings_orders_critical_then_leads_then_cost() -> None:
    t = totals(requests=10, failed=2, failed_cost_usd=0.30, cost_usd=10.0)
    lead = Finding(id="overspend", severity="warning", title="", detail="", cost_usd=0.01)
    critical = Finding(id="x", severity="critical", title="", detail="")
    found = build_findings(aggregates(t, 10.0, Duplicates(10, 5, 1.0)), (lead, critical))
    assert [f.id for f in found] == ["x", "overspend", "duplicate_prompts", "failed_or_empty"]


def test_every_finding_function_is_quiet_on_an_empty_log() -> None:
    empty = aggregates(totals(), 0.0)
    assert {rule.__name__: list(rule(empty)) for rule in FINDINGS} == {rule.__name__: [] for rule in FINDINGS}
    assert replace(empty.totals, requests=1).requests == 1
