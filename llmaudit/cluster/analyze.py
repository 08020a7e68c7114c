"""``--scheduler``: analyze (and the reading of simulate and check) spread over a Dask cluster.

1. Plan: files, and byte ranges of large JSON Lines files, become tasks (``plan``).
2. Map: each task reads, tags, prices and sums its input (``tasks.read_part``), the very
   per-chunk pipeline of a single-process run; results stay on the workers.
3. Duplicate request ids, across tasks: a shuffle on the id hash. Each partition finds the
   ids a task shares with an earlier task; only tasks with such ids are read again, told
   those ids (so their repeats are dropped as the single process drops them).
4. Exact repeats of a prompt (the duplicate-prompt finding): a shuffle on the prompt key;
   each partition returns the repeats, the client sums their cost in input order.
5. Reduce: consecutive partial results are merged in a tree (``tasks.merge``), which
   replays every per-chunk sum in input order: the report is the one a single process
   writes, to the bit.

simulate, baseline and ``simulate --sweep`` read on the cluster the same way (steps 1-3),
then replay and sum on the workers (``cluster/simulate.py``, ``cluster/sums.py``); only
``--per-request`` gathers the rows in input order (``collect_on``). check keeps the rows on
the workers too and gathers only sums (``cluster/check.py``).

Progress goes to callbacks the CLI fills (this package never prints): ``on_task`` is told
each time a read task finishes (``TaskProgress``), ``on_stage`` names the later steps.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from llmaudit.analyze.run import AnalyzeOptions, _build_report
from llmaudit.analyze.totals import Duplicates
from llmaudit.cluster import tasks
from llmaudit.cluster.lines import shift_error
from llmaudit.cluster.plan import RANGE_CHUNKS, plan
from llmaudit.errors import InputError
from llmaudit.ingest.accounting import IngestStats
from llmaudit.ingest.reader import IngestOptions, RequestReader
from llmaudit.ingest.sources import InputSource
from llmaudit.pricing import PriceTable
from llmaudit.report.model import AnalyzeReport
from llmaudit.simulate.collect import Tagger, compact

if TYPE_CHECKING:
    from distributed import Client, Future

# The task that reads one input; tests swap in one that kills its worker once.
ReadPart = Callable[..., tasks.Part]


@dataclass(frozen=True)
class TaskProgress:
    """Read tasks finished of those planned (re-reads of tasks that share request ids join
    the plan when they are known), and their input bytes (compressed size for gzip);
    ``bytes_planned`` is None when some input's size is unknown."""

    done: int
    planned: int
    bytes_done: int
    bytes_planned: int | None


OnTask = Callable[[TaskProgress], None]
OnStage = Callable[[str], None]


