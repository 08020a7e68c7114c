"""Field values that must not slip through or crash (issue 18): timestamps, NaN, billed costs.

Expected figures are worked out by hand in each test's comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from llmaudit.analyze.projection import projection
from llmaudit.cli import main
from llmaudit.ingest import columns as col
from tests.check.project import SECONDS_PER_MONTH, write_project
from tests.conftest import read_all, write_lines

# Numpy's RuntimeWarnings (an invalid cast, an overflow) mean a bad value reached arithmetic.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

DAY = 86_400
MARCH = 1_740_787_200  # 2025-03-01T00:00:00Z


def openai_line(i: int, created: object, prompt: object = 1000) -> str:
    return json.dumps(
        {
            "id": f"c{i}",
            "object": "chat.completion",
            "created": created,
            "model": "gpt-4o",
            "usage": {"prompt_tokens": prompt, "completion_tokens": 100},
        }
    )


# ---- timestamps (18.1, 18.10) ------------------------------------------------------------


def test_out_of_range_text_and_epochs_clamp_instead_of_raising() -> None:
    stamps = col.timestamps(pa.array(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "2025-03-01T00:00:00Z", None]))
    assert stamps[0].year == 2262
    assert stamps[1].year == 1677
    assert stamps[2] == pd.Timestamp("2025-03-01", tz="UTC")
    assert pd.isna(stamps[3])
    naive = col.timestamps(pa.array(["9999-12-31 10:00:00", "2025-03-01 10:00:00"]))  # the pandas path
    assert naive[0].year == 2262 and naive[1] == pd.Timestamp("2025-03-01 10:00", tz="UTC")
    epochs = col.timestamps(pa.array([1e300, -np.inf, np.nan, 1_740_787_200.0]))
    assert epochs[0].year == 2262 and epochs[1].year == 1677
    assert pd.isna(epochs[2]) and epochs[3] == pd.Timestamp("2025-03-01", tz="UTC")
    typed = col.timestamps(pa.array([253402300799, None], pa.timestamp("s")))  # 9999-12-31 in seconds
    assert typed[0].year == 2262 and pd.isna(typed[1])
    # A struct is no time at all: unreadable (NaT), the record is kept.
    assert col.timestamps(pa.array([{}, {}], pa.struct([]))).isna().all()


@pytest.mark.parametrize("created", [0, -1, 100, "100", "0", 4102444800])
def test_implausible_timestamps_skip_the_record(tmp_path: Path, created: object) -> None:
    good = [openai_line(i, MARCH + i * DAY) for i in range(3)]
    path = write_lines(tmp_path / "log.jsonl", [*good, openai_line(9, created)])
    frame, stats = read_all(path)
    assert len(frame) == 3 and stats.skipped == {"implausible_timestamp": 1}
    assert stats.examples["implausible_timestamp"] == [f"{path}:4"]
    assert frame["timestamp"].min() == pd.Timestamp("2025-03-01", tz="UTC")


def test_now_is_injectable_and_a_day_of_clock_skew_is_allowed(tmp_path: Path) -> None:
    # now = 2025-03-10: 2025-03-11T00:00 is exactly a day ahead (kept), 2025-03-11T00:00:01 is not.
    now = pd.Timestamp("2025-03-10", tz="UTC")
    lines = [openai_line(1, MARCH), openai_line(2, MARCH + 10 * DAY), openai_line(3, MARCH + 10 * DAY + 1)]
    frame, stats = read_all(write_lines(tmp_path / "log.jsonl", lines), now=now)
    assert frame["request_id"].tolist() == ["c1", "c2"] and stats.skipped == {"implausible_timestamp": 1}
    # The same file read "today" (2026 or later) keeps all three.
    frame, stats = read_all(tmp_path / "log.jsonl")
    assert len(frame) == 3


def test_strict_fails_on_an_implausible_timestamp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_lines(tmp_path / "log.jsonl", [openai_line(1, MARCH), openai_line(2, 0)])
    assert main(["analyze", str(path), "--strict"]) == 2
    assert f"{path}:2: a timestamp before 2020-01-01" in capsys.readouterr().err


def test_sparse_period_is_flagged() -> None:
    first = pd.Timestamp("2025-03-01", tz="UTC")
    # 30 days, traffic on 10 of the 31 calendar days: under half, flagged.
    monthly, days, note = projection(30.0, first, first + pd.Timedelta(days=30), active=10)
    assert days == 30.0 and monthly == pytest.approx(30.0 * 30.4375 / 30)
    assert note is not None and "only 10 of the 31 days" in note
    # 16 of 31 is over half: no note; neither for a short period.
    assert projection(30.0, first, first + pd.Timedelta(days=30), active=16)[2] is None
    assert "weekly cycles" in (projection(3.0, first, first + pd.Timedelta(days=3), active=1)[2] or "")


def test_analyze_warns_about_a_sparse_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Two days of traffic a month apart: 2 of 32 calendar days.
    path = write_lines(tmp_path / "log.jsonl", [openai_line(1, MARCH), openai_line(2, MARCH + 31 * DAY)])
    assert main(["analyze", str(path), "-f", "json"]) == 0
    warnings = json.loads(capsys.readouterr().out)["warnings"]
    assert any("only 2 of the 32 days" in w for w in warnings)


def test_check_budget_is_not_dodged_by_a_1970_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The project costs $25.00 a month (tests/check/project.py); one more record dated 1970 used to
    # stretch the period to 56 years and project $0.04, passing a $20 budget.
    root = write_project(tmp_path)
    log = root / "logs" / "requests.jsonl"
    record = json.loads(log.read_text().splitlines()[0])
    record["timestamp"] = "1970-01-01T00:00:00Z"
    record["response"]["id"] = "r-1970"
    log.write_text(log.read_text() + json.dumps(record) + "\n")
    args = ["check", "--config", str(root / "llmaudit.yaml"), "-q", "--baseline-policy", str(root / "policy.yaml")]
    code = main([*args, "--max-monthly-usd", "20", "-f", "json"])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert json.loads(out)["head"]["monthly_cost_usd"] == pytest.approx(25.00, abs=0.01)


def test_check_notes_a_sparse_period(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The project's 20 requests spread over one month, plus one 5 months later: 21 active days of 183.
    root = write_project(tmp_path)
    log = root / "logs" / "requests.jsonl"
    record = json.loads(log.read_text().splitlines()[0])
    record["timestamp"] = pd.Timestamp(1_767_225_600 + 6 * SECONDS_PER_MONTH, unit="s").isoformat() + "Z"
    record["response"]["id"] = "r-late"
    log.write_text(log.read_text() + json.dumps(record) + "\n")
    args = ["check", "--config", str(root / "llmaudit.yaml"), "-q", "--baseline-policy", str(root / "policy.yaml")]
    assert main([*args, "-f", "json"]) in (0, 1)
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert any("sparse" in n and "of the 183 days" in n for n in notes), notes


# ---- NaN is not a number (18.2); field absent stays "not given" ---------------------------


def test_nan_token_count_is_invalid_but_an_absent_one_is_not(tmp_path: Path) -> None:
    lines = [
        openai_line(1, MARCH),  # no cached_tokens at all: 0 cache reads
        '{"id":"c2","object":"chat.completion","created":1740787200,"model":"gpt-4o",'
        '"usage":{"prompt_tokens":1000,"completion_tokens":100,"prompt_tokens_details":{"cached_tokens":NaN}}}',
        '{"id":"c3","object":"chat.completion","created":1740787200,"model":"gpt-4o",'
        '"usage":{"prompt_tokens":1000,"completion_tokens":100,"prompt_tokens_details":{"cached_tokens":null}}}',
    ]
    frame, stats = read_all(write_lines(tmp_path / "log.jsonl", lines))
    assert frame["request_id"].tolist() == ["c1", "c3"]
    assert frame["cache_read_tokens"].tolist() == [0, 0]
    assert stats.skipped == {"invalid_field": 1}
    assert "field usage.prompt_tokens_details.cached_tokens" in stats.details["invalid_field"]


def test_csv_nan_is_invalid_in_a_number_column_and_empty_in_a_text_column(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "log.csv",
        ["model,prompt_tokens,completion_tokens,user", "gpt-4o,10,5,nan", "gpt-4o,NaN,5,u1", "gpt-4o,-nan,5,u1"],
    )
    frame, stats = read_all(path)
    assert frame["input_tokens"].tolist() == [10] and pd.isna(frame["user"][0])
    assert stats.skipped == {"invalid_field": 2}
    assert "column 'prompt_tokens' (input_tokens): 'NaN' is not a number" in stats.details["invalid_field"]


def test_parquet_nan_is_invalid_and_null_is_absent(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "log.parquet"
    table = pa.table(
        {
            "model": ["gpt-4o"] * 3,
            "input_tokens": pa.array([10.0, float("nan"), 30.0]),
            "output_tokens": [1, 2, 3],
            "cached_tokens": pa.array([None, 0, 5], pa.int64()),
        }
    )
    pq.write_table(table, path)
    frame, stats = read_all(path)
    assert frame["input_tokens"].tolist() == [10, 30] and frame["cache_read_tokens"].tolist() == [0, 5]
    assert stats.skipped == {"invalid_field": 1}
    assert "column 'input_tokens' (input_tokens): nan is not a number" in stats.details["invalid_field"]


@pytest.mark.parametrize(
    ("column", "typ"),
    [
        (pa.array([[1], [2]], pa.list_(pa.int64())), "list<"),
        (pa.array([{"n": 1}, {"n": 2}]), "struct<"),
        (pa.array([True, False]), "bool"),
    ],
)
def test_parquet_token_column_of_the_wrong_type_is_an_error_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], column: pa.Array, typ: str
) -> None:
    import pyarrow.parquet as pq

    path = tmp_path / "log.parquet"
    pq.write_table(pa.table({"model": ["gpt-4o"] * 2, "input_tokens": [1, 2], "output_tokens": column}), path)
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: column 'output_tokens' (output_tokens) holds {typ}" in err and "Traceback" not in err


# ---- lone surrogates (18.9) ---------------------------------------------------------------


def test_a_lone_surrogate_becomes_the_replacement_character(tmp_path: Path) -> None:
    def wrapped(i: int, user: str) -> str:
        # The escape is spliced in as JSON text: json.dumps would refuse a lone surrogate.
        response = json.dumps(json.loads(openai_line(i, MARCH)))
        request = f'{{"model": "gpt-4o", "user": "{user}", "messages": [{{"role": "user", "content": "hi {user}"}}]}}'
        return f'{{"timestamp": "2025-03-01T10:00:00Z", "request": {request}, "response": {response}}}'

    frame, stats = read_all(write_lines(tmp_path / "log.jsonl", [wrapped(1, "\\ud83d"), wrapped(2, "\\ud83d\\ude00")]))
    assert frame["user"].tolist() == ["\ufffd", "\U0001f600"]  # a whole pair is the emoji it encodes
    assert frame["prompt_text"].tolist() == ["user: hi \ufffd", "user: hi \U0001f600"]
    assert not stats.skipped


# ---- billed costs (18.3) ------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["-50", "inf", "-inf", "1e30", "1000.01"])
def test_an_impossible_billed_cost_is_dropped_and_the_request_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    # gpt-4o lists at $2.50/M input and $10/M output: 1,000 in + 100 out = $0.0025 + $0.0010 = $0.0035,
    # billed exactly so on three rows; the fourth row's bill is impossible and must not count.
    rows = [f"r{i},2025-03-0{i}T10:00:00Z,gpt-4o,1000,100,0.0035" for i in (1, 2, 3)]
    path = write_lines(
        tmp_path / "log.csv",
        [
            "request_id,timestamp,model,input_tokens,output_tokens,cost_usd",
            *rows,
            f"r4,2025-03-04T10:00:00Z,gpt-4o,1000,100,{bad}",
        ],
    )
    assert main(["analyze", str(path), "-f", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["requests"] == 4 and report["summary"]["total_cost_usd"] == pytest.approx(0.014)
    (row,) = report["reconciliation"]
    assert row["requests"] == 3 and row["billed_usd"] == pytest.approx(0.0105) and row["verdict"] == "matches"
    assert any(w.startswith("1 billed cost dropped: negative, not finite or above $1,000") for w in report["warnings"])


def test_a_billed_cost_of_exactly_the_bound_or_zero_is_kept(tmp_path: Path) -> None:
    lines = [
        '{"id":"c1","status":"success","model":"gpt-4o","startTime":1740787200,"prompt_tokens":1,'
        '"completion_tokens":1,"response_cost":1000}',
        '{"id":"c2","status":"success","model":"gpt-4o","startTime":1740787200,"prompt_tokens":1,'
        '"completion_tokens":1,"response_cost":0}',
        '{"id":"c3","status":"success","model":"gpt-4o","startTime":1740787200,"prompt_tokens":1,'
        '"completion_tokens":1,"response_cost":Infinity}',
    ]
    frame, stats = read_all(write_lines(tmp_path / "log.jsonl", lines))
    assert frame["source_cost_usd"].tolist()[:2] == [1000.0, 0.0] and np.isnan(frame["source_cost_usd"][2])
    assert stats.warnings == {"billed_cost_dropped": 1}


def test_reconciliation_ignores_impossible_bills_it_is_handed() -> None:
    from llmaudit.analyze.reconcile import BillAccumulator

    priced = pd.DataFrame(
        {
            "source_cost_usd": [1.0, -50.0, np.inf, 2.0],
            "cost_usd": [1.0, 1.0, 1.0, 2.0],
            "provider": ["openai"] * 4,
            "priced_provider": ["openai"] * 4,
            "priced_model": ["gpt-4o"] * 4,
            "model": ["gpt-4o"] * 4,
        }
    )
    acc = BillAccumulator()
    acc.update(priced)
    (row,) = acc.rows()
    assert (row.requests, row.billed_usd, row.list_usd, row.verdict) == (2, 3.0, 3.0, "matches")


# ---- no RuntimeWarning from finalize (18, smaller) ---------------------------------------


def test_absurd_and_infinite_counts_skip_without_a_runtime_warning(tmp_path: Path) -> None:
    lines = [openai_line(1, MARCH, prompt=1e30), openai_line(2, MARCH, prompt="inf"), openai_line(3, MARCH, prompt=5)]
    frame, stats = read_all(write_lines(tmp_path / "log.jsonl", lines))  # pytestmark: warnings are errors
    assert frame["input_tokens"].tolist() == [5] and stats.skipped == {"absurd_tokens": 2}


def test_explicit_epoch_unit_out_of_range_is_implausible_not_undated(tmp_path: Path) -> None:
    # timestamp_unit: s: 1e15 s is beyond year 2262 and inf is no time: both implausible, no warning.
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "fields:\n  timestamp: t\n  input_tokens: i\n  output_tokens: o\n"
        "timestamp_unit: s\ndefaults:\n  model: gpt-4o\n"
    )
    path = write_lines(tmp_path / "u.csv", ["t,i,o", "1740787200,10,1", "1e15,10,1", "inf,10,1", ",10,1"])
    frame, stats = read_all(path, input_format="generic", format_options={"generic": {"mapping": str(mapping)}})
    assert stats.skipped == {"implausible_timestamp": 2}
    assert frame["timestamp"].iloc[0] == pd.Timestamp("2025-03-01", tz="UTC") and pd.isna(frame["timestamp"].iloc[1])
