"""Analytic screening (sim/analysis/screening.py) and the workflows' analytic twins (sim/scenarios/<workflow>/twin.py).

Tiers: an exact reduction to Erlang C; the twins' request rates and holds per pool against the simulation's;
analytic waits and lead times against the simulation at moderate load, within the tolerance docs/validation.md
states (experiments/validate_analytic.py holds the numbers); instability propagating along the holds; a
10,000-point grid that agrees point by point with single evaluations; workflows without a twin say so.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

from sim.analysis import screening
from sim.chain.checks import ROUTING_OPTIONS
from sim.kernel import flows
from sim.kernel import queueing as analytic
from sim.kernel.stats import confidence_interval
from sim.run import runner
from tests.conftest import PATIENT, PLAIN, ROOT, make_model, staff, twin_matches_the_simulation

sys.path.insert(0, str(ROOT / "experiments"))
import validate_analytic as va  # noqa: E402  (the tolerances docs/validation.md states)


def _route(name: str, **probs: float) -> list[str]:
    return [f"routing.{name}.{opt}={probs.get(opt, 0.0)}" for opt in ROUTING_OPTIONS[name]]


# ---------------------------------------------------------------------------------------------- exact reductions


def test_a_one_place_exponential_pool_is_erlang_c_exactly():
    """Every melding closed after an exponential triage on 3 front-desk places: M/M/3 with a = 2.1."""
    m = make_model(["region=demo", *PLAIN, "demand.vt_meldingen_per_year=730", "demand.buurtteam_direct_per_year=0",
                    *staff("veilig_thuis", 10, triage_share=0.3, triage_caseload=1),
                    "durations.vt_triage={dist:exponential,mean:1.05}", *_route("vt_triage", close=1)])
    row = screening.screen(m).set_index("pool").loc["veilig_thuis.triage"]
    assert row["offered_load"] == pytest.approx(2.1, rel=1e-12)
    assert row["places"] == 3 and row["blocking_waste"] == 0 and row["cs2"] == pytest.approx(1.0)
    assert row["wait_mean_allen_cunneen"] == pytest.approx(analytic.mmc_wait_mean(2.0, 1.05, 3), rel=1e-9)
    assert row["wait_mean_erlang_c"] == pytest.approx(analytic.mmc_wait_mean(2.0, 1.05, 3), rel=1e-9)


def test_min_of_two_exponentials_is_exponential():
    from sim.kernel.distributions import Exponential

    mean, var = flows.min_moments(Exponential(2.0), Exponential(3.0))
    assert mean == pytest.approx(1.2, rel=2e-3)  # rate 1/2 + 1/3
    assert var == pytest.approx(1.44, rel=5e-3)


def test_a_disabled_team_is_todays_chain():
    seq = screening.screen(make_model(["region=demo"]))
    off = screening.screen(make_model(["region=demo", "scenario=integrated", "scenario.team.enabled=false"]))
    assert off.drop(columns=[]).equals(seq)


# ---------------------------------------------------------------------------------------------- the twins' flows


@pytest.mark.parametrize("workflow", ["sequential", "integrated"])
def test_request_rates_and_holds_of_every_pool_match_the_simulation(workflow):
    """Routing, re-entry, escalation and children per family: the twin's requests per pool are the simulation's
    within 5 %, or four Poisson standard deviations for a pool with few requests (the expert pools); mean holds
    within 5 % (the GI's within 15 %: a window of 12 years sees few of its voogdij measures end, and holds that end in
the window are the shorter ones: 11 % short on the demo region with seed 20231)."""
    twin_matches_the_simulation([f"scenario={workflow}"])


def test_an_overloaded_raad_overloads_the_melders_that_wait_for_it():
    """Veilig Thuis and the buurtteam keep a family until the Raad starts: when the Raad's list grows without
    bound, so do their holds (and lead times through them); the GI is unaffected."""
    m = make_model(["region=demo", "staffing.rvdk.fte=2"])
    sc = screening.screen(m).set_index("pool")
    assert not sc.loc["rvdk", "stable"]
    assert not sc.loc["veilig_thuis.casus", "stable"] and not sc.loc["buurtteam", "stable"]
    assert np.isinf(sc.loc["veilig_thuis.casus", "hold_mean_days"])
    assert sc.loc["veilig_thuis.triage", "stable"]
    g = screening.screen_grid(m, {})
    assert not g["stable"].iloc[0] and g["bottleneck"].iloc[0] in ("rvdk", "veilig_thuis.casus", "buurtteam")
    assert np.isinf(g["lead_time_help_p90"].iloc[0]) and g["share_rvdk_wait_within_norm"].iloc[0] == 0


def test_more_staff_never_lengthens_an_analytic_wait():
    m = make_model(["region=demo", "demand.scale=1.15"])
    fte = np.linspace(3.5, 12, 60)
    g = screening.screen_grid(m, {"rvdk": fte})
    for col in ("wait_mean.rvdk", "wait_mean.veilig_thuis.casus", "lead_time_help_mean", "lead_time_help_p90"):
        v = g[col].to_numpy()
        assert np.all(np.diff(v[np.isfinite(v)]) <= 1e-9), col
    assert np.all(np.diff(g["share_rvdk_wait_within_norm"].to_numpy()) >= -1e-12)


# ---------------------------------------------------------------------------------------------- the grid


def test_a_10000_point_grid_agrees_with_single_evaluations():
    m = make_model(["region=gelderland"])
    fm = screening.flow_model(m)
    vt, gi = np.meshgrid(np.linspace(60, 120, 100), np.linspace(150, 400, 100))
    g = screening.screen_grid(m, {"veilig_thuis": vt.ravel(), "gi": gi.ravel()}, fm=fm)
    assert len(g) == 10_000
    assert g["fte.veilig_thuis"].to_numpy() == pytest.approx(vt.ravel())
    for i in (0, 4321, 9999):
        one = make_model(["region=gelderland", f"staffing.veilig_thuis.fte={vt.ravel()[i]}",
                          f"staffing.gi.fte={gi.ravel()[i]}"])
        single = screening.screen_grid(one, {}).iloc[0]
        for col in ("slots.gi", "load.veilig_thuis.casus", "wait_mean.veilig_thuis.triage", "lead_time_help_mean",
                    "lead_time_help_p90", "share_triage_within_norm", "stable"):
            assert g[col].iloc[i] == pytest.approx(single[col], rel=1e-9, abs=1e-12), (i, col)


@pytest.mark.parametrize("scenario,available", [("sequential", True), ("integrated", True), ("ketenversnelling", True),
                                                ("samen_in_crisis", False), ("utrecht_west", False),
                                                ("blijvend_veilig", False), ("toekomstscenario", False)])
def test_workflows_without_a_twin_say_so(scenario, available):
    m = make_model(["region=demo", f"scenario={scenario}"])
    if available:
        assert screening.flow_model(m).pools
    else:
        with pytest.raises(flows.NotAvailable, match="use the simulation"):
            screening.flow_model(m)


# ---------------------------------------------------------------------------------------------- against the simulation


# 24 replications of 40 years: the Raad's mean wait (~96 families a year, multi-place requests) is tail-driven, a
# 20-year replication anywhere from 0.7 to 18 days; its 95 % CI half-width is ~20 % of the mean here (8 x 20 years:
# ~60 %). Longer windows buy more precision per simulated year than more replications (less warm-up per year).
# a short assessment at a small desk, so that its queue is worth comparing (the calibrated desk hardly waits)
MODERATE = ["region=demo", "durations.vt_triage={dist:lognormal,mean:3,cv:1.0}", "staffing.veilig_thuis.triage_caseload=6",
            "run.start=empty", "run.warmup_years=10", "run.years=40", "run.replications=24",
            "run.seed=20231", "run.jobs=2", "run.event_log=false", "run.quiet=true", *PATIENT]


def _set_load(overrides: list[str], org: str, pools: tuple[str, ...], load: float) -> list[str]:
    m = make_model(overrides)
    fte = m.staffing[org].fte * np.geomspace(0.1, 10, 4001)
    g = screening.screen_grid(m, {org: fte})
    worst = np.max([g[f"pressure.{p}"].to_numpy() for p in pools], axis=0)
    return overrides + [f"staffing.{org}.fte={fte[np.flatnonzero(worst <= load)[0]]}"]


# The test's wait tolerances: relative, plus a small absolute floor, so that a wait of a few hours can fail too
# (docs/validation.md's "50 % or 1 day" let Veilig Thuis's waits, 0.1-0.5 day, pass whatever the screening said).
# One-place pools (front desk, case teams, buurtteam): 15 %; measured here 6 % (front desk) and 5 % (case teams),
# and a 30 % error in the front desk's wait falls outside (asserted below). Multi-place pools (the Raad, the GI: a
# family asks for all its children's places at once): the documented 50 %, since head-of-line blocking is only
# approximated and the analytic Raad wait is ~60 % of the simulated one. The floor, 0.02 day (half an hour), is
# the front desk's simulated 95 % CI half-width on this run (0.022 day): below it the simulation cannot tell.
TOL_WAIT_ONE_PLACE = 0.15
TOL_WAIT_FLOOR_DAYS = 0.02
MULTI_PLACE_POOLS = ("rvdk", "gi")


def _wait_tolerance(pool: str):
    relative = va.TOL_WAIT_RELATIVE if pool in MULTI_PLACE_POOLS else TOL_WAIT_ONE_PLACE
    return lambda sim: relative * sim + TOL_WAIT_FLOOR_DAYS


def _misses(analytic, runs, pools: list[str]) -> list[str]:
    """The measures whose analytic value lies outside the tolerance of *every* value in the 95 % CI of the simulated
    mean: those where the simulation shows, at 95 % confidence, that the screening misses by more than the
    tolerance. (Every tolerance t(s) here has s - t(s) and s + t(s) non-decreasing in s, so the values within
    tolerance of some s in [low, high] are exactly [low - t(low), high + t(high)].)"""
    checks = [(f"utilisation.{p}", lambda s: va.TOL_UTIL) for p in pools]
    checks += [(f"wait_mean.{p}", _wait_tolerance(p)) for p in pools]
    checks += [(k, lambda s: va.TOL_LEAD_RELATIVE * s)
               for k in ("lead_time_help_mean", "lead_time_help_p90", "lead_time_measure_mean")]
    out = []
    for col, tol in checks:
        _, low, high, _ = confidence_interval(runs[col].to_numpy(dtype=float))
        if not low - tol(low) <= analytic[col] <= high + tol(high):
            out.append(col)
    return out


@pytest.mark.slow
def test_analytic_waits_and_lead_times_agree_with_the_simulation_at_moderate_load():
    """The Raad at 0.75 and Veilig Thuis's case teams at 0.8 per usable place: every pool's utilisation, every
    pool's mean wait and the lead times within the stated tolerances of the simulated mean, read as its 95 % CI
    (the test fails when the analytic value is outside the tolerance of every value in the interval).

    The interval is not allowed to be wide: the Raad's wait must be known within 35 % (half-width; it is 15-22 % on
    run.seed 20231, 1, 2, 3) and the front desk's within 10 % (5 % here). Each check can fail, as the end shows: a
    Raad wait off by a factor 3 on the low side (the side of its known bias), a front-desk wait 30 % off either way
    and a case-team wait off by a factor 2 (its CI is +-32 %: 30 % would hide in it) all fail."""
    ov = _set_load(MODERATE, "rvdk", ("rvdk",), 0.75)
    ov = _set_load(ov, "veilig_thuis", ("veilig_thuis.triage", "veilig_thuis.casus"), 0.8)
    m = make_model(ov)
    g = screening.screen_grid(m, {}).iloc[0]
    runs = runner.run(m).runs
    slots = [c.split(".", 1)[1] for c in g.index if c.startswith("slots.")]
    pools = [p for pool in m.staffing for p in slots if p.startswith(pool)]
    assert len(pools) == 5
    assert _misses(g, runs, pools) == []
    assert g["wait_mean.rvdk"] > 1.0 and g["wait_mean.veilig_thuis.triage"] > 0.2  # not a comparison of two zeros
    mean, low, high, _ = confidence_interval(runs["wait_mean.rvdk"].to_numpy())
    assert (high - low) / 2 <= 0.35 * mean, (mean, low, high)  # precise enough for the check to mean something
    mean, low, high, _ = confidence_interval(runs["wait_mean.veilig_thuis.triage"].to_numpy())
    assert (high - low) / 2 <= 0.10 * mean, (mean, low, high)
    for col, factor in (("wait_mean.rvdk", 1 / 3), ("wait_mean.veilig_thuis.triage", 0.7),
                        ("wait_mean.veilig_thuis.triage", 1.3), ("wait_mean.veilig_thuis.casus", 2.0)):
        wrong = g.copy()
        wrong[col] *= factor
        assert _misses(wrong, runs, pools) == [col], (col, factor)