def analyze_on(
    client: Client,
    sources: Sequence[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    options: AnalyzeOptions | None = None,
    *,
    range_chunks: int = RANGE_CHUNKS,
    read_part: ReadPart = tasks.read_part,
    on_task: OnTask | None = None,
    on_stage: OnStage | None = None,
) -> AnalyzeReport:
    """The analyze report of ``sources``, computed on ``client``'s cluster; progress told to
    ``on_task`` and ``on_stage`` when given."""
    options = options or AnalyzeOptions()
    run = Run(client, sources, ingest, table, range_chunks)
    parts = run.read(read_part, options, on_task=on_task)
    if on_stage is not None:
        on_stage(f"merging the results of {len(parts):,} tasks")
    repeated = _repeats(client, parts, run.width)
    merged: tasks.Part = _tree(client, parts).result()
    acc = merged.acc
    assert acc is not None
    acc.table = table
    for raw in sorted({r for names in acc.seen_as.values() for r in names}):
        table.resolve(raw)  # models priced from the fallback snapshot join the table, as on the workers
    reader = run.finish(merged)
    if on_stage is not None:
        on_stage("building the report")
    return _build_report(acc, reader, table, options, repeated)


def collect_on(
    client: Client,
    sources: Sequence[InputSource],
    ingest: IngestOptions,
    table: PriceTable,
    tagger: Tagger,
    *,
    range_chunks: int = RANGE_CHUNKS,
    on_task: OnTask | None = None,
    on_stage: OnStage | None = None,
) -> tuple[pd.DataFrame, IngestStats]:
    """Every request, tagged and priced on the cluster, in one frame (``simulate.collect``),
    with the reading's accounting: the frame a single process collects, row for row."""
    run = Run(client, sources, ingest, table, range_chunks)
    futures = run.read(tasks.read_rows, tagger, on_task=on_task)
    if on_stage is not None:
        on_stage(f"gathering the rows of {len(futures):,} tasks")
    return gather_rows(client, run, futures)


def gather_rows(client: Client, run: Run, read: list[Future]) -> tuple[pd.DataFrame, IngestStats]:
    """The rows of the read tasks in one frame, in input order, with the reading's accounting."""
    parts: list[tasks.Part] = client.gather(read)
    first = parts[0]
    for later in parts[1:]:
        tasks.join(first, later)
    reader = run.finish(first)
    frames = [p.rows for p in parts if p.rows is not None and len(p.rows)]
    return compact(pd.concat(frames, ignore_index=True)), reader.stats


class Run:
    """The steps every cluster command shares: routing, planning, reading with duplicate ids
    dropped across tasks, and the final accounting check."""

    def __init__(
        self, client: Client, sources: Sequence[InputSource], ingest: IngestOptions, table: PriceTable, chunks: int
    ) -> None:
        self.client = client
        # Files that are join data for another format are routed here, once, as a single run does.
        self.reader = RequestReader(list(sources), ingest)
        ingest = self.reader.options
        if ingest.now is None:  # one "now" for every worker's future-timestamp check
            ingest = replace(ingest, now=pd.Timestamp.now(tz="UTC"))
        self.ingest = ingest
        self.width = max(1, sum(client.nthreads().values()))
        self.inputs = plan(self.reader.sources, ingest, chunks, self.width)
        if not self.inputs:
            list(self.reader)  # no logs, only companion files: the single-process error
        [self.table] = client.scatter([table], broadcast=True)

    def read(self, read: Callable[..., tasks.Part], *args: Any, on_task: OnTask | None = None) -> list[Future]:
        """Each input read by ``read`` on the workers, in order; a task that shares request ids
        with an earlier task is read again, told those ids. ``on_task`` is told as each ends."""
        client, inputs, ingest = self.client, self.inputs, self.ingest
        tally = _Tally(on_task)
        parts = [
            client.submit(read, source, ingest, self.table, *args, key=f"llmaudit-read-{i}-{_token()}", retries=2)
            for i, source in enumerate(inputs)
        ]
        tally.watch(parts, inputs)
        _raise_first_error(client, parts, inputs)
        again = _ids_seen_before(client, parts, self.width)
        for i, known in again.items():
            parts[i] = client.submit(
                read, inputs[i], ingest, self.table, *args, known, key=f"llmaudit-reread-{i}-{_token()}", retries=2
            )
        tally.watch([parts[i] for i in again], [inputs[i] for i in again])
        _raise_first_error(client, parts, inputs)
        return parts

    def finish(self, merged: tasks.Part) -> RequestReader:
        """The client's reader with the merged accounting; ``InputError`` if nothing was usable."""
        reader = self.reader
        merged.stats.companions = reader.stats.companions
        reader.stats, reader.failures = merged.stats, merged.failures
        reader.check_usable()
        return reader


class _Tally:
    """Counts finished read tasks and their bytes for ``on_task`` (nothing without one)."""

    def __init__(self, on_task: OnTask | None) -> None:
        self.on_task = on_task
        self.state = TaskProgress(0, 0, 0, 0)

    def watch(self, futures: Sequence[Future], inputs: Sequence[InputSource]) -> None:
        """Tell ``on_task`` as each of ``futures`` (reading ``inputs``) ends, until all have."""
        if self.on_task is None or not futures:
            return
        from distributed import as_completed

        sizes = {future.key: _size(source) for future, source in zip(futures, inputs, strict=True)}
        known = self.state.bytes_planned
        planned = None if known is None or None in sizes.values() else known + sum(filter(None, sizes.values()))
        self._tell(planned=self.state.planned + len(futures), bytes_planned=planned)
        for future in as_completed(futures):
            self._tell(done=self.state.done + 1, bytes_done=self.state.bytes_done + (sizes[future.key] or 0))

    def _tell(self, **changes: Any) -> None:
        self.state = replace(self.state, **changes)
        assert self.on_task is not None
        self.on_task(self.state)


def _size(source: InputSource) -> int | None:
    """The bytes a task reads: its range, or its file's size (None when unknown)."""
    if source.byte_range is not None:
        return source.byte_range.end - source.byte_range.start
    try:
        return source.size
    except OSError:
        return None  # the task reports the file


def _token() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


def _raise_first_error(client: Client, futures: Sequence[Future], inputs: Sequence[InputSource]) -> None:
    """Wait for every task; the error of the earliest failed one (in input order), if any,
    its line numbers the file's (a range numbers its lines from 1: ``cluster.lines``)."""
    from distributed import wait

    wait(futures)
    for i, future in enumerate(futures):
        if future.status == "error":
            error = future.exception()
            first = i
            while tasks.continues(inputs[first]):
                first -= 1  # back to the file's first range: those tasks all succeeded
            if first < i and isinstance(error, InputError):
                earlier = client.gather([client.submit(tasks.lines_read, f) for f in futures[first:i]])
                error = shift_error(error, inputs[i].display, sum(earlier))
            raise error  # type: ignore[misc]


def _shuffle(
    client: Client, parts: Sequence[Future], split: Callable[..., Any], reduce: Callable[..., Any], width: int
) -> list[Any]:
    """Map each part to ``width`` hash partitions, reduce each partition (in task order)."""
    pieces = [client.submit(split, part, width) for part in parts]
    reduced = [
        client.submit(reduce, [client.submit(operator.getitem, piece, p) for piece in pieces]) for p in range(width)
    ]
    return client.gather(reduced)  # type: ignore[no-any-return]


def _ids_seen_before(client: Client, parts: Sequence[Future], width: int) -> dict[int, np.ndarray]:
    found: dict[int, list[np.ndarray]] = {}
    for by_task in _shuffle(client, parts, tasks.split_ids, tasks.ids_seen_before, width):
        for task, ids in by_task.items():
            found.setdefault(task, []).append(ids)
    return {task: np.concatenate(ids) for task, ids in sorted(found.items())}


def _repeats(client: Client, parts: Sequence[Future], width: int) -> Duplicates:
    """(prompts with text, repeats of an earlier prompt+model, their cost summed in input order)."""
    results = _shuffle(client, parts, tasks.split_prompts, tasks.repeats, width)
    prompts = sum(n for n, _ in results)
    rows = np.concatenate([r for _, r in results]) if results else np.zeros((0, 3))
    order = np.lexsort((rows[:, 1], rows[:, 0]))
    return Duplicates(prompts, len(rows), float(np.nansum(rows[order, 2])) if len(rows) else 0.0)


def _tree(client: Client, parts: list[Future]) -> Future:
    """Merge consecutive parts pairwise, level by level, on the workers."""
    level = list(parts)
    while len(level) > 1:
        pairs = [client.submit(tasks.merge, a, b) for a, b in zip(level[::2], level[1::2], strict=False)]
        level = pairs + ([level[-1]] if len(level) % 2 else [])
    return level[0]
