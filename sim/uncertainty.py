"""``python -m sim.uncertainty``: how sure are we? The comparison under every assumption's range (sim/analysis/uncertainty.py).

Every assumption with a stated range drawn jointly, each draw run for the baseline and the compared workflows on the
same families; per KPI the spread of the paired difference, P(the alternative is better), Sobol' indices,
break-even values and the value of measuring each assumption (docs/uncertainty.md). Resumable: the same command
with ``hydra.run.dir=<folder>`` keeps every finished block of draws.

**As a job array** (``-m``, the sweeps' launchers: ``hydra/launcher=slurm`` on a cluster, ``slurm_local`` or
``local`` here): the command plans the draws, lists the blocks not yet finished in the folder
(``hydra.sweep.dir``, fixed to an absolute path before anything is submitted) and hands Hydra one job per such block
(``uncertainty.task_block=<i>,<j>,...``), so the launcher submits one array task per block and nothing that is
finished. Each task runs :func:`sim.analysis.uncertainty.execute` with ``only_blocks=[i]`` into the shared folder;
when the array has ended, :class:`BlocksCallback` (``hydra.callbacks.sweep`` in conf/uncertainty.yaml) rebuilds the
tables from the blocks on the machine that submitted it. When every block is already finished the command submits
nothing and only rebuilds the tables (the ``sim.collect`` of this command).
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from sim import app
from sim.analysis.uncertainty import BLOCKS, Plan, execute, finish, make_plan, unfinished
from sim.chain.checks import ConfigError
from sim.report.html import ReportError, write_reports
from sim.run import output

SWEEP_DIR = "hydra.sweep.dir"
TASK = "uncertainty.task_block"

# ====================================================================== command line


def _chosen(argv: list[str]) -> str | None:
    return next((o.split("=", 1)[1] for o in argv if o.startswith("scenario=")), None)


def preflight(argv: list[str]) -> None:
    """Compose and validate exactly what the Hydra app will run: every workflow, range, shape and name, the design
    and both ends of every range. Raises ConfigError."""
    app.validated("uncertainty", argv, lambda cfg: make_plan(cfg, _chosen(argv)), example="uncertainty.draws=200",
                  single_run="sim.uncertainty runs its own draws: set uncertainty.draws")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _job(cfg: DictConfig, out_dir: Path) -> None:
    hydra_cfg = HydraConfig.get()
    chosen = hydra_cfg.runtime.choices.get("scenario")
    with app.one_line_errors(ReportError):
        if hydra_cfg.mode == RunMode.MULTIRUN:  # one array task: its block, into the folder the tasks share
            if cfg.uncertainty.task_block is None:
                raise ConfigError(f"{TASK} = None (a multirun task runs one block; start it with "
                                  f"python -m sim.uncertainty -m ...)")
            execute(cfg, Path(str(hydra_cfg.sweep.dir)), chosen, only_blocks=[int(cfg.uncertainty.task_block)],
                    log=_stderr)
            return
        marker = execute(cfg, out_dir, chosen=chosen, log=_stderr)
        if marker is not None:
            _stderr("reports: " + ", ".join(str(p) for p in write_reports(out_dir)))


def _sweep_overrides(args: list[str]) -> list[str]:
    parsed = OverridesParser.create().parse_overrides(args)
    return [o.input_line for o in parsed if o.is_sweep_override()]


def array_argv(argv: list[str]) -> tuple[Plan, DictConfig, Path, list[int], list[str]]:
    """For ``-m``: validate as :func:`preflight`, fix the folder (absolute) and list its unfinished blocks.
    Returns (plan, configuration, folder, blocks to run, the command line Hydra is to read). Raises ConfigError."""
    source = app.config_source(argv)
    with app.composing(source):
        args = app.overrides(argv, "uncertainty.draws=200")
        if TASK in [a.lstrip("+~").split("=", 1)[0] for a in args]:
            raise ConfigError(f"{TASK} is set by the command itself (one array task per unfinished block)")
        sweeps = _sweep_overrides(args)
        if sweeps:
            raise ConfigError(f"{sweeps[0]} (sim.uncertainty -m runs its blocks of draws as the jobs; it sweeps "
                              f"nothing else: draw a value with uncertainty.ranges, or run one command per value)")
        full = app.compose(source.config_name or "uncertainty", args, return_hydra_config=True)
        folder = Path(str(OmegaConf.select(full, SWEEP_DIR))).expanduser().resolve()
        cfg = app.compose(source.config_name or "uncertainty", app.model_overrides(args))
        plan = make_plan(cfg, _chosen(args))
    todo = unfinished(plan, folder)
    rest = [a for a in argv if a.split("=", 1)[0] != SWEEP_DIR]
    return plan, cfg, folder, todo, [*rest, f"{SWEEP_DIR}={folder}", f"{TASK}={','.join(map(str, todo))}"]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not app.is_multirun(argv) or any(a.split("=")[0] in app.PASS_THROUGH for a in argv):
        app.entry(argv, preflight, lambda: app.run_hydra("uncertainty", _job))
        return
    started = time.perf_counter()
    with app.one_line_errors(ReportError):
        plan, cfg, folder, todo, hydra_argv = array_argv(argv)
        if not todo:  # every block finished: submit nothing, rebuild the tables here
            _stderr(f"ketensim: uncertainty: all {len(plan.blocks())} blocks of {folder} are finished; "
                    f"nothing to submit, rebuilding the tables")
            finish(plan, cfg, folder, 0, started, _stderr)
            _stderr("reports: " + ", ".join(str(p) for p in write_reports(folder)))
            return
    sys.argv = [sys.argv[0], *hydra_argv]  # the Hydra app reads the command line itself
    app.run_hydra("uncertainty", _job)


# ====================================================================== the end of the array


def _finished_since(folder: Path, since: float) -> int:
    n = 0
    for marker in (folder / BLOCKS).glob(f"block_*/{output.MARKER}"):
        try:
            n += marker.stat().st_mtime >= since
        except OSError:
            continue
    return n


class BlocksCallback(Callback):
    """``hydra.callbacks.sweep`` of conf/uncertainty.yaml: while the array runs, blocks done / submitted (counted
    from the blocks' markers, so it works whatever the launcher); when it has ended, the tables rebuilt from every
    block, on the machine that submitted it. If a task failed, Hydra stops before this: run the same command again
    (finished blocks are neither run nor submitted again)."""

    def __init__(self, progress_seconds: float = 10.0) -> None:
        self.progress_seconds = float(progress_seconds)
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._started, self._clock = time.time(), time.perf_counter()

    def __getstate__(self) -> dict:  # the callback travels to the launcher's workers; its thread stays here
        return {**self.__dict__, "_stop": None, "_thread": None}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        folder = Path(str(config.hydra.sweep.dir))
        given = [str(o) for o in config.hydra.overrides.task if str(o).startswith(f"{TASK}=")]
        tasks = len(given[-1].split("=", 1)[1].split(",")) if given else 0
        launcher = str(OmegaConf.select(config, "hydra.launcher._target_", default="")).rsplit(".", 1)[-1]
        _stderr(f"ketensim: uncertainty: {tasks} blocks as {tasks} jobs of {launcher or 'the launcher'} into {folder}")
        self._started, self._clock = time.time(), time.perf_counter()
        self._stop = threading.Event()

        def loop() -> None:
            last = -1
            while not self._stop.wait(self.progress_seconds):
                done = _finished_since(folder, self._started)
                if done != last:
                    last = done
                    elapsed = time.time() - self._started
                    eta = f", eta {elapsed / done * (tasks - done):.0f}s" if 0 < done < tasks else ""
                    _stderr(f"ketensim: uncertainty {done}/{tasks} blocks done, elapsed {elapsed:.0f}s{eta}")

        self._thread = threading.Thread(target=loop, name="ketensim-uncertainty-progress", daemon=True)
        self._thread.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self._stop is not None:
            self._stop.set()
        folder = Path(str(config.hydra.sweep.dir))
        cfg = copy.deepcopy(config)
        with open_dict(cfg):
            del cfg["hydra"]
        with app.one_line_errors(ReportError):
            plan = make_plan(cfg, config.hydra.runtime.choices.get("scenario"))
            ran = _finished_since(folder, self._started)
            finish(plan, cfg, folder, ran, self._clock, _stderr)
            _stderr("reports: " + ", ".join(str(p) for p in write_reports(folder)))


if __name__ == "__main__":
    main()
