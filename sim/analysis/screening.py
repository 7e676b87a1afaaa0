"""Analytic screening of a workflow: offered load, utilisation, stability and waits per pool, and lead times.

What it models: every caseload pool of the chain (the Veilig Thuis front desk and case teams, the buurtteam, the
Raad, the GI, the integrated team, the expert pools) as a multi-server queue in steady state, and a family's lead
time as a sum of waits and activities along its route. It answers in milliseconds what a simulation answers in
minutes, for thousands of staffings at once (:func:`screen_grid`), so that sizing (``sim/size.py``) and capacity
(``sim/capacity.py``) start from a good guess and simulate only to confirm. Where it holds and where it does not
is measured against the simulation in ``docs/validation.md`` (``experiments/validate_analytic.py``).

Where the numbers come from: nothing here is a number of its own. Arrival rates, routing shares, durations and
staffing are the validated :class:`~sim.chain.model.Model`; the workflow states its routes once, as an analytic twin of
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
* **Waits: Allen-Cunneen** (``sim.kernel.queueing``) for requests that need several places at once (a family asks for
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

from typing import Any, Mapping

import numpy as np
import pandas as pd

from sim.chain import kpis as kpi_registry
from sim.chain.entities import kind_pool
from sim.kernel.flows import FlowModel, Mixture, NotAvailable, PoolResult, Wait, WaitStats, closure, evaluate


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


def kpis(fm: FlowModel, stats: Mapping[Wait, WaitStats], shape, quantiles: tuple[float, ...] = (0.9,)
         ) -> dict[str, np.ndarray]:
    """Analytic values of the simulation's KPIs (sim/chain/kpis.py names) on the grid. (This function's name is why
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
