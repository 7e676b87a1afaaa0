"""The workflows of issue 4: every scenario composes and runs, sees the same families, keeps total FTE, reduces to
today's chain when its effects are off, and does what its docstring says (hand-computed traces).

Each test names the way it can fail: a workflow that draws families itself, a team that adds FTE, a joint meeting
that starts before all its participants are free, a stream drawn in a different order when the team is off.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.actors.expertise import ConsultSpec
from sim.actors.veiligheidsteam import FUNCTIONS
from sim.chain import demand, tables
from sim.chain.checks import ConfigError
from sim.config import provenance
from sim.run import runner
from sim.scenarios import WORKFLOWS, fte_plan
from tests.conftest import CONF, make_model, staff

TINY = ["region=demo", "run.years=1", "run.warmup_years=0.5", "run.replications=2", "run.quiet=true",
        "run.start=empty"]
SCENARIOS = sorted(p.stem for p in (CONF / "scenario").glob("*.yaml"))
ALTERNATIVES = [s for s in SCENARIOS if s != "sequential"]

# the settings under which an alternative is today's chain: its team or meeting off, every effect neutral
TEAM_NULL = ["scenario.team.enabled=false", "scenario.meetings.crisis.enabled=false",
             "scenario.effects.assessment_factor=1.0", "scenario.effects.rvdk_duration_factor=1.0",
             "scenario.effects.resolved_without_measure=0.0"]
NULL = {
    "integrated": TEAM_NULL,
    "toekomstscenario": TEAM_NULL,
    "ketenversnelling": TEAM_NULL,
    "samen_in_crisis": ["scenario.meetings.crisis.enabled=false", "scenario.meetings.oranje.enabled=false",
                        "scenario.effects.spoed_averted=0.0", "scenario.effects.rvdk_duration_factor=1.0"],
    "utrecht_west": ["scenario.meetings.table.enabled=false", "scenario.effects.vt_onderzoek_averted=0.0",
                     "scenario.effects.rvdk_averted=0.0", "scenario.effects.save_averted=0.0"],
    "blijvend_veilig": [*TEAM_NULL, "scenario.effects.debt_help_factor=1.0", "scenario.effects.escalation_averted=0.0",
                        "scenario.effects.reentry_averted=0.0", "scenario.effects.vots_averted=0.0",
                        "scenario.effects.uhp_averted=0.0"],
}


def model_of(scenario: str, *extra: str):
    return make_model([*TINY, f"scenario={scenario}", *extra])


def test_every_scenario_file_is_a_registered_workflow_with_a_null_setting():
    assert set(SCENARIOS) == set(WORKFLOWS)
    assert set(NULL) == set(ALTERNATIVES)


# ====================================================================== composes, runs, same tables


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_composes_and_runs_in_a_tiny_mode(scenario):
    model = model_of(scenario, "run.event_log=true")
    assert model.scenario.name == scenario
    res = runner.run(model, jobs=1, progress=False)
    n = len(tables.FAMILY_COLUMNS)  # then the optional groups a run has (units, waiting, ages), in their order
    assert list(res.families.columns)[:n] == list(tables.FAMILY_COLUMNS)
    assert [c for c in tables.OPTIONAL_FAMILY_COLUMNS if c in res.families.columns] == list(res.families.columns)[n:]
    assert list(res.events.columns) == list(tables.EVENT_COLUMNS)
    assert list(res.timeseries.columns) == list(tables.TIMESERIES_COLUMNS)
    assert len(res.runs) == 2 and len(res.families) > 50 and len(res.events) > 100
    assert np.isfinite(res.runs["lead_time_help_mean"]).all()
    assert set(res.families["scenario"]) == {scenario}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_starts_from_todays_open_cases(scenario):
    """run.start=today: each workflow puts the region's open cases in place (Sequential's resume_* methods, or the
    integrated team taking them over) and runs; the cases show up as preexisting rows."""
    model = make_model(["region=demo", "run.start=today", "run.years=1", "run.replications=1", "run.quiet=true",
                        f"scenario={scenario}"])
    res = runner.run(model, jobs=1, progress=False)
    assert res.families["preexisting"].astype(bool).sum() > 50
    assert np.isfinite(res.runs["lead_time_help_mean"]).all()


def test_the_integrated_team_takes_over_todays_open_cases():
    model = make_model(["region=demo", "run.start=today", "run.years=1", "run.quiet=true", "scenario=integrated"])
    wf = model.scenario.workflow(model, 0).run()
    pre = [f for f in wf.families if f.preexisting]
    taken = [f for f in pre if f.team_start == 0.0]
    assert len(taken) > 0.5 * len(pre)  # in care at VT, buurtteam, Raad, court or GI: now with the team
    # the partners whose staff moved in have no places and nobody waiting for them
    for name in ("veilig_thuis.triage", "veilig_thuis.casus", "buurtteam", "gi"):
        pool = wf.engine.pools[name]
        assert pool.capacity == 0 and pool.stats.starts == 0 and pool.queued == 0, name


# ====================================================================== common random numbers


def test_same_seed_gives_identical_families_in_every_workflow():
    """Arrival times and every attribute are drawn before the run (sim/chain/demand.py): a workflow that drew its
    families itself, or from a changed model, would differ here."""
    ref_model = model_of("sequential")
    reference = {rep: demand.generate(ref_model, ref_model.scenario.workflow(ref_model, rep).streams) for rep in (0, 1)}
    episode0 = None
    for scenario in SCENARIOS:
        model = model_of(scenario)
        for rep in (0, 1):
            wf = model.scenario.workflow(model, rep)
            for field in ("time", "route", "colour", "n_children", "voluntary_u", "reentry_u", "return_after"):
                assert np.array_equal(getattr(wf.arrivals, field), getattr(reference[rep], field)), (scenario, field)
        fam = runner.run(model, jobs=1, progress=False).families
        first = fam[(fam["episode"] == 0) & ~fam["preexisting"].astype(bool)]
        cols = ["replication", "family_id", "route", "arrival", "colour", "n_children"]
        first = first[cols].sort_values(["replication", "family_id"]).reset_index(drop=True)
        if episode0 is None:
            episode0 = first
        else:
            pd.testing.assert_frame_equal(first, episode0, check_exact=True, obj=scenario)
    assert len(episode0) > 100


TODAY_KEYS = ["replication", "family_id"]
TODAY_ATTRIBUTES = ["episode", "route", "arrival", "colour", "n_children", "preexisting", "vt_unit", "gi_unit"]


def first_rows_from_today(scenario: str) -> pd.DataFrame:
    """Each family's first row (episode 0; a family closed before the start: its return) in Gelderland from today,
    with its identity and attributes only: what every workflow must agree on, whatever it then does."""
    model = make_model(["region=gelderland", "run.start=today", "run.years=0.25", "run.replications=2",
                        "run.quiet=true", "run.event_log=false", f"scenario={scenario}"])
    fam = runner.run(model, jobs=1, progress=False).families
    first = fam.sort_values([*TODAY_KEYS, "episode"]).drop_duplicates(TODAY_KEYS)
    return first[TODAY_KEYS + TODAY_ATTRIBUTES].reset_index(drop=True)


def test_todays_open_cases_are_the_same_families_in_every_workflow():
    """run.start=today (Gelderland, its three Veilig Thuis organisations and four GIs): the families already open on
    the start date have the same ids, entry times, colours, children and organisations in every workflow; only
    where they stand differs. It fails when the plan of today's cases depends on the workflow, e.g. when it splits
    the cases in care over the organisations by the places a workflow leaves them after moving staff into a team
    or expert duty (every draw after the split then moves: one open family in nine differed in ``integrated``)."""
    reference = first_rows_from_today("sequential")
    open_cases = reference["preexisting"].astype(bool)
    assert open_cases.sum() > 5000 and (~open_cases).sum() > 1000  # both kinds of family are compared
    for scenario in ALTERNATIVES:
        pd.testing.assert_frame_equal(first_rows_from_today(scenario), reference, check_exact=True, obj=scenario)


# ====================================================================== staff


@pytest.mark.parametrize("region", ["demo", "gelderland"])
def test_total_fte_is_equal_across_workflows_by_default(region):
    """The teams and expert pools are formed from the partners' FTE: the total is today's chain's, and the
    partners' actors really run with what is left."""
    totals = {}
    for scenario in SCENARIOS:
        model = make_model([f"region={region}", f"scenario={scenario}", "run.quiet=true"])
        plan = fte_plan(model)
        totals[scenario] = sum(plan.values())
        wf = model.scenario.workflow(model, 0)
        for org in ("buurtteam", "veilig_thuis", "rvdk", "gi"):
            assert wf.model.staffing[org].fte == pytest.approx(plan[org], abs=1e-9), (scenario, org)
        moved = sum(plan[o] for o in plan if o not in model.staffing)  # teams and expert pools
        assert (moved > 0) == (scenario != "sequential"), scenario
    today = totals["sequential"]
    for scenario, total in totals.items():
        assert total == pytest.approx(today, rel=1e-12), scenario
    # and the team really holds staff: in integrated most partner FTE moved
    integrated = fte_plan(make_model([f"region={region}", "scenario=integrated", "run.quiet=true"]))
    assert integrated["veiligheidsteam"] > 0.5 * today


