"""What waiting does to families (sim/chain/waiting.py, issue 16): each test can fail for the reason it names.

- every rate at zero: the run is the run without the mechanisms, value for value (and golden passes unchanged:
  its fixtures have no ``waiting`` section);
- a longer wait never lowers the number of escalations (paired seeds: the same draws, a longer wait);
- a hand-computed trace: an oranje family on the Raad's list turns rood at the time its Weibull clock gives, and
  takes the spoed path (voorlopige OTS a day later);
- drop-out: a family leaves the lokaal team's list, its episode closes, nothing is held or lost;
- vervolgmeldingen during the veiligheidsbeoordeling at the configured rate (within 4 standard errors);
- a bad value is one line naming the field;
- no measure outlives the child's eighteenth birthday (hypothesis over seeds), today's open measures fit the
  child's age, and ageing out is counted.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.chain.demand import Arrivals
from sim.chain.entities import WAITING_COUNTERS, WAITING_TIMES
from sim.chain.waiting import QUEUES, REFERENCE_DAYS, step_time
from sim.kernel.streams import Streams
from sim.run import runner
from sim.scenarios.sequential import Sequential
from tests.conftest import PATIENT, make_model, staff
from tests.conftest import PLAIN as PLAIN_WITH_PATIENT

# the plain queues of conftest, but with issue 16's mechanisms left in place: these tests switch them on one by one
PLAIN = [o for o in PLAIN_WITH_PATIENT if o not in PATIENT]

ZERO = [*(f"waiting.escalation_within_90_days.{q}=0" for q in QUEUES),
        *(f"waiting.dropout_per_year.{q}=0" for q in QUEUES),
        "waiting.vervolgmelding.pending_per_day=0", "waiting.vervolgmelding.casework_per_day=0"]
NO_ESCALATION = [f"waiting.escalation_within_90_days.{q}=0" for q in QUEUES]
NO_DROPOUT = [f"waiting.dropout_per_year.{q}=0" for q in QUEUES]
NO_VERVOLG = ["waiting.vervolgmelding.pending_per_day=0", "waiting.vervolgmelding.casework_per_day=0"]


def _arrivals(times: list[float], colours: list[int]) -> Arrivals:
    n = len(times)
    return Arrivals(time=np.asarray(times, float), route=np.zeros(n, np.int8),
                    colour=np.asarray(colours, np.int8).reshape(n, 1), n_children=np.ones(n, np.int64),
                    voluntary_u=np.zeros((n, 1)), reentry_u=np.ones((n, 1)), return_after=np.zeros((n, 1)))


def _route(name: str, **probs: float) -> list[str]:
    from sim.chain.checks import ROUTING_OPTIONS

    return [f"routing.{name}.{opt}={probs.get(opt, 0.0)}" for opt in ROUTING_OPTIONS[name]]


# ---------------------------------------------------------------------------------------------- rates at zero
@pytest.mark.parametrize("scenario", ["sequential", "integrated", "samen_in_crisis"])
def test_every_rate_zero_gives_the_run_without_the_mechanisms(scenario):
    base = ["region=gelderland", "run.years=0.5", "run.replications=2", "run.quiet=true", f"scenario={scenario}"]
    without = runner.run(make_model([*base, "~waiting"]), progress=False)
    zero = runner.run(make_model([*base, *ZERO]), progress=False)
    assert make_model([*base, "~waiting"]).waiting is None
    # the families table: the same columns, then the mechanisms' own (never happened, zero)
    assert [c for c in zero.families.columns if c not in without.families.columns] == [*WAITING_TIMES, *WAITING_COUNTERS]
    assert [c for c in zero.families.columns if c in without.families.columns] == list(without.families.columns)
    pd.testing.assert_frame_equal(zero.families[without.families.columns], without.families)
    assert zero.families[["escalated_at", "dropped_out_at"]].isna().all().all()  # a voorlopige OTS still happens
    assert (zero.families[list(WAITING_COUNTERS)] == 0).all().all()
    pd.testing.assert_frame_equal(zero.timeseries, without.timeseries)
    pd.testing.assert_frame_equal(zero.runs[without.runs.columns], without.runs)
    new = set(zero.runs.columns) - set(without.runs.columns)
    assert new == {kpis.CRISIS_ESCALATIONS_PER_1000, kpis.COLOUR_STEPS_PER_1000, kpis.VOORLOPIGE_OTS_PER_YEAR,
                   kpis.UITHUISPLAATSINGEN_PER_YEAR, kpis.VERVOLGMELDINGEN_PER_YEAR, kpis.SHARE_VERVOLGMELDINGEN,
                   kpis.DROPOUTS_PER_1000}
    assert (zero.runs[kpis.CRISIS_ESCALATIONS_PER_1000] == 0).all()
    assert (zero.runs[kpis.DROPOUTS_PER_1000] == 0).all()
    assert (zero.runs[kpis.SHARE_VERVOLGMELDINGEN] == 0).all()


# ---------------------------------------------------------------------------------------------- the Raad's list
RAAD = ["durations.vt_triage={dist:deterministic,value:3}", "durations.transfer={dist:deterministic,value:2}",
        "durations.court_spoed={dist:deterministic,value:1}", *_route("vt_triage", rvdk=1),
        *_route("rvdk_outcome", close=1)]


def _raad_model(onderzoek_days: float, p_rvdk: float, spoed: float = 0.0):
    return make_model(["region=demo", *PLAIN, "run.warmup_years=0", "run.years=3", "run.event_log=true",
                       *staff("veilig_thuis", 10, triage_share=0.1, triage_caseload=1),
                       *staff("rvdk", 1), *RAAD, f"durations.rvdk_onderzoek={{dist:deterministic,value:{onderzoek_days}}}",
                       f"routing.rood_spoed={spoed}", *NO_ESCALATION, f"waiting.escalation_within_90_days.rvdk={p_rvdk}",
                       *NO_DROPOUT, *NO_VERVOLG])


def _raad_trace(model, seed: int) -> Sequential:
    """Two oranje families through a one-place front desk to a one-place Raad (:func:`_raad_model`): the first
    holds the Raad's place for the onderzoek's days, the second waits for it (from day 8 to day 5 + those days).
    Escalation only on the Raad's list; no drop-out, no vervolgmeldingen."""
    wf = Sequential(replace(model, run=replace(model.run, seed=seed)), 0)
    wf.arrivals = _arrivals([0.0, 1.0], [1, 1])
    return wf.run()


