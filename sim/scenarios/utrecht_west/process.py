"""Pilot Jeugdbescherming Utrecht-West: a joint early assessment table for oranje and rood families.

Read beside seed 003 ("met elkaar in een vroeg stadium beoordelen wat er nodig is"; "zo halen we het 'dubbel
doen' uit de keten"; "minder inzet van Veilig Thuis ... en vooral ook minder inzet van SAVE als er nog geen
jeugdbeschermingsmaatregel is"; families bouncing VT -> lokaal -> GI -> lokaal -> RvdK) and domain.md 2a step 4
(the jeugdbeschermingstafel decides to start, postpone or avert a Raad onderzoek). Everything else is today's chain.

    melding -> Veilig Thuis veiligheidsbeoordeling (as today); rood spoed as today
        oranje / rood -> the early assessment table (scenario.meetings.table): one person each of the lokaal team,
            Veilig Thuis, the GI and the RvdK at the same time (agenda delay, then when all are free)
            -> today's triage decision (routing.vt_triage), except that the table replaces
               a VT onderzoek by voluntary help at the lokaal team (effects.vt_onderzoek_averted) and
               a verzoek tot onderzoek by voluntary help (effects.rvdk_averted)
            -> a family sent to the lokaal team by the table is handed over on the table's shared view: no new
               intake, no new story (the lokaal team sat at the table)
        groen -> today's chain

Limitation, stated: today's chain in this model has no voluntary GI involvement without a measure (SAVE-
begeleiding, 'drang'), so the pilot's "fewer voluntary GI involvements" cannot appear as such; the model shows
the nearest effect it has, fewer verzoeken tot onderzoek decided at the table (and so fewer Raad onderzoeken and
measures). Cost: the table's hours for every participant and the wait for the table. Staff: the table's persons on
duty are a share of their partners' FTE (``scenario.experts``); total FTE equals today's chain. Every effect is an
assumption (``conf/scenario/utrecht_west.yaml``); with ``scenario.meetings.table.enabled=false`` this is today's
chain, bit for bit. Its parameters: ``params.py``; today's open cases stand as in today's chain.
"""

from __future__ import annotations

from dataclasses import replace

from sim.actors.expertise import Expertise
from sim.chain.entities import Family
from sim.scenarios.samen_in_crisis.process import shared_handoff
from sim.scenarios.sequential import Sequential
from sim.scenarios.utrecht_west.params import UtrechtWestParams


class UtrechtWest(Sequential):
    name = "utrecht_west"
    structural_assumptions = (
        ("structure.table_position", "after the veiligheidsbeoordeling, meldingen only",
         "assumption: Veilig Thuis assesses safety first; the table then decides what is needed (seed 003)"),
        ("structure.voluntary_gi", "not in the model",
         "today's chain has no voluntary GI involvement; the pilot's effect on it is shown as fewer verzoeken"),
    )

    def build(self) -> None:
        p: UtrechtWestParams = self.model.scenario.params
        self.params = p
        self.table = p.meetings["table"] if p.meetings["table"].enabled else None
        if self.table is not None:
            self.model = replace(self.model, staffing=p.staffing)
        super().build()
        if self.table is None:
            return
        self.expertise = self.add(Expertise(self, p.experts, self.model.work_hours_per_day, p.meetings))
        self.averts_onderzoek = self.streams.bernoulli("route.table_averts_vt_onderzoek")
        self.averts_raad = self.streams.bernoulli("route.table_averts_rvdk")

    def after_veiligheidsbeoordeling(self, fam: Family, _: str) -> None:
        if fam.crisis and self.spoed.chance(self.model.rood_spoed):
            self.spoedprocedure(fam)
            return
        if self.table is not None and fam.colour in self.table.colours:
            self.expertise.meeting(fam, self.table, self.after_table)
            return
        self.route_after_triage(fam, self.triage_decision(fam))

    def after_table(self, fam: Family, _: str) -> None:
        route = self.triage_decision(fam)
        if route == "vt_onderzoek" and self.averts_onderzoek.chance(self.params.effects.vt_onderzoek_averted):
            route = "buurtteam"
        elif route == "rvdk" and self.averts_raad.chance(self.params.effects.rvdk_averted):
            route = "buurtteam"
        if route == "buurtteam":
            shared_handoff(self, fam, "buurtteam", self.vrijwillige_hulp, urgent=False)
        else:
            self.route_after_triage(fam, route)
