"""Number formatting shared by findings and renderers (the only place values are rounded)."""

from __future__ import annotations

import math


def money(value: float | None) -> str:
    """USD for people: cents normally, more digits for sub-cent amounts; "n/a" for None."""
    if value is None:
        return "n/a"
    if value != value:  # NaN
        return "n/a"
    magnitude = abs(value)
    if 0 < magnitude < 0.01:
        # Three significant digits for sub-cent amounts: $0.00472, $0.00000435.
        decimals = min(12, max(2, 2 - math.floor(math.log10(magnitude))))
        text = f"{magnitude:,.{decimals}f}"
    else:
        text = f"{magnitude:,.2f}"
    return f"-${text}" if value < 0 else f"${text}"


def pct(share: float | None, digits: int = 1) -> str:
    if share is None or share != share:
        return "n/a"
    return f"{share * 100:.{digits}f}%"


def count(n: int) -> str:
    return f"{n:,}"


def tokens(n: int) -> str:
    """Compact token counts: 950, 12.3K, 4.56M, 1.20B."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            value = n / size
            return f"{value:.3g}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(n)
