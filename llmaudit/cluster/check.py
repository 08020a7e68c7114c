"""``check --scheduler``: check's replays where the rows are; only sums come back.

1. Read: each task reads, tags and prices its input into rows on its worker (``Run.read``,
   with the duplicate-id shuffle).
2. One message a task: its accounting, without the rows, and its ``check.run.Traffic``
   (its request count, first and last timestamp, its days, models and one 8-byte hash per
   request for the digest), merged in input order into the whole log's: the period, the
   projection and the digest follow.
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
    summaries: list[tuple[tasks.Part, Traffic]] = client.gather([client.submit(_summary, part) for part in read])
    stats = accounting(run, [part for part, _ in summaries])
    traffic = functools.reduce(Traffic.merge, [t for _, t in summaries])
    report = compare(traffic, table, policy, baseline, thresholds, _Replays(client, run, read, stage))
    return report, stats


def accounting(run: Run, parts: list[tasks.Part]) -> IngestStats:
    """The reading's accounting from the tasks' parts (in input order, without their rows);
    ``InputError`` if nothing was usable."""
    first = parts[0]
    for later in parts[1:]:
        tasks.join(first, later)
    return run.finish(first).stats


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


def _summary(part: tasks.Part) -> tuple[tasks.Part, Traffic]:
    """The task's accounting (its rows left on the worker) and its traffic, in one message."""
    return replace(part, rows=None), Traffic.of(_rows(part))


def _rows(part: tasks.Part) -> pd.DataFrame:
    assert part.rows is not None
    return compact(part.rows)


def _repriced(part: tasks.Part, table: PriceTable) -> tasks.Part:
    """The task's rows priced with ``table`` (the baseline's), as the single process re-prices its frame."""
    return replace(part, rows=price_requests(_rows(part), table))


def _step_sums(part: tasks.Part, replays: list[Replayed]) -> list[StepSums]:
    rows = _rows(part)
    return [StepSums.of(rows, r) for r in replays]
