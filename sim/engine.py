"""The simulation kernel around SimPy: a clock with callbacks, and caseload pools with waiting lists.

This module knows no organisation by name. A workflow (``sim/scenarios/``) composes actors
(``sim/actors/``), each of which owns one or more :class:`CaseloadPool` objects.

Why callbacks rather than one SimPy generator process per family: a national year has ~130,000 meldingen and
several station visits each. A SimPy process costs a generator, a ``Process`` object and an event per ``yield``;
scheduling a plain callback on SimPy's own event queue costs one event. The model keeps SimPy's environment,
clock and heap (``env.schedule``), so SimPy stays the kernel; only the per-family bookkeeping is leaner.

Capacity is modelled as caseload: a pool has ``slots`` = the number of cases (in the organisation's own unit:
meldingen, families or children) its staff can carry at once. A case holds its slots for as long as the
organisation is responsible for it, not only during contact. Requests wait FIFO in two classes: crisis (rood)
first, then regular; a share of slots may be reserved for crisis cases.
"""

from __future__ import annotations

import gc
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from heapq import heappop, heappush
from typing import Any, Callable, Iterator

import simpy
from simpy.core import NORMAL, URGENT
from simpy.events import Event


class _Call:
    """A scheduled callback: calls ``fn(arg)`` when SimPy's clock reaches it.

    It sits in SimPy's event heap like any event and quacks like one for ``env.step()`` (``callbacks``,
    ``_ok``), but has no ``__dict__``: three slots instead of an Event's attribute dict, which halves the
    cost of scheduling (one of these is made for every event of a run). :meth:`Engine.run` calls ``fn(arg)``
    directly; ``env.step()`` would do the same through ``_fire``.
    """

    __slots__ = ("fn", "arg", "callbacks")
    _ok = True  # read by env.step(): a _Call never fails
    _value = None

    def __init__(self, fn: Callable[[Any], None], arg: Any) -> None:
        self.fn = fn
        self.arg = arg
        self.callbacks = _FIRE


def _fire(event: _Call) -> None:
    event.fn(event.arg)


