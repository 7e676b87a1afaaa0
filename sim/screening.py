"""Analytic screening of a workflow: offered load, utilisation, stability and waits per pool, and lead times.

What it models: every caseload pool of the chain (the Veilig Thuis front desk and case teams, the buurtteam, the
Raad, the GI, the integrated team, the expert pools) as a multi-server queue in steady state, and a family's lead
time as a sum of waits and activities along its route. It answers in milliseconds what a simulation answers in
minutes, for thousands of staffings at once (:func:`screen_grid`), so that sizing (``sim/size.py``) and capacity
(``sim/capacity.py``) start from a good guess and simulate only to confirm. Where it holds and where it does not
is measured against the simulation in ``docs/validation.md`` (``experiments/validate_analytic.py``).

Where the numbers come from: nothing here is a number of its own. Arrival rates, routing shares, durations and
staffing are the validated :class:`~sim.config.Model`; the workflow states its routes once, as an analytic twin of
its process (its package's ``twin.py``, e.g. ``sim/scenarios/sequential/twin.py``), built with :class:`Trace`.

The approximations, each stated where it is used:

* **Arrivals.** External arrivals are Poisson; hermeldingen add the stationary re-entry rate (a closed episode
  returns with ``families.reentry_probability``, up to ``families.max_episodes`` episodes). Routing shares give
  each pool's request rate (visit ratios, re-entry and escalation loops included).
* **Offered load** of a pool, in its own unit (meldingen, families, children, places):
  ``a = sum over routes of rate x E[units] x E[hold]``. A hold runs from the grant to the release of the places, so
  it includes whatever the family does meanwhile: Veilig Thuis and the buurtteam keep a family until the Raad
  starts (their hold includes the Raad's wait), the GI holds a child for the whole measure (geometric number of
  yearly terms), the integrated team's duo holds a family through the Raad and the court.
* **Waits: Allen-Cunneen** (``sim.analytic``) for requests that need several places at once (a family asks for
  all its children's places at the Raad and the GI, the duo for two team places). A request is the customer:
  with ``n`` places per request (``E[n]``, ``E[n^2]``), the pool is taken as ``(c - w) / E[n]`` request-servers
  carrying ``a / E[n]``, where ``c = slots - crisis reserve`` (regular cases may not use the reserve) and
  ``w = (E[n^2]/E[n] - 1) / 2`` places stand idle on average while the head of the line waits for enough free
  places (head-of-line blocking; ``E[n^2]/E[n]`` is the size of the request a randomly chosen place belongs to).
  For one place per request this is plain Allen-Cunneen ``Wq = ErlangC(c, a) x E[hold] / (c - a) x (1 + cs2) / 2``
  (Poisson requests: ``ca2 = 1``; ``cs2`` the squared CV of the hold, from the distributions' own moments);
  Erlang C is evaluated at a non-integer number of servers by its gamma-function continuation. Crisis (rood)
  cases go first: Cobham's non-preemptive priority split of M/M/c, ``W_crisis = W (1 - rho) / (1 - sigma_crisis)``
  and ``W_regular = W / (1 - sigma_crisis)``. The wait's distribution is taken in the M/M/c form: no wait with
  probability ``C``, otherwise exponential with the class's conditional mean ``W / C``.
* **Stability.** A pool is stable when ``a < c - w``. A hold that includes the wait of an unstable pool is infinite,
  so the instability propagates as it does in the chain (Veilig Thuis fills up when the Raad's list grows).
* **Lead times** (melding -> start of help, melding -> jeugdbeschermer, per-stage norms): the routes give a
  mixture of paths; each path's time is a sum of independent waits and activities, whose mean and variance add.
  The mean is exact given the waits. For quantiles and shares within a norm, each path's sum is fitted by a gamma
  distribution with that mean and variance (two-moment fit of a sum of positive terms) and the mixture over paths
  is kept exactly; its quantile is found by bisection. Multi-modality (families helped after triage vs after a
  VT stage vs after a measure) is what drives a chain's p90, and the mixture keeps it; the gamma fit only shapes
  each mode. ``docs/validation.md`` shows how close this comes.

Units: days for time, FTE for staff, each pool's own case unit for load and places.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd
from scipy import special

from sim import analytic
from sim import kpis as kpi_registry

# ====================================================================== path components


@dataclass(frozen=True)
class Fixed:
    """An activity or delay whose distribution does not depend on staffing (days): its name, mean and variance."""

    name: str
    mean: float
    var: float

    @classmethod
    def of(cls, name: str, dist: Any, factor: float = 1.0) -> "Fixed":
        """From a :class:`~sim.distributions.Distribution` (its own mean and variance), scaled by ``factor``."""
        return cls(name if factor == 1.0 else f"{name}x{factor:g}", dist.mean * factor, dist.variance * factor**2)


@dataclass(frozen=True)
class Wait:
    """The wait at ``pool`` of a case of class crisis (rood) or regular: it depends on the staffing."""

    pool: str
    crisis: bool


Component = Fixed | Wait
_HANDLES = itertools.count()
ONE = (1.0, 1.0)  # units of a request that asks for one place: (E[units], E[units^2])


class NotAvailable(Exception):
    """The workflow (or this configuration of it) has no analytic twin; the message says why."""


class Trace:
    """One route of one family episode through a workflow, recorded as the analytic twin walks it.

    ``timeline`` is the sequence of waits and activities in the order they happen; ``open``/``close`` record a
    hold of places spanning part of it (the hold's time is what happens between grant and release); ``mark``
    records milestones (``help`` = start of help, ``triage_end``, ...); ``stage`` records a duration directly
    (e.g. the Raad's wait, a branch that runs in parallel). ``state`` carries the family's attributes that
    routing depends on (crisis, escalated, ...). Twins fork a trace at every decision (:meth:`fork`).
    """

    __slots__ = ("timeline", "marks", "holds", "stages", "state", "_open")

    def __init__(self, **state: Any) -> None:
        self.timeline: list[Component] = []
        self.marks: dict[str, int] = {}
        self.holds: list[tuple[str, tuple[float, float], bool, tuple[Component, ...], float]] = []
        self.stages: dict[str, tuple[Component, ...]] = {}
        self.state: dict[str, Any] = dict(state)
        self._open: dict[int, tuple[str, tuple[float, float], int]] = {}

    def fork(self) -> "Trace":
        t = Trace.__new__(Trace)
        t.timeline, t.marks, t.holds = list(self.timeline), dict(self.marks), list(self.holds)
        t.stages, t.state, t._open = dict(self.stages), dict(self.state), dict(self._open)
        return t

    @property
    def crisis(self) -> bool:
        return bool(self.state.get("crisis", False))

    def add(self, *components: Component) -> "Trace":
        self.timeline.extend(components)
        return self

    def wait(self, pool: str) -> "Trace":
        return self.add(Wait(pool, self.crisis))

    def mark(self, name: str, first: bool = False) -> None:
        if not (first and name in self.marks):
            self.marks[name] = len(self.timeline)

    def open(self, pool: str, units: tuple[float, float]) -> int:
        """Places granted now; returns a handle for :meth:`close` (unique within the trace and its forks)."""
        handle = next(_HANDLES)
        self._open[handle] = (pool, units, len(self.timeline))
        return handle

    def close(self, handle: int) -> None:
        pool, units, start = self._open.pop(handle)
        self.holds.append((pool, units, self.crisis, tuple(self.timeline[start:]), 1.0))

    def serve(self, pool: str, units: tuple[float, float], *components: Component) -> "Trace":
        """A visit that ends where it starts: wait for places at ``pool``, hold them for ``components``, give
        them back (a veiligheidsbeoordeling at the front desk)."""
        handle = self.wait(pool).open(pool, units)
        self.add(*components).close(handle)
        return self

    def is_open(self, handle: int | None) -> bool:
        return handle is not None and handle in self._open

    def hold(self, pool: str, units: tuple[float, float], components: Iterable[Component], share: float = 1.0) -> None:
        """A hold whose time is given directly (a branch that runs beside the timeline); ``share``: the share of
        the route's episodes that make this request (e.g. a consult needed with that probability)."""
        self.holds.append((pool, units, self.crisis, tuple(components), share))

    def stage(self, name: str, components: Iterable[Component]) -> None:
        self.stages[name] = tuple(components)

    def until(self, mark: str) -> tuple[Component, ...] | None:
        return tuple(self.timeline[:self.marks[mark]]) if mark in self.marks else None

    def between(self, start: str, end: str) -> tuple[Component, ...] | None:
        if start not in self.marks or end not in self.marks or self.marks[end] < self.marks[start]:
            return None
        return tuple(self.timeline[self.marks[start]:self.marks[end]])


def split(t: Trace, p: float, options: Mapping[Any, float]):
    """Fork ``t`` (reached with probability ``p``) over a decision's options: yields (option, trace, probability)."""
    for option, q in options.items():
        if q > 0:
            yield option, t.fork(), p * q


# ====================================================================== the flow model a workflow states


@dataclass(frozen=True)
class PoolInfo:
    name: str
    org: str  # the organisation (or team, expert pool) whose staff the places are
    unit: str  # meldingen, families, children, places, persons


@dataclass(frozen=True)
class Group:
    """Routes of one kind aggregated: ``rate`` episodes (requests) per day at the model's demand, their units,
    the summed mean and variance of their fixed activities, and the waits at other pools they include."""

    rate: float
    units_mean: float
    units_m2: float
    fixed_mean: float
    fixed_var: float
    waits: tuple[Wait, ...]


@dataclass(frozen=True, eq=False)  # compared and hashed by identity (caches key on it)
class FlowModel:
    """A workflow's analytic twin for one validated model (``WorkflowSpec.twin(model)``).

    ``holds[pool][crisis]``: groups of requests for that pool's places; ``times[kpi]``: groups of paths of a
    duration (days) per episode that has it: ``lead_time_help``, ``lead_time_measure``, ``chain``, ``triage``,
    ``vt_onderzoek``, ``rvdk_wait``, ``gi_wait``; ``norms[kpi]``: the norm (days) of each ``share_*`` KPI and the
    duration it applies to. ``fte_today``: the FTE knobs (``staffing.<org>.fte``) and their values; ``places``
    maps FTE arrays per knob to (slots, crisis reserve) arrays per pool.
    """

    workflow: str
    pools: Mapping[str, PoolInfo]
    holds: Mapping[str, Mapping[bool, tuple[Group, ...]]]
    times: Mapping[str, tuple[Group, ...]]
    norms: Mapping[str, tuple[str, float]]
    fte_today: Mapping[str, float]
    places: Callable[[Mapping[str, np.ndarray]], dict[str, tuple[np.ndarray, np.ndarray]]]
    entry_rates: Mapping[str, float] = field(default_factory=dict)

    def order(self) -> list[str]:
        """Pools in an order where every wait a hold includes is known before the hold is needed."""
        deps = {p: {w.pool for c in self.holds.get(p, {}).values() for g in c for w in g.waits} - {p}
                for p in self.pools}
        done: list[str] = []
        while len(done) < len(deps):
            ready = [p for p in deps if p not in done and deps[p] <= set(done)]
            if not ready:
                cycle = sorted(p for p in deps if p not in done)
                raise NotAvailable(f"holds depend on each other's waits in a cycle: {', '.join(cycle)}")
            done.extend(sorted(ready))
        return done


def collect(workflow: str, paths: Iterable[tuple[Trace, float]], pools: Mapping[str, PoolInfo],
            times: Mapping[str, Callable[[Trace], tuple[Component, ...] | None]],
            norms: Mapping[str, tuple[str, float]], fte_today: Mapping[str, float], places: Callable,
            entry_rates: Mapping[str, float]) -> FlowModel:
    """Aggregate finished traces (each with its rate, episodes per day) into a :class:`FlowModel`.

    ``times[kpi](trace)`` returns the components of that duration for the trace, or None when the episode has no
    such duration (never helped, never at the Raad, ...)."""
    hold_acc: dict[tuple, list[float]] = {}
    time_acc: dict[tuple, list[float]] = {}
    for t, rate in paths:
        if rate <= 0:
            continue
        if t._open:
            raise AssertionError(f"{workflow}: a route ended with places still held: {t._open}")
        for pool, units, crisis, comps, share in t.holds:
            if pool not in pools:
                raise AssertionError(f"{workflow}: a route holds places of an unknown pool {pool!r}")
            fm, fv, waits = _reduce(comps)
            key = (pool, crisis, units, round(fm, 9), round(fv, 6), waits)
            acc = hold_acc.setdefault(key, [0.0, fm, fv])
            acc[0] += rate * share
        for kpi, fn in times.items():
            comps = fn(t)
            if comps is None:
                continue
            fm, fv, waits = _reduce(comps)
            key = (kpi, round(fm, 9), round(fv, 6), waits)
            acc = time_acc.setdefault(key, [0.0, fm, fv])
            acc[0] += rate
    holds: dict[str, dict[bool, list[Group]]] = {p: {False: [], True: []} for p in pools}
    for (pool, crisis, units, _, _, waits), (rate, fm, fv) in hold_acc.items():
        holds[pool][crisis].append(Group(rate, units[0], units[1], fm, fv, waits))
    out_times: dict[str, list[Group]] = {k: [] for k in times}
    for (kpi, _, _, waits), (rate, fm, fv) in time_acc.items():
        out_times[kpi].append(Group(rate, 1.0, 1.0, fm, fv, waits))
    return FlowModel(workflow, dict(pools), {p: {c: tuple(g) for c, g in v.items()} for p, v in holds.items()},
                     {k: tuple(v) for k, v in out_times.items()}, dict(norms), dict(fte_today), places,
                     dict(entry_rates))


def _reduce(comps: Iterable[Component]) -> tuple[float, float, tuple[Wait, ...]]:
    fm = fv = 0.0
    waits: list[Wait] = []
    for c in comps:
        if isinstance(c, Fixed):
            fm += c.mean
            fv += c.var
        else:
            waits.append(c)
    return fm, fv, tuple(sorted(waits, key=lambda w: (w.pool, w.crisis)))


@functools.lru_cache(maxsize=64)
def min_moments(a: Any, b: Any, n: int = 200_000) -> tuple[float, float]:
    """Mean and variance of min(A, B) for independent A, B given as Distributions (``ppf``).

    Both are represented by ``n`` stratified quantiles (u = (i + 1/2) / n); the mean of min over all n^2 pairs is
    computed exactly for those quantiles in O(n log n) by sorting (sum_j min(a_i, b_j) = sum of the b_j below a_i
    plus a_i times the number at or above it). Cached: Distributions are frozen, so equal specs share the result."""
    u = (np.arange(n) + 0.5) / n
    xa = np.sort(np.asarray(a.ppf(u), dtype=float))
    xb = np.sort(np.asarray(b.ppf(u), dtype=float))
    below = np.searchsorted(xb, xa, side="left")
    cum1 = np.concatenate(([0.0], np.cumsum(xb)))
    cum2 = np.concatenate(([0.0], np.cumsum(xb * xb)))
    m1 = (cum1[below] + xa * (n - below)).sum() / n**2
    m2 = (cum2[below] + xa * xa * (n - below)).sum() / n**2
    return float(m1), float(m2 - m1 * m1)


def flow_model(model: Any) -> FlowModel:
    """The analytic twin of ``model``'s workflow. Raises :class:`NotAvailable` when the workflow has none.

    A workflow package states its twin in its descriptor (``WorkflowSpec.twin``, ``sim/scenarios/<name>/twin.py``);
    the validated scenario carries it. A workflow that changes a process without stating a twin has none: the
    simulation answers for it.
    """
    scenario = model.scenario
    if scenario.twin is None:
        raise NotAvailable(f"workflow {scenario.name!r} has no analytic twin (no twin.py in its package); "
                           f"use the simulation")
    return scenario.twin(model)


# ====================================================================== evaluation, vectorised over staffings


@dataclass
class WaitStats:
    """Per pool and class: mean wait, P(wait > 0) and the wait's variance (M/M/c form) as arrays over the grid."""

    mean: np.ndarray
    prob: np.ndarray
    var: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            m2 = np.where(self.prob > 0, 2.0 * self.mean**2 / np.where(self.prob > 0, self.prob, 1.0), 0.0)
            self.var = np.where(np.isfinite(self.mean), m2 - self.mean**2, np.inf)


@dataclass
class PoolResult:
    slots: np.ndarray
    reserve: np.ndarray
    requests: np.ndarray  # requests per day
    arrivals: np.ndarray  # units (places asked for) per day
    load: np.ndarray  # offered load (units)
    hold_mean: np.ndarray  # mean hold of a unit (days)
    cs2: np.ndarray  # squared CV of the hold of a unit
    units_per_request: np.ndarray
    waste: np.ndarray  # places idle on average while the head of the line waits (head-of-line blocking)
    erlang_c: np.ndarray
    wait: dict[bool, WaitStats]  # by class (crisis True/False)
    wait_mm: np.ndarray  # mean wait, M/M/c on the units (Erlang C alone, no batches, no CV, no priority)

    @property
    def servers(self) -> np.ndarray:
        """Places the regular cases can use, less the head-of-line blocking waste."""
        return self.slots - self.reserve - self.waste

    @property
    def utilisation(self) -> np.ndarray:
        """Offered load per place (the simulation's ``utilisation.<pool>`` is places in use per place)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.slots > 0, self.load / np.where(self.slots > 0, self.slots, 1),
                            np.where(self.load > 0, np.inf, 0.0))

    @property
    def pressure(self) -> np.ndarray:
        """Offered load per usable place: the pool is stable below 1."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.arrivals > 0, self.load / np.where(self.servers > 0, self.servers, 1e-300), 0.0)

    @property
    def stable(self) -> np.ndarray:
        return (self.load < self.servers) | (self.arrivals == 0)

    def unit_wait(self, crisis_units: np.ndarray) -> np.ndarray:
        """Mean wait per unit over both classes (what the simulation's ``wait_mean.<pool>`` measures)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(self.arrivals > 0, crisis_units / np.where(self.arrivals > 0, self.arrivals, 1), 0.0)
            return np.where(share > 0, share * self.wait[True].mean, 0.0) + \
                np.where(share < 1, (1 - share) * self.wait[False].mean, 0.0)


def _sum_waits(waits: tuple[Wait, ...], stats: Mapping[Wait, WaitStats], shape) -> tuple[np.ndarray, np.ndarray]:
    mean = np.zeros(shape)
    var = np.zeros(shape)
    for w in waits:
        s = stats[w]
        mean = mean + s.mean
        var = var + s.var
    return mean, var


def evaluate(fm: FlowModel, fte: Mapping[str, np.ndarray], scale: np.ndarray | float = 1.0
             ) -> tuple[dict[str, PoolResult], dict[Wait, WaitStats], dict[str, np.ndarray]]:
    """Every pool at every staffing point: ``fte[knob]`` arrays broadcast to one shape G (missing knobs keep
    today's value); ``scale`` multiplies every arrival rate (``demand.scale`` relative to the model's)."""
    arrays = {k: np.asarray(fte.get(k, v), dtype=float) for k, v in fm.fte_today.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()), np.shape(scale))
    arrays = {k: np.broadcast_to(a, shape) for k, a in arrays.items()}
    scale = np.broadcast_to(np.asarray(scale, dtype=float), shape)
    places = fm.places(arrays)
    stats: dict[Wait, WaitStats] = {}
    pools: dict[str, PoolResult] = {}
    crisis_units: dict[str, np.ndarray] = {}
    for name in fm.order():
        slots, reserve = (np.broadcast_to(np.asarray(x, dtype=float), shape) for x in places[name])
        own = any(w.pool == name for c in fm.holds.get(name, {}).values() for g in c for w in g.waits)
        if own:  # a hold that includes a wait at the same pool (the duo's second member): fixed point from 0
            for crisis in (False, True):
                stats[Wait(name, crisis)] = WaitStats(np.zeros(shape), np.zeros(shape))
        unsettled = np.zeros(shape, dtype=bool)
        for _ in range(SELF_ITERATIONS if own else 1):
            result, lam_c = _pool(fm, name, slots, reserve, stats, scale, shape)
            previous = stats.get(Wait(name, False))
            for crisis in (False, True):
                stats[Wait(name, crisis)] = result.wait[crisis]
            if own and previous is not None:
                with np.errstate(invalid="ignore"):
                    moved = np.abs(result.wait[False].mean - previous.mean)
                unsettled = moved > 1e-7 * (1.0 + np.abs(previous.mean))  # NaN (inf - inf): settled at inf
                if not np.any(unsettled):
                    break
        if np.any(unsettled):  # no self-consistent steady state: the wait keeps growing with the load it causes
            result.load = np.where(unsettled, np.inf, result.load)
            for crisis in (False, True):
                result.wait[crisis] = WaitStats(np.where(unsettled, np.inf, result.wait[crisis].mean),
                                                np.where(unsettled, 1.0, result.wait[crisis].prob))
                stats[Wait(name, crisis)] = result.wait[crisis]
        pools[name] = result
        crisis_units[name] = lam_c
    return pools, stats, crisis_units


SELF_ITERATIONS = 40  # fixed-point iterations for a pool whose holds include its own wait (converges in a few)


@dataclass(frozen=True)
class Aggregate:
    """Request groups of one pool and class that include the same waits, summed (rates at the model's demand)."""

    waits: tuple[Wait, ...]
    requests: float  # sum of rate
    units: float  # sum of rate x E[units]
    units_m2: float  # sum of rate x E[units^2]
    work: float  # sum of rate x E[units] x fixed mean
    work2: float  # sum of rate x E[units] x (fixed variance + fixed mean^2)


@functools.lru_cache(maxsize=32)
def _aggregates(fm: FlowModel) -> dict[str, dict[bool, tuple[Aggregate, ...]]]:
    out: dict[str, dict[bool, tuple[Aggregate, ...]]] = {}
    for pool, classes in fm.holds.items():
        out[pool] = {}
        for crisis, groups in classes.items():
            acc: dict[tuple[Wait, ...], list[float]] = {}
            for g in groups:
                a = acc.setdefault(g.waits, [0.0] * 5)
                a[0] += g.rate
                a[1] += g.rate * g.units_mean
                a[2] += g.rate * g.units_m2
                a[3] += g.rate * g.units_mean * g.fixed_mean
                a[4] += g.rate * g.units_mean * (g.fixed_var + g.fixed_mean**2)
            out[pool][crisis] = tuple(Aggregate(w, *v) for w, v in acc.items())
    return out


def _pool(fm: FlowModel, name: str, slots, reserve, stats, scale, shape) -> tuple["PoolResult", np.ndarray]:
    """Offered load and hold moments of one pool from its request groups, then its queue. A hold's time is its
    fixed part plus the waits it includes: E[H] = F + W, E[H^2] = E[F^2] + 2 F W + Var(W) + W^2."""
    req = np.zeros(shape)
    lam = np.zeros(shape)
    load = np.zeros(shape)
    m2 = np.zeros(shape)
    u2 = np.zeros(shape)
    load_c = np.zeros(shape)
    lam_c = np.zeros(shape)
    with np.errstate(invalid="ignore", over="ignore"):
        for crisis, aggs in _aggregates(fm).get(name, {}).items():
            for a in aggs:
                wm, wv = _sum_waits(a.waits, stats, shape)
                req = req + a.requests * scale
                lam = lam + a.units * scale
                part = (a.work + a.units * wm) * scale
                load = load + part
                m2 = m2 + (a.work2 + 2.0 * a.work * wm + a.units * (wv + wm**2)) * scale
                u2 = u2 + a.units_m2 * scale
                if crisis:
                    load_c = load_c + part
                    lam_c = lam_c + a.units * scale
    return _queue(slots, reserve, req, lam, load, m2, u2, load_c), lam_c


def _queue(slots, reserve, req, lam, load, m2, u2, load_c) -> PoolResult:
    """Allen-Cunneen for multi-place requests with Cobham's priority split (module docstring), on arrays; inf
    where unstable."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        active = lam > 0
        safe_lam = np.where(active, lam, 1.0)
        n1 = np.where(active, lam / np.where(req > 0, req, 1.0), 1.0)  # places per request
        size = np.where(active, u2 / safe_lam, 1.0)  # size of the request a random place belongs to
        waste = np.where(active, (size - 1.0) / 2.0, 0.0)
        hold = np.where(active, load / safe_lam, 0.0)
        cs2 = np.where(active & (hold > 0) & np.isfinite(hold), m2 / safe_lam / hold**2 - 1.0, 1.0)
        cs2 = np.clip(cs2, 0.0, None)
        usable = slots - reserve - waste
        stable = (load < usable) & np.isfinite(load) & (usable > 0)
        c_req = np.where(stable, usable / n1, 1.0)  # request-servers and their load
        a_req = np.where(stable, load / n1, 0.0)
        erlang = np.where(stable, analytic._erlang_c(c_req, a_req), 1.0)
        w_fcfs = np.where(stable, erlang * hold / np.where(stable, c_req - a_req, 1.0) * (1.0 + cs2) / 2.0, np.inf)
        sigma = np.where(stable, load_c / np.where(stable, usable, 1.0), 0.0)
        rho = np.where(stable, load / np.where(stable, usable, 1.0), 1.0)
        w_crisis = np.where(stable, w_fcfs * (1.0 - rho) / (1.0 - sigma), np.inf)
        w_regular = np.where(stable, w_fcfs / (1.0 - sigma), np.inf)
        c_mm = slots - reserve  # plain M/M/c on the units, for comparison
        mm_ok = (load < c_mm) & np.isfinite(load) & (c_mm >= 1)
        w_mm = np.where(mm_ok, analytic._erlang_c(np.where(mm_ok, c_mm, 1.0), np.where(mm_ok, load, 0.0))
                        * hold / np.where(mm_ok, c_mm - load, 1.0), np.inf)
        idle = ~active
        w_crisis = np.where(idle, 0.0, w_crisis)
        w_regular = np.where(idle, 0.0, w_regular)
        w_mm = np.where(idle, 0.0, w_mm)
        erlang = np.where(idle, 0.0, erlang)
    return PoolResult(slots, reserve, req, lam, load, hold, cs2, n1, waste, erlang,
                      {True: WaitStats(w_crisis, erlang), False: WaitStats(w_regular, erlang)}, w_mm)


# ---------------------------------------------------------------------- durations: mixtures of gamma-fitted paths


@dataclass
class Mixture:
    """A duration as a mixture over path groups, each a gamma with the group's mean and variance (arrays (G, P))."""

    weight: np.ndarray  # (P,)
    mean: np.ndarray  # (G, P)
    var: np.ndarray  # (G, P)

    @classmethod
    def of(cls, groups: tuple[Group, ...], stats: Mapping[Wait, WaitStats], shape) -> "Mixture | None":
        if not groups:
            return None
        w = np.array([g.rate for g in groups])
        means, vars_ = [], []
        for g in groups:
            wm, wv = _sum_waits(g.waits, stats, shape)
            means.append(g.fixed_mean + wm)
            vars_.append(g.fixed_var + wv)
        return cls(w / w.sum(), np.stack(means, axis=-1), np.stack(vars_, axis=-1))

    def mean_value(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return (self.mean * self.weight).sum(axis=-1)

    def cdf(self, t: np.ndarray) -> np.ndarray:
        """P(duration <= t) for t of shape G (or broadcastable)."""
        t = np.asarray(t, dtype=float)[..., None]
        m, v = self.mean, self.var
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            finite = np.isfinite(m)
            point = finite & (v <= 1e-12 * np.maximum(m, 1e-12) ** 2)
            ok = finite & ~point & (m > 0)
            shape = np.where(ok, m * m / np.where(ok, v, 1.0), 1.0)
            scale = np.where(ok, v / np.where(ok, m, 1.0), 1.0)
            g = special.gammainc(shape, np.clip(t, 0, None) / scale)
            p = np.where(ok, g, np.where(point, (t >= m).astype(float), 0.0))
        return (p * self.weight).sum(axis=-1)

    def quantile(self, q: float, iterations: int = 32) -> np.ndarray:
        """The q-quantile by bisection on the mixture cdf; inf where more than 1 - q of the mass is infinite."""
        finite_mass = (np.isfinite(self.mean) * self.weight).sum(axis=-1)
        sd = np.sqrt(np.where(np.isfinite(self.var), self.var, 0.0))
        top = np.where(np.isfinite(self.mean), self.mean + 12.0 * sd + 1.0, 0.0).max(axis=-1)
        lo = np.zeros_like(top)
        hi = top
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            below = self.cdf(mid) < q
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        return np.where(finite_mass >= q - 1e-12, hi, np.inf)


def kpis(fm: FlowModel, stats: Mapping[Wait, WaitStats], shape, quantiles: tuple[float, ...] = (0.9,)
         ) -> dict[str, np.ndarray]:
    """Analytic values of the simulation's KPIs (sim/metrics.py names) on the grid. (This function's name is why
    the registry is imported here as ``kpi_registry``.)"""
    out: dict[str, np.ndarray] = {}
    mix = {k: Mixture.of(g, stats, shape) for k, g in fm.times.items()}
    for base in kpi_registry.LEAD_TIMES.values():
        m = mix.get(base)
        if m is None:
            continue
        out[kpi_registry.quantile_name(base, None)] = m.mean_value()
        for q in quantiles:
            out[kpi_registry.quantile_name(base, q)] = m.quantile(q)
    for name, kpi in (("rvdk_wait", kpi_registry.RVDK_WAIT_MEAN), ("gi_wait", kpi_registry.GI_WAIT_MEAN)):
        if mix.get(name) is not None:
            out[kpi] = mix[name].mean_value()
    for kpi, (duration, norm) in fm.norms.items():
        if mix.get(duration) is not None:
            out[kpi] = mix[duration].cdf(np.full(shape, norm))
    return out


def screen_grid(model: Any, fte_grid: Mapping[str, np.ndarray], scale: np.ndarray | float = 1.0,
                quantiles: tuple[float, ...] = (0.9,), fm: FlowModel | None = None) -> pd.DataFrame:
    """Screen many staffings at once: one row per point of the grid.

    ``fte_grid[org]``: paper FTE of ``staffing.<org>.fte`` (arrays broadcast together; an org left out keeps its
    FTE); ``scale``: ``demand.scale`` relative to the model's own (broadcast too). Columns: ``fte.<org>``,
    ``demand_scale``, ``stable``, ``bottleneck`` (the pool with the highest load per usable place), per pool
    ``slots.``, ``load.``, ``utilisation.``, ``pressure.``, ``stable.``, ``wait_mean.`` (days, per unit) and
    ``wait_mean_mmc.`` (Erlang C alone), and the KPIs of :func:`kpis`; with several organisations of a kind
    (region.units) also the kind's columns (``slots.gi``: :func:`_kind_columns`). A 10,000-point grid takes about
    a second.
    """
    fm = flow_model(model) if fm is None else fm
    pools, stats, crisis_units = evaluate(fm, fte_grid, scale)
    first = next(iter(pools.values()))
    shape = first.slots.shape
    cols: dict[str, np.ndarray] = {}
    for org, today in fm.fte_today.items():
        cols[f"fte.{org}"] = np.broadcast_to(np.asarray(fte_grid.get(org, today), dtype=float), shape).ravel()
    cols["demand_scale"] = (np.broadcast_to(np.asarray(scale, dtype=float), shape) * model.demand_scale).ravel()
    names = list(pools)
    pressure = np.stack([pools[p].pressure for p in names], axis=-1)
    stable = np.all(np.stack([pools[p].stable for p in names], axis=-1), axis=-1)
    cols["stable"] = stable.ravel()
    cols["bottleneck"] = np.asarray(names, dtype=object)[np.argmax(pressure, axis=-1).reshape(-1)]
    for p in names:
        r = pools[p]
        cols[f"slots.{p}"] = r.slots.ravel()
        cols[f"load.{p}"] = r.load.ravel()
        cols[kpi_registry.of(kpi_registry.UTILISATION, p)] = r.utilisation.ravel()
        cols[f"pressure.{p}"] = r.pressure.ravel()
        cols[f"stable.{p}"] = r.stable.ravel()
        cols[kpi_registry.of(kpi_registry.WAIT_MEAN, p)] = r.unit_wait(crisis_units[p]).ravel()
        cols[f"wait_mean_mmc.{p}"] = r.wait_mm.ravel()
    cols.update(_kind_columns(pools, crisis_units))
    for k, v in kpis(fm, stats, shape, quantiles).items():
        cols[k] = np.broadcast_to(v, shape).ravel()
    return pd.DataFrame(cols)


def _kind_columns(pools: Mapping[str, PoolResult], crisis_units: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Kind-level columns of a region with several organisations of a kind (region.units: pools ``gi[a]``,
    ``gi[b]``, ...), as the simulation's kind-level KPIs: places and loads add up, the mean wait is weighted by
    the places asked for, pressure is the most loaded organisation's and the kind is stable when all are."""
    from sim.entities import kind_pool

    kinds: dict[str, list[tuple[str, PoolResult]]] = {}
    for name, r in pools.items():
        if kind_pool(name) != name:
            kinds.setdefault(kind_pool(name), []).append((name, r))
    out: dict[str, np.ndarray] = {}
    for kind, members in kinds.items():
        slots = sum(r.slots for _, r in members)
        load = sum(r.load for _, r in members)
        arrivals = sum(r.arrivals for _, r in members)
        with np.errstate(invalid="ignore", divide="ignore"):
            waited = sum(np.where(r.arrivals > 0, r.arrivals * r.unit_wait(crisis_units[n]), 0.0) for n, r in members)
            out[f"slots.{kind}"] = slots.ravel()
            out[f"load.{kind}"] = load.ravel()
            out[kpi_registry.of(kpi_registry.UTILISATION, kind)] = np.where(
                slots > 0, load / np.where(slots > 0, slots, 1), np.where(load > 0, np.inf, 0.0)).ravel()
            out[f"pressure.{kind}"] = np.max([r.pressure for _, r in members], axis=0).ravel()
            out[f"stable.{kind}"] = np.all([r.stable for _, r in members], axis=0).ravel()
            out[kpi_registry.of(kpi_registry.WAIT_MEAN, kind)] = np.where(
                arrivals > 0, waited / np.where(arrivals > 0, arrivals, 1), 0.0).ravel()
    return out


def screen(model: Any, fm: FlowModel | None = None) -> pd.DataFrame:
    """The model at its own staffing and demand: one row per pool (organisation, unit, arrivals per year, mean
    hold, squared CVs, offered load, places, utilisation, stable, mean wait by Erlang C and by Allen-Cunneen)."""
    fm = flow_model(model) if fm is None else fm
    pools, _, crisis_units = evaluate(fm, {k: np.asarray([v]) for k, v in fm.fte_today.items()})
    rows = []
    for name, r in pools.items():
        info = fm.pools[name]
        rows.append({"pool": name, "organisation": info.org, "unit": info.unit,
                     "arrivals_per_year": float(r.arrivals[0]) * 365.0,
                     "units_per_request": float(r.units_per_request[0]), "hold_mean_days": float(r.hold_mean[0]),
                     "cs2": float(r.cs2[0]), "offered_load": float(r.load[0]), "places": float(r.slots[0]),
                     "crisis_reserve": float(r.reserve[0]), "blocking_waste": float(r.waste[0]),
                     "utilisation": float(r.utilisation[0]), "pressure": float(r.pressure[0]),
                     "stable": bool(r.stable[0]),
                     "wait_mean_erlang_c": float(r.wait_mm[0]),
                     "wait_mean_allen_cunneen": float(r.unit_wait(crisis_units[name])[0])})
    return pd.DataFrame(rows)


def depends_on(fm: FlowModel) -> dict[str, tuple[str, ...]]:
    """Which FTE knobs change each pool's places (found by moving each knob by 10 %, not by naming them)."""
    base = {k: np.asarray([v]) for k, v in fm.fte_today.items()}
    ref = fm.places(base)
    out: dict[str, list[str]] = {p: [] for p in fm.pools}
    for knob, v in fm.fte_today.items():
        moved = dict(base)
        moved[knob] = np.asarray([v * 1.1 + 1.0])
        got = fm.places(moved)
        for p in fm.pools:
            if not np.array_equal(np.asarray(got[p][0]), np.asarray(ref[p][0])):
                out[p].append(knob)
    return {p: tuple(v) for p, v in out.items()}


def kpi_knobs(fm: FlowModel, duration: str) -> tuple[str, ...]:
    """The FTE knobs a duration KPI depends on: the knobs of every pool whose wait it includes, and of the pools
    whose waits those pools' holds include (transitively)."""
    pools_of = depends_on(fm)
    seen = closure({w.pool for g in fm.times.get(duration, ()) for w in g.waits},
                   lambda p: {w.pool for c in fm.holds.get(p, {}).values() for g in c for w in g.waits})
    return tuple(k for k in fm.fte_today if any(k in pools_of[p] for p in seen))


def closure(start: set[str], neighbours: Callable[[str], set[str]]) -> set[str]:
    """Every pool reachable from ``start`` by ``neighbours`` (``start`` included): e.g. the pools whose waits a
    pool's holds include, transitively (a family waiting for the Raad keeps its place at Veilig Thuis)."""
    todo, seen = set(start), set()
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo |= neighbours(p)
    return seen


def is_finite(x: float) -> bool:
    return isinstance(x, (int, float)) and math.isfinite(x)


# ====================================================================== command line


def main(argv: list[str] | None = None) -> None:
    """``python -m sim.screening [overrides]``: the analytic screening of one configuration, printed (no run)."""
    import sys

    from sim import app
    from sim.config import validate

    argv = sys.argv[1:] if argv is None else argv
    with app.one_line_errors(NotAvailable):  # no Hydra app here: every argument must be an override
        model = app.validated("config", argv, validate, example="region=demo", hydra_app=False)
        fm = flow_model(model)
    with pd.option_context("display.width", 200, "display.max_columns", 30, "display.float_format", "{:,.3g}".format):
        print(f"analytic screening: {model.scenario.name} in {model.region_name}, demand.scale={model.demand_scale:g} "
              f"(steady state; docs/validation.md says where it holds)")
        print(screen(model, fm).drop(columns=["organisation"]).to_string(index=False))
        row = screen_grid(model, {}, fm=fm).iloc[0]
        for k in (*kpi_registry.names("screened"), *fm.norms):
            if k in row.index:
                print(f"{k:<34} {row[k]:>10.3g}")
        print(f"{'stable':<34} {str(bool(row['stable'])):>10}   (highest load per usable place: {row['bottleneck']})")


if __name__ == "__main__":  # run the imported module's main: the twins build their traces with its classes
    from sim import screening as _imported

    _imported.main()
