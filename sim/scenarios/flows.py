"""Analytic twins of today's chain and of the integrated workflow: every route a family episode can take, with
its probability, the places it holds and the waits and activities on its way (``sim/screening.py`` turns them
into offered loads, waits and lead times).

Each twin mirrors its workflow module decision by decision (``sequential.py``, ``integrated.py``): the same
routing shares, the same hand-offs (a transfer delay, none when urgent), the same holds (Veilig Thuis and the
buurtteam keep a family until the Raad starts; the GI holds a child for the whole measure; the duo holds its
places until the team releases the family). Where the simulation runs two things at once, the twin states how it
approximates them:

* voorlopige OTS (rood, spoed): the GI's hold runs from the jeugdbeschermer's assignment until the Raad's
  investigation and the court have decided (the Raad's wait + investigation + transfer + beschikking) and then
  for the measure; the short overlap with the GI's own crisis wait is ignored;
* consults during the integrated team's joint assessment load the expert pools but are taken not to lengthen the
  assessment (hours against an assessment of weeks; an expert pool near saturation shows in its own utilisation);
* the joint crisis meeting waits for every participant: the twin adds their waits (an upper bound on waiting
  for the last of them).

Every number comes from the validated model (routing, durations, measures, staffing); nothing is set here.
When a workflow changes, its twin must change with it: ``tests/test_screening.py`` compares the request rates of
every pool with the simulation's.

Several organisations of a kind (``region.units``): a route forks over the family's Veilig Thuis organisation
(catchment shares) when it first reaches Veilig Thuis and over its GI (the GIs' shares) when it first reaches the
GI, and then uses that organisation's pools (``veilig_thuis.triage[<name>]``, ``gi[<name>]``, places as the actors
build them: :func:`sim.config.unit_places`) and, at Veilig Thuis, its own triage routing if it has one. The
integrated team's joint triage keeps the region's routing (as ``Integrated`` does). Sizing keeps the kind's total
FTE as its knob (``staffing.<kind>.fte``); each organisation gets its share of it.
"""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from sim import kpis
from sim.entities import unit_pool
from sim.screening import ONE, Fixed, FlowModel, NotAvailable, PoolInfo, Trace, Wait, collect, min_moments, split

VT_TRIAGE, VT_CASUS, BT, RVDK, GI = "veilig_thuis.triage", "veilig_thuis.casus", "buurtteam", "rvdk", "gi"
TEAM, TEAM_DESK = "veiligheidsteam", "veiligheidsteam.triage"
MEASURES = ("ots", "ots_uhp", "voogdij")

Paths = Iterator[tuple[Trace, float]]