def test_team_shares_above_what_a_partner_has_fail_before_the_run():
    with pytest.raises(ConfigError, match=r"^scenario.team.share.gi = "):
        model_of("integrated", "scenario.team.share.gi=1.0")  # plus experts.gi: more than the GI has
    with pytest.raises(ConfigError, match=r"^scenario.team.share.rvdk = 0.96 leaves staffing.rvdk less than one caseload place"):
        model_of("integrated", "scenario.team.share.rvdk=0.96")


# ====================================================================== null settings reduce to today's chain


@pytest.mark.parametrize("scenario", ALTERNATIVES)
def test_with_every_effect_off_the_paired_difference_in_lead_time_is_zero(scenario):
    """Team (or joint meeting) disabled and every effect neutral: the alternative must be today's chain to the
    last bit, so the paired difference of every replication is exactly 0. Fails if the workflow moves FTE, draws
    from a shared stream in another order, or schedules anything extra when its structure is off."""
    base = runner.run(model_of("sequential"), jobs=1, progress=False)
    alt = runner.run(model_of(scenario, *NULL[scenario]), jobs=1, progress=False)
    diff = alt.runs["lead_time_help_mean"].to_numpy() - base.runs["lead_time_help_mean"].to_numpy()
    assert np.all(diff == 0.0)
    cols = [c for c in tables.FAMILY_COLUMNS if c != "scenario"]
    pd.testing.assert_frame_equal(alt.families[cols], base.families[cols], check_exact=True)


