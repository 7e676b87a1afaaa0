"""The flow-model DSL and its vectorised evaluation: pools as multi-server queues in steady state, a route as
a sum of waits and activities (:class:`Trace`, :func:`split`, :func:`collect`), evaluated for thousands of
staffings at once (:func:`evaluate`). A workflow's analytic twin is written with it; what it screens is in
``sim/analysis/screening.py``, which states the approximations.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

import numpy as np
from scipy import special

from sim.kernel import queueing

# ====================================================================== path components


@dataclass(frozen=True)
class Fixed:
    """An activity or delay whose distribution does not depend on staffing (days): its name, mean and variance."""

    name: str
    mean: float
    var: float

    @classmethod
    def of(cls, name: str, dist: Any, factor: float = 1.0) -> "Fixed":
        """From a :class:`~sim.kernel.distributions.Distribution` (its own mean and variance), scaled by ``factor``."""
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

    __slots__ = ("timeline", "marks", "holds", "stages", "state", "_open", "spent")

    def __init__(self, **state: Any) -> None:
        self.timeline: list[Component] = []
        self.marks: dict[str, int] = {}
        self.holds: list[tuple[str, tuple[float, float], bool, tuple[Component, ...], float]] = []
        self.stages: dict[str, tuple[Component, ...]] = {}
        self.state: dict[str, Any] = dict(state)
        self._open: dict[int, tuple[str, tuple[float, float], int]] = {}
        self.spent: list[tuple[str, float]] = []  # (pool, place-days) of staff hours spent outside a held case

    def fork(self) -> "Trace":
        t = Trace.__new__(Trace)
        t.timeline, t.marks, t.holds = list(self.timeline), dict(self.marks), list(self.holds)
        t.stages, t.state, t._open = dict(self.stages), dict(self.state), dict(self._open)
        t.spent = list(self.spent)
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

    def spend(self, pool: str, place_days: float) -> None:
        """Staff hours spent outside a held case (a repeated intake, ``CaseloadPool.occupy``): ``place_days`` of
        ``pool``'s places, taken without a wait and not a request."""
        if place_days > 0:
            self.spent.append((pool, place_days))

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
    spent: Mapping[str, float] = field(default_factory=dict)  # pool -> places occupied by spent hours on average

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
    spent: dict[str, float] = {}
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
        for pool, days in t.spent:
            if pool not in pools:
                raise AssertionError(f"{workflow}: a route spends hours at an unknown pool {pool!r}")
            spent[pool] = spent.get(pool, 0.0) + rate * days
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
                     dict(entry_rates), spent)


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
    spent: Any = 0.0  # places occupied on average by hours spent outside a held case (FlowModel.spent)

    @property
    def servers(self) -> np.ndarray:
        """Places the regular cases can use, less the head-of-line blocking waste and the spent hours' places."""
        return self.slots - self.reserve - self.waste - self.spent

    @property
    def utilisation(self) -> np.ndarray:
        """Offered load, spent hours included, per place (the simulation's ``utilisation.<pool>`` is places in
        use per place)."""
        busy = self.load + self.spent
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.slots > 0, busy / np.where(self.slots > 0, self.slots, 1),
                            np.where(busy > 0, np.inf, 0.0))

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
        spent = fm.spent.get(name, 0.0) * scale  # fluid: the spent hours' places are not there for cases
        for _ in range(SELF_ITERATIONS if own else 1):
            result, lam_c = _pool(fm, name, slots - spent, reserve, stats, scale, shape)
            result.slots, result.spent = slots, spent
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
        erlang = np.where(stable, queueing._erlang_c(c_req, a_req), 1.0)
        w_fcfs = np.where(stable, erlang * hold / np.where(stable, c_req - a_req, 1.0) * (1.0 + cs2) / 2.0, np.inf)
        sigma = np.where(stable, load_c / np.where(stable, usable, 1.0), 0.0)
        rho = np.where(stable, load / np.where(stable, usable, 1.0), 1.0)
        w_crisis = np.where(stable, w_fcfs * (1.0 - rho) / (1.0 - sigma), np.inf)
        w_regular = np.where(stable, w_fcfs / (1.0 - sigma), np.inf)
        c_mm = slots - reserve  # plain M/M/c on the units, for comparison
        mm_ok = (load < c_mm) & np.isfinite(load) & (c_mm >= 1)
        w_mm = np.where(mm_ok, queueing._erlang_c(np.where(mm_ok, c_mm, 1.0), np.where(mm_ok, load, 0.0))
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
