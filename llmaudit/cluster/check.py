"""``check --scheduler``: check's replays where the rows are; only sums come back.

1. Read: each task reads, tags and prices its input into rows on its worker (``Run.read``,
   with the duplicate-id shuffle).
2. The tasks' accounting, without the rows (``cluster.sums.accounting``), and each task's
   ``check.run.Traffic`` (its request count, first and last timestamp, its days and
   models), merged in input order into the whole log's: the period and the projection
   follow. The traffic digest is simulate's (``cluster.sums.traffic_digest_on``): the
   requests' hashes are shuffled on their top bits and sorted split by split on the
   workers, so the client holds one split at a time, never a hash per request.
3. Each replay a step needs (``check.run.Wanted``): the tasks' rows, re-priced on the workers
   with the baseline's table when the step needs it, replayed with the whole log's
   ``ReplayContext`` and the response cache's shuffle (``cluster.simulate.replay_tasks``);
   each task returns its ``StepSums`` (exact sums per tier, task type and routed model), and
   the client adds them: exact integers, so the steps, the effects and the JSON are the
   single process's to the bit, however the log was cut (``check/sums.py``).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from llmaudit.check.baseline import SavedBaseline
from llmaudit.check.decompose import Step, StepSums
from llmaudit.check.gate import Thresholds
from llmaudit.check.model import CheckReport
from llmaudit.check.run import SameRunBaseline, Traffic, Wanted, compare
from llmaudit.cluster import tasks
from llmaudit.cluster.analyze import OnStage, OnTask, Run
from llmaudit.cluster.plan import RANGE_CHUNKS
from llmaudit.cluster.simulate import replay_tasks
from llmaudit.cluster.sums import accounting, traffic_digest_on
from llmaudit.ingest.accounting import IngestStats
from llmaudit.ingest.reader import IngestOptions
from llmaudit.ingest.sources import InputSource
from llmaudit.pricing import PriceTable, price_requests
from llmaudit.simulate.collect import Tagger, compact
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.replay import Replayed

if TYPE_CHECKING:
    from distributed import Client, Future


def check_on(
    client: Client,
    sources: Sequence[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    tagger: Tagger,
    policy: Policy,
    baseline: SavedBaseline | SameRunBaseline,
    thresholds: Thresholds,
    *,
    range_chunks: int = RANGE_CHUNKS,
    on_task: OnTask | None = None,
    on_stage: OnStage | None = None,
) -> tuple[CheckReport, IngestStats]:
    """``check.run.check`` of ``sources`` read and replayed on ``client``'s cluster, and the
    reading's accounting: the single process's report, byte for byte."""
    run = Run(client, sources, ingest, table, range_chunks)
    stage = on_stage or (lambda _: None)
    read = run.read(tasks.read_rows, tagger, on_task=on_task)
    stage(f"summing the traffic of {len(read):,} tasks")
    stats = accounting(client, run, read)
    rows = [client.submit(_rows, part) for part in read]
    traffic = functools.reduce(Traffic.merge, client.gather([client.submit(Traffic.of, r) for r in rows]))
    digest = traffic_digest_on(client, rows)
    del rows  # the compact copies are released on the workers
    report = compare(traffic, digest, table, policy, baseline, thresholds, _Replays(client, run, read, stage))
    return report, stats


class _Replays:
    """``check.run.Replays`` on the cluster: the replays of one price table run together."""

    def __init__(self, client: Client, run: Run, read: list[Future], stage: Callable[[str], None]) -> None:
        self.client, self.run, self.read, self.stage = client, run, read, stage

    def __call__(self, wanted: Sequence[Wanted], months: float) -> list[Step]:
        client, out = self.client, {}
        groups: dict[tuple[bool, int], list[int]] = {}
        for i, w in enumerate(wanted):
            groups.setdefault((w.repriced, id(w.table)), []).append(i)
        for (repriced, _), members in groups.items():
            on = copy.copy(self.run)
            parts = self.read
            if repriced:
                [on.table] = client.scatter([wanted[members[0]].table], broadcast=True)
                parts = [client.submit(_repriced, part, on.table) for part in parts]
            self.stage(f"replaying the head traffic under {len(members)} step(s) on the workers")
            replays, _context = replay_tasks(client, on, parts, [wanted[i].policy for i in members])
            sums: list[list[StepSums]] = client.gather(
                [client.submit(_step_sums, part, rs) for part, rs in zip(parts, replays, strict=True)]
            )
            for k, i in enumerate(members):
                out[i] = functools.reduce(StepSums.merge, [task[k] for task in sums]).step(months)
        return [out[i] for i in range(len(wanted))]


def _rows(part: tasks.Part) -> pd.DataFrame:
    assert part.rows is not None
    return compact(part.rows)


def _repriced(part: tasks.Part, table: PriceTable) -> tasks.Part:
    """The task's rows priced with ``table`` (the baseline's), as the single process re-prices its frame."""
    return replace(part, rows=price_requests(_rows(part), table))


def _step_sums(part: tasks.Part, replays: list[Replayed]) -> list[StepSums]:
    rows = _rows(part)
    return [StepSums.of(rows, r) for r in replays]
