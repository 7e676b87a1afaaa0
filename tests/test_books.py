"""Fair books (issue 14, items 2 and 3): every workflow pays for every hour it spends, by the same rule, in the
same units.

- a repeated intake takes the receiving organisation's places (``Actor.spend``), in every workflow, and its analytic
  twin counts the same place-days (``Trace.spend``);
- the integrated team's places are work hours at today's norm for what it does, so with every effect at its
  no-effect value and no coordination, a team that does what today's chain does uses the chain's staff;
- staff dynamics reach every pool that has staff, the team's and the experts' included.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.actors.veiligheidsteam import FUNCTIONS, PLACES_PER_HOUR
from sim.chain import kpis
from sim.chain.model import hours_per_month, place_days
from sim.run import runner
from sim.scenarios import WORKFLOWS
from tests.conftest import PLAIN, make_model

TINY = ["region=demo", "run.start=empty", "run.warmup_years=0.5", "run.years=1", "run.replications=2",
        "run.event_log=false", "run.quiet=true"]
# hours spent outside a held case: repeated intakes, and the front desk's time per vervolgmelding (issue 16)
NO_INTAKE = [f"handoff.intake_hours.{org}=0" for org in ("buurtteam", "veilig_thuis", "rvdk", "gi")] + [
    "waiting.vervolgmelding.triage_hours=0"]
NEUTRAL = ["scenario.effects.assessment_factor=1", "scenario.effects.rvdk_duration_factor=1",
           "scenario.effects.resolved_without_measure=0", "scenario.effects.duo_workload=1"]


def _spent(runs) -> float:
    cols = [c for c in runs.columns if kpis.pool_of(c, kpis.SPENT_LOAD) is not None and "[" not in c]
    return float(runs[cols].to_numpy().sum())


def test_one_rule_from_hours_to_places():
    """A place is 1/caseload of an available FTE working work.hours_per_day: 8 h at a caseload of 12 and 5.14 h a
    day hold one place for 8 x 12 / 5.14 days; the team's places are tenths of an hour per month."""
    assert place_days(8.0, 12.0, 5.14) == pytest.approx(8 * 12 / 5.14, rel=1e-12)
    assert hours_per_month(5.14) == pytest.approx(5.14 * 365 / 12, rel=1e-12)
    team = make_model([*TINY, "scenario=integrated"]).scenario.params.team
    h = hours_per_month(5.14)
    # neutral: each function's places are today's FTE per family for that work (to half a place of rounding)
    per_family = {"voluntary": 1 / team.norms["voluntary"], "safety": 1 / team.norms["safety"],
                  "measure": 3 / team.norms["measure"]}
    for fn in FUNCTIONS:
        units = team.hours(fn, 3, 1.0, h) - (0 if fn == "voluntary" else
                                               round(team.coordination_hours_per_month * PLACES_PER_HOUR))
        assert abs(units / (h * PLACES_PER_HOUR) - per_family[fn]) <= 0.5 / (h * PLACES_PER_HOUR) + 1e-12, fn
    # the duo's effect scales the work; the coordination hours come on top while the duo holds the family
    assert team.hours("safety", 1, 1.5, h) > team.hours("safety", 1, 1.0, h)
    assert team.hours("voluntary", 1, 1.0, h) < team.hours("safety", 1, 1.0, h)


@pytest.mark.parametrize("workflow", sorted(WORKFLOWS))
def test_intake_hours_take_capacity_in_every_workflow(workflow):
    """Intake hours at their defaults occupy places (spent_load > 0) and the Raad's places in use rise over the
    same families with none; set to zero, nothing is spent."""
    team = ["scenario.team.intake_hours=0"] if workflow in ("integrated", "toekomstscenario", "ketenversnelling",
                                                            "blijvend_veilig") else []
    default = runner.run(make_model([*TINY, f"scenario={workflow}"]), jobs=1, progress=False).runs
    zero = runner.run(make_model([*TINY, f"scenario={workflow}", *NO_INTAKE, *team]), jobs=1, progress=False).runs
    assert _spent(default) > 0, workflow
    assert _spent(zero) == 0.0, workflow
    assert (default[kpis.of(kpis.SPENT_LOAD, "rvdk")] > 0).all(), workflow  # the Raad's own intake, every workflow
    assert default[kpis.of(kpis.IN_CARE_MEAN, "rvdk")].mean() > zero[kpis.of(kpis.IN_CARE_MEAN, "rvdk")].mean()


