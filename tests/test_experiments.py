"""Every experiment runs end to end in a tiny mode and writes well-formed outputs.

Two kinds of experiment, both run as a user runs them (a subprocess from the project folder):

* the scripts in ``experiments/`` each have a ``--tiny`` flag (documented in their docstrings) that goes down the
  real code path, writing included, with the smallest sizes the path accepts;
* the sweep and comparison configs in ``conf/experiment/`` that a script runs (:data:`RUN_BY_SCRIPT`) are run
  through that script's tiny mode, whose test checks that the script's recorded commands name the experiment;
  every other one runs here with one documented override set (:data:`TINY`): the demo region, 0.2 simulated years,
  2 replications, and of the experiment's own grid the first two values of its first swept key and the first
  value of every other key (two points), so the grid composes exactly as written. A new experiment file is picked
  up by the parametrisation without touching this file.

The numbers of a tiny run mean nothing; what is checked is that every output the experiment promises exists, has
the rows it should (one per point x replication, one per figure and language) and holds finite numbers where the
run produced them. How the figures and tables compute their values is tested elsewhere.
"""

from __future__ import annotations

import importlib
import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim import sweep
from sim.run import output
from tests.conftest import CONF, ROOT

EXPERIMENTS = ROOT / "experiments"
# the override set that makes a conf/experiment/*.yaml tiny (its grid is cut in tiny_grid)
TINY = ["region=demo", "run.years=0.2", "run.warmup_years=0.2", "run.replications=2", "run.quiet=true",
        "run.jobs=1"]
FIGURE_FILES = (".png", ".svg", ".pdf", ".txt", ".csv")  # what sim.report.style.save writes per chart
# conf/experiment files that a script in experiments/ runs: its tiny test runs them (and checks its README says so)
RUN_BY_SCRIPT = {"compare_workflows": "tweede_kamer", "gelderland_staffing": "gelderland_staffing",
                 "demand_growth": "gelderland_staffing"}
CONFIG_EXPERIMENTS = sorted(p.stem for p in (CONF / "experiment").glob("*.yaml"))


def run(cmd: list[str], timeout: float = 300) -> str:
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{' '.join(cmd)} failed (exit {proc.returncode}):\n{out[-4000:]}"
    assert "Traceback" not in out, out[-4000:]
    return out


def script(name: str, *args: str) -> list[str]:
    return [sys.executable, str(EXPERIMENTS / f"{name}.py"), *args]


def assert_figure_set(folder: Path, names: set[str]) -> None:
    """Every chart in ``names`` saved in every format, each file non-empty."""
    for name in names:
        for suffix in FIGURE_FILES:
            path = folder / f"{name}{suffix}"
            assert path.is_file() and path.stat().st_size > 0, path


def assert_sweep_tables(sweep_dir: Path, points: int, replications: int = 2) -> pd.DataFrame:
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    assert len(table) == points * replications and table["point"].nunique() == points
    assert not table.duplicated(["point", "replication"]).any()
    assert pd.read_csv(sweep_dir / "sweep.csv").shape == table.shape
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    assert len(summary) == points and (summary["n_replications"] == replications).all()
    assert table["families_per_year"].gt(0).all() and table["lead_time_help_mean"].map(math.isfinite).all()
    return table


# ====================================================================== conf/experiment/*.yaml


def experiment_cfg(name: str, overrides: list[str] = ()):
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            return compose("config", overrides=[f"+experiment={name}", *overrides], return_hydra_config=True)
    finally:
        GlobalHydra.instance().clear()


def tiny_grid(params: dict) -> list[str]:
    """The experiment's own grid cut to two points: two values of its first key, the first value of the others."""
    out = []
    for i, (key, values) in enumerate(params.items()):
        values = [v.strip() for v in str(values).split(",")]
        out.append(f"{key}={','.join(values[:2] if i == 0 else values[:1])}")
    return out


def assert_ran_experiments(readme: str, script_name: str) -> None:
    """The script's README lists the commands it ran: each experiment it is said to cover is among them."""
    for name, by in RUN_BY_SCRIPT.items():
        if by == script_name:
            assert f"+experiment={name}" in readme, name


def test_every_config_experiment_is_run_by_a_script_or_here() -> None:
    assert set(RUN_BY_SCRIPT) <= set(CONFIG_EXPERIMENTS)
    assert all((EXPERIMENTS / f"{s}.py").is_file() for s in RUN_BY_SCRIPT.values())


