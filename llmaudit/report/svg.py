"""Charts as inline SVG, drawn in Python: no JavaScript, no chart library, no network.

Why not a chart library: the HTML report must open offline (an e-mail attachment, a CI
artifact), print, and read with JavaScript off. Inline SVG does all of that with no
dependency and no library code in the file (Vega-Lite or Plotly would inline 0.5-3.5 MB
into every report and a runtime to keep current), and SVG 1.1 will render for as long as
browsers exist. The charts here are the few kinds the reports need; each is a ``<figure>``
whose ``<svg>`` has a ``<title>`` (read by screen readers) and whose numbers also appear in
a table of the same report.

Colours are CSS classes (``s0``..``s7`` for series, ``pos``/``neg`` for gains and losses,
``grid``, ``axis``) defined by the page, so light, dark and print styles apply. Every text
taken from a report is escaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

Fmt = Callable[[float], str]

WIDTH = 720
SERIES = 8  # colour classes s0..s7; more series share "other"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate: one decimal, no trailing zeros."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: object, css: str = "", anchor: str = "") -> str:
    """A ``<text>`` element at (x, y), escaped; ``anchor`` start (default), middle or end."""
    cls = f' class="{css}"' if css else ""
    align = f' text-anchor="{anchor}"' if anchor else ""
    return f'<text{cls} x="{_n(x)}" y="{_n(y)}"{align}>{_e(text)}</text>'


def _tick(text: str) -> str:
    """An axis label: trailing zeros past two decimals dropped ($0.0500 -> $0.05, $0.800 -> $0.80)."""
    return re.sub(r"(\.\d\d\d*?)0+$", r"\1", text)


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high] (0 included when in range), about ``count`` of them."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return [low] if math.isfinite(low) else [0.0]
    raw = (high - low) / max(1, count)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 12))
        value += step
    if ticks[-1] < high:
        ticks.append(round(value, 12))
    return ticks


@dataclass(frozen=True)
class Figure:
    """A chart: its id (``data-chart``), its title and the SVG body in a ``width`` x ``height`` box."""

    name: str
    title: str
    body: str
    height: float
    caption: str = ""
    width: float = WIDTH

    def html(self) -> str:
        caption = f"<figcaption>{_e(self.caption)}</figcaption>" if self.caption else ""
        return (
            f'<figure class="chart" data-chart="{_e(self.name)}"><div class="chart-title">{_e(self.title)}</div>'
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_n(self.width)} {_n(self.height)}" '
            f'role="img" aria-label="{_e(self.title)}"><title>{_e(self.title)}</title>{self.body}</svg>'
            f"{caption}</figure>"
        )


def _legend(names: Sequence[str], y: float, left: float = 8) -> tuple[str, float]:
    """Swatches and names, wrapped over lines; returns the SVG and the height used."""
    parts, x, line = [], left, 0
    for i, name in enumerate(names):
        width = 22 + 7 * len(name)
        if x + width > WIDTH - 8 and x > left:
            x, line = left, line + 1
        top = y + line * 18
        parts.append(
            f'<rect class="s{i % SERIES}" x="{_n(x)}" y="{_n(top)}" width="12" height="12"/>'
            + _text(x + 16, top + 10, name)
        )
        x += width
    return "".join(parts), (line + 1) * 18 + 4 if names else 0


def _value_axis(ticks: Sequence[float], to_y: Callable[[float], float], left: float, right: float, fmt: Fmt) -> str:
    out = []
    for t in ticks:
        y = to_y(t)
        out.append(
            f'<line class="grid" x1="{_n(left)}" x2="{_n(right)}" y1="{_n(y)}" y2="{_n(y)}"/>'
            + _text(left - 4, y + 4, _tick(fmt(t)), "tick", "end")
        )
    return "".join(out)


def _column_axis(
    peak: float, top: float, plot: float, left: float, right: float, fmt: Fmt
) -> tuple[float, Callable[[float], float], str]:
    """A value axis from 0 to a round number above ``peak``: px per unit, value -> y, its SVG."""
    ticks = nice_ticks(0.0, peak or 1.0)
    scale = plot / (ticks[-1] or 1.0)

    def to_y(v: float) -> float:
        return top + plot - max(0.0, v) * scale

    return scale, to_y, _value_axis(ticks, to_y, left, right, fmt)


def stacked_columns(
    name: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    fmt: Fmt,
    caption: str = "",
) -> Figure:
    """One column per category (e.g. a day), stacked by series (e.g. models)."""
    left, right, top, plot = 70.0, WIDTH - 10.0, 10.0, 220.0
    totals = [sum(values[i] for _, values in series) for i in range(len(categories))]
    scale, to_y, axis = _column_axis(max(totals, default=0.0), top, plot, left, right, fmt)
    slot = (right - left) / max(1, len(categories))
    bar = max(1.0, slot * 0.8)
    parts = [axis]
    for i, category in enumerate(categories):
        x, base = left + i * slot + (slot - bar) / 2, 0.0
        for k, (series_name, values) in enumerate(series):
            value = values[i]
            if value <= 0:
                continue
            parts.append(
                f'<rect class="s{k % SERIES}" x="{_n(x)}" y="{_n(to_y(base + value))}" width="{_n(bar)}" '
                f'height="{_n(value * scale)}"><title>{_e(category)} {_e(series_name)}: {_e(fmt(value))}</title></rect>'
            )
            base += value
    every = max(1, math.ceil(len(categories) / 10))  # about ten labels on the category axis
    for i, category in enumerate(categories):
        if i % every == 0:
            x = left + i * slot + slot / 2
            parts.append(_text(x, top + plot + 14, category, "tick", "middle"))
    parts.append(f'<line class="axis" x1="{_n(left)}" x2="{_n(right)}" y1="{_n(top + plot)}" y2="{_n(top + plot)}"/>')
    legend, used = _legend([n for n, _ in series], top + plot + 26)
    parts.append(legend)
    return Figure(name, title, "".join(parts), top + plot + 26 + used, caption)


def hbars(
    name: str,
    title: str,
    items: Sequence[tuple[str, float]],
    fmt: Fmt,
    caption: str = "",
    signed: bool = False,
) -> Figure:
    """One horizontal bar per item; with ``signed``, gains (>= 0) and losses drawn from a zero line."""
    label_width = min(260.0, 12 + 7 * max((len(label) for label, _ in items), default=4))
    left, right, row = label_width, WIDTH - 90.0, 22.0
    low = min(0.0, *(v for _, v in items)) if items else 0.0
    high = max(0.0, *(v for _, v in items)) if items else 1.0
    span = (high - low) or 1.0

    def to_x(v: float) -> float:
        return left + (v - low) / span * (right - left)

    parts = []
    zero = to_x(0.0)
    for i, (label, value) in enumerate(items):
        y = 6 + i * row
        x0, x1 = sorted((zero, to_x(value)))
        css = ("pos" if value >= 0 else "neg") if signed else "s0"
        parts.append(
            _text(left - 6, y + 14, label, "", "end")
            + f'<rect class="{css}" x="{_n(x0)}" y="{_n(y + 3)}" width="{_n(max(0.5, x1 - x0))}" '
            f'height="{_n(row - 8)}">'
            f"<title>{_e(label)}: {_e(fmt(value))}</title></rect>"
            + _text(max(x1, zero) + 4, y + 14, fmt(value), "value")
        )
    height = 6 + len(items) * row + 6
    parts.append(f'<line class="axis" x1="{_n(zero)}" x2="{_n(zero)}" y1="4" y2="{_n(height - 4)}"/>')
    return Figure(name, title, "".join(parts), height, caption)


def heatmap(
    name: str,
    title: str,
    rows: Sequence[str],
    columns: Sequence[str],
    values: dict[tuple[str, str], float],
    fmt: Fmt,
    caption: str = "",
) -> Figure:
    """A grid of cells shaded by value, each cell labelled with its value (blank: no traffic)."""
    left = min(200.0, 12 + 7 * max((len(r) for r in rows), default=4))
    top, cell_h = 24.0, 26.0
    cell_w = (WIDTH - 10 - left) / max(1, len(columns))
    peak = max(values.values(), default=0.0) or 1.0
    parts = []
    for j, column in enumerate(columns):
        x = left + j * cell_w + cell_w / 2
        parts.append(_text(x, 16, column, "tick", "middle"))
    for i, row in enumerate(rows):
        y = top + i * cell_h
        parts.append(_text(left - 6, y + 17, row, "", "end"))
        for j, column in enumerate(columns):
            value = values.get((row, column))
            if value is None:
                continue
            x = left + j * cell_w
            opacity = 0.12 + 0.88 * max(0.0, value) / peak
            parts.append(
                f'<rect class="s0" x="{_n(x + 1)}" y="{_n(y + 1)}" width="{_n(cell_w - 2)}" height="{_n(cell_h - 2)}" '
                f'fill-opacity="{opacity:.2f}"><title>{_e(row)}, {_e(column)}: {_e(fmt(value))}</title></rect>'
                + _text(x + cell_w / 2, y + 17, fmt(value), "cell", "middle")
            )
    return Figure(name, title, "".join(parts), top + len(rows) * cell_h + 6, caption)


def grouped_columns(
    name: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    fmt: Fmt,
    caption: str = "",
) -> Figure:
    """Side-by-side columns per category, one per series (e.g. baseline and each policy per tier)."""
    left, right, top, plot = 70.0, WIDTH - 10.0, 10.0, 200.0
    peak = max((v for _, values in series for v in values), default=0.0)
    scale, to_y, axis = _column_axis(peak, top, plot, left, right, fmt)
    slot = (right - left) / max(1, len(categories))
    bar = slot * 0.8 / max(1, len(series))
    parts = [axis]
    for i, category in enumerate(categories):
        x0 = left + i * slot + slot * 0.1
        for k, (series_name, values) in enumerate(series):
            value = values[i]
            parts.append(
                f'<rect class="s{k % SERIES}" x="{_n(x0 + k * bar)}" y="{_n(to_y(value))}" width="{_n(bar)}" '
                f'height="{_n(max(0.0, value) * scale)}"><title>{_e(category)}, {_e(series_name)}: '
                f"{_e(fmt(value))}</title></rect>"
            )
        parts.append(_text(left + i * slot + slot / 2, top + plot + 14, category, "tick", "middle"))
    parts.append(f'<line class="axis" x1="{_n(left)}" x2="{_n(right)}" y1="{_n(top + plot)}" y2="{_n(top + plot)}"/>')
    legend, used = _legend([n for n, _ in series], top + plot + 26)
    parts.append(legend)
    return Figure(name, title, "".join(parts), top + plot + 26 + used, caption)


def scatter(
    name: str,
    title: str,
    points: Sequence[tuple[str, float, float, bool]],
    x_fmt: Fmt,
    y_fmt: Fmt,
    x_label: str,
    y_label: str,
    caption: str = "",
) -> Figure:
    """Labelled points (label, x, y, on the frontier); frontier points joined by a line, left to right."""
    left, right, top, bottom = 70.0, WIDTH - 120.0, 30.0, 250.0
    xs, ys = [p[1] for p in points], [p[2] for p in points]
    x_ticks = nice_ticks(min(xs, default=0.0) * 0.95, max(xs, default=1.0) * 1.05 or 1.0)
    y_ticks = nice_ticks(min(ys, default=0.0) - 0.02, max(ys, default=1.0) + 0.02)

    def to_x(v: float) -> float:
        return left + (v - x_ticks[0]) / ((x_ticks[-1] - x_ticks[0]) or 1.0) * (right - left)

    def to_y(v: float) -> float:
        return bottom - (v - y_ticks[0]) / ((y_ticks[-1] - y_ticks[0]) or 1.0) * (bottom - top)

    parts = [_value_axis(y_ticks, to_y, left, right, y_fmt)]
    for t in x_ticks:
        parts.append(_text(to_x(t), bottom + 14, _tick(x_fmt(t)), "tick", "middle"))
    frontier = sorted((p for p in points if p[3]), key=lambda p: p[1])
    if len(frontier) > 1:
        path = " ".join(f"{_n(to_x(p[1]))},{_n(to_y(p[2]))}" for p in frontier)
        parts.append(f'<polyline class="frontier" points="{path}"/>')
    for label, x, y, on_frontier in points:
        css = "s1" if on_frontier else "s0"
        parts.append(
            f'<circle class="{css}" cx="{_n(to_x(x))}" cy="{_n(to_y(y))}" r="5">'
            f"<title>{_e(label)}: {_e(x_fmt(x))}, {_e(y_fmt(y))}</title></circle>"
            + _text(to_x(x) + 8, to_y(y) + 4, label)
        )
    parts.append(_text((left + right) / 2, bottom + 30, x_label, "tick", "middle") + _text(8, 12, y_label, "tick"))
    return Figure(name, title, "".join(parts), bottom + 38, caption)


def waterfall(
    name: str,
    title: str,
    start: tuple[str, float],
    steps: Sequence[tuple[str, float]],
    end: tuple[str, float],
    fmt: Fmt,
    signed_fmt: Fmt,
    caption: str = "",
) -> Figure:
    """From ``start`` through signed ``steps`` to ``end``: each step a floating bar from the running total."""
    running, levels = start[1], [start[1]]
    for _, delta in steps:
        running += delta
        levels.append(running)
    levels.append(end[1])
    ticks = nice_ticks(min(0.0, *levels), max(levels) or 1.0)
    left, right, top, plot = 70.0, WIDTH - 10.0, 10.0, 220.0

    def to_y(v: float) -> float:
        return top + plot - (v - ticks[0]) / ((ticks[-1] - ticks[0]) or 1.0) * plot

    columns = [(start[0], 0.0, start[1], "s0", fmt(start[1]))]
    running = start[1]
    for label, delta in steps:
        columns.append((label, running, running + delta, "neg" if delta > 0 else "pos", signed_fmt(delta)))
        running += delta
    columns.append((end[0], 0.0, end[1], "s0", fmt(end[1])))
    slot = (right - left) / len(columns)
    parts = [_value_axis(ticks, to_y, left, right, fmt)]
    for i, (label, a, b, css, text) in enumerate(columns):
        x = left + i * slot + slot * 0.15
        y0, y1 = sorted((to_y(a), to_y(b)))
        parts.append(
            f'<rect class="{css}" x="{_n(x)}" y="{_n(y0)}" width="{_n(slot * 0.7)}" height="{_n(max(0.5, y1 - y0))}">'
            f"<title>{_e(label)}: {_e(text)}</title></rect>"
            + _text(x + slot * 0.35, y0 - 4, text, "value", "middle")
            + _text(x + slot * 0.35, top + plot + 14, label, "tick", "middle")
        )
    parts.append(f'<line class="axis" x1="{_n(left)}" x2="{_n(right)}" y1="{_n(to_y(0.0))}" y2="{_n(to_y(0.0))}"/>')
    return Figure(name, title, "".join(parts), top + plot + 22, caption)