def test_the_null_comparison_can_fail():
    """The same comparison with one effect switched on is not zero (the test above is not vacuous)."""
    base = runner.run(model_of("sequential"), jobs=1, progress=False)
    alt = runner.run(model_of("samen_in_crisis", "scenario.meetings.crisis.enabled=false",
                              "scenario.effects.spoed_averted=0.0", "scenario.effects.rvdk_duration_factor=1.0"),
                     jobs=1, progress=False)  # the oranje route on
    assert np.any(alt.runs["lead_time_help_mean"].to_numpy() != base.runs["lead_time_help_mean"].to_numpy()) or \
        not alt.families["buurtteam_end"].equals(base.families["buurtteam_end"])


# ====================================================================== the integrated team


def test_integrated_family_without_court_step_tells_its_story_once_and_is_not_handed_over():
    """A family the team helps without the protection route (no Raad investigation, no court) tells its story
    once. The Raad's judgement stays independent in this workflow (conf/scenario/integrated.yaml team.share.rvdk),
    so a family the Raad investigates may tell it again there, whether or not the run sees its court step."""
    model = model_of("integrated")
    fam = runner.run(model, jobs=1, progress=False).families
    fam = fam[~fam["preexisting"].astype(bool)]
    no_court = fam[fam["court_request"].isna() & fam["rvdk_request"].isna()]
    assert len(no_court) > 200
    assert (no_court["stories_told"] == 1).all()
    assert (no_court["handoffs"] == 0).all()
    assert not no_court["orgs_involved"].str.contains("veilig_thuis|buurtteam|>gi").any()
    # the same families in today's chain are handed over and retell their story
    seq = runner.run(model_of("sequential"), jobs=1, progress=False).families
    same = seq.merge(no_court[["replication", "case_id"]], on=["replication", "case_id"])
    assert (same["handoffs"] > 0).mean() > 0.3 and (same["stories_told"] > 1).mean() > 0.3


