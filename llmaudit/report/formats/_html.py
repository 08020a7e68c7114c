"""The HTML page shared by the analyze, simulate and check reports.

One self-contained file: the styles are inline, the charts are inline SVG
(llmaudit/report/svg.py), there is no script, and a Content-Security-Policy forbids any
request the page might make (no fonts, images or frames from anywhere), so it opens the
same from an e-mail attachment, a CI artifact or a file share, offline. Light and dark
follow the reader's system (``prefers-color-scheme``); printing drops the colours of the
page, keeps the charts, and keeps figures and table rows whole across pages. Every value
taken from a report is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from llmaudit.report.fmt import count
from llmaudit.report.model import InputFile, PricingSource

# No script, no remote anything: the page can only use its own inline styles and data: images.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

STYLE = """
:root { color-scheme: light dark; --fg: #1d2329; --muted: #5b6670; --bg: #ffffff; --panel: #f4f6f8;
  --line: #d5dbe1; --accent: #0b5fff; --pos: #1a7f37; --neg: #c4320a;
  --s0: #0072b2; --s1: #e69f00; --s2: #009e73; --s3: #cc79a7; --s4: #56b4e9; --s5: #d55e00;
  --s6: #7f6bb0; --s7: #8c8c8c; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ec; --muted: #a1acb6; --bg: #14181c; --panel: #1d2329; --line: #39424b;
    --accent: #6ea8ff; --pos: #4ac26b; --neg: #ff7b5c;
    --s0: #56b4e9; --s1: #f0b840; --s2: #2ec4a0; --s3: #e08fc0; --s4: #8fd0f5; --s5: #ff8a4a;
    --s6: #a897d8; --s7: #b0b0b0; }
}
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1080px; padding: 24px; font: 15px/1.5 system-ui, -apple-system, "Segoe UI",
  Roboto, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 1.5em; margin: 0 0 4px; } h2 { font-size: 1.2em; margin: 32px 0 8px; border-bottom: 1px solid
  var(--line); padding-bottom: 4px; } h3 { font-size: 1.05em; margin: 20px 0 6px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
.bottom-line { background: var(--panel); border-left: 4px solid var(--accent); padding: 12px 16px;
  font-size: 1.08em; margin: 16px 0; }
.bottom-line.fail { border-left-color: var(--neg); } .bottom-line.pass { border-left-color: var(--pos); }
table { border-collapse: collapse; margin: 8px 0 16px; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; } td.num, th.num { text-align: right; white-space: nowrap; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
.table-wrap { overflow-x: auto; }
ul.findings { padding-left: 20px; } .sev { font-weight: 600; } .sev-critical { color: var(--neg); }
.sev-warning { color: var(--s5); } .muted, footer { color: var(--muted); font-size: 0.9em; }
figure.chart { margin: 8px 0 20px; } figure.chart svg { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9em; } .chart-title { font-weight: 600; margin-bottom: 4px; }
svg text { fill: var(--fg); font-size: 11px; } svg text.tick { fill: var(--muted); font-size: 10px; }
svg text.cell { font-size: 10px; } svg .grid { stroke: var(--line); stroke-width: 0.5; }
svg .axis { stroke: var(--muted); stroke-width: 1; }
svg .frontier { fill: none; stroke: var(--s1); stroke-width: 2; stroke-dasharray: 4 3; }
svg .pos { fill: var(--pos); } svg .neg { fill: var(--neg); }
svg .s0 { fill: var(--s0); } svg .s1 { fill: var(--s1); } svg .s2 { fill: var(--s2); }
svg .s3 { fill: var(--s3); } svg .s4 { fill: var(--s4); } svg .s5 { fill: var(--s5); }
svg .s6 { fill: var(--s6); } svg .s7 { fill: var(--s7); }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; } .bottom-line { border: 1px solid #999; }
  figure, tr, .bottom-line { break-inside: avoid; } h2 { break-after: avoid; }
  .table-wrap { overflow: visible; }
}
"""


def e(text: object) -> str:
    """``text`` escaped for HTML text and attribute values."""
    return escape(str(text), quote=True)


def table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: Iterable[int] = (), caption: str = "") -> str:
    """A table of already formatted cells; columns in ``numeric`` are right-aligned and never wrap."""
    right = set(numeric)

    def cell(tag: str, i: int, text: str) -> str:
        css = ' class="num"' if i in right else ""
        return f"<{tag}{css}>{e(text)}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell("td", i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    cap = f"<caption>{e(caption)}</caption>" if caption else ""
    return f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def key_values(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table of labels and values (a summary)."""
    body = "".join(f'<tr><th scope="row">{e(k)}</th><td>{e(v)}</td></tr>' for k, v in rows)
    return f'<div class="table-wrap"><table class="summary"><tbody>{body}</tbody></table></div>'


def section(title: str, *parts: str) -> str:
    body = "".join(p for p in parts if p)
    return f"<section><h2>{e(title)}</h2>{body}</section>" if body else ""


def bullets(title: str, items: Sequence[str]) -> str:
    """A titled section of a bullet list (nothing when there are no items)."""
    return section(title, "<ul>" + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>") if items else ""


def inputs_section(inputs: Sequence[InputFile], pricing: Sequence[PricingSource]) -> str:
    """The files read (with the accounting of their lines) and the price tables used."""
    return section(
        "Inputs",
        table(
            ("file", "format", "lines read", "requests", "skipped"),
            ([f.path, f.format, count(f.lines_read), count(f.parsed), count(f.skipped)] for f in inputs),
            (2, 3, 4),
        ),
        table(("price table", "as of", "source"), ([p.path, p.as_of, p.source] for p in pricing)),
    )


def page(title: str, subtitle: str, bottom_line: str, body: Sequence[str], footer: str, verdict: str = "") -> str:
    """The whole document. ``bottom_line`` is the one sentence a reader can act on, shown first."""
    css = f" {verdict}" if verdict else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="llmaudit">'
        f"<title>{e(title)}</title><style>{STYLE}</style></head><body>"
        f'<header><h1>{e(title)}</h1><p class="subtitle">{e(subtitle)}</p>'
        f'<p class="bottom-line{css}" id="bottom-line">{e(bottom_line)}</p></header>'
        f"<main>{''.join(body)}</main><footer>{e(footer)}</footer></body></html>\n"
    )
