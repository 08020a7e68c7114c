"""Replay priced requests under one routing policy, whole columns at a time.

For every request the policy decides where it goes, what its tokens are there and what
it costs, as an *expected* value (a cascade escalates a share of requests, a failure
retries at the model's failure rate). Requests no rule matches, requests that failed in
the logs and unpriced requests keep their logged model and cost, so the identity policy
(no routes, no response cache) reproduces ``analyze`` to the cent.

For the requests a route matches:

1. candidates: the route's model, or its tier's models; a ``quality_floor`` (by
   complexity tier, after ``round_up``) lifts a lower destination to the floor's tier;
2. a candidate must offer what the request needs (tools when it offered tools, the
   route's ``requires``), be within the route's ``latency_budget_ms`` (its
   ``models.<name>.latency_ms``, else its median logged latency) and fit its context
   window and output limit with the tokens as that model would count them; when none
   fits, the route's fallbacks, then the tiers above are tried, then the request keeps
   its model (counted as a context failover);
3. the cheapest fitting candidate wins.

On the new model input tokens scale by the tokenizer ratio of the two providers,
visible output by the model's ``output_ratio``; reasoning tokens survive only on a
model that reasons; prompt-cache reads and writes survive only where the model supports
prompt caching (else they are paid as plain input).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.errors import ConfigError
from llmaudit.pricing import ModelPrice, PriceTable
from llmaudit.pricing.cost import TOOL_INPUTS, costs_of, mode_codes, model_index
from llmaudit.schema import COLLECTED, ROUTED, UNTAGGED_TASK, UNTAGGED_TIER, untagged_mask
from llmaudit.simulate.context import ReplayContext
from llmaudit.simulate.match import _categorical, match_mask, model_codes, names_of
from llmaudit.simulate.policy import Policy, Route, RouteMatch, Target
from llmaudit.simulate.response_cache import cache_hits

NO_RULE: Final = "no rule matched: original model"
KEPT_FAILED: Final = "failed in the logs: kept as logged"
KEPT_UNPRICED: Final = "unpriced: kept as logged"
KEPT_UNTAGGED: Final = "untagged: kept as logged"
TOKENS: Final = ("input_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens")
OUTPUTS: Final = ("output_tokens", "reasoning_tokens")


@dataclass(frozen=True)
class Replayed:
    """Per-request outcome of one policy, aligned with the input rows."""

    routed_model: np.ndarray  # object: the model the request goes to (first, for a cascade)
    path: np.ndarray  # object: "model", "a -> b (cascade)", "cache hit"
    reason: np.ndarray  # object: the rule that decided, or why the request kept its model
    cost_usd: np.ndarray  # float: expected cost under the policy (NaN when unpriced)
    cache_hit: np.ndarray  # bool
    context_failover: np.ndarray  # bool
    rerouted: np.ndarray  # bool: the model changed
    reprice: Callable[[PriceTable], np.ndarray] | None = field(default=None, repr=False, compare=False)
    """The same calls priced by another table (a seller's prices); see :class:`Repricer`."""
    then_model: np.ndarray | None = None  # object: a cascade's second model (None where no cascade)
    escalation: np.ndarray | None = None  # float: the share sent on to ``then_model`` (0 where no cascade)
    model_names: np.ndarray | None = field(default=None, repr=False, compare=False)
    """Object array of model names ``routed_codes`` and ``original_codes`` index (-1: no name)."""
    routed_codes: np.ndarray | None = field(default=None, repr=False, compare=False)
    original_codes: np.ndarray | None = field(default=None, repr=False, compare=False)


def distinct(codes: np.ndarray) -> np.ndarray:
    """The distinct non-negative values of small integer ``codes``, ascending (-1 left out).

    One counting pass: ``np.unique`` sorts or hashes all rows, several times slower here.
    """
    return np.flatnonzero(np.bincount(codes[codes >= 0])) if len(codes) else np.zeros(0, dtype=np.intp)


def prepare(frame: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """The routing stage's column (``schema.ROUTED``): ``effective_tier``, the tier after round-up."""
    COLLECTED.require(frame, "replay")
    task = frame["task_type"]
    effective = frame["complexity_tier"].fillna(UNTAGGED_TIER).astype(np.int64).to_numpy()
    if policy.round_up is not None:
        low = frame["tag_confidence"].fillna(0).to_numpy() < policy.round_up.below_confidence
        effective = np.where(low, np.minimum(effective + 1, 3), effective)
    return frame.assign(task_type=task.fillna(UNTAGGED_TASK), effective_tier=effective)


@dataclass(frozen=True)
class _View:
    """The columns pricing reads, gathered once for some rows (a candidate loop reuses them)."""

    rows: np.ndarray
    tokens: dict[str, np.ndarray]
    original: np.ndarray  # model codes
    orig_ratio: np.ndarray | None  # None: no tokenizer ratios in the policy
    mode: np.ndarray

    def take(self, sel: np.ndarray) -> _View:
        if sel.dtype == bool and len(sel) == len(self.rows) and sel.all():
            return self  # every row: the arrays are only read, never written
        return _View(
            self.rows[sel],
            {name: values[sel] for name, values in self.tokens.items()},
            self.original[sel],
            None if self.orig_ratio is None else self.orig_ratio[sel],
            self.mode[sel],
        )


class _Replayer:
    def __init__(self, frame: pd.DataFrame, table: PriceTable, policy: Policy, context: ReplayContext):
        self.frame = ROUTED.require(frame, "routing")
        self.table = table
        self.policy = policy
        self.failure_rates = context.failure_rates
        self.bill = table  # prices the chosen calls; routing always compares self.table's prices
        # Models as integer codes into self.names (grows with the policy's models): names
        # are compared and grouped as integers, never as a million strings.
        self.original_codes, names = model_codes(frame)
        self.names = list(names)
        self.code = {name: i for i, name in enumerate(self.names)}
        self.modes = mode_codes(frame["pricing_mode"])
        # Token columns and tokenizer ratios as arrays, once: every candidate model reads them.
        # Server-side tool calls go with the request; the routed model's per-call fees bill them.
        # A tool column with no call in the whole log is left out: pricing skips a column
        # of zeros anyway (``cost._tool_costs``), and every view would gather it again.
        carried = {name: frame[name].to_numpy(dtype=np.float64) for name in (*TOKENS, *OUTPUTS, *TOOL_INPUTS)}
        self.token_arrays = {name: v for name, v in carried.items() if name not in TOOL_INPUTS or v.any()}
        self.count = len(frame)  # rows in the log
        self.orig_ratio = (
            frame["priced_provider"].astype(object).map(policy.tokenizer_ratios).fillna(1.0).to_numpy(dtype=np.float64)
            if policy.tokenizer_ratios
            else None
        )
        self.tool_count = frame["tool_count"].to_numpy()
        self.tiers = {name: [self._model(m, f"tiers.{name}") for m in models] for name, models in policy.tiers.items()}
        self.model_rank = {m: policy.tier_rank(t) for t, models in self.tiers.items() for m in models}
        task = _categorical(frame["task_type"])
        self.task_codes, self.task_names = task.codes, [str(x) for x in task.categories]
        budgets = any(route.latency_budget_ms is not None for route in policy.routes)
        self.latency = self._expected_latency(context.latency_ms) if budgets else {}

    def _expected_latency(self, medians: dict[str, float]) -> dict[str, float]:
        """Per model, the latency a route's ``latency_budget_ms`` is held against: the policy's
        ``models.<name>.latency_ms``, else the median logged latency of the model's successful
        requests (a failure's latency says little about an answer's), over the whole log."""
        expected = dict(medians)
        for name, traits in self.policy.models.items():
            if traits.latency_ms is not None:
                hit = self.table.resolve(name)
                expected[hit.model if hit is not None else name] = traits.latency_ms
        return expected

    @property
    def original(self) -> np.ndarray:
        """The logged (priced) model of every row, as objects."""
        return names_of(self.original_codes, np.array(self.names, dtype=object))

    def code_of(self, model: str) -> int:
        """``model``'s code, registering the name when new."""
        code = self.code.get(model)
        if code is None:
            code = self.code[model] = len(self.names)
            self.names.append(model)
        return code

    def view(self, rows: np.ndarray) -> _View:
        if len(rows) == self.count and (not self.count or (rows[0] == 0 and rows[-1] == self.count - 1)):
            # Every row, in order (``rows`` is ascending and distinct): the arrays themselves, as
            # the replay only reads a view's arrays; a route matching all traffic copies nothing.
            return _View(rows, self.token_arrays, self.original_codes, self.orig_ratio, self.modes)
        ratio = None if self.orig_ratio is None else self.orig_ratio[rows]
        tokens = {name: values[rows] for name, values in self.token_arrays.items()}
        return _View(rows, tokens, self.original_codes[rows], ratio, self.modes[rows])

    # -- names --------------------------------------------------------------------------

    def _model(self, name: str, where: str) -> str:
        hit = self.table.resolve(name)
        if hit is None:
            raise ConfigError(
                f"policy {self.policy.name!r}: {where}: model {name!r} has no price",
                hint="use a model of the price tables (llmaudit pricing list) or add it with --pricing",
            )
        return hit.model

    def _candidates(self, target: Target, where: str) -> tuple[list[str], int | None]:
        if target.model is not None:
            model = self._model(target.model, where)
            return [model], self.model_rank.get(model)
        assert target.tier is not None
        return self.tiers[target.tier], self.policy.tier_rank(target.tier)

    # -- tokens and cost ----------------------------------------------------------------

    def _supports(self, model: str, capability: str) -> bool:
        supports = self.table.get(model).supports
        return not supports or capability in supports  # no capability data: assume yes

    def tokens_on(self, view: _View, model: str, route: Route | None) -> dict[str, np.ndarray]:
        """The rows' tokens as ``model`` would count and produce them.

        Token counts are whole numbers held as floats, so a ratio of exactly 1 is skipped
        rather than multiplied and rounded: the result is the same, bit for bit.
        """
        same = view.original == self.code.get(model, -2)
        price = self.table.get(model)
        out = view.tokens
        ratio: float | np.ndarray = 1.0
        if view.orig_ratio is not None:
            new = self.policy.tokenizer_ratios.get(price.provider or "", 1.0)
            ratio = np.where(same, 1.0, new / view.orig_ratio)
        squeeze = 1.0 - (route.compression.input_reduction if route and route.compression else 0.0)
        keep_cache = self.policy.cache.prompt_caching and self._supports(model, "prompt_caching") and squeeze == 1.0

        def scaled(values: np.ndarray, factor: float | np.ndarray) -> np.ndarray:
            return values if isinstance(factor, float) and factor == 1.0 else np.round(values * factor)

        if isinstance(ratio, np.ndarray):
            prompt = np.round(out["input_tokens"] * ratio * squeeze)
        else:
            prompt = scaled(out["input_tokens"], squeeze)
        cached = {
            name: scaled(out[name], ratio) if keep_cache else np.where(same, scaled(out[name], ratio), 0.0)
            for name in TOKENS[1:]
        }
        cached["cache_write_1h_tokens"] = np.minimum(cached["cache_write_1h_tokens"], cached["cache_write_tokens"])
        reasoning = out["reasoning_tokens"]
        if not self._supports(model, "reasoning"):
            reasoning = np.where(same, reasoning, 0.0)
        visible = out["output_tokens"] - out["reasoning_tokens"]
        traits = self.policy.models.get(model, None)
        output_ratio = traits.output_ratio if traits else 1.0
        output = visible if output_ratio == 1.0 else np.round(visible * np.where(same, 1.0, output_ratio))
        return {
            "input_tokens": np.maximum(prompt, cached["cache_read_tokens"] + cached["cache_write_tokens"]),
            **cached,
            "output_tokens": output + reasoning,
            "reasoning_tokens": reasoning,
            **{c: out[c] for c in TOOL_INPUTS if c in out},
        }

    def price(
        self, view: _View, model: str | np.ndarray, tokens: dict[str, np.ndarray], table: PriceTable | None = None
    ) -> np.ndarray:
        """USD of the view's rows with ``tokens`` on ``model`` (a name, or model codes per row)."""
        table = table or self.bill
        if isinstance(model, str):
            return costs_of(tokens, view.mode, table, model_index(table, model))
        lookup = np.array([model_index(table, str(name)) for name in self.names] + [-1], dtype=np.intp)
        return costs_of(tokens, view.mode, table, lookup[model])

    def fits(self, view: _View, model: str, tokens: dict[str, np.ndarray], route: Route) -> np.ndarray:
        price = self.table.get(model)
        ok = np.ones(len(view.rows), dtype=bool)
        if price.context_window:
            ok &= tokens["input_tokens"] <= price.context_window
        if price.max_output_tokens:
            ok &= tokens["output_tokens"] <= price.max_output_tokens
        if not self._supports(model, "tools"):
            ok &= self.tool_count[view.rows] == 0
        for capability in route.requires:
            if not self._supports(model, capability):
                ok[:] = False
        budget = route.latency_budget_ms
        if budget is not None and self.latency.get(model, 0.0) > budget:  # unknown latency: within budget
            ok[:] = False
        return ok

    # -- routing ------------------------------------------------------------------------

    def cheapest(self, view: _View, models: list[str], route: Route) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the code of the cheapest of ``models`` that fits (-1 where none does) and its cost."""
        best = np.full(len(view.rows), -1, dtype=np.intp)
        best_cost = np.full(len(view.rows), np.inf)
        for model in dict.fromkeys(models):
            tokens = self.tokens_on(view, model, route)
            cost = np.where(self.fits(view, model, tokens, route), self.price(view, model, tokens, self.table), np.inf)
            better = cost < best_cost
            best[better], best_cost[better] = self.code_of(model), cost[better]
        return best, best_cost

    def destination(self, rows: np.ndarray, target: Target, route: Route, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Chosen model code per row and whether it took a context/capability failover."""
        models, rank = self._candidates(target, where)
        floors = self.policy.quality_floor
        fallbacks = [self._model(m, f"{where}.fallbacks") for m in route.fallbacks]
        chosen = np.full(len(rows), -1, dtype=np.intp)
        failover = np.zeros(len(rows), dtype=bool)
        view = self.view(rows)
        tiers = self.frame["effective_tier"].to_numpy()[rows]
        # The stages each tier tries in order; tiers with the same stages are routed together.
        plans: dict[tuple[tuple[str, ...], ...], list[int]] = {}
        for tier in distinct(tiers):
            floor = floors.get(int(tier))
            first = models
            floor_rank = self.policy.tier_rank(floor) if floor else None
            if floor is not None and floor_rank is not None and (rank is None or rank < floor_rank):
                first, start = self.tiers[floor], floor_rank  # lifted to the quality floor
            else:
                start = rank if rank is not None else -1
            above = [self.tiers[t] for t in self.policy.tiers if self.policy.tier_rank(t) > start]
            plan = tuple(tuple(stage) for stage in (first, fallbacks, *above))
            plans.setdefault(plan, []).append(int(tier))
        for plan, group_tiers in plans.items():
            pending = np.arange(len(rows)) if len(plans) == 1 else np.flatnonzero(np.isin(tiers, group_tiers))
            for number, stage in enumerate(plan):
                if not len(pending) or not stage:
                    continue
                picked, _ = self.cheapest(view if len(pending) == len(rows) else view.take(pending), list(stage), route)
                chosen[pending] = picked
                pending = pending[picked < 0]
                if number == 0:
                    failover[pending] = True  # did not fit its first choice: counted as a failover
        kept = chosen < 0
        chosen[kept] = view.original[kept]
        return chosen, failover

    def cost_per_model(self, view: _View, models: np.ndarray, route: Route | None) -> np.ndarray:
        """Cost of each row on its own model (model codes; a loop over the distinct models only)."""
        cost = np.zeros(len(view.rows))
        for code in distinct(models):
            sel = models == code
            part = view.take(sel)
            model = self.names[code]
            cost[sel] = self.price(part, model, self.tokens_on(part, model, route))
        return cost

    def extra_call(self, view: _View, model: str, scale: float, output: bool = True) -> np.ndarray:
        """Cost of one more call per row on ``model`` with the request's tokens scaled (no cache)."""
        tokens = self.tokens_on(view, model, None)
        zero = np.zeros(len(view.rows))
        scaled = {
            "input_tokens": np.round(tokens["input_tokens"] * scale),
            "cache_read_tokens": zero,
            "cache_write_tokens": zero,
            "cache_write_1h_tokens": zero,
            "output_tokens": np.round(tokens["output_tokens"] * scale) if output else zero,
            "reasoning_tokens": np.round(tokens["reasoning_tokens"] * scale) if output else zero,
        }
        return self.price(view, model, scaled)

    def failure_overhead(self, view: _View, models: np.ndarray, cost: np.ndarray, route: Route) -> np.ndarray:
        """Expected extra cost of failed attempts on the new model: p x (failed attempt + retry - cost)."""
        mode = self.policy.failures.failed_attempt_cost
        extra = np.zeros(len(view.rows))
        moved = models != view.original
        fallback = self._model(route.fallbacks[0], "fallbacks") if route.fallbacks else None
        for code in distinct(models[moved]):
            model = self.names[code]
            sel = moved & (models == code)
            traits = self.policy.models.get(model)
            rate = traits.failure_rate if traits and traits.failure_rate is not None else None
            rate = self.failure_rates.get(model, 0.0) if rate is None else rate
            if not rate:
                continue
            own, part = cost[sel], view.take(sel)
            attempt = {"none": 0.0, "full": own, "input": self.extra_call(part, model, 1.0, output=False)}[mode]
            if fallback is None:
                retry = own
            else:
                retry = self.cost_per_model(part, np.full(len(part.rows), self.code_of(fallback)), route)
            extra[sel] = rate * (attempt + retry - own)
        return extra

    def escalation(self, route: Route, rows: np.ndarray) -> np.ndarray:
        """A cascade's escalation rate per row (by tier, then by task type, else its default)."""
        assert route.cascade is not None
        rate = route.cascade.escalation
        if not isinstance(rate, dict):
            return np.full(len(rows), float(rate))
        by_task = self.task_codes[rows]
        by_tier = self.frame["effective_tier"].to_numpy()[rows]
        out = np.full(len(rows), rate.get("default", 0.0))
        for key, value in rate.items():
            if key.startswith("tier") and key[4:].isdigit():
                out = np.where(by_tier == int(key[4:]), value, out)
        for key, value in rate.items():
            if not key.startswith("tier") and key != "default" and key in self.task_names:
                out = np.where(by_task == self.task_names.index(key), value, out)
        return out

    def step_cost(self, step: _Step) -> np.ndarray:
        """Expected cost of a route's rows: the chosen call(s), verify and compression passes, failures."""
        route, view = step.route, self.view(step.rows)
        base = cost = self.cost_per_model(view, step.chosen, route)
        if step.then is not None:
            cost = base + self.escalation(route, step.rows) * self.cost_per_model(view, step.then, route)
        if step.verifier is not None:
            assert route.verify is not None
            cost = cost + self.extra_call(view, step.verifier, route.verify.token_scale)
        if step.reader is not None:
            read = self.extra_call(view, step.reader, 1.0, output=False)  # the compressor reads the whole prompt...
            cost = cost + read + _compressed_output_cost(self, view, step.reader, route)  # ...and writes it shorter
        return cost + self.failure_overhead(view, step.chosen, base, route)


@dataclass(frozen=True)
class _Step:
    """What one route decided for its rows, kept so the same calls can be priced by any table."""

    route: Route
    rows: np.ndarray
    chosen: np.ndarray  # code of the routed model (a cascade's first)
    then: np.ndarray | None  # code of a cascade's second model
    verifier: str | None
    reader: str | None  # the compression model


class Repricer:
    """A replay's calls priced by another table: same routes, same models, same tokens.

    ``repricer(table.as_sold_by(seller))`` is what the routed traffic costs as that seller
    sells it: NaN where the seller does not sell a model a request needs. Requests kept as
    logged are re-priced on their logged model and tokens; response-cache hits stay free.
    Only requests touching a model whose price differs in the other table are re-priced;
    the others keep the replay's own cost.
    """

    def __init__(self, replayer: _Replayer, steps: list[_Step], list_cost: np.ndarray, hits: np.ndarray) -> None:
        self._replayer = replayer
        self._steps = steps
        self._list_cost = list_cost
        self._hits = hits
        names = replayer.names
        self._originals = {names[c] for c in distinct(replayer.original_codes)}
        self._kept = np.ones(len(list_cost), dtype=bool)
        self._routed: list[set[str]] = []  # per step: the chosen and cascade-second models
        self._step_models: list[set[str]] = []
        for step in steps:
            self._kept[step.rows] = False
            codes = distinct(step.chosen) if step.then is None else distinct(np.concatenate([step.chosen, step.then]))
            routed = {names[c] for c in codes}
            models = routed | {m for m in (step.verifier, step.reader) if m is not None}
            if step.route.fallbacks:
                models.add(replayer._model(step.route.fallbacks[0], "fallbacks"))
            self._routed.append(routed)
            self._step_models.append(models)

    def _changed(self, bill: PriceTable, names: set[str]) -> set[str]:
        """Of ``names``, those ``bill`` prices differently from the replay's table (or not at all)."""
        table = self._replayer.table
        out = set()
        for name in names:
            a, b = table.resolve(name), bill.resolve(name)
            if a is None and b is None:
                continue
            if a is None or b is None or not _same_price(table.get(a.model), bill.get(b.model)):
                out.add(name)
        return out

    def __call__(self, bill: PriceTable) -> np.ndarray:
        """USD per request (aligned with the replay's rows) under ``bill``'s prices."""
        r = copy.copy(self._replayer)
        r.bill = bill
        changed = self._changed(bill, self._originals.union(*self._step_models))
        unsold = {name for name in changed if bill.resolve(name) is None}
        cost = self._list_cost.copy()
        original = r.original_codes
        cost[self._kept & np.isin(original, _codes(r, unsold & self._originals))] = np.nan
        rows = np.flatnonzero(self._kept & np.isin(original, _codes(r, (changed - unsold) & self._originals)))
        if len(rows):
            logged = r.view(rows)
            cost[rows] = r.price(logged, logged.original, logged.tokens)
        for step, routed, models in zip(self._steps, self._routed, self._step_models, strict=True):
            if not models & changed:
                continue
            if (models - routed) & changed:  # a verify, compression or fallback model: the whole step
                cost[step.rows] = r.step_cost(step)
                continue
            touched, lost = _uses(step, _codes(r, changed)), _uses(step, _codes(r, unsold))
            cost[step.rows[lost]] = np.nan  # the other table does not sell a model these rows need
            sel = touched & ~lost
            if sel.any():
                part = _Step(
                    step.route,
                    step.rows[sel],
                    step.chosen[sel],
                    None if step.then is None else step.then[sel],
                    step.verifier,
                    step.reader,
                )
                cost[part.rows] = r.step_cost(part)
        cost[self._hits] = 0.0
        return cost


def _codes(r: _Replayer, names: set[str]) -> list[int]:
    return [r.code[name] for name in names if name in r.code]


def _uses(step: _Step, codes: list[int]) -> np.ndarray:
    """Rows of ``step`` whose routed model (or a cascade's second) is one of ``codes``."""
    hit = np.isin(step.chosen, codes)
    if step.then is not None:
        hit = hit | np.isin(step.then, codes)
    return hit


def _same_price(a: ModelPrice, b: ModelPrice) -> bool:
    return (a.rates, dict(a.modes), a.tiers, a.per_request_usd) == (b.rates, dict(b.modes), b.tiers, b.per_request_usd)


def replay(
    frame: pd.DataFrame,
    table: PriceTable,
    policy: Policy,
    failure_rates: dict[str, float] | None = None,
    *,
    context: ReplayContext | None = None,
) -> Replayed:
    """Where each request goes under ``policy`` and what it costs there (see module doc).

    ``frame`` is priced canonical requests with tag columns (``prepare`` is applied
    here); ``failure_rates`` per priced model default to the logs' own error rates.
    ``context``: what the replay needs from the whole log when ``frame`` is a block of it
    (``context.py``; its failure rates win over ``failure_rates``); by default ``frame``'s
    own. Raises ``ConfigError`` for a policy naming a model without a price.
    """
    frame = prepare(frame.reset_index(drop=True), policy)
    if context is None:
        context = ReplayContext.of(frame, [policy])
        if failure_rates is not None:
            context = replace(context, failure_rates=failure_rates)
    r = _Replayer(frame, table, policy, context)
    n = len(frame)
    routed = r.original_codes.copy()
    path = r.original
    reason = np.empty(n, dtype=object)
    reason[:] = NO_RULE  # (np.full fills an object array element by element, ten times slower)
    cost = frame["cost_usd"].to_numpy(dtype=np.float64).copy()
    failover = np.zeros(n, dtype=bool)
    ok = (frame["status"] == "ok").to_numpy()
    priced = ~np.isnan(cost)
    reason[~ok] = KEPT_FAILED
    reason[ok & ~priced] = KEPT_UNPRICED
    open_rows = ok & priced
    # Untagged requests (docs/policies.md, "Untagged requests"): kept, routed like the rest, or sent
    # to the policy's ``unknown`` target ahead of every route.
    routes = list(policy.routes)
    if policy.unknown == "keep":
        untagged = open_rows & untagged_mask(frame)
        reason[untagged] = KEPT_UNTAGGED
        open_rows &= ~untagged
    elif isinstance(policy.unknown, Target):
        routes.insert(0, Route(name="unknown", match=RouteMatch(task_type=[UNTAGGED_TASK]), to=policy.unknown))
    steps: list[_Step] = []
    then_model = np.full(n, -1, dtype=np.intp)
    escalation = np.zeros(n)
    offset = len(routes) - len(policy.routes)  # the policy's own routes keep their indices in labels
    for i, route in enumerate(routes, start=-offset):
        label = route.name or f"routes[{i}]"
        mask = open_rows & match_mask(frame, route.match, table, context.thresholds)
        if not mask.any():
            continue
        open_rows &= ~mask
        rows = np.flatnonzero(mask)
        reason[rows] = f"rule {label}"
        then = None
        if route.cascade is not None:
            first, lost1 = r.destination(rows, route.cascade.first, route, f"routes.{label}.cascade.first")
            then, lost2 = r.destination(rows, route.cascade.then, route, f"routes.{label}.cascade.then")
            path[rows] = _cascade_labels(r.names, first, then)
            chosen, lost = first, lost1 | lost2
            then_model[rows], escalation[rows] = then, r.escalation(route, rows)
        else:
            assert route.to is not None
            chosen, lost = r.destination(rows, route.to, route, f"routes.{label}.to")
            path[rows] = np.array(r.names, dtype=object)[chosen]
        verifier = r._model(route.verify.model, f"routes.{label}.verify") if route.verify is not None else None
        reader = None
        if route.compression is not None and route.compression.model is not None:
            reader = r._model(route.compression.model, f"routes.{label}.compression")
        step = _Step(route, rows, chosen, then, verifier, reader)
        steps.append(step)
        cost[rows] = r.step_cost(step)
        routed[rows] = chosen
        failover[rows] = lost
    list_cost = cost.copy()  # before cache hits: what Repricer re-prices from
    hits = np.zeros(n, dtype=bool)
    response = policy.cache.response
    if response is not None:
        eligible = cache_eligible(frame, policy)
        hits = cache_hits(frame["prompt_hash"].to_numpy(), routed, frame["timestamp"], eligible, response.ttl_seconds)
        cost[hits] = 0.0
        path[hits] = "cache hit"
    names = np.array(r.names, dtype=object)
    return Replayed(
        routed_model=names_of(routed, names),
        path=path,
        reason=reason,
        cost_usd=cost,
        cache_hit=hits,
        context_failover=failover,
        rerouted=routed != r.original_codes,
        reprice=Repricer(r, steps, list_cost, hits),
        then_model=np.append(names, np.array([None], dtype=object))[then_model],
        escalation=escalation,
        model_names=names,
        routed_codes=routed,
        original_codes=r.original_codes,
    )


def cache_eligible(frame: pd.DataFrame, policy: Policy) -> np.ndarray:
    """Rows the policy's response cache may serve or store: successful, priced, of its task types."""
    eligible = (frame["status"] == "ok").to_numpy() & frame["cost_usd"].notna().to_numpy()
    response = policy.cache.response
    if response is not None and response.task_types is not None:
        eligible &= frame["task_type"].fillna(UNTAGGED_TASK).isin(response.task_types).to_numpy()
    return eligible


def with_cache_hits(r: Replayed, hits: np.ndarray) -> Replayed:
    """``r`` (a replay without its response cache) with ``hits`` served by the cache: free.

    For a block of the log replayed on its own, whose hits were found across blocks
    (``response_cache.hits_by_block``)."""
    cost, path = r.cost_usd.copy(), r.path.copy()
    cost[hits] = 0.0
    path[hits] = "cache hit"
    reprice = None
    if isinstance(r.reprice, Repricer):  # a seller's prices leave the hits free too
        reprice = copy.copy(r.reprice)
        reprice._hits = hits
    return replace(r, cost_usd=cost, path=path, cache_hit=hits, reprice=reprice)


def _cascade_labels(names: list[str], first: np.ndarray, then: np.ndarray) -> np.ndarray:
    """``"a -> b (cascade)"`` per row, each distinct pair formatted once."""
    pairs, inverse = np.unique(first * len(names) + then, return_inverse=True)
    labels = [f"{names[p // len(names)]} -> {names[p % len(names)]} (cascade)" for p in pairs]
    return np.array(labels, dtype=object)[inverse.ravel()]


def _compressed_output_cost(r: _Replayer, view: _View, model: str, route: Route) -> np.ndarray:
    assert route.compression is not None
    written = np.round(r.tokens_on(view, model, None)["input_tokens"] * (1 - route.compression.input_reduction))
    zero = np.zeros(len(view.rows))
    tokens = {
        "input_tokens": zero,
        "cache_read_tokens": zero,
        "cache_write_tokens": zero,
        "cache_write_1h_tokens": zero,
        "output_tokens": written,
        "reasoning_tokens": zero,
    }
    return r.price(view, model, tokens)


def observed_failure_rates(frame: pd.DataFrame) -> dict[str, float]:
    """Share of failed requests per priced model in the logs."""
    return ReplayContext.of(frame).failure_rates
