"""The version of every JSON document llmaudit writes, and the older versions it still reads.

One ``schema_version`` for every JSON output (``analyze``, ``simulate``, ``check``,
``baseline``, ``pricing ... --format json``): the string ``"MAJOR.MINOR"``. A new key is a
minor bump; a key removed, renamed or changing meaning is a major bump.

History:

- ``1.0``: analyze/simulate/check JSON (pricing JSON wrote the integer ``1``). Keys named
  ``*_pct`` held shares (``savings_pct: 0.23`` meant 23%).
- ``2.0``: one string version everywhere; a key ending in ``_pct`` holds percents (0-100
  scale, like ``--max-increase-pct``); shares are named ``*_share``: ``savings_pct`` ->
  ``savings_share``, ``gap_pct`` -> ``gap_share``, ``change_pct`` -> ``change_share``,
  ``pct_of_baseline`` -> ``share_of_baseline``. ``check``'s ``verdict.to_pass`` is new.
"""

from __future__ import annotations

from typing import Final

SCHEMA_VERSION: Final = "2.0"
MAJOR: Final = int(SCHEMA_VERSION.split(".")[0])


def major_of(version: object) -> int | None:
    """The major number of a ``schema_version`` as written (``"1.0"``, ``1``); None if it is not one."""
    if isinstance(version, bool) or not isinstance(version, (str, int)):
        return None
    head = str(version).split(".")[0]
    return int(head) if head.isdigit() else None
