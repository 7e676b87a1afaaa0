"""The analytic twin of the integrated workflow (``process.py``): the team's families route by route; families
outside the team's area (``scenario.team.coverage``) follow today's chain (``sim/scenarios/sequential/twin.py``)
with the partners' remaining staff.

It mirrors ``Integrated`` decision by decision; the duo holds its places until the team releases the family.
Where the simulation runs two things at once, the twin states how it approximates them:

* consults during the joint assessment load the expert pools but are taken not to lengthen the assessment (hours
  against an assessment of weeks; an expert pool near saturation shows in its own utilisation);
* the joint crisis meeting waits for every participant: the twin adds their waits (an upper bound on waiting for
  the last of them).

The integrated team's joint triage keeps the region's routing (as ``Integrated`` does). A team with a vast gezicht
(``scenario.team.vast_gezicht``, the Toekomstscenario) has no twin yet: screening says so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.actors.veiligheidsteam import PLACES_PER_HOUR
from sim.chain.model import hours_per_month
from sim.kernel.flows import ONE, Fixed, FlowModel, NotAvailable, PoolInfo, Trace, Wait, split
from sim.scenarios.sequential.twin import SequentialTwin
from sim.scenarios.twins import BT, RVDK, TEAM, TEAM_DESK, Paths


class IntegratedTwin(SequentialTwin):
    """The integrated workflow (``Integrated``): the team's families route by route; families outside the team's
    area (``scenario.team.coverage``) follow today's chain with the partners' remaining staff."""

    workflow = "integrated"

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        p = model.scenario.params
        self.p = p
        self.spec = p.team
        if self.spec.vast_gezicht:
            raise NotAvailable("scenario.team.vast_gezicht = true has no analytic twin yet (the vast gezicht's "
                               "places at the lokaal team); use the simulation")
        # places (work hours per month) per function, as Veiligheidsteam.need: fixed for voluntary help and safety,
        # by the family's children under a measure (mean and second moment over the children distribution)
        h, w = hours_per_month(model.work_hours_per_day), p.effects.duo_workload
        need = {f: float(self.spec.hours(f, 1, w, h)) for f in ("voluntary", "safety")}
        self.vp, self.duo = ((need["voluntary"], need["voluntary"] ** 2), (need["safety"], need["safety"] ** 2))
        ch = model.children
        per = np.asarray([self.spec.hours("measure", int(n), w, h) for n in ch.values], dtype=float)
        probs = np.asarray(ch.probs, dtype=float)
        self.measure = (float(per @ probs), float(per**2 @ probs))
        raad = np.asarray([self.spec.raad_hours(int(n), h) for n in ch.values], dtype=float)
        self.raad_units = (float(raad @ probs), float(raad**2 @ probs))  # the Raad's member (team.rvdk_member)
        self.team_places_per_fte = h * PLACES_PER_HOUR
        wh = model.work_hours_per_day
        crisis = p.meetings.get("crisis")
        self.meeting = crisis if crisis is not None and crisis.enabled else None
        if self.meeting is not None:
            self.PLAN = Fixed.of("meeting_planning", self.meeting.planning)
            self.MEET = Fixed("crisis_meeting", self.meeting.hours / wh, 0.0)
        self.consults = {name: (f"expertise.{c.expert}", c.need, Fixed(f"consult_{name}", c.hours / wh, 0.0))
                         for name, c in p.consults.items()}

    def arrive(self, t: Trace, p: float) -> Paths:
        if not (self.spec.enabled and self.spec.coverage > 0):  # no team: the workflow is today's chain
            yield from super().arrive(t, p)
            return
        for covered, tt, pp in split(t, p, {True: self.spec.coverage, False: 1.0 - self.spec.coverage}):
            tt.state["team"] = covered
            yield from (self.team_arrive(tt, pp) if covered else super().arrive(tt, pp))

    def intake_hours(self, org: str) -> float:
        return self.spec.intake_hours if org == TEAM else super().intake_hours(org)

    def places_per_fte(self, pool: str) -> float:
        return self.team_places_per_fte if pool == TEAM else super().places_per_fte(pool)

    # ------------------------------------------------------------------ the team's places
    def take_on(self, t: Trace, units: tuple[float, float]) -> None:
        t.wait(TEAM)
        t.state["team_h"] = t.state.get("team_h", ()) + (t.open(TEAM, units),)
        t.state["held"] = t.state.get("held", 0.0) + units[0]

    def grow(self, t: Trace, target: tuple[float, float]) -> None:
        """The family's places grow to ``target`` at once (a measure under the duo mandate: no wait)."""
        held = t.state.get("held", 0.0)
        missing = target[0] - held
        if missing > 0:
            var = max(target[1] - target[0] ** 2, 0.0)
            t.state["team_h"] = t.state.get("team_h", ()) + (t.open(TEAM, (missing, missing**2 + var)),)
            t.state["held"] = target[0]

    def release(self, t: Trace) -> None:
        for h in t.state.get("team_h", ()):
            t.close(h)
        t.state["team_h"], t.state["held"] = (), 0.0

    # ------------------------------------------------------------------ entry and joint triage
    def team_arrive(self, t: Trace, p: float) -> Paths:
        spec = self.spec
        if t.state["route"] == "direct":
            if "direct" in spec.holds_voluntary:
                self.take_on(t, self.vp)
                yield from self.duo_help(t, p)
            else:
                yield from self.hulp(t, p)  # the lokaal team, as today; failed help comes to the team
            return
        if self.meeting is not None and t.state["colour"] in self.meeting.colours:
            pools = [f"expertise.{e}" for e in self.meeting.participants]
            t.add(self.PLAN, *(Wait(pool, t.crisis) for pool in pools), self.MEET)
            for pool in pools:
                t.hold(pool, ONE, [self.MEET])
        else:
            t.serve(TEAM_DESK, ONE, self.TRI)
        t.mark("triage_end")
        yield from self.after_joint_triage(t, p)

    def after_joint_triage(self, t: Trace, p: float) -> Paths:
        if t.crisis:
            for spoed, tt, pp in split(t, p, {True: self.m.rood_spoed, False: 1.0 - self.m.rood_spoed}):
                if spoed:
                    self.take_on(tt, self.duo)
                    tt.add(self.SPOED)
                    yield from self.team_vots(tt, pp)
                else:
                    yield from self.team_route(tt, pp)
        else:
            yield from self.team_route(t, p)

    def team_route(self, t: Trace, p: float) -> Paths:
        for route, tt, pp in split(t, p, self.m.routing["vt_triage"]):
            if route == "close":
                yield tt, pp
            elif route == "buurtteam":
                if "overdracht" in self.spec.holds_voluntary:
                    self.take_on(tt, self.vp)
                    yield from self.duo_help(tt, pp)
                else:
                    tt.add(self.TRANS)
                    self.intake(tt, BT)
                    yield from self.hulp(tt, pp)
            elif route in ("vt_onderzoek", "vt_vervolg"):
                self.take_on(tt, self.duo)
                yield from self.joint_assessment(tt, pp, route)
            else:
                self.take_on(tt, self.duo)
                yield from self.naar_raad_team(tt, pp)

    # ------------------------------------------------------------------ the lokaal team's families
    def escalate(self, t: Trace, p: float, route: str, h: int) -> Paths:
        if not t.state.get("team"):
            yield from super().escalate(t, p, route, h)
            return
        t.add(self.TRANS)  # hand-off to the team; the lokaal team keeps the family until the duo has it
        self.intake(t, TEAM)
        self.take_on(t, self.duo)
        t.close(h)
        yield from self.after_team_escalation(t, p, route)

    def after_team_escalation(self, t: Trace, p: float, route: str) -> Paths:
        if route == "rvdk":
            yield from self.naar_raad_team(t, p)
        else:
            yield from self.joint_assessment(t, p, "vt_onderzoek")

    # ------------------------------------------------------------------ the duo
    def joint_assessment(self, t: Trace, p: float, path: str) -> Paths:
        base = self.OND if path == "vt_onderzoek" else self.VER
        for pool, need, consult in self.consults.values():  # each consult needed with its colour's probability
            q = need[t.state["colour"]]
            if q > 0:
                t.hold(pool, ONE, [consult], share=q)
        t.add(Fixed(f"{base.name}x{self.p.effects.assessment_factor:g}", base.mean * self.p.effects.assessment_factor,
                    base.var * self.p.effects.assessment_factor**2))
        t.mark(f"{path}_end")
        for route, tt, pp in split(t, p, self.m.routing[path]):
            if route == "close":
                self.release(tt)
                yield tt, pp
            elif route == "buurtteam":
                yield from self.duo_help(tt, pp)
            else:
                yield from self.naar_raad_team(tt, pp)

    def duo_help(self, t: Trace, p: float) -> Paths:
        t.mark("help", first=True)
        if self.suffices(t):
            t.add(self.HELP)
            self.release(t)
            yield t, p
            return
        t.add(self.MIN)
        t.state["escalated"] = True
        for route, tt, pp in split(t, p, self.m.routing["buurtteam_escalation"]):
            missing = self.duo[0] - tt.state.get("held", 0.0)  # the second member of the duo joins
            if missing > 0:
                self.take_on(tt, (missing, missing**2))
            yield from self.after_team_escalation(tt, pp, route)

    def naar_raad_team(self, t: Trace, p: float) -> Paths:
        q = self.p.effects.resolved_without_measure
        for resolved, tt, pp in split(t, p, {True: q, False: 1.0 - q}):
            if resolved:
                yield from self.duo_help(tt, pp)  # its own chance that voluntary help suffices
            else:  # the team stays: no transfer
                yield from self.team_raad(tt, pp, self.after_team_raad)

    def team_raad(self, t: Trace, p: float, then) -> Paths:
        """The RvdK's beschermingsonderzoek of a team family (``Integrated.team_raadsonderzoek``): with the Raad a
        member of the team, its intake hours and extra places at the Raad's norm for the onderzoek on the team's
        places, waited for at the team; otherwise the Raad's own intake, list and places."""
        factor = self.p.effects.rvdk_duration_factor
        if not self.spec.rvdk_member:
            self.intake(t, RVDK)
            yield from self.raad(t, p, None, factor, then)
            return
        self.intake(t, TEAM, hours=self.m.intake_hours.get("rvdk", 0.0))  # the Raad's interviews, on team time
        t.stage("rvdk_wait", [Wait(TEAM, t.crisis)])
        t.wait(TEAM)
        yield from self.onderzoek(t, p, t.open(TEAM, self.raad_units), factor, then)

    def after_team_raad(self, t: Trace, p: float, outcome: str) -> Paths:
        if outcome == "verzoek":
            t.add(self.TRANS, self.COURT)
            yield from self.team_beschikking(t, p)
        elif outcome == "buurtteam":
            yield from self.duo_help(t, p)
        else:
            self.release(t)
            yield t, p

    def duo_mandate(self, t: Trace) -> None:
        self.grow(t, self.measure)
        t.mark("help", first=True)
        if "gi_first_contact" not in t.marks:
            t.mark("gi_first_contact")
            t.stage("gi_wait", [])

    def team_beschikking(self, t: Trace, p: float) -> Paths:
        for verdict, tt, pp in split(t, p, self.verdict):
            if verdict == "afgewezen":
                tt.state["escalated"] = True
                yield from self.duo_help(tt, pp)
            elif self.spec.gi_mandate == "duo":
                tt.state["measure"] = verdict
                self.duo_mandate(tt)
                tt.add(self.MEAS[verdict])
                self.release(tt)
                yield tt, pp
            else:  # the GI takes over; the duo stays until the jeugdbeschermer has met the family
                tt.add(self.TRANS)
                yield from self.gi(tt, pp, verdict, release_team=self.release)

    def team_vots(self, t: Trace, p: float) -> Paths:
        if self.spec.gi_mandate == "gi":
            self.release(t)
            yield from self.vots(t, p)  # today's crisis path from here
            return
        t.state["measure"] = "vots"
        self.duo_mandate(t)
        for t2, p2 in self.team_raad(t, p, None):
            for to_ots, tt, pp in split(t2, p2, {True: self.m.vots_to_ots, False: 1.0 - self.m.vots_to_ots}):
                if not to_ots:
                    yield from self.team_einde_vots(tt, pp)
                    continue
                tt.add(self.TRANS, self.COURT)
                for verdict, t3, p3 in split(tt, pp, self.verdict):
                    if verdict == "afgewezen":
                        yield from self.team_einde_vots(t3, p3)
                    else:
                        t3.state["measure"] = verdict
                        t3.add(self.MEAS[verdict])
                        self.release(t3)
                        yield t3, p3

    def team_einde_vots(self, t: Trace, p: float) -> Paths:
        t.state["measure"] = "vots_beeindigd"
        t.state["escalated"] = True
        yield from self.duo_help(t, p)

    # ------------------------------------------------------------------ the flow model
    def pools(self) -> dict[str, PoolInfo]:
        out = super().pools()
        if self.spec.enabled and self.spec.coverage > 0:
            out[TEAM_DESK] = PoolInfo(TEAM_DESK, TEAM, "meldingen")
            out[TEAM] = PoolInfo(TEAM, TEAM, "places")
            for e in self.p.experts.values():
                out[e.pool_name] = PoolInfo(e.pool_name, e.org, "persons")
        return out

    def places(self, fte: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """As ``Integrated.configure`` forms the team: shares of the partners' paper FTE move into the team, to
        expert duty and (with vast gezicht) to the lokaal team; the partners keep the rest."""
        spec = self.spec
        if not (spec.enabled and spec.coverage > 0):
            return self.partner_places(fte)
        st = self.m.staffing
        left = {org: fte[org] * (1.0 - spec.share.get(org, 0.0) - spec.lokaal_team.get(org, 0.0)) for org in st}
        for e in self.p.experts.values():
            left[e.org] = left[e.org] - e.share * fte[e.org]
        left = {org: np.clip(v, 0.0, None) for org, v in left.items()}
        vt = st["veilig_thuis"]  # the moved staff fill the team's share of the front desk first (Staffing.minus)
        moved_vt = spec.share.get("veilig_thuis", 0.0) * fte["veilig_thuis"]
        desk_paper = np.minimum(moved_vt, spec.coverage * vt.triage_share * fte["veilig_thuis"])
        with np.errstate(divide="ignore", invalid="ignore"):
            vt_share = np.where(left["veilig_thuis"] > 0, (vt.triage_share * fte["veilig_thuis"] - desk_paper)
                                / left["veilig_thuis"], vt.triage_share)
        out = self.partner_places(left, triage_share=np.clip(vt_share, 0.0, 1.0))
        desk = vt.present(desk_paper)
        case = 0.0
        for org, s in st.items():
            moved = spec.share.get(org, 0.0) * fte[org]
            case = case + s.present(moved - desk_paper if org == "veilig_thuis" else moved)
        places = np.rint(case * self.team_places_per_fte)
        desk_places = np.rint(desk * st["veilig_thuis"].triage_caseload)
        out[TEAM] = (places, np.rint(places * spec.crisis_reserve_share))
        out[TEAM_DESK] = (desk_places, np.rint(desk_places * spec.crisis_reserve_share))
        for e in self.p.experts.values():
            s = st[e.org]
            persons = np.maximum(1.0, np.rint(s.present(e.share * fte[e.org])))
            out[e.pool_name] = (persons, np.zeros_like(persons))
        return out


def flows(model: Any) -> FlowModel:
    """The flow model of ``model`` (a validated model whose workflow is the integrated team or built on it)."""
    return IntegratedTwin(model).flow_model()
