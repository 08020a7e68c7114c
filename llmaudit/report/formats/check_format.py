"""The check report as a pull-request comment (Markdown), JSON, a terminal table and CSV.

Pure functions of the report, registered by name in ``RENDERERS`` (the CLI's
``--format`` choices). The Markdown starts with a hidden marker (``MARKER``) so a CI job
can find its earlier comment and update it instead of adding another.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Final

from rich.text import Text

from llmaudit.check.decompose import Driver, Effect
from llmaudit.check.model import CheckReport, Side
from llmaudit.report import RenderOptions, fmt, svg
from llmaudit.report.fmt import count, money
from llmaudit.report.formats import _html as html
from llmaudit.report.formats._fit import Column, FitTable
from llmaudit.report.formats.json_format import clean, dumps
from llmaudit.report.formats.table_format import console_text, new_console
from llmaudit.report.safety import csv_text, map_strings, md_text, term_text

MARKER: Final = "<!-- llmaudit-check -->"
# Below half a cent a month a figure is rounding noise and shows as zero.
ZERO: Final = 0.005
LABELS: Final = {
    "volume": "Volume",
    "mix": "Mix",
    "prices": "Prices",
    "routing": "Routing",
    "caching": "Caching",
}
MEANING: Final = {
    "volume": "more or fewer requests, at the baseline's cost per request",
    "mix": "the traffic's make-up: task types, tiers, request sizes, models called",
    "prices": "rate changes in the price tables",
    "routing": "the policy sends traffic to other models",
    "caching": "the policy's response cache",
}


def signed(value: float) -> str:
    """``+$1.20``, ``-$0.40``, ``$0.00`` (noise below half a cent is zero)."""
    return fmt.signed(value, ZERO)


def signed_pct(share: float | None) -> str:
    return fmt.signed_pct(share, 0.0005)


def driver_text(d: Driver) -> str:
    """``gpt-4o -$18.35``, ``tier 1 +$2.00``, ``task extraction -$1.56``."""
    if d.kind == "tier":
        name = d.key if d.key.startswith("tier") else f"{d.key} tier"
    elif d.kind == "task":
        name = f"task {d.key}"
    else:
        name = d.key
    return f"{name} {signed(d.change_usd)}"


def top_driver(effect: Effect, report: CheckReport) -> str:
    """What to name next to an effect in the summary: the two models and the tier that moved most."""
    if effect.name == "volume" and abs(effect.change_usd) >= ZERO:
        moved = report.head.monthly_requests - report.baseline.monthly_requests
        return f"{moved:+,.0f} requests a month"
    models = [driver_text(d) for d in effect.drivers if d.kind == "model"][:2]
    tiers = [driver_text(d) for d in effect.drivers if d.kind == "tier"][:1]
    return "; ".join(x for x in (", ".join(models), ", ".join(tiers)) if x)


def verdict_line(report: CheckReport) -> str:
    v = report.verdict
    change, base, head = report.change_usd, report.baseline.monthly_cost_usd, report.head.monthly_cost_usd
    if v.quiet:
        movement = f"no material change in projected monthly cost ({signed(change)} a month, "
        movement += f"below the {money(report.thresholds.min_change_usd)} noise threshold)"
    elif abs(change) < ZERO:
        movement = f"projected monthly cost unchanged at {money(head)}"
    else:
        direction = "rises" if change > 0 else "falls"
        movement = (
            f"projected monthly cost {direction} by {money(abs(change))} a month "
            f"({signed_pct(report.change_share)}): {money(base)} -> {money(head)}"
        )
    return f"{'passed' if v.passed else 'FAILED'}: {movement}"


def _side_rows(report: CheckReport) -> list[tuple[str, str, str]]:
    b, h = report.baseline, report.head

    def both(fn: Callable[[Side], str]) -> tuple[str, str]:
        return fn(b), fn(h)

    return [
        ("Policy", *both(lambda s: s.policy)),
        ("Price tables", *both(lambda s: ", ".join(s.pricing))),
        ("Requests", *both(lambda s: count(s.requests))),
        ("Period", *both(lambda s: f"{s.period_days:.1f} days")),
        ("Requests a month", *both(lambda s: f"{s.monthly_requests:,.0f}")),
        ("Projected monthly cost", *both(lambda s: money(s.monthly_cost_usd))),
        ("Unpriced requests", *both(lambda s: count(s.unpriced_requests))),
        ("Traffic digest", *both(lambda s: s.digest)),
    ]


def _thresholds(report: CheckReport) -> str:
    t = report.thresholds
    parts = [
        f"max increase {t.max_increase_pct:g}%" if t.max_increase_pct is not None else None,
        f"max increase {money(t.max_increase_usd)}/month" if t.max_increase_usd is not None else None,
        f"budget {money(t.max_monthly_usd)}/month" if t.max_monthly_usd is not None else None,
        f"changes under {money(t.min_change_usd)} ignored" if t.min_change_usd is not None else None,
        "unpriced traffic fails" if t.fail_on_unpriced else None,
    ]
    shown = [p for p in parts if p]
    return "; ".join(shown) if shown else "none set (the check reports, it never fails)"


FLAGS: Final = {
    "max_increase_pct": "--max-increase-pct",
    "max_increase_usd": "--max-increase-usd",
    "max_monthly_usd": "--max-monthly-usd",
}


def to_pass_text(report: CheckReport, code: Callable[[str], str] = str) -> str | None:
    """The action a failed check needs, one sentence (None when it passed); ``code`` marks commands."""
    r = report.verdict.to_pass
    if r is None:
        return None
    ways: list[str] = []
    if r.reduce_by_usd is not None and r.target_monthly_usd is not None:
        ways.append(
            f"reduce the projected monthly cost by {money(r.reduce_by_usd)} (to {money(r.target_monthly_usd)} or less)"
        )
    if r.raise_limits:
        raised = [
            f"{code(FLAGS[name])} to {f'{value:g}' if name.endswith('_pct') else money(value)}"
            for name, value in r.raise_limits.items()
        ]
        ways.append(f"raise {' and '.join(raised)} (or the same keys under check: in llmaudit.yaml)")
    if r.intended_increase and ways:
        if report.baseline_kind == "saved":
            command = code(f"llmaudit baseline LOGS --policy POLICY.yaml -o {report.baseline_source}")
            ways.append(f"if the increase is intended, update the baseline with {command}")
        else:
            ways.append("if the increase is intended, make the head's policy and prices the new baseline")
    text = ", or ".join(ways)
    if r.price_unpriced:
        priced = f"add prices for the models of the unpriced requests ({code('--pricing')})"
        text = f"{text}; and {priced}" if text else priced
    return f"To pass: {text}."


# -- Markdown ----------------------------------------------------------------------------


def render_markdown(report: CheckReport) -> str:
    # Before escaping: the action names thresholds by key, and its commands are code spans.
    action = to_pass_text(report, lambda c: "`" + c.replace("`", "'") + "`")
    report = map_strings(report, md_text)
    v = report.verdict
    icon = ":white_check_mark:" if v.passed else ":x:"
    lines = [MARKER, f"### {icon} llmaudit check {verdict_line(report)}", ""]
    lines += [f"- **{f.threshold}**: {f.message}" for f in v.failures]
    if v.failures:
        lines.append("")
    lines += [f"> **Note:** {note}" for note in report.notes]
    if report.notes:
        lines.append("")
    lines += ["| Effect | Change a month | % of baseline | Moved most |", "|---|---:|---:|---|"]
    for e in report.effects:
        lines.append(f"| {LABELS[e.name]} | {signed(e.change_usd)} | {signed_pct(e.share_of_baseline)} | ")
        lines[-1] += f"{top_driver(e, report)} |"
    lines.append(f"| **Total** | **{signed(report.change_usd)}** | **{signed_pct(report.change_share)}** | |")
    lines += ["", "<details><summary>Details</summary>", ""]
    lines += ["| | Baseline | Head |", "|---|---|---|"]
    lines += [f"| {label} | {b} | {h} |" for label, b, h in _side_rows(report)]
    lines += ["", "What moved within each effect (USD a month):", ""]
    for e in report.effects:
        found = "; ".join(driver_text(d) for d in e.drivers) or "nothing"
        lines.append(f"- **{LABELS[e.name]}** ({MEANING[e.name]}): {found}")
    lines += ["", f"Thresholds: {_thresholds(report)}.", ""]
    lines += [f"Baseline: `{report.baseline_source}` ({report.baseline_kind}).", "", "</details>", ""]
    if action:
        lines += [f"**{action.replace(':', ':**', 1)}", ""]
    return "\n".join(lines)


# -- terminal ----------------------------------------------------------------------------


def render_table(report: CheckReport, width: int = 100, color: bool = False) -> str:
    report = map_strings(report, term_text)
    console, _, _ = new_console(RenderOptions(color=color, width=width))
    style = "bold green" if report.verdict.passed else "bold red"
    console.print(Text(f"llmaudit check {verdict_line(report)}", style=style))
    for f in report.verdict.failures:
        console.print(f"  {f.threshold}: {f.message}", markup=False)
    for note in report.notes:
        console.print(f"  note: {note}", markup=False)
    effects = FitTable(
        "Why it moved",
        (Column("effect"), Column("change a month", numeric=True), Column("% of baseline", numeric=True)),
    )
    effects.add_column("moved most", wrap=True)
    for e in report.effects:
        effects.add_row(LABELS[e.name], signed(e.change_usd), signed_pct(e.share_of_baseline), top_driver(e, report))
    bold = "bold"
    effects.add_row(
        Text("Total", bold), Text(signed(report.change_usd), bold), Text(signed_pct(report.change_share), bold), ""
    )
    console.print(effects)
    sides = FitTable("Baseline and head", (Column(name, wrap=True) for name in ("", "baseline", "head")))
    for row in _side_rows(report):
        sides.add_row(*row)
    console.print(sides)
    console.print(f"Thresholds: {_thresholds(report)}", markup=False)
    action = to_pass_text(report)
    if action:
        console.print(Text(action, style="bold"))
    return console_text(console, color)


# -- JSON and CSV ------------------------------------------------------------------------


def render_json(report: CheckReport) -> str:
    return dumps(report.to_dict())


def render_csv(report: CheckReport) -> str:
    """One row per effect and a total: name, USD a month, share of the baseline, drivers."""
    report = map_strings(report, csv_text)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["effect", "change_usd", "share_of_baseline", "drivers"])
    for e in report.effects:
        drivers = "; ".join(f"{d.kind}:{d.key}={clean(d.change_usd)}" for d in e.drivers)
        writer.writerow([e.name, clean(e.change_usd), clean(e.share_of_baseline), drivers])
    writer.writerow(["total", clean(report.change_usd), clean(report.change_share), ""])
    return buffer.getvalue()


# -- HTML --------------------------------------------------------------------------------


def render_html(report: CheckReport) -> str:
    """The verdict first, then the effect waterfall from the baseline's monthly cost to the head's."""
    v = report.verdict
    sentence = f"llmaudit check {verdict_line(report)}."
    if v.failures:
        sentence += " " + " ".join(f.message.rstrip(".") + "." for f in v.failures)
    moved = [e for e in report.effects if abs(e.change_usd) >= ZERO]
    if moved:
        largest = max(moved, key=lambda e: abs(e.change_usd))
        driver = top_driver(largest, report)
        sentence += f" The largest effect is {LABELS[largest.name].lower()} ({signed(largest.change_usd)} a month"
        sentence += f"; {driver})." if driver else ")."
    chart = svg.waterfall(
        "effect-waterfall",
        "From the baseline's projected monthly cost to the pull request's, by effect",
        ("baseline", report.baseline.monthly_cost_usd),
        [(LABELS[e.name], e.change_usd) for e in report.effects],
        ("head", report.head.monthly_cost_usd),
        money,
        signed,
        caption="Effects add up to the total change (USD a month). Red raises the cost, green lowers it.",
    ).html()
    effects = html.table(
        ("effect", "change a month", "% of baseline", "moved most", "what it means"),
        [
            *(
                [
                    LABELS[e.name],
                    signed(e.change_usd),
                    signed_pct(e.share_of_baseline),
                    top_driver(e, report),
                    MEANING[e.name],
                ]
                for e in report.effects
            ),
            ["Total", signed(report.change_usd), signed_pct(report.change_share), "", ""],
        ],
        (1, 2),
    )
    drivers = (
        "<ul>"
        + "".join(
            f"<li><strong>{html.e(LABELS[e.name])}</strong>: "
            f"{html.e('; '.join(driver_text(d) for d in e.drivers) or 'nothing')}</li>"
            for e in report.effects
        )
        + "</ul>"
    )
    body = [
        html.section("What moved", chart, effects, drivers),
        html.section(
            "Baseline and head",
            html.table(("", "baseline", "head"), _side_rows(report)),
            f"<p>Thresholds: {html.e(_thresholds(report))}.</p>",
            f"<p>Baseline: {html.e(report.baseline_source)} ({html.e(report.baseline_kind)}).</p>",
        ),
    ]
    if report.notes:
        body.append(html.section("Notes", "<ul>" + "".join(f"<li>{html.e(n)}</li>" for n in report.notes) + "</ul>"))
    return html.page(
        "llmaudit check",
        f"{money(report.baseline.monthly_cost_usd)} -> {money(report.head.monthly_cost_usd)} a month",
        sentence,
        body,
        f"llmaudit {report.tool_version}; JSON schema {report.schema_version}.",
        verdict="pass" if v.passed else "fail",
    )


# The check report's renderers, by --format name: each takes the report and how to render it.
RENDERERS: Final[dict[str, Callable[[CheckReport, RenderOptions], str]]] = {
    "markdown": lambda report, options: render_markdown(report),
    "json": lambda report, options: render_json(report),
    "table": lambda report, options: render_table(report, options.width, options.color),
    "csv": lambda report, options: render_csv(report),
    "html": lambda report, options: render_html(report),
}
