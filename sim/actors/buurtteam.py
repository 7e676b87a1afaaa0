"""Buurtteam / lokaal team / wijkteam: the municipality's voluntary help.

Families arrive by overdracht from Veilig Thuis, directly (a safety concern raised at the local team), or back
from the Raad when no measure is needed. The team holds a caseload place for the whole help episode. When
voluntary help does not suffice (a family attribute drawn at arrival against ``families.voluntary_suffices``),
the team escalates after ``durations.buurtteam_escalation_after`` days, to the Raad (verzoek tot onderzoek) or
back to Veilig Thuis, and keeps the family on its caseload until the Raad starts (domain.md 1c).

Lokaal team FTE and caseload are not published (domain.md 1d): the region files mark them "assumption".
"""

from __future__ import annotations

from sim.actors.base import Actor, Then
from sim.chain.entities import Family
from sim.kernel.engine import CaseloadPool


class Buurtteam(Actor):
    org = "buurtteam"

    def __init__(self, wf) -> None:
        super().__init__(wf)
        st = self.model.staffing[self.org]
        slots = st.slots()
        self.team = self.engine.pool("buurtteam", self.org, slots, st.reserve(slots))
        self.team.fte_per_place = 1.0 / st.caseload
        self.help_time = self.streams.sampler("duration.buurtteam_help", self.model.durations["buurtteam_help"])
        self.escalate_after = self.streams.sampler("duration.buurtteam_escalation_after",
                                                   self.model.durations["buurtteam_escalation_after"])

    def work_pool(self, fam: Family) -> tuple[CaseloadPool, float]:
        return self.team, self.model.staffing[self.org].caseload

    def vrijwillige_hulp(self, fam: Family, voluntary_suffices: bool, then: Then,
                         remaining: float | None = None) -> None:
        """Voluntary help: ``then(fam, 'done')`` after the episode, or ``then(fam, 'escalate')`` when it
        fails (the place is then kept until :meth:`discharge`). ``remaining``: help already under way when the
        run starts (run.start=today); it ends, or is escalated, after that many days."""
        fam.involve(self.org)
        fam.buurtteam_request = self.engine.now
        self.log(fam, "vrijwillige_hulp", "schedule" if remaining is None else "resume")
        if remaining is None:
            length = self.help_time.next()
            escalate_at = None if voluntary_suffices else min(self.escalate_after.next(), length)

        def start(f: Family, wait: float) -> None:
            f.add_wait(self.org, wait)
            now = self.engine.now
            if f.buurtteam_start != f.buurtteam_start:  # NaN: first help episode at the team
                f.buurtteam_start = now
            if f.help_start != f.help_start:
                f.help_start = now
            self.log(f, "vrijwillige_hulp", "start")
            if escalate_at is None:
                self.engine.at(length, done, f)
            else:
                self.engine.at(escalate_at, escalate, f)

        def done(f: Family) -> None:
            self.team.release_case(f)
            f.buurtteam_end = self.engine.now
            self.log(f, "vrijwillige_hulp", "complete")
            then(f, "done")

        def escalate(f: Family) -> None:
            self.log(f, "vrijwillige_hulp", "suspend")
            then(f, "escalate")

        if remaining is None:
            self.team.request(fam, 1, fam.crisis, start)
        else:
            self.team.preload(fam, 1)
            self.engine.at(remaining, done if voluntary_suffices else escalate, fam)

    def discharge(self, fam: Family) -> None:
        if self.team.is_holding(fam):
            self.team.release_case(fam)
            fam.buurtteam_end = self.engine.now
