"""``make run`` (``python -m sim`` with the defaults) writes at most 50 MB (issue 19: "the disk holds what they
asked for").

The default run is 10 replications of Gelderland; running it whole takes half a minute, so the test runs the
default command twice with 1 and with 2 replications and extrapolates linearly: what one more replication adds
(its families, its events, its time series rows) times 9, plus the 1-replication folder (which holds everything
written once: the reports, the configuration, the assumptions). The same command, the same region, the same years:
only the replication count differs. A default that wrote the families table or the event log as CSV as well
(~100 MB and ~230 MB more at 10 replications) fails it, as does any table growing by a few MB per replication.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, make_model

BOUND_BYTES = 50_000_000  # issue 19: make run writes at most 50 MB


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def default_run(tmp_path: Path, replications: int) -> int:
    out = tmp_path / f"r{replications}"
    proc = subprocess.run([sys.executable, "-m", "sim", f"run.replications={replications}", "run.quiet=true",
                           f"hydra.run.dir={out}"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "_COMPLETE.json").is_file() and (out / "report.html").is_file() and (out / "report_nl.html").is_file()
    return folder_bytes(out)


@pytest.mark.slow
def test_the_default_run_writes_at_most_50_mb(tmp_path) -> None:
    default = make_model([])
    assert default.region_name == "gelderland" and default.run.replications == 10  # what make run runs
    one, two = default_run(tmp_path, 1), default_run(tmp_path, 2)
    per_replication = two - one
    assert per_replication > 1_000_000  # the per-family tables are there: the extrapolation measures something
    estimate = one + (default.run.replications - 1) * per_replication
    assert estimate <= BOUND_BYTES, f"make run would write ~{estimate / 1e6:.1f} MB (bound {BOUND_BYTES / 1e6:.0f} MB)"
