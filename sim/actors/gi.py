"""Gecertificeerde instelling (GI): executes the measure; each jeugdbeschermer carries a caseload.

A measure joins the GI's wachtlijst (children without a vaste jeugdbeschermer: ~1,500 nationally in Jan 2024,
domain.md 1c) until caseload places are free for every child of the family; first contact follows after
``durations.gi_first_contact`` (old norm 5 werkdagen), which is the start of help under the measure. The
places are held for the whole measure: terms of ``measures.<kind>.term_days`` (OTS: max 1 year, extendable),
each extended with ``extension_probability`` (derived from the CBS mean OTS duration of ~2.3 years).

Caseload: ``staffing.gi.caseload`` measures (children) per FTE: 12 agreed in 2023-24 (FNV/GIs principeakkoord),
15 the old norm, 22 observed in 2022 (domain.md 1d).

Several GIs in one region (``region.units.gi``: Jeugdbescherming Gelderland, William Schrikker Stichting, Leger
des Heils JB&JR, Jeugd Veilig Verder): each has its own jeugdbeschermers and waiting list (``gi[<name>]``), sized
from ``staffing.gi`` x its ``fte_share`` at its own caseload if given, and a family's measure goes to its GI
(``Family.gi_unit``, drawn from the GIs' shares). The durations are the same for every GI.

Voluntary begeleiding without a measure (drang, SAVE-begeleiding; ``voluntary_gi.*``, :meth:`GI.begeleiding`): the
family's GI takes it on from its same jeugdbeschermers' pool, at ``voluntary_gi.caseload`` children per FTE (so a
child takes ``caseload / voluntary_gi.caseload`` of a measure's place, rounded, at least one place per family), for
``durations.gi_voluntary`` days; then the workflow decides (the Raad or closure).
"""

from __future__ import annotations

import math
from typing import Callable

from sim.actors.base import Actor, Then
from sim.chain.entities import ADULT_DAYS, Family, unit_pool
from sim.chain.model import unit_places
from sim.kernel.engine import CaseloadPool


