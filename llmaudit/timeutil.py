"""Dates and time zones given on the command line.

``--since`` and ``--until`` take ``YYYY-MM-DD``, ``YYYYMMDD`` (as ccusage does) or a full
ISO-8601 date-time. A bare date means the start of that day in ``--timezone``; as an
``--until`` it includes that whole day (the bound is the start of the next day), so
``--since 2026-03-01 --until 2026-03-31`` is all of March. A date-time without a zone is
read in ``--timezone`` too.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from llmaudit.errors import UsageError

_COMPACT_DATE: Final = re.compile(r"^\d{8}$")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def check_timezone(name: str) -> str:
    """The IANA time zone name, validated (``UsageError`` for an unknown one)."""
    if name.upper() == "UTC":
        return "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--timezone {name!r}: not a known time zone",
            hint="use an IANA name such as UTC, Europe/Berlin or America/New_York",
        ) from None
    return name


def parse_moment(text: str, timezone: str, *, option: str, end_of_day: bool = False) -> pd.Timestamp:
    """A UTC timestamp from a date or date-time given on the command line.

    With ``end_of_day`` a bare date means the start of the *next* day (an exclusive
    bound that includes the whole given day).
    """
    value = text.strip()
    if _COMPACT_DATE.match(value):
        value = f"{value[:4]}-{value[4:6]}-{value[6:]}"
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise UsageError(
            f"{option} {text!r}: not a date",
            hint="use YYYY-MM-DD, YYYYMMDD or an ISO-8601 date-time such as 2026-03-01T14:00:00Z",
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(timezone)
    if end_of_day and _DATE.match(value):
        stamp = (stamp.tz_localize(None) + timedelta(days=1)).tz_localize(timezone)
    return stamp.tz_convert("UTC")
