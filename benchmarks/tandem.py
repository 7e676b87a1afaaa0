"""A four-station M/M/c tandem, written three times: the yardstick for the speed of ketensim's engine.

1. ``run_simpy``: idiomatic SimPy, one generator process per customer, ``simpy.Resource`` per station,
   ``with res.request() as req: yield req; yield env.timeout(s)``. This is how a SimPy model is usually written
   and the speed a policy adviser would get from a straightforward model.
2. ``run_heapq``: a plain event loop on ``heapq`` with integer-coded events, no objects per event: about the
   fastest a pure-Python discrete-event loop gets; the ceiling for an engine written in Python.
3. ``run_ketensim``: ketensim's own kernel, :class:`sim.kernel.engine.Engine` (SimPy's environment and heap with
   callbacks) and one :class:`sim.kernel.engine.CaseloadPool` per station, used exactly as the actors use it:
   ``pool.request(case, 1, crisis, granted)``, ``engine.at(delay, fn, case)``, ``pool.release_case(case)``.
   The pools keep their time-weighted statistics, as in a real run.

All three get the *same* inter-arrival and service times (drawn up front, one service time per customer and
station), so, FCFS being FCFS, they must produce the same waits customer by customer: the benchmark checks that
and compares each station's mean wait with the exact M/M/c value (Burke: the output of an M/M/c queue is
Poisson, so every station of the tandem is M/M/c).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from dataclasses import dataclass
from itertools import count

import numpy as np
import simpy

from sim.kernel.engine import Engine

SERVERS = (2, 3, 1, 4)  # servers per station
ARRIVAL_RATE = 1.0  # customers per time unit
RHO = 0.75  # utilisation of every station
MEAN_SERVICE = tuple(RHO * c / ARRIVAL_RATE for c in SERVERS)  # (1.5, 2.25, 0.75, 3.0)


@dataclass(frozen=True)
class Inputs:
    interarrival: list[float]
    service: list[list[float]]  # [station][customer]

    @property
    def customers(self) -> int:
        return len(self.interarrival)


def draw_inputs(customers: int, seed: int = 6) -> Inputs:
    rng = np.random.default_rng(seed)
    ia = rng.exponential(1.0 / ARRIVAL_RATE, customers)
    svc = [rng.exponential(m, customers) for m in MEAN_SERVICE]
    return Inputs(ia.tolist(), [s.tolist() for s in svc])


# ====================================================================== 1. idiomatic SimPy


def run_simpy(inp: Inputs) -> list[list[float]]:
    env = simpy.Environment()
    stations = [simpy.Resource(env, capacity=c) for c in SERVERS]
    waits = [[0.0] * inp.customers for _ in SERVERS]
    svc = inp.service

    def customer(i: int):
        for k, res in enumerate(stations):
            arrived = env.now
            with res.request() as req:
                yield req
                waits[k][i] = env.now - arrived
                yield env.timeout(svc[k][i])

    def source():
        for i, gap in enumerate(inp.interarrival):
            yield env.timeout(gap)
            env.process(customer(i))

    env.process(source())
    env.run()
    return waits


# ====================================================================== 2. plain heapq event loop


def run_heapq(inp: Inputs) -> list[list[float]]:
    n, last = inp.customers, len(SERVERS) - 1
    ia, svc = inp.interarrival, inp.service
    waits = [[0.0] * n for _ in SERVERS]
    free = list(SERVERS)
    queues = [deque() for _ in SERVERS]
    heap: list[tuple[float, int, int, int]] = []
    push, pop, seq = heapq.heappush, heapq.heappop, count()
    push(heap, (ia[0], next(seq), -1, 0))  # station -1 = arrival from outside

    while heap:
        t, _, k, i = pop(heap)
        if k < 0:  # external arrival of customer i; schedule the next one
            if i + 1 < n:
                push(heap, (t + ia[i + 1], next(seq), -1, i + 1))
            nxt = 0
        else:  # customer i leaves station k
            q = queues[k]
            if q:
                j, since = q.popleft()
                waits[k][j] = t - since
                push(heap, (t + svc[k][j], next(seq), k, j))
            else:
                free[k] += 1
            if k == last:
                continue
            nxt = k + 1
        if free[nxt]:
            free[nxt] -= 1
            push(heap, (t + svc[nxt][i], next(seq), nxt, i))  # waits[nxt][i] stays 0.0
        else:
            queues[nxt].append((i, t))
    return waits


# ====================================================================== 3. ketensim's engine


class _Customer:
    __slots__ = ("i", "holds")

    def __init__(self, i: int) -> None:
        self.i = i
        self.holds: dict = {}


def run_ketensim(inp: Inputs) -> list[list[float]]:
    n = inp.customers
    ia, svc = inp.interarrival, inp.service
    horizon = math.fsum(ia) + 1000.0 * max(MEAN_SERVICE) + 1.0  # every customer leaves long before
    engine = Engine(horizon, observe_from=0.0, step_days=horizon / 200.0)
    pools = [engine.pool(f"station{k}", "tandem", c) for k, c in enumerate(SERVERS)]
    waits = [[0.0] * n for _ in SERVERS]
    at = engine.at

    def station(k: int):
        pool, service, w = pools[k], svc[k], waits[k]
        onward = None  # filled below: the next station's arrive()

        def granted(cust: _Customer, wait: float) -> None:
            w[cust.i] = wait
            at(service[cust.i], done, cust)

        def done(cust: _Customer) -> None:
            pool.release_case(cust)
            if onward is not None:
                onward(cust)

        def arrive(cust: _Customer) -> None:
            pool.request(cust, 1, False, granted)

        def link(nxt) -> None:
            nonlocal onward
            onward = nxt

        return arrive, link

    arrivals, links = zip(*(station(k) for k in range(len(SERVERS))))
    for k in range(len(SERVERS) - 1):
        links[k](arrivals[k + 1])
    first = arrivals[0]

    def external(i: int) -> None:
        if i + 1 < n:
            at(ia[i + 1], external, i + 1)
        first(_Customer(i))

    at(ia[0], external, 0)
    engine.run()
    return waits


IMPLEMENTATIONS = {"simpy": run_simpy, "heapq": run_heapq, "ketensim": run_ketensim}


# ====================================================================== the sanity check


def batch_means(x: np.ndarray, batches: int = 20) -> tuple[float, float]:
    """Mean and its standard error from batch means (the waits of successive customers are correlated)."""
    m = len(x) // batches
    b = x[: m * batches].reshape(batches, m).mean(axis=1)
    return float(x.mean()), float(b.std(ddof=1) / math.sqrt(batches))


def check_waits(results: dict[str, list[list[float]]], warmup_share: float = 0.1) -> dict:
    """Per station: each implementation's mean wait, the M/M/c value, and whether they are consistent.

    Consistent = the three agree customer by customer (same inputs, FCFS: differences only from floating-point
    summation order, tolerance 1e-6 days) and the mean wait after a 10 % warm-up is within 4 batch-means
    standard errors (plus 2 %) of Erlang C's ``Wq``.
    """
    from sim.kernel.queueing import mmc_wait_mean

    names = list(results)
    ref = [np.asarray(w) for w in results[names[0]]]
    out = {"stations": [], "ok": True}
    for k, c in enumerate(SERVERS):
        theory = float(mmc_wait_mean(ARRIVAL_RATE, MEAN_SERVICE[k], c))
        row = {"station": k, "servers": c, "mean_service": MEAN_SERVICE[k], "theory_wq": theory}
        max_diff = 0.0
        for name in names:
            w = np.asarray(results[name][k])
            max_diff = max(max_diff, float(np.max(np.abs(w - ref[k]))))
            mean, se = batch_means(w[int(len(w) * warmup_share):])
            row[f"{name}_wq"] = mean
            row["se"] = se
        row["max_abs_diff_between_implementations"] = max_diff
        row["ok"] = bool(max_diff < 1e-6 and abs(row[f"{names[0]}_wq"] - theory) <= 4 * row["se"] + 0.02 * theory)
        out["ok"] = out["ok"] and row["ok"]
        out["stations"].append(row)
    return out
