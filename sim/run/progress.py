"""Progress of every long step (replications, sweep points, staffings, scales, draws, tables, reports) with a count
and an ETA, drawn by ``rich`` on stderr (issue 19: a newcomer sees that something is happening and how long it
will take).

On a terminal it is rich's live bar: what, a bar, done/total, elapsed and time remaining. In a log (stderr not a
terminal: a cluster job, a pipe, a test) a live bar would be lost, so the same facts are printed as one plain line
at most every ``LOG_SECONDS`` and once at the end. A step whose total is not known beforehand (a bisection) shows
its count and elapsed time. ``enabled=False`` (``run.quiet``) prints nothing. Progress never changes a number.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import IO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

LOG_SECONDS = 10.0  # in a log: at most one progress line this often, and the last one


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}"


class Bar:
    """``with Bar("replications", 10) as bar: ... bar.advance()``: a count with elapsed time and ETA on stderr."""

    def __init__(self, what: str, total: int | None, enabled: bool = True, stream: IO[str] | None = None) -> None:
        self.what = what
        self.total = total
        self.enabled = enabled
        self.done = 0
        self.console = Console(file=stream if stream is not None else sys.stderr, highlight=False)
        self.live = enabled and self.console.is_terminal
        self._progress: Progress | None = None
        self._task = None
        self._started = time.perf_counter()
        self._last_line = self._started

    def __enter__(self) -> "Bar":
        self._started = self._last_line = time.perf_counter()
        if self.live:
            self._progress = Progress(TextColumn("  {task.description}"), BarColumn(), MofNCompleteColumn(),
                                      TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("eta"),
                                      TimeRemainingColumn(), console=self.console, transient=False)
            self._progress.start()
            self._task = self._progress.add_task(self.what, total=self.total)
        return self

    def __exit__(self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
        elif self.enabled and kind is None:
            self._print()

    def line(self) -> str:
        """The plain-text progress line: what, done/total, elapsed, ETA (from the rate so far)."""
        elapsed = time.perf_counter() - self._started
        text = f"  {self.what} {self.done}" + (f"/{self.total}" if self.total is not None else "")
        text += f"  elapsed {_clock(elapsed)}"
        if self.total is not None and 0 < self.done < self.total:
            text += f"  eta {_clock(elapsed / self.done * (self.total - self.done))}"
        elif self.total is not None and self.done >= self.total:
            text += "  eta 0:00:00"
        return text

    def _print(self) -> None:
        self.console.print(self.line(), markup=False, highlight=False, soft_wrap=True)

    def extend(self, n: int) -> None:
        """``n`` more steps than the total said (a step whose length becomes known as it goes)."""
        self.total = (self.total or 0) + n
        if self._progress is not None:
            self._progress.update(self._task, total=self.total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._progress is not None:
            self._progress.update(self._task, completed=self.done)
            return
        now = time.perf_counter()
        if now - self._last_line >= LOG_SECONDS and (self.total is None or self.done < self.total):
            self._last_line = now
            self._print()  # the last one is printed when the step ends
