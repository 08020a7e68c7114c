"""Number formatting shared by findings and renderers (the only place values are rounded)."""

from __future__ import annotations

import math


def money(value: float | None) -> str:
    """USD for people: cents from $1 up; three significant digits below ($0.0510, $0.00472)."""
    if value is None or value != value:  # None or NaN
        return "n/a"
    magnitude = abs(value)
    if 0 < magnitude < 1:
        decimals = min(12, max(2, 2 - math.floor(math.log10(magnitude))))
        text = f"{magnitude:,.{decimals}f}"
    else:
        text = f"{magnitude:,.2f}"
    return f"-${text}" if value < 0 else f"${text}"


def pct(share: float | None, digits: int = 1) -> str:
    if share is None or share != share:
        return "n/a"
    return f"{share * 100:.{digits}f}%"


def signed(value: float | None, zero: float = 0.0) -> str:
    """``+$1.20``, ``-$0.40``, ``n/a``; ``$0.00`` when closer to nothing than ``zero``."""
    if value is not None and abs(value) < zero:
        value = 0.0
    return ("+" if value is not None and value > 0 else "") + money(value)


def signed_pct(share: float | None, zero: float = 0.0) -> str:
    """``+12.5%``, ``-3.0%``, ``n/a``; ``0.0%`` when closer to nothing than ``zero``."""
    if share is not None and abs(share) < zero:
        share = 0.0
    return ("+" if share is not None and share > 0 else "") + pct(share)


def count(n: int) -> str:
    return f"{n:,}"


def tokens(n: int) -> str:
    """Compact token counts: 950, 12.3K, 4.56M, 1.20B."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(n) >= size:
            value = n / size
            return f"{value:.3g}{suffix}" if value < 100 else f"{value:.0f}{suffix}"
    return str(n)


def plural(n: int, word: str, plural_form: str | None = None) -> str:
    """``1 request``, ``3 requests`` (thousands separated)."""
    return f"{n:,} {word if n == 1 else (plural_form or word + 's')}"
