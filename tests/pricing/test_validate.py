"""Unit safety: every check of llmaudit.pricing.validate, with the file and line it reports.

Each test writes a small table whose line numbers are counted in the comments: the header
(HEADER) takes lines 1-5, so the first model key is on line 6.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from llmaudit.errors import PricingError
from llmaudit.pricing import load_pricing, validate_pricing
from llmaudit.pricing.validate import power_of_ten

HEADER = "schema_version: 1\nname: t\nsource: tests\nas_of: 2026-11-01\nmodels:\n"
README = Path(__file__).resolve().parents[2] / "pricing" / "README.md"


def write(tmp_path: Path, body: str, name: str = "t.yaml", header: str = HEADER) -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def codes(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in report.findings]


def alone(path: Path):  # type: ignore[no-untyped-def]
    return validate_pricing([path], include_shipped=False)


# --------------------------------------------------------------------------- errors


def test_per_token_value_in_a_per_million_field_names_file_line_and_field(tmp_path: Path) -> None:
    # line 6: "  m:", line 7: "    input: 0.0000025", line 8: output
    path = write(tmp_path, "  m:\n    input: 0.0000025\n    output: 10\n    context_window: 128000\n")
    report = alone(path)
    [error] = report.errors
    assert (error.file, error.line, error.field, error.code) == (
        str(path),
        7,
        "models.m.input",
        "per-token-in-per-million",
    )
    assert str(error) == (
        f"{path}:7: models.m.input: 2.5e-06 looks like a per-token price; prices here are USD per million "
        "tokens (did you mean 2.5?)"
    )


def test_per_token_slip_inside_a_mode_and_a_tier(tmp_path: Path) -> None:
    body = (
        "  m:\n"  # 6
        "    input: 1\n"  # 7
        "    output: 2\n"  # 8
        "    batch: {input: 0.0000005, output: 1}\n"  # 9
        "    tiers:\n"  # 10
        "      - above: 100000\n"  # 11
        "        input: 2\n"  # 12
        "        output: 0.000004\n"  # 13
    )
    errors = alone(write(tmp_path, body)).errors
    assert [(e.line, e.field) for e in errors] == [(9, "models.m.batch.input"), (13, "models.m.tiers.0.output")]


def test_price_beyond_any_real_one(tmp_path: Path) -> None:
    [error] = alone(write(tmp_path, "  m:\n    input: 3200\n    output: 9710\n    context_window: 8000\n")).errors[:1]
    assert error.line == 7 and error.code == "above-any-real-price"


def test_zero_is_a_price_not_a_slip(tmp_path: Path) -> None:
    report = alone(write(tmp_path, "  free:\n    input: 0\n    output: 0\n    context_window: 8000\n"))
    assert report.errors == ()


def test_tiers_out_of_order_and_duplicated(tmp_path: Path) -> None:
    body = (
        "  m:\n    input: 1\n    output: 2\n    context_window: 1000000\n    tiers:\n"  # tiers: line 10
        "      - {above: 200000, input: 2, output: 3}\n      - {above: 128000, input: 3, output: 4}\n"
        "  n:\n    input: 1\n    output: 2\n    context_window: 1000000\n    tiers:\n"  # tiers: line 17
        "      - {above: 128000, input: 2, output: 3}\n      - {above: 128000, input: 3, output: 4}\n"
    )
    errors = alone(write(tmp_path, body)).errors
    assert [(e.line, e.code) for e in errors] == [(10, "tiers-out-of-order"), (17, "tiers-out-of-order")]


def test_schema_errors_are_findings_with_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "  m:\n    input: -1\n    output: lots\n    cache_reads: 0.1\n")
    errors = alone(path).errors
    assert [(e.line, e.field) for e in errors] == [
        (7, "models.m.input"),
        (8, "models.m.output"),
        (9, "models.m.cache_reads"),
    ]
    assert "unknown field" in errors[2].message


def test_booleans_are_not_prices(tmp_path: Path) -> None:
    # pydantic reads true as 1: `input: yes` was $1.00 per million tokens.
    body = (
        "  m:\n"  # 6
        "    input: true\n"  # 7
        "    output: yes\n"  # 8
        "    context_window: on\n"  # 9
        "    tiers:\n"  # 10
        "      - above: true\n"  # 11
        "        input: 2\n"  # 12
    )
    path = write(tmp_path, body)
    errors = alone(path).errors
    assert [(e.line, e.field) for e in errors] == [
        (7, "models.m.input"),
        (8, "models.m.output"),
        (9, "models.m.context_window"),
        (11, "models.m.tiers[0].above"),
    ]
    assert all("must be a number, not true" in e.message for e in errors)
    with pytest.raises(PricingError, match=rf"{re.escape(str(path))}:7: models\.m\.input: .*not true"):
        load_pricing([path], include_shipped=False)


def test_yaml_syntax_errors_are_findings(tmp_path: Path) -> None:
    path = write(tmp_path, "  m: {input: 1, output: [\n")
    [error] = alone(path).errors
    assert error.code == "yaml" and error.file == str(path) and "invalid YAML" in error.message


def test_missing_output_after_merge(tmp_path: Path) -> None:
    [error] = alone(write(tmp_path, "  m:\n    input: 1\n")).errors
    assert (error.line, error.code) == (6, "missing-price")


def test_load_pricing_lists_every_error_at_once(tmp_path: Path) -> None:
    a = write(tmp_path, "  m:\n    input: 0.000001\n    output: 1\n", name="a.yaml")
    b = write(tmp_path, "  n:\n    input: 1\n    output: 5000\n", name="b.yaml")
    with pytest.raises(PricingError) as err:
        load_pricing([a, b], include_shipped=False)
    text = str(err.value)
    assert "invalid price table (2 errors)" in text
    assert f"{a}:7: models.m.input" in text and f"{b}:8: models.n.output" in text


# --------------------------------------------------------------------------- warnings


def test_override_off_by_a_power_of_ten_from_the_shipped_price(tmp_path: Path) -> None:
    # gpt-4o's shipped input is 2.50; 0.25 is the same number in the wrong unit.
    path = write(tmp_path, "  gpt-4o:\n    input: 0.25\n    output: 10.00\n")
    report = validate_pricing([path])
    [warning] = report.warnings
    assert (warning.line, warning.field, warning.code) == (7, "models.gpt-4o.input", "power-of-ten-off")
    assert re.search(r"0\.25 is 10x below the 2\.5 set at .*openai\.yaml:\d+", warning.message)
    assert report.errors == ()


def test_new_model_resolving_to_a_shipped_one_is_compared_too(tmp_path: Path) -> None:
    # "openai/gpt-4o-mini" is a new key, but logs' names resolve to gpt-4o-mini (0.15 / 0.60).
    path = write(tmp_path, '  "openai/gpt-4o-mini":\n    input: 150\n    output: 0.60\n    context_window: 128000\n')
    [warning] = validate_pricing([path]).warnings
    assert warning.code == "power-of-ten-off" and "1,000x above" in warning.message


def test_whole_table_off_by_a_power_of_ten(tmp_path: Path) -> None:
    # The RouterBench slip: every price divided by 10.
    body = "".join(
        f"  {name}:\n    input: {i / 10:g}\n    output: {o / 10:g}\n"
        for name, i, o in (("gpt-4o", 2.50, 10.00), ("gpt-4o-mini", 0.15, 0.60), ("o3", 2.00, 8.00))
    )
    report = validate_pricing([write(tmp_path, body)])
    assert codes(report).count("power-of-ten-off") == 6
    [table] = [f for f in report.warnings if f.code == "table-power-of-ten-off"]
    assert "3 of the 3 models" in table.message and "10^-1" in table.message


def test_a_real_discount_is_not_a_unit_slip() -> None:
    assert power_of_ten(2.00, 2.50) == 0  # 20% off
    assert power_of_ten(0.25, 2.50) == -1
    assert power_of_ten(0.26, 2.50) == -1  # within 5% of 10x
    assert power_of_ten(0.3, 2.50) == 0
    assert power_of_ten(3000, 3) == 3


def test_output_cheaper_than_input_for_a_provider_that_never_does_that(tmp_path: Path) -> None:
    body = (
        "  swapped:\n    provider: openai\n    input: 10\n    output: 2.5\n    context_window: 128000\n"
        "  host-model:\n    provider: some-host\n    input: 0.9\n    output: 0.3\n    context_window: 128000\n"
    )
    report = alone(write(tmp_path, body))
    [warning] = report.warnings
    assert (warning.line, warning.field, warning.code) == (9, "models.swapped.output", "output-below-input")


def test_cache_reads_pricier_than_input(tmp_path: Path) -> None:
    body = "  m:\n    input: 1\n    output: 2\n    cache_read: 1.5\n    context_window: 128000\n"
    [warning] = alone(write(tmp_path, body)).warnings
    assert (warning.line, warning.code) == (9, "cache-read-above-input")


def test_missing_context_window(tmp_path: Path) -> None:
    [warning] = alone(write(tmp_path, "  m:\n    input: 1\n    output: 2\n")).warnings
    assert (warning.line, warning.code) == (6, "missing-context-window")


def test_atypical_prices_and_per_request_unit(tmp_path: Path) -> None:
    body = (
        "  tiny:\n    input: 0.002\n    output: 0.008\n    context_window: 8000\n"  # 6-9
        "  fee:\n    input: 1\n    output: 2\n    per_request: 5\n    context_window: 8000\n"  # 10-14
    )
    found = [(f.line, f.code) for f in alone(write(tmp_path, body)).warnings]
    assert found == [(7, "atypical-price"), (8, "atypical-price"), (13, "per-request-unit")]


def test_tier_and_mode_checks(tmp_path: Path) -> None:
    body = (
        "  m:\n"  # 6
        "    input: 2\n"  # 7
        "    output: 8\n"  # 8
        "    context_window: 150000\n"  # 9
        "    batch: {input: 3, output: 4}\n"  # 10: batch input above standard
        "    flex: {input: 1, output: 4}\n"  # 11
        "    priority: {input: 1.5, output: 16}\n"  # 12: priority input below standard
        "    tiers:\n"  # 13
        "      - above: 200000\n"  # 14: beyond the context window
        "        input: 1\n"  # 15: cheaper than base
        "        output: 12\n"  # 16
    )
    found = sorted((f.line, f.code) for f in alone(write(tmp_path, body)).warnings)
    assert found == [
        (10, "batch-above-standard"),
        (12, "priority-below-standard"),
        (14, "tier-beyond-context"),
        (14, "tier-without-batch"),
        (14, "tier-without-flex"),
        (15, "tier-cheaper"),
    ]


def test_batch_one_hour_writes_left_at_the_standard_price(tmp_path: Path) -> None:
    body = (
        "  m:\n    input: 3\n    output: 15\n    cache_write: 3.75\n    cache_write_1h: 6\n"
        "    context_window: 200000\n    batch: {input: 1.5, output: 7.5, cache_write: 1.875}\n"  # batch: line 12
    )
    [warning] = alone(write(tmp_path, body)).warnings
    assert (warning.line, warning.code) == (12, "batch-1h-undiscounted")
    fixed = body.replace("cache_write: 1.875}", "cache_write: 1.875, cache_write_1h: 3}")
    assert alone(write(tmp_path, fixed)).warnings == ()


def test_seller_percentages_written_as_fractions(tmp_path: Path) -> None:
    header = "schema_version: 1\nname: t\nsource: tests\nas_of: 2026-11-01\n"
    body = (
        "sellers:\n"  # 5
        "  gw:\n"  # 6
        "    kind: gateway\n"  # 7
        "    source: tests\n"  # 8
        "    as_of: 2026-11-01\n"  # 9
        "    markup_pct: 0.05\n"  # 10
        "    credit_fee: {pct: 0.055, min_usd: 0.8}\n"  # 11
        "    models:\n"  # 12
        "      gpt-4o: {input: 2.5}\n"  # 13: no output
    )
    report = alone(write(tmp_path, body, header=header))
    assert [(f.line, f.code) for f in report.errors] == [(13, "missing-price")]
    assert [(f.line, f.code) for f in report.warnings] == [(10, "percent-as-fraction"), (11, "percent-as-fraction")]
    assert "did you mean 5?" in report.warnings[0].message


def test_warnings_do_not_stop_loading_and_stay_available_as_data(tmp_path: Path) -> None:
    table = load_pricing([write(tmp_path, "  m:\n    input: 1\n    output: 2\n")], include_shipped=False)
    assert [w.code for w in table.warnings] == ["missing-context-window"]


# --------------------------------------------------------------------------- scope


def test_validating_a_user_table_reports_only_that_table(tmp_path: Path) -> None:
    path = write(
        tmp_path, "  acme-chat:\n    provider: acme\n    input: 0.4\n    output: 1.6\n    context_window: 32000\n"
    )
    report = validate_pricing([path])
    assert report.files == (str(path),)
    assert report.findings == ()
    assert report.models > 90  # merged with the shipped tables


def test_the_shipped_tables_validate_clean() -> None:
    report = validate_pricing(["pricing/"] if Path("pricing").is_dir() else [README.parent])
    assert report.errors == () and report.warnings == ()
    assert len(report.files) == 8 and report.sellers == 3


def test_an_override_only_table_needs_the_shipped_tables(tmp_path: Path) -> None:
    path = write(tmp_path, "  gpt-4o:\n    input: 2.00\n")
    assert validate_pricing([path]).errors == ()
    assert [e.code for e in validate_pricing([path], include_shipped=False).errors] == ["missing-price"]


def test_the_readme_complete_example_validates_clean(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    block = text.split("## A complete example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    report = alone(write(tmp_path, block, header=""))
    assert report.findings == (), [str(f) for f in report.findings]
    assert (report.models, report.sellers) == (1, 1)


def test_report_json_shape(tmp_path: Path) -> None:
    report = alone(write(tmp_path, "  m:\n    input: 0.000001\n    output: 2\n"))
    data = report.to_dict()
    assert data["schema_version"] == "2.0" and data["ok"] is False
    assert data["errors"][0] == {
        "severity": "error",
        "file": str(tmp_path / "t.yaml"),
        "line": 7,
        "field": "models.m.input",
        "code": "per-token-in-per-million",
        "message": "1e-06 looks like a per-token price; prices here are USD per million tokens (did you mean 1?)",
    }
