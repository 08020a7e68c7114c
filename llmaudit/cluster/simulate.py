"""``--scheduler``: simulate's and baseline's policy replays, where the rows are.

1. Read: each task reads, tags and prices its input into simulate's rows on its worker
   (``analyze.Run``, with the duplicate-id shuffle).
2. What needs the whole log (``simulate/context.py``): each task's counts per model are
   merged on the client into the failure rates; the median latencies and difficulty
   thresholds are found by exact selection (``cluster/context.py``), never gathering the
   values: the log's ``ReplayContext``, identical however the log was cut.
3. Replay: each task replays every policy over its own rows with that context, without
   the response cache; the replays stay on the workers.
4. Response-cache hits: a shuffle on the prompt hash (``response_cache.split`` /
   ``hits_by_block``); each task takes its hits (``replay.with_cache_hits``).
5. The report: ``cluster/sums.py`` sums the replays' blocks where they are. Only for
   ``--per-request`` and ``--sweep`` (``collect_and_replay_on``) do each task's rows and
   per-request outputs travel to the client, compact (``Outputs``), with the per-request
   cost as each seller sells the same calls; the client assembles one policy's replay at
   a time (``Replays``).

Each task's replays are the rows' share of a replay of the whole log, request for request,
and the report is the single process's, byte for byte (``tests/cluster/test_replays.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, overload

import numpy as np
import pandas as pd

from llmaudit.cluster import tasks
from llmaudit.cluster.analyze import OnTask, Run, _shuffle, gather_rows
from llmaudit.cluster.context import context_on
from llmaudit.cluster.plan import RANGE_CHUNKS
from llmaudit.ingest.accounting import IngestStats
from llmaudit.ingest.reader import IngestOptions
from llmaudit.ingest.sources import InputSource
from llmaudit.pricing import PriceTable
from llmaudit.simulate.blocks import lengths_of, with_blocks
from llmaudit.simulate.collect import Tagger, compact
from llmaudit.simulate.context import ReplayContext, needs
from llmaudit.simulate.match import model_codes
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.replay import Replayed, cache_eligible, replay, with_cache_hits
from llmaudit.simulate.response_cache import Candidates, candidates, hits_by_block, split

if TYPE_CHECKING:
    from distributed import Client, Future


def replay_tasks(
    client: Client, run: Run, read: list[Future], policies: Sequence[Policy]
) -> tuple[list[Future], ReplayContext]:
    """Per read task (in input order), a future of its rows' replays under each policy, kept
    on the workers; and the whole log's replay context."""
    _, replays, context = _replay_tasks(client, run, read, policies)
    return replays, context


def _replay_tasks(
    client: Client, run: Run, read: list[Future], policies: Sequence[Policy]
) -> tuple[list[Future], list[Future], ReplayContext]:
    """``replay_tasks``, with the futures of the tasks' rows."""
    parts = [client.submit(_rows, part) for part in read]
    wanted = needs(policies)
    context = context_on(client, parts, wanted)
    [shared] = client.scatter([context], broadcast=True)
    replays = [client.submit(replay_part, part, run.table, list(policies), shared) for part in parts]
    for i, policy in enumerate(policies):
        response = policy.cache.response
        if response is None:
            continue
        found = [client.submit(cache_candidates, part, rs, policy, i) for part, rs in zip(parts, replays, strict=True)]
        by_task = _shuffle(client, found, _split, _hits(response.ttl_seconds), run.width)
        hits = [np.concatenate([partition[t] for partition in by_task]) for t in range(len(parts))]
        replays = [client.submit(take_hits, rs, i, h) for rs, h in zip(replays, hits, strict=True)]
    return parts, replays, context


