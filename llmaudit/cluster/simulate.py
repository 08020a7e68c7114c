"""``--scheduler``: simulate's replays where the rows are (the replay passes, not yet the report).

1. Read: each task reads, tags and prices its input into simulate's rows on its worker
   (``analyze.Run``, with the duplicate-id shuffle); the rows are never gathered.
2. What needs the whole log (``simulate/context.py``): each task's ``ContextPart`` (counts
   per model; latencies and difficulties only when a policy reads them) is merged on the
   client into the log's ``ReplayContext``, identical however the log was cut.
3. Replay: each task replays every policy over its own rows with that context, without
   the response cache; the replays stay on the workers.
4. Response-cache hits: a shuffle on the prompt hash (``response_cache.split`` /
   ``hits_by_block``); each task takes its hits (``replay.with_cache_hits``).

Each task's replays are then the rows' share of a replay of the whole log, request for
request (``tests/cluster/test_replays.py``). What the report needs from them is still
computed on the client from the gathered frame (``analyze.collect_on``): per-policy
partial sums are the next step (docs/scale.md, "simulate, check, baseline").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from llmaudit.cluster import tasks
from llmaudit.cluster.analyze import Run, _shuffle
from llmaudit.cluster.plan import RANGE_CHUNKS
from llmaudit.ingest.reader import IngestOptions
from llmaudit.ingest.sources import InputSource
from llmaudit.pricing import PriceTable
from llmaudit.simulate.collect import Tagger, compact
from llmaudit.simulate.context import ContextPart, ReplayContext, merged, needs
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.replay import Replayed, cache_eligible, replay, with_cache_hits
from llmaudit.simulate.response_cache import Candidates, candidates, hits_by_block, split

if TYPE_CHECKING:
    from distributed import Client, Future


def replays_on(
    client: Client,
    sources: Sequence[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    tagger: Tagger,
    policies: Sequence[Policy],
    *,
    range_chunks: int = RANGE_CHUNKS,
) -> tuple[list[Future], ReplayContext]:
    """Per task (in input order), a future of its rows' replays under each policy, kept on
    the workers; and the whole log's replay context."""
    run = Run(client, sources, ingest, table, range_chunks)
    parts = [client.submit(_rows, part) for part in run.read(tasks.read_rows, tagger)]
    wanted = needs(policies)
    context = merged(client.gather([client.submit(ContextPart.of, part, wanted) for part in parts]))
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
    return replays, context


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


def gather_replays(client: Client, replays: Sequence[Future], index: int) -> list[Replayed]:
    """Each task's replay under policy ``index`` (for tests and small logs: this brings the
    per-request outputs to the client)."""
    return list(client.gather([client.submit(_outputs, rs, index) for rs in replays]))
