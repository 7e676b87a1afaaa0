"""Veilig Thuis (VT): advies- en meldpunt huiselijk geweld en kindermishandeling.

Models, per melding: the veiligheidsbeoordeling (triage; legal term 5 werkdagen, Uitvoeringsbesluit Wmo 2015
art. 4.1.7), and for the families VT keeps: its own onderzoek (legal term 10 weeks) or 'voorwaarden en vervolg'
(monitoring). Acute (rood) meldingen are assessed first and may use a crisis reserve.

Capacity: two caseload pools split from ``staffing.veilig_thuis``: the front desk (``triage_share`` of the FTE,
``triage_caseload`` open meldingen per FTE) and the case teams (the rest, ``caseload`` open cases per FTE).
VT FTE are published nowhere (domain.md 1d): the region files say "assumption" and calibration fits them.
While a family waits for the Raad, VT keeps responsibility and so keeps the caseload place
(domain.md 1c, NRC 2019: "responsibility while waiting stays with the melder").

Several Veilig Thuis organisations in one region (``region.units.veilig_thuis``: Gelderland-Midden,
Gelderland-Zuid, Noord- en Oost-Gelderland): each has its own front desk and case teams
(``veilig_thuis.triage[<name>]``, ``veilig_thuis.casus[<name>]``): its ``triage_fte_share`` of the front desk's FTE
and its ``fte_share`` of the case teams' (at its own caseload if given; ``sim.chain.model.unit_places``), and a family
is served by the organisation of its catchment (``Family.vt_unit``), which may have its own triage routing
(``Sequential.triage_decision``). The durations are the same for every organisation (one stream each).
"""

from __future__ import annotations

from sim.actors.base import SPEND_DAYS, Actor, Then
from sim.chain.entities import Family, unit_pool
from sim.chain.model import place_days, unit_places
from sim.kernel.engine import CaseloadPool


