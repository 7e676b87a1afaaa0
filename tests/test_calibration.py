"""The calibration (experiments/calibrate.py) is repeatable, measures the published figures the way the sources
count them, writes values without touching anything else, and the calibrated as-is runs reproduce the figures."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "experiments"))

import calibrate  # noqa: E402
import front_desk_mechanism as fdm  # noqa: E402
import sensitivity  # noqa: E402

from sim.config import provenance  # noqa: E402


def quiet(*_: object) -> None:
    pass


# ====================================================================== repeatability


def test_calibration_rerun_with_the_same_seed_gives_the_same_fitted_values():
    first = calibrate.calibrate(calibrate.tiny_settings(seed=7), tiny=True, log=quiet)[0]
    second = calibrate.calibrate(calibrate.tiny_settings(seed=7), tiny=True, log=quiet)[0]
    assert first.x == second.x
    assert first.problem.stocks == second.problem.stocks
    pd.testing.assert_frame_equal(first.table, second.table)
    # and the search did search: at least one unknown moved away from its screening start
    starts = {u.name: u.start for u in first.problem.unknowns}
    assert any(abs(first.x[k] - starts[k]) > 1e-9 for k in starts)


# ====================================================================== measuring the figures


def _families(rows: list[dict]) -> pd.DataFrame:
    cols = ["replication", "n_children", "gi_request", "rvdk_request", "court_request", "court_decision",
            "court_hearings", "measure", "triage_end", "buurtteam_end", "vt_onderzoek_start", "vt_onderzoek_end"]
    return pd.DataFrame([{c: r.get(c, math.nan) for c in cols} for r in rows])


def test_voorlopige_ots_instroom_and_verzoekschriften_are_counted_as_the_sources_count_them():
    nan = math.nan
    fam = _families([
        # regular path: Raad asked, then the court, then the GI: one verzoekschrift, one new measure
        dict(replication=0, n_children=2, rvdk_request=10, court_request=100, court_decision=120, court_hearings=1,
             gi_request=125, measure="ots"),
        # voorlopige OTS followed by an OTS: CBS counts two measures; one regular verzoekschrift
        dict(replication=0, n_children=1, gi_request=50, rvdk_request=50, court_request=150, court_decision=170,
             court_hearings=2, measure="ots"),
        # voorlopige OTS that ended without a regular request: one measure, no verzoekschrift
        dict(replication=0, n_children=3, gi_request=60, rvdk_request=60, court_request=59, court_decision=60,
             court_hearings=1, measure="vots_beeindigd"),
        # regular request refused: a verzoekschrift, no measure
        dict(replication=0, n_children=1, rvdk_request=5, court_request=90, court_decision=110, court_hearings=1,
             measure=""),
        # a measure running since before the start (preexisting): nothing new in the window
        dict(replication=0, n_children=4, gi_request=-800, court_hearings=0, measure="voogdij"),
        # a case at the court since before the start, decided in the window: a new measure, no new verzoekschrift
        dict(replication=0, n_children=2, court_request=-10, court_decision=12, court_hearings=1, gi_request=15,
             rvdk_request=nan, measure="ots_uhp"),
    ])
    res = type("R", (), {"families": fam})()
    got = calibrate.extra_figures(res, years=1.0).iloc[0]
    assert got["vots_per_year"] == 1 + 3
    assert got["instroom_per_year"] == (1 + 3) + (2 + 1 + 2)
    assert got["verzoekschriften_per_year"] == 2 + 1 + 1


def test_vt_onderzoek_is_timed_from_the_decision_to_investigate():
    fam = _families([
        # straight from triage: 60 days -> within 10 weeks
        dict(replication=0, n_children=1, triage_end=5, vt_onderzoek_start=5, vt_onderzoek_end=65),
        # straight from triage with a wait: 75 days -> late
        dict(replication=0, n_children=1, triage_end=5, vt_onderzoek_start=20, vt_onderzoek_end=80),
        # sent back by the lokaal team after 200 days of voluntary help: timed from the escalation, 50 days
        dict(replication=0, n_children=1, triage_end=2, buurtteam_end=210, vt_onderzoek_start=215, vt_onderzoek_end=260),
        # voluntary help after the onderzoek does not move the reference: 90 days -> late
        dict(replication=0, n_children=1, triage_end=0, vt_onderzoek_start=0, vt_onderzoek_end=90, buurtteam_end=400),
        # an onderzoek under way at the start (preexisting), ending in the window after 40 days in all
        dict(replication=0, n_children=1, triage_end=-30, vt_onderzoek_start=-30, vt_onderzoek_end=10),
        # ended before the window: not counted
        dict(replication=0, n_children=1, triage_end=-100, vt_onderzoek_start=-100, vt_onderzoek_end=-5),
    ])
    res = type("R", (), {"families": fam})()
    got = calibrate.extra_figures(res, years=1.0, onderzoek_norm=70.0).iloc[0]
    assert got["vt_onderzoek_within_10wk"] == pytest.approx(3 / 5)


def test_loss_is_zero_at_the_observations_and_one_per_figure_fifteen_percent_off():
    figs = [calibrate.Figure("a", "a", 100.0, "x", "s", "a"), calibrate.Figure("b", "b", 0.4, "share", "s", "b"),
            calibrate.Figure("c", "c", 7.0, "x", "s", "c", fitted=False)]
    problem = calibrate.Problem.__new__(calibrate.Problem)
    problem.region = calibrate.Region("t", figs, [], False, Path("x"), 1, 1, 1)
    problem.unknowns = []
    exact = pd.DataFrame({"a": [100.0, 100.0], "b": [0.4, 0.4], "c": [99.0, 99.0]})
    assert problem.loss({}, exact) == 0.0
    off = pd.DataFrame({"a": [115.0], "b": [0.34], "c": [0.0]})
    assert problem.loss({}, off) == pytest.approx(2.0)
    # a figure the source gives as a range: one unit of loss is half the range; reproduced = inside it
    wait = calibrate.Figure("w", "w", 28.0, "days", "s", "w", band=(21.0, 35.0))
    problem.region = calibrate.Region("t", [wait], [], False, Path("x"), 1, 1, 1)
    assert problem.loss({}, pd.DataFrame({"w": [35.0]})) == pytest.approx(1.0)
    assert wait.reproduced(34.9) and wait.reproduced(21.0) and not wait.reproduced(35.5)
    assert not calibrate.Figure("v", "v", 100.0, "x", "s", "v").reproduced(115.1)


# ====================================================================== writing values


def test_set_yaml_value_changes_one_line_and_keeps_every_other_byte(tmp_path):
    text = ("# header\nstaffing:\n  rvdk:\n    fte: 55  # assumption: old\n    caseload: 10  # source: x\n"
            "  gi:\n    fte: 3  # derived: y\nregion:\n  initial_state:\n    rvdk:\n      in_care: 4  # calibrated: z\n")
    path = tmp_path / "r.yaml"
    path.write_text(text)
    calibrate.set_yaml_value(path, "staffing.rvdk.fte", "61.5", "calibrated: fitted; see docs/calibration.md")
    calibrate.set_yaml_value(path, "region.initial_state.rvdk.in_care", "512", "calibrated: places")
    new = path.read_text().split("\n")
    old = text.split("\n")
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert changed == [3, 10]
    assert new[3] == "    fte: 61.5  # calibrated: fitted; see docs/calibration.md"
    assert new[10] == "      in_care: 512  # calibrated: places"
    assert "    fte: 3  # derived: y" in new  # the GI's fte, same key name elsewhere, untouched
    with pytest.raises(KeyError):
        calibrate.set_yaml_value(path, "staffing.rvdk.missing", "1", "x")


# ====================================================================== sensitivity helpers


def test_ranges_are_read_from_the_provenance_comments():
    assert provenance.parse_range("assumption: NOT FOUND; range 500-3,000; fitted") == (500.0, 3000.0)
    assert provenance.parse_range("range: [14, 42]") == (14.0, 42.0)
    assert provenance.parse_range("range 0.01-0.05) includes") == (0.01, 0.05)
    assert provenance.parse_range("no stated spread") is None
    varied, fixed = sensitivity.assumptions("gelderland")
    keys = {a.key for a in varied}
    assert "durations.court_decision" in keys and "staffing.buurtteam.caseload" in keys
    assert all(a.low <= a.high for a in varied)


def test_varying_a_routing_share_keeps_the_decision_summing_to_one_and_the_remainder_absorbs_it():
    cfg = sensitivity.compose("demo", [])
    a = sensitivity.Assumption("families.colour.oranje", 0.25, 0.71, "nl_2023.yaml", "")
    low, _ = sensitivity.vary(cfg, a, 0.25)
    c = low.families.colour
    assert c.oranje == 0.25 and c.rood == cfg.families.colour.rood  # the sourced rood share stays
    assert c.groen + c.oranje + c.rood == pytest.approx(1.0)
    b = sensitivity.Assumption("routing.vt_onderzoek.rvdk", 0.1, 0.5, "nl_2023.yaml", "")
    high, _ = sensitivity.vary(cfg, b, 0.5)
    r = high.routing.vt_onderzoek
    assert r.rvdk == 0.5 and sum(r.values()) == pytest.approx(1.0)
    assert r.close / r.buurtteam == pytest.approx(cfg.routing.vt_onderzoek.close / cfg.routing.vt_onderzoek.buurtteam)


@pytest.mark.parametrize("share", ["catchment", "fte_share", "triage_fte_share"])
def test_varying_one_organisations_share_keeps_its_kind_summing_to_one_and_valid(share):
    """Gelderland's VT organisations (region.units): one organisation's share moves, the others share the rest."""
    from sim.config.gate import validate

    cfg = sensitivity.compose("gelderland", [])
    key = f"region.units.veilig_thuis.gelderland_zuid.{share}"
    varied, _ = sensitivity.vary(cfg, sensitivity.Assumption(key, 0.2, 0.5, "gelderland.yaml", ""), 0.5)
    units = varied.region.units.veilig_thuis
    assert units.gelderland_zuid[share] == 0.5
    assert sum(u[share] for u in units.values()) == pytest.approx(1.0)
    validate(varied)  # every share of every kind still sums to one


@pytest.mark.parametrize("key, bound", [("region.jeugdregios.foodvalley.share", 0.45),
                                        ("region.jeugdregios.noord_veluwe.gi.jeugd_veilig_verder", 0.3)])
def test_varying_a_jeugdregios_share_keeps_its_whole_summing_to_one_and_the_gi_catchments_follow(key, bound):
    """Gelderland's jeugdregio's: a region's share of its VT organisation (the other regions of that organisation
    share the rest) or a GI's share in a region (the region's other GIs share the rest); the GIs' catchments are
    derived from them (sim.config.gate.jeugdregios), so the varied configuration is valid and they move."""
    from sim.config.gate import validate

    cfg = sensitivity.compose("gelderland", [])
    varied, _ = sensitivity.vary(cfg, sensitivity.Assumption(key, 0.0, 1.0, "gelderland.yaml", ""), bound)
    assert OmegaConf.select(varied, key) == bound
    parent = key.rsplit(".", 1)[0]
    if key.endswith(".share"):
        regions = varied.region.jeugdregios
        vt = regions.foodvalley.vt
        assert sum(r.share for r in regions.values() if r.vt == vt) == pytest.approx(1.0)
        assert regions.centraal_gelderland.share == pytest.approx(0.55)
    else:
        assert sum(OmegaConf.select(varied, parent).values()) == pytest.approx(1.0)
    before = [g.catchment for g in validate(cfg).units_of("gi")]
    after = [g.catchment for g in validate(varied).units_of("gi")]
    assert after[3] > before[3] + 0.002 and sum(after) == pytest.approx(1.0)  # more of Jeugd Veilig Verder's families


def test_varying_any_of_gelderlands_assumptions_to_an_end_of_its_range_gives_a_valid_configuration():
    """Every assumption sensitivity varies in Gelderland (its jeugdregio shares among them, not the GIs' derived
    catchments), at either end of its range, passes the gate: no share of a whole is left not summing to 1."""
    from sim.config.gate import validate

    cfg = sensitivity.compose("gelderland", [])
    varied, _ = sensitivity.assumptions("gelderland")
    assert any(a.key.startswith("region.jeugdregios.") for a in varied)
    assert not any(a.key.startswith("region.units.gi.") and a.key.endswith(".catchment") for a in varied)
    for a in varied:
        for bound in (a.low, a.high):
            validate(sensitivity.vary(cfg, a, bound)[0])


def test_varying_a_distribution_moves_its_mean_and_keeps_its_shape():
    from sim.chain.checks import distribution

    cfg = sensitivity.compose("demo", [])
    a = sensitivity.Assumption("durations.court_decision", 14, 42, "nl_2023.yaml", "")
    varied, _ = sensitivity.vary(cfg, a, 42)
    before = distribution("x", cfg.durations.court_decision)
    after = distribution("x", varied.durations.court_decision)
    assert after.mean == pytest.approx(42)
    assert math.sqrt(after.variance) / after.mean == pytest.approx(math.sqrt(before.variance) / before.mean)


# ====================================================================== the calibrated model reproduces the figures


# Out of sample: the fit and its verification used calibrate.Settings().seed (20231) and its replications 0..n-1;
# this seed shares none of their random streams, so the check is of the calibrated model, not of the noise the
# fit could have tuned to. National: 4 replications (t = 3.18 instead of 12.7 with 2; ~35 s per replication-year,
# run on 2 processes: the wall time of the former 2 in series); Gelderland: 8 (~3 s each). One year from today,
# as calibrated: the figures are yearly counts and levels of 2024, a shorter window would measure other things.
OUT_OF_SAMPLE_SEED = 20231 + 7919

# The front desk's late share comes from the assessment time at a desk below its limit (issue 14 item 7); the
# calibration never searches the desk below calibrate.FRONT_DESK_LOAD, so one seed's noise cannot put it on the
# knife edge again (the test after this one).
@pytest.mark.slow
@pytest.mark.parametrize("region, replications", [("national", 4), ("gelderland", 8)])
def test_calibrated_as_is_run_is_within_15_percent_of_every_calibrated_figure(region, replications):
    """The as-is run from today (the values in conf/ as written by experiments/calibrate.py), on seeds the fit
    never saw, against every figure the calibration claims to reproduce: a figure passes when the mean over the
    replications is within 15 % of the observation plus the 95 % half-width of that mean."""
    assert OUT_OF_SAMPLE_SEED != calibrate.Settings().seed
    reg = next(r for r in calibrate.regions(False) if r.name == region)
    settings = calibrate.Settings(seed=OUT_OF_SAMPLE_SEED, replications=replications, jobs=2)
    problem = calibrate.Problem(reg, settings, calibrate.compose(reg.overrides))
    x = calibrate.current_values(problem)
    per_rep = problem.evaluate(x)["per_rep"]
    assert len(per_rep) == replications
    failures = []
    t = stats.t.ppf(0.975, replications - 1)
    checked = 0
    for f in reg.figures:
        if not f.checked:
            continue
        checked += 1
        v = per_rep[f.key].to_numpy(dtype=float)
        half = t * v.std(ddof=1) / math.sqrt(len(v))
        if not abs(v.mean() - f.observed) <= calibrate.TOLERANCE * f.observed + half:
            failures.append(f"{f.key}: model {v.mean():.4g} (+-{half:.2g}) vs observed {f.observed:.4g}")
    assert checked >= 5 and not failures, "; ".join(failures)
    assert np.isfinite(per_rep.drop(columns="replication").to_numpy()).all()


@pytest.mark.slow
def test_gelderland_front_desk_is_below_its_limit_and_a_few_places_do_not_flip_the_late_share():
    """Issue 14 item 7: the calibrated late share comes from the assessment time, not from a desk at its limit.
    With ~4 % fewer front-desk FTE (~6 places, the size of a staff move between workflows) the late share moves by
    a few points, where the old calibration (3-day assessments at 98 % of 51 places) went from 52 % to 90 %."""
    today = fdm.measure([], years=1, reps=4, seed=OUT_OF_SAMPLE_SEED)
    fewer = fdm.measure(fdm.front_desk_fte([], 0.96), years=1, reps=4, seed=OUT_OF_SAMPLE_SEED)
    assert today["util"] < 0.9
    assert fewer["places"] < today["places"]
    assert 0.0 <= fewer["late"] - today["late"] < 0.06
    assert abs(today["late"] - 0.40) < 0.06
