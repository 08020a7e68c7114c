"""Terminal plumbing for the CLI: where output goes, colour, width, progress on stderr."""

from __future__ import annotations

import io
import os
import shutil
import sys
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.console import Console
from rich.markup import escape as rich_escape

from llmaudit.errors import UsageError
from llmaudit.report import atomic
from llmaudit.report.safety import term_text

if TYPE_CHECKING:  # the ingest stack and rich's progress load only when a command reads logs
    from rich.progress import Progress, TaskID

    from llmaudit.cluster.analyze import TaskProgress
    from llmaudit.ingest import InputSource

DEFAULT_WIDTH = 100


def stderr_console() -> Console:
    return Console(stderr=True, highlight=False, no_color="NO_COLOR" in os.environ)


def wants_color(output: Path | None) -> bool:
    """Colour only for a terminal on stdout, and never when NO_COLOR is set."""
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"


def width(output: Path | None) -> int:
    if output is not None or not sys.stdout.isatty():
        return int(os.environ.get("COLUMNS", DEFAULT_WIDTH)) if os.environ.get("COLUMNS", "").isdigit() else 120
    return max(60, shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns)


def emit(text: str, output: Path | None) -> None:
    """Write the report to stdout or atomically to ``output``."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    atomic.write_text(output, text, option="--output")


def per_request_on_stdout(per_request: Path | None, output: Path | None) -> bool:
    """Whether ``--per-request -`` streams the rows to stdout (JSON Lines).

    stdout then holds the rows only: the report goes to ``-o FILE`` or is not written, and
    ``-o -`` asking for stdout too is a ``UsageError`` naming both options.
    """
    if per_request is None or str(per_request) != "-":
        return False
    from typer._click.core import ParameterSource  # typer's own click, which runs the commands
    from typer._click.globals import get_current_context

    context = get_current_context(silent=True)
    dash = context is not None and context.get_parameter_source("output") is ParameterSource.COMMANDLINE
    if dash and output is None:  # -o - (the option's callback turns "-" into None: stdout)
        raise UsageError(
            "--per-request - and -o - both write to stdout",
            hint="write the report to a file (-o report.json) or the rows to one (--per-request rows.jsonl)",
        )
    return True


def reader_left() -> NoReturn:
    """Rows streamed to stdout whose reader went away (``| head``): end the run quietly with
    exit 0 (click would exit 1, the gate's code). stdout then points at the null device, so
    the interpreter's last flush does not fail either."""
    with suppress(OSError, ValueError, io.UnsupportedOperation):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise typer.Exit(0)


def report_skipped_note(quiet: bool) -> None:
    """Said on stderr when ``--per-request -`` holds stdout and no ``-o FILE`` takes the report."""
    if not quiet:
        stderr_console().print(
            "llmaudit: note: --per-request - writes the rows to stdout; the report is not written (add -o FILE)",
            markup=False,
        )


class ProgressObserver:
    """Progress on stderr while a long run works (a terminal only, and not with -q): bytes read
    per file, then each later stage by name (``stage``: tagging, replaying each policy...).

    The core names its stages through a callback (``stage``) and never imports rich.
    Nothing is shown when stderr is not a terminal, so piped and CI output is unchanged.
    """

    def __init__(self, sources: list[InputSource], enabled: bool) -> None:
        self._console = stderr_console()
        self.enabled = enabled and self._console.is_terminal
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._staged = False  # the display shows a named stage (not the bytes read)
        self._lock = threading.Lock()
        self._done_before = 0
        self._current = 0
        self._total = sum(s.size or 0 for s in sources) or None
        self._reading = bool(sources)  # no sources: stages only

    def __enter__(self) -> ProgressObserver:
        # Lazy on purpose (start-up): rich.progress loads only when a command reads logs.
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

        if self.enabled and self._reading:
            self._progress = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("reading", total=self._total)
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None

    def stage(self, name: str) -> None:
        """Show ``name`` (a spinner and the time the stage has taken) in place of what was shown."""
        if not self.enabled:
            return
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        label = rich_escape(term_text(name))
        with self._lock:
            if not self._staged:
                if self._progress is not None:
                    self._progress.stop()
                self._progress = Progress(
                    SpinnerColumn(),
                    TextColumn("[progress.description]{task.description}"),
                    TimeElapsedColumn(),
                    console=self._console,
                    transient=True,
                )
                self._progress.start()
                self._task = self._progress.add_task(label, total=None)
                self._staged = True
            elif self._progress is not None and self._task is not None:
                self._progress.update(self._task, description=label)
                self._progress.reset(self._task)  # the elapsed time is the stage's own
            if self._progress is not None:
                self._progress.refresh()

    def file_started(self, source: InputSource, fmt: str) -> None:
        self._done_before += self._current
        self._current = 0
        if self._progress is not None and self._task is not None and not self._staged:
            # A file name is text, not rich markup, and may hold control characters.
            label = rich_escape(term_text(f"reading {source.display} ({fmt})"))
            self._progress.update(self._task, description=label, completed=self._done_before)

    def advanced(self, source: InputSource, raw_bytes: int) -> None:
        self._current = raw_bytes
        if self._progress is not None and self._task is not None and not self._staged:
            done = self._done_before + raw_bytes
            self._progress.update(self._task, completed=done)
            if self._total is not None and done >= self._total:
                # Every byte is read; the worker threads still tag and price the last chunks.
                self._progress.update(self._task, description="tagging and pricing (all bytes read)")
                self._progress.refresh()


class ClusterProgress(ProgressObserver):
    """Progress on stderr while a ``--scheduler`` run works (a terminal only, not with -q):
    the read tasks done of those planned, and MB read of MB planned when every size is known
    (``tasks``, the cluster's ``on_task``), then each later stage by name (``stage``)."""

    def __init__(self, enabled: bool) -> None:
        super().__init__([], enabled)
        self._counting = False  # the display shows the tasks' count (not a named stage)

    @property
    def on_task(self) -> Callable[[TaskProgress], None] | None:
        """The cluster's ``on_task``: None when nothing is shown, so no input's size is asked
        for (a request per object in a bucket)."""
        return self.tasks if self.enabled else None

    def tasks(self, state: TaskProgress) -> None:
        if not self.enabled:
            return
        size = "" if state.bytes_planned is None else f"{_mb(state.bytes_done)} of {_mb(state.bytes_planned)} MB"
        with self._lock:
            if not self._counting:
                if self._progress is not None:
                    self._progress.stop()  # a stage before the reading (starting the cluster)
                self._progress = _counter(self._console, "tasks {task.fields[size]}")
                self._task = self._progress.add_task("reading on the cluster", total=state.planned, size=size)
                self._counting, self._staged = True, False
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=state.done, total=state.planned, size=size)
                self._progress.refresh()

    def stage(self, name: str) -> None:
        if self._counting:
            self._counting = False  # the next stage replaces the count
        super().stage(name)


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f}"


def _counter(console: Console, after: str) -> Progress:
    """A started display of what is done, a bar, how many of how many, then ``after`` (a
    template of the task's fields) and the time taken."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(after),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    progress.start()
    return progress


class CountProgress:
    """Progress on stderr for counted work, such as the requests shadow sends (a terminal only,
    and not with -q): what is being done, how many of how many, and ``detail()`` (the spend so
    far). ``tick`` is called once per item done; ``phase`` starts the next count."""

    def __init__(self, enabled: bool, detail: Callable[[], str] = lambda: "") -> None:
        self._console = stderr_console()
        self.enabled = enabled and self._console.is_terminal
        self._detail = detail
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> CountProgress:
        if self.enabled:
            self._progress = _counter(self._console, "{task.fields[detail]}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.refresh()
            self._progress.stop()
            self._progress = None

    def phase(self, name: str, total: int | None) -> None:
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.refresh()  # the finished phase's last count is shown before it goes
            self._progress.remove_task(self._task)
        label = rich_escape(term_text(name))
        self._task = self._progress.add_task(label, total=total, detail=rich_escape(self._detail()))
        self._progress.refresh()

    def tick(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, advance=1, detail=rich_escape(self._detail()))
