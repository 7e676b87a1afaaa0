"""The analytic twin of today's chain (``process.py``): every route a family episode can take, with its
probability, the places it holds and the waits and activities on its way (``sim/analysis/screening.py`` turns them into
offered loads, waits and lead times).

It mirrors ``Sequential`` decision by decision: the same routing shares, the same hand-offs (a transfer delay,
none when urgent), the same holds (Veilig Thuis and the buurtteam keep a family until the Raad starts; the GI holds
a child for the whole measure). The voorlopige OTS (rood, spoed) is approximated: the GI's hold runs from the
jeugdbeschermer's assignment until the Raad's investigation and the court have decided (the Raad's wait +
investigation + transfer + beschikking) and then for the measure; the short overlap with the GI's own crisis
wait is ignored. Several organisations of a kind (``region.units``): see ``sim/scenarios/twins.py``.

Every number comes from the validated model (routing, durations, measures, staffing); nothing is set here.
When the process changes, this twin must change with it: ``tests/test_screening.py`` compares the request rates
of every pool with the simulation's.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from sim.chain import kpis
from sim.chain.entities import kind_pool, unit_pool
from sim.chain.model import place_days
from sim.kernel.flows import ONE, Fixed, FlowModel, PoolInfo, Trace, Wait, collect, min_moments, split
from sim.scenarios.twins import BT, GI, RVDK, VT_CASUS, VT_TRIAGE, Paths, unit_places_of


class SequentialTwin:
    """Today's chain (``Sequential``), route by route."""

    workflow = "sequential"

    def __init__(self, model: Any) -> None:
        self.m = model
        self._pool_info: dict[str, PoolInfo] | None = None  # pools(), once the twin is built (intake)
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
        vol = model.voluntary_gi
        self.vol = vol if vol is not None and vol.active else None  # voluntary GI begeleiding (drang), if any
        if self.vol is not None:
            self.VOL = Fixed.of("gi_voluntary", d["gi_voluntary"])
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

    def intake(self, t: Trace, pool: str, hours: float | None = None) -> None:
        """A repeated intake at the organisation whose pool is ``pool`` (a hand-off): its hours take that pool's
        places as the simulation's ``Actor.spend`` does (sim.chain.model.place_days)."""
        if self._pool_info is None:
            self._pool_info = self.pools()
        form = self.m.registration_form
        saved = form.saving if form is not None and form.shared else 0.0  # one registration form (Workflow.intake)
        hours = self.intake_hours(self._pool_info[pool].org) if hours is None else hours
        t.spend(pool, place_days(hours * (1.0 - saved),
                                 self.places_per_fte(pool), self.m.work_hours_per_day))

    def intake_hours(self, org: str) -> float:
        return self.m.intake_hours.get(org, 0.0)

    def places_per_fte(self, pool: str) -> float:
        """Places one available FTE gives at ``pool`` (its caseload norm; an organisation of a kind: its own)."""
        kind = kind_pool(pool)
        if kind in (VT_CASUS, GI):
            org = "veilig_thuis" if kind == VT_CASUS else "gi"
            for u in self.m.units_of(org):
                if unit_pool(kind, u.name) == pool:
                    return u.caseload
            return self.m.staffing[org].caseload
        return self.m.staffing[self._pool_info[pool].org].caseload

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
                yield from self.voluntary_from_vt(tt, pp)
            elif route in ("vt_onderzoek", "vt_vervolg"):
                yield from self.casework(tt, pp, route)
            else:
                yield from self.naar_raad(tt, pp, None)

    def casework(self, t: Trace, p: float, path: str, intake: bool = False) -> Paths:
        for t, p in self.organisation(t, p, "vt_unit", self.vt_units):  # escalated direct requests meet VT here
            case = self.vt_pool(VT_CASUS, t)
            if intake:  # handed over from the buurtteam: Veilig Thuis's case teams take it in
                self.intake(t, case)
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
                    yield from self.voluntary_from_vt(tt, pp)
                else:
                    yield tt, pp

    def voluntary_from_vt(self, t: Trace, p: float) -> Paths:
        """Veilig Thuis hands the family to voluntary help: the buurtteam, or voluntary GI begeleiding."""
        to_gi = 0.0 if self.vol is None else self.vol.from_vt
        for gi, tt, pp in split(t, p, {True: to_gi, False: 1.0 - to_gi}):
            tt.add(self.TRANS)
            if gi:
                yield from self.begeleiding(tt, pp)
            else:
                self.intake(tt, BT)
                yield from self.hulp(tt, pp)

    # ------------------------------------------------------------------ GI, voluntary (drang, SAVE-begeleiding)
    def voluntary_units(self, pool: str) -> tuple[float, float]:
        """(E[places], E[places^2]) voluntary begeleiding holds at ``pool``, as ``GI.voluntary_places``."""
        ch, ratio = self.m.children, self.places_per_fte(pool) / self.vol.caseload
        places = np.maximum(1, np.round(np.asarray(ch.values, dtype=float) * ratio))
        return float(np.dot(ch.probs, places)), float(np.dot(ch.probs, places**2))

    def begeleiding(self, t: Trace, p: float) -> Paths:
        """Voluntary begeleiding at the family's GI (after the transfer); then the Raad (the GI holds the family
        until it starts) or closure."""
        for t, p in self.organisation(t, p, "gi_unit", self.gi_units):
            gi = self.gi_pool(t)
            self.intake(t, gi)
            t.wait(gi)
            h = t.open(gi, self.voluntary_units(gi))
            t.mark("help", first=True)
            t.add(self.VOL)
            to_rvdk = self.vol.to_rvdk
            for raad, tt, pp in split(t, p, {True: to_rvdk, False: 1.0 - to_rvdk}):
                if raad:
                    tt.state["escalated"] = True
                    yield from self.naar_raad(tt, pp, h)
                else:
                    tt.close(h)
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
        to_gi = 0.0 if self.vol is None else self.vol.from_buurtteam
        for gi, tg, pg in split(t, p, {True: to_gi, False: 1.0 - to_gi}):
            if gi:  # the lokaal team takes the family to the GI under drang
                tg.close(h)
                tg.add(self.TRANS)
                yield from self.begeleiding(tg, pg)
                continue
            for route, tt, pp in split(tg, pg, self.m.routing["buurtteam_escalation"]):
                yield from self.escalate(tt, pp, route, h)

    def escalate(self, t: Trace, p: float, route: str, h: int) -> Paths:
        if route == "rvdk":
            yield from self.naar_raad(t, p, h)  # the buurtteam keeps the family until the Raad starts
        else:
            t.close(h)
            t.add(self.TRANS)
            yield from self.casework(t, p, "vt_onderzoek", intake=True)

    # ------------------------------------------------------------------ Raad, court, GI
    def naar_raad(self, t: Trace, p: float, melder: int | None) -> Paths:
        t.add(self.TRANS)
        self.intake(t, RVDK)
        yield from self.raad(t, p, melder, 1.0, self.after_raad)

    def raad(self, t: Trace, p: float, melder: int | None, factor: float, then) -> Paths:
        t.stage("rvdk_wait", [Wait(RVDK, t.crisis)])
        t.wait(RVDK)
        if melder is not None:
            t.close(melder)
        yield from self.onderzoek(t, p, t.open(RVDK, self.N), factor, then)

    def onderzoek(self, t: Trace, p: float, h: int, factor: float, then) -> Paths:
        """The Raad's onderzoek in the place ``h`` (its own or a team's), then each of its outcomes via ``then``."""
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
            self.intake(t, BT)
            yield from self.hulp(t, p)
        else:
            yield t, p

    def beschikking(self, t: Trace, p: float) -> Paths:
        for verdict, tt, pp in split(t, p, self.verdict):
            tt.add(self.TRANS)
            if verdict == "afgewezen":
                tt.state["escalated"] = True  # the court judged voluntary help enough
                self.intake(tt, BT)
                yield from self.hulp(tt, pp)
            else:
                yield from self.gi(tt, pp, verdict)

    def gi(self, t: Trace, p: float, measure: str, release_team=None) -> Paths:
        for t, p in self.organisation(t, p, "gi_unit", self.gi_units):
            gi = self.gi_pool(t)
            self.intake(t, gi)
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
        self.intake(t, gi)  # urgent hand-offs to the GI and the Raad: no transfer delay, two intakes
        self.intake(t, RVDK)
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
        self.intake(t, BT)
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

    def partner_places(self, left: dict[str, np.ndarray], triage_share: Any = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Places and crisis reserves of the partners' own pools, as their actors compute them (Staffing.slots:
        available FTE x caseload, rounded half to even like Python's round). ``triage_share``: Veilig Thuis's
        front-desk share of ``left`` when a staff move changed it (``Staffing.minus``), else its own."""
        out = {}
        for org, s in self.m.staffing.items():
            avail = s.present(left[org])
            if org == "veilig_thuis" and triage_share is not None:
                s = replace(s, triage_share=triage_share)
            units = self.m.units_of(org)
            if units:  # each organisation of the kind: sim.chain.model.unit_places, on arrays
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


def flows(model: Any) -> FlowModel:
    """The flow model of ``model`` (a validated model whose workflow is today's chain)."""
    return SequentialTwin(model).flow_model()
