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
import math
from collections import deque
from contextlib import contextmanager
from dataclasses import dataclass, field
from heapq import heapify, heappop, heappush
from typing import Any, Callable, Iterator

import simpy
from simpy.core import NORMAL, URGENT
from simpy.events import Event

# A scheduled callback is the heap entry ``(time, NORMAL, event id, fn, arg)``: SimPy's own key (time, priority,
# event id from SimPy's counter) followed by what to call. SimPy's events are ``(time, priority, event id,
# event)``; the keys are unique, so the heap orders both alike and never compares past the id. A callback needs
# no event object at all: one tuple per scheduled callback (~30 ns to make, against ~150 ns for a 4-tuple with
# the slotted event object used before, and more for an Event subclass with its attribute dict). The price:
# SimPy's env.step() cannot process these entries, so an Engine's environment is run by Engine.run, never by
# env.run()/env.step() directly.


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


# Heap size (entries) from which callbacks due in a later time slot are staged (Engine.at). Staging pays for a
# national run (~90,000 pending callbacks); a region's run (Gelderland: ~8,600 pending) is 3-4 % faster without
# it, since every staged entry is handled twice; a national run is as fast with 16,384 as with 256
# (docs/performance.md, issue 15).
STAGE_ABOVE = 16_384
SLOTS_PER_DAY = 8  # staging slots per day; a power of two, so t * 8 and k / 8 are exact in floating point


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
        self._queue, self._eid = self.env._queue, self.env._eid  # SimPy's heap and event-id counter
        # The clock in days: SimPy's env.now, copied here by run() whenever SimPy's clock moves, because the
        # actors read it several times per event and a plain attribute is cheaper than two property calls.
        self.now: float = self.env.now
        # Staging area in front of SimPy's heap (see at() and _unstage()): callbacks due in a later time slot
        # (1/8 day) than the clock's wait in a list per slot and join the heap when the clock reaches the slot.
        self._staged: dict[int, list] = {}
        self._flush_slot: float = math.inf  # lowest slot with staged entries (inf: none)
        self._flush_at: float = math.inf  # its start in days: no staged entry is due before it

    def at(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` days (``delay`` >= 0).

        The entry has exactly the key ``env.schedule(event, NORMAL, delay)`` gives (same time, priority and event
        id from SimPy's counter), so events are processed in SimPy's order. When the heap is large, an entry
        due in a later 1/8-day slot than the clock's is staged (kept in a list per slot) instead of pushed: a
        national run has ~90,000 callbacks pending (help episodes, measures, re-entries months ahead), and a
        heap that size costs several microseconds per push and pop in cache misses; with staging the heap
        holds little more than the current slot's events. A region's model never stages and pays nothing.
        """
        t = self.now + delay
        queue = self._queue
        if len(queue) < STAGE_ABOVE:
            heappush(queue, (t, NORMAL, next(self._eid), fn, arg))
            return
        # the staging test and _stage() inlined: this runs for nearly every event of a national run
        try:
            slot = int(t * SLOTS_PER_DAY)  # t >= 0: int() is floor(), and slot / 8 <= t exactly
        except (ValueError, OverflowError):  # NaN or inf: an event that can never be ordered in time
            raise ValueError(f"cannot schedule a callback at time {t!r}: the delay must be a finite number of "
                             f"days") from None
        if slot <= int(self.now * SLOTS_PER_DAY):  # due in the clock's own slot: straight into the heap
            heappush(queue, (t, NORMAL, next(self._eid), fn, arg))
            return
        bucket = self._staged.get(slot)
        if bucket is None:
            self._staged[slot] = [(t, NORMAL, next(self._eid), fn, arg)]
            if slot < self._flush_slot:
                self._flush_slot, self._flush_at = slot, slot / SLOTS_PER_DAY
        else:
            bucket.append((t, NORMAL, next(self._eid), fn, arg))

    def _unstage(self) -> None:
        """The heap's next event is at or after ``_flush_at``: move that slot's entries into the heap.

        Why this keeps SimPy's order: every staged entry is due at or after ``_flush_at``, so while the heap's
        next event is earlier, nothing staged can come before it; once it is not, the slot joins the heap
        before anything is popped, and the heap orders by (time, priority, event id) as always. Entries are
        only staged into slots after the clock's, and a slot is flushed only once the clock reaches it, so
        every slot still staged lies after every slot already flushed.
        """
        queue, staged = self._queue, self._staged
        slot = self._flush_slot
        for entry in staged.pop(slot):
            heappush(queue, entry)
        if staged:
            slot += 1
            while slot not in staged:
                slot += 1
            self._flush_slot, self._flush_at = slot, slot / SLOTS_PER_DAY
        else:
            self._flush_slot = self._flush_at = math.inf

    def _unstage_all(self) -> None:
        """Put every staged entry into SimPy's heap (at the end of a run: env._queue holds all that is pending)."""
        for bucket in self._staged.values():
            self._queue.extend(bucket)
        self._staged.clear()
        self._flush_slot = self._flush_at = math.inf
        heapify(self._queue)

    def discard_pending(self) -> None:
        """Drop the events still scheduled and the cases still waiting (after a run, to free memory early)."""
        self._queue.clear()
        self._staged.clear()
        self._flush_slot = self._flush_at = math.inf
        for pool in self.pools.values():
            pool._crisis.clear()
            pool._regular.clear()
            pool._waiting_ids.clear()

    def pool(self, name: str, org: str, slots: int, crisis_reserve: int = 0, per_case: bool = False) -> "CaseloadPool":
        if name in self.pools:
            raise ValueError(f"pool {name!r} defined twice")
        pool = CaseloadPool(self, name, org, slots, crisis_reserve, per_case)
        self.pools[name] = pool
        return pool

    def run(self) -> None:
        """Process events until the horizon, as ``env.run(until=horizon)`` does, in the same order.

        The loop is SimPy's own ``Environment.run``/``step`` unrolled: the stop event is scheduled exactly as
        ``run(until=...)`` schedules it (URGENT, so events at the horizon itself are not processed), a
        callback entry (:meth:`at`) is fired directly, and any other SimPy event (a process, a timeout) is put
        back and goes through ``env.step()`` with its full semantics. Python's cyclic GC is paused meanwhile (:func:`cyclic_gc_paused`).
        """
        if not self.pools:
            raise ValueError("the workflow defined no pools: nothing to simulate")
        env = self.env
        if self.horizon <= env._now:
            raise ValueError(f"until ({self.horizon}) must be greater than the current simulation time")
        stop = Event(env)
        stop._ok, stop._value = True, None
        env.schedule(stop, URGENT, self.horizon - env._now)
        queue, step = env._queue, env.step
        with cyclic_gc_paused():
            while True:
                # never empty: the stop event is in it. Staged entries may come before the heap's next event: then
                # their slot moves into the heap first (looked at before popping, so nothing is popped twice)
                if queue[0][0] >= self._flush_at:
                    self._unstage()
                    continue
                entry = heappop(queue)
                try:
                    t, _, _, fn, arg = entry  # a callback (Engine.at)
                except ValueError:  # a SimPy event: (time, priority, id, event)
                    if entry[3] is stop:
                        env._now = self.now = entry[0]
                        break
                    heappush(queue, entry)  # SimPy processes it (same key, so it is next again)
                    self.now = entry[0]  # the clock moves to its time first
                    step()
                    continue
                env._now = self.now = t
                fn(arg)
        self._unstage_all()
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
    spent: float = 0.0  # place-days taken in the window by hours spent outside a held case (occupy)
    buckets: list[tuple[float, float, float, float, float, int, int]] = field(default_factory=list)
    # one per time step: (start, length, mean waiting units, mean busy units, mean capacity, arrivals, starts)


class CaseloadPool:
    """Slots (caseload places) with a two-class FIFO waiting list and time-weighted statistics."""

    def __init__(self, engine: Engine, name: str, org: str, slots: int, crisis_reserve: int = 0,
                 per_case: bool = False) -> None:
        """``per_case``: the waiting list counts requests (cases) rather than places, for a pool whose places are
        finer than a case (hours of work: a case asks for many places); flows, waits and loads stay in places."""
        if slots < 0 or crisis_reserve < 0:
            raise ValueError(f"pool {name}: slots and crisis_reserve must be >= 0")
        self.engine = engine
        self.env = engine.env
        self.name = name
        self.org = org
        self.capacity = int(slots)
        self.crisis_reserve = int(crisis_reserve)
        self.per_case = bool(per_case)
        self.fte_per_place = math.nan  # staff one place stands for, set by whoever staffs the pool (KPI fte_in_use)
        self.busy = 0
        self.occupied = 0  # places taken by occupy() (part of busy; no case holds them)
        self.queued = 0  # waiting units
        self._crisis: deque = deque()
        self._regular: deque = deque()
        # id(case) -> its requests on the waiting list (the entries, in the order they joined): cancel() of a case
        # that is not waiting (the usual case: its places were granted) answers at once, and cancel() or promote()
        # of a waiting case finds its entry without a Python loop over lists of hundreds
        self._waiting_ids: dict[int, list] = {}
        self.stats = PoolStats(name, org)
        # called as on_wait(case, since) when a case joins the waiting list (not when it is granted at once): what
        # may happen to a case while it waits (sim/chain/waiting.py); None, the default, costs one test per wait
        self.on_wait: Callable[[Any, float], None] | None = None
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
        now = self.env._now
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
            self.stats.wait_sum = self.stats.hold_sum = self.stats.spent = 0.0
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
        if units > 1:  # a case larger than the whole pool: units = min(units, max(capacity, 1)) without two calls
            limit = self.capacity if self.capacity > 1 else 1
            if units > limit:
                units = limit
        now = self.env._now
        if now >= self._next_boundary:
            self._touch()
        elif now > self._last:  # _touch() inlined for the common case (no time-step boundary crossed)
            dt = now - self._last
            self._q_area += self.queued * dt
            self._b_area += self.busy * dt
            self._c_area += self.capacity * dt
            self._last = now
        self._bucket_arrivals += units
        stats = self.stats
        stats.arrivals += units
        # Fast path, the common case: nobody of this class or above is waiting and the places are free. Granting
        # at once is what _dispatch() would do with this request at the head of the list (wait 0), without the
        # trip through the deque; queued would go up and down by ``units`` at the same instant, so it is left.
        if not self._crisis and (crisis or not self._regular) and \
                self.capacity - self.busy - (0 if crisis else self.crisis_reserve) >= units:
            self.busy += units
            self._bucket_starts += units
            stats.starts += units  # (wait_sum += units * 0.0 left out: adding +0.0 to a sum >= +0.0 changes no bit)
            case.holds[self.name] = (units, now)
            granted(case, 0.0)
            if self._crisis or self._regular:  # as _dispatch() would go on to the next in line
                self._dispatch()
            return
        self.queued += 1 if self.per_case else units
        entry = (case, units, now, granted)
        (self._crisis if crisis else self._regular).append(entry)
        self._joined_list(entry)
        if self.on_wait is not None:
            self.on_wait(case, now)
        # _dispatch()'s own first test, inlined: it grants only if the head of the list fits, which it usually
        # does not (that is why this request waits), so the call is mostly skipped
        head = self._crisis or self._regular
        if self.capacity - self.busy - (0 if head is self._crisis else self.crisis_reserve) >= head[0][1]:
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
        if not (crisis or regular):
            return
        # locals for what cannot change while granting (the clock, the stats record, the name); capacity and
        # busy are re-read every time because granted() may call back into this pool
        now, stats, name = self.env._now, self.stats, self.name
        while True:
            # crisis first; a regular case must also leave the crisis reserve free (reserve >= 0, so for it
            # 'free < units or free - reserve < units' is 'free - reserve < units')
            if crisis:
                queue, reserve = crisis, 0
            elif regular:
                queue, reserve = regular, self.crisis_reserve
            else:
                return
            entry = queue[0]
            case, units, since, granted = entry
            if self.capacity - self.busy - reserve < units:
                return
            queue.popleft()
            self._left_list(entry)
            self.busy += units
            self.queued -= 1 if self.per_case else units
            wait = now - since
            self._bucket_starts += units
            stats.starts += units
            stats.wait_sum += units * wait
            case.holds[name] = (units, now)
            granted(case, wait)

    # ---------------------------------------------- a line kept elsewhere (a job that needs several pools at once)
    def join_elsewhere(self, units: int = 1) -> None:
        """``units`` join a waiting line that another object keeps (``sim.actors.expertise``: a consult needs a
        person of several pools at once): counted here as waiting, so this pool's waiting list, arrivals and
        time-weighted levels mean what they mean for any pool."""
        self._touch()
        self.queued += units
        self._bucket_arrivals += units
        self.stats.arrivals += units

    def grant_elsewhere(self, case: Any, units: int, since: float) -> None:
        """The line kept elsewhere gives ``case`` ``units`` places of this pool now, after waiting since ``since``."""
        self._touch()
        now = self.env.now
        self.queued -= units
        self.busy += units
        self._bucket_starts += units
        self.stats.starts += units
        self.stats.wait_sum += units * (now - since)
        case.holds[self.name] = (units, now)

    def release_case(self, case: Any) -> None:
        """Give back the slots ``case`` holds in this pool (no-op if it holds none)."""
        held = case.holds.pop(self.name, None)
        if held is not None:  # release() and _touch() inlined: this is on the path of every completed activity
            now = self.env._now
            if now >= self._next_boundary:
                self._touch()
            elif now > self._last:
                dt = now - self._last
                self._q_area += self.queued * dt
                self._b_area += self.busy * dt
                self._c_area += self.capacity * dt
                self._last = now
            units = held[0]
            self.busy -= units
            stats = self.stats
            stats.holds += units
            stats.hold_sum += units * (now - held[1])
            if self._crisis or self._regular:
                self._dispatch()

    def take_now(self, case: Any, units: int) -> None:
        """A request granted at once, even above capacity, with no wait (a case whose work cannot wait for a free
        place, e.g. a measure the team's duo already carries: sim.actors.veiligheidsteam). Counted as an arrival
        and a start like any request; no case is granted until enough places are free again."""
        self._touch()
        self.busy += units
        self._bucket_arrivals += units
        self._bucket_starts += units
        self.stats.arrivals += units
        self.stats.starts += units
        case.holds[self.name] = (units, self.env.now)

    def occupy(self, units: int, days: float) -> None:
        """Staff time spent outside a held case (a repeated intake): ``units`` places taken at once for ``days``,
        even above capacity (the work is done; no new case is granted until enough places are free again). Not
        a request, an arrival or a hold of a case: counted in the busy level and in ``stats.spent``."""
        if units <= 0 or days <= 0:
            return
        now = self.env._now
        if now >= self._next_boundary or now > self._last:  # _touch() only when the levels have something to add
            self._touch()
        self.busy += units
        self.occupied += units
        if self._observing or now >= self.engine.observe_from:
            self.stats.spent += units * days
        self.engine.at(days, self._vacate, units)

    def _vacate(self, units: int) -> None:
        now = self.env._now
        if now >= self._next_boundary or now > self._last:  # as in occupy()
            self._touch()
        self.busy -= units
        self.occupied -= units
        if self._crisis or self._regular:  # _dispatch()'s own first test
            self._dispatch()

    def preload(self, case: Any, units: int) -> None:
        """Put a case that is already in care when the run starts (``run.start=today``) on its places.

        It takes ``units`` slots without joining the waiting list and is not counted as an arrival or a start,
        so the window's flows count only what happens after the start. It may take the pool over its capacity
        (caseloads above the norm today): no new case is then granted until enough places are given back.
        """
        self._touch()
        self.busy += units
        case.holds[self.name] = (units, self.env.now)

    def backlog(self, case: Any, units: int, crisis: bool, granted: Callable[[Any, float], None],
                since: float) -> None:
        """Put a case that was already waiting when the run starts (``run.start=today``) on the waiting list.

        Like :meth:`request`, but it is not counted as an arrival of the window, and its wait runs from
        ``since`` (<= now, when it joined the list), so ``granted(case, wait)`` gets its whole wait. Callers put
        the backlog in place oldest first, before any new request, which keeps the list FIFO.
        """
        limit = self.capacity if self.capacity > 1 else 1
        units = units if units <= limit else limit
        self._touch()
        self.queued += 1 if self.per_case else units
        entry = (case, units, since, granted)
        (self._crisis if crisis else self._regular).append(entry)
        self._joined_list(entry)
        if self.on_wait is not None:
            self.on_wait(case, since)
        self._dispatch()

    def _joined_list(self, entry: tuple) -> None:
        """``entry`` (case, units, since, granted) has joined the waiting list."""
        key = id(entry[0])
        mine = self._waiting_ids.get(key)
        if mine is None:
            self._waiting_ids[key] = [entry]
        else:
            mine.append(entry)

    def _left_list(self, entry: tuple) -> None:
        """``entry`` has left the waiting list (granted or cancelled)."""
        key = id(entry[0])
        mine = self._waiting_ids[key]
        if len(mine) == 1:
            del self._waiting_ids[key]
        else:
            mine.remove(entry)  # the entry itself: found by identity before any comparison

    def _entry_in(self, case: Any, queue: deque) -> tuple | None:
        """The first entry of ``case`` in ``queue`` (None: none there). A case with one request on the list (the
        usual case) is looked up, and ``queue.remove(entry)`` then finds it in C; several are searched for."""
        mine = self._waiting_ids.get(id(case))
        if mine is None:
            return None
        if len(mine) == 1:
            entry = mine[0]
            try:
                queue.remove(entry)
            except ValueError:
                return None
            return entry
        for i, entry in enumerate(queue):
            if entry[0] is case:
                del queue[i]  # found already: no second search by remove()
                return entry
        return None

    def cancel(self, case: Any) -> bool:
        """Take ``case`` off the waiting list (e.g. a voorlopige OTS ends before a place was free)."""
        if id(case) not in self._waiting_ids:  # not waiting here (a case on the list is alive, so its id is its own)
            return False
        for queue in (self._crisis, self._regular):
            entry = self._entry_in(case, queue) if queue else None
            if entry is not None:
                self._touch()  # the levels up to now (taking the entry out of the deque changed none of them)
                self._left_list(entry)
                self.queued -= 1 if self.per_case else entry[1]
                self._dispatch()
                return True
        return False

    def is_waiting(self, case: Any) -> bool:
        """Is ``case`` on this pool's waiting list (either class)?"""
        return id(case) in self._waiting_ids

    @property
    def waiting_index(self) -> dict[int, list]:
        """The live map id(case) -> its requests on the waiting list (read only): ``id(case) in
        pool.waiting_index`` is :meth:`is_waiting` without a call, for a caller that tests cases against several
        pools many times a run (sim/chain/waiting.py's vervolgmeldingen)."""
        return self._waiting_ids

    def promote(self, case: Any) -> bool:
        """Move a waiting ``case`` from the regular class to the crisis class (its situation became acute while it
        waited), keeping the time it joined, behind the crisis cases already waiting. False if it is not waiting in
        the regular class."""
        if id(case) not in self._waiting_ids or not self._regular:
            return False
        entry = self._entry_in(case, self._regular)
        if entry is None:
            return False
        self._touch()
        self._crisis.append(entry)
        self._dispatch()
        return True

    def is_holding(self, case: Any) -> bool:
        return self.name in case.holds

    def waiting(self) -> list[tuple[Any, int, float]]:
        """(case, units, since) of every case still on the waiting list, crisis class first."""
        return [(e[0], e[1], e[2]) for q in (self._crisis, self._regular) for e in q]

    @property
    def waiting_cases(self) -> int:
        return len(self._crisis) + len(self._regular)

    def waiting_places(self) -> int:
        """Places the waiting list asks for: ``queued`` in places also for a pool that counts cases (``per_case``);
        units joined to a line kept elsewhere (join_elsewhere) count one place each."""
        if not self.per_case:
            return self.queued
        listed = self.waiting_cases
        return sum(e[1] for q in (self._crisis, self._regular) for e in q) + self.queued - listed
