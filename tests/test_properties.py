"""Property-based tests (hypothesis) of what the model states about itself, on tiny hand-built cases.

The properties, each stated where the code claims it:

* more staff never lengthens a FIFO wait (``sim/kernel/engine.py``: a pool grants FIFO; for first-come-first-served
  multi-server queues every customer's wait is non-increasing in the number of servers, given the same arrivals
  and the same service times: the Kiefer-Wolfowitz workload recursion is monotone);
* conservation per pool: every unit that joined the waiting list was granted or is still waiting, every granted
  unit was given back or is still held (``CaseloadPool.stats``);
* places are never negative, and a grant never takes a pool above its places (regular cases also leave the crisis
  reserve free), whatever the capacity changes in between (``CaseloadPool.set_capacity``);
* ``Staffing.slots`` (FTE x caseload norm -> places) never falls when FTE or the norm rises;
* a distribution's sample mean lies within a 99.9 % interval of the mean it states (``Distribution.mean``).

The examples drive the kernel (``sim.kernel.engine.Engine``, ``CaseloadPool``) directly with hand-built arrivals and
services, so each takes milliseconds. The hypothesis profile is derandomised (the same examples on every run and
every machine: the suite is reproducible) with a modest example count and no deadline (nothing here is timed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.chain.model import Staffing
from sim.kernel.distributions import build
from sim.kernel.engine import Engine

settings.register_profile("ketensim", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
PROFILE = settings.get_profile("ketensim")


@dataclass
class Case:
    """A minimal case for the pool API: it records what it holds (``holds``) and when it was granted."""

    number: int
    holds: dict = field(default_factory=dict)
    wait: float = math.nan


# arrivals as gaps (days) between consecutive cases and a service time per case; crisis flag and units per case
gaps = st.lists(st.floats(min_value=0.0, max_value=5.0, allow_nan=False), min_size=1, max_size=40)
services = st.floats(min_value=0.01, max_value=20.0, allow_nan=False)


def fifo_waits(arrival_gaps: list[float], service_times: list[float], places: int) -> list[float]:
    """Each case's wait in a pool of ``places`` one-place FIFO slots (regular class, no reserve)."""
    engine = Engine(horizon=10_000.0)
    pool = engine.pool("p", "org", places)
    cases = [Case(i) for i in range(len(arrival_gaps))]

    def granted(case: Case, wait: float) -> None:
        case.wait = wait
        engine.at(service_times[case.number], pool.release_case, case)

    t = 0.0
    for case, gap in zip(cases, arrival_gaps):
        t += gap
        engine.at(t, lambda c: pool.request(c, 1, False, granted), case)
    engine.run()
    return [c.wait for c in cases]


@PROFILE
@given(data=st.data(), places=st.integers(min_value=1, max_value=4))
def test_one_more_place_never_lengthens_any_fifo_wait(data, places: int) -> None:
    arrival_gaps = data.draw(gaps)
    service_times = data.draw(st.lists(services, min_size=len(arrival_gaps), max_size=len(arrival_gaps)))
    fewer = fifo_waits(arrival_gaps, service_times, places)
    more = fifo_waits(arrival_gaps, service_times, places + 1)
    assert all(not math.isnan(w) for w in fewer + more)  # the horizon is far beyond every departure
    for i, (a, b) in enumerate(zip(fewer, more)):
        assert b <= a + 1e-9, (i, a, b)


def test_the_monotonicity_property_can_fail_on_a_wrong_pool() -> None:
    """The property above is not vacuous: two cases arriving together at one place, the second waits the first's
    service; with two places it does not wait at all."""
    assert fifo_waits([0.0, 0.0], [3.0, 1.0], 1) == [0.0, 3.0]
    assert fifo_waits([0.0, 0.0], [3.0, 1.0], 2) == [0.0, 0.0]


request = st.tuples(st.floats(min_value=0.0, max_value=3.0, allow_nan=False),  # gap to the previous request
                    st.integers(min_value=1, max_value=4),  # units (places) asked for at once
                    st.booleans(),  # crisis (rood) class
                    st.floats(min_value=0.01, max_value=30.0, allow_nan=False))  # hold (days)
capacity_change = st.tuples(st.floats(min_value=0.0, max_value=60.0, allow_nan=False),
                            st.integers(min_value=0, max_value=8))


@PROFILE
@given(requests=st.lists(request, min_size=1, max_size=50), places=st.integers(min_value=0, max_value=8),
       reserve=st.integers(min_value=0, max_value=3), changes=st.lists(capacity_change, max_size=4),
       horizon=st.floats(min_value=1.0, max_value=80.0))
