"""The gate: which thresholds a change crosses, each said with by how much.

Thresholds (flags win over the config file's ``check:`` section), all on the projected
monthly cost in USD:

- ``max_increase_pct``: it may rise at most this many percent;
- ``max_increase_usd``: ... at most this many dollars a month;
- ``max_monthly_usd``: a budget it must stay within;
- ``fail_on_unpriced``: fail when head traffic goes to a model without a price (its
  cost is unknown, so the projection is too low);
- ``min_change_usd``: a change smaller than this (either way) is noise: the increase
  thresholds are not applied and the report says there is no material change. The
  budget and unpriced checks still apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from llmaudit.config import Thresholds
from llmaudit.report.fmt import money, pct, plural

ThresholdName = Literal["max_increase_pct", "max_increase_usd", "max_monthly_usd", "fail_on_unpriced"]


@dataclass(frozen=True)
class Failure:
    """A threshold crossed: its name, the limit, the value that crossed it and a sentence."""

    threshold: ThresholdName
    limit: float
    value: float
    message: str


@dataclass(frozen=True)
class Verdict:
    passed: bool
    quiet: bool  # the change is below ``min_change_usd``: nothing material moved
    failures: tuple[Failure, ...]


def judge(baseline_monthly: float, head_monthly: float, unpriced_requests: int, t: Thresholds) -> Verdict:
    """Apply ``t`` to a change in projected monthly cost (USD) and the head's unpriced requests."""
    change = head_monthly - baseline_monthly
    rel = change / baseline_monthly if baseline_monthly else None
    quiet = t.min_change_usd is not None and abs(change) < t.min_change_usd
    failures: list[Failure] = []
    if not quiet and t.max_increase_pct is not None and change > 0:
        if rel is None:
            failures.append(
                Failure(
                    "max_increase_pct",
                    t.max_increase_pct,
                    float("inf"),
                    f"projected monthly cost rises from $0 to {money(head_monthly)}: "
                    f"no increase in percent is within {t.max_increase_pct:g}%",
                )
            )
        elif rel * 100 > t.max_increase_pct:
            failures.append(
                Failure(
                    "max_increase_pct",
                    t.max_increase_pct,
                    rel * 100,
                    f"projected monthly cost rises {pct(rel)}, above the {t.max_increase_pct:g}% allowed "
                    f"(by {rel * 100 - t.max_increase_pct:.1f} percentage points)",
                )
            )
    if not quiet and t.max_increase_usd is not None and change > t.max_increase_usd:
        failures.append(
            Failure(
                "max_increase_usd",
                t.max_increase_usd,
                change,
                f"projected monthly cost rises {money(change)}, above the {money(t.max_increase_usd)} allowed "
                f"(by {money(change - t.max_increase_usd)})",
            )
        )
    if t.max_monthly_usd is not None and head_monthly > t.max_monthly_usd:
        failures.append(
            Failure(
                "max_monthly_usd",
                t.max_monthly_usd,
                head_monthly,
                f"projected monthly cost {money(head_monthly)} exceeds the {money(t.max_monthly_usd)} budget "
                f"(by {money(head_monthly - t.max_monthly_usd)})",
            )
        )
    if t.fail_on_unpriced and unpriced_requests:
        failures.append(
            Failure(
                "fail_on_unpriced",
                0,
                unpriced_requests,
                f"{plural(unpriced_requests, 'request')} go to models without a price (their cost is unknown); "
                "add the models to a price table (--pricing)",
            )
        )
    return Verdict(passed=not failures, quiet=quiet and not failures, failures=tuple(failures))
