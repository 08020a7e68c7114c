"""Terminal tables that never cut a figure or a name.

rich squeezes a table that is wider than the terminal: columns shrink, cells end in an
ellipsis, a header becomes ``s``. A cost report cannot lose a digit, so ``FitTable`` lays
itself out at render time, for the width it is given:

- **wide**: a normal table when every figure and name fits whole on its line (columns of
  free text, such as reasons or model lists, may wrap between words);
- **stacked**: otherwise, one block a row: its name on a line of its own, then
  ``header value`` pairs packed onto lines, never split inside a pair unless a single pair
  is wider than the terminal (then it gets a line of its own, and the terminal wraps it).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from rich import box
from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

# The narrowest a wrapping column may get before the table is stacked instead (its longest
# word is never split, whatever this says).
MIN_WRAP_WIDTH = 8


@dataclass(frozen=True)
class Column:
    """A column: ``numeric`` ones are right-aligned; ``wrap`` ones are free text that may wrap."""

    name: str
    numeric: bool = False
    wrap: bool = False


def _len(cell: str | Text) -> int:
    return cell.cell_len if isinstance(cell, Text) else Text(cell).cell_len


class FitTable:
    """A titled table of already formatted cells, rendered wide or stacked (see the module docstring)."""

    def __init__(self, title: str | None = None, columns: Iterable[Column] = (), show_header: bool = True) -> None:
        self.title = title
        self.columns: list[Column] = list(columns)
        self.rows: list[list[str | Text]] = []
        self.show_header = show_header

    def add_column(self, name: str, numeric: bool = False, wrap: bool = False) -> None:
        self.columns.append(Column(name, numeric, wrap))

    def add_row(self, *cells: str | Text) -> None:
        self.rows.append(list(cells) + [""] * (len(self.columns) - len(cells)))

    def natural_widths(self) -> list[int]:
        header = [len(c.name) if self.show_header else 0 for c in self.columns]
        return [max([header[i], *(_len(row[i]) for row in self.rows)]) for i in range(len(self.columns))]

    def min_widths(self) -> list[int]:
        """Each column's narrowest: a wrapping one down to its longest word (or MIN_WRAP_WIDTH), others whole."""
        out = []
        for i, (column, width) in enumerate(zip(self.columns, self.natural_widths(), strict=True)):
            if column.wrap:
                words = [len(w) for row in self.rows for w in str(row[i]).split()]
                out.append(min(width, max([MIN_WRAP_WIDTH, *words])))
            else:
                out.append(width)
        return out

    def fits(self, width: int) -> bool:
        """Whether every unwrapped cell, and every word of the wrapping ones, fits whole."""
        # rich's SIMPLE_HEAD box without edge padding: an edge on either side, a divider between
        # columns, and a space of padding each side of every divider: 3n - 1 for n columns
        return sum(self.min_widths()) + 3 * len(self.columns) - 1 <= width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.fits(options.max_width):
            yield self._wide()
        else:
            yield from self._stacked(options.max_width)

    def _wide(self) -> Table:
        table = Table(
            title=self.title,
            title_justify="left",
            title_style="bold",
            box=box.SIMPLE_HEAD if self.show_header else None,
            show_header=self.show_header,
            pad_edge=False,
        )
        for column, width in zip(self.columns, self.min_widths(), strict=True):
            if column.wrap:
                table.add_column(column.name, overflow="fold", min_width=width)
            else:
                table.add_column(
                    column.name, justify="right" if column.numeric else "left", no_wrap=True, min_width=width
                )
        for row in self.rows:
            table.add_row(*row)
        return table

    def _stacked(self, width: int) -> Iterator[Text]:
        if self.title:
            yield Text(self.title, style="bold")
        for row in self.rows:
            yield Text.assemble(Text(" "), row[0] if isinstance(row[0], Text) else Text(row[0], style="bold"))
            pairs = [
                Text.assemble(Text(f"{c.name} ", style="dim") if self.show_header else Text(""), cell)
                for c, cell in zip(self.columns[1:], row[1:], strict=True)
                if _len(cell)
            ]
            yield from _packed(pairs, width, indent=3)
        yield Text("")


def _packed(items: Sequence[Text], width: int, indent: int) -> Iterator[Text]:
    """``items`` on lines of at most ``width`` cells, two spaces apart, never split."""
    line: list[Text] = []
    used = indent
    for item in items:
        size = item.cell_len + (2 if line else 0)
        if line and used + size > width:
            yield Text.assemble(Text(" " * indent), *_joined(line))
            line, used = [], indent
            size = item.cell_len
        line.append(item)
        used += size
    if line:
        yield Text.assemble(Text(" " * indent), *_joined(line))


def _joined(items: Sequence[Text]) -> list[Text]:
    out: list[Text] = []
    for i, item in enumerate(items):
        if i:
            out.append(Text("  "))
        out.append(item)
    return out
