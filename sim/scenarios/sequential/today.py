"""Where today's open cases stand in today's chain (``run.start=today``): one ``resume_<stage>`` per stage.

Each case of the region's initial state (``sim/chain/initial_state.py``) enters the chain through the method of its stage
(``Workflow.seed_initial_state``). Waiting cases join the waiting list ahead of every new request, oldest first,
with the days they have already waited (``CaseloadPool.backlog``: not an arrival of the window); cases in care hold
their places and finish their current step after ``case.remaining`` days, then follow the chain as any other
family. Simplification: a family waiting for the Raad on the start date holds no place at its melder (VT or
buurtteam); the melders' own open caseloads are in their counts (veilig_thuis.*, buurtteam.in_care).
"""

from __future__ import annotations

from typing import Any

from sim.chain.entities import Family


class SequentialToday:
    """Mixin of ``Sequential``: it uses the chain's actors (``self.vt``, ``self.buurtteam``, ...) and decisions."""

    def resume_triage_waiting(self, fam: Family, case: Any) -> None:
        self.vt.veiligheidsbeoordeling(fam, self.after_veiligheidsbeoordeling, waiting_since=case.entered)

    def resume_triage_in_progress(self, fam: Family, case: Any) -> None:
        self.vt.veiligheidsbeoordeling(fam, self.after_veiligheidsbeoordeling, remaining=case.remaining)

    def resume_vt_onderzoek(self, fam: Family, case: Any) -> None:
        self.vt.onderzoek(fam, self.after_vt_onderzoek, remaining=case.remaining)

    def resume_vt_vervolg(self, fam: Family, case: Any) -> None:
        self.vt.vervolg(fam, self.after_vt_vervolg, remaining=case.remaining)

    def resume_buurtteam(self, fam: Family, case: Any) -> None:
        self.buurtteam.vrijwillige_hulp(fam, case.suffices, self.after_vrijwillige_hulp, remaining=case.remaining)

    def resume_rvdk_waiting(self, fam: Family, case: Any) -> None:
        self.rvdk.beschermingsonderzoek(fam, self.after_raadsonderzoek, waiting_since=case.entered)

    def resume_rvdk_in_care(self, fam: Family, case: Any) -> None:
        self.rvdk.beschermingsonderzoek(fam, self.after_raadsonderzoek, remaining=case.remaining)

    def resume_court_pending(self, fam: Family, case: Any) -> None:
        self.court.verzoekschrift(fam, self.after_beschikking, remaining=case.remaining)

    def resume_gi_waiting(self, fam: Family, case: Any) -> None:
        fam.measure = case.measure
        self.gi.toewijzen(fam, self.maatregel_gestart, waiting_since=case.entered)

    def resume_gi_in_care(self, fam: Family, case: Any) -> None:
        fam.measure = case.measure
        fam.extensions = case.completed_terms
        self.gi.lopende_maatregel(fam, case.measure, case.remaining, self.maatregel_beeindigd)