def test_a_longer_wait_never_lowers_the_escalations_paired_seeds():
    waits = (20.0, 60.0, 120.0, 240.0)
    counts = []
    for days in waits:
        model = _raad_model(days + 3.0, 0.3)
        counts.append([_raad_trace(model, seed).families[1].worsened for seed in range(40)])
    counts = np.asarray(counts)
    assert (np.diff(counts, axis=0) >= 0).all()  # per seed: the same clock, a longer wait
    totals = counts.sum(axis=1)
    assert totals[-1] > totals[0]  # and the wait matters at all
    # the expected number rises as the Weibull clock says: P(a step within w) = 1 - 0.7^((w/90)^1.5)
    p = [1 - 0.7 ** ((w / REFERENCE_DAYS) ** 1.5) for w in waits]
    assert np.all(np.diff(p) > 0)


def test_hand_trace_oranje_turns_rood_on_the_raads_list_and_takes_the_spoed_path():
    seed, p, shape = 11, 0.5, 1.5
    wf = _raad_trace(_raad_model(400.0, p, spoed=1.0), seed)
    first, second = wf.families
    # by hand: the second family joins the Raad's list at 8 (front desk free at 3, triage 3 days, transfer 2 days)
    raad = [(lc, time) for cid, a, o, lc, time in wf.events if cid == second.case_id and a == "beschermingsonderzoek"]
    assert raad[0] == ("schedule", 8.0)
    u = Streams(seed, 0).generator("waiting.escalation").random(1)[0]  # its clock's one draw
    scale = 90.0 / (-math.log(1 - p)) ** (1 / shape)
    t = scale * (-math.log(1 - u)) ** (1 / shape)
    assert t == pytest.approx(step_time(scale, shape, 0.0, -math.log1p(-u))[0], rel=1e-12)
    assert t < 397.0, "the seed must give a step before the first family frees the Raad's place"
    assert second.escalated_at == pytest.approx(8.0 + t, abs=1e-9)
    assert (second.colour, second.worsened) == ("rood", 1)
    # rood on the Raad's list, rood_spoed 1: the spoedverzoek without transfer, a voorlopige OTS a day later
    assert second.vots_at == pytest.approx(8.0 + t + 1.0, abs=1e-9)
    events = [(a, o, time) for cid, a, o, lc, time in wf.events if cid == second.case_id and a == "verergering"]
    assert events == [("verergering", "rvdk", pytest.approx(8.0 + t, abs=1e-9))]
    assert first.worsened == 0 and math.isnan(first.escalated_at)  # never waited at the Raad


