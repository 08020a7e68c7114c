"""The saved baseline: read BASE.json (``simulate``'s JSON), check it, and rebuild from it
what ``check`` replays the head traffic under (the base policy and the base prices).

Every way a file can be wrong is an ``InputError`` (exit 2) that names the file, says
what is wrong and how to get a good one: missing, not JSON (truncated), another tool's
JSON, an ``analyze`` report, a newer ``schema_version`` major, a ``simulate`` JSON from
an llmaudit without ``check`` support, or a policy the file does not hold.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from llmaudit.analyze.projection import DAYS_PER_MONTH
from llmaudit.check.decompose import Step
from llmaudit.errors import InputError
from llmaudit.ingest.jsonl import TooDeepError, loads
from llmaudit.pricing import PriceTable
from llmaudit.pricing.prices import build_model
from llmaudit.pricing.spec import ModelSpec
from llmaudit.report.simulate_model import SavedPolicy, SavedSimulation
from llmaudit.simulate import Policy
from llmaudit.simulate.snapshot import SNAPSHOT_TABLE, table_with_snapshot
from llmaudit.versions import MAJOR, SCHEMA_VERSION, major_of

REBUILD: Final = "build it on the base branch with `llmaudit baseline LOGS --policy POLICY.yaml -o BASE.json`"

# The file's shape is the writer's (llmaudit/report/simulate_model.py): validated against the
# same dataclasses, keys this reader does not need ignored.
_FILE: Final = TypeAdapter(SavedSimulation)

# Saved files of an older major this llmaudit still reads, each upgraded to the current shape
# by renaming its keys (old -> new) in every policy. The keys `check` reads did not change
# from 1.x to 2.x; the renames keep an upgraded file true to the current contract.
_UPGRADES: Final[dict[int, dict[str, str]]] = {1: {"savings_pct": "savings_share"}}
# The schema_version majors of the saved baselines this llmaudit reads.
READS: Final = (*sorted(_UPGRADES), MAJOR)


def _upgrade(data: dict[str, Any], major: int) -> dict[str, Any]:
    renames = _UPGRADES.get(major)
    if renames is None or not isinstance(data.get("policies"), list):
        return data  # current, or not a list: validation says what is wrong
    policies = [{renames.get(k, k): v for k, v in p.items()} if isinstance(p, dict) else p for p in data["policies"]]
    return {**data, "policies": policies, "schema_version": SCHEMA_VERSION}


@dataclass(frozen=True)
class SavedBaseline:
    """One policy of a saved simulation: what it cost, and what it takes to replay it."""

    path: str
    tool_version: str
    policy: Policy
    step: Step  # C0: the recorded cost per month, by tier, task type and routed model
    requests: int
    period_days: float
    monthly_requests: float
    digest: str
    prices: dict[str, dict[str, Any]]

    def price_table(self, head: PriceTable) -> PriceTable:
        """The base prices: ``head`` with the snapshot's models as the baseline priced them."""
        return table_with_snapshot(head, self.prices)


