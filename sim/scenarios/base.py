"""What every workflow shares: arrivals, hand-offs, intakes, closure and re-entry, and the records.

A workflow subclass composes the actors it needs in :meth:`Workflow.build` and states the route of a family
from :meth:`Workflow.arrive` onwards, one method per decision point, so that the module reads like the process
in the seed articles. Adding a workflow touches no engine file: a package ``sim/scenarios/<name>/`` whose
``WORKFLOW`` descriptor names its subclass (``sim/scenarios/registry.py``) makes ``scenario=<name>`` work.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from sim.actors.base import Actor
from sim.chain import demand, initial_state, waiting, workforce
from sim.chain.checks import COLOURS
from sim.chain.demand import ROUTES
from sim.chain.entities import Family
from sim.chain.model import Model
from sim.kernel.engine import Engine
from sim.kernel.streams import Streams


class Workflow:
    """One replication of one workflow: build, run, and keep every family and event."""

    name: str = ""

    def __init__(self, model: Model, replication: int) -> None:
        self.model = model
        # the region as validated, before build() may give the partners' actors what a team or expert duty leaves
        # them (self.model = replace(...)): today's open cases sit in today's organisations, with today's places
        self.region_model = model
        self.replication = replication
        self.streams = Streams(model.run.seed, replication)
        self.engine = Engine(model.horizon_days, observe_from=model.warmup_days,
                             step_days=model.run.timeseries_step_days)
        self.events: list[tuple] | None = [] if model.run.event_log else None
        self.families: list[Family] = []
        self.preexisting: demand.Arrivals | None = None  # run.start=today: attributes of the families known before
        self.actors: dict[str, Actor] = {}
        self.staff_origins: dict[str, dict[str, float]] = {}  # pool staffed from several partners -> their paper FTE
        self.transfer_time = self.streams.sampler("duration.transfer", model.durations["transfer"])
        self.reentry_probability = model.reentry_probability
        self.voluntary_suffices = model.voluntary_suffices
        form = model.registration_form
        self.shared_form = form if form is not None and form.shared else None  # handoff.registration_form=shared
        if self.shared_form is not None:  # a stream of its own, only with the shared form (others' draws unchanged)
            self.retold = self.streams.bernoulli("route.shared_form_retold")
        # names of the region's organisations per kind (region.units), indexed by Arrivals.vt_unit / gi_unit
        self.unit_names = {kind: tuple(u.name for u in model.units_of(kind)) for kind in ("veilig_thuis", "gi")}
        self.waiting: waiting.Waiting | None = None  # set by run(): None when model.waiting is off
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
        self._rows = [_Rows(self.arrivals)]  # [the run's arrivals, the pre-existing families (run.start=today)]
        # what waiting does to families (sim/chain/waiting.py): hooks on the pools before today's waiting lists fill
        self.waiting = waiting.attach(self)
        if self.model.run.start == "today":
            self.seed_initial_state()
        if len(self.arrivals):
            self.engine.at(float(self.arrivals.time[0]), self._arrival, 0)
        if self.model.staff_dynamics is not None:  # FTE available over time (sim/chain/workforce.py); None: fixed places
            self.staff = workforce.attach(self)
        self.engine.run()
        now = self.engine.now
        for pool in self.engine.pools.values():  # right-censored waits: what was waited until the end
            for fam, _, since in pool.waiting():
                fam.add_wait(pool.org, now - since)
        return self

    # ------------------------------------------------------------------ run.start=today
    def seed_initial_state(self) -> None:
        """Put the region's open cases in place at time zero (``run.start=today``, sim/chain/initial_state.py).

        Cases in care take their places at once and finish their current activity after their remaining time;
        waiting cases join the waiting lists, longest waiting first; families closed before the start come back
        as hermeldingen. Each case enters through the workflow's ``resume_<stage>(fam, case)`` method, so a
        workflow states where today's cases stand in its own process (its package's ``today.py``; today's chain's
        in ``sim/scenarios/sequential/today.py``). Pre-existing families get ids after the run's own arrivals and are marked
        ``preexisting`` in the families table; their history before the start is the case's ``milestones``.

        The plan is drawn from the region's model, not from the workflow's: a workflow that moves staff out of the
        partners would otherwise split the cases in care over the organisations by its own places, and every draw
        after that split would move (other entry times, colours, children for the same family id). So every
        workflow gets the same families with the same attributes; only where they stand differs.
        """

        plan = initial_state.plan(self.region_model, self.streams)
        self.preexisting = plan.attributes
        self._rows = [_Rows(self.arrivals), _Rows(plan.attributes)]  # also when called before run() (tests)
        offset = len(self.arrivals)
        if self.model.age_at_melding is not None:
            self._rows[1].born = self._preexisting_births(plan)
        for case in plan.cases:
            resume = getattr(self, f"resume_{case.stage}", None)
            if resume is None:
                raise NotImplementedError(f"workflow {self.name!r} cannot start from today's state: it has no "
                                          f"resume_{case.stage}() for cases in that stage (use run.start=empty)")
            fam = self._open_family(offset + case.family, case)
            resume(fam, case)
            for name, t in case.milestones.items():  # the history before the start (request times included)
                setattr(fam, name, t if not fam.born == fam.born else max(t, fam.born))
        for t, k in plan.returns:
            self.engine.at(t, self._reentry, (offset + k, 1))

    def _preexisting_births(self, plan: Any) -> list[float]:
        """The birth (days, <= 0) of each pre-existing family's child: a child under a measure (or waiting for its
        jeugdbeschermer) on the start date has the age of the children under a measure then
        (``families.age_in_care``), any other the age at a melding (``families.age_at_melding``); two uniforms per
        family from a stream of its own (``initial.age``), so no other draw moves."""
        n = len(plan.attributes)
        in_care = np.zeros(n, dtype=bool)
        for case in plan.cases:
            if case.stage.startswith("gi_"):
                in_care[case.family] = True
        rng = self.streams.generator("initial.age")
        u = rng.random((n, 2))
        care = self.model.age_in_care or self.model.age_at_melding
        years = np.where(in_care, care.ppf(u[:, 0]), self.model.age_at_melding.ppf(u[:, 0])) + u[:, 1]
        return (-years * 365.25).tolist()

    def _open_family(self, i: int, case: Any) -> Family:
        """The record of a case already open at the start (episode 0 of pre-existing family ``i``)."""
        a, j = self.preexisting, i - len(self.arrivals)
        fam = Family(case_id=i * self.model.max_episodes, family_id=i, episode=0, route=case.route,
                     arrival=case.entered, colour=COLOURS[a.colour[j, 0]], n_children=int(a.n_children[j]),
                     voluntary_u=float(a.voluntary_u[j, 0]), reentry_u=float(a.reentry_u[j, 0]),
                     return_after=float(a.return_after[j, 0]), preexisting=True)
        fam.waits.update(case.waits)
        self._set_units(fam, a, j)
        born = self._rows[1].born
        if born is not None:  # a history before the child was born is cut at its birth (initial_state's elapsed times)
            fam.born = born[j]
            fam.arrival = max(fam.arrival, fam.born)
        self.families.append(fam)
        return fam

    def _set_units(self, fam: Family, a: demand.Arrivals, j: int) -> None:
        """The family's Veilig Thuis organisation and GI (region.units), from its row of the attribute block."""
        if a.vt_unit is not None:
            fam.vt_unit = self.unit_names["veilig_thuis"][a.vt_unit[j]]
        if a.gi_unit is not None:
            fam.gi_unit = self.unit_names["gi"][a.gi_unit[j]]
        if a.adult_u is not None:
            fam.adult_problems = bool(a.adult_u[j] < self.model.adult_problem_share)

    def _arrival(self, i: int) -> None:
        a = self.arrivals
        route = ROUTES[a.route[i]]
        fam = self._family(i, 0, route)
        if i + 1 < len(a):
            self.engine.at(float(a.time[i + 1]) - self.engine.now, self._arrival, i + 1)
        self.arrive(fam)
        if self.waiting is not None:
            self.waiting.known(fam)

    def _family(self, i: int, episode: int, route: str) -> Family:
        a, j = self._rows[0], i
        if j >= a.n:  # a family known before the start (run.start=today): its row in the pre-existing block
            a, j = self._rows[1], j - a.n
        k = j * a.width + episode  # the episode's item in the block's flat (family-major) lists
        fam = Family(i * self.model.max_episodes + episode, i, episode, route, self.engine.now, COLOURS[a.colour[k]],
                     a.n_children[j], a.voluntary_u[k], a.reentry_u[k], a.return_after[k])
        if a.vt_unit is not None:
            fam.vt_unit = self.unit_names["veilig_thuis"][a.vt_unit[j]]
        if a.gi_unit is not None:
            fam.gi_unit = self.unit_names["gi"][a.gi_unit[j]]
        if a.born is not None:
            fam.born = a.born[j]
        if a.adult_u is not None:
            fam.adult_problems = a.adult_u[j] < self.model.adult_problem_share
        self.families.append(fam)
        self.log(fam, "melding" if route != "direct" else "hulpvraag", "", "complete")
        return fam

    # ------------------------------------------------------------------ shared steps
    def log(self, fam: Family, activity: str, org: str, lifecycle: str) -> None:
        events = self.events  # called for every event of the run: one lookup, and the clock read directly
        if events is not None:
            events.append((fam.case_id, activity, org, lifecycle, self.engine.env._now))

    def intake(self, fam: Family, org: str, hours: float | None = None) -> None:
        """An organisation takes the family in: the family tells its story (again) and ``hours`` (default: the
        organisation's ``handoff.intake_hours``) are spent. The episode's first intake (the melding or hulpvraag
        taken in) is the first service's own work, inside the places it holds (the veiligheidsbeoordeling, the
        help); every further intake takes the receiving organisation's staff time (``Actor.spend``). The same
        rule in every workflow: a workflow with fewer hand-offs spends fewer hours, and that shows in capacity.
        With one shared registration form (``handoff.registration_form=shared``, Gelderse Verbeteragenda) a repeated
        intake costs ``1 - shared_form_saving`` of its hours and the story is retold with ``shared_form_retold``."""
        hours = self.model.intake_hours.get(org, 0.0) if hours is None else hours
        repeated = fam.intakes > 0
        fam.intakes += 1
        form = self.shared_form
        if repeated and form is not None:  # one registration form: the next organisation reads what is there
            hours *= 1.0 - form.saving
            if self.retold.chance(form.retold):
                fam.stories_told += 1
        else:
            fam.stories_told += 1
        fam.intake_hours += hours
        actor = self.actors.get(org)
        if repeated and actor is not None:
            actor.spend(fam, hours)

    def escalated_to_crisis(self, fam: Family, pool: Any) -> None:
        """``fam`` turned rood while waiting in ``pool`` (sim/chain/waiting.py). The one hook a workflow overrides
        to send such a family down its crisis path; by default it keeps its place in the line, moved to the crisis
        class (acute cases first, as at the front desk and under the GIs' veldnorm bij onderbezetting)."""
        pool.promote(fam)

    def leave_list(self, fam: Family, pool: Any) -> None:
        """Take a family that leaves the waiting list of ``pool`` for another path off it, and free the places a
        melder kept for it while it waited (VT's case team, the lokaal team: ``fam.holds``)."""
        pool.cancel(fam)
        for name in list(fam.holds):
            self.engine.pools[name].release_case(fam)

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
        fam = self._family(i, episode, "hermelding")
        self.arrive(fam)
        if self.waiting is not None:
            self.waiting.known(fam)


