"""Staff dynamics (sim/chain/workforce.py): leavers, hiring delay and onboarding change available FTE exactly as configured."""

from __future__ import annotations

import math

import pytest
from conftest import make_model, staff

from sim.chain.checks import ConfigError
from sim.chain.model import Staffing
from sim.chain.workforce import OrgDynamics, Workforce
from sim.run import runner

DYN = "+staff_dynamics=nl_2023"


def _staffing(fte: float, vacancy: float = 0.0, productive: float = 1.0) -> Staffing:
    return Staffing(fte=fte, caseload=10.0, productive_share=productive, vacancy_rate=vacancy, crisis_reserve_share=0.0)


def test_extra_hires_onboard_linearly_after_the_hiring_delay():
    # 10 FTE, no leavers; 2 extra FTE (2 persons) start on day 14 at half a caseload, full after 4 weeks
    dyn = OrgDynamics(leavers_per_year=0.0, hiring_delay_days=14, onboarding_weeks=4, onboarding_start_share=0.5,
                      fte_per_person=1.0, extra_fte=2.0, extra_spread_days=0.0)
    w = Workforce(_staffing(10.0, productive=0.8), dyn)
    expected = {7: 10.0, 14: 11.0, 21: 11.25, 28: 11.5, 35: 11.75, 42: 12.0, 49: 12.0}  # FTE carried
    for t in range(7, 50, 7):
        w.step(float(t), 7.0)
        assert w.available(float(t)) == pytest.approx(0.8 * expected[t], abs=1e-12), t
    assert w.paper == 12.0


def test_leavers_open_vacancies_that_are_filled_after_the_delay():
    # hand recursion: q = share staying per weekly step; a leaver's position is filled 14 days later, and with no
    # onboarding the hire carries a full caseload at once
    rate, dt, delay = 0.5, 7.0, 14.0
    dyn = OrgDynamics(leavers_per_year=rate, hiring_delay_days=delay, onboarding_weeks=0, onboarding_start_share=1.0,
                      fte_per_person=1.0)
    w = Workforce(_staffing(10.0), dyn)
    q = math.exp(-rate * dt / 365.0)
    filled, due = 10.0, {}
    for k in range(1, 12):
        t = k * dt
        gone = filled * (1.0 - q)
        filled -= gone
        due[t + delay] = gone
        filled += due.pop(t, 0.0)
        w.step(t, dt)
        assert w.available(t) == pytest.approx(filled, rel=1e-12), t
    assert filled < 10.0  # the trace really lost staff (the test could fail if leavers did nothing)


def test_todays_vacancies_fill_evenly_over_the_hiring_delay():
    dyn = OrgDynamics(leavers_per_year=0.0, hiring_delay_days=28, onboarding_weeks=0, onboarding_start_share=1.0,
                      fte_per_person=1.0)
    w = Workforce(_staffing(20.0, vacancy=0.1), dyn)  # 2 FTE vacant: filled on days 7 and 21
    assert w.available(0.0) == pytest.approx(18.0)
    got = []
    for t in (7.0, 14.0, 21.0, 28.0):
        w.step(t, 7.0)
        got.append(w.available(t))
    assert got == pytest.approx([19.0, 19.0, 20.0, 20.0])


def test_pools_follow_available_fte_and_runs_report_it(tiny_overrides):
    over = tiny_overrides + staff("gi", 20.0, 1.0) + [
        DYN, "staff_dynamics.deterministic=true", "run.replications=1",
        "staff_dynamics.orgs.gi.leavers_per_year=0.4", "staff_dynamics.orgs.gi.hiring_delay_days=60",
        "staff_dynamics.orgs.gi.onboarding_weeks=10", "staff_dynamics.orgs.gi.onboarding_start_share=0.2"]
    model = make_model(over)
    wf = model.scenario.workflow(model, 0).run()
    trace = wf.staff.trace["gi"]
    assert [t for t, *_ in trace[:3]] == [0.0, 7.0, 14.0]
    avail = trace[-1][3]
    assert avail < 20.0  # leavers and onboarding cost capacity
    assert wf.engine.pools["gi"].capacity == int(round(20.0 * avail / 20.0))
    res = runner.run(model, progress=False)
    assert res.runs["paper_fte_mean.gi"].iloc[0] == pytest.approx(20.0)
    assert 0 < res.runs["available_fte_mean.gi"].iloc[0] < 20.0


def test_random_leavers_are_reproducible_and_move_no_other_draw(tiny_overrides):
    base = make_model(tiny_overrides + ["run.replications=1"])
    dyn = make_model(tiny_overrides + ["run.replications=1", DYN])
    a = runner.run(dyn, progress=False).runs
    b = runner.run(dyn, progress=False).runs
    assert a.equals(b)
    # the same first episodes arrive with and without staff dynamics (demand draws are untouched; re-entries
    # depend on when episodes close, so they may differ)
    first = ["family_id", "arrival", "colour", "n_children", "route"]
    fa = runner.run(base, progress=False).families.query("route != 'hermelding'")[first].sort_values("family_id")
    fb = runner.run(dyn, progress=False).families.query("route != 'hermelding'")[first].sort_values("family_id")
    assert fa.reset_index(drop=True).equals(fb.reset_index(drop=True))
    assert not a.filter(like="capacity.").equals(
        runner.run(base, progress=False).runs.filter(like="capacity."))  # dynamics did change the places


@pytest.mark.parametrize("override, field", [
    ("staff_dynamics.orgs.gi.leavers_per_year=-0.1", "staff_dynamics.orgs.gi.leavers_per_year"),
    ("staff_dynamics.orgs.gi.onboarding_start_share=1.5", "staff_dynamics.orgs.gi.onboarding_start_share"),
    ("staff_dynamics.step_days=0", "staff_dynamics.step_days"),
    ("staff_dynamics.orgs.gi.leavers_per_year=60", "staff_dynamics.orgs.gi.leavers_per_year"),
])
def test_bad_staff_dynamics_name_the_field(tiny_overrides, override, field):
    with pytest.raises(ConfigError) as err:
        make_model(tiny_overrides + [DYN, override])
    assert str(err.value).startswith(field) and "\n" not in str(err.value)


def test_unknown_organisation_is_rejected():
    from types import SimpleNamespace

    from sim.chain.workforce import validate

    org = SimpleNamespace(leavers_per_year=0.1, hiring_delay_days=1, onboarding_weeks=1, onboarding_start_share=1,
                          fte_per_person=1, extra_fte=0, extra_spread_days=0)
    with pytest.raises(ConfigError, match=r"^staff_dynamics.orgs.kinderrechter is not an organisation"):
        validate(SimpleNamespace(deterministic=True, step_days=7.0, orgs={"kinderrechter": org}))
