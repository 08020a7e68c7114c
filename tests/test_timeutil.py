"""Command-line dates and time zones."""

from __future__ import annotations

import pandas as pd
import pytest

from llmaudit.errors import UsageError
from llmaudit.timeutil import check_timezone, parse_moment


@pytest.mark.parametrize(
    ("text", "tz", "end", "expected"),
    [
        ("2026-03-01", "UTC", False, "2026-03-01T00:00:00Z"),
        ("20260301", "UTC", False, "2026-03-01T00:00:00Z"),
        # an --until date includes that whole day: the bound is the next midnight
        ("2026-03-31", "UTC", True, "2026-04-01T00:00:00Z"),
        # dates are midnights in the chosen zone: Berlin is UTC+1 in March (before DST on the 29th)
        ("2026-03-01", "Europe/Berlin", False, "2026-02-28T23:00:00Z"),
        # the day of the DST change is 23 hours long: next midnight is 22:00 UTC
        ("2026-03-29", "Europe/Berlin", True, "2026-03-29T22:00:00Z"),
        # a date-time is exclusive as given; without a zone it is read in the chosen zone
        ("2026-03-01T14:30:00", "America/New_York", True, "2026-03-01T19:30:00Z"),
        ("2026-03-01T14:30:00Z", "America/New_York", False, "2026-03-01T14:30:00Z"),
    ],
)
def test_parse_moment(text: str, tz: str, end: bool, expected: str) -> None:
    assert parse_moment(text, tz, option="--since", end_of_day=end) == pd.Timestamp(expected)


@pytest.mark.parametrize("text", ["yesterday", "2026-13-40", "3/1/26x"])
def test_bad_dates_name_the_option(text: str) -> None:
    with pytest.raises(UsageError, match=f"--until {text!r}: not a date"):
        parse_moment(text, "UTC", option="--until")


def test_time_zones() -> None:
    assert check_timezone("utc") == "UTC"
    assert check_timezone("Asia/Shanghai") == "Asia/Shanghai"
    with pytest.raises(UsageError, match="not a known time zone"):
        check_timezone("Mars/Olympus")
