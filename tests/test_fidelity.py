"""Issue 18, fidelity (first half): each mechanism in a hand-computed trace, and each new setting at its no-effect
value leaving the recorded (golden) outputs of every workflow unchanged.

- voluntary GI begeleiding without a measure (drang, SAVE-begeleiding, ``voluntary_gi.*``) in today's chain;
- Utrecht-West's early, lokaal-team-led table averting a SAVE involvement;
- Ketenversnelling with the Raad a member of the Veiligheidsteam (its hours paid by the team's books);
- one registration form (``handoff.registration_form=shared``) saving intake hours at a re-referral.
"""

from __future__ import annotations

import math

import pytest
from omegaconf import OmegaConf

from sim.config import gate
from sim.config.schema import KetensimSchema
from sim.run import runner
from sim.scenarios.sequential import Sequential
from tests import test_golden as golden
from tests.conftest import PLAIN, make_model, staff
from tests.test_traces import _arrivals, _route

# deterministic durations: triage 3 days, transfer 2, voluntary begeleiding 20, the Raad 40
DET = ["durations.vt_triage={dist:deterministic,value:3}", "durations.transfer={dist:deterministic,value:2}",
       "durations.gi_voluntary={dist:deterministic,value:20}",
       "durations.rvdk_onderzoek={dist:deterministic,value:40}", "families.voluntary_suffices=1.0"]


def _run(workflow, overrides: list[str], times: list[float], colours: list[int], children: list[int] | None = None):
    model = make_model(["region=demo", *PLAIN, "run.warmup_years=0", "run.years=1", "run.event_log=true",
                        *staff("veilig_thuis", 10, triage_share=0.1, triage_caseload=1), *staff("buurtteam", 1),
                        *staff("rvdk", 1, caseload=4), *overrides])
    wf = workflow(model, 0)
    wf.arrivals = _arrivals(times, colours)
    if children is not None:
        wf.arrivals.n_children[:] = children
    return wf.run()


# ================================================================== voluntary GI begeleiding (drang)

def test_vt_hands_a_family_to_voluntary_gi_begeleiding_by_hand():
    # GI: 1 FTE at 2 children per FTE = 2 places; voluntary caseload 1 child per FTE: one child holds 2 places,
    # so the second family waits for the first one's begeleiding to end.
    wf = _run(Sequential, DET + _route("vt_triage", buurtteam=1) + staff("gi", 1, caseload=2)
              + ["voluntary_gi.from_vt=1.0", "voluntary_gi.to_rvdk=0.0", "voluntary_gi.caseload=1"],
              [0.0, 1.0], [0, 0])
    f0, f1 = wf.families
    # f0: triage 0-3, transfer to the GI 3-5, begeleiding 5-25; f1: triage 3-6, at the GI at 8, waits until 25
    assert (f0.triage_end, f0.gi_voluntary_start, f0.gi_voluntary_end, f0.closed) == (3, 5, 25, 25)
    assert (f1.gi_voluntary_start, f1.closed) == (25, 45)
    assert f1.waits["gi"] == 17 and f0.help_start == 5
    assert math.isnan(f0.buurtteam_start) and math.isnan(f0.gi_request)  # no buurtteam, no measure
    assert f0.outcome == "vrijwillige_begeleiding_gi_afgerond" and f0.orgs == ["veilig_thuis", "gi"]
    assert (f0.handoffs, f0.intakes) == (1, 2) and not f0.holds


def test_voluntary_gi_begeleiding_that_fails_goes_to_the_raad_and_the_gi_keeps_the_family_until_it_starts():
    wf = _run(Sequential, DET + _route("vt_triage", buurtteam=1) + staff("gi", 1, caseload=2)
              + _route("rvdk_outcome", close=1)
              + ["voluntary_gi.from_vt=1.0", "voluntary_gi.to_rvdk=1.0", "voluntary_gi.caseload=2"],
              [0.0], [0])
    (f0,) = wf.families
    # begeleiding 5-25, transfer to the Raad 25-27, onderzoek 27-67; the GI's place is held until 27
    assert (f0.gi_voluntary_start, f0.rvdk_request, f0.rvdk_start, f0.gi_voluntary_end, f0.rvdk_end) == \
        (5, 27, 27, 27, 67)
    assert f0.escalations == 1 and f0.outcome == "afgesloten_door_raad"


