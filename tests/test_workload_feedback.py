"""Workload feedback on staff (sim/chain/workforce.py, issue 16 item 2): leaving and sickness rise with caseload
pressure; at zero elasticities the run is bit for bit the run without feedback."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from conftest import make_model, staff

from sim.chain.checks import ConfigError
from sim.chain.model import Staffing
from sim.chain.tables import FEEDBACK_COLUMNS, TIMESERIES_COLUMNS
from sim.chain.workforce import OrgDynamics, Workforce, WorkloadFeedback
from sim.run import runner

DYN = "+staff_dynamics=nl_2023"
FB = "+workload_feedback=on"
NEUTRAL = ["staff_dynamics.workload_feedback.turnover_elasticity=0",
           "staff_dynamics.workload_feedback.sickness_elasticity=0"]
FEEDBACK = WorkloadFeedback(turnover_elasticity=1.5, sickness_elasticity=1.0, absence_at_norm=0.06,
                            absence_max=0.25, waiting_weight=0.5, pressure_memory_days=91.0, pressure_max=3.0)


def test_functional_form_by_hand():
    # at or below the norm nothing changes; above it leaving x P^1.5 and absence 0.06 x P up to 0.25
    assert FEEDBACK.leaving_factor(0.4) == 1.0 and FEEDBACK.presence_factor(0.9) == 1.0
    assert FEEDBACK.leaving_factor(2.0) == pytest.approx(2.0 ** 1.5)
    assert FEEDBACK.absence(2.0) == pytest.approx(0.12)
    assert FEEDBACK.presence_factor(2.0) == pytest.approx(0.88 / 0.94)
    assert FEEDBACK.absence(10.0) == 0.25  # the cap


def test_a_pool_under_sustained_pressure_loses_staff_faster_than_one_at_its_norm():
    # two identical workforces, expected leavers (deterministic), no refill within the horizon: the one at twice
    # the norm loses 2^1.5 times the rate, so after a year it has clearly fewer staff
    dyn = OrgDynamics(leavers_per_year=0.2, hiring_delay_days=400, onboarding_weeks=0, onboarding_start_share=1.0,
                      fte_per_person=1.0)
    st = Staffing(fte=100.0, caseload=10.0, productive_share=1.0, vacancy_rate=0.0, crisis_reserve_share=0.0)
    at_norm, pressed = Workforce(st, dyn), Workforce(st, dyn)
    for k in range(1, 53):
        at_norm.step(7.0 * k, 7.0, FEEDBACK.leaving_factor(1.0))
        pressed.step(7.0 * k, 7.0, FEEDBACK.leaving_factor(2.0))
    assert at_norm.filled == pytest.approx(100.0 * math.exp(-0.2 * 364 / 365), rel=1e-12)
    assert pressed.filled == pytest.approx(100.0 * math.exp(-0.2 * 2 ** 1.5 * 364 / 365), rel=1e-12)
    assert pressed.filled < at_norm.filled - 20.0


def _overrides(tiny_overrides, gi_fte):
    return tiny_overrides + staff("gi", gi_fte, 1.0) + [
        DYN, FB, "staff_dynamics.deterministic=true", "run.replications=1",
        "staff_dynamics.orgs.gi.hiring_delay_days=400"]  # no refill within the run: what leaves, stays gone


def test_in_a_run_the_overloaded_gi_loses_staff_faster(tiny_overrides):
    # the same demand on a GI far below its need and one far above it: only the overloaded one feels pressure
    low = make_model(_overrides(tiny_overrides, 6.0))
    high = make_model(_overrides(tiny_overrides, 200.0))
    wl, wh = low.scenario.workflow(low, 0).run(), high.scenario.workflow(high, 0).run()
    p_low = [p for _, p, _, _ in wl.staff.pressure_trace["gi"]]
    p_high = [p for _, p, _, _ in wh.staff.pressure_trace["gi"]]
    assert max(p_high) <= 1.0 < p_low[-1]
    lost_low = 1.0 - wl.staff.trace["gi"][-1][2] / wl.staff.trace["gi"][0][2]  # filled FTE
    lost_high = 1.0 - wh.staff.trace["gi"][-1][2] / wh.staff.trace["gi"][0][2]
    assert lost_low > 1.2 * lost_high
    # and with the elasticities at zero both lose the same share: the difference is the feedback
    l0 = make_model(_overrides(tiny_overrides, 6.0) + NEUTRAL)
    h0 = make_model(_overrides(tiny_overrides, 200.0) + NEUTRAL)
    w0l, w0h = l0.scenario.workflow(l0, 0).run(), h0.scenario.workflow(h0, 0).run()
    assert 1.0 - w0l.staff.trace["gi"][-1][2] / 6.0 == pytest.approx(1.0 - w0h.staff.trace["gi"][-1][2] / 200.0,
                                                                     rel=1e-9)


@pytest.mark.parametrize("deterministic", ["true", "false"])
def test_feedback_at_zero_gives_the_run_without_feedback(tiny_overrides, deterministic):
    base = tiny_overrides + staff("gi", 6.0, 1.0) + [DYN, f"staff_dynamics.deterministic={deterministic}",
                                                     "run.replications=2"]
    without = runner.run(make_model(base), progress=False)
    zero = runner.run(make_model(base + [FB] + NEUTRAL), progress=False)
    on = runner.run(make_model(base + [FB]), progress=False)
    for name in ("families", "events"):
        pd.testing.assert_frame_equal(getattr(without, name), getattr(zero, name), check_exact=True)
    pd.testing.assert_frame_equal(without.timeseries, zero.timeseries[list(TIMESERIES_COLUMNS)], check_exact=True)
    assert list(zero.timeseries.columns) == [*TIMESERIES_COLUMNS, *FEEDBACK_COLUMNS]
    assert list(without.timeseries.columns) == list(TIMESERIES_COLUMNS)
    extra = [c for c in zero.runs.columns if c.startswith(("pressure_mean.", "absence_mean."))]
    assert extra and set(zero.runs.columns) - set(extra) == set(without.runs.columns)
    pd.testing.assert_frame_equal(without.runs, zero.runs[list(without.runs.columns)], check_exact=True)
    # the feedback at its assumed values does move the overloaded GI (the comparison above can fail)
    assert on.runs["available_fte_mean.gi"].mean() < zero.runs["available_fte_mean.gi"].mean()
    assert (on.runs["pressure_mean.gi"] > 1.0).all()


def test_timeseries_shows_available_fte_and_pressure(tiny_overrides):
    res = runner.run(make_model(_overrides(tiny_overrides, 6.0)), progress=False)
    gi = res.timeseries[res.timeseries["pool"] == "gi"]
    assert gi["available_fte"].to_numpy() == pytest.approx(gi["capacity"].to_numpy() * 1.0)  # caseload 1
    expected = (gi["in_care"] + 0.5 * gi["waiting"]) / gi["capacity"]
    assert gi["pressure"].to_numpy() == pytest.approx(expected.to_numpy())
    assert gi["available_fte"].iloc[-1] < gi["available_fte"].iloc[0]


@pytest.mark.parametrize("override, message", [
    ("staff_dynamics.workload_feedback.turnover_elasticity=-1",
     "staff_dynamics.workload_feedback.turnover_elasticity = -1"),
    ("staff_dynamics.workload_feedback.absence_at_norm=1.0", "staff_dynamics.workload_feedback.absence_at_norm = 1.0"),
    ("staff_dynamics.workload_feedback.absence_max=0.01", "staff_dynamics.workload_feedback.absence_max = 0.01"),
    ("staff_dynamics.workload_feedback.pressure_max=0.5", "staff_dynamics.workload_feedback.pressure_max = 0.5"),
    ("staff_dynamics.workload_feedback.pressure_memory_days=0",
     "staff_dynamics.workload_feedback.pressure_memory_days = 0"),
    ("staff_dynamics.workload_feedback.waiting_weight=2", "staff_dynamics.workload_feedback.waiting_weight = 2"),
])
def test_bad_feedback_values_are_one_line(tiny_overrides, override, message):
    with pytest.raises(ConfigError) as err:
        make_model(tiny_overrides + [DYN, FB, override])
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_feedback_without_staff_dynamics_says_what_to_add(tiny_overrides):
    with pytest.raises(ConfigError, match=r"^staff_dynamics.orgs = \{\} .*\+staff_dynamics=nl_2023") as err:
        make_model(tiny_overrides + [FB])
    assert "\n" not in str(err.value)


def test_each_pool_falls_ill_by_its_own_pressure():
    # Gelderland's four GIs are four pools of one workforce: they share the leaving (one organisation's pressure)
    # but each loses the staff its own pressure makes ill, so a pool's places are its static places x the
    # organisation's staff ratio x its own presence factor
    model = make_model(["region=gelderland", "run.years=0.3", "run.replications=1", "run.quiet=true", DYN, FB,
                        "staff_dynamics.deterministic=true", "staff_dynamics.workload_feedback.sickness_elasticity=2",
                        "staffing.gi.fte=200"])
    wf = model.scenario.workflow(model, 0).run()
    ctl = wf.staff
    gi = ctl.pools["gi"]
    assert len(gi) == 4
    factors = {p.name: ctl.pool_presence[p.name] for p, _ in gi}
    assert max(factors.values()) - min(factors.values()) > 0.005  # the GIs are pressed differently
    ratio = ctl.workforce["gi"].available(ctl.trace["gi"][-1][0]) / ctl.base["gi"]
    for pool, slots in gi:
        assert pool.capacity == int(round(slots * ratio * factors[pool.name])), pool.name
    weights = sum(slots for _, slots in gi)
    assert ctl.presence["gi"] == pytest.approx(sum(slots * factors[p.name] for p, slots in gi) / weights, rel=1e-12)
