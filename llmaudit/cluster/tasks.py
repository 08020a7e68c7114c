"""What runs on the workers: one task's partial result, the shuffles' map and reduce steps,
and the merge of two consecutive partial results.

Every function here is a plain function of picklable values, so a scheduler may run it on
any worker and run it again when a worker dies (results are only ever merged once, by the
client's task graph: a retried task cannot count its records twice).
"""

from __future__ import annotations

import hashlib
import pickle
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa

from llmaudit.analyze.run import AnalyzeOptions, _Accumulator, accumulate
from llmaudit.cluster.lines import shift_error, shift_stats
from llmaudit.errors import InputError
from llmaudit.ingest.accounting import MAX_EXAMPLES, IngestStats
from llmaudit.ingest.parallel import limit_workers
from llmaudit.ingest.reader import FileHead, IngestOptions, RequestReader
from llmaudit.ingest.sources import InputSource
from llmaudit.pricing import PriceTable
from llmaudit.simulate.collect import Tagger, collect_rows

_EMPTY: Final = np.zeros(0, dtype=np.uint64)

# What each file's head decides (format, sample, verified shape: ``RequestReader.file_head``),
# per worker process and reading options: a worker's first range of a file reads and detects
# the head, its later ranges of the file reuse it (about 0.1 s a task otherwise). A file is
# known by its path, size and modification time. Ranges of a file are planned one after
# another, so the last few files of the last few runs' options are enough (memory: a few MB each).
_HEADS_KEPT: Final = 4


class _Recent(OrderedDict[Any, Any]):
    """A dict that keeps the ``_HEADS_KEPT`` entries set last (tasks of one worker may run on
    several threads: at worst two of them read a head both, and one result is kept)."""

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > _HEADS_KEPT:
            self.popitem(last=False)


_HEADS: Final[_Recent] = _Recent()


@dataclass
class Part:
    """One task's (or several consecutive tasks') partial result."""

    acc: _Accumulator | None
    stats: IngestStats
    failures: list[InputError] = field(default_factory=list)
    # Request id hashes this task read (each once), for the duplicate-id shuffle.
    ids: np.ndarray = field(default_factory=lambda: _EMPTY)
    # The task continues the previous task's file (a byte range after the first).
    continues: bool = False
    # The kept columns of every request (``simulate.collect``), for simulate and check.
    rows: pd.DataFrame | None = None


def _share_cores() -> None:
    """On a Dask worker, the reader's pools and pyarrow's get the worker's own threads, not every
    core of the host: the host's other workers are busy too (oversubscribed cores slow all)."""
    from distributed import get_worker

    try:
        threads = get_worker().state.nthreads
    except ValueError:  # not on a worker (a test calling the task directly)
        return
    limit_workers(max(1, threads))
    pa.set_cpu_count(max(1, threads))


def file_heads(ingest: IngestOptions) -> MutableMapping[tuple[str, int, int], FileHead]:
    """This process's file heads read with ``ingest`` (a run's options: the same in each of
    its tasks, down to its "now")."""
    token = hashlib.sha256(pickle.dumps(ingest)).hexdigest()
    heads = _HEADS.get(token)
    if heads is None:
        _HEADS[token] = heads = _Recent()
    return heads  # type: ignore[no-any-return]


def read_part(
    source: InputSource,
    ingest: IngestOptions,
    table: PriceTable,
    options: AnalyzeOptions,
    known_ids: np.ndarray | None = None,
) -> Part:
    """Read, tag, price and sum one task's input, exactly as the single-process pipeline does.

    ``known_ids``: ids that earlier tasks read, so their repeats here are dropped as
    duplicates (the second pass of the duplicate-id shuffle).
    """
    _share_cores()
    reader = RequestReader([source], ingest, known_ids=known_ids, heads=file_heads(ingest))
    reader.require_records = False
    acc = accumulate(reader, table, options)
    acc.table = None  # type: ignore[assignment]  # the client holds it; not shipped back
    ids = reader.request_id_hashes()
    if known_ids is not None and len(known_ids):
        ids = np.setdiff1d(ids, known_ids)
    return Part(acc, reader.stats, reader.failures, ids, continues(source))


def read_rows(
    source: InputSource,
    ingest: IngestOptions,
    table: PriceTable,
    tagger: Tagger,
    known_ids: np.ndarray | None = None,
) -> Part:
    """Read, tag and price one task's input into simulate's rows (``simulate.collect``)."""
    _share_cores()
    reader = RequestReader([source], ingest, known_ids=known_ids, heads=file_heads(ingest))
    reader.require_records = False
    rows = collect_rows(reader, table, tagger)
    ids = reader.request_id_hashes()
    return Part(None, reader.stats, reader.failures, ids, continues(source), rows)


