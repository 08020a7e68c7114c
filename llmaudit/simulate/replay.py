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
   route's ``requires``) and fit its context window and output limit with the tokens as
   that model would count them; when none fits, the route's fallbacks, then the tiers
   above are tried, then the request keeps its model (counted as a context failover);
3. the cheapest fitting candidate wins.

On the new model input tokens scale by the tokenizer ratio of the two providers,
visible output by the model's ``output_ratio``; reasoning tokens survive only on a
model that reasons; prompt-cache reads and writes survive only where the model supports
prompt caching (else they are paid as plain input).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from llmaudit.errors import ConfigError
from llmaudit.pricing import ModelPrice, PriceTable
from llmaudit.pricing.cost import costs_on
from llmaudit.simulate.match import match_mask, original_models
from llmaudit.simulate.policy import Policy, Route, Target
from llmaudit.simulate.response_cache import cache_hits

NO_RULE: Final = "no rule matched: original model"
KEPT_FAILED: Final = "failed in the logs: kept as logged"
KEPT_UNPRICED: Final = "unpriced: kept as logged"
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
    reprice: Repricer | None = field(default=None, repr=False, compare=False)
    """The same calls priced by another table (a seller's prices); see :class:`Repricer`."""
    then_model: np.ndarray | None = None  # object: a cascade's second model (None where no cascade)
    escalation: np.ndarray | None = None  # float: the share sent on to ``then_model`` (0 where no cascade)


def prepare(frame: pd.DataFrame, policy: Policy) -> pd.DataFrame:
    """Columns routing reads: ``task_type``, ``effective_tier`` (tier after round-up)."""
    task = frame["task_type"] if "task_type" in frame else pd.Series("unknown", index=frame.index)
    tier = frame["complexity_tier"] if "complexity_tier" in frame else pd.Series(1, index=frame.index)
    effective = tier.fillna(1).astype(np.int64).to_numpy()
    if policy.round_up is not None and "tag_confidence" in frame:
        low = frame["tag_confidence"].fillna(0).to_numpy() < policy.round_up.below_confidence
        effective = np.where(low, np.minimum(effective + 1, 3), effective)
    return frame.assign(task_type=task.fillna("unknown"), effective_tier=effective)


