"""The defining mechanisms of two pilots, by hand (issue 18, fidelity): Samen in Crisis's oranje route and Blijvend
Veilig's neighbourhood team that treats the adults' problems as a root cause; the attribute that says which families
have them changes no other draw; with every effect at its no-effect value the books balance as in every workflow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.chain import demand, kpis, tables
from sim.chain.checks import COLOURS
from sim.kernel.streams import Streams
from sim.run import runner
from tests.conftest import make_model, staff

TINY = ["region=demo", "run.years=1", "run.warmup_years=0.5", "run.replications=2", "run.quiet=true",
        "run.start=empty"]
DET = ["durations.transfer={dist:deterministic,value:2}", "durations.vt_triage={dist:deterministic,value:3}",
       "durations.rvdk_onderzoek={dist:deterministic,value:40}", "durations.court_decision={dist:deterministic,value:21}",
       "durations.gi_first_contact={dist:deterministic,value:7}", "durations.buurtteam_help={dist:deterministic,value:10}",
       "routing.court_grants=1.0", "run.warmup_years=0", "run.years=1", "run.replications=1", "run.event_log=true",
       "run.quiet=true", "run.start=empty", "region=demo"]


def _route(name: str, **probs: float) -> list[str]:
    from sim.chain.checks import ROUTING_OPTIONS

    return [f"routing.{name}.{opt}={probs.get(opt, 0.0)}" for opt in ROUTING_OPTIONS[name]]


def _inject(wf, times, colours, voluntary_u, reentry_u, return_after, adult_u=None) -> None:
    """The replication's arrivals replaced by melding families with the given attributes (one per family, the same
    in every episode)."""
    n, e = len(times), wf.model.max_episodes
    col = lambda v: np.repeat(np.asarray(v, dtype=float).reshape(n, 1), e, axis=1)  # noqa: E731
    wf.arrivals = demand.Arrivals(time=np.asarray(times, dtype=float), route=np.zeros(n, dtype=np.int8),
                                  colour=col([COLOURS.index(c) for c in colours]).astype(np.int8),
                                  n_children=np.ones(n, dtype=np.int64), voluntary_u=col(voluntary_u),
                                  reentry_u=col(reentry_u), return_after=col(return_after),
                                  adult_u=None if adult_u is None else np.asarray(adult_u, dtype=float))


def _events(wf, fam):
    return [(a, o, lc, t) for cid, a, o, lc, t in wf.events if cid == fam.case_id]


# ====================================================================== Samen in Crisis: the oranje route

ORANJE_TRACE = [*DET, *staff("veilig_thuis", 10, triage_share=0.2, triage_caseload=1), *staff("gi", 10),
                *staff("rvdk", 10), *_route("vt_triage", rvdk=1), *_route("rvdk_outcome", verzoek=1),
                *_route("measure_type", ots=1), "work.hours_per_day=4"]
AFSTEMMING = ["scenario.meetings.oranje.base_hours=1", "scenario.meetings.oranje.hours_per_participant=1",
              "scenario.meetings.oranje.planning={dist:deterministic,value:0.5}"]


def _oranje_trace(scenario: str, *extra: str):
    own = AFSTEMMING if scenario == "samen_in_crisis" else []
    model = make_model([*ORANJE_TRACE, f"scenario={scenario}", *own, *extra])
    wf = model.scenario.workflow(model, 0)
    _inject(wf, [0.0], ["oranje"], [0.0], [1.0], [1e9])
    return wf.run()


def test_an_oranje_melding_through_the_crisismeters_oranje_route_by_hand():
    """One oranje melding at t = 0. The afstemming of Veilig Thuis, the GI and the RvdK is planned 0.5 days later
    and takes 1 + 1 x 3 participants = 4 h = 1 day at 4 h a day: it is the veiligheidsbeoordeling, [0.5, 1.5].
    Today's triage decision (here: verzoek tot onderzoek) follows; the Raad was at the afstemming, so its hand-off
    is shared: a transfer of 2 days, no intake, no story: the Raad starts at 3.5 and ends at 43.5 (40 days). The
    kinderrechter was not there: a hand-off with an intake and a story, 2 days, decision 21 days later at 66.5;
    the GI was there: shared hand-off, at 68.5, first contact 7 days later at 75.5.
    Stories: the one intake form at Veilig Thuis and the court = 2 (today's chain: VT, Raad, court, GI = 4)."""
    wf = _oranje_trace("samen_in_crisis")
    (fam,) = wf.families
    assert (fam.triage_start, fam.triage_end) == pytest.approx((0.5, 1.5))
    assert (fam.rvdk_request, fam.rvdk_start, fam.rvdk_end) == pytest.approx((3.5, 3.5, 43.5))
    assert (fam.court_request, fam.court_decision) == pytest.approx((45.5, 66.5))
    assert (fam.gi_request, fam.gi_first_contact) == pytest.approx((68.5, 75.5))
    assert (fam.handoffs, fam.intakes, fam.stories_told) == (3, 2, 2)
    assert fam.meeting_hours == pytest.approx(4 * 3)  # 4 hours, three participants
    acts = [(a, o, lc) for a, o, lc, _ in _events(wf, fam)]
    assert ("oranje", "expertise", "complete") in acts and not any(a == "veiligheidsbeoordeling" for a, _, _ in acts)
    # the same family today: the front desk (3 days), then every partner takes it in again
    (seq,) = _oranje_trace("sequential").families
    assert (seq.triage_start, seq.triage_end) == pytest.approx((0.0, 3.0))
    assert (seq.handoffs, seq.intakes, seq.stories_told, seq.meeting_hours) == (3, 4, 4, 0)
    # with the oranje route off the oranje family goes to the front desk as today
    (off,) = _oranje_trace("samen_in_crisis", "scenario.meetings.oranje.enabled=false").families
    assert (off.triage_end, off.stories_told, off.meeting_hours) == (3.0, 4, 0)


def test_the_oranje_route_off_takes_no_staff_and_leaves_rood_to_the_crisis_mdo():
    on = make_model([*TINY, "scenario=samen_in_crisis"])
    off = make_model([*TINY, "scenario=samen_in_crisis", "scenario.meetings.oranje.enabled=false"])
    assert {"vt_oranje", "gi_oranje", "rvdk_oranje"} <= set(on.scenario.params.experts)
    assert not {"vt_oranje", "gi_oranje", "rvdk_oranje"} & set(off.scenario.params.experts)
    for org in ("veilig_thuis", "gi", "rvdk"):
        assert off.scenario.params.staffing[org].fte > on.scenario.params.staffing[org].fte, org
    assert sum(on.scenario.params.fte_plan.values()) == pytest.approx(sum(off.scenario.params.fte_plan.values()))


def test_oranje_families_tell_their_story_less_often_and_pay_for_the_afstemming():
    extra = ["families.colour.groen=0.0", "families.colour.oranje=1.0", "families.colour.rood=0.0"]
    on = runner.run(make_model([*TINY, "scenario=samen_in_crisis", *extra]), jobs=1, progress=False)
    off = runner.run(make_model([*TINY, "scenario=samen_in_crisis", "scenario.meetings.oranje.enabled=false", *extra]),
                     jobs=1, progress=False)
    assert (on.runs["meeting_hours_per_family"] > 0).all() and (off.runs["meeting_hours_per_family"] == 0).all()
    reached = lambda f: f[f["rvdk_request"].notna() & (f["route"] != "direct")]  # noqa: E731
    assert len(reached(on.families)) > 10
    assert reached(on.families)["stories_told"].mean() < reached(off.families)["stories_told"].mean() - 0.5


# ====================================================================== Blijvend Veilig: adult problems in the team

BV_TRACE = [*DET, *_route("vt_triage", buurtteam=1), "families.voluntary_suffices=0.5",
            "families.reentry_probability=0.6", "families.adult_problem_share=0.4", "routing.rood_spoed=1.0",
            "scenario.meetings.crisis.enabled=false", "scenario.effects.debt_help_factor=1.5",
            "scenario.effects.escalation_averted=1.0", "scenario.effects.reentry_averted=0.5",
            "scenario.effects.vots_averted=1.0"]


def test_a_blijvend_veilig_family_with_debts_is_handled_inside_the_team_by_hand():
    """Three meldingen. A (t = 0, groen, debts: adult_u 0.1 < share 0.4): the team's joint triage [0, 3], the duo
    takes it on for voluntary help, which also works on the debts: 10 days x debt_help_factor 1.5 = 15, closed at 18.
    Its own draw says help fails (voluntary_u 0.99 > 0.5), but the team treats the root cause (escalation_averted
    1): no escalation, no Raad. Its re-entry draw 0.5 is below today's 0.6 but not below 0.6 x (1 - 0.5) = 0.3:
    it does not come back. B (t = 100, no debts: adult_u 0.9): triage [100, 103], help 10 days, closed at 113, and
    it comes back (0.5 < 0.6) 50 days later, at 163. C (t = 200, rood, no debts): spoed, but the team's
    veiligheidsplan replaces the voorlopige OTS (vots_averted 1): its help suffices with its own draw (0.0 < 0.5),
    triage [200, 203], help [203, 213]; no court, no measure. Nobody is handed over: one story each."""
    model = make_model([*BV_TRACE, "scenario=blijvend_veilig"])
    wf = model.scenario.workflow(model, 0)
    _inject(wf, [0.0, 100.0, 200.0], ["groen", "groen", "rood"], [0.99, 0.0, 0.0], [0.5, 0.5, 1.0], [50.0] * 3,
            adult_u=[0.1, 0.9, 0.9])
    wf.run()
    by = {(f.family_id, f.episode): f for f in wf.families}
    a, b, c = by[(0, 0)], by[(1, 0)], by[(2, 0)]
    assert (a.adult_problems, b.adult_problems, c.adult_problems) == (True, False, False)
    assert (a.triage_start, a.triage_end, a.help_start, a.closed) == pytest.approx((0, 3, 3, 18))
    assert a.outcome == "vrijwillige_hulp_afgerond" and a.escalations == 0 and np.isnan(a.rvdk_request)
    assert (0, 1) not in by  # the root cause treated: no return
    assert (b.triage_end, b.help_start, b.closed) == pytest.approx((103, 103, 113))
    assert (1, 1) in by and by[(1, 1)].arrival == pytest.approx(163) and by[(1, 1)].route == "hermelding"
    assert (c.triage_end, c.help_start, c.closed) == pytest.approx((203, 203, 213))
    assert np.isnan(c.court_request) and c.measure == "" and c.outcome == "vrijwillige_hulp_afgerond"
    for fam in (a, b, c):
        assert (fam.handoffs, fam.stories_told) == (0, 1)
    acts = {f.case_id: [act for act, *_ in _events(wf, f)] for f in (a, b, c)}
    assert "volwassenenproblematiek" in acts[a.case_id] and "volwassenenproblematiek" not in acts[b.case_id]
    assert "veiligheidsplan" in acts[c.case_id] and "spoedzitting" not in acts[c.case_id]


def test_without_the_root_cause_effects_the_family_with_debts_is_helped_as_any_other():
    """The same family A with every adult-problem effect at its no-effect value: 10 days of help that fails and
    escalates (so the test above can fail), and a re-entry as today's chain would have."""
    neutral = ["scenario.effects.debt_help_factor=1.0", "scenario.effects.escalation_averted=0.0",
               "scenario.effects.reentry_averted=0.0", "scenario.effects.vots_averted=0.0",
               "durations.buurtteam_escalation_after={dist:deterministic,value:4}"]
    model = make_model([*BV_TRACE, "scenario=blijvend_veilig", *neutral])
    wf = model.scenario.workflow(model, 0)
    _inject(wf, [0.0], ["groen"], [0.99], [0.5], [50.0], adult_u=[0.1])
    wf.run()
    a = [f for f in wf.families if f.episode == 0][0]
    assert a.adult_problems and a.escalations >= 1  # help failed after 4 days: escalated inside the team


def test_the_adult_problem_attribute_is_its_own_stream_and_moves_no_other_draw():
    model = make_model([*TINY, "scenario=sequential"])
    a = demand.generate(model, Streams(model.run.seed, 0))
    shares = make_model([*TINY, "scenario=sequential", "families.adult_problem_share=0.9"])
    b = demand.generate(shares, Streams(model.run.seed, 0))
    for name in ("time", "route", "colour", "n_children", "voluntary_u", "reentry_u", "return_after"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.adult_u, Streams(model.run.seed, 0).generator("families.adult_problems").random(len(a)))
    # the share in the drawn families is within binomial bounds of families.adult_problem_share
    n = len(a)
    share = float((a.adult_u < model.adult_problem_share).mean())
    assert abs(share - model.adult_problem_share) < 4 * np.sqrt(model.adult_problem_share * 0.6 / n)
    # and a workflow that does not treat adult problems gives the same families whatever the share
    one = runner.run(model, jobs=1, progress=False).families
    other = runner.run(shares, jobs=1, progress=False).families
    cols = [c for c in tables.FAMILY_COLUMNS if c != "scenario"]
    pd.testing.assert_frame_equal(one[cols], other[cols], check_exact=True)


def test_blijvend_veilig_with_every_effect_neutral_is_the_integrated_team_bit_for_bit():
    """Its structure is the integrated team's: with its own effects at their no-effect values and the same team, the
    families are the integrated workflow's to the last bit (the attribute read, nothing else drawn)."""
    from sim.scenarios.blijvend_veilig.params import BlijvendVeiligEffects
    from sim.scenarios.effects import neutral

    own = ["debt_help_factor", "escalation_averted", "reentry_averted", "vots_averted", "uhp_averted"]
    zero = [f"scenario.effects.{k}={getattr(neutral(BlijvendVeiligEffects), k)}" for k in own]
    bv = runner.run(make_model([*TINY, "scenario=blijvend_veilig", *zero, "scenario.team.share.rvdk=0.0"]), jobs=1,
                    progress=False)
    integrated = runner.run(make_model([*TINY, "scenario=integrated"]), jobs=1, progress=False)
    cols = [c for c in tables.FAMILY_COLUMNS if c != "scenario"]
    pd.testing.assert_frame_equal(bv.families[cols], integrated.families[cols], check_exact=True)
    # and the default effects do move them (this comparison can fail)
    default = runner.run(make_model([*TINY, "scenario=blijvend_veilig", "scenario.team.share.rvdk=0.0"]), jobs=1,
                         progress=False)
    assert not default.families[cols].equals(integrated.families[cols])


def test_blijvend_veilig_books_balance_like_every_team():
    """With every effect at its no-effect value, no intake hours and no coordination, the team doing today's work
    (every melding to voluntary help that suffices) uses today's staff, as tests/test_books.py shows for the
    integrated team; the longer help of families with debts costs staff by the same rule."""
    common = ["region=demo", "families.colour.groen=1.0", "families.colour.oranje=0.0", "families.colour.rood=0.0",
              "families.children={dist:empirical,values:[1],probs:[1.0]}", "families.reentry_probability=0.0",
              "families.max_episodes=1", "durations.transfer={dist:deterministic,value:0}",
              *[f"handoff.intake_hours.{o}=0" for o in ("buurtteam", "veilig_thuis", "rvdk", "gi")],
              "run.event_log=false", "run.quiet=true", "run.start=empty", "run.warmup_years=1", "run.years=4",
              "run.replications=3", "demand.vt_meldingen_per_year=300", "demand.buurtteam_direct_per_year=0",
              *_route("vt_triage", buurtteam=1), "families.voluntary_suffices=1"]
    team = ["scenario=blijvend_veilig", "scenario.team.intake_hours=0", "scenario.team.coordination_hours_per_month=0",
            "scenario.effects.assessment_factor=1", "scenario.effects.rvdk_duration_factor=1",
            "scenario.effects.resolved_without_measure=0", "scenario.effects.duo_workload=1",
            "scenario.effects.escalation_averted=0", "scenario.effects.reentry_averted=0",
            "scenario.effects.vots_averted=0", "scenario.effects.uhp_averted=0"]
    chain = runner.run(make_model([*common, "scenario=sequential"]), jobs=1, progress=False).runs
    neutral = runner.run(make_model([*common, *team, "scenario.effects.debt_help_factor=1"]), jobs=1,
                         progress=False).runs
    longer = runner.run(make_model([*common, *team, "scenario.effects.debt_help_factor=1.5"]), jobs=1,
                        progress=False).runs
    for runs in (chain, neutral):
        assert float(runs[[c for c in runs.columns if c.startswith("utilisation.")]].max().max()) < 0.9
    used = chain[kpis.FTE_IN_USE_TOTAL].mean()
    assert neutral[kpis.FTE_IN_USE_TOTAL].mean() == pytest.approx(used, rel=0.01)
    # 40 % of families get help 1.5 x as long: the help's share of the staff grows by about a fifth
    assert longer[kpis.FTE_IN_USE_TOTAL].mean() > 1.05 * used
