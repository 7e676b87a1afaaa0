"""``python -m sim.capacity``: the command line of the capacity search (sim/analysis/capacity.py)."""

from __future__ import annotations

from pathlib import Path

from omegaconf import DictConfig

from sim import app
from sim.analysis.capacity import plan, run
from sim.run import output

# ====================================================================== command line


def preflight(argv: list[str]) -> None:
    chosen = next((o.split("=", 1)[1] for o in argv if o.startswith("scenario=")), None)
    app.validated("capacity", argv, lambda cfg: plan(cfg, chosen), example="capacity.margin=0.1",
                  single_run="sim.capacity runs its own demand levels: set capacity.scales")


def _job(cfg: DictConfig, out_dir: Path) -> None:
    from hydra.core.hydra_config import HydraConfig

    with output.guarded(out_dir):  # a failure: error.txt, and no marker
        run(cfg, out_dir, chosen=HydraConfig.get().runtime.choices.get("scenario"))


def main(argv: list[str] | None = None) -> None:
    app.entry(argv, preflight, lambda: app.run_hydra("capacity", _job))


if __name__ == "__main__":
    main()
