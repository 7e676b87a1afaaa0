"""Sweeps: a grid of points (one Hydra job each) that can be stopped, resumed and read back as one table.

Policy questions come as grids (GI FTE x caseload norm x workflow, demand growth x workflow). Each point is one
Hydra job that runs all its replications (``run.replications``) and writes its own directory; this module makes
such a grid safe to run for hours, here or on a SLURM cluster:

- :func:`expand_points` lists the points of a multirun exactly as Hydra's BasicSweeper does
  (``hydra.sweeper.params`` of an experiment first, then the command line, which wins for a key in both);
  it and :func:`check_point` (is a point directory complete and intact?) are defined in :mod:`sim.collect`,
  which reads sweeps back, and used here by name.
- **Resume, never mix** (:func:`run_point`, called for every job of a multirun): a point directory that is
  complete, with the same configuration hash (:func:`identity_yaml`) and the same model version
  (:func:`sim.run.output.model_version`), is skipped. Anything else already in the directory (an interrupted run, a
  corrupt file, results of another configuration or model version) is named in the log, moved to
  ``superseded/<time>_<why>/`` inside the point directory (nothing complete is ever deleted) and the point runs
  again. A lock (``.lock``, released by the kernel even on SIGKILL) keeps two processes from writing one point.
- :class:`SweepCallback` (a Hydra callback, ``hydra.callbacks.sweep`` in ``conf/config.yaml``) prints points done
  / total with an ETA while the launcher works and, when the multirun ends, writes ``sweep.parquet``,
  ``sweep.csv`` and ``sweep_summary.csv`` into the sweep directory (:mod:`sim.collect`).

Nothing here knows an organisation or a KPI: it moves directories and counts markers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from sim.analysis import collect
from sim.analysis.collect import (
    LOCK,
    SUPERSEDED,
    PointStatus,  # noqa: F401 - what check_point returns, named where a point is resumed
    check_point,
    expand_points,
    read_point_overrides,
    result_files,
    sweeper_params,
)
from sim.run import output

try:  # advisory file locks; absent on Windows, where two runs of one point are not guarded against
    import fcntl
except ImportError:  # pragma: no cover - not on the platforms we run on
    fcntl = None  # type: ignore[assignment]
from sim.chain.checks import ConfigError

log = logging.getLogger(__name__)

# Settings that change speed or printing but never a number (sim/run/runner.py gives identical results for any
# run.jobs): a point computed with other values of these is the same point.
NOT_RESULTS: tuple[str, ...] = ("run.jobs", "run.quiet")


# ====================================================================== the points of a sweep


def point_dirname(point: Sequence[str], exclude_keys: Sequence[str], item_sep: str = ",", kv_sep: str = "=") -> str:
    """The directory name Hydra gives a point when ``hydra.sweep.subdir`` is ``${hydra.job.override_dirname}``."""
    from hydra._internal.config_loader_impl import get_overrides_dirname
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parsed = OverridesParser.create().parse_overrides(list(point))
    return get_overrides_dirname(overrides=parsed, exclude_keys=list(exclude_keys), item_sep=item_sep, kv_sep=kv_sep)


def check_point_names(points: Sequence[Sequence[str]], hydra_cfg: DictConfig) -> None:
    """Before anything runs: two points must never share a directory, and a name must fit the file system.

    Only applies when points are named by their overrides (``hydra.sweep.subdir`` uses ``override_dirname``).
    Raises :class:`sim.chain.checks.ConfigError`.
    """

    subdir = OmegaConf.to_container(hydra_cfg.sweep, resolve=False).get("subdir", "")
    if "override_dirname" not in str(subdir):
        return
    od = hydra_cfg.job.config.override_dirname
    exclude = list(od.exclude_keys)
    seen: dict[str, Sequence[str]] = {}
    for point in points:
        name = point_dirname(point, exclude, od.item_sep, od.kv_sep)
        if not name:
            raise ConfigError(f"hydra.sweep.subdir = '' (a point with no override outside {exclude} would be written "
                              f"into the sweep directory itself; sweep at least one key, e.g. demand.scale=1.0,1.2)")
        if len(name.encode("utf-8")) > 255:
            raise ConfigError(f"hydra.sweep.subdir = '{name[:60]}...' (a point directory name of "
                              f"{len(name.encode('utf-8'))} bytes; the limit is 255: move fixed overrides into an "
                              f"experiment file)")
        if name in seen and sorted(seen[name]) != sorted(point):
            differ = sorted(set(point) ^ set(seen[name]))
            raise ConfigError(f"hydra.job.config.override_dirname.exclude_keys = {exclude} (points differing only in "
                              f"{', '.join(differ)} would share the directory {name!r}; do not sweep an excluded key)")
        seen[name] = point


def identity_yaml(cfg: DictConfig) -> str:
    """The configuration that determines a point's numbers: resolved, without :data:`NOT_RESULTS`."""
    data = OmegaConf.to_container(cfg, resolve=True)
    for dotted in NOT_RESULTS:
        node: Any = data
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(leaf, None)
    return OmegaConf.to_yaml(OmegaConf.create(data))


# ====================================================================== resume inside a job


@contextlib.contextmanager
def point_lock(directory: Path, name: str) -> Iterator[None]:
    """Hold an exclusive lock on the point while it is checked and run. If another live process holds it (a
    worker of a killed sweep still finishing this point), wait for it. The kernel drops the lock when its
    holder dies, so a SIGKILL never leaves a stale lock behind."""
    directory.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        yield
        return
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("point %s is being run by another process; waiting for it to finish", name)
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as err:  # e.g. a cluster file system mounted without lock support
            log.warning("point %s: file locks unsupported here (%s); not guarded against a second writer", name, err)
        yield
    finally:
        os.close(fd)