class _Rows:
    """An attribute block (:class:`sim.chain.demand.Arrivals`) as Python lists, made once per run: every episode
    reads its row when it arrives (Workflow._family), and a list item costs a fifth of a numpy scalar read and its
    conversion (docs/performance.md, issue 15). The values are the same Python ints and floats. The per-episode
    attributes (n families x ``width`` episodes) are flat lists, family-major (item ``j * width + episode``): one list
    each instead of a small list per family, which were ~80,000 objects per Gelderland 3-year run that only the
    cyclic collector freed after the run (the workflow is a reference cycle)."""

    __slots__ = ("n", "width", "colour", "n_children", "voluntary_u", "reentry_u", "return_after", "vt_unit", "gi_unit",
                 "adult_u", "born")

    def __init__(self, a: demand.Arrivals) -> None:
        self.n = len(a)
        self.width = a.colour.shape[1]
        self.colour, self.n_children = a.colour.ravel().tolist(), a.n_children.tolist()
        self.voluntary_u, self.reentry_u, self.return_after = \
            a.voluntary_u.ravel().tolist(), a.reentry_u.ravel().tolist(), a.return_after.ravel().tolist()
        self.vt_unit = None if a.vt_unit is None else a.vt_unit.tolist()
        self.gi_unit = None if a.gi_unit is None else a.gi_unit.tolist()
        # the child's birth (days; families.age_at_melding): its first arrival minus its age; None: no ages
        self.born: list[float] | None = None if a.age_days is None else (a.time - a.age_days).tolist()
        self.adult_u = None if a.adult_u is None else a.adult_u.tolist()