class _Replayer:
    def __init__(self, frame: pd.DataFrame, table: PriceTable, policy: Policy, failure_rates: dict[str, float]):
        self.frame = frame
        self.table = table
        self.policy = policy
        self.failure_rates = failure_rates
        self.bill = table  # prices the chosen calls; routing always compares self.table's prices
        self.original = original_models(frame)
        # Once, as a categorical: price() takes rows of it (an object column would be re-inferred as text).
        self.modes = pd.Categorical(frame["pricing_mode"].astype(object))
        # Token columns and tokenizer ratios as arrays, once: every candidate model reads them.
        self.token_arrays = {name: frame[name].to_numpy(dtype=np.float64) for name in (*TOKENS, *OUTPUTS)}
        self.orig_ratio = (
            frame["priced_provider"].astype(object).map(policy.tokenizer_ratios).fillna(1.0).to_numpy(dtype=np.float64)
        )
        self.tiers = {name: [self._model(m, f"tiers.{name}") for m in models] for name, models in policy.tiers.items()}
        self.model_rank = {m: policy.tier_rank(t) for t, models in self.tiers.items() for m in models}

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

    def tokens_on(self, rows: np.ndarray, model: str, route: Route | None) -> dict[str, np.ndarray]:
        """The rows' tokens as ``model`` would count and produce them."""
        same = self.original[rows] == model
        price = self.table.get(model)
        ratios = self.policy.tokenizer_ratios
        ratio = np.where(same, 1.0, ratios.get(price.provider or "", 1.0) / self.orig_ratio[rows])
        squeeze = 1.0 - (route.compression.input_reduction if route and route.compression else 0.0)
        keep_cache = self.policy.cache.prompt_caching and self._supports(model, "prompt_caching") and squeeze == 1.0
        out = {name: values[rows] for name, values in self.token_arrays.items()}
        prompt = np.round(out["input_tokens"] * ratio * squeeze)
        cached = {name: np.where(same | keep_cache, np.round(out[name] * ratio), 0.0) for name in TOKENS[1:]}
        cached["cache_write_1h_tokens"] = np.minimum(cached["cache_write_1h_tokens"], cached["cache_write_tokens"])
        reasoning = np.where(same | self._supports(model, "reasoning"), out["reasoning_tokens"], 0.0)
        visible = out["output_tokens"] - out["reasoning_tokens"]
        output_ratio = self.policy.models.get(model, None)
        scale = np.where(same, 1.0, output_ratio.output_ratio if output_ratio else 1.0)
        return {
            "input_tokens": np.maximum(prompt, cached["cache_read_tokens"] + cached["cache_write_tokens"]),
            **cached,
            "output_tokens": np.round(visible * scale) + reasoning,
            "reasoning_tokens": reasoning,
        }

    def price(
        self,
        rows: np.ndarray,
        model: str | np.ndarray,
        tokens: dict[str, np.ndarray],
        table: PriceTable | None = None,
    ) -> np.ndarray:
        frame = pd.DataFrame({"pricing_mode": self.modes[rows], **tokens})
        return costs_on(frame, table or self.bill, model)

    def fits(self, rows: np.ndarray, model: str, tokens: dict[str, np.ndarray], route: Route) -> np.ndarray:
        price = self.table.get(model)
        ok = np.ones(len(rows), dtype=bool)
        if price.context_window:
            ok &= tokens["input_tokens"] <= price.context_window
        if price.max_output_tokens:
            ok &= tokens["output_tokens"] <= price.max_output_tokens
        if not self._supports(model, "tools"):
            ok &= self.frame["tool_count"].to_numpy()[rows] == 0
        for capability in route.requires:
            if not self._supports(model, capability):
                ok[:] = False
        return ok

    # -- routing ------------------------------------------------------------------------

    def cheapest(self, rows: np.ndarray, models: list[str], route: Route) -> tuple[np.ndarray, np.ndarray]:
        """Per row, the cheapest of ``models`` that fits (None where none does) and its cost."""
        best = np.full(len(rows), None, dtype=object)
        best_cost = np.full(len(rows), np.inf)
        for model in dict.fromkeys(models):
            tokens = self.tokens_on(rows, model, route)
            cost = np.where(self.fits(rows, model, tokens, route), self.price(rows, model, tokens, self.table), np.inf)
            better = cost < best_cost
            best[better], best_cost[better] = model, cost[better]
        return best, best_cost

    def destination(self, rows: np.ndarray, target: Target, route: Route, where: str) -> tuple[np.ndarray, np.ndarray]:
        """Chosen model per row and whether it took a context/capability failover."""
        models, rank = self._candidates(target, where)
        floors = self.policy.quality_floor
        chosen = np.full(len(rows), None, dtype=object)
        failover = np.zeros(len(rows), dtype=bool)
        tiers = self.frame["effective_tier"].to_numpy()[rows]
        for tier in np.unique(tiers):
            group = tiers == tier
            floor = floors.get(int(tier))
            first = models
            floor_rank = self.policy.tier_rank(floor) if floor else None
            if floor is not None and floor_rank is not None and (rank is None or rank < floor_rank):
                first, start = self.tiers[floor], floor_rank  # lifted to the quality floor
            else:
                start = rank if rank is not None else -1
            stages = [first, [self._model(m, f"{where}.fallbacks") for m in route.fallbacks]]
            stages += [self.tiers[t] for t in self.policy.tiers if self.policy.tier_rank(t) > start]
            pending = np.flatnonzero(group)
            for number, stage in enumerate(stages):
                if not len(pending) or not stage:
                    continue
                picked, _ = self.cheapest(rows[pending], stage, route)
                chosen[pending] = picked
                pending = pending[pd.isna(picked)]
                if number == 0:
                    failover[pending] = True  # did not fit its first choice: counted as a failover
        kept = pd.isna(chosen)
        chosen[kept] = self.original[rows][kept]
        return chosen, failover

    def cost_per_model(self, rows: np.ndarray, models: np.ndarray, route: Route | None) -> np.ndarray:
        """Cost of each row on its own model (a loop over the distinct models only)."""
        cost = np.zeros(len(rows))
        for model in pd.unique(models):
            sel = models == model
            cost[sel] = self.price(rows[sel], model, self.tokens_on(rows[sel], model, route))
        return cost

    def extra_call(self, rows: np.ndarray, model: str, scale: float, output: bool = True) -> np.ndarray:
        """Cost of one more call per row on ``model`` with the request's tokens scaled (no cache)."""
        tokens = self.tokens_on(rows, model, None)
        zero = np.zeros(len(rows))
        scaled = {
            "input_tokens": np.round(tokens["input_tokens"] * scale),
            "cache_read_tokens": zero,
            "cache_write_tokens": zero,
            "cache_write_1h_tokens": zero,
            "output_tokens": np.round(tokens["output_tokens"] * scale) if output else zero,
            "reasoning_tokens": np.round(tokens["reasoning_tokens"] * scale) if output else zero,
        }
        return self.price(rows, model, scaled)

    def failure_overhead(self, rows: np.ndarray, models: np.ndarray, cost: np.ndarray, route: Route) -> np.ndarray:
        """Expected extra cost of failed attempts on the new model: p x (failed attempt + retry - cost)."""
        mode = self.policy.failures.failed_attempt_cost
        extra = np.zeros(len(rows))
        moved = models != self.original[rows]
        fallback = self._model(route.fallbacks[0], "fallbacks") if route.fallbacks else None
        for model in pd.unique(models[moved]):
            sel = moved & (models == model)
            traits = self.policy.models.get(model)
            rate = traits.failure_rate if traits and traits.failure_rate is not None else None
            rate = self.failure_rates.get(model, 0.0) if rate is None else rate
            if not rate:
                continue
            own = cost[sel]
            attempt = {"none": 0.0, "full": own, "input": self.extra_call(rows[sel], model, 1.0, output=False)}[mode]
            retry = own if fallback is None else self.cost_per_model(rows[sel], np.full(sel.sum(), fallback), route)
            extra[sel] = rate * (attempt + retry - own)
        return extra

    def step_cost(self, step: _Step) -> np.ndarray:
        """Expected cost of a route's rows: the chosen call(s), verify and compression passes, failures."""
        route, rows = step.route, step.rows
        base = cost = self.cost_per_model(rows, step.chosen, route)
        if step.then is not None:
            cost = base + _escalation(route, self.frame, rows) * self.cost_per_model(rows, step.then, route)
        if step.verifier is not None:
            assert route.verify is not None
            cost = cost + self.extra_call(rows, step.verifier, route.verify.token_scale)
        if step.reader is not None:
            read = self.extra_call(rows, step.reader, 1.0, output=False)  # the compressor reads the whole prompt...
            cost = cost + read + _compressed_output_cost(self, rows, step.reader, route)  # ...and writes it shorter
        return cost + self.failure_overhead(rows, step.chosen, base, route)


