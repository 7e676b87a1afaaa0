"""Raad voor de Kinderbescherming (RvdK): the beschermingsonderzoek.

A verzoek tot onderzoek joins the Raad's waiting list (norm: start within 10 days; realised 21-35 days mean,
~2,800 children waiting nationally: domain.md 1c). The onderzoek holds one caseload place per child (the
Raad counts onderzoeken per child: NJi table, domain.md 1b) for ``durations.rvdk_onderzoek`` (mean 90 days,
Verwey-Jonker 2007) and ends in a verzoekschrift to the kinderrechter (61 %, NJi 2023), a referral back to
voluntary help, or closure. During a voorlopige OTS (crisis) the Raad investigates with priority.

Raadsonderzoeker FTE are not published (domain.md 1d): the region files mark them "assumption".
"""

from __future__ import annotations

from typing import Callable

from sim.actors.base import Actor, Then
from sim.chain.entities import Family
from sim.kernel.engine import CaseloadPool


class RvdK(Actor):
    org = "rvdk"

    def __init__(self, wf) -> None:
        super().__init__(wf)
        st = self.model.staffing[self.org]
        slots = st.slots()
        self.raadsonderzoekers = self.engine.pool("rvdk", self.org, slots, st.reserve(slots))
        self.raadsonderzoekers.fte_per_place = 1.0 / st.caseload
        self.onderzoek_time = self.streams.sampler("duration.rvdk_onderzoek", self.model.durations["rvdk_onderzoek"])
        r = self.model.routing["rvdk_outcome"]
        self.outcome = self.streams.chooser("route.rvdk_outcome", tuple(r), tuple(r.values()))

    def work_pool(self, fam: Family) -> tuple[CaseloadPool, float]:
        return self.raadsonderzoekers, self.model.staffing[self.org].caseload

    def beschermingsonderzoek(self, fam: Family, then: Then, on_start: Callable[[Family], None] | None = None,
                              duration_factor: float = 1.0, remaining: float | None = None,
                              waiting_since: float | None = None) -> None:
        """Investigate; ``on_start(fam)`` when the onderzoek starts (the melder's responsibility ends),
        ``then(fam, outcome)`` at the end with outcome ``verzoek``, ``buurtteam`` or ``close``. When the run
        starts from today: ``remaining``, the onderzoek is under way; ``waiting_since``, the children have been
        on the waiting list since then (<= 0)."""
        fam.involve(self.org)
        fam.rvdk_request = self.engine.now
        self.log(fam, "beschermingsonderzoek", "schedule" if remaining is None else "resume")

        def start(f: Family, wait: float) -> None:
            f.add_wait(self.org, wait)
            f.rvdk_start = self.engine.now
            self.log(f, "beschermingsonderzoek", "start")
            if on_start is not None:
                on_start(f)
            self.engine.at(self.onderzoek_time.next() * duration_factor, done, f)

        def done(f: Family) -> None:
            self.raadsonderzoekers.release_case(f)
            f.rvdk_end = self.engine.now
            self.log(f, "beschermingsonderzoek", "complete")
            then(f, self.outcome.next())

        if remaining is not None:
            self.raadsonderzoekers.preload(fam, fam.n_children)
            self.engine.at(remaining, done, fam)
        elif waiting_since is not None:
            self.raadsonderzoekers.backlog(fam, fam.n_children, fam.crisis, start, waiting_since)
        else:
            self.raadsonderzoekers.request(fam, fam.n_children, fam.crisis, start)