_FIRE = (_fire,)  # shared and immutable: env.step() only replaces an event's callbacks, never appends to them


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Switch Python's cyclic garbage collector off for the duration of a replication.

    Why: a replication keeps every family record alive until its tables are built (a national 5-year run:
    ~1.5 million tracked objects). The collector's full passes rescan all of them, ever more often as the
    heap grows, and took two thirds of a national run's CPU (docs/performance.md). The model itself makes
    almost no reference cycles (reference counting frees nearly everything: a national 5-year run leaves
    ~100,000 cyclic objects, a few MB, mostly closures that refer to themselves), so they simply wait until
    the collector is switched back on. Re-entrant: an inner pause leaves an outer one in charge.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Engine:
    """Owns the SimPy environment, the observation window and the pools of one replication.

    ``observe_from`` is the end of the warm-up: statistics before it are discarded; ``horizon`` is the end of
    the run. Times are in days.
    """

    def __init__(self, horizon: float, observe_from: float = 0.0, step_days: float = 7.0) -> None:
        if horizon <= observe_from:
            raise ValueError(f"horizon {horizon} must be after observe_from {observe_from}")
        self.env = simpy.Environment()
        self.horizon = float(horizon)
        self.observe_from = float(observe_from)
        self.step_days = float(step_days)
        self.pools: dict[str, CaseloadPool] = {}

    @property
    def now(self) -> float:
        return self.env._now  # simpy's Environment.now, without a second property call (read per event)

    def at(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` days (``delay`` >= 0)."""
        env = self.env
        # exactly env.schedule(event, NORMAL, delay) (same key, same eid sequence), without two calls
        heappush(env._queue, (env._now + delay, NORMAL, next(env._eid), _Call(fn, arg)))

    def pool(self, name: str, org: str, slots: int, crisis_reserve: int = 0) -> "CaseloadPool":
        if name in self.pools:
            raise ValueError(f"pool {name!r} defined twice")
        pool = CaseloadPool(self, name, org, slots, crisis_reserve)
        self.pools[name] = pool
        return pool

    def run(self) -> None:
        """Process events until the horizon, as ``env.run(until=horizon)`` does, in the same order.

        The loop is SimPy's own ``Environment.run``/``step`` unrolled: the stop event is scheduled exactly as
        ``run(until=...)`` schedules it (URGENT, so events at the horizon itself are not processed), a
        :class:`_Call` is fired directly, and any other SimPy event (a process, a timeout) goes through
        ``env.step()`` with its full semantics. Python's cyclic GC is paused meanwhile (:func:`cyclic_gc_paused`).
        """
        if not self.pools:
            raise ValueError("the workflow defined no pools: nothing to simulate")
        env = self.env
        if self.horizon <= env._now:
            raise ValueError(f"until ({self.horizon}) must be greater than the current simulation time")
        stop = Event(env)
        stop._ok, stop._value = True, None
        env.schedule(stop, URGENT, self.horizon - env._now)
        queue, call, step = env._queue, _Call, env.step
        with cyclic_gc_paused():
            while True:
                entry = queue[0]  # never empty: the stop event is in it
                event = entry[3]
                if event.__class__ is call:
                    heappop(queue)
                    env._now = entry[0]
                    event.fn(event.arg)
                elif event is stop:
                    heappop(queue)
                    env._now = entry[0]
                    break
                else:
                    step()
        for pool in self.pools.values():
            pool.finish()


@dataclass
class PoolStats:
    """What a pool measured over the observation window (units = the organisation's case unit)."""

    name: str
    org: str
    arrivals: int = 0  # units that joined the waiting list in the window
    starts: int = 0  # units granted a slot in the window
    wait_sum: float = 0.0  # summed waits (days) of units granted in the window
    hold_sum: float = 0.0  # unit-days of completed holds that ended in the window
    holds: int = 0
    buckets: list[tuple[float, float, float, float, float, int, int]] = field(default_factory=list)
    # one per time step: (start, length, mean waiting units, mean busy units, mean capacity, arrivals, starts)


class CaseloadPool:
    """Slots (caseload places) with a two-class FIFO waiting list and time-weighted statistics."""

    def __init__(self, engine: Engine, name: str, org: str, slots: int, crisis_reserve: int = 0) -> None:
        if slots < 0 or crisis_reserve < 0:
            raise ValueError(f"pool {name}: slots and crisis_reserve must be >= 0")
        self.engine = engine
        self.env = engine.env
        self.name = name
        self.org = org
        self.capacity = int(slots)
        self.crisis_reserve = int(crisis_reserve)
        self.busy = 0
        self.queued = 0  # waiting units
        self._crisis: deque = deque()
        self._regular: deque = deque()
        self.stats = PoolStats(name, org)
        # time-weighted accumulators for the current bucket
        self._last = 0.0
        self._q_area = 0.0
        self._b_area = 0.0
        self._c_area = 0.0
        self._bucket_start = 0.0
        self._bucket_arrivals = 0
        self._bucket_starts = 0
        self._next_boundary = engine.observe_from if engine.observe_from > 0 else engine.step_days
        self._observing = engine.observe_from <= 0

    # ------------------------------------------------------------------ levels and statistics
    def _touch(self) -> None:
        now = self.env.now
        while now >= self._next_boundary:
            dt = self._next_boundary - self._last
            self._q_area += self.queued * dt
            self._b_area += self.busy * dt
            self._c_area += self.capacity * dt
            self._last = self._next_boundary
            self._close_bucket()
        dt = now - self._last
        if dt > 0:
            self._q_area += self.queued * dt
            self._b_area += self.busy * dt
            self._c_area += self.capacity * dt
            self._last = now

    def _close_bucket(self) -> None:
        end = self._last
        length = end - self._bucket_start
        if self._observing and length > 0:
            self.stats.buckets.append((self._bucket_start - self.engine.observe_from, length,
                                       self._q_area / length, self._b_area / length, self._c_area / length,
                                       self._bucket_arrivals, self._bucket_starts))
        if not self._observing and end >= self.engine.observe_from:
            self._observing = True
            self.stats.arrivals = self.stats.starts = self.stats.holds = 0
            self.stats.wait_sum = self.stats.hold_sum = 0.0
        self._q_area = self._b_area = self._c_area = 0.0
        self._bucket_arrivals = self._bucket_starts = 0
        self._bucket_start = end
        self._next_boundary = end + self.engine.step_days

    def finish(self) -> None:
        """Close the last (possibly partial) bucket at the horizon."""
        self._touch()
        if self.env.now > self._bucket_start:
            self._close_bucket()

    # ------------------------------------------------------------------ requests
    def request(self, case: Any, units: int, crisis: bool, granted: Callable[[Any, float], None]) -> None:
        """Join the waiting list; ``granted(case, wait_days)`` is called when ``units`` slots are free.

        ``case`` is any object with a ``holds`` dict: the pool records there what the case holds, so that
        :meth:`release_case` gives back exactly that.
        A case larger than the whole pool asks for the whole pool rather than waiting forever.
        """
        units = min(units, max(self.capacity, 1))
        self._touch()
        self.queued += units
        self._bucket_arrivals += units
        self.stats.arrivals += units
        (self._crisis if crisis else self._regular).append((case, units, self.env.now, granted))
        self._dispatch()

    def release(self, units: int, held_since: float) -> None:
        """Give back ``units`` slots that were granted at ``held_since``."""
        self._touch()
        self.busy -= units
        self.stats.holds += units
        self.stats.hold_sum += units * (self.env.now - held_since)
        self._dispatch()

    def set_capacity(self, slots: int) -> None:
        """Change the number of slots (staff joining or leaving). Busy slots are never pre-empted."""
        self._touch()
        self.capacity = max(int(slots), 0)
        self._dispatch()

    def _dispatch(self) -> None:
        crisis, regular = self._crisis, self._regular
        while crisis or regular:
            is_crisis = bool(crisis)
            queue = crisis if is_crisis else regular
            case, units, since, granted = queue[0]
            free = self.capacity - self.busy
            if free < units or (not is_crisis and free - self.crisis_reserve < units):
                return
            queue.popleft()
            self.busy += units
            self.queued -= units
            wait = self.env.now - since
            self._bucket_starts += units
            self.stats.starts += units
            self.stats.wait_sum += units * wait
            case.holds[self.name] = (units, self.env.now)
            granted(case, wait)

    def release_case(self, case: Any) -> None:
        """Give back the slots ``case`` holds in this pool (no-op if it holds none)."""
        held = case.holds.pop(self.name, None)
        if held is not None:
            self.release(held[0], held[1])

    def preload(self, case: Any, units: int) -> None:
        """Put a case that is already in care when the run starts (``run.start=today``) on its places.

        It takes ``units`` slots without joining the waiting list and is not counted as an arrival or a start,
        so the window's flows count only what happens after the start. It may take the pool over its capacity
        (caseloads above the norm today): no new case is then granted until enough places are given back.
        """
        self._touch()
        self.busy += units
        case.holds[self.name] = (units, self.env.now)

    def cancel(self, case: Any) -> bool:
        """Take ``case`` off the waiting list (e.g. a voorlopige OTS ends before a place was free)."""
        for queue in (self._crisis, self._regular):
            for entry in queue:
                if entry[0] is case:
                    self._touch()
                    queue.remove(entry)
                    self.queued -= entry[1]
                    self._dispatch()
                    return True
        return False

    def is_holding(self, case: Any) -> bool:
        return self.name in case.holds

    def waiting(self) -> list[tuple[Any, int, float]]:
        """(case, units, since) of every case still on the waiting list, crisis class first."""
        return [(e[0], e[1], e[2]) for q in (self._crisis, self._regular) for e in q]

    @property
    def waiting_cases(self) -> int:
        return len(self._crisis) + len(self._regular)