@dataclass(frozen=True)
class _Step:
    """What one route decided for its rows, kept so the same calls can be priced by any table."""

    route: Route
    rows: np.ndarray
    chosen: np.ndarray  # the routed model (a cascade's first)
    then: np.ndarray | None  # a cascade's second model
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
        self._codes, self._names = pd.factorize(pd.Series(replayer.original, dtype=object))
        self._kept = np.ones(len(list_cost), dtype=bool)
        self._step_models: list[set[str]] = []
        for step in steps:
            self._kept[step.rows] = False
            models = set(pd.unique(step.chosen)) | {step.verifier, step.reader}
            models |= set(pd.unique(step.then)) if step.then is not None else set()
            if step.route.fallbacks:
                models.add(replayer._model(step.route.fallbacks[0], "fallbacks"))
            self._step_models.append({str(m) for m in models if m is not None})

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
        changed = self._changed(bill, {str(m) for m in self._names}.union(*self._step_models))
        unsold = {name for name in changed if bill.resolve(name) is None}
        cost = self._list_cost.copy()
        codes = {str(name): i for i, name in enumerate(self._names)}
        cost[self._kept & np.isin(self._codes, [codes[n] for n in unsold if n in codes])] = np.nan
        rows = np.flatnonzero(self._kept & np.isin(self._codes, [codes[n] for n in changed - unsold if n in codes]))
        if len(rows):
            logged = {name: values[rows] for name, values in r.token_arrays.items()}
            cost[rows] = r.price(rows, r.original[rows], logged)
        for step, models in zip(self._steps, self._step_models, strict=True):
            if not models & changed:
                continue
            routed = models - set(pd.unique(step.chosen)) - set(() if step.then is None else pd.unique(step.then))
            if routed & changed:  # a verify, compression or fallback model: the whole step
                cost[step.rows] = r.step_cost(step)
                continue
            touched, lost = _uses(step, changed), _uses(step, unsold)
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


def _uses(step: _Step, names: set[str]) -> np.ndarray:
    """Rows of ``step`` whose routed model (or a cascade's second) is one of ``names``."""
    wanted = list(names)
    # dtype=object: the names stay objects (a text column would be built string by string)
    hit = pd.Series(step.chosen, dtype=object).isin(wanted).to_numpy()
    if step.then is not None:
        hit = hit | pd.Series(step.then, dtype=object).isin(wanted).to_numpy()
    return hit


