"""Stale prices: a price table that priced the traffic but dates from well before it.

The rule: a table is stale when its ``as_of`` is more than ``STALE_AFTER_DAYS`` (90) days
before the *last request it prices* (the logs' last timestamp), not before today. Prices
are judged against the traffic they price, so a log from last year priced with last
year's table is fine, the same run gives the same report on any day, and no test depends
on the clock. Logs without timestamps have no date to judge against: no warning.
Only tables that set a price the traffic used count (``used``: table names).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date
from typing import Final

from llmaudit.pricing.table import PriceTable, TableInfo
from llmaudit.report.fmt import plural

STALE_AFTER_DAYS: Final = 90
REFRESH: Final = (
    "refresh them: `llmaudit pricing import litellm URL` (or `openrouter`) writes a current table to "
    "pass with --pricing; a newer llmaudit ships newer tables"
)


def stale_tables(
    tables: Iterable[TableInfo], used: Collection[str], last_request: date | None, max_age_days: int = STALE_AFTER_DAYS
) -> tuple[tuple[TableInfo, int], ...]:
    """The used tables older than ``max_age_days`` at ``last_request``, with their age in days."""
    if last_request is None:
        return ()
    ages = ((t, (last_request - t.as_of).days) for t in tables if t.name in used)
    return tuple((t, age) for t, age in ages if age > max_age_days)


def tables_pricing(table: PriceTable, names: Iterable[str]) -> set[str]:
    """The tables whose prices ``names`` (models as logged or routed to) are priced with."""
    used: set[str] = set()
    for name in names:
        hit = table.resolve(name) if name else None
        if hit is not None:
            used.update(table.get(hit.model).tables[-1:])
    return used


def stale_warning(tables: Iterable[TableInfo], used: Collection[str], last_request: date | None) -> str | None:
    """One warning naming every stale table, its date and how to refresh it (None when none is)."""
    stale = stale_tables(tables, used, last_request)
    if not stale:
        return None
    named = ", ".join(f"{t.name} (as of {t.as_of.isoformat()}, {age} days before)" for t, age in stale)
    return (
        f"{plural(len(stale), 'price table')} older than {STALE_AFTER_DAYS} days at the last request "
        f"({last_request}): {named}; prices may have changed since: {REFRESH}"
    )