def test_units_are_conserved_and_places_stay_within_bounds(requests, places, reserve, changes, horizon) -> None:
    """Random requests (several places at once, two classes), holds and capacity changes, cut off at a random
    horizon: at every grant the places in use are within [0, capacity] (and a regular grant leaves the reserve
    free); at the end every unit that arrived was granted or still waits, every granted unit was released or is
    still held, and the waiting list's count is the units on it."""
    engine = Engine(horizon=horizon)
    reserve = min(reserve, places)
    pool = engine.pool("p", "org", places, crisis_reserve=reserve)
    granted_units = released_units = 0
    violations: list[str] = []

    def release(case: Case) -> None:
        nonlocal released_units
        released_units += case.holds["p"][0]
        pool.release_case(case)

    def make_granted(hold: float, crisis: bool):
        def granted(case: Case, wait: float) -> None:
            nonlocal granted_units
            units = case.holds["p"][0]
            granted_units += units
            if wait < 0:
                violations.append(f"negative wait {wait}")
            if not 0 <= pool.busy <= pool.capacity:
                violations.append(f"busy {pool.busy} outside [0, {pool.capacity}]")
            if not crisis and pool.busy > pool.capacity - pool.crisis_reserve:
                violations.append(f"regular grant into the reserve: busy {pool.busy}, capacity {pool.capacity}")
            engine.at(hold, release, case)
        return granted

    t = 0.0
    due, due_units = 0, 0  # requests whose time comes before the horizon, and the places they ask for
    for i, (gap, units, crisis, hold) in enumerate(requests):
        t += gap
        engine.at(t, lambda c, u=units, cr=crisis, h=hold: pool.request(c, u, cr, make_granted(h, cr)), Case(i))
        due, due_units = (due + 1, due_units + units) if t < horizon else (due, due_units)
    for when, slots in changes:
        engine.at(when, pool.set_capacity, slots)
    engine.run()

    assert violations == []
    waiting_units = sum(units for _, units, _ in pool.waiting())
    assert pool.queued == waiting_units >= 0
    assert pool.busy == granted_units - released_units >= 0
    assert pool.stats.starts == granted_units and pool.stats.holds == released_units
    # every request whose time came (t < horizon: the stop event comes first at the horizon itself) was counted,
    # with at least one place and at most what it asked for (a case larger than the pool asks for all of it)
    arrived = pool.stats.arrivals
    assert arrived == granted_units + waiting_units
    assert due <= arrived <= due_units


fte = st.floats(min_value=0.0, max_value=500.0, allow_nan=False)
share = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
norm = st.floats(min_value=0.1, max_value=50.0, allow_nan=False)


@PROFILE
@given(fte_low=fte, extra_fte=fte, caseload=norm, extra_caseload=st.floats(min_value=0.0, max_value=30.0),
       productive=share, vacancy=st.floats(min_value=0.0, max_value=0.9))
def test_staffing_slots_never_fall_when_fte_or_caseload_rises(fte_low, extra_fte, caseload, extra_caseload,
                                                              productive, vacancy) -> None:
    def slots(f: float, c: float) -> int:
        return Staffing(fte=f, caseload=c, productive_share=productive, vacancy_rate=vacancy,
                        crisis_reserve_share=0.0).slots()

    base = slots(fte_low, caseload)
    assert base >= 0
    assert slots(fte_low + extra_fte, caseload) >= base
    assert slots(fte_low, caseload + extra_caseload) >= base
    assert slots(fte_low + extra_fte, caseload + extra_caseload) >= base


positive = st.floats(min_value=0.05, max_value=400.0, allow_nan=False)
cv = st.floats(min_value=0.05, max_value=1.5, allow_nan=False)
SPECS = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, positive),
    st.builds(lambda m, c: {"dist": "lognormal", "mean": m, "cv": c}, positive, cv),
    st.builds(lambda m, c: {"dist": "gamma", "mean": m, "cv": c}, positive, cv),
    st.builds(lambda lo, w: {"dist": "uniform", "low": lo, "high": lo + w}, positive, positive),
    st.builds(lambda lo, a, b: {"dist": "triangular", "low": lo, "mode": lo + a, "high": lo + a + b},
              positive, positive, positive),
    st.builds(lambda v: {"dist": "deterministic", "value": v}, positive),
    st.builds(lambda vs: {"dist": "empirical", "values": vs, "probs": [1 / len(vs)] * len(vs)},
              st.lists(positive, min_size=1, max_size=5)),
)


@PROFILE
@given(spec=SPECS, seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_a_distributions_sample_mean_is_within_its_stated_mean_s_interval(spec: dict, seed: int) -> None:
    """20,000 draws: the sample mean within 4 standard errors (from the stated variance) of the stated mean, a
    99.994 % interval; 60 examples give a false alarm with probability ~0.4 %, and the examples are fixed
    (derandomised), so a pass or a failure repeats. A distribution whose sampler and moments disagreed by a tenth
    of a standard deviation of the mean would fail nearly every example with cv near 1."""
    dist = build("x", spec.pop("dist"), **spec)
    n = 20_000
    sample = dist.sample(np.random.default_rng(seed), n)
    assert sample.shape == (n,) and np.all(sample >= 0)
    se = math.sqrt(dist.variance / n)
    assert abs(sample.mean() - dist.mean) <= 4 * se + 1e-9 * dist.mean, (dist, sample.mean(), dist.mean, se)
