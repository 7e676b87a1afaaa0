"""Kinderrechter (juvenile court): decides on the Raad's verzoekschrift and on spoedverzoeken.

The court is modelled as a delay without a capacity limit: its lead time is not published (domain.md 1c,
"Court: verzoekschrift -> beschikking NOT FOUND"), so ``durations.court_decision`` is an assumption, and no
staffing key exists for it. A spoedverzoek gives a voorlopige OTS within ``durations.court_spoed`` (about one
day: domain.md 1c). Granting is ``routing.court_grants`` (assumption); the kind of measure follows the NJi
split of requested measures (OTS 67 %, OTS + machtiging uithuisplaatsing 23 %, other incl. voogdij 10 %).

Court capacity (``court.zittingen_per_week``, issue 16 item 3): ``unlimited`` (conf/process/nl_2023.yaml) is the
delay model above, exactly. A number makes the court a calendar of that many zittingen a week
(sim/kernel/calendar.py): a verzoekschrift is ready for its hearing after ``durations.court_decision`` (the file,
the parties summoned) and a spoedverzoek after ``durations.court_spoed``; then each takes the first free zitting,
spoed before every regular request waiting, and the beschikking is given at the zitting. The drawn durations are
the same in both settings, so no other draw moves.
"""

from __future__ import annotations

from sim.actors.base import Actor, Then
from sim.chain.entities import ADULT_DAYS, Family
from sim.kernel.calendar import SessionCalendar


class Kinderrechter(Actor):
    org = "kinderrechter"

    def __init__(self, wf) -> None:
        super().__init__(wf)
        d = self.model.durations
        self.decision_time = self.streams.sampler("duration.court_decision", d["court_decision"])
        self.spoed_time = self.streams.sampler("duration.court_spoed", d["court_spoed"])
        self.grants = self.streams.bernoulli("route.court_grants")
        mt = self.model.routing["measure_type"]
        self.measure_type = self.streams.chooser("route.measure_type", tuple(mt), tuple(mt.values()))
        self.extension = self.streams.bernoulli("route.extension")
        per_week = getattr(self.model, "court_per_week", None)  # None: unlimited (the delay model)
        self.calendar = SessionCalendar(self.engine, per_week) if per_week is not None else None

    def verzoekschrift(self, fam: Family, then: Then, remaining: float | None = None) -> None:
        """Hearing and beschikking: ``then(fam, measure)`` with measure ``ots``, ``ots_uhp``, ``voogdij`` or
        ``afgewezen`` (request refused). ``remaining``: the request is already pending when the run starts
        (run.start=today); the decision follows after that many days."""
        fam.involve(self.org)
        fam.court_request = self.engine.now
        fam.court_hearings += 1
        self.log(fam, "zitting", "start")

        def decide(f: Family) -> None:
            f.court_decision = self.engine.now
            self.log(f, "zitting", "complete")
            if f.born + ADULT_DAYS <= self.engine.now:  # the child came of age meanwhile: no child-protection measure
                then(f, "afgewezen")
                return
            then(f, self.measure_type.next() if self.grants.chance(self.model.court_grants) else "afgewezen")

        delay = self.decision_time.next() if remaining is None else remaining
        if self.calendar is None:
            self.engine.at(delay, decide, fam)
        else:  # ready for a zitting after the delay; the beschikking at the zitting
            self.engine.at(delay, self._book, (fam, False, decide))

    def spoedmachtiging(self, fam: Family, then: Then) -> None:
        """Voorlopige OTS on a spoedverzoek: ``then(fam, 'vots')``."""
        fam.involve(self.org)
        fam.court_request = self.engine.now
        self.log(fam, "spoedzitting", "start")

        def decide(f: Family) -> None:
            f.court_decision = self.engine.now
            f.vots_at = self.engine.now
            f.court_hearings += 1  # the hearing of parents and child follows within two weeks
            self.log(f, "spoedzitting", "complete")
            then(f, "vots")

        if self.calendar is None:
            self.engine.at(self.spoed_time.next(), decide, fam)
        else:
            self.engine.at(self.spoed_time.next(), self._book, (fam, True, decide))

    def _book(self, request: tuple) -> None:
        fam, spoed, decide = request
        self.calendar.book(fam, spoed, lambda f, _wait: decide(f))

    def verlenging(self, fam: Family, measure: str) -> bool:
        """Yearly extension of a measure; returns True if the measure continues."""
        p = self.model.measures[measure].extension_probability
        fam.extensions += 1
        fam.court_hearings += 1
        return self.extension.chance(p)
