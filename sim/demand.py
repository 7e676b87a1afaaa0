"""Families arriving: Poisson meldingen at Veilig Thuis and direct requests at the buurtteam.

All arrivals of a replication are drawn before the run, vectorised: arrival times from one stream per route
(``arrivals.melding``, ``arrivals.direct``), then every family attribute from the ``families`` stream as row
*i* of a block, in merged arrival order. Nothing here depends on the workflow, so every workflow sees the same
families for the same seed and replication (common random numbers). Attributes per episode (up to
``families.max_episodes`` for a family that keeps coming back) are drawn at once, so a hermelding's attributes
do not depend on when the workflow closed the previous episode.

An optional monthly profile makes the rate seasonal by thinning (Lewis & Shedler 1979).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config import COLOURS, Model
from sim.streams import Streams

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

    def __len__(self) -> int:
        return len(self.time)


def _poisson_times(rng: np.random.Generator, rate_per_year: float, horizon_days: float,
                   profile: tuple[float, ...] | None) -> np.ndarray:
    if rate_per_year <= 0:
        return np.empty(0)
    peak = max(profile) if profile else 1.0
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
        keep = rng.random(len(all_times)) < np.asarray(profile)[month] / peak
        all_times = all_times[keep]
    return all_times


def generate(model: Model, streams: Streams) -> Arrivals:
    horizon = model.horizon_days
    rates = {"melding": model.vt_meldingen_per_year * model.demand_scale,
             "direct": model.buurtteam_direct_per_year * model.demand_scale}
    times, routes = [], []
    for i, route in enumerate(ROUTES):
        t = _poisson_times(streams.generator(f"arrivals.{route}"), rates[route], horizon, model.monthly_profile)
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
    return Arrivals(
        time=time,
        route=route,
        colour=colour,
        n_children=model.children.ppf(children_u).astype(np.int64),
        voluntary_u=voluntary_u,
        reentry_u=reentry_u,
        return_after=model.time_to_return.ppf(return_u),
    )
