"""``analyze``: price every request and aggregate where the money goes.

Works chunk by chunk over a ``RequestReader`` so memory stays bounded: each priced chunk
updates small per-dimension partial sums (and 16 bytes per request for the duplicate
prompt finding), then is handed to an optional sink (the ``--per-request`` writer) and
dropped. ``finish`` turns the partial sums into an :class:`AnalyzeReport`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from llmaudit import __version__
from llmaudit.analyze.findings import build_findings
from llmaudit.analyze.overspend import Overspend
from llmaudit.analyze.projection import DAYS_PER_MONTH, projection
from llmaudit.analyze.reconcile import BillAccumulator
from llmaudit.analyze.reconcile import findings as reconciliation_findings
from llmaudit.analyze.scoresummary import ScoreAccumulator, mixed_names_warning
from llmaudit.analyze.tagsummary import TagAccumulator
from llmaudit.analyze.totals import Aggregates, Duplicates, Totals
from llmaudit.ingest import SKIP_REASONS, RequestReader
from llmaudit.ingest.accounting import WARNING_TEXTS
from llmaudit.pricing import PriceTable, Seller, price_requests
from llmaudit.pricing.fallback import NAME as FALLBACK_NAME
from llmaudit.pricing.sellers import period_fees
from llmaudit.pricing.staleness import stale_warning
from llmaudit.report.fmt import plural
from llmaudit.report.model import (
    AnalyzeReport,
    BreakdownRow,
    CostBreakdown,
    CrossCell,
    ModelRow,
    Resolution,
    SellerBill,
    SellerFee,
    SkipRow,
    Summary,
    TaggedRow,
    UnpricedRow,
    input_files,
    pricing_sources,
)
from llmaudit.schema import (
    COST_COMPONENTS,
    INGESTED,
    OVERSPENT,
    PRICED_UNTAGGED,
    TAG_SEPARATOR,
    TOKEN_COLUMNS,
)
from llmaudit.tagging import TIER_NAMES, TagRules, tag_requests

# Breakdowns of tagged traffic, with the models that carry each one's cost.
TAG_DIMENSIONS: Final = ("task_type", "complexity_tier")
MAIN_MODELS: Final = 2
GROUP_DIMENSIONS: Final = ("user", "feature", "tag", "team", "project", "session", "provider", "model", "day")
_TOKEN_SUMS: Final = tuple(c for c in TOKEN_COLUMNS if c != "cache_write_1h_tokens")
_SUMMED: Final = ("requests", *_TOKEN_SUMS, "cost_usd", "cache_savings_usd", "unpriced")
_COST: Final = _SUMMED.index("cost_usd")

Sink = Callable[[pd.DataFrame], None]


@dataclass(frozen=True)
class AnalyzeOptions:
    """What to aggregate beyond the fixed breakdowns."""

    group_by: tuple[str, ...] = ()
    # Daily buckets are calendar days in this IANA time zone.
    timezone: str = "UTC"
    # Tag every request (task type, complexity tier); the user's rules, if any.
    tag: bool = True
    tag_rules: TagRules | None = None
    # --seller: the table is already as sold by this seller; its bill-level fees are added.
    seller: Seller | None = None
    # Requests shown per task type by --sample (0: none), drawn with this seed.
    sample: int = 0
    sample_seed: int = 0


def _dimension(frame: pd.DataFrame, name: str, timezone: str = "UTC") -> pd.Series:
    """The grouping key of each row for a breakdown dimension ("(none)" when absent)."""
    if name == "model":
        return frame["priced_model"].fillna(frame["model"])
    if name == "provider":
        return frame["priced_provider"].fillna(frame["provider"]).fillna("(unknown)")
    if name == "day":
        # Grouped as datetimes (cheap); formatted as text only for the final rows.
        stamps = frame["timestamp"]
        return (stamps if timezone == "UTC" else stamps.dt.tz_convert(timezone)).dt.floor("D")
    if name == "tag":
        return frame["tags"].fillna("(none)")
    return frame[name].fillna("(none)")


def _mean_difficulty(scored: pd.DataFrame | None, value: object) -> float | None:
    if scored is None or value not in scored.index or not scored.at[value, "n"]:
        return None
    return round(float(scored.at[value, "sum"] / scored.at[value, "n"]), 4)


class _Accumulator:
    def __init__(self, table: PriceTable, options: AnalyzeOptions) -> None:
        self.table = table
        self.options = options
        self.partials: dict[str, list[pd.DataFrame]] = defaultdict(list)
        # Requests and cost per pair of values: (tag value, model), (day, model), (task type, tier).
        self.model_costs: dict[str, _Pairs] = defaultdict(_Pairs)
        self.day_model = _Pairs()
        self.task_tier = _Pairs()
        self.seen_as: dict[str, set[str]] = defaultdict(set)
        self.unpriced: list[pd.DataFrame] = []
        # Running sums, keyed by the fields of ``Totals`` (typed once, in ``totals()``).
        self.sums: dict[str, float] = defaultdict(float)
        # Each chunk's additions to ``sums``, in order: merging replays them, so a merged
        # total is the same float sum, in the same order, as one process's (see ``merge``).
        self.deltas: list[dict[str, float]] = []
        self.first: pd.Timestamp | None = None
        self.last: pd.Timestamp | None = None
        self.prompt_keys: list[np.ndarray] = []
        self.prompt_costs: list[np.ndarray] = []
        self.bills = BillAccumulator()
        self.tags = TagAccumulator(options.sample, options.sample_seed)
        self.difficulty: dict[str, list[pd.DataFrame]] = defaultdict(list)
        self.scores = ScoreAccumulator()

    def update(self, priced: pd.DataFrame) -> None:
        """Add a chunk that passed the last stage: overspend when tagging, else pricing."""
        tagged = TAG_DIMENSIONS if self.options.tag else ()
        (OVERSPENT if tagged else PRICED_UNTAGGED).require(priced, "analyze")
        cost = priced["cost_usd"].to_numpy()
        unpriced = np.isnan(cost)
        # One row per request, one column per summed measure (see _SUMMED).
        measures = np.column_stack(
            [
                np.ones(len(priced)),
                *(priced[c].to_numpy(dtype=np.float64) for c in _TOKEN_SUMS),
                np.nan_to_num(cost),
                np.nan_to_num(priced["cache_savings_usd"].to_numpy()),
                unpriced.astype(np.float64),
            ]
        )
        t: dict[str, float] = defaultdict(float)
        for name, total in zip(_SUMMED, measures.sum(axis=0), strict=True):
            t[name] += float(total)
        t["cache_write_1h_tokens"] += float(priced["cache_write_1h_tokens"].sum())
        for c in COST_COMPONENTS:
            t[c] += float(np.nansum(priced[c].to_numpy()))
        t["estimated"] += int(priced["tokens_estimated"].sum())
        failed = (priced["status"] != "ok").to_numpy()
        # Empty: a successful call with no visible output (nothing, or only hidden reasoning).
        # Embeddings answer with vectors, not tokens: never empty.
        visible = (priced["output_tokens"] - priced["reasoning_tokens"]).to_numpy()
        raw_codes, raw_names = pd.factorize(priced["model"], use_na_sentinel=False)
        is_embedding = np.array(["embed" in str(name).lower() for name in raw_names], dtype=bool)  # per model name
        embedding = is_embedding[raw_codes] if len(raw_codes) else np.zeros(0, dtype=bool)
        empty = (~failed) & (visible == 0) & ~embedding
        t["failed"] += int(failed.sum())
        t["failed_cost_usd"] += float(np.nansum(cost[failed]))
        t["empty"] += int(empty.sum())
        t["empty_cost_usd"] += float(np.nansum(cost[empty]))
        self._add(t)

        stamps = priced["timestamp"]
        if stamps.notna().any():
            lo, hi = stamps.min(), stamps.max()
            self.first = lo if self.first is None else min(self.first, lo)
            self.last = hi if self.last is None else max(self.last, hi)

        coded: dict[str, tuple[np.ndarray, pd.Index]] = {}
        if tagged:  # mean difficulty per tag value: the scored rows' sum and count
            d = priced["difficulty"].to_numpy(dtype=np.float64)
            scored = ~np.isnan(d)
            d_sum, d_count = np.where(scored, d, 0.0), scored.astype(np.float64)
        # The measures one per row (contiguous), for the weighted counts of every dimension below:
        # the same values in the same order as ``measures``' columns, without a gather per count.
        by_measure = np.ascontiguousarray(measures.T)
        for name in ("model", "provider", "day", *self.options.group_by, *tagged):
            key = _dimension(priced, name, self.options.timezone)
            rows = np.arange(len(priced))
            if name == "tag":
                exploded = key.str.split(TAG_SEPARATOR).explode()
                rows, key = exploded.index.to_numpy(), exploded
            codes, uniques = pd.factorize(key, use_na_sentinel=False)
            weights = by_measure if name != "tag" else by_measure[:, rows]  # every row, in order, but "tag"
            sums = np.column_stack([np.bincount(codes, weights=w, minlength=len(uniques)) for w in weights])
            self.partials[name].append(pd.DataFrame(sums, index=pd.Index(uniques), columns=list(_SUMMED)))
            if name != "tag":
                coded[name] = (codes, pd.Index(uniques))
            if name == "model":  # first in the loop: the day and tag breakdowns' models
                model_codes, model_names = codes, uniques
                self.scores.update(priced, (codes, pd.Index(uniques)))
            elif name == "day":
                self.day_model.add(coded[name], coded["model"], measures)
            elif name in TAG_DIMENSIONS:
                self.model_costs[name].add(coded[name], coded["model"], measures)
                sums = np.bincount(codes, weights=d_sum, minlength=len(uniques))
                counts = np.bincount(codes, weights=d_count, minlength=len(uniques))
                self.difficulty[name].append(pd.DataFrame({"sum": sums, "n": counts}, index=pd.Index(uniques)))
        if tagged:
            self.task_tier.add(coded["task_type"], coded["complexity_tier"], measures)
            self.tags.update(priced)

        first_of_each = np.unique(raw_codes, return_index=True)[1]
        priced_names = priced["priced_model"].to_numpy(dtype=object)[first_of_each]
        for raw, priced_name in zip(raw_names, priced_names, strict=True):
            self.seen_as[priced_name if isinstance(priced_name, str) else raw].add(raw)
        self.bills.update(priced)
        if unpriced.any():
            self.unpriced.append(
                priced.loc[unpriced].groupby("model")[["input_tokens", "output_tokens"]].agg(["count", "sum"])
            )

        # Exact repeats: the same prompt to the same (priced) model as an earlier successful
        # request. Failed calls are left out: they leave nothing a cache could serve.
        has_prompt = ((priced["prompt_hash"] != 0) & (priced["status"] == "ok")).to_numpy()
        if has_prompt.any():
            # The "model" dimension's codes from the loop above: priced model, else the logged name.
            model_hash = pd.util.hash_array(np.asarray(model_names, dtype=object), categorize=False)[model_codes]
            self.prompt_keys.append(priced["prompt_hash"].to_numpy()[has_prompt] ^ model_hash[has_prompt])
            self.prompt_costs.append(cost[has_prompt])

    def _add(self, delta: dict[str, float]) -> None:
        for name, value in delta.items():
            self.sums[name] += value
        self.deltas.append(delta)

    def merge(self, later: _Accumulator) -> _Accumulator:
        """Add the partial sums of ``later`` (the chunks after this one's) to this one.

        Everything is kept per chunk and concatenated in order (sums replayed in order), so
        merging the accumulators of consecutive parts of the input gives the very numbers
        one accumulator over the whole input gives. The prompt keys are left out: a cluster
        run finds exact repeats by a shuffle on the keys (``llmaudit.cluster``).
        """
        for delta in later.deltas:
            self._add(delta)
        for name, parts in later.partials.items():
            self.partials[name].extend(parts)
        for name, pairs in later.model_costs.items():
            self.model_costs[name].extend(pairs)
        self.day_model.extend(later.day_model)
        self.task_tier.extend(later.task_tier)
        for name, raws in later.seen_as.items():
            self.seen_as[name] |= raws
        self.unpriced.extend(later.unpriced)
        if later.first is not None:
            self.first = later.first if self.first is None else min(self.first, later.first)
        if later.last is not None:
            self.last = later.last if self.last is None else max(self.last, later.last)
        self.bills.extend(later.bills)
        self.tags.merge(later.tags)
        self.scores.merge(later.scores)
        for name, parts in later.difficulty.items():
            self.difficulty[name].extend(parts)
        self.prompt_keys, self.prompt_costs = [], []
        return self

    # -- finishing ---------------------------------------------------------------------

    def breakdown(self, name: str) -> pd.DataFrame:
        parts = self.partials.get(name)
        if not parts:
            return pd.DataFrame(columns=list(_SUMMED))
        merged = pd.concat(parts).groupby(level=0, dropna=False).sum()
        return merged.sort_values(["cost_usd", "requests"], ascending=False, kind="stable")

    def rows(self, name: str) -> tuple[BreakdownRow, ...]:
        frame = self.breakdown(name)
        if name == "day":
            frame = frame.sort_index()
            frame.index = [k.strftime("%Y-%m-%d") if not pd.isna(k) else "(no timestamp)" for k in frame.index]
        total = self.sums["cost_usd"]
        return tuple(_row(BreakdownRow, str(key), r, total) for key, r in frame.iterrows())

    def tagged_rows(self, name: str) -> tuple[TaggedRow, ...]:
        """By task type (costliest first) or by complexity tier (in tier order), with main models."""
        frame = self.breakdown(name)
        if not len(frame):
            return ()
        if name == "complexity_tier":
            frame = frame.sort_index()
        models = self.model_costs[name].frame()["cost_usd"]
        total = self.sums["cost_usd"]
        scored = pd.concat(self.difficulty[name]).groupby(level=0).sum() if self.difficulty[name] else None
        out = []
        for value, r in frame.iterrows():
            top = models.loc[value].sort_values(ascending=False).head(MAIN_MODELS)
            row = _row(BreakdownRow, str(value), r, total)
            tier = name == "complexity_tier"
            out.append(
                TaggedRow(
                    key=str(int(value)) if tier else str(value),
                    requests=row.requests,
                    input_tokens=row.input_tokens,
                    output_tokens=row.output_tokens,
                    cost_usd=row.cost_usd,
                    share=row.share,
                    unpriced_requests=row.unpriced_requests,
                    main_models=tuple(str(m) for m in top.index),
                    name=TIER_NAMES.get(int(value)) if tier else None,
                    mean_difficulty=_mean_difficulty(scored, value),
                )
            )
        return tuple(out)

    def model_rows(self) -> tuple[ModelRow, ...]:
        frame = self.breakdown("model")
        total = self.sums["cost_usd"]
        out = []
        for key, r in frame.iterrows():
            key = str(key)
            priced = key in self.table.index
            provider = self.table.get(key).provider if priced else None
            out.append(
                _row(
                    ModelRow,
                    key,
                    r,
                    total,
                    model=key,
                    provider=provider,
                    priced=priced,
                    seen_as=tuple(sorted(self.seen_as.get(key, {key}))),
                )
            )
        return tuple(out)

    def totals(self) -> Totals:
        return Totals.from_sums(self.sums)

    def duplicate_prompts(self) -> Duplicates:
        """Prompts with text, repeats of an earlier identical prompt+model, cost of the repeats."""
        if not self.prompt_keys:
            return Duplicates(0, 0, 0.0)
        keys = np.concatenate(self.prompt_keys)
        costs = np.concatenate(self.prompt_costs)
        repeat = pd.Series(keys).duplicated(keep="first").to_numpy()
        return Duplicates(len(keys), int(repeat.sum()), float(np.nansum(costs[repeat])))


class _Pairs:
    """Requests and cost per pair of values of two dimensions, summed over chunks.

    Each chunk adds one bincount over the combined codes and keeps only the pairs that
    occur, as plain arrays; the pandas frame is built once, at the end (per-chunk frames
    cost more than the sums themselves).
    """

    def __init__(self) -> None:
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def add(self, a: tuple[np.ndarray, pd.Index], b: tuple[np.ndarray, pd.Index], measures: np.ndarray) -> None:
        (a_codes, a_names), (b_codes, b_names) = a, b
        width = len(b_names)
        pair = a_codes * width + b_codes
        size = len(a_names) * width
        requests = np.bincount(pair, minlength=size)
        seen = np.flatnonzero(requests)
        cost = np.bincount(pair, weights=measures[:, _COST], minlength=size)[seen]
        rows = np.asarray(a_names, dtype=object)[seen // width]
        columns = np.asarray(b_names, dtype=object)[seen % width]
        self._parts.append((rows, columns, requests[seen], cost))

    def extend(self, later: _Pairs) -> None:
        self._parts.extend(later._parts)

    def frame(self) -> pd.DataFrame:
        """``requests`` and ``cost_usd`` indexed by (a value, b value), each pair once."""
        if not self._parts:
            empty = pd.MultiIndex.from_arrays([[], []])
            return pd.DataFrame({"requests": [], "cost_usd": []}, index=empty)
        rows, columns, requests, cost = (np.concatenate(part) for part in zip(*self._parts, strict=True))
        index = pd.MultiIndex.from_arrays([rows, columns])
        return pd.DataFrame({"requests": requests, "cost_usd": cost}, index=index).groupby(level=[0, 1]).sum()


def _cross_cells(pairs: _Pairs, label: Callable[[object], str]) -> tuple[CrossCell, ...]:
    """The pairs as cells, ordered by row then column."""
    merged = pairs.frame().sort_index()
    return tuple(
        CrossCell(row=label(row), column=label(column), requests=int(r["requests"]), cost_usd=float(r["cost_usd"]))
        for (row, column), r in merged.iterrows()
    )


def _label(value: object) -> str:
    """A cross-table key as text: a day as its date, a tier as its number."""
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return "(no timestamp)"
    return str(int(value)) if isinstance(value, (int, np.integer)) else str(value)


def _row(cls: type, key: str, r: pd.Series, total: float, **extra: object):  # type: ignore[no-untyped-def]
    unpriced = int(r["unpriced"])
    requests = int(r["requests"])
    cost = float(r["cost_usd"]) if unpriced < requests else None
    return cls(
        key=key,
        requests=requests,
        input_tokens=int(r["input_tokens"]),
        cache_read_tokens=int(r["cache_read_tokens"]),
        cache_write_tokens=int(r["cache_write_tokens"]),
        output_tokens=int(r["output_tokens"]),
        reasoning_tokens=int(r["reasoning_tokens"]),
        cost_usd=cost,
        share=(cost / total) if cost is not None and total > 0 else None,
        cache_savings_usd=float(r["cache_savings_usd"]) if cost is not None else None,
        unpriced_requests=unpriced,
        **extra,
    )


def _resolution(table: PriceTable, raw: str) -> Resolution:
    """How ``raw`` was priced: the model, the rule, the table whose price is used, its confidence."""
    hit = table.resolve(raw)
    if hit is None:
        return Resolution(raw, None, None)
    price = table.get(hit.model)
    return Resolution(raw, hit.model, hit.rule, price.tables[-1] if price.tables else None, price.confidence)


def analyze(
    reader: RequestReader,
    table: PriceTable,
    options: AnalyzeOptions | None = None,
    sink: Sink | None = None,
) -> AnalyzeReport:
    """Read, price and aggregate every request; raises ``InputError`` if none is usable.

    Pricing runs on the reader's worker threads, next to parsing and conversion; this
    thread only aggregates (and hands each chunk to ``sink``).
    """
    options = options or AnalyzeOptions()
    acc = accumulate(reader, table, options, sink)
    return _build_report(acc, reader, table, options)


def accumulate(
    reader: RequestReader, table: PriceTable, options: AnalyzeOptions, sink: Sink | None = None
) -> _Accumulator:
    """The partial sums of every request ``reader`` reads (mergeable: ``_Accumulator.merge``)."""
    acc = _Accumulator(table, options)
    overspend = Overspend(table)

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        INGESTED.require(frame, "analyze")
        if not options.tag:
            return price_requests(frame, table)
        tagged = tag_requests(frame, options.tag_rules)
        return overspend.annotate(price_requests(tagged, table))

    reader.transform = prepare
    for priced in reader:
        acc.update(priced)
        if sink is not None:
            sink(priced)
    return acc


def _build_report(
    acc: _Accumulator,
    reader: RequestReader,
    table: PriceTable,
    options: AnalyzeOptions,
    found_repeats: Duplicates | None = None,
) -> AnalyzeReport:
    """The report from merged partial sums; ``found_repeats`` when the exact repeats were found
    elsewhere than in ``acc`` (a cluster run's shuffle)."""
    t = acc.totals()
    stats = reader.stats
    total_cost = t.cost_usd
    by_day = acc.rows("day")
    active = sum(1 for row in by_day if row.key != "(no timestamp)" and row.requests)
    projected, days, note = projection(total_cost, acc.first, acc.last, active)
    summary = Summary(
        requests=t.requests,
        lines_read=stats.lines_read,
        skipped_lines=sum(stats.skipped.values()),
        priced_requests=t.requests - t.unpriced,
        unpriced_requests=t.unpriced,
        estimated_requests=t.estimated,
        failed_requests=t.failed,
        period_start=acc.first.isoformat() if acc.first is not None else None,
        period_end=acc.last.isoformat() if acc.last is not None else None,
        period_days=days,
        total_cost_usd=total_cost,
        projected_monthly_cost_usd=projected,
        projection_note=note,
        timezone=options.timezone,
        tokens=t.tokens,
        cost_by_kind=CostBreakdown(
            input_usd=t.cost_input_usd,
            cache_read_usd=t.cost_cache_read_usd,
            cache_write_usd=t.cost_cache_write_usd,
            output_usd=t.cost_output_usd,
            reasoning_usd=t.cost_reasoning_usd,
            request_fees_usd=t.cost_request_fee_usd,
            cache_savings_usd=t.cache_savings_usd,
            tool_calls_usd=t.cost_tool_calls_usd,
        ),
    )
    skipped = tuple(
        SkipRow(
            reason=reason,
            description=SKIP_REASONS[reason][0],
            count=count,
            examples=tuple(stats.examples.get(reason, ())),
            hint=SKIP_REASONS[reason][1],
            detail=stats.details.get(reason),
        )
        for reason, count in sorted(stats.skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    unpriced = _unpriced_rows(acc.unpriced)
    by_model = acc.model_rows()
    groups = {name: acc.rows(name) for name in options.group_by}
    duplicates = found_repeats if found_repeats is not None else acc.duplicate_prompts()
    reconciliation = acc.bills.rows()
    months = days / DAYS_PER_MONTH if days else None
    overspend = acc.tags.finding(total_cost)
    extra = ((overspend,) if overspend is not None else ()) + tuple(reconciliation_findings(reconciliation, months))
    findings = build_findings(Aggregates(summary, t, by_model, groups, unpriced, duplicates), extra)
    warnings = []
    if note:
        warnings.append(note)
    for code, count in sorted(stats.warnings.items()):
        explained = f": {WARNING_TEXTS[code]}" if code in WARNING_TEXTS else ""
        warnings.append(f"{count} {code.replace('_', ' ')}{explained}")
    warnings += [problem.note for problem in stats.problems]
    scores = acc.scores.summary()
    mixed = mixed_names_warning(scores.names) if scores is not None else None
    if mixed:
        warnings.append(mixed)
    names = tuple(_resolution(table, raw) for raw in sorted({r for names in acc.seen_as.values() for r in names}))
    snapshot = sorted({n.model for n in names if n.model and n.table == FALLBACK_NAME})
    if snapshot:
        shown = ", ".join(snapshot[:8]) + (f" and {len(snapshot) - 8} more" if len(snapshot) > 8 else "")
        warnings.append(
            f"{plural(len(snapshot), 'model')} priced from the LiteLLM snapshot (no curated price; "
            f"medium confidence): {shown}"
        )
    last_day = acc.last.date() if acc.last is not None else None
    stale = stale_warning(table.tables, {n.table for n in names if n.table}, last_day)
    if stale:
        warnings.append(stale)
    return AnalyzeReport(
        tool_version=__version__,
        inputs=input_files(stats),
        pricing=pricing_sources(table),
        summary=summary,
        by_model=by_model,
        by_provider=acc.rows("provider"),
        by_day=by_day,
        groups=groups,
        skipped=skipped,
        unpriced=unpriced,
        findings=findings,
        warnings=tuple(warnings),
        model_names=names,
        reconciliation=reconciliation,
        by_task=acc.tagged_rows("task_type"),
        by_tier=acc.tagged_rows("complexity_tier"),
        by_day_model=_cross_cells(acc.day_model, _label),
        by_task_tier=_cross_cells(acc.task_tier, _label),
        samples=acc.tags.sample_rows(),
        seller=_seller_bill(options.seller, total_cost, t.requests, days, projected),
        scores=scores,
    )


def _seller_bill(
    seller: Seller | None, metered: float, requests: int, days: float | None, projected: float | None
) -> SellerBill | None:
    """The seller's bill-level fees on the log's period and on the projected month."""
    if seller is None:
        return None
    period = period_fees(seller, metered, requests, days) if days else None
    monthly = period_fees(seller, metered, requests, days, month=True) if projected is not None and days else None
    fees = tuple(SellerFee(i.name, i.usd, i.description) for i in period.items) if period else ()
    return SellerBill(
        seller=seller.name,
        display_name=seller.display_name,
        kind=seller.kind,
        source=seller.source,
        as_of=seller.as_of.isoformat(),
        period_days=days,
        metered_usd=metered,
        fees=fees,
        fees_usd=period.fees_usd if period else 0.0,
        total_usd=period.total_usd if period else metered,
        monthly_fees_usd=monthly.fees_usd if monthly else None,
        projected_monthly_total_usd=monthly.total_usd if monthly else None,
    )


def _unpriced_rows(parts: Sequence[pd.DataFrame]) -> tuple[UnpricedRow, ...]:
    if not parts:
        return ()
    merged = pd.concat(parts).groupby(level=0, dropna=False).sum()
    rows = [
        UnpricedRow(
            model=str(model),
            requests=int(r[("input_tokens", "count")]),
            input_tokens=int(r[("input_tokens", "sum")]),
            output_tokens=int(r[("output_tokens", "sum")]),
        )
        for model, r in merged.iterrows()
    ]
    return tuple(sorted(rows, key=lambda r: (-r.requests, r.model)))
