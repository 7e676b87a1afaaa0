"""``python -m sim.size``: the command line of staff sizing (sim/analysis/size.py; with ``target.probability``,
sizing under the assumptions' uncertainty: sim/analysis/size_uncertain.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from omegaconf import DictConfig

from sim import app
from sim.analysis import size_uncertain
from sim.analysis.size import NotConfirmed, plan, size
from sim.run import output

# ====================================================================== command line


def preflight(argv: list[str]) -> None:
    """Compose and validate exactly what the Hydra app will run, target included. Raises ConfigError."""
    app.validated("size", argv, _plan, example="target.days=120",
                  single_run="sim.size runs one sizing; sweep the target with a shell loop")


def _plan(cfg: DictConfig) -> object:
    """The plain sizing's checks, and with ``target.probability`` every plausible world's too."""
    if cfg.get("target") is not None and cfg.target.get("probability") is not None:
        return size_uncertain.plan(cfg)
    return plan(cfg)


def _job(cfg: DictConfig, out_dir: Path) -> None:
    try:
        with output.guarded(out_dir):  # a failure (also an unconfirmed search): error.txt, and no marker
            if cfg.target.get("probability") is not None:  # met in that share of the plausible worlds
                size_uncertain.size(cfg, out_dir)
            else:
                size(cfg, out_dir)
    except NotConfirmed as err:
        print(f"ketensim: error: {err}", file=sys.stderr)
        raise SystemExit(1) from None


def main(argv: list[str] | None = None) -> None:
    app.entry(argv, preflight, lambda: app.run_hydra("size", _job))


if __name__ == "__main__":
    main()
