"""How sure are we? (sim/analysis/uncertainty.py, sim/analysis/voi.py, python -m sim.uncertainty).

Each claim is checked where its answer is known: Sobol' indices on a synthetic response that only one input moves
and on a simulated comparison where only one drawn assumption can move the KPI; break-even values and EVPPI on a
linear response with a known crossing; the draws and tables identical serial, parallel and resumed; bad ranges,
shapes and names refused in one line before any simulated time.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim import app
from sim import uncertainty as command
from sim.analysis import uncertainty as unc
from sim.analysis import voi
from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.config.gate import validate

TINY = ["region=demo", "run.start=empty", "run.warmup_years=0.1", "run.years=0.1"]
# two of the integrated team's own assumptions: its joint intake (hours per family, straight into the intake hours)
# and the length of one VT consult (expert hours: no intake at all)
INTAKE, CONSULT = "scenario.team.intake_hours", "scenario.consults.vt.hours"


def make_plan(extra: list[str]):
    return app.validated("uncertainty", TINY + extra, lambda cfg: unc.make_plan(cfg, None), example="x=1")


# ====================================================================== the statistics on known answers


def _design(d: int, n: int, seed: int = 3) -> tuple[np.ndarray, list[unc.Assumption]]:
    found = [unc.Assumption(f"x{j}", f"x{j}", None, 0.5, 0.0, 1.0, "uniform", False, "", "") for j in range(d)]
    unit, values = unc.design(found, n * (d + 2), seed)
    assert np.allclose(unit, values)  # uniform over [0, 1]: the values are the unit design
    return unit, found


def test_only_the_input_that_moves_the_response_has_a_total_index():
    unit, found = _design(4, 256)
    y = np.sin(2 * np.pi * unit[:, 2]) + 3 * unit[:, 2]  # only x2 matters
    idx = voi.sobol(unit, y, [a.name for a in found], resamples=100, seed=1)
    assert idx["ST"][2] == pytest.approx(1.0, abs=0.05)
    assert idx["S1"][2] == pytest.approx(1.0, abs=0.1)
    assert np.all(np.abs(idx["ST"][[0, 1, 3]]) < 0.02)
    assert np.all(idx["ST_conf"] >= 0)


def test_a_draw_without_a_value_leaves_out_its_base_sample_not_the_indices():
    """An overloaded draw may have no restricted mean: its base sample (d + 2 rows) is left out and the indices come
    from the others; with fewer than two complete base samples they are NaN."""
    unit, found = _design(4, 256)
    names = [a.name for a in found]
    y = np.sin(2 * np.pi * unit[:, 2]) + 3 * unit[:, 2]
    full = voi.sobol(unit, y, names, resamples=100, seed=1)
    y[7] = np.nan  # a row of the second base sample
    idx = voi.sobol(unit, y, names, resamples=100, seed=1)
    assert idx["ST"] == pytest.approx(full["ST"], abs=0.01)  # 255 base samples tell what 256 did
    assert idx["ST"][2] > 0.9 and np.all(np.abs(idx["ST"][[0, 1, 3]]) < 0.02)
    few = np.full(2 * 6, np.nan)
    few[:6] = y[:6]
    assert np.all(np.isnan(voi.sobol(unit[:12], few, names, resamples=10, seed=1)["ST"]))


def test_an_interaction_shows_in_the_total_not_the_first_order_index():
    unit, found = _design(3, 512)
    y = (unit[:, 0] - 0.5) * (unit[:, 1] - 0.5)  # a pure interaction: no first-order effect at all
    idx = voi.sobol(unit, y, [a.name for a in found], resamples=100, seed=1)
    assert idx["ST"][0] == pytest.approx(1.0, abs=0.15) and idx["ST"][1] == pytest.approx(1.0, abs=0.15)
    assert abs(idx["S1"][0]) < 0.1 and abs(idx["ST"][2]) < 0.02


def test_a_break_even_value_is_found_where_a_linear_response_crosses_zero():
    rng = np.random.default_rng(7)
    x = rng.uniform(10.0, 21.0, 400)
    y = 4.0 * (x - 14.0) + rng.normal(0.0, 2.0, 400)  # lower is better: the alternative wins below 14
    be = voi.break_even(x, y, 10.0, 21.0, lower_is_better=True, resamples=200, seed=2)
    assert be.value == pytest.approx(14.0, abs=0.2)
    assert be.ci_low <= 14.0 <= be.ci_high and be.ci_high - be.ci_low < 1.0
    assert be.better_below is True and be.share_crossing > 0.95
    never = voi.break_even(x, y + 100.0, 10.0, 21.0, lower_is_better=True, resamples=50, seed=2)
    assert np.isnan(never.value) and never.better_below is None


def test_evppi_is_the_value_of_learning_the_one_assumption_that_decides():
    rng = np.random.default_rng(11)
    x, z = rng.uniform(-1, 1, 2000), rng.uniform(-1, 1, 2000)
    y = x  # lower is better: adopt when x < 0; today E[y] = 0, so knowing x gains E[max(0, -x)] = 0.25
    assert voi.evppi(x, y, lower_is_better=True) == pytest.approx(0.25, abs=0.02)
    assert voi.evppi(z, y, lower_is_better=True) == pytest.approx(0.0, abs=0.02)
    assert voi.evpi(y, lower_is_better=True) == pytest.approx(0.25, abs=0.02)


def test_the_spread_counts_the_better_side_from_the_kpi_registry():
    lower = kpis.get(kpis.LEAD_TIME_HELP_RMST).lower_is_better
    higher = kpis.get(kpis.SHARE_CHAIN_WITHIN_NORM).lower_is_better
    assert lower is True and higher is False
    y = np.array([-3.0, -1.0, 0.0, 2.0])
    assert voi.spread(y, lower).p_better == 0.5 and voi.spread(y, higher).p_better == 0.25
    assert voi.spread(y, lower).p_worse == 0.25


def test_shapes_peak_at_the_default_and_stay_in_the_range():
    u = np.linspace(0.001, 0.999, 999)
    for shape in ("triangular", "pert"):
        a = unc.Assumption("a", "a", None, 12.0, 10.0, 20.0, shape, False, "", "")
        v = unc.quantile(a, u)
        assert v.min() >= 10.0 and v.max() <= 20.0
        hist, edges = np.histogram(v, bins=10, range=(10, 20))
        assert edges[hist.argmax()] in (11.0, 12.0)  # the densest tenth touches the default 12
        assert np.median(v) < 14.5  # and the mass leans to it: uniform's median would be 15


# ====================================================================== the simulated comparison


@pytest.fixture(scope="module")
def one_mover():
    plan = make_plan([f"uncertainty.only=[{INTAKE},{CONSULT}]", "uncertainty.draws=64",
                      "uncertainty.same_families=true", "uncertainty.block=8"])
    return plan


@pytest.mark.slow
def test_only_the_assumption_that_moves_the_kpi_has_a_total_index_in_a_simulation(one_mover, tmp_path):
    plan = one_mover
    assert [a.key for a in plan.assumptions] == [INTAKE, CONSULT] and plan.draws == 64
    unc.run_draws(plan, tmp_path, jobs=2)
    table = unc.collect(plan, tmp_path)
    d = unc.differences(table, plan.baseline)
    y = d[d["kpi"] == kpis.INTAKE_HOURS_PER_FAMILY].set_index("draw")["diff"].sort_index().to_numpy()
    idx = voi.sobol(plan.unit, y, [a.name for a in plan.assumptions], resamples=200, seed=1)
    # with N = 16 the estimator itself is noisy (the synthetic test above has N = 256): 1 within the interval
    assert idx["ST"][0] > 0.6 and abs(idx["ST"][0] - 1.0) <= idx["ST_conf"][0]
    assert abs(idx["ST"][1]) < 0.02 and abs(idx["S1"][1]) < 0.05
    # the drawn values are the table's columns, and the team's joint intake moves the intake hours upward
    x = table.drop_duplicates("draw").sort_values("draw")[plan.assumptions[0].name].to_numpy()
    assert np.corrcoef(x, y)[0, 1] > 0.9


def test_same_seed_same_draws_and_tables_serial_parallel_resumed_and_without_copied_runs(tmp_path, monkeypatch):
    extra = [f"uncertainty.only=[{INTAKE},{CONSULT},durations.transfer]", "uncertainty.draws=10",
             "uncertainty.block=4"]
    plan = make_plan(extra)
    again = make_plan(extra)
    np.testing.assert_array_equal(plan.values, again.values)
    # each A and B row of the design its own families; A's variants (one column from B) A's families
    width = len(plan.assumptions) + 2
    seeds = [plan.draw_seed(d) for d in range(plan.draws)]
    assert len(set(seeds)) == 2 * plan.draws // width
    assert all(seeds[d] == seeds[d - d % width] for d in range(plan.draws) if d % width != width - 1)
    # the chain reads neither of the team's own two assumptions: those two variants of each A row are, for the
    # chain, A's very run (copied, not run again); the team's runs and the shared assumption's are all run
    copied = {(d, name) for d in range(plan.draws) for name, _ in plan.members if plan.ran_as(d, name) != d}
    team_own = [j for j, a in enumerate(plan.assumptions) if a.workflow == "integrated"]
    assert len(team_own) == 2
    assert copied == {(g * width + 1 + j, "sequential") for g in range(plan.draws // width) for j in team_own}
    assert plan.reused_runs == 4
    serial, parallel, resumed = tmp_path / "serial", tmp_path / "parallel", tmp_path / "resumed"
    assert len(unc.run_draws(plan, serial, jobs=1)) == 3
    assert len(unc.run_draws(again, parallel, jobs=2)) == 3
    unc.run_draws(plan, resumed, jobs=1, only_blocks=[1])  # a stopped run: one block finished
    assert unc.run_draws(plan, resumed, jobs=2) == [0, 2]  # the rerun runs only the others
    assert unc.run_draws(plan, resumed, jobs=1) == []
    tables = [unc.collect(plan, d) for d in (serial, parallel, resumed)]
    pd.testing.assert_frame_equal(tables[0], tables[1])
    pd.testing.assert_frame_equal(tables[0], tables[2])
    assert set(tables[0]["workflow"]) == {"sequential", "integrated"}
    # within a draw both workflows saw the same seed: common random numbers
    assert (tables[0].groupby("draw")["seed"].nunique() == 1).all()
    other = make_plan(extra + ["uncertainty.seed=5"])
    assert not np.array_equal(other.values, plan.values)
    assert unc.run_draws(other, serial, jobs=1, only_blocks=[0]) == [0]  # another design: the old block is not kept
    # the copied runs are the runs themselves: the same table with every run run
    monkeypatch.setattr(unc.Plan, "ran_as", lambda self, draw, workflow: draw)
    unc.run_draws(plan, tmp_path / "every_run", jobs=2)
    pd.testing.assert_frame_equal(tables[0], unc.collect(plan, tmp_path / "every_run"))


def test_a_drawn_share_keeps_its_decision_summing_to_one():
    plan = make_plan(["uncertainty.only=[routing.court_grants,routing.vt_triage.rvdk,families.colour.oranje]",
                      "uncertainty.draws=10"])
    name, cfg = plan.members[0]
    for d in range(plan.draws):
        out = unc.apply(cfg, plan.drawn(d, name), plan.prov[name])
        for parent, option in (("routing.vt_triage", "rvdk"), ("families.colour", "oranje")):
            shares = OmegaConf.to_container(OmegaConf.select(out, parent))
            assert sum(shares.values()) == pytest.approx(1.0, rel=1e-12)
            drawn = dict((a.key, v) for a, v in plan.drawn(d, name))
            assert shares[option] == pytest.approx(drawn[f"{parent}.{option}"], rel=1e-12)
        assert out.routing.court_grants == pytest.approx(dict((a.key, v) for a, v in plan.drawn(d, name))[
            "routing.court_grants"], rel=1e-12)


def test_an_expert_share_drawn_high_takes_its_fte_from_the_team_not_beyond_the_partner():
    plan = make_plan(["uncertainty.only=[scenario.experts.vt.share]", "uncertainty.draws=6"])
    name, cfg = plan.members[1]
    (a,) = plan.assumptions
    out = unc.apply(cfg, [(a, a.high)], plan.prov[name])
    assert out.scenario.team.share.veilig_thuis == pytest.approx(cfg.scenario.team.share.veilig_thuis
                                                                 - (a.high - a.default), rel=1e-12)


# ====================================================================== bad input: one line, before any simulated time


@pytest.mark.parametrize("args, message", [
    ([f"+uncertainty.ranges.{INTAKE}=[6,2]"], f"{INTAKE}@integrated: range 6-2 (uncertainty.ranges.{INTAKE}: its low "
                                              "is above its high)"),
    ([f"+uncertainty.ranges.{INTAKE}=[4,6]"], f"{INTAKE}@integrated = 3 (the default lies outside its range 4-6, "
                                              f"uncertainty.ranges.{INTAKE}: widen the range or correct the value)"),
    ([f"+uncertainty.shapes.{INTAKE}=normal"], f"uncertainty.shapes.{INTAKE} = 'normal' (allowed: uniform, "
                                               "triangular, pert)"),
    (["uncertainty.only=[staffing.gi.tea]"], "uncertainty.only[0] = 'staffing.gi.tea' (not an assumption with a "
                                             "stated range here; known: "),
    (["uncertainty.draws=5"], "uncertainty.draws = 5 (at least "),
    (["uncertainty.block=0"], "uncertainty.block = 0 (allowed: 1 <= block <= 100,000 draws"),
    (["uncertainty.method=bootstrap"], "uncertainty.method = 'bootstrap' (allowed: saltelli, emulator)"),
    (["uncertainty.method=emulator", "uncertainty.draws=12"], "uncertainty.draws = 12 (uncertainty.method=emulator "
                                                              "needs at least 20"),
    (["uncertainty.method=emulator", "uncertainty.held_back=0.9"], "uncertainty.held_back = 0.9 (allowed: "),
])
def test_bad_ranges_shapes_and_names_are_one_line(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_:
        command.main(TINY + args + [f"hydra.run.dir={tmp_path / 'out'}"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ketensim: error: {message}") and "\n" not in err, err
    assert not (tmp_path / "out").exists()


def test_a_range_the_comment_states_low_above_high_is_refused():
    found = [unc.Assumption("a", "a", None, 5.0, 8.0, 3.0, "uniform", False, "range 8-3", "x.yaml")]
    with pytest.raises(ConfigError, match=r"^a: range 8-3 \(the range in x.yaml: its low is above its high\)$"):
        unc.choose(found, OmegaConf.create({"ranges": {}, "shapes": {}, "only": None}))


def test_the_command_writes_its_tables_and_a_report_that_says_how_sure(tmp_path, monkeypatch):
    out = tmp_path / "run"
    args = TINY + [f"uncertainty.only=[{INTAKE},{CONSULT}]", "uncertainty.draws=8", "uncertainty.block=4",
                   "uncertainty.bootstrap=20", f"hydra.run.dir={out}"]
    monkeypatch.setattr(sys, "argv", ["sim.uncertainty", *args])  # the Hydra app reads the command line itself
    command.main(args)
    summary = pd.read_csv(out / "uncertainty_summary.csv")
    table = pd.read_parquet(out / "uncertainty.parquet")
    keys = ["draw", "workflow", "replication", "kpi"]
    assert not table.duplicated(keys).any() and len(table.groupby(["draw", "workflow"])) == 8 * 2
    assert {f"{INTAKE}@integrated", f"{CONSULT}@integrated"} <= set(table.columns)
    assert not (out / "uncertainty.csv").exists()  # Parquet only unless run.formats asks for CSV
    staff = summary.set_index("kpi").loc[kpis.STAFF_HOURS_PER_FAMILY]
    d = unc.differences(table, "sequential")
    y = d[d["kpi"] == kpis.STAFF_HOURS_PER_FAMILY]["diff"].to_numpy()
    assert staff["p_better"] == pytest.approx(float((y < 0).mean()), abs=1e-12)  # lower is better
    # costs (issue 17): every draw priced; the acceptability curve is the share of draws worth it, by hand
    plane, curve = pd.read_csv(out / "cost_effectiveness.csv"), pd.read_csv(out / "acceptability.csv")
    assert len(plane) == 8 and plane["extra_cost_per_year"].notna().all()
    for _, r in curve.iterrows():
        worth = r["value_per_waiting_day"] * plane["waiting_days_avoided_per_year"] - plane["extra_cost_per_year"] > 0
        assert r["p_worth_it"] == pytest.approx(float(worth.mean()), abs=1e-12)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "How sure are we?" in page and page.count("data:image/png") >= 2
    assert f"in {round(100 * staff['p_better'])}% of the plausible worlds" in page
    assert page.count("plausible worlds: every one of the") == 1  # the page's intro, not repeated by the section
    from sim.report.html import write_report

    nl = write_report(out, "nl", name="rapport.html").read_text(encoding="utf-8")
    assert "Hoe zeker zijn we?" in nl


# ====================================================================== shares of one whole, drawn together

GI_SHARES = [f"region.units.gi.{org}.fte_share" for org in ("jeugdbescherming_gelderland", "william_schrikker",
                                                              "leger_des_heils", "jeugd_veilig_verder")]
VT_FTE = [f"region.units.veilig_thuis.{org}.fte_share" for org in ("gelderland_midden", "gelderland_zuid",
                                                                   "noord_oost_gelderland")]
# a GI's catchment is derived from the jeugdregio's (sim.config.gate.jeugdregios): their shares are what is drawn,
# the three of Noord- en Oost-Gelderland together, and one GI's share in one region (its other GIs take the rest)
NOG = "region.jeugdregios.*.share of noord_oost_gelderland"
REGIONS = [f"region.jeugdregios.{r}.share" for r in ("achterhoek", "midden_ijssel_oost_veluwe", "noord_veluwe")]
JVV = "region.jeugdregios.foodvalley.gi.jeugd_veilig_verder"


def test_shares_of_one_whole_drawn_together_sum_to_one_inside_their_ranges():
    only = GI_SHARES + VT_FTE + REGIONS + [JVV, "families.colour.oranje"]
    plan = app.validated("uncertainty", ["region=gelderland", f"uncertainty.only=[{','.join(only)}]",
                                         "uncertainty.draws=42"], lambda cfg: unc.make_plan(cfg, None), example="x=1")
    groups = {g.name: g for g in unc.share_groups(plan.assumptions, {None: plan.members[0][1]})}
    whole = [NOG, "region.units.gi.*.fte_share", "region.units.veilig_thuis.*.fte_share"]
    assert all(groups[n].whole for n in whole) and not groups["families.colour"].whole
    assert not groups["region.jeugdregios.foodvalley.gi"].whole
    raw = np.column_stack([unc.quantile(a, plan.unit[:, j]) for j, a in enumerate(plan.assumptions)])
    moved = 0
    for name in whole:
        cols = list(groups[name].members)
        low = np.array([plan.assumptions[j].low for j in cols])
        high = np.array([plan.assumptions[j].high for j in cols])
        x = plan.values[:, cols]
        assert np.allclose(x.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        assert (x >= low - 1e-15).all() and (x <= high + 1e-15).all()
        moved += int((np.abs(raw[:, cols].sum(axis=1) - 1.0) > 1e-3).sum())  # the raw draws did not sum to 1
    assert moved > 0
    j = [a.key for a in plan.assumptions].index("families.colour.oranje")  # one share, the rest absorbs: as drawn
    assert np.array_equal(plan.values[:, j], raw[:, j])
    name, cfg = plan.members[0]
    catchments = []
    for d in range(plan.draws):  # in force as drawn: the configuration's shares are the drawn ones, summing to 1
        out = unc.apply(cfg, plan.drawn(d, name), plan.prov[name])
        for a, v in plan.drawn(d, name):
            if a.key.startswith(("region.units.", "region.jeugdregios.")):
                assert OmegaConf.select(out, a.key) == pytest.approx(v, abs=1e-12)
        for kind, share in (("gi", "fte_share"), ("veilig_thuis", "fte_share")):
            units = OmegaConf.select(out, f"region.units.{kind}")
            assert sum(units[org][share] for org in units) == pytest.approx(1.0, abs=1e-12)
        assert sum(OmegaConf.select(out, k) for k in REGIONS) == pytest.approx(1.0, abs=1e-12)
        assert sum(out.region.jeugdregios.foodvalley.gi.values()) == pytest.approx(1.0, abs=1e-12)
        gis = validate(out).units_of("gi")  # every draw accepted; the GIs' catchments follow the drawn regions
        assert sum(g.catchment for g in gis) == pytest.approx(1.0, abs=1e-12)
        catchments.append([g.catchment for g in gis])
    assert np.ptp(np.array(catchments), axis=0).min() > 1e-3  # every GI's catchment moved with the draws


def test_renormalising_keeps_the_ratios_of_shares_away_from_the_ends_of_their_ranges():
    x = np.array([[0.3, 0.3, 0.6], [0.1, 0.2, 0.1]])
    low, high = np.array([0.0, 0.0, 0.0]), np.array([1.0, 1.0, 0.4])
    y = unc._onto_whole(x, low, high)
    assert np.allclose(y.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert y[0] == pytest.approx([0.3, 0.3, 0.4], abs=1e-12)  # the third held at its high, the others take the rest
    assert y[1] == pytest.approx([0.25, 0.5, 0.25], abs=1e-12)  # none at an end: plain renormalisation


def test_share_ranges_that_cannot_meet_the_whole_are_refused_in_one_line():
    cfg = OmegaConf.create({"routing": {"x": {"a": 0.5, "b": 0.5}}})
    found = [unc.Assumption(f"routing.x.{k}", f"routing.x.{k}", None, 0.5, 0.1, 0.45 if k == "a" else 0.5, "uniform",
                            False, "", "x.yaml") for k in ("a", "b")]
    with pytest.raises(ConfigError, match=r"^routing\.x: the ranges of its drawn shares cannot sum to 1 \(lows sum "
                                          r"to 0\.2, highs to 0\.95; widen or correct the ranges\)$"):
        unc.share_groups(found, {None: cfg})


# ====================================================================== sizing under uncertainty in the report


def test_the_report_of_a_sizing_under_uncertainty_says_the_fte_for_the_probability(tmp_path):
    """python -m sim.size target.probability=0.8 on the demo region (the Raad sized for 95 % within its norm, the
    share of VT onderzoeken sent to the Raad drawn over 0.1-0.3): the report's section, en and nl, says the FTE for
    the stated share of the worlds, the answer at the values in force, the simulated worlds, and draws the worlds."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim.analysis import size_uncertain
    from sim.report import uncertainty as how_sure
    from sim.report.html import write_report
    from tests.conftest import CONF

    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        cfg = compose("size", overrides=[
            "region=demo", "run.start=empty", "run.warmup_years=1", "run.years=1", "run.replications=2",
            "run.quiet=true", "target=rvdk_norm", "target.share=0.95", "target.step_fte=0.1", "target.confirm_draws=3",
            "uncertainty.draws=33", "uncertainty.only=[routing.vt_onderzoek.rvdk]",
            "+uncertainty.ranges.routing.vt_onderzoek.rvdk=[0.1,0.3]", "target.probability=0.8"])
    out = tmp_path / "size"
    row = size_uncertain.size(cfg, out, quiet=True).iloc[0]
    assert how_sure.has_sizing(out) and not how_sure.has_sizing(tmp_path)
    en = write_report(out, "en").read_text(encoding="utf-8")
    fte, default = f"{row['fte_needed']:.1f}", f"{row['fte_needed_default_world']:.1f}"
    met = round(row["achieved_probability"] * row["confirm_draws"])
    assert "Staff needed to meet the target in most plausible worlds" in en
    assert (f"in at least 80% of the plausible worlds takes {fte} FTE (today 6; {default} at the assumed values "
            f"alone)") in en
    assert f"met in {met} of 3 worlds" in en and 'id="fig-uncertainty_sizing_sequential"' in en
    nl = write_report(out, "nl", name="rapport.html").read_text(encoding="utf-8")
    assert "in ten minste 80% van de plausibele werelden te halen is " + fte.replace(".", ",") + " fte nodig" in nl
    # the chart: every world once, worst first, the simulated ones with their confidence intervals
    worlds = pd.read_csv(out / "sizing_worlds.csv")
    chart = how_sure.worlds_chart(pd.read_csv(out / "sizing.csv"), worlds, "en")
    assert sorted(chart.data["world"]) == list(range(33))
    assert chart.data["analytic_kpi"].is_monotonic_increasing  # a share: higher is better, worst first
    assert chart.data["simulated"].sum() == 3
    met_analytic = (chart.data["analytic_kpi"] >= row["target"]).mean()
    assert met_analytic == pytest.approx(row["analytic_probability"], abs=1e-12) and met_analytic >= 0.8


def test_the_long_table_of_a_draw_is_pandas_melt_built_directly():
    """run_draw's long table (sim.analysis.uncertainty.long_kpis) is exactly what pandas' melt gave, NaN included."""
    from sim.analysis.compare import kpi_frame
    from sim.config.gate import validate
    from sim.run import runner

    model = app.validated("config", TINY + ["scenario=integrated", "run.replications=3", "run.quiet=true",
                                           "run.event_log=false"], validate, example="x=1")
    frame = kpi_frame(runner.run(model, jobs=1, progress=False), model)
    assert frame.isna().any().any() and len(frame) == 3  # NaN KPIs (nobody reached a stage) are kept as NaN
    melted = frame.reset_index().melt(id_vars="replication", var_name="kpi", value_name="value")
    pd.testing.assert_frame_equal(unc.long_kpis(frame), melted, check_exact=True)
    mixed = frame.assign(extra=np.arange(3))  # an integer column: pandas' own melt decides the dtype
    pd.testing.assert_frame_equal(unc.long_kpis(mixed),
                                  mixed.reset_index().melt(id_vars="replication", var_name="kpi", value_name="value"))