class GI(Actor):
    org = "gi"

    def __init__(self, wf, extends: Callable[[Family, str], bool]) -> None:
        """``extends(fam, measure)``: does the measure run another term? The workflow wires in the court's
        decision (``Kinderrechter.verlenging``); actors never look each other up."""
        super().__init__(wf)
        self.extends = extends
        st = self.model.staffing[self.org]
        units = self.model.units_of(self.org)
        names, places = ([u.name for u in units], unit_places(st, units)) if units else ([""], [st.slots()])
        self.pools: dict[str, CaseloadPool] = {}  # Family.gi_unit -> its GI's pool ("": one GI)
        for name, slots in zip(names, places):
            self.pools[name] = self.engine.pool(unit_pool("gi", name), self.org, slots, st.reserve(slots))
        self.caseload = {u.name: u.caseload for u in units} if units else {"": st.caseload}  # children per FTE
        for name, pool in self.pools.items():
            pool.fte_per_place = 1.0 / self.caseload[name]
        self.jeugdbeschermers = self.pools.get("")  # one GI: its pool (with units: pool_for(fam))
        self.first_contact = self.streams.sampler("duration.gi_first_contact", self.model.durations["gi_first_contact"])
        vol = self.model.voluntary_gi
        self.voluntary = vol if vol is not None and vol.active else None
        if self.voluntary is not None:  # its own stream: created only when the route exists (others' draws unchanged)
            self.voluntary_time = self.streams.sampler("duration.gi_voluntary", self.model.durations["gi_voluntary"])

    def pool_for(self, fam: Family) -> CaseloadPool:
        """The jeugdbeschermers' pool of the family's GI."""
        return self.pools[fam.gi_unit]

    def work_pool(self, fam: Family) -> tuple[CaseloadPool, float]:
        return self.pools[fam.gi_unit], self.caseload[fam.gi_unit]

    def toewijzen(self, fam: Family, then: Then, waiting_since: float | None = None) -> None:
        """Assign a jeugdbeschermer; ``then(fam, 'started')`` at first contact. Places stay held until
        :meth:`afsluiten`. ``waiting_since``: the children have been waiting since then (<= 0) when the run
        starts from today (run.start=today)."""
        fam.involve(self.org)
        fam.gi_request = self.engine.now
        self.log(fam, "jeugdbeschermer", "schedule")

        def assigned(f: Family, wait: float) -> None:
            f.add_wait(self.org, wait)
            f.gi_assigned = self.engine.now
            self.log(f, "jeugdbeschermer", "start")
            self.engine.at(self.first_contact.next(), contact, f)

        pool = self.pools[fam.gi_unit]

        def contact(f: Family) -> None:
            if not pool.is_holding(f):  # the measure ended before the first contact
                return
            f.gi_first_contact = self.engine.now
            if f.help_start != f.help_start:
                f.help_start = self.engine.now
            self.log(f, "eerste_contact", "complete")
            then(f, "started")

        if waiting_since is None:
            pool.request(fam, fam.n_children, fam.crisis, assigned)
        else:
            pool.backlog(fam, fam.n_children, fam.crisis, assigned, waiting_since)

    def voluntary_places(self, fam: Family) -> int:
        """Places of the family's GI pool that voluntary begeleiding holds: its children at the voluntary caseload
        in units of a measure's place (the GI's caseload), rounded, at least one."""
        return max(1, int(round(fam.n_children * self.caseload[fam.gi_unit] / self.voluntary.caseload)))

    def begeleiding(self, fam: Family, then: Then) -> None:
        """Voluntary begeleiding without a measure (drang, SAVE-begeleiding): wait for places, help for
        ``durations.gi_voluntary`` days, then ``then(fam, 'ended')`` with the places still held (the workflow
        calls :meth:`discharge` when the family leaves: at once, or when the Raad starts)."""
        fam.involve(self.org)
        self.log(fam, "vrijwillige_begeleiding", "schedule")
        length = self.voluntary_time.next()
        pool = self.pools[fam.gi_unit]

        def start(f: Family, wait: float) -> None:
            f.add_wait(self.org, wait)
            f.gi_voluntary_start = self.engine.now
            if f.help_start != f.help_start:
                f.help_start = self.engine.now
            self.log(f, "vrijwillige_begeleiding", "start")
            self.engine.at(length, end, f)

        def end(f: Family) -> None:
            self.log(f, "vrijwillige_begeleiding", "complete")
            then(f, "ended")

        pool.request(fam, self.voluntary_places(fam), fam.crisis, start)

    def discharge(self, fam: Family) -> None:
        """Voluntary begeleiding ends: free its places."""
        pool = self.pools[fam.gi_unit]
        if pool.is_holding(fam):
            pool.release_case(fam)
            fam.gi_voluntary_end = self.engine.now

    def uitvoeren(self, fam: Family, measure: str, then: Then, first_term: float | None = None) -> None:
        """Run the measure term by term, asking the court for each extension; ``then(fam, 'ended')``.
        ``first_term``: days left of the current term of a measure already running (run.start=today)."""
        term = _Term(self, measure, self.model.measures[measure].term_days, then, fam.born + ADULT_DAYS)
        self.log(fam, f"maatregel_{measure}", "start" if first_term is None else "resume")
        first = term.days if first_term is None else first_term
        if term.adult_at == term.adult_at:  # the child has an age: the measure ends at its 18th birthday at the latest
            first = min(first, max(term.adult_at - self.engine.now, 0.0))
        self.engine.at(first, term.end, fam)

    def lopende_maatregel(self, fam: Family, measure: str, remaining_term: float, then: Then) -> None:
        """A measure already running when the run starts (run.start=today): the jeugdbeschermer's places are
        taken at once and the current term ends after ``remaining_term`` days; then as :meth:`uitvoeren`."""
        fam.involve(self.org)
        self.pools[fam.gi_unit].preload(fam, fam.n_children)
        self.uitvoeren(fam, measure, then, first_term=remaining_term)

    def afsluiten(self, fam: Family) -> None:
        """The measure ends: free the family's places."""
        self.pools[fam.gi_unit].release_case(fam)
        fam.measure_end = self.engine.now


class _Term:
    """A running measure's terms: at each term's end the court extends it (another term) or it ends.

    A record with a bound method rather than a closure that schedules itself: such a closure refers to itself
    through its cell, so every measure left a reference cycle (with its family) for the cyclic collector after
    the run (~3,200 per Gelderland replication of 3 years, 2-3 % of its CPU: docs/performance.md)."""

    __slots__ = ("gi", "measure", "days", "then", "adult_at")

    def __init__(self, gi: GI, measure: str, days: float, then: Then, adult_at: float = math.nan) -> None:
        self.gi, self.measure, self.days, self.then = gi, measure, days, then
        self.adult_at = adult_at  # the child's 18th birthday (days); NaN: children never age

    def end(self, fam: Family) -> None:
        gi = self.gi
        now = gi.engine.now
        if now >= self.adult_at:  # the child came of age: every measure ends (an outcome of its own)
            gi.afsluiten(fam)
            fam.aged_out_at = now
            gi.log(fam, f"maatregel_{self.measure}", "complete")
            gi.log(fam, "meerderjarig", "complete")
            self.then(fam, "aged_out")
            return
        if gi.extends(fam, self.measure):
            days = self.days
            if self.adult_at == self.adult_at:
                days = min(days, self.adult_at - now)
            gi.engine.at(days, self.end, fam)
        else:
            gi.afsluiten(fam)
            gi.log(fam, f"maatregel_{self.measure}", "complete")
            self.then(fam, "ended")
