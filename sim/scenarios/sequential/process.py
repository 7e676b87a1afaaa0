"""Today's sequential chain ("huidige keten"): four waiting lists in one chain.

Read beside seed 000 (Ketenversnelling: "vier wachtlijsten in één keten"), seed 003 (families bouncing
VT -> lokaal team -> GI -> lokaal team -> RvdK) and domain.md section 2a. Every hand-off between organisations
costs a transfer delay, a new intake and one more story told (``Workflow.handoff``).

    melding -> Veilig Thuis veiligheidsbeoordeling (norm 5 werkdagen)
        -> einde bemoeienis | overdracht buurtteam | VT onderzoek (norm 10 weken) | voorwaarden en vervolg
           | verzoek tot onderzoek bij de Raad
        rood (acute onveiligheid) -> spoed: voorlopige OTS within a day, GI at once, Raad investigates meanwhile
    buurtteam: vrijwillige hulp -> done | escalation (Raad or back to Veilig Thuis, or the GI under drang)
    GI, voluntary (drang, SAVE-begeleiding; voluntary_gi.*): a share of the families VT hands to voluntary help and
        of failed voluntary help -> begeleiding without a measure -> closed | verzoek tot onderzoek at the Raad
    Raad (wachtlijst, norm: start within 10 days) -> beschermingsonderzoek
        -> verzoekschrift | back to voluntary help | closed
    kinderrechter -> OTS / OTS + uithuisplaatsing / voogdij | afgewezen (back to voluntary help)
    GI (wachtlijst for a jeugdbeschermer) -> first contact = start of help -> measure, extended yearly
    closure -> the family may come back as a hermelding

Where today's open cases stand in this chain (``run.start=today``): ``today.py``.
"""

from __future__ import annotations

from sim.actors.buurtteam import Buurtteam
from sim.actors.gi import GI
from sim.actors.kinderrechter import Kinderrechter
from sim.actors.rvdk import RvdK
from sim.actors.veilig_thuis import VeiligThuis
from sim.chain.entities import Family, kind_pool
from sim.scenarios.base import Workflow
from sim.scenarios.sequential.today import SequentialToday


