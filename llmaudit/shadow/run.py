"""The shadow run: plan the replays, send what the cache lacks, score, and account for all of it.

Nothing is sent without the caller's go-ahead (``plan`` costs nothing). ``execute`` sends
at most ``concurrency`` requests at a time and, with a spend cap, stops starting new
ones once the priced cost of the answers received reaches it (requests already in
flight still finish: the cap can be passed by at most ``concurrency`` answers). A stop
request (the CLI's Ctrl-C) lets in-flight answers land in the cache, then ends the run.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.ingest.tokens import estimate_tokens
from llmaudit.pricing import PriceTable
from llmaudit.pricing.cost import costs_on
from llmaudit.schema import TOKEN_COLUMNS
from llmaudit.shadow.cache import AnswerCache
from llmaudit.shadow.client import Reply, Settings, complete, new_client
from llmaudit.shadow.endpoints import Endpoint
from llmaudit.shadow.payload import build_payload, payload_hash


@dataclass(frozen=True)
class Job:
    request_id: str
    endpoint: Endpoint
    body: dict[str, Any]
    digest: str
    est_input: int
    est_output: int
    key_name: str
    """Cache column ``candidate``: the candidate, or the judge and the order it compared."""


@dataclass(frozen=True)
class PlanRow:
    name: str
    requests: int
    cached: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    """None: the price table cannot price this model."""


@dataclass
class Spend:
    cap: float | None
    spent: float = 0.0

    @property
    def reached(self) -> bool:
        return self.cap is not None and self.spent >= self.cap


@dataclass
class Outcome:
    replies: dict[tuple[str, str], Reply] = field(default_factory=dict)
    """(request id, cache name) -> the answer (cached or new)."""
    sent: Counter[str] = field(default_factory=Counter)
    cached: Counter[str] = field(default_factory=Counter)
    failed: Counter[tuple[str, str]] = field(default_factory=Counter)
    not_sent: Counter[tuple[str, str]] = field(default_factory=Counter)
    interrupted: bool = False


def _tokens(text: str) -> int:
    return int(estimate_tokens(pa.array([text]))[0])


def candidate_jobs(
    sample: pd.DataFrame, endpoints: list[Endpoint], logged: dict[str, dict[str, Any]] | None = None
) -> list[Job]:
    rows = sample.to_dict("records")  # a sample of at most cells x --sample requests
    logged = logged or {}
    jobs = []
    for endpoint in endpoints:
        for row in rows:
            body = build_payload(row, endpoint.model, logged.get(str(row["request_id"])))
            logged_out = int(row.get("output_tokens") or 0)
            jobs.append(
                Job(
                    request_id=str(row["request_id"]),
                    endpoint=endpoint,
                    body=body,
                    digest=payload_hash(body, endpoint.base_url),
                    est_input=int(row.get("input_tokens") or 0),
                    est_output=min(logged_out, int(body["max_tokens"])) if logged_out else int(body["max_tokens"]),
                    key_name=endpoint.candidate,
                )
            )
    return jobs


def price(table: PriceTable, model: str, input_tokens: np.ndarray, output_tokens: np.ndarray) -> np.ndarray:
    """USD per request for these tokens on ``model`` (standard mode, no cache); NaN when unpriced."""
    n = len(input_tokens)
    frame = pd.DataFrame({name: np.zeros(n, dtype=np.int64) for name in TOKEN_COLUMNS})
    frame["input_tokens"] = input_tokens
    frame["output_tokens"] = output_tokens
    frame["pricing_mode"] = "standard"
    return costs_on(frame, table, model)


def plan(jobs: list[Job], cache: AnswerCache, table: PriceTable) -> list[PlanRow]:
    """What running ``jobs`` would send and cost, per cache name (answers in the cache cost nothing)."""
    out = []
    for name in dict.fromkeys(j.key_name for j in jobs):
        mine = [j for j in jobs if j.key_name == name]
        todo = [j for j in mine if cache.get(j.request_id, name, j.digest) is None]
        ins = np.array([j.est_input for j in todo], dtype=np.int64)
        outs = np.array([j.est_output for j in todo], dtype=np.int64)
        cost = price(table, mine[0].endpoint.candidate, ins, outs).sum() if todo else 0.0
        priced = table.resolve(mine[0].endpoint.candidate) is not None
        out.append(
            PlanRow(name, len(mine), len(mine) - len(todo), int(ins.sum()), int(outs.sum()), cost if priced else None)
        )
    return out


@dataclass(frozen=True)
class Sender:
    """What sending needs besides the jobs: keys by candidate, the cache, prices, limits."""

    keys: dict[str, str | None]
    cache: AnswerCache
    table: PriceTable
    settings: Settings
    concurrency: int
    spend: Spend


async def _run(
    jobs: list[Job], ctx: Sender, outcome: Outcome, stop: asyncio.Event, progress: Callable[[], None]
) -> None:
    keys, cache, table, settings, spend = ctx.keys, ctx.cache, ctx.table, ctx.settings, ctx.spend
    gate = asyncio.Semaphore(ctx.concurrency)

    async def one(client: Any, job: Job) -> None:
        async with gate:
            if stop.is_set() or spend.reached:
                reason = "interrupted" if stop.is_set() else "spend cap reached"
                outcome.not_sent[(job.key_name, reason)] += 1
                return
            reply = await complete(client, job.endpoint, keys.get(job.endpoint.candidate), job.body, settings)
            if reply.attempts == 0:  # the deadline passed before it was sent
                outcome.not_sent[(job.key_name, "deadline reached")] += 1
                return
            outcome.sent[job.key_name] += 1
            if reply.text is None:
                outcome.failed[(job.key_name, reply.error or "failed")] += 1
                progress()
                return
            ins = reply.input_tokens or job.est_input
            outs = reply.output_tokens or _tokens(reply.text)
            cost = float(price(table, job.endpoint.candidate, np.array([ins]), np.array([outs]))[0])
            cost_or_none = cost if np.isfinite(cost) else None
            cache.put(job.request_id, job.key_name, job.digest, reply, cost_or_none)
            outcome.replies[(job.request_id, job.key_name)] = reply
            spend.spent += cost_or_none or 0.0
            progress()

    todo = []
    for job in jobs:
        hit = cache.get(job.request_id, job.key_name, job.digest)
        if hit is not None:
            outcome.replies[(job.request_id, job.key_name)] = hit[0]
            outcome.cached[job.key_name] += 1
        else:
            todo.append(job)
    async with new_client(settings, ctx.concurrency) as client:
        await asyncio.gather(*(one(client, job) for job in todo))


def execute(
    jobs: list[Job], ctx: Sender, *, progress: Callable[[], None] = lambda: None, outcome: Outcome | None = None
) -> Outcome:
    """Send the jobs the cache lacks; on SIGINT, in-flight answers finish and are kept, then
    ``outcome.interrupted`` is set (a second Ctrl-C aborts at once)."""
    outcome = outcome or Outcome()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        handled = _on_sigint(loop, stop, outcome)
        try:
            await _run(jobs, ctx, outcome, stop, progress)
        finally:
            if handled:
                loop.remove_signal_handler(signal.SIGINT)

    asyncio.run(main())
    return outcome


def _on_sigint(loop: asyncio.AbstractEventLoop, stop: asyncio.Event, outcome: Outcome) -> bool:
    if os.name != "posix":
        return False

    def first() -> None:
        outcome.interrupted = True
        stop.set()
        loop.remove_signal_handler(signal.SIGINT)  # a second Ctrl-C raises KeyboardInterrupt

    try:
        loop.add_signal_handler(signal.SIGINT, first)
    except (RuntimeError, ValueError):  # not the main thread
        return False
    return True