def _fail(path: Path, problem: str, hint: str = REBUILD) -> InputError:
    return InputError(f"baseline {path}: {problem}", hint=hint)


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _fail(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read it ({exc})") from None
    if not text.strip():
        raise _fail(path, "the file is empty")
    try:
        data = loads(text)
    except TooDeepError as exc:
        raise _fail(path, f"it is not a baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        # json reports a cut inside a string at the string's start, not at the end of the text.
        ends = exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string")
        why = "it ends in the middle of the JSON: the file is truncated" if ends else "it is not valid JSON"
        raise _fail(path, f"{why} (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(data, dict):
        raise _fail(path, f"expected a JSON object from `llmaudit baseline`, found a JSON {type(data).__name__}")
    return data


def _check_kind(path: Path, data: dict[str, Any]) -> int:
    """The file's ``schema_version`` major, once it is known to be a baseline this llmaudit reads."""
    version = data.get("schema_version")
    missing = [key for key in ("schema_version", "tool_version") if data.get(key) is None]
    if missing:
        keys = ", ".join(sorted(map(str, data))[:5]) or "none"
        raise _fail(path, f"not a file written by llmaudit (no {' or '.join(missing)}; top-level keys: {keys})")
    major = major_of(version)
    if major is None:
        raise _fail(path, f"schema_version {version!r} is not a version llmaudit writes")
    if major > MAJOR:
        raise _fail(
            path,
            f"written by a newer llmaudit (schema_version {version}; this llmaudit reads "
            f"{', '.join(f'{m}.x' for m in READS)})",
            hint="upgrade llmaudit where `check` runs, or build the baseline with the same llmaudit version",
        )
    if major not in READS:
        raise _fail(
            path,
            f"written by an older llmaudit (schema_version {version}, this one reads "
            f"{', '.join(f'{m}.x' for m in READS)})",
        )
    if "summary" in data and "policies" not in data:
        raise _fail(path, "this is `llmaudit analyze` output; check compares against a simulation")
    if "policies" not in data or "baseline" not in data:
        raise _fail(path, "not `llmaudit simulate` or `llmaudit baseline` JSON (no 'baseline' and 'policies')")
    if "traffic" not in data or "prices" not in data:
        raise _fail(
            path,
            f"written by llmaudit {data.get('tool_version')}, which does not save what `check` replays "
            "(no 'traffic' and 'prices')",
            hint="rebuild the baseline with this llmaudit version: " + REBUILD.removeprefix("build it "),
        )
    return major


def _where(loc: tuple[int | str, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def _policy_named(path: Path, report: SavedSimulation, name: str | None) -> SavedPolicy:
    names = [p.name for p in report.policies]
    if not names:
        raise _fail(path, "it holds no policy")
    if name is not None:
        for p in report.policies:
            if p.name == name:
                return p
        if len(names) > 1:
            raise _fail(
                path,
                f"it holds no policy named {name!r} (it holds: {', '.join(names)})",
                hint="name the baseline's policy with --baseline-name",
            )
    if len(names) > 1 and name is None:
        raise _fail(path, f"it holds {len(names)} policies ({', '.join(names)})", hint="pick one with --baseline-name")
    return report.policies[0]


def load_baseline(path: Path, policy_name: str | None = None) -> SavedBaseline:
    """The saved baseline of the policy called ``policy_name`` (or the file's only policy).

    A file holding one policy is used whatever its name (a pull request may rename the
    policy). Raises ``InputError`` for every problem with the file (see module doc).
    """
    data = _read(path)
    data = _upgrade(data, _check_kind(path, data))
    try:
        report = _FILE.validate_python(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(path, f"field {_where(first['loc'])}: {first['msg']}") from None
    saved = _policy_named(path, report, policy_name)
    try:
        policy = Policy.model_validate(saved.replay.document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = f"policies[{saved.name}].replay.document.{_where(first['loc'])}"
        raise _fail(path, f"the saved policy is not valid: {where}: {first['msg']}") from None
    prices: dict[str, dict[str, Any]] = {}
    for name, fields in (report.prices or {}).items():
        try:
            spec = ModelSpec.model_validate(fields)
            if spec.input is None or spec.output is None:
                raise ValueError("input and output prices are required")
            prices[name] = spec.model_dump(exclude_none=True)
            build_model(name, prices[name], SNAPSHOT_TABLE)
        except (ValidationError, ValueError) as exc:
            raise _fail(path, f"prices.{name}: not a valid price snapshot ({str(exc).splitlines()[0]})") from None
    traffic = report.traffic
    if traffic is None:  # checked in _check_kind: a file without traffic is refused there
        raise _fail(path, "it holds no 'traffic'")
    days = traffic.period_days
    if days is None or saved.projected_monthly_cost_usd is None or not traffic.monthly_requests:
        raise _fail(
            path,
            "it has no monthly projection (its logs have no timestamps or span less than an hour)",
            hint="build the baseline from logs with timestamps covering at least an hour",
        )
    months = days / DAYS_PER_MONTH
    profile = saved.replay
    # The replay at list prices, like check's own steps (the report's projected cost may be
    # billed through the policy's billing.seller, with its fees).
    step = Step(
        monthly_usd=sum(profile.cost_by_model_usd.values()) / months,
        by_tier={k: v / months for k, v in profile.cost_by_tier_usd.items()},
        by_task={k: v / months for k, v in profile.cost_by_task_usd.items()},
        by_model={k: v / months for k, v in profile.cost_by_model_usd.items()},
        unpriced_requests=profile.unpriced_requests,
    )
    return SavedBaseline(
        path=str(path),
        tool_version=report.tool_version,
        policy=policy,
        step=step,
        requests=traffic.requests,
        period_days=days,
        monthly_requests=traffic.monthly_requests,
        digest=traffic.digest,
        prices=prices,
    )