def test_spent_hours_in_the_simulation_match_the_twin():
    """The place-days that repeated intakes occupy, simulated and analytic, on a chain where every melding goes
    to the Raad and on to the GI or the buurtteam (repeated intakes at each)."""
    from sim.analysis import screening

    overrides = ["region=demo", *[p for p in PLAIN if not p.startswith("handoff.")], "run.warmup_years=1",
                 "run.years=6", "run.replications=4", "demand.vt_meldingen_per_year=100",
                 "demand.buurtteam_direct_per_year=0", "routing.vt_triage.rvdk=1", "routing.vt_triage.close=0",
                 "routing.vt_triage.buurtteam=0", "routing.vt_triage.vt_onderzoek=0", "routing.vt_triage.vt_vervolg=0",
                 "scenario=sequential"]
    m = make_model(overrides)
    fm = screening.flow_model(m)
    runs = runner.run(m, jobs=1, progress=False).runs
    assert not runs[[c for c in runs.columns if c.startswith("unstable.")]].to_numpy().any()  # steady state
    for pool in ("rvdk", "gi", "buurtteam"):
        simulated = float(runs[kpis.of(kpis.SPENT_LOAD, pool)].mean())
        assert fm.spent[pool] > 0
        assert simulated == pytest.approx(fm.spent[pool], rel=0.1), pool


def test_a_neutral_team_that_does_todays_work_uses_todays_staff():
    """Every melding is triaged and handed to voluntary help, which always suffices: today's chain hands the
    family to the buurtteam, the team's vaste professional takes it on. With no intake hours, no coordination
    and every effect at its no-effect value, the staff the work takes (fte_in_use_total) is the chain's."""
    common = ["region=demo", *PLAIN, "run.warmup_years=1", "run.years=4", "run.replications=3",
              "demand.vt_meldingen_per_year=300", "demand.buurtteam_direct_per_year=0",
              "routing.vt_triage.buurtteam=1", "routing.vt_triage.close=0", "routing.vt_triage.rvdk=0",
              "routing.vt_triage.vt_onderzoek=0", "routing.vt_triage.vt_vervolg=0", "families.voluntary_suffices=1"]
    chain = runner.run(make_model([*common, "scenario=sequential"]), jobs=1, progress=False).runs
    team = runner.run(make_model([*common, "scenario=integrated", *NEUTRAL, "scenario.team.intake_hours=0",
                                  "scenario.team.coordination_hours_per_month=0"]), jobs=1, progress=False).runs
    for runs in (chain, team):  # the comparison is not on a full pool: pooling would serve more
        assert float(runs[[c for c in runs.columns if c.startswith("utilisation.")]].max().max()) < 0.9
    used_chain, used_team = chain[kpis.FTE_IN_USE_TOTAL].mean(), team[kpis.FTE_IN_USE_TOTAL].mean()
    assert used_team == pytest.approx(used_chain, rel=0.01)
    # and a duo that costs half again as much shows as more staff for the same work
    costly = runner.run(make_model([*common, "scenario=integrated", *NEUTRAL[:-1], "scenario.effects.duo_workload=1.5",
                                    "scenario.team.intake_hours=0", "scenario.team.coordination_hours_per_month=0"]),
                        jobs=1, progress=False).runs
    assert costly[kpis.FTE_IN_USE_TOTAL].mean() > 1.2 * used_chain


def test_staff_dynamics_reach_the_team_and_the_experts():
    """Leavers with a long hiring delay shrink every staffed pool, the team's and the experts' included, by their
    partners' FTE-weighted ratio; without dynamics the team's places stay as formed."""
    dyn = ["+staff_dynamics=nl_2023", "staff_dynamics.deterministic=true",
           *[f"staff_dynamics.orgs.{o}.leavers_per_year=0.3" for o in ("buurtteam", "veilig_thuis", "rvdk", "gi")],
           *[f"staff_dynamics.orgs.{o}.hiring_delay_days=365" for o in ("buurtteam", "veilig_thuis", "rvdk", "gi")]]
    m = make_model([*TINY, "scenario=integrated", *dyn])
    wf = m.scenario.workflow(m, 0)
    start = {n: p.capacity for n, p in wf.engine.pools.items()}
    wf.run()
    for name in ("veiligheidsteam", "veiligheidsteam.triage"):
        assert wf.engine.pools[name].capacity < start[name], name
    # the experts follow their partner (an expert duty keeps at least its one person on call)
    assert wf.staff_origins["expertise.gi"] == {"gi": m.scenario.params.experts["gi"].fte}
    assert 1 <= wf.engine.pools["expertise.gi"].capacity <= start["expertise.gi"]
    static = make_model([*TINY, "scenario=integrated"])
    wf0 = static.scenario.workflow(static, 0)
    before = wf0.engine.pools["veiligheidsteam"].capacity
    wf0.run()
    assert wf0.engine.pools["veiligheidsteam"].capacity == before
    assert np.isfinite(before)