class VeiligThuis(Actor):
    org = "veilig_thuis"

    def __init__(self, wf) -> None:
        super().__init__(wf)
        st = self.model.staffing[self.org]
        units = self.model.units_of(self.org)
        self.front_desks: dict[str, CaseloadPool] = {}  # Family.vt_unit -> its organisation's pool ("": no units)
        self.case_teams_of: dict[str, CaseloadPool] = {}
        if units:
            names = [u.name for u in units]
            desks, cases = unit_places(st, units, desk=True), unit_places(st, units)
        else:
            names, desks, cases = [""], [st.slots(st.triage_share, st.triage_caseload)], [st.slots(1.0 - st.triage_share)]
        for name, triage_slots, case_slots in zip(names, desks, cases):
            self.front_desks[name] = self.engine.pool(unit_pool("veilig_thuis.triage", name), self.org, triage_slots,
                                                      st.reserve(triage_slots))
            self.case_teams_of[name] = self.engine.pool(unit_pool("veilig_thuis.casus", name), self.org, case_slots,
                                                        st.reserve(case_slots))
        self.caseload = {u.name: u.caseload for u in units} if units else {"": st.caseload}  # case teams' norm
        for name in names:
            self.front_desks[name].fte_per_place = 1.0 / st.triage_caseload
            self.case_teams_of[name].fte_per_place = 1.0 / self.caseload[name]
        # one organisation: its pools (a region with units has one per organisation: front_desks, case_teams_of)
        self.front_desk = self.front_desks.get("")
        self.case_teams = self.case_teams_of.get("")
        d = self.model.durations
        self.triage_time = self.streams.sampler("duration.vt_triage", d["vt_triage"])
        self.onderzoek_time = self.streams.sampler("duration.vt_onderzoek", d["vt_onderzoek"])
        self.vervolg_time = self.streams.sampler("duration.vt_vervolg", d["vt_vervolg"])

    def work_pool(self, fam: Family) -> tuple[CaseloadPool, float]:
        """A repeated intake is the case teams' work (the first, the melding taken in, is the front desk's
        veiligheidsbeoordeling itself)."""
        return self.case_teams_of[fam.vt_unit], self.caseload[fam.vt_unit]

    def spend_at_front_desk(self, fam: Family, hours: float) -> None:
        """Front-desk hours spent on ``fam`` outside a held place (a vervolgmelding read, weighed and added to the
        open case: sim/chain/waiting.py), by the rule of every spent hour (:meth:`Actor.spend`, place_days)."""
        days = place_days(hours, self.model.staffing[self.org].triage_caseload, self.model.work_hours_per_day)
        units = max(1, int(round(days / SPEND_DAYS)))
        self.front_desks[fam.vt_unit].occupy(units, days / units)

    # ---------------------------------------------------------------- veiligheidsbeoordeling
    def veiligheidsbeoordeling(self, fam: Family, then: Then, remaining: float | None = None,
                               waiting_since: float | None = None) -> None:
        """Triage of a melding; ``then(fam, 'assessed')`` when the decision is taken. When the run starts from
        today (run.start=today): ``remaining``, the assessment is under way and ends after that many days;
        ``waiting_since``, the melding has been waiting since then (<= 0)."""
        fam.involve(self.org)
        self.log(fam, "veiligheidsbeoordeling", "schedule" if remaining is None else "resume")
        front_desk = self.front_desks[fam.vt_unit]  # the front desk of the family's Veilig Thuis

        def start(f: Family, wait: float) -> None:
            f.add_wait(self.org, wait)
            f.triage_start = self.engine.now
            self.log(f, "veiligheidsbeoordeling", "start")
            self.engine.at(self.triage_time.next(), done, f)

        def done(f: Family) -> None:
            front_desk.release_case(f)
            f.triage_end = self.engine.now
            self.log(f, "veiligheidsbeoordeling", "complete")
            then(f, "assessed")

        if remaining is not None:
            front_desk.preload(fam, 1)
            self.engine.at(remaining, done, fam)
        elif waiting_since is not None:
            front_desk.backlog(fam, 1, fam.crisis, start, waiting_since)
        else:
            front_desk.request(fam, 1, fam.crisis, start)

    # ---------------------------------------------------------------- onderzoek and vervolg
    def onderzoek(self, fam: Family, then: Then, remaining: float | None = None) -> None:
        """VT's own investigation; the case place is kept until the workflow calls :meth:`discharge`.
        ``remaining``: already under way at the start of the run (run.start=today), ends after that many days."""
        self._casework(fam, "vt_onderzoek", self.onderzoek_time, then, remaining)

    def vervolg(self, fam: Family, then: Then, remaining: float | None = None) -> None:
        """'Voorwaarden en vervolg': VT sets conditions and monitors; the place is kept until discharge."""
        self._casework(fam, "vt_vervolg", self.vervolg_time, then, remaining)

    def _casework(self, fam: Family, activity: str, duration, then: Then, remaining: float | None = None) -> None:
        fam.involve(self.org)
        self.log(fam, activity, "schedule" if remaining is None else "resume")

        def start(f: Family, wait: float) -> None:
            f.add_wait(self.org, wait)
            setattr(f, f"{activity}_start", self.engine.now)
            self.log(f, activity, "start")
            self.engine.at(duration.next(), done, f)

        def done(f: Family) -> None:
            setattr(f, f"{activity}_end", self.engine.now)
            self.log(f, activity, "complete")
            then(f, "done")

        case_teams = self.case_teams_of[fam.vt_unit]
        if remaining is None:
            case_teams.request(fam, 1, fam.crisis, start)
        else:
            case_teams.preload(fam, 1)
            self.engine.at(remaining, done, fam)

    def discharge(self, fam: Family) -> None:
        """VT's responsibility ends (closed, handed over, or the Raad has started): free the case place."""
        self.case_teams_of[fam.vt_unit].release_case(fam)