@pytest.mark.parametrize("name", [n for n in CONFIG_EXPERIMENTS if n not in RUN_BY_SCRIPT])
def test_every_config_experiment_runs_in_its_tiny_mode(name: str, tmp_path: Path) -> None:
    cfg = experiment_cfg(name)
    params = sweep.sweeper_params(cfg.hydra)
    target = tmp_path / name
    if not params:  # a single run (the comparison of workflows: today's chain and the experiment's own)
        out = run([sys.executable, "-m", "sim", f"+experiment={name}", *TINY, f"hydra.run.dir={target}"])
        assert (target / output.MARKER).is_file(), out[-2000:]
        comparison = pd.read_csv(target / "comparison.csv")
        assert len(comparison) > 10 and {"kpi", "workflow"} <= set(comparison.columns)
        for workflow in (cfg.compare.baseline, *cfg.compare.workflows):
            runs = pd.read_parquet(target / workflow / "runs.parquet")
            assert len(runs) == 2 and runs["families_per_year"].gt(0).all(), workflow
        assert (target / "report.html").stat().st_size > 1000
        return
    grid = tiny_grid(params)
    run([sys.executable, "-m", "sim", "-m", f"+experiment={name}", *TINY, *grid, "hydra.launcher.n_jobs=2",
         f"hydra.sweep.dir={target}"])
    table = assert_sweep_tables(target, points=2)
    first_key, _, first_values = grid[0].partition("=")
    got = sorted(table[first_key].astype(str).unique())
    want = sorted(first_values.split(","))
    if first_key != "scenario":  # numbers come back as floats from the table
        got, want = sorted(float(v) for v in got), sorted(float(v) for v in want)
    assert got == want


# ====================================================================== experiments/*.py


def test_calibrate_runs_in_miniature_and_reports_every_figure() -> None:
    """--tiny: the whole procedure (screening start, coordinate search, stocks, refinement, verification) on the
    demo region; it writes nothing (conf/ and docs/ are the real run's outputs), so its report is the output."""
    out = run(script("calibrate", "--tiny"))
    table = [line for line in out.splitlines() if line.rstrip().endswith(("yes", "NO", "(reported)", "(in range)"))]
    assert len(table) >= 8, out[-3000:]
    assert any("runs," in line for line in out.splitlines())


def test_front_desk_edge_runs_in_miniature() -> None:
    out = run(script("front_desk_edge", "--tiny"))
    rows = [line.split() for line in out.splitlines()[1:] if line.strip()]
    assert [float(r[1]) for r in rows] == [0.95, 1.10]
    for r in rows:
        assert 0.0 <= float(r[2].rstrip("%")) <= 100.0 and len(r) == 3 + 2  # the mean and 2 replications


def test_sizing_doc_fills_every_generated_block_of_the_page(tmp_path: Path) -> None:
    """docs/sizing.md holds no typed number: the script fills each block with a table read off a real run."""
    page = tmp_path / "sizing.md"
    run(script("sizing_doc", "--tiny", "--out", str(page)))
    text = page.read_text()
    for name in ("sizing-today", "sizing-integrated", "capacity"):
        body = text.split(f"<!-- generated:{name} -->")[1].split(f"<!-- /generated:{name} -->")[0]
        assert body.count("\n| ") >= 2 and "python -m sim." in body, name  # a header and at least one row
    assert "| rvdk |" in text and "| sequential |" in text and "| integrated |" in text


def test_workload_feedback_runs_in_miniature_and_fills_its_block(tmp_path: Path) -> None:
    """--tiny: both arms (feedback on, elasticities at zero) on the demo region from today, one year, 2
    replications; the csv has a row per arm, replication and year end, and the page's block gets the table."""
    page = tmp_path / "page.md"
    page.write_text("before\n<!-- workload_feedback:begin -->\nold\n<!-- workload_feedback:end -->\nafter\n")
    run(script("workload_feedback", "--tiny", "--out", str(tmp_path), "--doc", str(page)))
    rows = pd.read_csv(tmp_path / "workload_feedback.csv")
    assert len(rows) == 2 * 2 * 1 and set(rows["arm"]) == {"with feedback", "without feedback"}
    assert rows["available_fte"].gt(0).all() and rows["waiting"].map(math.isfinite).all()
    text = page.read_text()
    assert "old" not in text and text.startswith("before\n") and text.endswith("after\n")
    assert "| end of year |" in text and "experiments/workload_feedback.py --tiny" in text


def test_front_desk_mechanism_runs_in_miniature() -> None:
    out = run(script("front_desk_mechanism", "--tiny"))
    assert out.strip()


