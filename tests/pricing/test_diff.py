"""pricing diff: models added and removed, each price change in USD per million and percent."""

from __future__ import annotations

from pathlib import Path

import pytest

from llmaudit.pricing import load_pricing
from llmaudit.pricing.diff import Change, diff_tables

HEADER = "schema_version: 1\nname: {name}\nsource: tests\nas_of: 2026-11-01\nmodels:\n"

OLD = """\
  gpt-4o:
    aliases: [gpt-4o-2024-08-06]
    input: 2.50
    output: 10.00
    cache_read: 1.25
    batch: {input: 1.25, output: 5.00}
    context_window: 128000
  retired-model:
    input: 1.00
    output: 2.00
  steady:
    input: 0.10
    output: 0.40
  long:
    input: 1.25
    output: 10.00
    tiers:
      - {above: 200000, input: 2.50, output: 15.00}
"""

NEW = """\
  gpt-4o:
    aliases: [gpt-4o-2024-08-06]
    input: 2.00
    output: 10.00
    batch: {input: 1.00, output: 5.00}
    context_window: 128000
    per_request: 0.001
  steady:
    input: 0.10
    output: 0.40
  long:
    input: 1.25
    output: 10.00
    tiers:
      - {above: 200000, input: 3.00, output: 15.00}
  brand-new:
    input: 0.50
    output: 1.50
"""


def table(tmp_path: Path, name: str, body: str):  # type: ignore[no-untyped-def]
    path = tmp_path / f"{name}.yaml"
    path.write_text(HEADER.format(name=name) + body, encoding="utf-8")
    return load_pricing([path], include_shipped=False)


@pytest.fixture
def diff(tmp_path: Path):  # type: ignore[no-untyped-def]
    return diff_tables(table(tmp_path, "old", OLD), table(tmp_path, "new", NEW), old_label="old", new_label="new")


def test_added_and_removed(diff) -> None:  # type: ignore[no-untyped-def]
    assert diff.added == ("brand-new",)
    assert diff.removed == ("retired-model",)
    assert diff.unchanged == 1  # steady
    assert diff.changed_models == ("gpt-4o", "long")


def test_every_changed_price_with_dollars_and_percent(diff) -> None:  # type: ignore[no-untyped-def]
    assert diff.changed == (
        Change("gpt-4o", "input", 2.50, 2.00),  # -0.50, -20%
        Change("gpt-4o", "cache_read", 1.25, None),  # removed: reads now bill at input
        Change("gpt-4o", "per_request_usd", None, 0.001),
        Change("gpt-4o", "batch.input", 1.25, 1.00),  # -0.25, -20%
        Change("long", "tiers[>200000].input", 2.50, 3.00),  # +0.50, +20%
    )
    first = diff.changed[0]
    assert first.delta == pytest.approx(-0.50) and first.pct == pytest.approx(-20.0)
    assert diff.changed[1].delta is None and diff.changed[1].pct is None
    assert diff.changed[4].pct == pytest.approx(20.0)


def test_json_shape(diff) -> None:  # type: ignore[no-untyped-def]
    data = diff.to_dict()
    assert data["schema_version"] == "2.0"
    assert data["summary"] == {
        "added": 1,
        "removed": 1,
        "changed_models": 2,
        "changed_fields": 5,
        "unchanged_models": 1,
    }
    assert data["changed"][0] == {
        "model": "gpt-4o",
        "field": "input",
        "old": 2.5,
        "new": 2.0,
        "delta": pytest.approx(-0.5),
        "pct": pytest.approx(-20.0),
    }


def test_a_renamed_model_is_matched_by_alias(tmp_path: Path) -> None:
    old = table(tmp_path, "old", "  gpt-4o-2024-08-06:\n    input: 2.50\n    output: 10.00\n")
    new = table(tmp_path, "new", "  gpt-4o:\n    aliases: [gpt-4o-2024-08-06]\n    input: 2.50\n    output: 10.00\n")
    result = diff_tables(old, new)
    assert (result.added, result.removed, result.changed, result.unchanged) == ((), (), (), 1)


def test_identical_tables_have_no_changes(tmp_path: Path) -> None:
    result = diff_tables(table(tmp_path, "a", OLD), table(tmp_path, "b", OLD))
    assert (result.added, result.removed, result.changed, result.unchanged) == ((), (), (), 4)