def test_rood_on_the_raads_list_without_spoed_moves_to_the_crisis_class():
    wf = _raad_trace(_raad_model(400.0, 0.5, spoed=0.0), 11)
    second = wf.families[1]
    assert second.colour == "rood" and math.isnan(second.vots_at)
    assert second.rvdk_start == 405.0  # still in line, now in the crisis class: starts when the place frees


# ---------------------------------------------------------------------------------------------- drop-out
def test_dropout_from_the_lokaal_teams_list():
    model = make_model(["region=demo", *PLAIN, "run.warmup_years=0", "run.years=1", "run.event_log=true",
                        *staff("veilig_thuis", 10, triage_share=0.5, triage_caseload=1), *staff("buurtteam", 1),
                        "durations.vt_triage={dist:deterministic,value:1}",
                        "durations.buurtteam_help={dist:deterministic,value:300}", "families.voluntary_suffices=1.0",
                        *_route("vt_triage", buurtteam=1), *NO_ESCALATION, *NO_DROPOUT, *NO_VERVOLG,
                        "waiting.dropout_per_year.buurtteam=52"])
    wf = Sequential(model, 0)
    wf.arrivals = _arrivals([0.0, 0.5, 0.7], [0, 0, 0])
    wf.run()
    first, *rest = wf.families
    assert first.buurtteam_start == 1.0 and math.isnan(first.dropped_out_at)
    for fam in rest:  # waiting 300 days at 52 a year: leaving is all but certain (exp(-42))
        assert fam.outcome == "uitgevallen" and fam.dropped_out_at < 301.0
        assert fam.closed == fam.dropped_out_at and not fam.holds
        assert math.isnan(fam.buurtteam_start)
    assert wf.engine.pools["buurtteam"].waiting_cases == 0


# ---------------------------------------------------------------------------------------------- vervolgmeldingen
def test_vervolgmeldingen_during_the_beoordeling_at_the_configured_rate():
    rate, days = 0.2, 3.0
    model = make_model(["region=demo", *PLAIN, "run.warmup_years=0", "run.years=1", "run.replications=1",
                        "demand.buurtteam_direct_per_year=0", f"durations.vt_triage={{dist:deterministic,value:{days}}}",
                        *staff("veilig_thuis", 5000, triage_share=0.5, triage_caseload=1), *_route("vt_triage", close=1),
                        *NO_ESCALATION, *NO_DROPOUT, f"waiting.vervolgmelding.pending_per_day={rate}",
                        "waiting.vervolgmelding.casework_per_day=0"])
    fam = runner.run(model, progress=False).families
    assert len(fam) > 200
    counts = fam["vervolgmeldingen"].to_numpy()
    # Poisson with mean rate x days per melding (no wait at a desk this large)
    assert counts.mean() == pytest.approx(rate * days, abs=4 * math.sqrt(rate * days / len(counts)))


# ---------------------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("override, message", [
    ("waiting.escalation_within_90_days.rvdk=1.0", "waiting.escalation_within_90_days.rvdk = 1.0"),
    ("+waiting.dropout_per_year.court=0.1", "waiting.dropout_per_year.court"),
    ("waiting.vervolgmelding.triage_hours=-1", "waiting.vervolgmelding.triage_hours"),
])
def test_bad_values_are_one_line(override, message):
    with pytest.raises(ConfigError) as err:
        make_model(["region=demo", override])
    assert message in str(err.value) and "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------- age: 18 at the latest
