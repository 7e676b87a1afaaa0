"""``python -m sim.uncertainty``: how sure are we? The comparison under every assumption's range (sim/analysis/uncertainty.py).

Every assumption with a stated range drawn jointly, each draw run for the baseline and the compared workflows on the
same families; per KPI the spread of the paired difference, P(the alternative is better), Sobol' indices,
break-even values and the value of measuring each assumption (docs/uncertainty.md). Resumable: the same command
with ``hydra.run.dir=<folder>`` keeps every finished block of draws.
"""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig

from sim import app
from sim.analysis.uncertainty import execute, make_plan
from sim.report.html import ReportError, write_report

# ====================================================================== command line


def _chosen(argv: list[str]) -> str | None:
    return next((o.split("=", 1)[1] for o in argv if o.startswith("scenario=")), None)


def preflight(argv: list[str]) -> None:
    """Compose and validate exactly what the Hydra app will run: every workflow, range, shape and name, the design
    and both ends of every range. Raises ConfigError."""
    app.validated("uncertainty", argv, lambda cfg: make_plan(cfg, _chosen(argv)), example="uncertainty.draws=200",
                  single_run="sim.uncertainty runs its own draws: set uncertainty.draws")


def _job(cfg: DictConfig, out_dir: Path) -> None:
    from hydra.core.hydra_config import HydraConfig

    with app.one_line_errors(ReportError):
        marker = execute(cfg, out_dir, chosen=HydraConfig.get().runtime.choices.get("scenario"),
                         log=lambda line: print(line, file=sys.stderr))
        if marker is not None:
            print(f"report: {write_report(out_dir)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    app.entry(argv, preflight, lambda: app.run_hydra("uncertainty", _job))


if __name__ == "__main__":
    main()
