"""Pilot Samen in Crisis (Rotterdam): rood meldingen go to one joint crisis MDO instead of three crisis teams.

Read beside seed 001 ("nu stuurt elke ketenpartner een eigen crisisteam"; "één overdraagbaar intakeformulier";
a crisismeter as a traffic light; "elke melding die bij binnenkomst op rood wordt ingedeeld, wordt direct
doorgezet naar het Samen in Crisis overleg ... inclusief een vertrouwensarts"; "wachten op elkaar is verleden
tijd"). Everything else is today's chain (``sim/scenarios/sequential``).

    rood melding -> (no veiligheidsbeoordeling at the Veilig Thuis front desk) the joint crisis MDO
        (scenario.meetings.crisis): one person each of Veilig Thuis, the GI, the RvdK and the vertrouwensarts at the
        same time; it starts after the agenda delay and only when all of them are free; it lasts longer with more
        participants. It is the family's veiligheidsbeoordeling (triage milestones), on one shared intake form.
        -> spoed (the same routing.rood_spoed decision as today), unless the joint plan makes the voorlopige OTS
           unnecessary (effects.spoed_averted): kinderrechter as today; the GI and the RvdK sat at the table, so
           they take the family on without a new intake or story (still a hand-off of responsibility), and the
           RvdK's investigation during the vOTS uses the shared information (effects.rvdk_duration_factor)
        -> otherwise: today's triage decision (routing.vt_triage) and today's chain

    oranje melding (scenario.meetings.oranje, the crisismeter's middle colour) -> the oranje afstemming: "De drie
        organisaties stemmen direct bij binnenkomst van een melding af welke expertise nodig is": one person each
        of Veilig Thuis, the GI and the RvdK agree, at entry and on the one intake form, what the family needs
        (a short afstemming, planned within days: not acute, so after every rood MDO in the experts' line, and
        without the vertrouwensarts, who sits at the rood table). It is the family's veiligheidsbeoordeling (no
        front-desk triage); then today's triage decision (routing.vt_triage) and today's chain, except that a
        later hand-off to one of the three partners in this episode is a shared hand-off: responsibility moves
        (a transfer delay) but there is no new intake and no new story ("dubbele vragen" gone)

What replaces the three sequential crisis teams: the front-desk triage for rood families, the GI's and the RvdK's
own crisis intakes. Staff: the MDO's persons on duty are a share of their partners' FTE
(``scenario.experts``), taken out of the partners' caseload capacity; total FTE equals today's chain.
Every effect is an assumption (``conf/scenario/samen_in_crisis.yaml``): seed 001 reports no numbers and
domain.md 1e found none. With ``scenario.meetings.oranje.enabled=false`` this is the crisis MDO alone (the workflow
before the oranje route, bit for bit); with both meetings off it is today's chain, bit for bit.
Its parameters: ``params.py``; today's open cases stand as in today's chain.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from sim.actors.expertise import Expertise
from sim.chain.entities import Family, kind_pool
from sim.scenarios.samen_in_crisis.params import SamenInCrisisParams
from sim.scenarios.sequential import Sequential


def shared_handoff(wf: Sequential, fam: Family, to_org: str, then: Callable[[Family], None], urgent: bool) -> None:
    """A hand-off to an organisation that already knows the family from a joint meeting and the shared intake
    form: responsibility moves (a hand-off, a transfer delay unless urgent) but there is no new intake and the
    family does not tell its story again."""
    fam.handoffs += 1
    wf.log(fam, "overdracht", to_org, "complete")
    wf.engine.at(0.0 if urgent else wf.transfer_time.next(), then, fam)


class SamenInCrisis(Sequential):
    name = "samen_in_crisis"
    structural_assumptions = (
        ("structure.crisis_entry", "rood at entry -> MDO",
         "seed 001: rood meldingen skip the front-desk triage and go straight to the joint overleg"),
        ("structure.shared_form", "no new intake at GI and RvdK on the crisis path",
         "seed 001: one intake form for the three partners; responsibility still moves (hand-offs are counted)"),
        ("structure.oranje_entry", "oranje at entry -> afstemming of the three partners",
         "seed 001: 'De drie organisaties stemmen direct bij binnenkomst van een melding af welke expertise nodig "
         "is'; rood goes to the full overleg, so oranje is the colour below it that the partners share at entry"),
        ("structure.oranje_shared_form", "no new intake at the three partners after the afstemming",
         "seed 001: one intake form and no double questions; responsibility still moves (hand-offs are counted)"),
    )

    def build(self) -> None:
        p: SamenInCrisisParams = self.model.scenario.params
        self.params = p
        self.mdo = p.meetings["crisis"] if p.meetings["crisis"].enabled else None
        oranje = p.meetings.get("oranje")
        self.oranje = oranje if oranje is not None and oranje.enabled else None
        if self.mdo is not None or self.oranje is not None:
            self.model = replace(self.model, staffing=p.staffing)
        super().build()
        # the partners at the oranje afstemming, and the episodes they know from it (case ids)
        self.oranje_orgs = frozenset(p.experts[e].org for e in self.oranje.participants) if self.oranje else frozenset()
        self.known: set[int] = set()
        if self.mdo is None and self.oranje is None:
            return
        self.expertise = self.add(Expertise(self, p.experts, self.model.work_hours_per_day, p.meetings))
        if self.mdo is not None:
            self.averted = self.streams.bernoulli("route.crisis_mdo_averts_spoed")

    def arrive(self, fam: Family) -> None:
        if self.oranje is not None and fam.route != "direct" and fam.colour in self.oranje.colours \
                and (self.mdo is None or fam.colour not in self.mdo.colours):
            self.intake(fam, "veilig_thuis")  # the one intake form, at the meldpunt
            fam.involve("veilig_thuis")
            self.expertise.meeting(fam, self.oranje, self.after_oranje_afstemming, on_start=self._mdo_starts)
            return
        if self.mdo is None or fam.route == "direct" or fam.colour not in self.mdo.colours:
            super().arrive(fam)
            return
        self.intake(fam, "veilig_thuis")  # the one intake form, at the meldpunt
        fam.involve("veilig_thuis")
        self.expertise.meeting(fam, self.mdo, self.after_crisis_mdo, on_start=self._mdo_starts)

    def escalated_to_crisis(self, fam: Family, pool) -> None:
        """A family turned rood while waiting (sim/chain/waiting.py): with the MDO on, a family on the lokaal team's
        or the Raad's list under no measure goes to the joint crisis MDO, which decides on the spoed as it does for
        a rood melding (after_crisis_mdo); otherwise today's chain's rule."""
        if self.mdo is None or "rood" not in self.mdo.colours or fam.measure \
                or kind_pool(pool.name) not in self.CRISIS_PATH_QUEUES:
            super().escalated_to_crisis(fam, pool)
            return
        self.leave_list(fam, pool)
        fam.involve("veilig_thuis")
        self.expertise.meeting(fam, self.mdo, self.after_escalation_mdo)

    def after_escalation_mdo(self, fam: Family, _: str) -> None:
        """The MDO about a family that turned rood while waiting: as after_crisis_mdo, but the family's
        veiligheidsbeoordeling was long done (its triage times stay)."""
        if self.spoed.chance(self.model.rood_spoed) and not self.averted.chance(self.params.effects.spoed_averted):
            self.spoedprocedure(fam)
            return
        self.route_after_triage(fam, self.triage_decision(fam))

    # ------------------------------------------------------------------ the oranje route
    def after_oranje_afstemming(self, fam: Family, _: str) -> None:
        """The three partners agreed what the family needs: today's triage decision, carried out by partners
        who all know the family and share its intake form."""
        fam.triage_end = self.engine.now
        self.known.add(fam.case_id)
        self.route_after_triage(fam, self.triage_decision(fam))

    def handoff(self, fam: Family, to_org: str, then: Callable[[Family], None], urgent: bool = False) -> None:
        if fam.case_id in self.known and to_org in self.oranje_orgs:
            shared_handoff(self, fam, to_org, then, urgent)
            return
        super().handoff(fam, to_org, then, urgent)

    def close(self, fam: Family, outcome: str) -> None:
        if self.oranje is not None:
            self.known.discard(fam.case_id)
        super().close(fam, outcome)

    def _mdo_starts(self, fam: Family) -> None:
        fam.triage_start = self.engine.now

    def after_crisis_mdo(self, fam: Family, _: str) -> None:
        fam.triage_end = self.engine.now
        if fam.crisis and self.spoed.chance(self.model.rood_spoed) and not self.averted.chance(self.params.effects.spoed_averted):
            self.spoedprocedure(fam)
            return
        self.route_after_triage(fam, self.triage_decision(fam))

    def voorlopige_ots(self, fam: Family, _: str) -> None:
        if self.mdo is None or fam.route == "direct" or fam.colour not in self.mdo.colours:  # no MDO was held
            super().voorlopige_ots(fam, _)
            return
        # the GI and the RvdK were at the MDO: they take over on the shared form
        fam.measure = "vots"
        shared_handoff(self, fam, "gi", lambda f: self.gi.toewijzen(f, self.vots_contact), urgent=True)
        shared_handoff(self, fam, "rvdk", lambda f: self.rvdk.beschermingsonderzoek(
            f, self.after_vots_onderzoek, duration_factor=self.params.effects.rvdk_duration_factor), urgent=True)