class Sequential(SequentialToday, Workflow):
    name = "sequential"

    def build(self) -> None:
        self.vt = self.add(VeiligThuis(self))
        self.buurtteam = self.add(Buurtteam(self))
        self.rvdk = self.add(RvdK(self))
        self.court = self.add(Kinderrechter(self))
        self.gi = self.add(GI(self, extends=self.court.verlenging))
        r, s = self.model.routing, self.streams
        self.triage_route = s.chooser("route.vt_triage", tuple(r["vt_triage"]), tuple(r["vt_triage"].values()))
        # a Veilig Thuis organisation with its own triage practice (region.units.veilig_thuis.<name>.routing) decides
        # from a stream of its own; the others use the region's routing.vt_triage and its stream
        self.unit_triage_routes = {u.name: s.chooser(f"route.vt_triage[{u.name}]", tuple(u.routing), tuple(u.routing.values()))
                                   for u in self.model.units_of("veilig_thuis") if u.routing is not None}
        self.onderzoek_route = s.chooser("route.vt_onderzoek", tuple(r["vt_onderzoek"]), tuple(r["vt_onderzoek"].values()))
        self.vervolg_route = s.chooser("route.vt_vervolg", tuple(r["vt_vervolg"]), tuple(r["vt_vervolg"].values()))
        esc = r["buurtteam_escalation"]
        self.escalation_route = s.chooser("route.buurtteam_escalation", tuple(esc), tuple(esc.values()))
        self.spoed = s.bernoulli("route.rood_spoed")
        self.spoed_while_waiting = s.bernoulli("waiting.crisis_path")  # a stream of its own (sim/chain/waiting.py)
        self.vots_to_ots = s.bernoulli("route.vots_to_ots")
        vol = self.model.voluntary_gi
        self.voluntary_gi = vol if vol is not None and vol.active else None
        if self.voluntary_gi is not None:  # streams of their own, drawn only when the route exists
            self.gi_voluntary_from_vt = s.bernoulli("route.gi_voluntary_from_vt")
            self.gi_voluntary_from_buurtteam = s.bernoulli("route.gi_voluntary_from_buurtteam")
            self.gi_voluntary_to_rvdk = s.bernoulli("route.gi_voluntary_to_rvdk")

    # ------------------------------------------------------------------ entry
    def arrive(self, fam: Family) -> None:
        if fam.route == "direct":
            self.intake(fam, "buurtteam")
            self.vrijwillige_hulp(fam)
        else:
            self.intake(fam, "veilig_thuis")
            self.vt.veiligheidsbeoordeling(fam, self.after_veiligheidsbeoordeling)

    # ------------------------------------------------------------------ Veilig Thuis
    def after_veiligheidsbeoordeling(self, fam: Family, _: str) -> None:
        if fam.crisis and self.spoed.chance(self.model.rood_spoed):
            self.spoedprocedure(fam)
            return
        self.route_after_triage(fam, self.triage_decision(fam))

    def triage_decision(self, fam: Family) -> str:
        """The outcome of the veiligheidsbeoordeling (an option of routing.vt_triage), as the family's Veilig Thuis
        organisation decides it (its own routing if region.units gives one)."""
        chooser = self.unit_triage_routes.get(fam.vt_unit) if self.unit_triage_routes else None
        return (chooser or self.triage_route).next()

    def route_after_triage(self, fam: Family, route: str) -> None:
        """Carry out the triage decision ``route`` (an option of ``routing.vt_triage``)."""
        if route == "close":
            self.close(fam, "einde_bemoeienis_vt")
        elif route == "buurtteam":
            self.voluntary_from_vt(fam)
        elif route == "vt_onderzoek":
            fam.stories_told += 1  # a new VT professional investigates (domain.md 2a: 'VT ... (1-2x)')
            self.vt.onderzoek(fam, self.after_vt_onderzoek)
        elif route == "vt_vervolg":
            self.vt.vervolg(fam, self.after_vt_vervolg)
        else:  # verzoek tot onderzoek straight after triage
            self.naar_raad(fam, melder=None)

    def after_vt_onderzoek(self, fam: Family, _: str) -> None:
        self._after_vt_casework(fam, self.onderzoek_route.next())

    def after_vt_vervolg(self, fam: Family, _: str) -> None:
        self._after_vt_casework(fam, self.vervolg_route.next())

    def _after_vt_casework(self, fam: Family, route: str) -> None:
        if route == "rvdk":
            self.naar_raad(fam, melder=self.vt.discharge)  # VT keeps the family until the Raad starts
            return
        self.vt.discharge(fam)
        if route == "buurtteam":
            self.voluntary_from_vt(fam)
        else:
            self.close(fam, "afgesloten_door_vt")

    def voluntary_from_vt(self, fam: Family) -> None:
        """Veilig Thuis hands the family to voluntary help: the buurtteam, or (``voluntary_gi.from_vt``) voluntary
        begeleiding at the GI without a measure (SAVE-begeleiding)."""
        if self.vt_voluntary_decision(fam) == "gi":
            self.handoff(fam, "gi", self.gi_begeleiding)
        else:
            self.handoff(fam, "buurtteam", self.vrijwillige_hulp)

    def vt_voluntary_decision(self, fam: Family) -> str:
        """Where Veilig Thuis's voluntary help goes: ``gi`` (voluntary begeleiding) or ``buurtteam``."""
        v = self.voluntary_gi
        return "gi" if v is not None and self.gi_voluntary_from_vt.chance(v.from_vt) else "buurtteam"

    # ------------------------------------------------------------------ GI, voluntary (drang, SAVE-begeleiding)
    def gi_begeleiding(self, fam: Family) -> None:
        self.gi.begeleiding(fam, self.after_gi_begeleiding)

    def after_gi_begeleiding(self, fam: Family, _: str) -> None:
        """The begeleiding ends: closed, or (``voluntary_gi.to_rvdk``) a verzoek tot onderzoek; the GI keeps the
        family until the Raad starts, as the buurtteam and Veilig Thuis do."""
        if self.gi_voluntary_to_rvdk.chance(self.voluntary_gi.to_rvdk):
            fam.escalations += 1
            self.naar_raad(fam, melder=self.gi.discharge)
        else:
            self.gi.discharge(fam)
            self.close(fam, "vrijwillige_begeleiding_gi_afgerond")

    # ------------------------------------------------------------------ buurtteam
    def vrijwillige_hulp(self, fam: Family) -> None:
        self.buurtteam.vrijwillige_hulp(fam, self.suffices(fam), self.after_vrijwillige_hulp)

    def after_vrijwillige_hulp(self, fam: Family, outcome: str) -> None:
        if outcome == "done":
            self.close(fam, "vrijwillige_hulp_afgerond")
            return
        fam.escalations += 1
        self.escalate(fam, self.escalation_decision(fam))

    def escalation_decision(self, fam: Family) -> str:
        """Where failed voluntary help goes: ``gi`` (drang, ``voluntary_gi.from_buurtteam``), else an option of
        ``routing.buurtteam_escalation`` (``rvdk`` or ``veilig_thuis``)."""
        v = self.voluntary_gi
        if v is not None and self.gi_voluntary_from_buurtteam.chance(v.from_buurtteam):
            return "gi"
        return self.escalation_route.next()

    def escalate(self, fam: Family, route: str) -> None:
        """Carry out the escalation decision ``route`` for a family the buurtteam still holds."""
        if route == "rvdk":
            self.naar_raad(fam, melder=self.buurtteam.discharge)
            return
        self.buurtteam.discharge(fam)
        if route == "gi":  # the lokaal team takes the family to the GI under drang
            self.handoff(fam, "gi", self.gi_begeleiding)
        else:
            self.handoff(fam, "veilig_thuis", lambda f: self.vt.onderzoek(f, self.after_vt_onderzoek))

    # ------------------------------------------------------------------ Raad voor de Kinderbescherming
    def naar_raad(self, fam: Family, melder) -> None:
        """Verzoek tot onderzoek; ``melder`` (if any) keeps the family on its caseload until the Raad starts."""
        self.handoff(fam, "rvdk", lambda f: self.rvdk.beschermingsonderzoek(f, self.after_raadsonderzoek, on_start=melder))

    def after_raadsonderzoek(self, fam: Family, outcome: str) -> None:
        if outcome == "verzoek":
            self.handoff(fam, "kinderrechter", lambda f: self.court.verzoekschrift(f, self.after_beschikking))
        elif outcome == "buurtteam":
            self.handoff(fam, "buurtteam", self.vrijwillige_hulp)
        else:
            self.close(fam, "afgesloten_door_raad")

    # ------------------------------------------------------------------ kinderrechter and GI
    def after_beschikking(self, fam: Family, measure: str) -> None:
        if measure == "afgewezen":
            fam.escalations += 1  # the court judged voluntary help enough
            self.handoff(fam, "buurtteam", self.vrijwillige_hulp)
            return
        fam.measure = measure
        self.handoff(fam, "gi", lambda f: self.gi.toewijzen(f, self.maatregel_gestart))

    def maatregel_gestart(self, fam: Family, _: str) -> None:
        self.gi.uitvoeren(fam, fam.measure, self.maatregel_beeindigd)

    def maatregel_beeindigd(self, fam: Family, outcome: str) -> None:
        self.close(fam, "meerderjarig" if outcome == "aged_out" else "maatregel_beeindigd")

    # ------------------------------------------------------------------ crisis (spoed) path
    CRISIS_PATH_QUEUES = ("buurtteam", "rvdk")  # lists a family turning rood leaves for the spoed path

    def escalated_to_crisis(self, fam: Family, pool) -> None:
        """A family turned rood while waiting (sim/chain/waiting.py). On the lokaal team's or the Raad's list, under
        no measure yet, it takes today's crisis path as a rood melding does after the veiligheidsbeoordeling: with
        ``routing.rood_spoed`` the spoedverzoek (voorlopige OTS via the court, the GI at once, the Raad investigates
        meanwhile); otherwise, and on every other list, it waits on with crisis priority."""
        if kind_pool(pool.name) in self.CRISIS_PATH_QUEUES and not fam.measure \
                and self.spoed_while_waiting.chance(self.model.rood_spoed):
            self.leave_list(fam, pool)
            self.crisis_path(fam)
            return
        pool.promote(fam)

    def crisis_path(self, fam: Family) -> None:
        """Where a family that turned rood while waiting goes once the spoed is decided: today's spoedprocedure."""
        self.spoedprocedure(fam)

    def spoedprocedure(self, fam: Family) -> None:
        """Rood: spoedverzoek via the Raad, voorlopige OTS within a day, the GI starts at once, and the Raad
        investigates during the vOTS (domain.md 2a step 8). No transfer delays on this path."""
        self.handoff(fam, "kinderrechter", lambda f: self.court.spoedmachtiging(f, self.voorlopige_ots), urgent=True)

    def voorlopige_ots(self, fam: Family, _: str) -> None:
        fam.measure = "vots"
        self.handoff(fam, "gi", lambda f: self.gi.toewijzen(f, self.vots_contact), urgent=True)
        self.handoff(fam, "rvdk", lambda f: self.rvdk.beschermingsonderzoek(f, self.after_vots_onderzoek), urgent=True)

    def vots_contact(self, fam: Family, _: str) -> None:
        if fam.measure in self.model.measures:  # the regular measure was decided while the GI was still assigning
            self.gi.uitvoeren(fam, fam.measure, self.maatregel_beeindigd)

    def after_vots_onderzoek(self, fam: Family, _: str) -> None:
        if self.vots_to_ots.chance(self.model.vots_to_ots):
            self.handoff(fam, "kinderrechter", lambda f: self.court.verzoekschrift(f, self.after_vots_beschikking))
        else:
            self.einde_vots(fam)

    def after_vots_beschikking(self, fam: Family, measure: str) -> None:
        if measure == "afgewezen":
            self.einde_vots(fam)
            return
        fam.measure = measure
        if fam.gi_first_contact == fam.gi_first_contact:  # not NaN: the jeugdbeschermer is already there
            self.gi.uitvoeren(fam, measure, self.maatregel_beeindigd)

    def einde_vots(self, fam: Family) -> None:
        fam.measure = "vots_beeindigd"
        fam.escalations += 1
        if not self.gi.pool_for(fam).cancel(fam):
            self.gi.afsluiten(fam)
        self.handoff(fam, "buurtteam", self.vrijwillige_hulp)
