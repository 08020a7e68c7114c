"""From the cost of the logged period to a monthly figure, and when not to give one."""

from __future__ import annotations

from typing import Final

import pandas as pd

DAYS_PER_MONTH: Final = 365.25 / 12
SHORT_PERIOD_DAYS: Final = 7.0
# Below an hour of traffic a monthly figure is noise, so none is given.
MIN_PROJECTION_DAYS: Final = 1.0 / 24
# Traffic on fewer than this share of a week-or-longer period's days: the projection,
# which spreads the cost over the whole period, is suspect (a stray timestamp far from
# the rest, or a gap in the logs).
SPARSE_SHARE: Final = 0.5


def sparse_note(days: float | None, active: int | None) -> str | None:
    """A warning when traffic falls on under ``SPARSE_SHARE`` of a period's days (7 days or longer)."""
    if days is None or active is None or days < SHORT_PERIOD_DAYS:
        return None
    span = int(days) + 1  # calendar days the period touches, at least
    if active >= SPARSE_SHARE * span:
        return None
    return (
        f"requests fall on only {active} of the {span} days between the first and the last: the monthly "
        "projection spreads the cost over the whole period, so check for stray timestamps or gaps in the logs"
    )


def projection(
    total: float, first: pd.Timestamp | None, last: pd.Timestamp | None, active: int | None = None
) -> tuple[float | None, float | None, str | None]:
    """(projected monthly USD or None, period in days or None, a note for the reader or None).

    The period runs from the first to the last timestamp; the cost is scaled by
    ``DAYS_PER_MONTH / days``. With ``active`` (days carrying traffic) a mostly empty
    period is noted (``sparse_note``).
    """
    if first is None or last is None:
        return None, None, "no timestamps in the logs: the monthly projection needs them"
    days = (last - first).total_seconds() / 86400.0
    if days < MIN_PROJECTION_DAYS:
        return (
            None,
            days,
            (f"the logs span {days * 24 * 60:.0f} minutes: a monthly projection needs at least an hour of traffic"),
        )
    projected = total * DAYS_PER_MONTH / days
    note = sparse_note(days, active)
    if days < SHORT_PERIOD_DAYS:
        hours = days * 24
        span = f"{hours:.1f} hours" if hours < 48 else f"{days:.1f} days"
        note = f"projected from only {span} of traffic; weekly cycles are not captured, treat it as rough"
    return projected, days, note
