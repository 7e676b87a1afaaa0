"""Sweeps: parallel and cluster launchers, aggregation, resume after a kill, corrupt points, experiment configs.

The sweeps run as the user runs them (``python -m sim -m ...`` in a subprocess) on tiny points (region=demo, two
simulated years, two replications, no event log). The reference values are the same points computed one by one
in this process, through validate() and runner.run() only, so a sweep that mixed up, lost, duplicated or
re-computed points differently (in a reused worker, on another launcher) cannot match them.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import OmegaConf

from sim import cli, sweep
from sim import collect as sim_collect
from sim.analysis import collect
from sim.chain.checks import ConfigError
from sim.chain.tables import clip_interval
from sim.config.gate import validate
from sim.kernel.stats import confidence_interval
from sim.run import output, runner

ROOT = Path(__file__).resolve().parent.parent
CONF = ROOT / "conf"
TINY = ["region=demo", "run.years=2", "run.warmup_years=0.5", "run.replications=2", "run.event_log=false",
        "run.quiet=true"]
GRID = {"staffing.gi.fte": ["20", "34"], "staffing.gi.caseload": ["12", "22"]}
JOBLIB = ["hydra/launcher=local", "hydra.launcher.n_jobs=2"]
KPIS = ["lead_time_help_mean", "gi_wait_mean", "capacity.gi", "utilisation.gi", "families_per_year"]


# ====================================================================== helpers


def grid_args(grid: dict[str, list[str]]) -> list[str]:
    return [f"{k}={','.join(v)}" for k, v in grid.items()]


def grid_points(grid: dict[str, list[str]]) -> list[list[str]]:
    keys = list(grid)
    return [[f"{k}={v}" for k, v in zip(keys, values)] for values in itertools.product(*grid.values())]


def run_sweep(args: list[str], sweep_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run the sweep command to its end; the result carries the launcher's ``pid`` (the points must not run in it)."""
    launcher = subprocess.Popen([sys.executable, "-m", "sim", "-m", *args, f"hydra.sweep.dir={sweep_dir}"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = launcher.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        launcher.kill()
        launcher.communicate()
        raise
    proc = subprocess.CompletedProcess(launcher.args, launcher.returncode, stdout, stderr)
    proc.pid = launcher.pid
    assert proc.returncode == 0, f"sweep failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def start_sweep(args: list[str], sweep_dir: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sim", "-m", *args, f"hydra.sweep.dir={sweep_dir}"], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def reference_runs(point: list[str]) -> pd.DataFrame:
    """The point computed on its own, in this process: compose, validate, run its replications."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[*TINY, *point])
    GlobalHydra.instance().clear()
    return runner.run(validate(cfg), progress=False).runs


def point_dirs(sweep_dir: Path) -> dict[frozenset[str], Path]:
    """Point directory by the point's grid overrides (the TINY overrides are the same in every point)."""
    out = {}
    for d in sweep_dir.iterdir():
        ov = sweep.read_point_overrides(d) if d.is_dir() else None
        if ov is not None:
            out[frozenset(o for o in ov if o.partition("=")[0] in GRID)] = d
    return out


def rows_of(table: pd.DataFrame, point: list[str]) -> pd.DataFrame:
    mask = np.ones(len(table), dtype=bool)
    for o in point:
        key, _, value = o.partition("=")
        mask &= table[key].astype(float).to_numpy() == float(value)
    rows = table[mask]
    return (rows.sort_values("replication") if "replication" in rows else rows).reset_index(drop=True)


def assert_same_values(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
    """Every KPI of every replication identical (NaN equal to NaN): exactly, not approximately."""
    assert list(got["replication"]) == list(want["replication"]), what
    cols = [c for c in want.columns if c != "replication" and pd.api.types.is_numeric_dtype(want[c])]
    assert len(cols) > 50, what  # every KPI of the runs table
    for c in cols:
        a, b = got[c].to_numpy(dtype=float), want[c].to_numpy(dtype=float)
        assert np.array_equal(a, b, equal_nan=True), f"{what}: {c} {a} != {b}"


def marker(d: Path) -> dict:
    return json.loads((d / output.MARKER).read_text())


def source_version_now() -> str:
    return output.model_version.__wrapped__()  # uncached: the source on disk now


def output_of(proc) -> str:
    return proc.stdout + proc.stderr


# ====================================================================== the joblib sweep, shared by several tests


@pytest.fixture(scope="module")
def joblib_sweep(tmp_path_factory) -> tuple[Path, str]:
    """The 2 x 2 sweep through the joblib launcher with two workers, run once per test session: under
    pytest-xdist the workers share it through their common temporary root (read only; tests copy it)."""
    import fcntl

    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None
    root = tmp_path_factory.getbasetemp().parent if shared else tmp_path_factory.getbasetemp()
    sweep_dir, log = root / "joblib_sweep", root / "joblib_sweep.out"
    with open(root / "joblib_sweep.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (sweep_dir / "sweep.parquet").is_file():
            proc = run_sweep([*TINY, *grid_args(GRID), *JOBLIB], sweep_dir)
            (root / "joblib_sweep.pid").write_text(str(proc.pid))
            log.write_text(output_of(proc))
    return sweep_dir, log.read_text()


@pytest.fixture(scope="module")
def references() -> dict[frozenset[str], pd.DataFrame]:
    return {frozenset(p): reference_runs(p) for p in grid_points(GRID)}


def test_joblib_sweep_aggregates_to_the_points_run_one_by_one(joblib_sweep, references) -> None:
    sweep_dir, out = joblib_sweep
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(table) == 4 * 2 and not table.duplicated(["point", "replication"]).any()
    for point in grid_points(GRID):
        assert_same_values(rows_of(table, point), references[frozenset(point)], f"sweep row {point}")
    # the CSV carries the same numbers (read back at full precision)
    csv = pd.read_csv(sweep_dir / "sweep.csv")
    for c in KPIS:
        assert np.array_equal(csv[c].to_numpy(float), table[c].to_numpy(float), equal_nan=True), c
    # the four points really differ, so a mix-up of points could not go unnoticed
    assert len({tuple(references[frozenset(p)]["capacity.gi"]) for p in grid_points(GRID)}) == 4
    # one summary row per point: mean and 95 % CI of its replications
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    assert len(summary) == 4
    for point in grid_points(GRID):
        row = rows_of(summary, point)
        assert len(row) == 1 and row["n_replications"].iloc[0] == 2
        for kpi in KPIS:
            values = references[frozenset(point)][kpi].to_numpy(float)
            mean, low, high, _ = confidence_interval(values)
            low, high = clip_interval(kpi, values, low, high)
            got = row[[f"{kpi}.mean", f"{kpi}.ci_low", f"{kpi}.ci_high"]].iloc[0].to_numpy(float)
            assert np.array_equal(got, [mean, low, high], equal_nan=True), (point, kpi, got)
    assert "ketensim: sweep 4/4 points done" in out


def test_joblib_workers_were_reused_and_results_do_not_depend_on_the_worker(joblib_sweep, references) -> None:
    """Two loky workers ran four points: both workers ran points (two distinct pids, neither the launcher's, so
    nothing fell back to running serially in the launcher), and at least one worker ran a point after another
    point (four points, two pids). Each point's values still equal the fresh one-by-one computation (previous
    test), so they do not depend on the worker or on what it ran before."""
    sweep_dir, _ = joblib_sweep
    launcher = int((sweep_dir.parent / "joblib_sweep.pid").read_text())
    pids = [marker(d)["pid"] for d in point_dirs(sweep_dir).values()]
    assert len(pids) == 4
    assert launcher not in pids, f"points ran in the launcher process {launcher}: {pids}"
    assert len(set(pids)) == 2, f"expected both workers to run points, each more than one: pids {pids}"


def test_collect_rebuilds_the_same_tables(joblib_sweep, tmp_path) -> None:
    sweep_dir, _ = joblib_sweep
    copy = tmp_path / "copy"
    shutil.copytree(sweep_dir, copy)
    for name in collect.TABLES:
        (copy / name).unlink()
    assert sim_collect.main([str(copy)]) == 0
    for name in ("sweep.csv", "sweep_summary.csv"):
        assert (copy / name).read_bytes() == (sweep_dir / name).read_bytes(), name
    pd.testing.assert_frame_equal(pd.read_parquet(copy / "sweep.parquet"), pd.read_parquet(sweep_dir / "sweep.parquet"))


def test_corrupted_and_incomplete_points_are_named_and_run_again(joblib_sweep, tmp_path, capsys) -> None:
    sweep_dir, _ = joblib_sweep
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy)
    dirs = point_dirs(copy)
    corrupt, incomplete, *kept = [dirs[frozenset(p)] for p in grid_points(GRID)]
    before = {d.name: marker(d) for d in kept}
    # flip bytes in the middle of the runs table (same size) and drop another point's marker (a killed run)
    runs = corrupt / "runs.parquet"
    data = bytearray(runs.read_bytes())
    data[len(data) // 2: len(data) // 2 + 8] = b"\xff" * 8
    runs.write_bytes(bytes(data))
    (incomplete / output.MARKER).unlink()

    # collect refuses the folder: one line naming a bad point, no traceback
    assert sim_collect.main([str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert corrupt.name in err or incomplete.name in err

    proc = run_sweep([*TINY, *grid_args(GRID), *JOBLIB], copy)
    out = output_of(proc)
    assert f"point {corrupt.name}: CORRUPT: runs.parquet differs from what was written" in out
    assert f"point {incomplete.name}: INCOMPLETE: no _COMPLETE.json marker" in out
    # the damaged files were moved aside, not deleted
    assert list((corrupt / sweep.SUPERSEDED).glob("*_corrupt/runs.parquet"))
    assert list((incomplete / sweep.SUPERSEDED).glob("*_incomplete/runs.parquet"))
    assert sweep.check_point(corrupt).state == sweep.check_point(incomplete).state == "complete"
    if all(m["model_version"] == source_version_now() for m in before.values()):
        for d in kept:  # untouched points were skipped: their marker is the one from the first sweep
            assert f"point {d.name}: complete, skipped" in out
            assert marker(d) == before[d.name]
    table = pd.read_parquet(copy / "sweep.parquet")
    pd.testing.assert_frame_equal(table, pd.read_parquet(sweep_dir / "sweep.parquet"))


def test_submitit_local_sweep_aggregates_like_the_others(joblib_sweep, tmp_path) -> None:
    """The cluster path (submitit pickles each point and runs it in its own process), here without SLURM."""
    sweep_dir, _ = joblib_sweep
    grid = {"staffing.gi.fte": ["20", "34"], "staffing.gi.caseload": ["22"]}
    target = tmp_path / "submitit"
    proc = run_sweep([*TINY, *grid_args(grid), "hydra/launcher=slurm_local"], target)
    assert "ketensim: sweep 2/2 points done" in output_of(proc)
    assert list(target.glob(".submitit/*")), "the points did not go through submitit"
    got = pd.read_parquet(target / "sweep.parquet")
    want = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(got) == 2 * 2
    for point in grid_points(grid):
        assert_same_values(rows_of(got, point), rows_of(want, point), f"submitit point {point}")
        assert rows_of(got, point)["point"].iloc[0] == rows_of(want, point)["point"].iloc[0]


# ====================================================================== kill and resume


def test_sweep_killed_with_sigkill_resumes_with_every_point_once(tmp_path, references) -> None:
    """Two workers, four points: when the first point is complete, at least two have not finished. SIGKILL to the
    launcher and its workers, then the same command again."""
    args = [*TINY, *grid_args(GRID), *JOBLIB]
    sweep_dir = tmp_path / "sweep"
    proc = start_sweep(args, sweep_dir)
    try:
        deadline = time.time() + 240
        while time.time() < deadline and not list(sweep_dir.glob(f"*/{output.MARKER}")):
            assert proc.poll() is None, "the sweep ended before it could be killed"
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the launcher and its workers, as an OOM kill or scancel would
    finally:
        proc.wait(timeout=30)
    time.sleep(0.5)  # let the kernel reap the workers
    states = {d.name: sweep.check_point(d).state for d in sweep_dir.iterdir() if d.is_dir()}
    done_before = {n for n, s in states.items() if s == "complete"}
    assert 1 <= len(done_before) < 4, f"the kill did not land mid-way: {states}"
    markers_before = {n: marker(sweep_dir / n) for n in done_before}

    rerun = run_sweep(args, sweep_dir)
    out = output_of(rerun)
    for name, state in states.items():
        if state == "incomplete":
            assert f"point {name}: INCOMPLETE" in out
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(table) == 4 * 2 and not table.duplicated(["point", "replication"]).any()
    assert table["point"].nunique() == 4
    assert all(sweep.check_point(d).state == "complete" for d in sweep_dir.iterdir() if d.is_dir())
    if all(m["model_version"] == source_version_now() for m in markers_before.values()):
        for name in done_before:
            assert marker(sweep_dir / name) == markers_before[name], f"{name} was computed again"
    for point in grid_points(GRID):  # the values are those of the point run on its own
        assert_same_values(rows_of(table, point), references[frozenset(point)], f"resumed {point}")


# ====================================================================== configs


def swept_value(model, key: str) -> object:
    """The value a validated model holds for a swept key (the model's names are not the config's). A key not
    listed here fails the test below: a new experiment that sweeps it adds one line."""
    parts = key.split(".")
    if key == "scenario":
        return model.scenario.name
    if key == "demand.scale":
        return model.demand_scale
    if parts[0] == "staffing" and len(parts) == 3:
        return getattr(model.staffing[parts[1]], parts[2])
    raise AssertionError(f"swept key {key!r}: say in swept_value() where the validated model holds it")


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONF / "experiment").glob("*.yaml")))
def test_every_experiment_composes_and_validates_every_point(name: str) -> None:
    """A sweep experiment is a grid in hydra.sweeper.params: every point of it, exactly as the sweep expands it
    (sim.sweep.expand_points, nothing left out), composes and validates through the command's own preflight, and
    each validated model holds that point's values. Other experiments (single runs) compose and validate as they
    are."""
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[f"+experiment={name}"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    params = sweep.sweeper_params(cfg.hydra)
    if not params:
        assert cli.preflight([f"+experiment={name}"])  # composes and validates (one model per workflow compared)
        return
    assert all(len(str(v).split(",")) >= 2 for v in params.values()), params
    assert not any(k.startswith("run.replications") for k in params), "replications run inside a point"
    assert cfg.hydra.launcher._target_.endswith("JoblibLauncher")
    assert str(cfg.hydra.sweep.dir).startswith(f"results/sweeps/{name}/")
    points = sweep.expand_points([], params)
    assert len(points) == int(np.prod([len(str(v).split(",")) for v in params.values()]))
    models = cli.preflight(["-m", f"+experiment={name}"])
    assert len(models) == len(points)
    for model, point in zip(models, points):
        for override in point:
            key, _, value = override.partition("=")
            got = swept_value(model, key)
            assert (got == value) if isinstance(got, str) else got == pytest.approx(float(value)), (point, key, got)
    assert all(m.run.replications == cfg.run.replications >= 10 for m in models)


@pytest.mark.parametrize("bad, message", [
    ("staffing.gi.ftee=20,34", "staffing.gi.ftee"),  # a misspelt key in the grid
    ("scenario=sequential,not_a_workflow", "scenario = 'not_a_workflow'"),  # an unknown workflow in the grid
])
def test_an_experiment_grid_with_an_unknown_key_or_value_is_refused_before_running(bad: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        cli.preflight(["-m", "+experiment=vt_rvdk_capacity", "region=demo", bad])


def test_command_line_sweep_combines_with_an_experiment_grid() -> None:
    models = cli.preflight(["-m", "+experiment=vt_rvdk_capacity", "region=demo", "staffing.rvdk.fte=6,7"])
    assert len(models) == 5 * 2  # the experiment's VT grid x the command line's Raad values (which win)
    assert sorted({m.staffing["rvdk"].fte for m in models}) == [6.0, 7.0]
    assert {m.region_name for m in models} == {"demo"}


@pytest.mark.parametrize("name", sorted(p.stem for p in (CONF / "hydra" / "launcher").glob("*.yaml")))
def test_launcher_configs_compose_onto_their_plugins(name: str) -> None:
    from hydra.utils import get_class

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("config", overrides=[f"hydra/launcher={name}"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    launcher = cfg.hydra.launcher
    assert get_class(launcher._target_).__name__ in {"JoblibLauncher", "SlurmLauncher", "LocalLauncher"}
    if name == "slurm":
        assert launcher.timeout_min > 0 and launcher.array_parallelism > 0 and "partition" in launcher
        assert OmegaConf.to_container(launcher.setup)


# ====================================================================== units: points, identity, states


def test_expand_points_follows_hydra_with_the_command_line_winning() -> None:
    points = sweep.expand_points(["b=7", "c=x,y"], {"a": "1,2", "b": "3,4"})
    assert points == [["a=1", "b=7", "c=x"], ["a=1", "b=7", "c=y"], ["a=2", "b=7", "c=x"], ["a=2", "b=7", "c=y"]]


def test_sweeping_a_key_left_out_of_point_names_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"exclude_keys .*run\.jobs=1.*run\.jobs=2"):
        cli.preflight(["-m", *TINY, "run.jobs=1,2"])
    with pytest.raises(ConfigError, match=r"hydra.sweep.subdir = ''"):
        cli.preflight(["-m", "run.quiet=true"])


def test_identity_ignores_speed_and_printing_settings_only() -> None:
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        base = sweep.identity_yaml(compose("config", overrides=TINY))
        faster = sweep.identity_yaml(compose("config", overrides=[*TINY, "run.jobs=2", "run.quiet=false"]))
        other = sweep.identity_yaml(compose("config", overrides=[*TINY, "run.seed=7"]))
    GlobalHydra.instance().clear()
    assert base == faster and base != other


def _write_point(d: Path, config: str = "a: 1\n") -> None:
    runs = pd.DataFrame({"scenario": ["s", "s"], "replication": [0, 1], "x": [1.0, 3.0]})
    d.mkdir(parents=True, exist_ok=True)
    output.write_text(d / "config_resolved.yaml", config)
    output.write_results(d, {"runs": runs, "families": runs}, ["parquet", "csv"], config, identity=config)


def test_check_point_tells_complete_incomplete_corrupt_and_absent(tmp_path) -> None:
    d = tmp_path / "p"
    assert sweep.check_point(d).state == "absent"
    _write_point(d)
    assert sweep.check_point(d).state == "complete"
    fam = d / "families.csv"
    fam.write_text(fam.read_text()[:-3])
    status = sweep.check_point(d)
    assert status.state == "corrupt" and "families.csv has" in status.reason
    _write_point(d)
    (d / "runs.parquet").unlink()
    assert sweep.check_point(d) == sweep.PointStatus("corrupt", "runs.parquet is missing", sweep.check_point(d).marker)
    _write_point(d)
    (d / output.MARKER).write_text("{not json")
    assert sweep.check_point(d).state == "corrupt"
    (d / output.MARKER).unlink()
    (d / "error.txt").write_text("MemoryError: out of memory\n")
    status = sweep.check_point(d)
    assert status.state == "incomplete" and "MemoryError" in status.reason


def test_prepare_point_skips_same_and_keeps_what_it_replaces(tmp_path) -> None:
    d = tmp_path / "p"
    _write_point(d, "a: 1\n")
    assert sweep.prepare_point(d, "a: 1\n", "p") is False  # same config, same model: skip
    assert sweep.check_point(d).state == "complete"
    old = (d / "runs.parquet").read_bytes()
    assert sweep.prepare_point(d, "a: 2\n", "p") is True  # another configuration: set aside, run again
    assert sweep.check_point(d).state == "absent"
    [kept] = (d / sweep.SUPERSEDED).iterdir()
    assert (kept / "runs.parquet").read_bytes() == old and (kept / output.MARKER).is_file()


def test_progress_counts_points_of_this_sweep_and_estimates(tmp_path) -> None:
    points = [["k=1"], ["k=2"], ["k=3"], ["k=4"]]
    prog = sweep.Progress(tmp_path, points, interval=60, stream=open(os.devnull, "w"))
    for value, done in [("1", True), ("2", True), ("3", False), ("9", True)]:
        d = tmp_path / f"k={value}"
        (d / ".hydra").mkdir(parents=True)
        (d / ".hydra" / "overrides.yaml").write_text(f"- k={value}\n")
        if done:
            (d / output.MARKER).write_text("{}")
    old = tmp_path / "k=1" / output.MARKER
    os.utime(old, (prog.started - 100, prog.started - 100))  # complete before this command: skipped, not 'new'
    assert prog.count() == (2, 1)  # k=9 is not a point of this sweep
    prog.started -= 60  # one point finished in the last minute, two to go
    line = prog.line(2, 1)
    assert line.startswith("ketensim: sweep 2/4 points done (1 already complete)") and "eta 2m00s" in line


def test_collect_names_a_folder_that_is_not_a_sweep(tmp_path, capsys) -> None:
    assert sim_collect.main([str(tmp_path / "nope")]) == 2
    single = tmp_path / "single"
    _write_point(single)
    assert sim_collect.main([str(single)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "nope: not a directory" in err[0] and "single run, not a sweep" in err[1]


def test_points_of_a_sweep_write_no_families_table_unless_asked(joblib_sweep, tmp_path) -> None:
    """A grid's per-family records only cost disk (issue 19): the points of the joblib sweep hold every other
    table but no families table; ``run.sweep_families=true`` writes it (one point suffices to show it)."""
    sweep_dir, _ = joblib_sweep
    dirs = point_dirs(sweep_dir)
    assert len(dirs) == 4
    for d in dirs.values():
        assert (d / "runs.parquet").is_file() and (d / "summary.csv").is_file()
        assert not list(d.glob("families.*")), d
    one = tmp_path / "with_families"
    run_sweep([*TINY, "staffing.gi.fte=20,34", "run.replications=1", "run.sweep_families=true"], one)
    written = point_dirs(one)
    assert len(written) == 2 and all((d / "families.parquet").is_file() for d in written.values())
    assert not any((d / "families.csv").exists() for d in written.values())  # run.families_formats: parquet only