@pytest.mark.parametrize("scenario", ["sequential", "integrated", "toekomstscenario", "ketenversnelling"])
def test_every_raad_investigation_is_an_intake_and_a_story_told(scenario):
    """The Raad talks to the parents and the children whoever asked for its investigation: a team family that the
    Raad investigates (no hand-off: the team stays, the Raad reads its file) still has the Raad's intake and tells
    its story there. So every episode has an intake on arrival, one per hand-off, and one per Raad investigation that
    came without a hand-off, and tells its story at each. It fails when the team's route to the Raad skips the intake (as it did: a gain true by omission)."""
    years = 4 if scenario == "ketenversnelling" else 2  # one neighbourhood: enough team families reach the Raad
    model = model_of(scenario, "run.event_log=true", f"run.years={years}")
    res = runner.run(model, jobs=1, progress=False)
    ev = res.events
    keys = ["replication", "case_id"]
    raad = ev[(ev["activity"] == "beschermingsonderzoek") & (ev["lifecycle"] == "schedule")].groupby(keys).size()
    handed = ev[(ev["activity"] == "overdracht") & (ev["organisation"] == "rvdk")].groupby(keys).size()
    fam = res.families
    # episodes that closed: one handed to the Raad at the end of the run has its hand-off but not yet its request
    fam = fam[~fam["preexisting"].astype(bool) & fam["closed"].notna()].set_index(keys)
    without_handoff = raad.reindex(fam.index, fill_value=0) - handed.reindex(fam.index, fill_value=0)
    assert (without_handoff >= 0).all()
    pd.testing.assert_series_equal(fam["intakes"], 1 + fam["handoffs"] + without_handoff, check_names=False,
                                   check_dtype=False)
    assert (fam["stories_told"] >= fam["intakes"]).all()  # every intake is a story (a VT onderzoek adds one more)
    if scenario != "sequential":  # the team's own route to the Raad is on the path, or the test proves nothing
        assert (without_handoff > 0).sum() >= 5  # ketenversnelling: one neighbourhood, few families


def test_families_the_team_resolves_get_their_own_chance_that_voluntary_help_suffices():
    """A would-be Raad case the team resolves with voluntary help (effects.resolved_without_measure) is helped as any
    family is: its help suffices with its own draw (Workflow.suffices: not for a rood family, not when its
    voluntary_u is above families.voluntary_suffices, unless it was escalated before). So every resolved episode
    whose own draw says no has been escalated (its help failed, or an earlier one did). It fails when resolving
    always succeeds (as it did: a gain true by construction)."""
    model = model_of("integrated", "run.event_log=true", "run.years=8", "scenario.effects.resolved_without_measure=0.2")
    wf = model.scenario.workflow(model, 0).run()
    resolved = {case for case, activity, *_ in wf.events if activity == "opgelost_zonder_maatregel"}
    fams = [f for f in wf.families if f.case_id in resolved]
    says_no = [f for f in fams if f.crisis or f.voluntary_u >= model.voluntary_suffices]
    assert len(fams) > 30 and len(says_no) > 10  # both kinds of resolved family are on the path
    assert all(f.escalations > 0 for f in says_no)
    # and the help of those whose draw says yes is not cut short: some of them close without any escalation
    assert any(f.escalations == 0 and f.outcome == "vrijwillige_hulp_afgerond" for f in fams if f not in says_no)


