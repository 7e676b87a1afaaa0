"""What every workflow shares: arrivals, hand-offs, intakes, closure and re-entry, and the records.

A workflow subclass composes the actors it needs in :meth:`Workflow.build` and states the route of a family
from :meth:`Workflow.arrive` onwards, one method per decision point, so that the module reads like the process
in the seed articles. Adding a workflow touches no engine file; registering it in ``sim/scenarios/__init__.py``
makes ``scenario=<name>`` work.
"""

from __future__ import annotations

from typing import Any, Callable

from sim import demand
from sim.actors.base import Actor
from sim.config import COLOURS, Model
from sim.demand import ROUTES
from sim.engine import Engine
from sim.entities import Family
from sim.streams import Streams


class Workflow:
    """One replication of one workflow: build, run, and keep every family and event."""

    name: str = ""

    def __init__(self, model: Model, replication: int) -> None:
        self.model = model
        self.replication = replication
        self.streams = Streams(model.run.seed, replication)
        self.engine = Engine(model.horizon_days, observe_from=model.warmup_days,
                             step_days=model.run.timeseries_step_days)
        self.events: list[tuple] | None = [] if model.run.event_log else None
        self.families: list[Family] = []
        self.actors: dict[str, Actor] = {}
        self.transfer_time = self.streams.sampler("duration.transfer", model.durations["transfer"])
        self.reentry_probability = model.reentry_probability
        self.voluntary_suffices = model.voluntary_suffices
        self.build()
        self.arrivals = demand.generate(model, self.streams)

    # ------------------------------------------------------------------ to be defined by a workflow
    def build(self) -> None:
        """Create the actors (``self.add(...)``) and the workflow's own decision streams."""
        raise NotImplementedError

    def arrive(self, fam: Family) -> None:
        """A family (episode) enters the chain: a melding, a direct request at the buurtteam, a hermelding."""
        raise NotImplementedError

    # ------------------------------------------------------------------ composition
    def add(self, actor: Actor) -> Any:
        self.actors[actor.org] = actor
        return actor

    def run(self) -> "Workflow":
        if len(self.arrivals):
            self.engine.at(float(self.arrivals.time[0]), self._arrival, 0)
        self.engine.run()
        return self

    def _arrival(self, i: int) -> None:
        a = self.arrivals
        route = ROUTES[a.route[i]]
        fam = self._family(i, 0, route)
        if i + 1 < len(a):
            self.engine.at(float(a.time[i + 1]) - self.engine.now, self._arrival, i + 1)
        self.arrive(fam)

    def _family(self, i: int, episode: int, route: str) -> Family:
        a = self.arrivals
        fam = Family(case_id=i * self.model.max_episodes + episode, family_id=i, episode=episode, route=route,
                     arrival=self.engine.now, colour=COLOURS[a.colour[i, episode]],
                     n_children=int(a.n_children[i]), voluntary_u=float(a.voluntary_u[i, episode]),
                     reentry_u=float(a.reentry_u[i, episode]), return_after=float(a.return_after[i, episode]))
        self.families.append(fam)
        self.log(fam, "melding" if route != "direct" else "hulpvraag", "", "complete")
        return fam

    # ------------------------------------------------------------------ shared steps
    def log(self, fam: Family, activity: str, org: str, lifecycle: str) -> None:
        if self.events is not None:
            self.events.append((fam.case_id, activity, org, lifecycle, self.engine.now))

    def intake(self, fam: Family, org: str) -> None:
        """A new organisation takes the family in: the family tells its story again; intake hours are spent."""
        fam.intakes += 1
        fam.stories_told += 1
        fam.intake_hours += self.model.intake_hours.get(org, 0.0)

    def handoff(self, fam: Family, to_org: str, then: Callable[[Family], None], urgent: bool = False) -> None:
        """Hand the family to another organisation: a transfer delay (none when urgent), a new intake and one
        more story told (the cost of the sequential chain that the seed articles describe)."""
        fam.handoffs += 1
        self.intake(fam, to_org)
        self.log(fam, "overdracht", to_org, "complete")
        self.engine.at(0.0 if urgent else self.transfer_time.next(), then, fam)

    def suffices(self, fam: Family) -> bool:
        """Will voluntary help be enough? Drawn per episode at arrival; a family escalated once gets its
        second chance of voluntary help after the Raad or the court judged that enough (assumption: avoids
        endless escalation loops that no source describes)."""
        if fam.escalations > 0:
            return True
        return not fam.crisis and fam.voluntary_u < self.voluntary_suffices

    def close(self, fam: Family, outcome: str) -> None:
        """The episode ends. With the re-entry probability the family comes back later as a hermelding."""
        fam.closed = self.engine.now
        fam.outcome = outcome
        self.log(fam, "afsluiting", "", "complete")
        nxt = fam.episode + 1
        if nxt < self.model.max_episodes and fam.reentry_u < self.reentry_probability:
            self.engine.at(fam.return_after, self._reentry, (fam.family_id, nxt))

    def _reentry(self, key: tuple[int, int]) -> None:
        i, episode = key
        self.arrive(self._family(i, episode, "hermelding"))
