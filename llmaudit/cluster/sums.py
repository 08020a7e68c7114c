"""``--scheduler``: simulate's and baseline's report from sums made where the rows are.

The tasks read and replay as in ``cluster/simulate.py`` (rows and replays stay on the
workers). The report is then built by ``simulate.run.report``, the single-process code,
with the blocks on the workers: each pass over the blocks (``BlockMap``) runs a function
on every block of every task there, and only its small result travels. The client folds
the blocks' sums in input order as they arrive (``simulate/partial.py``), so the report
is one process's, byte for byte, and the client holds sums, never rows:

- one pass for the logged traffic's sums; the traffic digest (a hash of every request's
  hash, sorted) from a shuffle of the hashes on their top bits, hashed split by split
  (``traffic_digest_on``, which ``check`` uses too);
- per policy, one pass for its sums, four for the exact percentiles of the per-request
  cost (counts of 16-bit digits of the values' keys, ``simulate/select.py``), one for the
  spread around the mean;
- the rows that carry a score the logs hold (for logged quality evidence) are gathered.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import pandas as pd

from llmaudit.cluster import tasks
from llmaudit.cluster.analyze import OnTask, Run
from llmaudit.cluster.plan import RANGE_CHUNKS
from llmaudit.cluster.simulate import _replay_tasks
from llmaudit.ingest.accounting import IngestStats
from llmaudit.ingest.reader import IngestOptions
from llmaudit.ingest.sources import InputSource
from llmaudit.pricing import PriceTable
from llmaudit.report.model import input_files, pricing_sources
from llmaudit.report.simulate_model import SimulateReport
from llmaudit.simulate.blocks import BlockMap, PolicyBlock, policy_blocks, row_blocks
from llmaudit.simulate.collect import Tagger
from llmaudit.simulate.policy import Policy
from llmaudit.simulate.quality import QualityScores
from llmaudit.simulate.replay import Replayed
from llmaudit.simulate.run import NamedPolicy, report
from llmaudit.simulate.snapshot import DIGEST_CHARS, traffic_rows
from llmaudit.simulate.sweep import SHARES, SweepReport, sweep_policies, sweep_report

if TYPE_CHECKING:
    from distributed import Client, Future

BATCH: Final = 64
"""Tasks' results gathered at a time: the client folds them in order, a batch in memory."""