def test_failed_voluntary_help_goes_to_the_gi_under_drang():
    wf = _run(Sequential, DET[:-1] + ["families.voluntary_suffices=0.0", "durations.buurtteam_help={dist:deterministic,value:50}",
                                      "durations.buurtteam_escalation_after={dist:deterministic,value:10}"]
              + _route("vt_triage", buurtteam=1) + staff("gi", 1, caseload=2)
              + ["voluntary_gi.from_vt=0.0", "voluntary_gi.from_buurtteam=1.0", "voluntary_gi.to_rvdk=0.0"],
              [0.0], [0])
    (f0,) = wf.families
    # buurtteam 5-15 (escalates after 10 days), transfer 15-17, begeleiding 17-37; no Raad
    assert (f0.buurtteam_start, f0.buurtteam_end, f0.gi_voluntary_start, f0.closed) == (5, 15, 17, 37)
    assert math.isnan(f0.rvdk_request) and f0.escalations == 1


# ================================================================== no-effect settings leave golden unchanged

NEW_COLUMNS = {"families": ("gi_voluntary_start", "gi_voluntary_end"), "runs": ("gi_voluntary_per_year",)}
# every new setting of this work at its no-effect value
NO_EFFECT = {"voluntary_gi": {"from_vt": 0.0, "from_buurtteam": 0.0},
             "handoff": {"registration_form": "separate"}}


def no_effect_model(case: str, extra: dict | None = None):
    """The golden case's stored configuration, new fields from conf/, the new settings at their no-effect values."""
    stored = OmegaConf.load(golden.config_path(case))
    composed = OmegaConf.create(golden.compose_case(case))
    cfg = OmegaConf.merge(OmegaConf.structured(KetensimSchema), composed, stored, NO_EFFECT, extra or {})
    return gate.validate(cfg)


@pytest.mark.slow
@pytest.mark.parametrize("case", golden.GOLDEN_CASES)
def test_new_settings_at_no_effect_reproduce_the_golden_outputs(case):
    expected = golden.GOLDEN_DATA["cases"][case]
    results = runner.run(no_effect_model(case), jobs=1, progress=False)
    for table, cols in NEW_COLUMNS.items():
        df = getattr(results, table)
        new = df[list(cols)]
        assert (new.isna() | (new == 0)).all().all(), f"{table}: {cols} not empty at no effect"
        setattr(results, table, df.drop(columns=list(cols)))
    got = golden.results_entry(results)
    diff = golden.differences(expected, got)
    assert not diff, "\n".join(diff)


# ================================================================== one registration form (Gelderse Verbeteragenda)

@pytest.mark.parametrize("form, hours, stories", [("separate", 2 + 3, 2), ("shared", 2 + 3 * (1 - 0.4), 1)])
def test_one_registration_form_saves_intake_hours_and_the_story_at_a_re_referral(form, hours, stories):
    # melding at Veilig Thuis (first intake, 2 h, inside its own work), overdracht to the buurtteam (a repeated
    # intake, 3 h): the shared form saves 40 % of the 3 h and (retold 0) the family does not tell its story again
    wf = _run(Sequential, DET + _route("vt_triage", buurtteam=1)
              + ["handoff.intake_hours.veilig_thuis=2", "handoff.intake_hours.buurtteam=3",
                 f"handoff.registration_form={form}", "handoff.shared_form_saving=0.4",
                 "handoff.shared_form_retold=0.0"], [0.0], [0])
    (f0,) = wf.families
    assert f0.intakes == 2 and f0.handoffs == 1
    assert f0.intake_hours == pytest.approx(hours, abs=1e-12)
    assert f0.stories_told == stories
    # the buurtteam's staff time taken by that intake: hours x places per FTE (1) / work hours per day
    repeated = hours - 2
    assert wf.engine.pools["buurtteam"].stats.spent == pytest.approx(repeated / wf.model.work_hours_per_day, rel=1e-12)


def test_the_shared_form_with_no_saving_and_every_story_retold_is_separate_forms():
    base = ["region=demo", "run.start=empty", "run.years=1", "run.warmup_years=0.5", "run.replications=1",
            "run.quiet=true"]
    sep = runner.run(make_model(base), progress=False)
    shared = runner.run(make_model(base + ["handoff.registration_form=shared", "handoff.shared_form_saving=0.0",
                                           "handoff.shared_form_retold=1.0"]), progress=False)
    for name in ("families", "runs"):
        a, b = getattr(sep, name), getattr(shared, name)
        assert a.drop(columns=["scenario"], errors="ignore").equals(b.drop(columns=["scenario"], errors="ignore"))