def test_sensitivity_runs_in_miniature_and_writes_its_table(tmp_path: Path) -> None:
    run(script("sensitivity", "--tiny", "--out", str(tmp_path)))
    table = pd.read_csv(tmp_path / "sensitivity.csv")
    assert table["assumption"].nunique() == 2
    assert table.groupby("assumption")["kpi"].nunique().eq(table["kpi"].nunique()).all()
    assert table["base"].map(math.isfinite).all()
    md = (tmp_path / "sensitivity.md").read_text(encoding="utf-8")
    assert md.startswith("# Sensitivity of the as-is chain (demo)")
    assert all(f"`{a}`" in md for a in table["assumption"].unique())


def test_validate_analytic_runs_in_miniature_and_writes_its_report(tmp_path: Path) -> None:
    run(script("validate_analytic", "--tiny", "--out", str(tmp_path)))
    table = pd.read_csv(tmp_path / "validation.csv")
    assert set(table["workflow"]) == {"sequential", "integrated"} and set(table["region"]) == {"demo"}
    assert set(table["knob"]) == {"staffing.veilig_thuis.fte", "scenario.effects.duo_workload"}  # the first of each
    util = table[table["measure"].str.startswith("utilisation.") & table["varied"]]  # the pools each knob loads
    assert len(util) >= 3 and util["sim_mean"].between(0, 1).all() and util["analytic"].between(0, 1).all()
    assert (tmp_path / "validation.md").read_text(encoding="utf-8").startswith("# Analytic screening against")


@pytest.mark.slow
def test_tweede_kamer_runs_in_miniature_with_both_reports_and_every_figure(tmp_path: Path) -> None:
    run(script("tweede_kamer", "--tiny", "--out", str(tmp_path)))
    compare = tmp_path / "gelderland" / "compare"
    assert (compare / output.MARKER).is_file()
    for report in ("report.html", "report_nl.html"):
        assert (compare / report).stat().st_size > 1000, report
    names = {p.stem for p in (tmp_path / "gelderland" / "figures" / "en").glob("*.png")}
    assert len(names) >= 4
    for lang in ("en", "nl"):
        assert_figure_set(tmp_path / "gelderland" / "figures" / lang, names)
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "--tiny" in readme and all(f"figures/en/{n}.png" in readme for n in names)
    assert_ran_experiments(readme, "tweede_kamer")


@pytest.mark.slow
def test_gelderland_staffing_runs_in_miniature_and_writes_every_step(tmp_path: Path) -> None:
    run(script("gelderland_staffing", "--tiny", "--out", str(tmp_path)), timeout=600)
    assert_sweep_tables(tmp_path / "sweep", points=2 * 2)
    assert_sweep_tables(tmp_path / "demand", points=2 * 2)
    for step in ("sweep", "demand", "backlog/extra_0", "backlog/extra_5"):
        assert (tmp_path / step / "report.html").is_file(), step
    capacity = pd.read_csv(tmp_path / "capacity.csv")
    assert set(capacity["workflow"]) == {"sequential", "integrated"} and len(capacity) == 4
    backlog = pd.read_csv(tmp_path / "backlog_drain.csv")
    assert set(backlog["extra_fte"]) == {0.0, 5.0} and backlog["waiting_mean"].ge(0).all()
    names = {"p90_against_fte", "staffing_heatmap", "p90_against_fte.lead_time_measure_p90",
             "staffing_heatmap.lead_time_measure_p90", "capacity_curve", "backlog_drain"}
    for lang in ("en", "nl"):
        assert_figure_set(tmp_path / "figures" / lang, names)
    readme = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert all(f"figures/en/{n}.png" in readme for n in names)
    assert_ran_experiments(readme, "gelderland_staffing")


@pytest.mark.parametrize("args, message", [
    (["--caseload", "12"], "--caseload = '12' (at least 2 different values"),
    (["--fte", "240,x"], "--fte = '240,x' (comma-separated numbers"),
    (["--demand", "1.0,1.0"], "--demand = '1.0,1.0' (at least 2 different values"),
    (["--backlog-extra", "-5"], "--backlog-extra = '-5' (every value >= 0"),
    (["--years", "0"], "--years = 0 (a positive number of years)"),
])
def test_gelderland_staffing_refuses_a_grid_its_figures_cannot_draw_before_simulating(tmp_path: Path, args, message,
                                                                                     capsys) -> None:
    """Issue 19: a single caseload value (which --help offered) failed only after all the simulation, when the
    heatmap found one value on its axis. Every argument is checked first: exit 2, the message, nothing written.
    In this process (main(argv)), since nothing is simulated: a subprocess would only add its start-up."""
    sys.path.insert(0, str(EXPERIMENTS))
    try:
        import gelderland_staffing
    finally:
        sys.path.remove(str(EXPERIMENTS))
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as exit_:
        gelderland_staffing.main([*args, "--out", str(out)])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert not out.exists()


