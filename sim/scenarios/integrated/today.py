"""Where today's open cases stand in the integrated workflow (``run.start=today``).

The team takes over the open cases of the partners whose staff moved in (cases in care keep their remaining time,
waiting cases queue for the team's places); cases outside the team's area, and stages the team does not take over
(the lokaal team's help when it keeps voluntary help, the GI's measures when the GI keeps them), start in today's
chain as ``sim/scenarios/sequential/today.py`` puts them. The Raad and the court keep their cases.
"""

from __future__ import annotations

from typing import Any

from sim.chain.entities import Family
from sim.scenarios.sequential.today import SequentialToday


class IntegratedToday(SequentialToday):
    """Mixin of ``Integrated`` (before ``Sequential`` in its bases): ``super()`` is today's chain's resume."""

    def resume_triage_waiting(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam):
            return super().resume_triage_waiting(fam, case)
        self.team.joint_triage(fam, self.after_joint_triage, waiting_since=case.entered)

    def resume_triage_in_progress(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam):
            return super().resume_triage_in_progress(fam, case)
        self.team.joint_triage(fam, self.after_joint_triage, remaining=case.remaining)

    def resume_vt_onderzoek(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam):
            return super().resume_vt_onderzoek(fam, case)
        self._resume_assessment(fam, case, "vt_onderzoek")

    def resume_vt_vervolg(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam):
            return super().resume_vt_vervolg(fam, case)
        self._resume_assessment(fam, case, "vt_vervolg")

    def _resume_assessment(self, fam: Family, case: Any, path: str) -> None:
        self.team.take_over(fam)

        def done(f: Family) -> None:
            setattr(f, f"{path}_end", self.engine.now)
            self.after_assessment(f, path)

        self.engine.at(case.remaining, done, fam)

    def resume_buurtteam(self, fam: Family, case: Any) -> None:
        entry = "direct" if fam.route == "direct" else "overdracht"
        if not self.in_team(fam) or entry not in self.params.team.holds_voluntary:
            return super().resume_buurtteam(fam, case)
        self.team.take_over(fam, function="voluntary")
        self.engine.at(case.remaining, self._duo_help_done if case.suffices else self._duo_help_failed, fam)

    def resume_rvdk_waiting(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam):
            return super().resume_rvdk_waiting(fam, case)
        self.team.take_over(fam)
        self.rvdk.beschermingsonderzoek(fam, self.after_team_raadsonderzoek, waiting_since=case.entered)

    def resume_rvdk_in_care(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam):
            return super().resume_rvdk_in_care(fam, case)
        self.team.take_over(fam)
        self.rvdk.beschermingsonderzoek(fam, self.after_team_raadsonderzoek, remaining=case.remaining)

    def resume_court_pending(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam):
            return super().resume_court_pending(fam, case)
        self.team.take_over(fam)
        self.court.verzoekschrift(fam, self.after_team_beschikking, remaining=case.remaining)

    def resume_gi_waiting(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam) or self.params.team.gi_mandate != "duo":
            return super().resume_gi_waiting(fam, case)
        fam.measure = case.measure

        def assigned(f: Family, _: str) -> None:
            self.duo_mandate(f)
            self.gi.uitvoeren(f, f.measure, self._team_measure_ended)

        self.team.take_on(fam, assigned, function="measure", waiting_since=case.entered)

    def resume_gi_in_care(self, fam: Family, case: Any) -> None:
        if not self.in_team(fam) or self.params.team.gi_mandate != "duo":
            return super().resume_gi_in_care(fam, case)
        fam.measure = case.measure
        fam.extensions = case.completed_terms
        self.team.take_over(fam, function="measure")
        self.gi.uitvoeren(fam, case.measure, self._team_measure_ended, first_term=case.remaining)