def continues(source: InputSource) -> bool:
    """Whether ``source`` is a byte range after its file's first (its lines numbered from 1)."""
    return source.byte_range is not None and source.byte_range.start > 0


def lines_read(part: Part) -> int:
    """The lines a part read (of a range task: the range's lines)."""
    return part.stats.lines_read


# -- the shuffles: by hash, into ``n`` partitions --------------------------------------------


def split_ids(part: Part, n: int) -> list[np.ndarray]:
    """The part's request id hashes, by partition."""
    slot = part.ids % np.uint64(n)
    return [part.ids[slot == p] for p in range(n)]


def ids_seen_before(by_task: list[np.ndarray]) -> dict[int, np.ndarray]:
    """For one partition, in task order: each task's ids that an earlier task read."""
    if not by_task:
        return {}
    hashes = np.concatenate(by_task)
    task = np.repeat(np.arange(len(by_task)), [len(a) for a in by_task])
    order = np.lexsort((task, hashes))
    hashes, task = hashes[order], task[order]
    later = np.zeros(len(hashes), dtype=bool)
    later[1:] = hashes[1:] == hashes[:-1]
    return {int(t): hashes[later & (task == t)] for t in np.unique(task[later])}


def split_prompts(part: Part, n: int) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The part's prompt keys (prompt hash ^ model), by partition: (key, cost, order in part)."""
    acc = part.acc
    assert acc is not None
    keys = np.concatenate(acc.prompt_keys) if acc.prompt_keys else _EMPTY
    costs = np.concatenate(acc.prompt_costs) if acc.prompt_costs else np.zeros(0)
    slot = keys % np.uint64(n)
    ordinal = np.arange(len(keys), dtype=np.int64)
    return [(keys[slot == p], costs[slot == p], ordinal[slot == p]) for p in range(n)]


def repeats(by_task: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[int, np.ndarray]:
    """For one partition, in task order: the number of keys, and each repeat of an earlier
    key as (task, order in task, cost) rows."""
    keys = np.concatenate([k for k, _, _ in by_task]) if by_task else _EMPTY
    if not len(keys):
        return 0, np.zeros((0, 3))
    costs = np.concatenate([c for _, c, _ in by_task])
    ordinal = np.concatenate([o for _, _, o in by_task])
    task = np.repeat(np.arange(len(by_task)), [len(k) for k, _, _ in by_task])
    repeat = pd.Series(keys).duplicated(keep="first").to_numpy()
    return len(keys), np.column_stack([task[repeat], ordinal[repeat], costs[repeat]])


# -- merging -----------------------------------------------------------------------------


def merge(first: Part, later: Part) -> Part:
    """Two consecutive parts as one: sums replayed in order, the line accounting joined."""
    assert first.acc is not None and later.acc is not None
    first.acc.merge(later.acc)
    join(first, later)
    first.ids = _EMPTY
    return first


def join(first: Part, later: Part) -> None:
    """Add ``later``'s accounting and failures to ``first``'s (the parts are consecutive)."""
    by = continued_lines(first.stats, later)
    if by:
        source = later.stats.files[0].source
        shift_stats(later.stats, source, by)
        later.failures = [shift_error(e, source, by) for e in later.failures]
    merge_stats(first.stats, later.stats, later.continues)
    first.failures.extend(later.failures)


def continued_lines(before: IngestStats, later: Part) -> int:
    """The lines of ``later``'s first file that come before it: those ``before`` read of it,
    when ``later`` continues that file (its line numbers start from 1), else 0."""
    files = later.stats.files
    if later.continues and files and before.files and before.files[-1].source == files[0].source:
        return before.files[-1].lines_read
    return 0


def merge_stats(into: IngestStats, later: IngestStats, continues: bool) -> None:
    """Add ``later``'s accounting; a range of the same file adds to that file's line (its line
    numbers already the file's: ``join``)."""
    files = list(later.files)
    if continues and files and into.files and into.files[-1].source == files[0].source:
        head, more = into.files[-1], files.pop(0)
        head.lines_read += more.lines_read
        head.parsed += more.parsed
        head.skipped.update(more.skipped)
    into.files.extend(files)
    into.problems.extend(later.problems)
    for reason, examples in later.examples.items():
        kept = into.examples.setdefault(reason, [])
        kept.extend(examples[: max(0, MAX_EXAMPLES - len(kept))])
    for reason, detail in later.details.items():
        into.details.setdefault(reason, detail)
    into.warnings.update(later.warnings)