def set_aside(directory: Path, why: str) -> Path:
    """Move every result file of ``directory`` into ``superseded/<time>_<why>/`` and return that folder."""
    label = "".join(c if c.isalnum() else "-" for c in why).strip("-")[:40]
    base = directory / SUPERSEDED / f"{time.strftime('%Y%m%d-%H%M%S')}_{label}"
    dest, n = base, 1
    while dest.exists():
        n += 1
        dest = base.with_name(f"{base.name}-{n}")
    dest.mkdir(parents=True)
    for path in result_files(directory):
        os.replace(path, dest / path.name)
    return dest


def prepare_point(directory: Path, identity: str, name: str) -> bool:
    """Decide whether the point in ``directory`` must run. True: run it (the directory holds no earlier result
    files any more); False: it is complete for this configuration and model version, skip it."""
    status = check_point(directory)
    if status.state == "absent":
        return True
    if status.state == "complete":
        marker = status.marker or {}
        version = output.model_version()
        if marker["config_hash"] == output.config_hash(identity) and marker["model_version"] == version:
            log.info("point %s: complete, skipped", name)
            return False
        why = ("configuration differs" if marker["config_hash"] != output.config_hash(identity)
               else f"model version differs ({marker['model_version']} -> {version})")
        dest = set_aside(directory, why)
        log.warning("point %s: complete but %s; earlier results kept in %s; running again", name, why,
                    dest.relative_to(directory))
        return True
    dest = set_aside(directory, status.state)
    log.warning("point %s: %s: %s; its files moved to %s; running again", name, status.state.upper(), status.reason,
                dest.relative_to(directory))
    return True


def run_point(cfg: DictConfig, directory: Path, execute: Callable[[DictConfig, Path], Any]) -> Any:
    """One job of a multirun: skip the point when it is already complete, else (re)run it with ``execute``."""
    name = directory.name
    with point_lock(directory, name):
        if not prepare_point(directory, identity_yaml(cfg), name):
            return directory / output.MARKER
        return execute(cfg, directory)


# ====================================================================== progress and aggregation


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}h{m:02d}m{s:02d}s" if h else (f"{m}m{s:02d}s" if m else f"{s}s")


class Progress:
    """Counts the sweep's points that have a completion marker, from the file system, so it works whatever the
    launcher (joblib workers, submitit jobs on other nodes): points done / total, and an ETA from the rate at
    which points finished since this command started (points skipped as already complete do not count)."""

    def __init__(self, sweep_dir: Path, points: Sequence[Sequence[str]], interval: float, stream=None) -> None:
        self.sweep_dir = sweep_dir
        self.points = {frozenset(p) for p in points}
        self.total = len(self.points)
        self.interval = interval
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.time()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._cache: dict[Path, tuple[float, frozenset[str] | None]] = {}
        self._last: tuple[int, int] | None = None

    def count(self) -> tuple[int, int]:
        """(points done, of which finished since this command started)."""
        done = new = 0
        if not self.sweep_dir.is_dir():
            return 0, 0
        for d in self.sweep_dir.iterdir():
            ov = d / ".hydra" / "overrides.yaml"
            try:
                mtime = ov.stat().st_mtime
            except OSError:
                continue
            cached = self._cache.get(d)
            if cached is None or cached[0] != mtime:
                cached = (mtime, read_point_overrides(d))
                self._cache[d] = cached
            if cached[1] not in self.points:
                continue
            try:
                marker_mtime = (d / output.MARKER).stat().st_mtime
            except OSError:
                continue
            done += 1
            new += marker_mtime >= self.started
        return done, new

    def line(self, done: int, new: int) -> str:
        elapsed = time.time() - self.started
        text = f"ketensim: sweep {done}/{self.total} points done"
        if done - new:
            text += f" ({done - new} already complete)"
        text += f", elapsed {_duration(elapsed)}"
        if 0 < new and done < self.total:
            text += f", eta {_duration(elapsed / new * (self.total - done))}"
        return text

    def report(self, force: bool = False) -> None:
        state = self.count()
        if force or state != self._last:
            self._last = state
            Console(file=self.stream, highlight=False).print(self.line(*state), markup=False, soft_wrap=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.report()
            except Exception as err:  # noqa: BLE001 - progress must never break a sweep
                log.debug("progress: %s", err)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="ketensim-sweep-progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 1)


class SweepCallback(Callback):
    """Progress while a multirun runs; the aggregated sweep tables when it ends.

    Hydra calls ``on_multirun_*`` on the machine that launched the sweep, also for cluster launchers. If a point
    fails, Hydra stops before ``on_multirun_end``: run the same command again (completed points are skipped) or
    ``python -m sim.collect DIR`` once the failure is fixed.
    """

    def __init__(self, progress_seconds: float = 10.0) -> None:
        self.progress_seconds = float(progress_seconds)
        self._progress: Progress | None = None

    def __getstate__(self) -> dict:  # the callback travels to launcher workers; its thread stays here
        return {"progress_seconds": self.progress_seconds, "_progress": None}

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(str(config.hydra.sweep.dir))
        task = OmegaConf.to_container(config.hydra.overrides.task, resolve=False)
        points = expand_points(task, sweeper_params(config.hydra))
        print(f"ketensim: sweep of {len(points)} points into {sweep_dir}", file=sys.stderr, flush=True)
        self._progress = Progress(sweep_dir, points, self.progress_seconds)
        self._progress.start()

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress.report(force=True)
        sweep_dir = Path(str(config.hydra.sweep.dir))
        try:
            written = collect.collect(sweep_dir)
        except collect.CollectError as err:
            print(f"ketensim: error: {err}", file=sys.stderr)
            raise SystemExit(2) from None
        print(collect.describe(written), file=sys.stderr, flush=True)
