"""Progress with a count and an ETA (sim/run/progress.py, issue 19) and the console tables (sim/run/console.py).

In a log (not a terminal) the bar is plain lines: the last one says all steps are done; in a terminal it is rich's
live bar with done/total; quiet prints nothing. The replications of a run, the tables it writes and its reports
each report their count.
"""

from __future__ import annotations

import io

from conftest import make_model

from sim.run import console, output, progress, runner


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_plain_lines_with_count_elapsed_and_eta(monkeypatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(progress, "LOG_SECONDS", 0.0)  # a line per step, so the ETA of an unfinished step shows
    with progress.Bar("points", 4, stream=stream) as bar:
        for _ in range(4):
            bar.advance()
    lines = stream.getvalue().splitlines()
    assert "points 1/4" in lines[0] and "eta" in lines[0] and "elapsed" in lines[0]
    assert "points 4/4" in lines[-1] and "eta 0:00:00" in lines[-1]


def test_without_a_total_the_count_and_elapsed_time_show() -> None:
    stream = io.StringIO()
    with progress.Bar("staffings simulated", None, stream=stream) as bar:
        bar.advance()
        bar.advance()
    assert "staffings simulated 2  elapsed" in stream.getvalue() and "eta" not in stream.getvalue()


def test_a_terminal_gets_the_live_bar_and_quiet_gets_nothing() -> None:
    tty = Terminal()
    with progress.Bar("replications", 3, stream=tty) as bar:
        for _ in range(3):
            bar.advance()
    assert "replications" in tty.getvalue() and "3/3" in tty.getvalue()
    quiet = Terminal()
    with progress.Bar("replications", 3, enabled=False, stream=quiet) as bar:
        bar.advance(3)
    assert quiet.getvalue() == "" and bar.done == 3


def test_a_run_reports_its_replications_and_tables(capsys, tmp_path) -> None:
    model = make_model(["region=demo", "run.years=0.5", "run.warmup_years=0.2", "run.replications=2"])
    tables = runner.run(model, jobs=1, progress=True).tables()
    output.write_results(tmp_path, tables, ["parquet"], "{}", progress=True)
    err = capsys.readouterr().err
    assert "replications 2/2" in err and f"tables {len(tables)}/{len(tables)}" in err


def test_console_tables_align_their_columns() -> None:
    text = console.table(["KPI", "mean"], [("a_long_name", "1"), ("b", "1,234")], right=("mean",))
    lines = text.splitlines()
    assert lines[0].split() == ["KPI", "mean"] and len({len(line) for line in lines}) == 1  # right-aligned numbers
    assert lines[2].startswith("b ") and lines[2].endswith("1,234")