def collect_and_replay_on(
    client: Client,
    sources: Sequence[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    tagger: Tagger,
    policies: Sequence[Policy],
    *,
    range_chunks: int = RANGE_CHUNKS,
    on_task: OnTask | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, IngestStats, Replays, ReplayContext]:
    """simulate on a cluster when the rows are needed (``--per-request``, ``--sweep``): the
    frame (as ``collect_on`` gathers it, with its blocks), each policy's replay computed
    where the rows are (its per-request outputs and each seller's per-request cost
    gathered), and the log's replay context. The report alone: ``cluster/sums.py``."""
    run = Run(client, sources, ingest, table, range_chunks)
    stage = on_stage or (lambda _: None)
    read = run.read(tasks.read_rows, tagger, on_task=on_task)
    stage(f"gathering the rows of {len(read):,} tasks")
    frame, stats = gather_rows(client, run, read)
    with_blocks(frame, [n for lengths in client.gather([client.submit(_lengths, p) for p in read]) for n in lengths])
    stage(f"replaying {len(policies)} policies on the workers")
    futures, context = replay_tasks(client, run, read, policies)
    outputs = [
        list(client.gather([client.submit(_billed_outputs, rs, i, run.table) for rs in futures]))
        for i in range(len(policies))
    ]
    return frame, stats, Replays(frame, outputs), context


def _lengths(part: tasks.Part) -> list[int]:
    assert part.rows is not None
    return lengths_of(part.rows)


def _rows(part: tasks.Part) -> pd.DataFrame:
    """The task's rows, compact (as the client's frame is)."""
    assert part.rows is not None
    return compact(part.rows)


def replay_part(
    rows: pd.DataFrame, table: PriceTable, policies: list[Policy], context: ReplayContext
) -> list[Replayed]:
    """The task's rows replayed under each policy, the response cache left to the shuffle."""
    out = []
    for policy in policies:
        bare = policy.model_copy(update={"cache": policy.cache.model_copy(update={"response": None})})
        out.append(replay(rows, table, bare, context=context))
    return out


def cache_candidates(rows: pd.DataFrame, replays: list[Replayed], policy: Policy, index: int) -> Candidates:
    r = replays[index]
    return candidates(rows["prompt_hash"].to_numpy(), r.routed_model, rows["timestamp"], cache_eligible(rows, policy))


def _split(found: Candidates, n: int) -> list[Candidates]:
    return split(found, n)


class _hits:
    """The reduce step of the cache shuffle for one TTL (a picklable callable)."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds

    def __call__(self, blocks: list[Candidates]) -> list[np.ndarray]:
        return hits_by_block(blocks, self.ttl_seconds)


def take_hits(replays: list[Replayed], index: int, hits: np.ndarray) -> list[Replayed]:
    out = list(replays)
    mask = np.zeros(len(out[index].cost_usd), dtype=bool)
    mask[hits] = True
    out[index] = with_cache_hits(out[index], mask)
    return out


def _outputs(replays: list[Replayed], index: int) -> Replayed:
    """Policy ``index``'s per-request outputs, without the repricer (which holds the rows)."""
    return replace(replays[index], reprice=None)


_TEXT = ("routed_model", "path", "reason", "then_model")
_NUMBERS = ("cost_usd", "escalation", "cache_hit", "context_failover", "rerouted")


@dataclass(frozen=True)
class Outputs:
    """One task's replay under one policy as it travels to the client: the text columns as
    categoricals (a code of 1-2 bytes a request), the numbers, and the per-request cost as
    each seller sells the same calls."""

    text: dict[str, pd.Categorical]
    numbers: dict[str, np.ndarray]
    sold: dict[str, np.ndarray]


def _billed_outputs(replays: list[Replayed], index: int, table: PriceTable) -> Outputs:
    r = replays[index]
    assert r.reprice is not None
    sold = {name: r.reprice(table.as_sold_by(seller)) for name, seller in table.sellers.items()}
    text = {name: pd.Categorical(getattr(r, name)) for name in _TEXT}
    return Outputs(text, {name: getattr(r, name) for name in _NUMBERS}, sold)


class Repriced:
    """A replay's per-request cost under each seller's prices, computed on the workers
    (``Replayed.reprice`` for a replay assembled on the client)."""

    def __init__(self, costs: dict[str, np.ndarray]) -> None:
        self.costs = costs

    def __call__(self, bill: PriceTable) -> np.ndarray:
        assert bill.sold_by is not None, "only a seller's prices were computed on the workers"
        return self.costs[bill.sold_by]


class Replays(Sequence[Replayed]):
    """Each policy's replay of ``frame``, kept compact (``Outputs``) and assembled when asked
    for: the client holds one policy's full per-request columns at a time per thread."""

    def __init__(self, frame: pd.DataFrame, outputs: list[list[Outputs]]) -> None:
        self.frame, self.outputs = frame, outputs

    def __len__(self) -> int:
        return len(self.outputs)

    @overload
    def __getitem__(self, index: int) -> Replayed: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Replayed]: ...
    def __getitem__(self, index: int | slice) -> Replayed | Sequence[Replayed]:
        if isinstance(index, slice):
            return [self[i] for i in range(len(self))[index]]
        return _joined(self.frame, self.outputs[index])


def _text(parts: list[Outputs], name: str) -> np.ndarray:
    joined = np.concatenate([np.asarray(p.text[name], dtype=object) for p in parts]) if parts else np.zeros(0, object)
    if name == "then_model":  # no cascade: None, as a replay leaves it
        joined[pd.isna(joined)] = None
    return joined


def _joined(frame: pd.DataFrame, parts: list[Outputs]) -> Replayed:
    """The tasks' outputs as one replay of ``frame``, model codes into the frame's names."""

    def number(name: str) -> np.ndarray:
        return np.concatenate([p.numbers[name] for p in parts])

    original, names = model_codes(frame)
    routed_model = _text(parts, "routed_model")
    known = set(names)
    extra = [m for m in pd.unique(routed_model[pd.notna(routed_model)]) if m not in known]
    all_names = np.array([*names, *extra], dtype=object)
    routed = np.where(pd.isna(routed_model), -1, pd.Index(all_names).get_indexer(routed_model))
    sellers = parts[0].sold.keys() if parts else ()
    return Replayed(
        routed_model=routed_model,
        path=_text(parts, "path"),
        reason=_text(parts, "reason"),
        cost_usd=number("cost_usd"),
        cache_hit=number("cache_hit"),
        context_failover=number("context_failover"),
        rerouted=number("rerouted"),
        reprice=Repriced({name: np.concatenate([p.sold[name] for p in parts]) for name in sellers}),
        then_model=_text(parts, "then_model"),
        escalation=number("escalation"),
        model_names=all_names,
        routed_codes=routed.astype(np.intp),
        original_codes=original,
    )


def gather_replays(client: Client, replays: Sequence[Future], index: int) -> list[Replayed]:
    """Each task's replay under policy ``index`` (for tests and small logs: this brings the
    per-request outputs to the client)."""
    return list(client.gather([client.submit(_outputs, rs, index) for rs in replays]))