class SequentialTwin:
    """Today's chain (``Sequential``), route by route."""

    workflow = "sequential"

    def __init__(self, model: Any) -> None:
        self.m = model
        d = model.durations
        self.TRI = Fixed.of("vt_triage", d["vt_triage"])
        self.OND = Fixed.of("vt_onderzoek", d["vt_onderzoek"])
        self.VER = Fixed.of("vt_vervolg", d["vt_vervolg"])
        self.HELP = Fixed.of("buurtteam_help", d["buurtteam_help"])
        self.MIN = Fixed("min(buurtteam_escalation_after, buurtteam_help)",
                         *min_moments(d["buurtteam_escalation_after"], d["buurtteam_help"]))
        self.TRANS = Fixed.of("transfer", d["transfer"])
        self.COURT = Fixed.of("court_decision", d["court_decision"])
        self.SPOED = Fixed.of("court_spoed", d["court_spoed"])
        self.FC = Fixed.of("gi_first_contact", d["gi_first_contact"])
        self.RVDK = d["rvdk_onderzoek"]
        self.MEAS = {}
        for k, ms in model.measures.items():  # a geometric number of terms (>= 1) of term_days each
            p = ms.extension_probability
            self.MEAS[k] = Fixed(f"measure_{k}", ms.term_days / (1 - p), ms.term_days**2 * p / (1 - p) ** 2)
        ch = model.children
        self.N = (ch.mean, ch.variance + ch.mean**2)  # children per family: the Raad's and the GI's units
        self.vt_units = model.units_of("veilig_thuis")  # region.units: () = one organisation of the kind
        self.gi_units = model.units_of("gi")
        self.unit_routing = {u.name: u.routing for u in self.vt_units if u.routing is not None}
        r = model.routing
        self.verdict = {**{k: model.court_grants * q for k, q in r["measure_type"].items()},
                        "afgewezen": 1.0 - model.court_grants}

    # ------------------------------------------------------------------ entries
    def entry_rates(self) -> dict[str, float]:
        """Episodes per day entering at Veilig Thuis (meldingen and hermeldingen) and directly at the buurtteam.
        A closed episode returns as a hermelding with the re-entry probability, up to max_episodes episodes."""
        m = self.m
        first = {"melding": m.vt_meldingen_per_year * m.demand_scale / 365.0,
                 "direct": m.buurtteam_direct_per_year * m.demand_scale / 365.0}
        p = m.reentry_probability
        returns = sum(p**k for k in range(1, m.max_episodes)) * (first["melding"] + first["direct"])
        return {"melding": first["melding"] + returns, "direct": first["direct"]}

    def paths(self) -> Paths:
        vs = self.m.voluntary_suffices
        for route, rate in self.entry_rates().items():
            for colour, pc in self.m.colour_probs.items():
                crisis = colour == "rood"
                # will voluntary help suffice? drawn once per episode; never for a rood family (Workflow.suffices)
                for ok, q in ({False: 1.0} if crisis else {True: vs, False: 1.0 - vs}).items():
                    if rate * pc * q > 0:
                        t = Trace(crisis=crisis, colour=colour, ok=ok, escalated=False, route=route)
                        yield from self.arrive(t, rate * pc * q)

    def suffices(self, t: Trace) -> bool:
        return t.state["escalated"] or t.state["ok"]

    def arrive(self, t: Trace, p: float) -> Paths:
        yield from (self.hulp(t, p) if t.state["route"] == "direct" else self.triage(t, p))

    # ------------------------------------------------------------------ organisations of a kind (region.units)
    @staticmethod
    def organisation(t: Trace, p: float, key: str, units) -> Paths:
        """Fork the route over the family's organisation of a kind the first time it needs one (``key`` in the
        trace's state: ``vt_unit`` or ``gi_unit``); after that, and without units, the route as it is."""
        if not units or key in t.state:
            yield t, p
            return
        for name, tt, pp in split(t, p, {u.name: u.catchment for u in units}):
            tt.state[key] = name
            yield tt, pp

    @staticmethod
    def vt_pool(base: str, t: Trace) -> str:
        return unit_pool(base, t.state.get("vt_unit", ""))

    @staticmethod
    def gi_pool(t: Trace) -> str:
        return unit_pool(GI, t.state.get("gi_unit", ""))

    # ------------------------------------------------------------------ Veilig Thuis
    def triage(self, t: Trace, p: float) -> Paths:
        for t, p in self.organisation(t, p, "vt_unit", self.vt_units):
            t.serve(self.vt_pool(VT_TRIAGE, t), ONE, self.TRI)
            t.mark("triage_end")
            yield from self.after_triage(t, p)

    def after_triage(self, t: Trace, p: float) -> Paths:
        if not t.crisis:
            yield from self.route_triage(t, p)
            return
        for spoed, tt, pp in split(t, p, {True: self.m.rood_spoed, False: 1.0 - self.m.rood_spoed}):
            yield from (self.spoed(tt, pp) if spoed else self.route_triage(tt, pp))

    def route_triage(self, t: Trace, p: float) -> Paths:
        routing = self.unit_routing.get(t.state.get("vt_unit", ""), self.m.routing["vt_triage"])
        for route, tt, pp in split(t, p, routing):
            if route == "close":
                yield tt, pp
            elif route == "buurtteam":
                tt.add(self.TRANS)
                yield from self.hulp(tt, pp)
            elif route in ("vt_onderzoek", "vt_vervolg"):
                yield from self.casework(tt, pp, route)
            else:
                yield from self.naar_raad(tt, pp, None)

    def casework(self, t: Trace, p: float, path: str) -> Paths:
        for t, p in self.organisation(t, p, "vt_unit", self.vt_units):  # escalated direct requests meet VT here
            case = self.vt_pool(VT_CASUS, t)
            t.wait(case)
            h = t.open(case, ONE)
            t.add(self.OND if path == "vt_onderzoek" else self.VER)
            t.mark(f"{path}_end")
            for route, tt, pp in split(t, p, self.m.routing[path]):
                if route == "rvdk":
                    yield from self.naar_raad(tt, pp, h)  # VT keeps the family until the Raad starts
                    continue
                tt.close(h)
                if route == "buurtteam":
                    tt.add(self.TRANS)
                    yield from self.hulp(tt, pp)
                else:
                    yield tt, pp

    # ------------------------------------------------------------------ buurtteam
    def hulp(self, t: Trace, p: float) -> Paths:
        t.wait(BT)
        h = t.open(BT, ONE)
        t.mark("help", first=True)
        if self.suffices(t):
            t.add(self.HELP)
            t.close(h)
            yield t, p
            return
        t.add(self.MIN)
        t.state["escalated"] = True
        for route, tt, pp in split(t, p, self.m.routing["buurtteam_escalation"]):
            yield from self.escalate(tt, pp, route, h)

    def escalate(self, t: Trace, p: float, route: str, h: int) -> Paths:
        if route == "rvdk":
            yield from self.naar_raad(t, p, h)  # the buurtteam keeps the family until the Raad starts
        else:
            t.close(h)
            t.add(self.TRANS)
            yield from self.casework(t, p, "vt_onderzoek")

    # ------------------------------------------------------------------ Raad, court, GI
    def naar_raad(self, t: Trace, p: float, melder: int | None) -> Paths:
        t.add(self.TRANS)
        yield from self.raad(t, p, melder, 1.0, self.after_raad)

    def raad(self, t: Trace, p: float, melder: int | None, factor: float, then) -> Paths:
        t.stage("rvdk_wait", [Wait(RVDK, t.crisis)])
        t.wait(RVDK)
        if melder is not None:
            t.close(melder)
        h = t.open(RVDK, self.N)
        t.add(Fixed.of("rvdk_onderzoek", self.RVDK, factor))
        t.close(h)
        if then is None:
            yield t, p
            return
        for outcome, tt, pp in split(t, p, self.m.routing["rvdk_outcome"]):
            yield from then(tt, pp, outcome)

    def after_raad(self, t: Trace, p: float, outcome: str) -> Paths:
        if outcome == "verzoek":
            t.add(self.TRANS, self.COURT)
            yield from self.beschikking(t, p)
        elif outcome == "buurtteam":
            t.add(self.TRANS)
            yield from self.hulp(t, p)
        else:
            yield t, p

    def beschikking(self, t: Trace, p: float) -> Paths:
        for verdict, tt, pp in split(t, p, self.verdict):
            tt.add(self.TRANS)
            if verdict == "afgewezen":
                tt.state["escalated"] = True  # the court judged voluntary help enough
                yield from self.hulp(tt, pp)
            else:
                yield from self.gi(tt, pp, verdict)

    def gi(self, t: Trace, p: float, measure: str, release_team=None) -> Paths:
        for t, p in self.organisation(t, p, "gi_unit", self.gi_units):
            gi = self.gi_pool(t)
            t.state["measure"] = measure
            t.stage("gi_wait", [Wait(gi, t.crisis), self.FC])
            t.wait(gi)
            h = t.open(gi, self.N)
            t.add(self.FC)
            t.mark("help", first=True)
            t.mark("gi_first_contact")
            if release_team is not None:
                release_team(t)
            t.add(self.MEAS[measure])
            t.close(h)
            yield t, p

    # ------------------------------------------------------------------ spoed: voorlopige OTS
    def spoed(self, t: Trace, p: float) -> Paths:
        t.add(self.SPOED)  # urgent hand-offs: no transfer delay
        yield from self.vots(t, p)

    def vots(self, t: Trace, p: float) -> Paths:
        """The GI starts at once and the Raad investigates meanwhile (module docstring: the GI's hold)."""
        for t, p in self.organisation(t, p, "gi_unit", self.gi_units):
            yield from self._vots(t, p, self.gi_pool(t))

    def _vots(self, t: Trace, p: float, gi: str) -> Paths:
        c = t.crisis
        t.state["measure"] = "vots"
        t.stage("gi_wait", [Wait(gi, c), self.FC])
        t.add(Wait(gi, c), self.FC)
        t.mark("help", first=True)
        t.mark("gi_first_contact")
        t.stage("rvdk_wait", [Wait(RVDK, c)])
        onderzoek = Fixed.of("rvdk_onderzoek", self.RVDK)
        t.hold(RVDK, self.N, [onderzoek])
        raad = [Wait(RVDK, c), onderzoek]
        for to_ots, tt, pp in split(t, p, {True: self.m.vots_to_ots, False: 1.0 - self.m.vots_to_ots}):
            if not to_ots:
                tt.hold(gi, self.N, raad)
                yield from self.einde_vots(tt, pp)
                continue
            decided = raad + [self.TRANS, self.COURT]
            for verdict, t3, p3 in split(tt, pp, self.verdict):
                if verdict == "afgewezen":
                    t3.hold(gi, self.N, decided)
                    yield from self.einde_vots(t3, p3)
                else:
                    t3.state["measure"] = verdict
                    t3.hold(gi, self.N, decided + [self.MEAS[verdict]])
                    yield t3, p3

    def einde_vots(self, t: Trace, p: float) -> Paths:
        t.state["measure"] = "vots_beeindigd"
        t.state["escalated"] = True
        t.add(self.TRANS)
        yield from self.hulp(t, p)

    # ------------------------------------------------------------------ the flow model
    def pools(self) -> dict[str, PoolInfo]:
        out = {}
        for name in [u.name for u in self.vt_units] or [""]:  # in the order the actor creates them
            desk, case = unit_pool(VT_TRIAGE, name), unit_pool(VT_CASUS, name)
            out[desk] = PoolInfo(desk, "veilig_thuis", "meldingen")
            out[case] = PoolInfo(case, "veilig_thuis", "families")
        out[BT] = PoolInfo(BT, "buurtteam", "families")
        out[RVDK] = PoolInfo(RVDK, "rvdk", "children")
        for name in [u.name for u in self.gi_units] or [""]:
            out[unit_pool(GI, name)] = PoolInfo(unit_pool(GI, name), "gi", "children")
        return out

    def partner_places(self, left: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Places and crisis reserves of the partners' own pools, as their actors compute them (Staffing.slots:
        available FTE x caseload, rounded half to even like Python's round)."""
        out = {}
        for org, s in self.m.staffing.items():
            avail = left[org] * s.productive_share * (1.0 - s.vacancy_rate)
            units = self.m.units_of(org)
            if units:  # each organisation of the kind: sim.config.unit_places, on arrays
                n = len(units)
                parts = [(VT_CASUS if org == "veilig_thuis" else GI,
                          unit_places_of(avail, [(1.0 - s.triage_share) * u.fte_share for u in units],
                                         [u.caseload for u in units]))]
                if org == "veilig_thuis":
                    parts.insert(0, (VT_TRIAGE, unit_places_of(avail, [s.triage_share * u.triage_fte_share for u in units],
                                                               [s.triage_caseload] * n)))
                for base, places in parts:
                    for u, slots in zip(units, places):
                        out[unit_pool(base, u.name)] = (slots, np.rint(slots * s.crisis_reserve_share))
            elif org == "veilig_thuis":
                desk = np.rint(avail * s.triage_share * s.triage_caseload)
                case = np.rint(avail * (1.0 - s.triage_share) * s.caseload)
                out[VT_TRIAGE] = (desk, np.rint(desk * s.crisis_reserve_share))
                out[VT_CASUS] = (case, np.rint(case * s.crisis_reserve_share))
            else:
                slots = np.rint(avail * s.caseload)
                out[org] = (slots, np.rint(slots * s.crisis_reserve_share))
        return out

    def places(self, fte: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return self.partner_places(fte)

    def flow_model(self) -> FlowModel:
        norms = self.m.norms
        regular = ("ots", "ots_uhp", "voogdij")
        times = {
            "lead_time_help": lambda t: t.until("help"),
            "lead_time_measure": lambda t: t.until("gi_first_contact"),
            "chain": lambda t: t.until("gi_first_contact") if t.state.get("measure") in regular and not t.crisis else None,
            "triage": lambda t: t.until("triage_end"),
            "vt_onderzoek": lambda t: t.between("triage_end", "vt_onderzoek_end"),
            "rvdk_wait": lambda t: t.stages.get("rvdk_wait"),
            "gi_wait": lambda t: t.stages.get("gi_wait"),
        }
        share_norms = {k.name: (k.duration, norms[k.norm]) for k in kpis.normed()}
        fte_today = {org: s.fte for org, s in self.m.staffing.items()}
        return collect(self.workflow, self.paths(), self.pools(), times, share_norms, fte_today, self.places,
                       self.entry_rates())


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
        self.duo = (float(self.spec.duo_size), float(self.spec.duo_size) ** 2)
        self.vp = (float(self.spec.voluntary_places), float(self.spec.voluntary_places) ** 2)
        wh = p.work_hours_per_day
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

    # ------------------------------------------------------------------ the team's places
    def take_on(self, t: Trace, units: tuple[float, float]) -> None:
        t.wait(TEAM)
        t.state["team_h"] = t.state.get("team_h", ()) + (t.open(TEAM, units),)
        t.state["held"] = t.state.get("held", 0.0) + units[0]

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
        t.add(Fixed(f"{base.name}x{self.p.assessment_factor:g}", base.mean * self.p.assessment_factor,
                    base.var * self.p.assessment_factor**2))
        t.mark(f"{path}_end")
        for route, tt, pp in split(t, p, self.m.routing[path]):
            if route == "close":
                self.release(tt)
                yield tt, pp
            elif route == "buurtteam":
                yield from self.duo_help(tt, pp)
            else:
                yield from self.naar_raad_team(tt, pp)

    def duo_help(self, t: Trace, p: float, suffices: bool | None = None) -> Paths:
        t.mark("help", first=True)
        ok = self.suffices(t) if suffices is None else suffices
        if ok:
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
        q = self.p.resolved_without_measure
        for resolved, tt, pp in split(t, p, {True: q, False: 1.0 - q}):
            if resolved:
                yield from self.duo_help(tt, pp, suffices=True)
            else:  # the Raad reads the team's file: no transfer, no new intake
                yield from self.raad(tt, pp, None, self.p.rvdk_duration_factor, self.after_team_raad)

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
        for t2, p2 in self.raad(t, p, None, self.p.rvdk_duration_factor, None):
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
            for name, e in self.p.experts.items():
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
        out = self.partner_places(left)
        desk = case = 0.0
        for org, s in st.items():
            present = spec.share.get(org, 0.0) * fte[org] * s.productive_share * (1.0 - s.vacancy_rate)
            share_desk = s.triage_share if org == "veilig_thuis" else 0.0
            desk = desk + present * share_desk
            case = case + present * (1.0 - share_desk)
        places = np.rint(case * spec.caseload)
        desk_places = np.rint(desk * st["veilig_thuis"].triage_caseload)
        out[TEAM] = (places, np.rint(places * spec.crisis_reserve_share))
        out[TEAM_DESK] = (desk_places, np.rint(desk_places * spec.crisis_reserve_share))
        for e in self.p.experts.values():
            s = st[e.org]
            persons = np.maximum(1.0, np.rint(e.share * fte[e.org] * s.productive_share * (1.0 - s.vacancy_rate)))
            out[e.pool_name] = (persons, np.zeros_like(persons))
        return out


def unit_places_of(avail: np.ndarray, shares: list[float], caseloads: list[float]) -> list[np.ndarray]:
    """``sim.config.unit_places`` on arrays of available FTE (``Staffing.slots``: rounded half to even)."""
    return [np.rint(avail * share * caseload) for share, caseload in zip(shares, caseloads)]


def sequential(model: Any) -> FlowModel:
    return SequentialTwin(model).flow_model()


def integrated(model: Any) -> FlowModel:
    return IntegratedTwin(model).flow_model()
