"""``llmaudit pricing``: list, show, validate, diff and import price tables.

A thin layer: every command calls one function of :mod:`llmaudit.pricing` for the data
and renders it here as a rich table (``--format table``) or stable JSON (``--format
json``: sorted keys, ``schema_version``). Errors are ``LlmauditError``s and reach the
one error boundary in :mod:`llmaudit.cli`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from llmaudit.cli import options as opt
from llmaudit.cli.app import SETTINGS
from llmaudit.cli.console import emit, wants_color, width
from llmaudit.errors import EXIT_BAD_INPUT, UsageError
from llmaudit.pricing import PriceTable, TableInfo, load_pricing, shipped_pricing_dir, validate_pricing
from llmaudit.pricing.catalog import list_models, model_summary, show_model
from llmaudit.pricing.diff import diff_tables
from llmaudit.pricing.importers import IMPORTERS, ImportFilters, import_price_list
from llmaudit.pricing.spec import RATE_KINDS
from llmaudit.report import RenderOptions
from llmaudit.report.fmt import money, plural
from llmaudit.report.formats._fit import FitTable
from llmaudit.report.formats.json_format import dumps
from llmaudit.report.formats.table_format import console_text, new_console
from llmaudit.versions import SCHEMA_VERSION

HELP = """\
Inspect, check, compare and import price tables.

