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

import math
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
class Remedy:
    """What a failed check needs to pass, computed from the thresholds it crossed.

    ``reduce_by_usd`` brings the projected monthly cost down to ``target_monthly_usd``, the
    most every crossed cost threshold allows (None when only unpriced traffic failed, or
    when no cost passes). ``raise_limits`` is the least value of each crossed threshold
    that lets the head pass (all of them together). Cents are rounded the safe way: the
    reduction up, the target down, a raised dollar limit up; a percent up to 0.1.
    """

    reduce_by_usd: float | None
    target_monthly_usd: float | None
    raise_limits: dict[str, float]
    price_unpriced: bool  # unpriced head traffic failed: price its models
    intended_increase: bool  # the cost rises: a new baseline accepts it


@dataclass(frozen=True)
class Verdict:
    passed: bool
    quiet: bool  # the change is below ``min_change_usd``: nothing material moved
    failures: tuple[Failure, ...]
    to_pass: Remedy | None = None  # None when it passed


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
    to_pass = remedy(baseline_monthly, head_monthly, failures) if failures else None
    return Verdict(passed=not failures, quiet=quiet and not failures, failures=tuple(failures), to_pass=to_pass)


def _cents_up(value: float) -> float:
    # round() first: 0.1 + 0.2 style noise must not add a cent.
    return math.ceil(round(value * 100, 6)) / 100


def _cents_down(value: float) -> float:
    return math.floor(round(value * 100, 6)) / 100


def remedy(baseline_monthly: float, head_monthly: float, failures: list[Failure]) -> Remedy:
    """The least change of cost, or of each crossed limit, that passes (see ``Remedy``)."""
    allowed: list[float] = []  # the highest head cost each crossed cost threshold allows
    limits: dict[str, float] = {}
    for f in failures:
        if f.threshold == "max_increase_pct":
            allowed.append(baseline_monthly * (1 + f.limit / 100))
            if math.isfinite(f.value):  # from $0 no percent is enough
                limits[f.threshold] = math.ceil(round(f.value * 10, 6)) / 10
        elif f.threshold == "max_increase_usd":
            allowed.append(baseline_monthly + f.limit)
            limits[f.threshold] = _cents_up(f.value)
        elif f.threshold == "max_monthly_usd":
            allowed.append(f.limit)
            limits[f.threshold] = _cents_up(f.value)
    target = _cents_down(min(allowed)) if allowed else None
    reduce_by = _cents_up(head_monthly - target) if target is not None and target >= 0 else None
    return Remedy(
        reduce_by_usd=reduce_by,
        target_monthly_usd=target if reduce_by is not None else None,
        raise_limits=limits,
        price_unpriced=any(f.threshold == "fail_on_unpriced" for f in failures),
        intended_increase=head_monthly > baseline_monthly,
    )
