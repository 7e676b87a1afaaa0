"""Console tables drawn by ``rich`` (issue 19): the summaries every command prints, aligned, as plain text.

:func:`table` returns the text rather than printing it, so a command prints it where it prints the rest (stdout)
and a test reads it as it reads any line. No colour and no box characters: the text is the same in a terminal,
a log file and a mail.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

WIDTH = 200  # wide enough that no KPI name or interval is wrapped


def table(columns: Sequence[str], rows: Sequence[Sequence[object]], right: Sequence[str] = ()) -> str:
    """The rows under their column names, each column as wide as its widest cell; columns named in ``right``
    right-aligned (numbers), the others left-aligned."""
    t = Table(box=None, show_edge=False, pad_edge=False, header_style="", highlight=False, padding=(0, 1))
    for name in columns:
        t.add_column(name, justify="right" if name in right else "left", no_wrap=True)
    for row in rows:
        t.add_row(*("" if c is None else str(c) for c in row))
    buf = io.StringIO()
    Console(file=buf, width=WIDTH, color_system=None, highlight=False, force_terminal=False).print(t)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines() if line.strip())