@pytest.mark.parametrize("script, args, message", [
    ("sensitivity", ["--region", "nowhere"], "--region: 'nowhere' (allowed: amsterdam_amstelland, demo, gelderland,"),
    ("sensitivity", ["--jobs", "0"], "--jobs = 0 (at least 1)"),
    ("sensitivity", ["--seed", "-1"], "--seed = -1 (a whole number >= 0)"),
    ("validate_analytic", ["--regions", "demo,nowhere"], "--regions: 'nowhere'"),
    ("validate_analytic", ["--loads", "0.5,1.2"], "--loads: 1.2 (a load between 0 and 1"),
    ("validate_analytic", ["--loads", "0.5,x"], "--loads = '0.5,x' (comma-separated numbers)"),
    ("validate_analytic", ["--years", "-2"], "--years = -2 (a positive number of years)"),
    ("validate_analytic", ["--warmup", "-1"], "--warmup = -1 (years of warm-up, 0 or more)"),
    ("calibrate", ["--dry-run", "--region", "nowhere"], "--region: 'nowhere'"),
    ("calibrate", ["--dry-run", "--replications", "1"], "--replications = 1 (at least 2"),
    ("calibrate", ["--dry-run", "--verify-replications", "0"], "--verify-replications = 0 (at least 2"),
    ("calibrate", ["--dry-run", "--jobs", "0"], "--jobs = 0 (at least 1)"),
    ("front_desk_mechanism", ["--set", "staffing.gi.fte=-3"], "--set: staffing.gi.fte = -3.0 (must be > 0)"),
    ("front_desk_mechanism", ["--set", "nope=1"], "--set: nope"),
    ("tweede_kamer", ["--regions", "nowhere"], "--regions: 'nowhere'"),
    ("tweede_kamer", ["--jobs", "0"], "--jobs = 0 (at least 1)"),
])
def test_every_experiment_script_checks_its_arguments_before_simulating(script, args, message, tmp_path, capsys,
                                                                        monkeypatch) -> None:
    """Issue 19, item 5: a bad argument is one line and exit 2, with nothing simulated and nothing written (the
    model's runner is replaced by one that fails the test if it is called)."""
    from sim.run import runner

    monkeypatch.setattr(runner, "run", lambda *a, **k: pytest.fail(f"{script} simulated before checking {args}"))
    sys.path.insert(0, str(EXPERIMENTS))
    try:
        module = importlib.import_module(script)
    finally:
        sys.path.remove(str(EXPERIMENTS))
    out = ["--out", str(tmp_path / "out")] if script in ("sensitivity", "validate_analytic", "tweede_kamer") else []
    with pytest.raises(SystemExit) as exit_:
        module.main([*args, *out])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists()


def test_backtest_runs_in_miniature_and_the_same_seed_gives_the_same_table(tmp_path: Path) -> None:
    """--tiny: the back-test from 1-1-2019 (issue 18) writes its page, chart and table; a rerun with the same seed
    gives the same table, and another seed a different one (so the comparison can fail)."""
    tables = {}
    for name, seed in (("a", "20231"), ("b", "20231"), ("c", "7")):
        out = tmp_path / name / "backtest.md"
        run(script("backtest", "--tiny", "--seed", seed, "--out", str(out)))
        page = out.read_text(encoding="utf-8")
        assert "| measures running at the year end | 2019 | 32,095 |" in page
        assert "## What the model misses, and why" in page and (out.parent / "backtest.png").stat().st_size > 0
        tables[name] = pd.read_csv(out.parent / "backtest_results" / "table.csv")
    pd.testing.assert_frame_equal(tables["a"], tables["b"])  # the same seed: the same table, number for number
    assert not tables["a"]["model_mean"].equals(tables["c"]["model_mean"])


PILOT_REGIONS = {"utrecht_west": "utrecht", "ketenversnelling": "utrecht", "samen_in_crisis": "rotterdam_rijnmond",
                 "blijvend_veilig": "amsterdam_amstelland"}  # seeds 003, 000, 001, 002 (../shared/seeds/README.md)


@pytest.mark.parametrize("pilot,region", sorted(PILOT_REGIONS.items()))
def test_each_pilots_experiment_runs_in_its_own_region_by_default(pilot: str, region: str) -> None:
    cfg = experiment_cfg(pilot)
    assert cfg.region.name == region
    assert list(cfg.compare.workflows) == [pilot] and cfg.compare.baseline == "sequential"
    assert experiment_cfg(pilot, ["region=gelderland"]).region.name == "gelderland"  # and can be moved
