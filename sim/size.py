"""``python -m sim.size``: the command line of staff sizing (sim/analysis/size.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig

from sim import app
from sim.analysis.size import NotConfirmed, plan, size
from sim.run import output

# ====================================================================== command line


def preflight(argv: list[str]) -> None:
    """Compose and validate exactly what the Hydra app will run, target included. Raises ConfigError."""
    app.validated("size", argv, plan, example="target.days=120",
                  single_run="sim.size runs one sizing; sweep the target with a shell loop")


def _job(cfg: DictConfig, out_dir: Path) -> None:
    try:
        with output.guarded(out_dir):  # a failure (also an unconfirmed search): error.txt, and no marker
            size(cfg, out_dir)
    except NotConfirmed as err:
        print(f"ketensim: error: {err}", file=sys.stderr)
        raise SystemExit(1) from None


def main(argv: list[str] | None = None) -> None:
    app.entry(argv, preflight, lambda: app.run_hydra("size", _job))


if __name__ == "__main__":
    main()