def report_on(
    client: Client,
    sources: Sequence[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    tagger: Tagger,
    policies: Sequence[NamedPolicy],
    scores: Callable[[pd.DataFrame], QualityScores | None],
    *,
    range_chunks: int = RANGE_CHUNKS,
    on_task: OnTask | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, IngestStats, QualityScores | None, SimulateReport]:
    """simulate on a cluster: the rows that carry a logged score, the reading's accounting,
    the quality scores (``scores`` of those rows) and the report, built from the blocks'
    sums computed on the workers."""
    run = Run(client, sources, ingest, table, range_chunks)
    stage = on_stage or (lambda _: None)
    read = run.read(tasks.read_rows, tagger, on_task=on_task)
    stats = accounting(client, run, read)
    stage(f"replaying {len(policies)} policies on the workers")
    rows, replays, _ = _replay_tasks(client, run, read, [named.policy for named in policies])
    logged, quality, shared = _logged_quality(client, rows, scores)

    def blocks_of(index: int, named: NamedPolicy) -> BlockMap:
        held = [client.submit(_billed, part, rs, index, run.table) for part, rs in zip(rows, replays, strict=True)]
        return _OnWorkers(client, held, _each_block)

    simulation = report(
        _OnWorkers(client, rows, _each_row_block),
        blocks_of,
        lambda: traffic_digest_on(client, rows),
        table,
        policies,
        inputs=input_files(stats),
        pricing=pricing_sources(table),
        quality=quality,
        quality_on_blocks=shared,
        on_stage=stage,
        threads=1,
    )
    return logged, stats, quality, simulation


def sweep_on(
    client: Client,
    sources: Sequence[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    tagger: Tagger,
    policy: Policy,
    scores: Callable[[pd.DataFrame], QualityScores | None],
    *,
    range_chunks: int = RANGE_CHUNKS,
    on_task: OnTask | None = None,
    on_stage: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, IngestStats, QualityScores | None, SweepReport]:
    """``simulate --sweep`` on a cluster, as ``report_on``: the policy at each share replayed
    and summed on the workers (``sweep.sweep_report``)."""
    run = Run(client, sources, ingest, table, range_chunks)
    stage = on_stage or (lambda _: None)
    read = run.read(tasks.read_rows, tagger, on_task=on_task)
    stats = accounting(client, run, read)
    stage(f"replaying {len(SHARES)} shares of policy {policy.name!r} on the workers")
    rows, replays, _ = _replay_tasks(client, run, read, sweep_policies(policy))
    logged, quality, shared = _logged_quality(client, rows, scores)

    def blocks_of(index: int, _: Policy) -> BlockMap:
        held = [client.submit(_replay_blocks, part, rs, index) for part, rs in zip(rows, replays, strict=True)]
        return _OnWorkers(client, held, _each_block)

    curve = sweep_report(_OnWorkers(client, rows, _each_row_block), blocks_of, policy, quality, SHARES, shared)
    return logged, stats, quality, curve


def _logged_quality(
    client: Client, rows: list[Future], scores: Callable[[pd.DataFrame], QualityScores | None]
) -> tuple[pd.DataFrame, QualityScores | None, Any]:
    """The rows that carry a logged score, the quality scores of the run, and a future of them."""
    scored = [client.submit(_scored, part) for part in rows]
    logged = pd.concat(client.gather(scored), ignore_index=True) if scored else pd.DataFrame()
    quality = scores(logged)
    return logged, quality, client.scatter([quality], broadcast=True)[0] if quality is not None else None


class _OnWorkers:
    """A ``BlockMap`` over blocks held on the workers (a future per task): ``fn`` runs there,
    on each of the task's blocks, and the results come back in input order."""

    def __init__(self, client: Client, held: list[Future], each: Callable[..., list[Any]]) -> None:
        self.client, self.held, self.each = client, held, each

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Iterator[Any]:
        futures: list[Future | None] = [self.client.submit(self.each, h, fn, *args) for h in self.held]
        for start in range(0, len(futures), BATCH):
            batch = futures[start : start + BATCH]
            futures[start : start + BATCH] = [None] * len(batch)  # released once folded
            for results in self.client.gather(batch):
                yield from results


def _each_row_block(rows: pd.DataFrame, fn: Callable[..., Any], *args: Any) -> list[Any]:
    return [fn(block, *args) for block in row_blocks(rows)]


def _each_block(blocks: list[PolicyBlock], fn: Callable[..., Any], *args: Any) -> list[Any]:
    return [fn(block, *args) for block in blocks]


def _billed(rows: pd.DataFrame, replays: list[Replayed], index: int, table: PriceTable) -> list[PolicyBlock]:
    """The task's blocks of policy ``index``'s replay, with each seller's per-request cost."""
    r = replays[index]
    assert r.reprice is not None
    sold = {seller.name: r.reprice(table.as_sold_by(seller)) for seller in table.sellers.values()}
    return list(policy_blocks(rows, r, sold))


def _replay_blocks(rows: pd.DataFrame, replays: list[Replayed], index: int) -> list[PolicyBlock]:
    return list(policy_blocks(rows, replays[index], {}))


def _scored(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows that carry a score the logs hold (``shadow.logged``)."""
    if "score" not in rows:
        return rows.iloc[:0]
    return rows.iloc[np.flatnonzero(rows["score"].notna().to_numpy())]


def traffic_digest_on(client: Client, rows: list[Future]) -> str:
    """``snapshot.traffic_digest`` of every task's rows (simulate's report, check's "same
    traffic" test): each task hashes its rows; the hashes are split by their top bits, each
    split sorted on a worker, and the client hashes the sorted splits in order, one at a
    time (it holds one split, never every hash)."""
    bits = max(0, min(16, int(np.ceil(np.log2(max(1, 2 * len(rows)))))))
    pieces = [client.submit(_split_hashes, part, bits) for part in rows]
    digest = hashlib.sha256()
    for split in range(1 << bits):
        merged = client.submit(_sorted, [client.submit(operator.getitem, piece, split) for piece in pieces])
        digest.update(client.gather(merged).tobytes())
    return digest.hexdigest()[:DIGEST_CHARS]


def _split_hashes(rows: pd.DataFrame, bits: int) -> list[np.ndarray]:
    hashes = traffic_rows(rows)
    if not bits:
        return [hashes]
    top = (hashes >> np.uint64(64 - bits)).astype(np.intp)
    order = np.argsort(top, kind="stable")
    return np.split(hashes[order], np.searchsorted(top[order], np.arange(1, 1 << bits)))


def _sorted(pieces: list[np.ndarray]) -> np.ndarray:
    return np.sort(np.concatenate(pieces))


def accounting(client: Client, run: Run, read: list[Future]) -> IngestStats:
    """The reading's accounting, merged in input order (the rows stay on the workers)."""
    parts: list[tasks.Part] = client.gather([client.submit(_without_rows, part) for part in read])
    first = parts[0]
    for later in parts[1:]:
        tasks.join(first, later)
    return run.finish(first).stats


def _without_rows(part: tasks.Part) -> tasks.Part:
    """The part's accounting (without its rows, nor its request ids' hashes: 8 bytes a request)."""
    return tasks.Part(None, part.stats, part.failures, continues=part.continues)
