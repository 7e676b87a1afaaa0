"""Shared helpers: compose a configuration exactly as the command line does, validate it, run it."""

from __future__ import annotations

import fcntl
import os
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim.analysis import screening
from sim.chain.model import Model
from sim.config import schema as config_mod
from sim.config.gate import validate
from sim.run import runner

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "conf"

config_mod.register()

# Patient queues: no escalation, drop-out or vervolgmelding while waiting and children who never come of age
# (issue 16's mechanisms); what the analytic twins and the queueing formulas assume
# (children who never come of age run their measures with the extension shares CBS's durations give, ageing out
# included: 1 - 1/2.3 for an OTS, 1 - 1/7.1 for a voogdij; conf/process gives the shares for a child under 18)
PATIENT = ["~waiting", "families.age_at_melding=null", "families.age_in_care=null",
           "measures.ots.extension_probability=0.57", "measures.ots_uhp.extension_probability=0.57",
           "measures.voogdij.extension_probability=0.86"]

# Everything a test of one queue must switch off so that the chain reduces to that queue.
PLAIN = [
    "families.colour.groen=1.0", "families.colour.oranje=0.0", "families.colour.rood=0.0",
    "families.children={dist:empirical,values:[1],probs:[1.0]}",
    "families.reentry_probability=0.0", "families.max_episodes=1",
    "durations.transfer={dist:deterministic,value:0}",
    # no staff hours spent on repeated intakes: each pool is a plain queue of its cases (the queueing formulas)
    "handoff.intake_hours.buurtteam=0", "handoff.intake_hours.veilig_thuis=0", "handoff.intake_hours.rvdk=0",
    "handoff.intake_hours.gi=0",
    "run.event_log=false", "run.quiet=true", "run.start=empty",
    # no voluntary GI begeleiding (drang): VT's and the buurtteam's routes as the queue tests state them
    "voluntary_gi.from_vt=0.0", "voluntary_gi.from_buurtteam=0.0",
    *PATIENT,
]


def missing_system_tool(what: str, how: str) -> NoReturn:
    """A test needs a program from outside Python (Debian's chromium, slurm-wlm) that is not on this machine.

    Outside CI it skips, saying what is missing and how to get it (``make test`` installs both as root). Under
    ``CI=true`` it fails: CI can install them, and a skipped browser or SLURM test would hide a broken report or
    sweep."""
    message = (f"{what} not found: {how} (`make test` installs it when run as root; "
               f"or: sudo apt-get install chromium chromium-driver slurm-wlm munge)")
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


def shared_build(tmp_path_factory, name: str, build: Callable[[Path], object]) -> Path:
    """``build(directory)`` once per test session, by whichever pytest-xdist worker asks first; the other workers
    wait on a lock and get the same directory. A module-scoped fixture is otherwise built again on every worker
    that runs one of its module's tests (test_report's tiny runs were built twice under ``-n 2``), and modules
    that need the same tiny runs (test_figures, test_report, test_report_browser) built them each.

    The directory is read-only for its users: a test that writes into it works on a copy (shutil.copytree)."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the session's folder, the parent of every worker's own
    (root / "shared").mkdir(exist_ok=True)
    directory, done = root / "shared" / name, root / "shared" / f"{name}.done"
    with open(root / "shared" / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when the worker dies
        if not done.is_file():
            shutil.rmtree(directory, ignore_errors=True)  # what a worker that died half-way left
            build(directory)
            done.touch()
    return directory


def shared_value(tmp_path_factory, name: str, compute: Callable[[], object]) -> object:
    """``compute()`` once per test session (shared_build's lock), its value pickled for the other pytest-xdist
    workers: a module fixture holding simulated results (not files) is otherwise simulated again on every worker
    that runs one of its tests. Each caller gets its own unpickled copy: the very same tables, free to change."""

    def build(directory: Path) -> None:
        directory.mkdir(parents=True)
        (directory / "value.pickle").write_bytes(pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL))

    return pickle.loads((shared_build(tmp_path_factory, name, build) / "value.pickle").read_bytes())


def compose_cfg(overrides: list[str] | tuple[str, ...] = ()):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def make_model(overrides: list[str] | tuple[str, ...] = ()) -> Model:
    return validate(compose_cfg(overrides))


def staff(org: str, fte: float, caseload: float = 1.0, **extra: float) -> list[str]:
    """Overrides giving ``org`` exactly fte x caseload places (no leave, no vacancies, no crisis reserve)."""
    out = [f"staffing.{org}.fte={fte}", f"staffing.{org}.caseload={caseload}",
           f"staffing.{org}.productive_share=1.0", f"staffing.{org}.vacancy_rate=0.0",
           f"staffing.{org}.crisis_reserve_share=0.0"]
    out += [f"staffing.{org}.{k}={v}" for k, v in extra.items()]
    return out


@pytest.fixture
def tiny_overrides() -> list[str]:
    return ["region=demo", "run.start=empty", "run.years=1", "run.warmup_years=0.5", "run.replications=2",
            "run.quiet=true"]


def twin_matches_the_simulation(overrides: list[str]) -> pd.Series:
    """Request rates and mean holds of every pool, the analytic twin against the simulation on the demo region from
    empty (8 years' warm-up, 12 years, 2 replications, patient queues): rates within 5 % (or four Poisson standard
    deviations for a pool with few requests), holds within 5 % (the GI's within 15 %: a window of 12 years sees few
    of its voogdij measures end, and holds that end in the window are the shorter ones). Returns the simulation's
    KPI means."""
    m = make_model(["region=demo", "run.start=empty", "run.warmup_years=8", "run.years=12", "run.replications=2",
                    "run.event_log=false", "run.quiet=true", *PATIENT, *overrides])
    sc = screening.screen(m).set_index("pool")
    s = runner.run(m, progress=False).summary().set_index("kpi")["mean"]
    for pool, r in sc.iterrows():
        sim_rate = s[f"arrivals_per_year.{pool}"]
        if r["arrivals_per_year"] == 0:
            assert sim_rate == 0, pool
            continue
        count = r["arrivals_per_year"] * m.run.years * m.run.replications
        assert sim_rate == pytest.approx(r["arrivals_per_year"], rel=max(0.05, 4 / np.sqrt(count))), pool
        sim_hold = s[f"offered_load.{pool}"] / sim_rate * 365.0
        assert sim_hold == pytest.approx(r["hold_mean_days"], rel=0.15 if pool == "gi" else 0.05), pool
    return s


# ---------------------------------------------------------------- coverage and the long statistical checks
# A test marked ``slow`` (pyproject: "long statistical checks") runs the model for many simulated years to compare
# its numbers with a formula, a calibration target or an independent run. Its lines are the ones every fast test
# runs too, and line tracing triples its time (the screening check: 104 s traced, 41 s untraced, one process), so
# `make test`'s coverage figure comes from the other tests: coverage is paused while a slow test sets up and runs
# (pytest-cov's own ``no_cover`` for the call; the same pause for its fixtures, which hold most of the simulation).


def _coverage_controller(config: pytest.Config):
    plugin = config.pluginmanager.getplugin("_cov")
    controller = getattr(plugin, "cov_controller", None)
    return controller if controller is not None and getattr(controller, "started", False) else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.no_cover)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item: pytest.Item):
    controller = _coverage_controller(item.config) if item.get_closest_marker("slow") else None
    if controller is not None:
        controller.pause()
    try:
        yield
    finally:
        if controller is not None:
            controller.resume()