Prices are USD per million tokens. The shipped tables (pricing/*.yaml) are always
loaded first; --pricing adds your own on top, as `analyze` does. The schema, the
fallback rules and every check are documented in pricing/README.md.
"""

pricing_app = typer.Typer(
    name="pricing",
    help=HELP,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings=SETTINGS,
)


class Format(StrEnum):
    table = "table"
    json = "json"


FormatOpt = Annotated[
    Format, typer.Option("--format", "-f", metavar="FORMAT", help="Output format: table (terminal) or json (stable).")
]
NoDefault = Annotated[
    bool,
    typer.Option("--no-default-pricing", help="Leave out the shipped tables; use only the --pricing ones."),
]
SellerOpt = Annotated[
    str | None,
    typer.Option("--seller", metavar="NAME", help="Prices as this seller charges them (see `pricing list --sellers`)."),
]


def _load(pricing: Sequence[Path], no_default: bool) -> PriceTable:
    return load_pricing(pricing, include_shipped=not no_default)


def _console(output: Path | None) -> Console:
    return new_console(RenderOptions(color=wants_color(output), width=width(output)))[0]


def _text(console: Console) -> str:
    return console_text(console, console.is_terminal)


def _table(title: str, columns: Sequence[str], numeric: Sequence[str] = (), labels: Sequence[str] = ()) -> FitTable:
    """A table that never cuts a rate or a name (``FitTable``); ``labels`` is kept for the callers."""
    del labels
    table = FitTable(title)
    for name in columns:
        table.add_column(name, numeric=name in numeric, wrap=name not in numeric)
    return table


def _located(where: str) -> str:
    """``file:line`` with a shipped table's file shown as ``(shipped) name.yaml`` (stable across installs)."""
    shipped = str(shipped_pricing_dir())
    return f"(shipped) {where[len(shipped) + 1 :]}" if where.startswith(shipped + "/") else where


def _fee(value: float) -> str:
    """A fee in USD, to the cent (sub-cent fees keep their digits)."""
    return f"${value:,.2f}" if value >= 0.01 or value == 0 else f"${value:g}"


def _rate(value: float | None) -> str:
    """A per-million price for people: up to 6 significant digits, no float noise."""
    return "-" if value is None else f"{value:.6g}"


def _emit_json(data: Any, output: Path | None) -> None:
    emit(dumps(data), output)


def _tables_json(tables: Sequence[TableInfo]) -> list[dict[str, Any]]:
    return [
        {"name": t.name, "path": t.shown_path, "source": t.source, "as_of": t.as_of.isoformat(), "shipped": t.shipped}
        for t in tables
    ]


# --------------------------------------------------------------------------- list

LIST_EPILOG = """\
Examples:

\b
  llmaudit pricing list
  llmaudit pricing list gpt-5 --provider openai
  llmaudit pricing list 'claude-*-4-5' --format json
  llmaudit pricing list --pricing my-prices.yaml --provider acme
  llmaudit pricing list --sellers
  llmaudit pricing list deepseek --seller openrouter
"""


@pricing_app.command("list", epilog=LIST_EPILOG, short_help="List priced models (or sellers) and their main rates.")
def list_command(
    pattern: Annotated[
        str | None,
        typer.Argument(
            help="Keep models whose name or an alias contains PATTERN (a glob with * ? [ ]).",
            show_default=False,
            metavar="PATTERN",
        ),
    ] = None,
    provider: Annotated[
        list[str],
        typer.Option(
            "--provider", metavar="NAME", help="Keep models of this provider. Repeatable.", show_default=False
        ),
    ] = [],  # noqa: B006 - typer reads the default, never mutates it
    sellers: Annotated[bool, typer.Option("--sellers", help="List the sellers instead of the models.")] = False,
    seller: SellerOpt = None,
    pricing: opt.Pricing = [],  # noqa: B006
    no_default_pricing: NoDefault = False,
    output_format: FormatOpt = Format.table,
    output: opt.Output = None,
) -> None:
    """List the priced models (or sellers) with their main rates, USD per million tokens.

    Input, output, cache-read and cache-write prices are shown after the fallbacks
    (a model without a cache price bills cached tokens at its input price); `pricing
    show MODEL` shows every rate, tier and mode.
    """
    table = _load(pricing, no_default_pricing)
    if sellers:
        _list_sellers(table, output_format, output)
        return
    if seller:
        table = table.as_sold_by(seller)
    models = list_models(table, providers=provider, pattern=pattern)
    if output_format == Format.json:
        _emit_json(
            {
                "schema_version": SCHEMA_VERSION,
                "sold_by": table.sold_by,
                "models": [model_summary(m) for m in models],
                "tables": _tables_json(table.tables),
            },
            output,
        )
        return
    console = _console(output)
    label = f" as sold by {table.sold_by}" if table.sold_by else ""
    view = _table(
        f"{len(models)} model{'s' if len(models) != 1 else ''}{label} (USD per million tokens)",
        ("model", "provider", "input", "output", "cache read", "cache write", "context", "modes", "tiers above"),
        numeric=("input", "output", "cache read", "cache write", "context"),
        labels=[m.name for m in models],
    )
    for m in models:
        view.add_row(
            m.name,
            m.provider or "-",
            _rate(m.rate("input")),
            _rate(m.rate("output")),
            _rate(m.rate("cache_read")),
            _rate(m.rate("cache_write")),
            f"{m.context_window:,}" if m.context_window else "-",
            ", ".join(sorted(m.modes)) or "-",
            ", ".join(f"{t.above:,}" for t in m.tiers) or "-",
        )
    console.print(view)
    if not models:
        console.print("No model matches; try a shorter PATTERN or drop --provider.")
    emit(_text(console), output)


def _list_sellers(table: PriceTable, output_format: Format, output: Path | None) -> None:
    sellers = list(table.sellers.values())
    if output_format == Format.json:
        _emit_json({"schema_version": SCHEMA_VERSION, "sellers": [s.to_dict() for s in sellers]}, output)
        return
    console = _console(output)
    view = _table(
        f"{len(sellers)} seller{'s' if len(sellers) != 1 else ''}",
        (
            "seller",
            "kind",
            "other models",
            "markup",
            "per request",
            "credit fee",
            "BYOK fee",
            "FX fee",
            "own prices",
            "as of",
        ),
        labels=[s.name for s in sellers],
    )
    for s in sellers:
        credit = f"{s.credit_fee.pct:g}% (min {_fee(s.credit_fee.min_usd)})" if s.credit_fee else "-"
        byok = f"{s.byok_fee.pct:g}% above {s.byok_fee.free_requests_per_month:,} req/month" if s.byok_fee else "-"
        view.add_row(
            s.name,
            s.kind,
            "list price" if s.unlisted_models == "list_price" else "unpriced",
            f"{s.markup_pct:g}%",
            _fee(s.per_request_usd) if s.per_request_usd else "-",
            credit,
            byok,
            f"{s.fx_fee_pct:g}%" if s.fx_fee_pct else "-",
            (f"{len(s.models)} model{'s' if len(s.models) != 1 else ''}" if s.models else "-"),
            s.as_of.isoformat(),
        )
    console.print(view)
    emit(_text(console), output)


# --------------------------------------------------------------------------- show

SHOW_EPILOG = """\
Examples:

\b
  llmaudit pricing show gpt-4o
  llmaudit pricing show us.anthropic.claude-sonnet-4-5-20250929-v1:0
  llmaudit pricing show deepseek-v4-flash --seller openrouter
  llmaudit pricing show --seller openrouter --format json
"""


@pricing_app.command("show", epilog=SHOW_EPILOG, short_help="Show every rate, tier, source and date of one model.")
def show_command(
    model: Annotated[
        str | None,
        typer.Argument(help="A model name as your logs spell it.", show_default=False, metavar="MODEL"),
    ] = None,
    seller: SellerOpt = None,
    pricing: opt.Pricing = [],  # noqa: B006
    no_default_pricing: NoDefault = False,
    output_format: FormatOpt = Format.table,
    output: opt.Output = None,
) -> None:
    """Show one model: the name it resolves to and how, every rate for every long-context
    tier and pricing mode (after fallbacks; `*` marks a rate the tables set), the
    per-request fee, context window, and the tables it comes from with their source and
    as-of date. With --seller only, show that seller and its fees.
    """
    table = _load(pricing, no_default_pricing)
    if model is None:
        if seller is None:
            raise UsageError("give a MODEL, or --seller NAME to show a seller", hint="llmaudit pricing show gpt-4o")
        _show_seller(table, seller, output_format, output)
        return
    if seller:
        table = table.as_sold_by(seller)
    detail = show_model(table, model)
    if output_format == Format.json:
        data = detail.to_dict()
        data.update(defined_in=_located(detail.model.defined_in), tables=_tables_json(detail.tables))
        _emit_json(data, output)
        return
    m = detail.model
    console = _console(output)
    how = (
        ""
        if detail.rule == "exact" and model.strip().lower() == m.name.lower()
        else f" (matched {model!r} by {detail.rule})"
    )
    console.print(
        f"{m.name}{how}" + (f", as sold by {detail.sold_by}" if detail.sold_by else ""), markup=False, soft_wrap=True
    )
    facts = [
        ("provider", m.provider or "-"),
        ("aliases", ", ".join(m.aliases) or "-"),
        ("context window", f"{m.context_window:,} tokens" if m.context_window else "-"),
        ("max output", f"{m.max_output_tokens:,} tokens" if m.max_output_tokens else "-"),
        ("per request", money(m.per_request_usd) if m.per_request_usd else "-"),
        ("supports", ", ".join(sorted(m.supports)) or "-"),
        ("defined in", _located(m.defined_in)),
        ("confidence", m.confidence),
    ]
    if m.source:
        facts.append(("source", m.source))
    if m.notes:
        facts.append(("notes", m.notes))
    for label, value in facts:
        console.print(f"  {label:<15}{value}", markup=False, soft_wrap=True)
    view = _table(
        "Rates, USD per million tokens (* = set in a table, otherwise a fallback)",
        ("prompt tokens", "mode", *RATE_KINDS),
        numeric=RATE_KINDS,
    )
    for row in detail.rows:
        view.add_row(
            "any" if not m.tiers else (f"> {row.above:,}" if row.above else f"<= {m.tiers[0].above:,}"),
            row.mode,
            *(f"{_rate(row.rates[k])}{'*' if k in row.declared else ''}" for k in RATE_KINDS),
        )
    console.print(view)
    sources = _table("Tables", ("table", "as of", "source", "path"))
    for t in detail.tables:
        sources.add_row(t.name, t.as_of.isoformat(), t.source, t.shown_path)
    console.print(sources)
    emit(_text(console), output)


def _show_seller(table: PriceTable, name: str, output_format: Format, output: Path | None) -> None:
    seller = table.seller(name)
    if output_format == Format.json:
        _emit_json({"schema_version": SCHEMA_VERSION, "seller": seller.to_dict()}, output)
        return
    console = _console(output)
    console.print(f"{seller.display_name or seller.name} ({seller.kind}, from table {seller.table})", markup=False)
    lines = [
        ("url", seller.url or "-"),
        ("source", seller.source),
        ("as of", seller.as_of.isoformat()),
        ("other models", "at list price" if seller.unlisted_models == "list_price" else "not sold (unpriced)"),
        ("markup", f"{seller.markup_pct:g}% on list prices"),
        ("per request", _fee(seller.per_request_usd) if seller.per_request_usd else "none"),
        (
            "credit fee",
            f"{seller.credit_fee.pct:g}% of each credit purchase, at least {_fee(seller.credit_fee.min_usd)}"
            if seller.credit_fee
            else "none",
        ),
        (
            "BYOK fee",
            f"{seller.byok_fee.pct:g}% of BYOK traffic above "
            f"{seller.byok_fee.free_requests_per_month:,} requests a month"
            if seller.byok_fee
            else "none",
        ),
        ("FX fee", f"{seller.fx_fee_pct:g}% of the bill" if seller.fx_fee_pct else "none (billed in USD)"),
    ]
    if seller.notes:
        lines.append(("notes", seller.notes))
    for label, value in lines:
        console.print(f"  {label:<15}{value}", markup=False, soft_wrap=True)
    if seller.models:
        view = _table(
            "Own prices, USD per million tokens",
            ("model", "input", "output", "cache read"),
            ("input", "output", "cache read"),
        )
        for key, fields in sorted(seller.models.items()):
            view.add_row(key, _rate(fields.get("input")), _rate(fields.get("output")), _rate(fields.get("cache_read")))
        console.print(view)
    emit(_text(console), output)


# --------------------------------------------------------------------------- validate

VALIDATE_EPILOG = """\
Examples:

\b
  llmaudit pricing validate my-prices.yaml
  llmaudit pricing validate pricing/
  llmaudit pricing validate prices/ --strict --format json

Exit codes: 0 no errors (warnings alone are fine), 2 errors (or warnings with --strict).
"""


@pricing_app.command(
    "validate", epilog=VALIDATE_EPILOG, short_help="Check tables for schema errors and unit slips (file:line)."
)
def validate_command(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Price table files or directories of .yaml files.", show_default=False, metavar="PATH..."),
    ],
    strict: Annotated[bool, typer.Option("--strict", help="Treat warnings as errors (exit 2).")] = False,
    no_default_pricing: Annotated[
        bool,
        typer.Option(
            "--no-default-pricing",
            help="Check PATH on its own instead of on top of the shipped tables (a table that only "
            "overrides shipped prices then misses its other prices).",
        ),
    ] = False,
    output_format: FormatOpt = Format.table,
    output: opt.Output = None,
) -> None:
    """Check price tables for schema errors and unit slips, naming file, line and field.

    Errors (exit 2): unknown fields, wrong types, a per-token price in a per-million field
    (below 0.001), a price above $1,000 per million, tiers out of order, a model without
    input or output price. Warnings: prices 10x off the ones they override, output
    cheaper than input where the provider never does that, cache reads pricier than
    input, a missing context window, and more (pricing/README.md, "Validation").
    """
    report = validate_pricing(paths, include_shipped=not no_default_pricing)
    failed = bool(report.errors) or (strict and bool(report.warnings))
    if output_format == Format.json:
        _emit_json({**report.to_dict(), "strict": strict, "ok": not failed}, output)
    else:
        lines = [f"error: {f}" for f in report.errors] + [f"warning: {f}" for f in report.warnings]
        summary = (
            f"{plural(len(report.files), 'file')}, {plural(report.models, 'model')}, "
            f"{plural(report.sellers, 'seller')}: "
            f"{plural(len(report.errors), 'error')}, {plural(len(report.warnings), 'warning')}"
        )
        emit("\n".join([*lines, summary + ("" if not failed else " (failed)")]) + "\n", output)
    if failed:
        raise typer.Exit(EXIT_BAD_INPUT)


# --------------------------------------------------------------------------- diff

DIFF_EPILOG = """\
Examples:

\b
  llmaudit pricing diff old-prices.yaml new-prices.yaml
  llmaudit pricing diff prices-litellm-2026-10.yaml prices-litellm.yaml --format json -o changes.json
"""


@pricing_app.command(
    "diff", epilog=DIFF_EPILOG, short_help="Compare two tables: models added, removed, prices changed."
)
def diff_command(
    old: Annotated[
        Path, typer.Argument(help="The earlier table (file or directory).", show_default=False, metavar="OLD")
    ],
    new: Annotated[
        Path, typer.Argument(help="The later table (file or directory).", show_default=False, metavar="NEW")
    ],
    output_format: FormatOpt = Format.table,
    output: opt.Output = None,
) -> None:
    """Compare two price tables: models added and removed, and each price that changed,
    with the change in USD per million tokens and in percent.

    Each side is read on its own (no shipped tables) and compared as written, before
    fallbacks; a model is matched by name, then by alias.
    """
    diff = diff_tables(
        load_pricing([old], include_shipped=False),
        load_pricing([new], include_shipped=False),
        old_label=str(old),
        new_label=str(new),
    )
    if output_format == Format.json:
        _emit_json(diff.to_dict(), output)
        return
    console = _console(output)
    console.print(
        f"{old} -> {new}: {len(diff.added)} added, {len(diff.removed)} removed, "
        f"{plural(len(diff.changed_models), 'model')} changed ({plural(len(diff.changed), 'price')}), "
        f"{diff.unchanged} unchanged",
        markup=False,
        soft_wrap=True,
    )
    for title, names in (("Added", diff.added), ("Removed", diff.removed)):
        if names:
            console.print(f"{title}: {', '.join(names)}", markup=False, soft_wrap=True)
    if diff.changed:
        view = _table(
            "Changed (USD per million tokens)",
            ("model", "field", "old", "new", "change", "%"),
            ("old", "new", "change", "%"),
            labels=[c.model for c in diff.changed],
        )
        for c in diff.changed:
            view.add_row(
                c.model,
                c.field,
                _rate(c.old),
                _rate(c.new),
                "-" if c.delta is None else f"{c.delta:+.6g}",
                "-" if c.pct is None else f"{c.pct:+.1f}%",
            )
        console.print(view)
    emit(_text(console), output)


# --------------------------------------------------------------------------- import

IMPORT_EPILOG = """\
Examples:

\b
  llmaudit pricing import litellm model_prices_and_context_window.json
  llmaudit pricing import litellm https://raw.githubusercontent.com/BerriAI/litellm/v1.106.0/\
model_prices_and_context_window.json -o prices/litellm.yaml
  llmaudit pricing import litellm prices.json --only anthropic --only openai --models 'claude-*'
  llmaudit pricing import openrouter https://openrouter.ai/api/v1/models -o prices/openrouter.yaml

Load the result on top of the shipped tables with `analyze --pricing FILE`.
"""

ImportFormat = StrEnum("ImportFormat", {name: name for name in IMPORTERS})  # type: ignore[misc]
_DEFAULTS = ", ".join(f"{name}: {imp.default_output}" for name, imp in IMPORTERS.items())


@pricing_app.command(
    "import", epilog=IMPORT_EPILOG, short_help="Convert LiteLLM's or OpenRouter's price list to a YAML table."
)
def import_command(
    fmt: Annotated[
        ImportFormat,  # type: ignore[valid-type]
        typer.Argument(
            help="The price list's format: " + "; ".join(f"{n} = {i.description}" for n, i in IMPORTERS.items()) + ".",
            metavar="FORMAT",
            show_default=False,
        ),
    ],
    source: Annotated[
        str,
        typer.Argument(help="A local JSON file, or an http(s) URL to fetch.", metavar="FILE|URL", show_default=False),
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=f"Where to write the YAML table (default: in the current directory, {_DEFAULTS}). "
            "Replaced atomically, and only when the import succeeds.",
            show_default=False,
        ),
    ] = None,
    only: Annotated[
        list[str],
        typer.Option(
            "--only",
            metavar="PROVIDER",
            help="Import only this provider (as the source names it). Repeatable.",
            show_default=False,
        ),
    ] = [],  # noqa: B006
    models: Annotated[
        list[str],
        typer.Option(
            "--models", metavar="GLOB", help="Import only model names matching GLOB. Repeatable.", show_default=False
        ),
    ] = [],  # noqa: B006
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", metavar="YYYY-MM-DD", help="The table's as-of date (default: today).", show_default=False
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout", metavar="SECONDS", help="Deadline for fetching a URL, retries included (connect: 10 s).", min=1
        ),
    ] = 60.0,
    allow_http: Annotated[
        bool,
        typer.Option("--allow-http", help="Accept a plain http:// URL (https only otherwise, except localhost)."),
    ] = False,
    max_size: Annotated[
        float, typer.Option("--max-size", metavar="MB", help="Refuse a download larger than this.", min=1)
    ] = 50.0,
) -> None:
    """Convert LiteLLM's or OpenRouter's price list into a llmaudit price table (YAML).

    Prices become USD per million tokens; cache reads and writes, 1-hour writes,
    long-context tiers, batch / priority / flex rates, reasoning rates, per-request fees
    and context windows are carried; what the schema cannot hold is listed in the file's
    header. The table records its source (with the LiteLLM release when the path or URL
    names one) and its as-of date. A URL is fetched over https with a deadline, a size
    limit and retries; redirects to other schemes or non-public addresses are refused; if
    anything fails, the existing output file is left untouched (exit 2).
    """
    from llmaudit.pricing.fetch import MB, FetchOptions  # loads httpx: only for this command

    importer = IMPORTERS[str(fmt.value)]
    target = output or Path(importer.default_output)
    try:
        day = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError:
        raise UsageError(f"--as-of {as_of}: not a date (YYYY-MM-DD)") from None
    outcome = import_price_list(
        importer.name,
        source,
        target,
        as_of=day,
        filters=ImportFilters(tuple(only), tuple(models)),
        fetch_options=FetchOptions(
            read_timeout_s=timeout, total_timeout_s=timeout, max_bytes=int(max_size * MB), allow_http=allow_http
        ),
        command=" ".join(["llmaudit", "pricing", "import", importer.name, source]),
    )
    result = outcome.result
    lines = [f"wrote {plural(len(result.models), 'model')} to {outcome.output} (as of {result.as_of.isoformat()})"]
    if result.skipped:
        lines.append(f"  skipped {len(result.skipped):,} entries (reasons in the file header)")
    if result.filtered_out:
        lines.append(f"  left out {result.filtered_out:,} by --only / --models")
    if outcome.warnings:
        lines.append(
            f"  {len(outcome.warnings):,} validation warnings: `llmaudit pricing validate {outcome.output} "
            "--no-default-pricing` lists them"
        )
    emit("\n".join(lines) + "\n", None)