def _same_price(a: ModelPrice, b: ModelPrice) -> bool:
    return (a.rates, dict(a.modes), a.tiers, a.per_request_usd) == (b.rates, dict(b.modes), b.tiers, b.per_request_usd)


def replay(
    frame: pd.DataFrame, table: PriceTable, policy: Policy, failure_rates: dict[str, float] | None = None
) -> Replayed:
    """Where each request goes under ``policy`` and what it costs there (see module doc).

    ``frame`` is priced canonical requests with tag columns (``prepare`` is applied
    here); ``failure_rates`` per priced model default to the logs' own error rates.
    Raises ``ConfigError`` for a policy naming a model without a price.
    """
    frame = prepare(frame.reset_index(drop=True), policy)
    r = _Replayer(frame, table, policy, failure_rates if failure_rates is not None else observed_failure_rates(frame))
    n = len(frame)
    routed = r.original.copy()
    path = r.original.copy()
    reason = np.full(n, NO_RULE, dtype=object)
    cost = frame["cost_usd"].to_numpy(dtype=np.float64).copy()
    failover = np.zeros(n, dtype=bool)
    ok = (frame["status"] == "ok").to_numpy()
    priced = ~np.isnan(cost)
    reason[~ok] = KEPT_FAILED
    reason[ok & ~priced] = KEPT_UNPRICED
    open_rows = ok & priced
    steps: list[_Step] = []
    then_model = np.full(n, None, dtype=object)
    escalation = np.zeros(n)
    for i, route in enumerate(policy.routes):
        label = route.name or f"routes[{i}]"
        mask = open_rows & match_mask(frame, route.match, table)
        if not mask.any():
            continue
        open_rows &= ~mask
        rows = np.flatnonzero(mask)
        reason[rows] = f"rule {label}"
        then = None
        if route.cascade is not None:
            first, lost1 = r.destination(rows, route.cascade.first, route, f"routes.{label}.cascade.first")
            then, lost2 = r.destination(rows, route.cascade.then, route, f"routes.{label}.cascade.then")
            path[rows] = (pd.Series(first) + " -> " + pd.Series(then) + " (cascade)").to_numpy(dtype=object)
            chosen, lost = first, lost1 | lost2
            then_model[rows], escalation[rows] = then, _escalation(route, frame, rows)
        else:
            assert route.to is not None
            chosen, lost = r.destination(rows, route.to, route, f"routes.{label}.to")
            path[rows] = chosen
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
        eligible = ok & priced
        if response.task_types is not None:
            eligible &= frame["task_type"].isin(response.task_types).to_numpy()
        hits = cache_hits(frame["prompt_hash"].to_numpy(), routed, frame["timestamp"], eligible, response.ttl_seconds)
        cost[hits] = 0.0
        path[hits] = "cache hit"
    return Replayed(
        routed_model=routed,
        path=path,
        reason=reason,
        cost_usd=cost,
        cache_hit=hits,
        context_failover=failover,
        rerouted=routed != r.original,
        reprice=Repricer(r, steps, list_cost, hits),
        then_model=then_model,
        escalation=escalation,
    )


def _compressed_output_cost(r: _Replayer, rows: np.ndarray, model: str, route: Route) -> np.ndarray:
    assert route.compression is not None
    written = np.round(r.tokens_on(rows, model, None)["input_tokens"] * (1 - route.compression.input_reduction))
    zero = np.zeros(len(rows))
    tokens = {
        "input_tokens": zero,
        "cache_read_tokens": zero,
        "cache_write_tokens": zero,
        "cache_write_1h_tokens": zero,
        "output_tokens": written,
        "reasoning_tokens": zero,
    }
    return r.price(rows, model, tokens)


def _escalation(route: Route, frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    assert route.cascade is not None
    rate = route.cascade.escalation
    if not isinstance(rate, dict):
        return np.full(len(rows), float(rate))
    default = rate.get("default", 0.0)
    by_task = frame["task_type"].to_numpy(dtype=object)[rows]
    by_tier = frame["effective_tier"].to_numpy()[rows]
    out = np.full(len(rows), default)
    for key, value in rate.items():
        if key.startswith("tier") and key[4:].isdigit():
            out = np.where(by_tier == int(key[4:]), value, out)
    for key, value in rate.items():
        if not key.startswith("tier") and key != "default":
            out = np.where(by_task == key, value, out)
    return out


def observed_failure_rates(frame: pd.DataFrame) -> dict[str, float]:
    """Share of failed requests per priced model in the logs."""
    failed = (frame["status"] != "ok").astype(np.float64)
    return failed.groupby(original_models(frame)).mean().to_dict()