ADULT = 18 * 365.25


def _assert_no_measure_beyond_18(fam: pd.DataFrame, horizon: float) -> int:
    """Every measure ended by the child's 18th birthday; one still running at the end is before it; returns how many
    aged out."""
    measured = fam[fam["measure"].isin(["ots", "ots_uhp", "voogdij"])]
    assert (measured["born"].notna()).all()
    adult = measured["born"] + ADULT
    ended = measured["measure_end"]
    # a regular measure runs no term past the 18th birthday: it ends then, or (a measure decided after a voorlopige
    # OTS, or one whose jeugdbeschermer came after the birthday) the moment it would start running
    started = measured[["gi_first_contact", "court_decision"]].max(axis=1)
    assert (ended[ended.notna()] <= np.maximum(adult, started)[ended.notna()] + 1e-6).all()
    # the court grants no measure to an adult (a family's regular request decided before its 18th birthday)
    decided = measured[measured["vots_at"].isna() & ~measured["preexisting"].astype(bool) & (measured["court_decision"] >= 0)]
    assert (decided["court_decision"] < decided["born"] + ADULT + 1e-6).all()
    running = measured[ended.isna() & measured["gi_first_contact"].notna() & measured["closed"].isna()]
    assert (running["born"] + ADULT >= horizon - 1e-6).all()
    aged = fam[fam["aged_out_at"].notna()]
    started_aged = aged[["gi_first_contact", "court_decision"]].max(axis=1)
    assert (aged["aged_out_at"] >= aged["born"] + ADULT - 1e-6).all()  # never before the birthday
    assert (aged["aged_out_at"] <= np.maximum(aged["born"] + ADULT, started_aged) + 1e-6).all()
    assert (aged["outcome"].isin(["meerderjarig", "open"]) | aged["preexisting"].astype(bool)).all()
    return len(aged)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True,
          phases=[Phase.generate])
@given(seed=st.integers(0, 10_000))
def test_no_measure_outlives_the_eighteenth_birthday(seed):
    # the demo region with today's open measures replaced by a short run from empty; ages as configured, a chain
    # where many children get a measure (every triage to the Raad, every onderzoek to the court)
    model = make_model(["region=demo", "run.start=empty", "run.warmup_years=0", "run.years=3", "run.replications=1",
                        f"run.seed={seed}", "run.quiet=true", *_route("vt_triage", rvdk=1),
                        *_route("rvdk_outcome", verzoek=1), "measures.voogdij.extension_probability=0.99",
                        "measures.ots.extension_probability=0.99"])
    fam = runner.run(model, progress=False).families
    assert _assert_no_measure_beyond_18(fam, 3 * 365.0) > 0  # and the rule really applied


def test_todays_open_measures_fit_their_childs_age():
    model = make_model(["region=gelderland", "run.years=1", "run.replications=1", "run.quiet=true"])
    res = runner.run(model, progress=False)
    fam = res.families
    pre = fam[fam["preexisting"]]
    assert len(pre) > 1000 and pre["born"].notna().all()
    history = pre[["arrival", "gi_request", "gi_first_contact", "rvdk_request"]].min(axis=1)
    assert (history >= pre["born"] - 1e-9).all()  # nothing happened before the child was born
    assert (-pre["born"] < ADULT).all()  # every child is under 18 on the start date
    assert _assert_no_measure_beyond_18(fam, 365.0) > 0
    assert res.runs[kpis.AGED_OUT_PER_YEAR].iloc[0] > 0


def test_without_ages_the_tables_are_those_of_before():
    base = ["region=demo", "run.years=0.5", "run.replications=1", "run.quiet=true"]
    without = runner.run(make_model([*base, "families.age_at_melding=null", "families.age_in_care=null"]), progress=False)
    assert "born" not in without.families.columns and kpis.AGED_OUT_PER_YEAR not in without.runs.columns