def test_integrated_team_holds_a_duo_and_costs_meetings_and_consults():
    model = model_of("integrated", "run.years=2")
    wf = model.scenario.workflow(model, 0).run()
    team = wf.engine.pools["veiligheidsteam"]
    # places are work hours per month at today's norm for what the team does (sim.actors.veiligheidsteam), so a
    # family holds exactly the hours of one of its functions, its own and the ones added later together
    held = {f.case_id: (f, wf.team.held(f)) for f in wf.families if team.name in f.holds}
    assert held
    functions = {fn: 0 for fn in FUNCTIONS}
    for f, units in held.values():
        fn = [fn for fn in FUNCTIONS if wf.team.need(f, fn) == units]
        assert fn, (f.case_id, units)
        functions[fn[0]] += 1
    assert functions["voluntary"] > 0 and functions["safety"] > 0
    assert wf.team.need(held[next(iter(held))][0], "voluntary") < wf.team.need(held[next(iter(held))][0], "safety")
    fam = pd.DataFrame({"meeting": [f.meeting_hours for f in wf.families],
                        "consult": [f.consult_hours for f in wf.families],
                        "duo": [f.team_end == f.team_end and f.vt_onderzoek_start == f.vt_onderzoek_start
                                for f in wf.families]})
    # coordination hours for every family the duo held and released (booked when the team lets go)
    assert fam["duo"].sum() > 10 and fam.loc[fam["duo"], "meeting"].gt(0).all()
    assert fam["consult"].gt(0).any()


def test_integrated_runs_when_its_own_team_is_the_bottleneck():
    """A duo that costs five times today's hours: families (and second duo members) are still waiting at the end,
    and the run ends cleanly with the team's waiting list in the tables."""
    res = runner.run(model_of("integrated", "scenario.effects.duo_workload=5", "run.years=2"), jobs=1, progress=False)
    assert (res.runs["waiting_list_end.veiligheidsteam"] > 0).all()
    assert (res.runs["utilisation.veiligheidsteam"] > 0.9).all()


def test_integrated_with_the_gi_taking_over_uses_the_gi_waiting_list():
    model = model_of("integrated", "scenario.team.gi_mandate=gi", "scenario.team.share.gi=0.5", "run.years=2")
    fam = runner.run(model, jobs=1, progress=False).families
    measured = fam[fam["measure"].isin(["ots", "ots_uhp", "voogdij"]) & fam["gi_first_contact"].notna()]
    assert len(measured) > 0
    assert (measured["gi_first_contact"] > measured["gi_request"]).all()  # first contact after a wait at the GI
    duo = runner.run(model_of("integrated", "run.years=2"), jobs=1, progress=False).families
    m2 = duo[duo["measure"].isin(["ots", "ots_uhp", "voogdij"]) & duo["gi_first_contact"].notna()]
    assert (m2["gi_first_contact"] == m2["gi_request"]).all()  # the duo holds the mandate: no waiting list


# ====================================================================== joint meetings: hand-computed trace


def _inject(wf, times: list[float], colour: int = 2) -> None:
    """Replace the replication's arrivals by melding families at ``times`` (crisismeter index ``colour``)."""
    n, e = len(times), wf.model.max_episodes
    wf.arrivals = demand.Arrivals(time=np.asarray(times, dtype=float), route=np.zeros(n, dtype=np.int8),
                                  colour=np.full((n, e), colour, dtype=np.int8), n_children=np.ones(n, dtype=np.int64),
                                  voluntary_u=np.zeros((n, e)), reentry_u=np.ones((n, e)),
                                  return_after=np.full((n, e), 1e9))


