"""Families arriving: Poisson meldingen at Veilig Thuis and direct requests at the buurtteam.

All arrivals of a replication are drawn before the run, vectorised: arrival times from one stream per route
(``arrivals.melding``, ``arrivals.direct``), then every family attribute from the ``families`` stream as row
*i* of a block, in merged arrival order. Nothing here depends on the workflow, so every workflow sees the same
families for the same seed and replication (common random numbers). Attributes per episode (up to
``families.max_episodes`` for a family that keeps coming back) are drawn at once, so a hermelding's attributes
do not depend on when the workflow closed the previous episode.

An optional monthly profile makes the rate seasonal by thinning (Lewis & Shedler 1979). An optional yearly path
(``demand.yearly_path``: a published demand series, experiments/backtest.py) thins the same way, per simulated year
counted from the start of the run (warm-up included), with a stream of its own per route (``arrivals.<route>.path``),
so that without a path no stream draws anything more.

In a region with several organisations of a kind (``region.units``: Gelderland's three Veilig Thuis
organisations and four GIs), each family's Veilig Thuis organisation is drawn from the catchment shares and its GI
from the GIs' shares, from a stream of its own (``families.catchment``, one row per family), so that no other
stream's draws move and a region without units draws nothing more. Both are the family's for every episode.
In a region with youth-care regions (``region.jeugdregios``: Gelderland's seven) the family's jeugdregio is drawn
within its Veilig Thuis organisation from a stream of its own (``families.jeugdregio``), and its GI from that
jeugdregio's GIs with the same uniform as before (so Jeugd Veilig Verder gets families only where it works).

Whether a family's adults have problems of their own (debts and the like: seed 002, Blijvend Veilig) is a uniform
per family from the stream ``families.adult_problems`` (one draw per family, compared with
``families.adult_problem_share``), also fixed for every episode; only a workflow that treats adult problems reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.chain.checks import COLOURS
from sim.chain.model import Model
from sim.kernel.streams import Streams

ROUTES = ("melding", "direct")


@dataclass(frozen=True)
class Arrivals:
    """Arrays in arrival order; attribute arrays have shape (n_families, max_episodes)."""

    time: np.ndarray
    route: np.ndarray  # index into ROUTES
    colour: np.ndarray  # index into COLOURS
    n_children: np.ndarray  # per family (shape n): children do not change between episodes
    voluntary_u: np.ndarray
    reentry_u: np.ndarray
    return_after: np.ndarray
    # per family, index into model.units_of(kind) (region.units); None when the region has one organisation of it
    vt_unit: np.ndarray | None = None
    gi_unit: np.ndarray | None = None
    jeugdregio: np.ndarray | None = None  # per family, index into model.jeugdregios; None without them
    # per family, the child's age (days) at its first arrival (families.age_at_melding); None: children never age
    age_days: np.ndarray | None = None
    # per family: uniform; its adults have problems of their own (debts, ...) if below families.adult_problem_share.
    # From a stream of its own (families.adult_problems), so no other stream's draws move; None: not drawn (tests)
    adult_u: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.time)


def _poisson_times(rng: np.random.Generator, rate_per_year: float, horizon_days: float,
                   profile: tuple[float, ...] | None, boost: float = 1.0) -> np.ndarray:
    """Poisson arrival times at ``rate_per_year`` x ``boost`` (the peak of a yearly path, thinned afterwards)."""
    if rate_per_year <= 0:
        return np.empty(0)
    peak = (max(profile) if profile else 1.0) * boost
    rate = rate_per_year * peak / 365.0
    expected = rate * horizon_days
    times: list[np.ndarray] = []
    t = 0.0
    while t < horizon_days:  # draw in blocks of gaps until past the horizon
        gaps = rng.exponential(1.0 / rate, int(expected * 0.2) + 64)
        block = t + np.cumsum(gaps)
        times.append(block)
        t = block[-1]
    all_times = np.concatenate(times)
    all_times = all_times[all_times < horizon_days]
    if profile:
        month = ((all_times % 365.0) / (365.0 / 12.0)).astype(int).clip(0, 11)
        keep = rng.random(len(all_times)) < np.asarray(profile)[month] * boost / peak
        all_times = all_times[keep]
    return all_times


def _thin_by_year(rng: np.random.Generator, times: np.ndarray, path: tuple[float, ...]) -> np.ndarray:
    """Keep an arrival in simulated year y with probability path[y] / max(path) (the last value holds on)."""
    year = np.minimum((times // 365.0).astype(int), len(path) - 1)
    keep = rng.random(len(times)) < np.asarray(path)[year] / max(path)
    return times[keep]


def generate(model: Model, streams: Streams) -> Arrivals:
    horizon = model.horizon_days
    rates = {"melding": model.vt_meldingen_per_year * model.demand_scale,
             "direct": model.buurtteam_direct_per_year * model.demand_scale}
    times, routes = [], []
    path = model.yearly_path
    for i, route in enumerate(ROUTES):
        t = _poisson_times(streams.generator(f"arrivals.{route}"), rates[route], horizon, model.monthly_profile,
                           max(path) if path else 1.0)
        if path:
            t = _thin_by_year(streams.generator(f"arrivals.{route}.path"), t, path)
        times.append(t)
        routes.append(np.full(len(t), i, dtype=np.int8))
    time = np.concatenate(times)
    route = np.concatenate(routes)
    order = np.lexsort((route, time))  # by time, ties by route: deterministic
    time, route = time[order], route[order]

    n, e = len(time), model.max_episodes
    rng = streams.generator("families")
    colour_u = rng.random((n, e))
    children_u = rng.random(n)
    voluntary_u = rng.random((n, e))
    reentry_u = rng.random((n, e))
    return_u = rng.random((n, e))
    cum = np.cumsum([model.colour_probs[c] for c in COLOURS])
    cum[-1] = 1.0
    colour = np.searchsorted(cum, colour_u, side="right").clip(0, len(COLOURS) - 1).astype(np.int8)
    vt_unit, gi_unit = draw_units(model, streams.generator("families.catchment"), n) if model.units else (None, None)
    jeugdregio = None
    if model.jeugdregios:
        jeugdregio, gi_unit = draw_jeugdregios(model, streams.generator("families.jeugdregio"), vt_unit,
                                               streams.generator("families.catchment"), n)
    age_days = None if model.age_at_melding is None else \
        draw_ages(model.age_at_melding, streams.generator("families.age"), n)
    adult_u = streams.generator("families.adult_problems").random(n)
    return Arrivals(
        time=time,
        route=route,
        colour=colour,
        n_children=model.children.ppf(children_u).astype(np.int64),
        voluntary_u=voluntary_u,
        reentry_u=reentry_u,
        return_after=model.time_to_return.ppf(return_u),
        vt_unit=vt_unit,
        gi_unit=gi_unit,
        jeugdregio=jeugdregio,
        age_days=age_days,
        adult_u=adult_u,
    )


def draw_ages(dist, rng: np.random.Generator, n: int) -> np.ndarray:
    """Ages (days) of ``n`` children: a whole year from ``dist`` (empirical over 0-17) and the fraction of the year
    uniform, two uniforms per child (row i is child i's whatever else is drawn), from a stream of its own."""
    u = rng.random((n, 2))
    return (dist.ppf(u[:, 0]) + u[:, 1]) * 365.25


def draw_units(model: Model, rng: np.random.Generator, n: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Each of ``n`` families' Veilig Thuis organisation (by catchment) and GI (by the GIs' shares), as indices
    into ``model.units_of(kind)``; None for a kind the region has one organisation of. Two uniforms per family
    (row i: its Veilig Thuis, its GI) whichever kinds have units, so row i is family i's in every region file."""
    u = rng.random((n, 2))
    out: list[np.ndarray | None] = []
    for col, kind in enumerate(("veilig_thuis", "gi")):
        kind_units = model.units_of(kind)
        if not kind_units:
            out.append(None)
            continue
        cum = np.cumsum([k.catchment for k in kind_units])
        cum[-1] = 1.0
        out.append(np.searchsorted(cum, u[:, col], side="right").clip(0, len(kind_units) - 1).astype(np.int16))
    return out[0], out[1]


def draw_jeugdregios(model: Model, rng: np.random.Generator, vt_unit: np.ndarray, catchment_rng: np.random.Generator,
                     n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each family's jeugdregio (within its Veilig Thuis organisation, by the regions' shares) and its GI (by its
    jeugdregio's GI shares). The GI's uniform is column 1 of the ``families.catchment`` block, as in
    :func:`draw_units` (``catchment_rng`` must be a fresh generator of that stream), so row i stays family i's."""
    u_gi = catchment_rng.random((n, 2))[:, 1]
    u_region = rng.random(n)
    regions = model.jeugdregios
    region = np.zeros(n, dtype=np.int16)
    for v in np.unique(vt_unit):
        mine = [i for i, r in enumerate(regions) if r.vt == v]
        rows = vt_unit == v
        cum = np.cumsum([regions[i].share for i in mine])
        cum[-1] = 1.0
        region[rows] = np.asarray(mine, dtype=np.int16)[np.searchsorted(cum, u_region[rows], side="right")
                                                        .clip(0, len(mine) - 1)]
    gi = np.zeros(n, dtype=np.int16)
    for i, r in enumerate(regions):
        rows = region == i
        cum = np.cumsum(r.gi)
        cum[-1] = 1.0
        gi[rows] = np.searchsorted(cum, u_gi[rows], side="right").clip(0, len(r.gi) - 1)
    return region, gi
