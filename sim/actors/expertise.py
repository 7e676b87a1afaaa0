"""Expertise on call: short consults by one expert, and joint meetings (MDO, tafel) that need several at once.

Models the parts of the pilots where partners lend their expertise instead of taking the family over:
- *consults* in the integrated team's joint assessment (seed 000, Ketenversnelling: "Is er specifieke expertise
  nodig? Dan is die via de nauwe samenwerking binnen het Veiligheidsteam snel beschikbaar"): a Veilig Thuis
  specialist, a GI safety assessment, the RvdK's legal view, the vertrouwensarts;
- *joint meetings* that need one person of every participant at the same time: the Samen in Crisis overleg
  (seed 001: Veilig Thuis, JBRR, RvdK "inclusief een vertrouwensarts") and the early assessment table of
  Utrecht-West (seed 003).

Capacity: each kind of expert is a pool of persons on duty, ``round(available FTE)`` with at least one (a
region too small for one full expert still has one on call; the FTE plan counts only the share taken). The
FTE are a share of one partner's paper FTE (``scenario.experts.<name>.share``), taken out of that partner's
caseload capacity, so the total FTE of the chain does not change. A consult or meeting occupies its persons for
``hours / work.hours_per_day`` calendar days: hours are work hours, and a person on duty works
36 h per week (CAO Jeugdzorg, domain.md 1d) = 5.14 h per calendar day.

Scheduling: one waiting line for all jobs, rood families first, then first come first served. A job starts only
when *every* person it needs is free at the same moment. A job that cannot start yet keeps the experts it needs
from later jobs (no overtaking), so a meeting that needs four people is not starved by a stream of one-person
consults; the price is that a free expert may wait for the others of an earlier meeting, as agendas do.
The time a job waits is counted in its pools' waiting list and wait statistics like any caseload queue.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from heapq import heapify, heappop, heappush
from typing import Any, Callable, Mapping

from sim.actors.base import Actor
from sim.chain.checks import (
    COLOURS,
    STAFFED_ORGS,
    ConfigError,
    choice,
    distribution,
    non_negative,
    positive,
    probability,
)
from sim.chain.entities import Family
from sim.chain.model import Staffing
from sim.kernel.distributions import Distribution
from sim.kernel.engine import CaseloadPool, Engine

# ====================================================================== validated specifications


@dataclass(frozen=True)
class ExpertSpec:
    name: str
    org: str  # partner the FTE are taken from
    share: float  # share of the partner's paper FTE
    fte: float  # paper FTE on expert duty
    persons: int  # persons on duty at once

    @property
    def pool_name(self) -> str:
        return f"expertise.{self.name}"


@dataclass(frozen=True)
class ConsultSpec:
    name: str
    expert: str
    hours: float
    need: Mapping[str, float]  # P(needed) per crisismeter colour


@dataclass(frozen=True)
class MeetingSpec:
    name: str
    enabled: bool
    participants: tuple[str, ...]
    colours: tuple[str, ...]
    base_hours: float
    hours_per_participant: float
    planning: Distribution

    @property
    def hours(self) -> float:
        """Length of one meeting (hours): longer with every participant."""
        return self.base_hours + self.hours_per_participant * len(self.participants)


def parse_experts(schema: Any, staffing: Mapping[str, Staffing]) -> dict[str, ExpertSpec]:
    out = {}
    for name, e in (schema.experts or {}).items():
        field = f"scenario.experts.{name}"
        org = choice(f"{field}.org", e.org, STAFFED_ORGS)
        share = probability(f"{field}.share", e.share, below_one=True)
        if share == 0:
            raise ConfigError(f"{field}.share = 0 (must be > 0: an expert without FTE cannot be consulted)")
        st = staffing[org]
        fte = share * st.fte
        out[name] = ExpertSpec(name, org, share, fte, max(1, int(round(st.present(fte)))))
    return out


def parse_consults(schema: Any, experts: Mapping[str, ExpertSpec]) -> dict[str, ConsultSpec]:
    out = {}
    for name, c in (schema.consults or {}).items():
        field = f"scenario.consults.{name}"
        expert = choice(f"{field}.expert", c.expert, tuple(experts))
        hours = positive(f"{field}.hours", c.hours)
        need = dict(c.need)
        for colour in need:
            choice(f"{field}.need key", colour, COLOURS)
        for colour in COLOURS:
            if colour not in need:
                raise ConfigError(f"{field}.need.{colour} is missing (give P(needed) for every colour: {', '.join(COLOURS)})")
        out[name] = ConsultSpec(name, expert, hours, {k: probability(f"{field}.need.{k}", v) for k, v in need.items()})
    return out


def parse_meetings(schema: Any, experts: Mapping[str, ExpertSpec]) -> dict[str, MeetingSpec]:
    out = {}
    for name, m in (schema.meetings or {}).items():
        field = f"scenario.meetings.{name}"
        if not isinstance(m.enabled, bool):
            raise ConfigError(f"{field}.enabled = {m.enabled!r} (must be true or false)")
        participants = tuple(choice(f"{field}.participants[{i}]", p, tuple(experts)) for i, p in enumerate(m.participants))
        if not participants:
            raise ConfigError(f"{field}.participants = [] (a meeting needs at least one participant)")
        if len(set(participants)) != len(participants):
            raise ConfigError(f"{field}.participants = {list(participants)} (each expert once)")
        colours = tuple(choice(f"{field}.colours[{i}]", c, COLOURS) for i, c in enumerate(m.colours))
        base = non_negative(f"{field}.base_hours", m.base_hours)
        per = non_negative(f"{field}.hours_per_participant", m.hours_per_participant)
        if base + per * len(participants) <= 0:
            raise ConfigError(f"{field}.base_hours = {base:g} (with hours_per_participant {per:g} the meeting takes no time)")
        out[name] = MeetingSpec(name, m.enabled, participants, colours, base, per, distribution(f"{field}.planning", m.planning))
    return out


# ====================================================================== the pools and the scheduler


class ExpertPool(CaseloadPool):
    """Persons on duty. Jobs wait in :class:`Expertise`'s own line (a job may need several pools at once), so
    this pool is told when a job joins (:meth:`join`) and when it takes a person (:meth:`seize`); its waiting
    list, waits and time-weighted levels then mean what they mean for every other pool."""

    on_capacity: Callable[[], None] | None = None  # the scheduler's dispatch, called when a person is added

    def join(self) -> None:
        self.join_elsewhere(1)

    def set_capacity(self, slots: int) -> None:
        more = slots > self.capacity
        super().set_capacity(slots)
        if more and self.on_capacity is not None:
            self.on_capacity()

    def seize(self, job: "Job", since: float) -> None:
        self.grant_elsewhere(job, 1, since)

    @property
    def free(self) -> int:
        return self.capacity - self.busy


class Job:
    """One consult or meeting: the family it is for, the experts it needs, its length and what comes next."""

    __slots__ = ("fam", "name", "kind", "experts", "hours", "since", "then", "on_start", "holds", "seq")

    def __init__(self, fam: Family, name: str, kind: str, experts: tuple[str, ...], hours: float,
                 then: Callable[[Family, str], None], on_start: Callable[[Family], None] | None = None) -> None:
        self.fam, self.name, self.kind, self.experts, self.hours, self.then = fam, name, kind, experts, hours, then
        self.on_start = on_start
        self.since = 0.0
        self.seq = 0  # place in the one waiting line (order of submission)
        self.holds: dict[str, tuple[int, float]] = {}


class Expertise(Actor):
    """Expert pools and the one waiting line for consults and joint meetings."""

    org = "expertise"

    def __init__(self, wf, experts: Mapping[str, ExpertSpec], work_hours_per_day: float,
                 meetings: Mapping[str, MeetingSpec] | None = None) -> None:
        super().__init__(wf)
        engine: Engine = self.engine
        self.specs = dict(experts)
        self.pools: dict[str, ExpertPool] = {}
        for name, spec in self.specs.items():
            if spec.pool_name in engine.pools:
                raise ValueError(f"pool {spec.pool_name!r} defined twice")
            pool = ExpertPool(engine, spec.pool_name, spec.org, spec.persons)
            engine.pools[spec.pool_name] = pool
            pool.fte_per_place = 1.0  # a person on duty
            pool.on_capacity = self._dispatch  # staff dynamics may add a person: waiting jobs may start
            wf.staff_origins[spec.pool_name] = {spec.org: spec.fte}  # the experts follow their partner's dynamics
            self.pools[name] = pool
        self.days_per_hour = 1.0 / work_hours_per_day
        self.planning = {name: self.streams.sampler(f"duration.meeting_planning.{name}", m.planning)
                         for name, m in (meetings or {}).items()}
        # the one waiting line per class (rood first), kept as one first-come-first-served deque per combination
        # of experts a job needs; ``Job.seq`` is the job's place in the line across the combinations
        self._crisis: dict[tuple[str, ...], deque[Job]] = {}
        self._regular: dict[tuple[str, ...], deque[Job]] = {}
        self._submitted = 0

    # ------------------------------------------------------------------ requests
    def consult(self, fam: Family, spec: ConsultSpec, then: Callable[[Family, str], None]) -> None:
        """One expert's consult; ``then(fam, consult name)`` when it is done. The hours count as consult hours."""
        self._submit(Job(fam, spec.name, "consult", (spec.expert,), spec.hours, then))

    def meeting(self, fam: Family, spec: MeetingSpec, then: Callable[[Family, str], None],
                on_start: Callable[[Family], None] | None = None) -> None:
        """A joint meeting about ``fam``; it can start after the planning delay and only when one person of
        every participant is free. ``on_start(fam)`` when it starts, ``then(fam, meeting name)`` when it ends;
        every participant's hours count as meeting hours."""
        job = Job(fam, spec.name, "meeting", spec.participants, spec.hours, then, on_start)
        self.wf.log(fam, spec.name, self.org, "schedule")
        self.engine.at(self.planning[spec.name].next(), self._submit, job)

    # ------------------------------------------------------------------ the waiting line
    def _submit(self, job: Job) -> None:
        job.since = self.engine.now
        if job.kind == "consult":
            self.wf.log(job.fam, f"consult_{job.name}", self.specs[job.experts[0]].org, "schedule")
        for e in job.experts:
            self.pools[e].join()
        self._submitted += 1
        job.seq = self._submitted
        line = self._crisis if job.fam.crisis else self._regular
        (line.get(job.experts) or line.setdefault(job.experts, deque())).append(job)
        self._dispatch()

    def _dispatch(self) -> None:
        """Walk the line in order (rood first): a job whose experts are all free starts; one that cannot start
        keeps the experts it needs from later jobs (``free`` counts down for each of them).

        The walk visits only the jobs that can change anything. A job all of whose experts are already counted
        down to zero neither starts nor keeps anyone, and every later job with the same experts is alike, so the
        walk merges the combinations' lines by place in the line and drops a combination once its experts are
        all taken. Once a job of a combination cannot start, no later one of it can in this walk, so a job
        starts only from the head of its combination's line. (The plain walk over every waiting job gave the
        same starts in the same order, at a cost that grew with the line: a long queue for one expert while
        another stood idle made each dispatch visit every waiting job; docs/performance.md, sixth round.)"""
        free = {name: pool.free for name, pool in self.pools.items()}
        for lines in (self._crisis, self._regular):
            heads = [(line[0].seq, experts, 0) for experts, line in lines.items()
                     if line and any(free[e] >= 1 for e in experts)]
            heapify(heads)
            while heads:
                _, experts, i = heappop(heads)
                if not any(free[e] >= 1 for e in experts):
                    continue  # every later job of this combination waits for experts already taken
                line = lines[experts]
                if all(free[e] >= 1 for e in experts):  # only ever the head: see above
                    job = line.popleft()
                    for e in experts:
                        free[e] -= 1
                    self._start(job)
                else:
                    for e in experts:  # kept for this earlier job: later jobs may not overtake it
                        free[e] -= 1
                    i += 1
                if all(v <= 0 for v in free.values()):
                    return
                if i < len(line):
                    heappush(heads, (line[i].seq, experts, i))

    def _start(self, job: Job) -> None:
        for e in job.experts:
            self.pools[e].seize(job, job.since)
        fam = job.fam
        org = self.specs[job.experts[0]].org if job.kind == "consult" else self.org
        activity = f"consult_{job.name}" if job.kind == "consult" else job.name
        self.wf.log(fam, activity, org, "start")
        if job.on_start is not None:
            job.on_start(fam)
        self.engine.at(job.hours * self.days_per_hour, self._end, job)

    def _end(self, job: Job) -> None:
        for e in job.experts:
            self.pools[e].release_case(job)
        fam = job.fam
        if job.kind == "consult":
            fam.consult_hours += job.hours
            self.wf.log(fam, f"consult_{job.name}", self.specs[job.experts[0]].org, "complete")
        else:
            fam.meeting_hours += job.hours * len(job.experts)
            self.wf.log(fam, job.name, self.org, "complete")
        self._dispatch()
        job.then(fam, job.name)


def take_fte(staffing: Mapping[str, Staffing], taken: Mapping[str, float], field_of: Mapping[str, str],
             desk: Mapping[str, float] | None = None) -> dict[str, Staffing]:
    """The partners' staffing after ``taken[org]`` paper FTE moved out (to a team or to expert duty), ``desk[org]``
    of them from the front desk and the rest from the case teams (``Staffing.minus``).

    ``field_of[org]`` names the config field to blame when more than the partner has is taken."""
    out = {}
    for org, st in staffing.items():
        t = taken.get(org, 0.0)
        if t <= 0:
            out[org] = st
            continue
        if st.fte - t < -1e-9:
            raise ConfigError(f"{field_of[org]} = {t / st.fte:.4g} of staffing.{org}.fte (together the team and the "
                              f"experts take {t:g} of its {st.fte:g} FTE; at most all of it)")
        out[org] = st.minus(t, (desk or {}).get(org, 0.0))
    return out
