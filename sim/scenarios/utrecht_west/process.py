"""Pilot Jeugdbescherming Utrecht-West: a joint early assessment table, led by the lokaal team.

Read beside seed 003 ("met elkaar in een vroeg stadium beoordelen wat er nodig is"; "zo halen we het 'dubbel
doen' uit de keten. Nu is het zo dat het lokale team er iets van vindt, dan vindt Veilig Thuis er iets van en dan
vindt SAVE er iets van"; "minder inzet van Veilig Thuis ... en vooral ook minder inzet van SAVE als er nog geen
jeugdbeschermingsmaatregel is (SAVE-begeleiding)"; "het aantal SAVE-begeleidingen loopt terug"; the jeugdteam's
gedragsdeskundige leads the table) and domain.md 2a step 4. Everything else is today's chain, including its
voluntary GI begeleiding (drang, SAVE-begeleiding: ``voluntary_gi.*``).

The table (scenario.meetings.table: one person each of the lokaal team, Veilig Thuis, the GI and the RvdK at the
same time; agenda delay, then when all are free) meets at the EARLY stage, before anyone refers the family on:
    1. the lokaal team's concern: voluntary help does not suffice -> the table, while the lokaal team keeps the
       family -> today's escalation decision (the GI under drang, a VT onderzoek, a verzoek tot onderzoek), except
       that the table keeps the family in voluntary help at the lokaal team instead of
       SAVE-begeleiding (effects.save_averted), a VT onderzoek (effects.vt_onderzoek_averted) or a verzoek tot
       onderzoek (effects.rvdk_averted);
    2. an oranje / rood melding, once Veilig Thuis has done the veiligheidsbeoordeling the law asks of it (5
       werkdagen) and BEFORE its investigation: the table instead of Veilig Thuis's own triage decision ->
       today's decision (routing.vt_triage, and voluntary_gi.from_vt for the families handed to voluntary help),
       with the same three averted shares;
    -> a family kept in voluntary help or sent to the lokaal team by the table is handed over on the table's shared
       view: no new intake, no new story (the lokaal team sat at the table).
    rood spoed (voorlopige OTS) and groen meldingen: today's chain.

Cost: the table's hours for every participant and the wait for the table. Staff: the table's persons on duty are
a share of their partners' FTE (``scenario.experts``); total FTE equals today's chain. Every effect is an
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
        ("structure.table_position", "early: the lokaal team's concern, and a melding before VT's investigation",
         "seed 003: 'in een vroeg stadium beoordelen wat er nodig is', led by the jeugdteam; Veilig Thuis still "
         "does the veiligheidsbeoordeling the law asks of it"),
        ("structure.voluntary_gi", "today's voluntary GI begeleiding (voluntary_gi.*)",
         "the table can keep a family in voluntary help at the lokaal team instead of SAVE-begeleiding"),
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
        self.averts_save = self.streams.bernoulli("route.table_averts_save")

    def averted(self, route: str) -> bool:
        """Does the table keep the family in voluntary help instead of ``route`` (gi, vt_onderzoek / veilig_thuis,
        rvdk)? Each from a stream of its own; other routes are never averted."""
        e = self.params.effects
        if route == "gi":
            return self.averts_save.chance(e.save_averted)
        if route in ("vt_onderzoek", "veilig_thuis"):
            return self.averts_onderzoek.chance(e.vt_onderzoek_averted)
        if route == "rvdk":
            return self.averts_raad.chance(e.rvdk_averted)
        return False

    # ------------------------------------------------------------------ 1. the lokaal team's concern
    def after_vrijwillige_hulp(self, fam: Family, outcome: str) -> None:
        if outcome == "done" or self.table is None:
            super().after_vrijwillige_hulp(fam, outcome)
            return
        fam.escalations += 1
        self.expertise.meeting(fam, self.table, self.after_early_table)  # the lokaal team keeps the family

    def after_early_table(self, fam: Family, _: str) -> None:
        route = self.escalation_decision(fam)
        if self.averted(route):
            self.buurtteam.discharge(fam)
            shared_handoff(self, fam, "buurtteam", self.vrijwillige_hulp, urgent=False)
        else:
            self.escalate(fam, route)

    # ------------------------------------------------------------------ 2. a melding before VT's investigation
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
        if route == "buurtteam":
            route = self.vt_voluntary_decision(fam)  # buurtteam, or the GI (SAVE-begeleiding)
        if route == "gi" and not self.averted(route):
            self.handoff(fam, "gi", self.gi_begeleiding)
        elif route in ("buurtteam", "gi") or self.averted(route):
            shared_handoff(self, fam, "buurtteam", self.vrijwillige_hulp, urgent=False)
        else:
            self.route_after_triage(fam, route)