def test_joint_crisis_meeting_starts_only_when_every_participant_is_free():
    """Three rood families at t = 0, 0.25, 0.5. Veilig Thuis, the GI and the RvdK have two persons on duty, the
    vertrouwensarts one. A meeting takes 1 + 1 x 4 participants = 5 h = 1 day at 5 h per day.
    By hand: family 1 meets [0, 1]. Family 2 could have three of its four participants at 0.25, but the
    vertrouwensarts is busy until 1: it meets [1, 2]; family 3 [2, 3]. A one-hour consult of the vertrouwensarts
    asked at 0.3 comes after family 2 and before family 3 in the line (first come, first served, no overtaking):
    it runs [2, 2.2], and family 3 meets [2.2, 3.2]. While a meeting waits, none of its participants is held."""
    setup = [*staff("veilig_thuis", 10, triage_share=0.2, triage_caseload=1), *staff("gi", 10), *staff("rvdk", 10),
             "scenario.experts.vt.share=0.2", "scenario.experts.vertrouwensarts.share=0.1",
             "scenario.experts.gi.share=0.2", "scenario.experts.rvdk.share=0.2",
             "work.hours_per_day=5", "scenario.meetings.crisis.base_hours=1",
             "scenario.meetings.crisis.hours_per_participant=1",
             "scenario.meetings.crisis.planning={dist:deterministic,value:0}", "run.event_log=false",
             "scenario.meetings.oranje.enabled=false"]  # rood families only: the oranje persons on duty not formed
    model = model_of("samen_in_crisis", *setup)
    wf = model.scenario.workflow(model, 0)
    assert {n: p.capacity for n, p in wf.expertise.pools.items()} == {"vt": 2, "gi": 2, "rvdk": 2, "vertrouwensarts": 1}
    _inject(wf, [0.0, 0.25, 0.5])
    consult_done = []
    probe = {}
    arts = ConsultSpec("medisch", "vertrouwensarts", 1.0, {"groen": 1.0, "oranje": 1.0, "rood": 1.0})

    def ask_consult(_):
        fam = wf.families[0]
        wf.expertise.consult(fam, arts, lambda f, name: consult_done.append(wf.engine.now))

    def look(_):
        probe.update({n: (p.busy, p.queued) for n, p in wf.expertise.pools.items()})

    wf.engine.at(0.3, ask_consult)
    wf.engine.at(0.6, look)
    wf.run()
    starts = [f.triage_start for f in sorted(wf.families, key=lambda f: f.family_id) if f.episode == 0]
    ends = [f.triage_end for f in sorted(wf.families, key=lambda f: f.family_id) if f.episode == 0]
    assert starts == pytest.approx([0.0, 1.0, 2.2])
    assert ends == pytest.approx([1.0, 2.0, 3.2])
    assert consult_done == pytest.approx([2.2])
    # at 0.6: meeting 1 holds one of each; meetings 2 and 3 and the consult wait and hold nobody
    assert probe == {"vt": (1, 2), "gi": (1, 2), "rvdk": (1, 2), "vertrouwensarts": (1, 3)}
    first = [f for f in wf.families if f.family_id == 0 and f.episode == 0][0]
    assert first.meeting_hours == pytest.approx(5 * 4)  # 5 hours, four participants


def test_samen_in_crisis_families_do_not_retell_their_story_at_gi_and_rvdk():
    model = model_of("samen_in_crisis", "families.colour.groen=0.0", "families.colour.oranje=0.5",
                     "families.colour.rood=0.5", "routing.rood_spoed=1.0", "scenario.effects.spoed_averted=0.0")
    fam = runner.run(model, jobs=1, progress=False).families
    seq = runner.run(model_of("sequential", "families.colour.groen=0.0", "families.colour.oranje=0.5",
                              "families.colour.rood=0.5", "routing.rood_spoed=1.0"), jobs=1, progress=False).families
    rood = fam[(fam["colour"] == "rood") & (fam["route"] != "direct") & fam["triage_end"].notna()]
    seq_rood = seq.merge(rood[["replication", "case_id"]], on=["replication", "case_id"])
    assert len(rood) > 20
    # today: intake at VT, then stories at the court, the GI and the Raad; with the MDO only VT's and the court's
    assert rood["stories_told"].mean() < seq_rood["stories_told"].mean() - 1.5
    assert (rood["meeting_hours"] > 0).all()


def test_utrecht_west_table_means_fewer_save_begeleidingen_vt_onderzoeken_and_raad_requests():
    extra = ["families.colour.groen=0.0", "families.colour.oranje=1.0", "families.colour.rood=0.0",
             "run.years=2", "run.replications=3",
             "voluntary_gi.from_vt=0.05", "voluntary_gi.from_buurtteam=0.2"]  # today's drang route on in both arms
    seq = runner.run(model_of("sequential", *extra), jobs=1, progress=False).runs
    uw = runner.run(model_of("utrecht_west", *extra, "scenario.effects.vt_onderzoek_averted=0.5",
                             "scenario.effects.rvdk_averted=0.5", "scenario.effects.save_averted=0.5"),
                    jobs=1, progress=False).runs
    assert uw["vt_onderzoeken_per_year"].mean() < 0.8 * seq["vt_onderzoeken_per_year"].mean()
    assert uw["gi_voluntary_per_year"].mean() < 0.8 * seq["gi_voluntary_per_year"].mean()
    assert uw["rvdk_onderzoeken_per_year"].mean() < seq["rvdk_onderzoeken_per_year"].mean()
    assert (uw["meeting_hours_per_family"] > 0).all()


def test_blijvend_veilig_fewer_returns_and_longer_help_for_families_with_debts():
    """The team treats the adults' problems: families with them come back less often and get longer help than the
    same families with the root-cause effects off; families without them are not touched by those effects."""
    extra = ["run.years=2", "run.replications=3"]
    off = ["scenario.effects.debt_help_factor=1.0", "scenario.effects.escalation_averted=0.0",
           "scenario.effects.reentry_averted=0.0"]
    base = runner.run(model_of("blijvend_veilig", *extra, *off), jobs=1, progress=False)
    bv = runner.run(model_of("blijvend_veilig", *extra, "scenario.effects.reentry_averted=0.8",
                             "scenario.effects.debt_help_factor=1.5"), jobs=1, progress=False)
    assert (bv.families["episode"] > 0).sum() < 0.9 * (base.families["episode"] > 0).sum()
    helped = lambda f: f[f["outcome"] == "vrijwillige_hulp_afgerond"]  # noqa: E731
    length = lambda f: (helped(f)["closed"] - helped(f)["help_start"]).mean()  # noqa: E731
    assert length(bv.families) > 1.05 * length(base.families)


# ====================================================================== configuration


def test_scenario_values_have_a_provenance():
    for path in sorted((CONF / "scenario").glob("*.yaml")):
        found, missing = provenance.read_file(path, "scenario")
        assert not missing, f"{path.name}: no source/derived/assumption comment for {missing}"


def test_every_assumed_effect_names_its_range():
    for path in sorted((CONF / "scenario").glob("*.yaml")):
        for p in provenance.read_file(path, "scenario")[0]:
            if p.key.startswith("scenario.effects."):
                assert p.kind == "assumption" and "range" in p.text, (path.name, p.key)


@pytest.mark.parametrize("override, message", [
    # an effect the workflow does not declare is not in its file: it is added with + and then refused
    ("+scenario.effects.reentry_reduction=0.2", r"^scenario.effects.reentry_reduction is set, but workflow 'integrated'"),
    ("scenario.effects.duo_workload=-1", r"^scenario.effects.duo_workload = -1"),
    ("scenario.team.gi_mandate=raad", r"^scenario.team.gi_mandate = 'raad' \(allowed: duo, gi\)"),
    ("scenario.consults.vt.need.rood=1.5", r"^scenario.consults.vt.need.rood = 1.5"),
    ("scenario.meetings.crisis.participants=[vt,arts]", r"^scenario.meetings.crisis.participants\[1\] = 'arts'"),
    ("scenario.effects.assessment_factor=0", r"^scenario.effects.assessment_factor = 0"),
])
def test_bad_scenario_values_give_one_line_errors(override, message):
    with pytest.raises(ConfigError, match=message) as err:
        model_of("integrated", override)
    assert "\n" not in str(err.value)


def test_sequential_refuses_scenario_values_it_would_ignore():
    with pytest.raises(ConfigError, match=r"^scenario.effects.help_duration_factor is set, but workflow 'sequential'"):
        model_of("sequential", "+scenario.effects.help_duration_factor=1.2")


def test_assumptions_table_lists_the_scenario_file_and_structure():
    from sim.cli import assumptions_table
    from tests.conftest import compose_cfg

    cfg = compose_cfg([*TINY, "scenario=integrated", "scenario.effects.duo_workload=1.2"])
    model = make_model([*TINY, "scenario=integrated", "scenario.effects.duo_workload=1.2"])
    table = assumptions_table(cfg, model)
    rows = table.set_index("parameter")
    assert rows.loc["scenario.effects.duo_workload", "value"] == "1.2"  # the value in force, not the file's default
    assert rows.loc["scenario.effects.duo_workload", "file"] == "scenario/integrated.yaml"
    assert "scenario.effects.assessment_factor" in rows.index
    assert "structure.help_start" in rows.index
