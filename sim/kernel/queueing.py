"""Closed-form queueing formulas used to sanity-check and calibrate the simulation.

Every function is vectorised: arguments may be Python scalars or numpy arrays
of any broadcast-compatible shapes.  Scalar inputs give a Python ``float``
(or ``bool``) back; array inputs give a numpy array of the broadcast shape.

Units are whatever the caller uses consistently (e.g. arrivals per day and
service times in days); ``offered_load`` is dimensionless, in Erlangs.

Formulas and their assumptions
------------------------------
``erlang_c(servers, offered_load)``
    Probability that an arriving job has to wait in an M/M/c queue: Poisson
    arrivals, i.i.d. exponential service, ``c`` identical servers, infinite
    waiting room, work-conserving discipline, steady state.  Computed as
    ``C = c*B / (c - a*(1 - B))`` with ``B`` the Erlang B (loss) probability,
    which is written as a ratio of a Poisson pmf to a Poisson cdf
    (Kleinrock 1975, "Queueing Systems, Vol. 1: Theory", the M/M/m and
    M/M/m/m systems; Allen 1990, "Probability, Statistics and Queueing
    Theory", 2nd ed.).  Both are evaluated with ``gammaln`` / ``gammaincc`` so that tens
    of thousands of servers with ``a`` close to ``c`` neither overflow nor
    lose precision.  Returns NaN where ``a >= c``: no steady state exists.
``mmc_wait_mean``
    Mean time in queue (excluding service) for M/M/c,
    ``Wq = C / (c*mu - lambda)`` (Kleinrock Vol. 1; Allen 1990).
    NaN when unstable.
``mmc_wait_quantile``
    Quantile of the queueing delay for M/M/c under FCFS.  The delay is zero
    with probability ``1 - C`` and otherwise exponential with rate
    ``c*mu - lambda``, i.e. ``P(W > t) = C * exp(-(c*mu - lambda) * t)``
    (Kleinrock Vol. 1; Allen 1990).  The quantile is 0 for ``q <= 1 - C``.
    The FCFS assumption matters: other orderings keep the mean but not the
    distribution.  NaN when unstable.
``allen_cunneen_wait_mean``
    Allen-Cunneen approximation for GI/G/c:
    ``Wq ~= Wq(M/M/c) * (ca2 + cs2) / 2`` where ``ca2`` and ``cs2`` are the
    squared coefficients of variation of inter-arrival and service times
    (Allen 1990, "Allen-Cunneen approximation"; Whitt 1993,
    "Approximations for the GI/G/m queue", Production and Operations
    Management 2(2)).  Exact for M/M/c (ca2 = cs2 = 1) and, for c = 1 with
    Poisson arrivals, equal to Pollaczek-Khinchine; otherwise a heuristic,
    typically good to ~10% in heavy traffic and worse in light traffic or
    for very bursty arrivals.  Independent arrivals and services, FCFS,
    steady state.  NaN when unstable.
``utilisation`` / ``is_stable``
    ``rho = lambda * E[S] / c``; a G/G/c queue with infinite waiting room
    has a steady state iff ``rho < 1``.
``littles_law_L``
    Little's law ``L = lambda * W`` (Little 1961; Kleinrock Vol. 1):
    holds for any stationary system, with ``W`` the mean time spent in
    whichever part of the system ``L`` counts.

Input validation
----------------
Negative rates, times or variability parameters, non-positive or
non-integer ``servers`` and ``q`` outside the open interval (0, 1) raise
``ValueError`` with a one-line message naming the argument and an offending
value.  NaN inputs are not rejected; they propagate to NaN outputs.
"""

from __future__ import annotations

from typing import Union

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = [
    "erlang_c",
    "mmc_wait_mean",
    "mmc_wait_quantile",
    "allen_cunneen_wait_mean",
    "utilisation",
    "is_stable",
    "littles_law_L",
]

FloatResult = Union[float, npt.NDArray[np.float64]]
BoolResult = Union[bool, npt.NDArray[np.bool_]]


def _as_float_array(name: str, value: npt.ArrayLike) -> npt.NDArray[np.float64]:
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got {value!r}") from exc


def _first_offender(arr: npt.NDArray[np.float64], bad: npt.NDArray[np.bool_]) -> float:
    return float(arr[bad].flat[0]) if arr.ndim else float(arr)


def _non_negative(name: str, value: npt.ArrayLike) -> npt.NDArray[np.float64]:
    arr = _as_float_array(name, value)
    bad = arr < 0  # NaN compares False, so NaN passes through untouched
    if np.any(bad):
        raise ValueError(f"{name} must be >= 0, got {_first_offender(arr, bad)!r}")
    return arr


def _servers(value: npt.ArrayLike) -> npt.NDArray[np.float64]:
    arr = _as_float_array("servers", value)
    bad = (arr <= 0) | (np.isfinite(arr) & (arr != np.floor(arr)))
    if np.any(bad):
        raise ValueError(
            f"servers must be a positive integer, got {_first_offender(arr, bad)!r}"
        )
    return arr


def _probability(name: str, value: npt.ArrayLike) -> npt.NDArray[np.float64]:
    arr = _as_float_array(name, value)
    bad = (arr <= 0) | (arr >= 1)
    if np.any(bad):
        raise ValueError(
            f"{name} must lie strictly between 0 and 1, got {_first_offender(arr, bad)!r}"
        )
    return arr


def _result(arr: npt.NDArray[np.generic]) -> npt.NDArray[np.generic] | float | bool:
    # 0-d arrays are awkward for callers (not hashable, odd repr), so scalars
    # in give plain Python scalars out.
    if arr.ndim == 0:
        return arr.item()  # type: ignore[no-any-return]
    return arr


def _erlang_c(c: npt.NDArray[np.float64], a: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Erlang C on already-validated, broadcast arrays."""
    c, a = np.broadcast_arrays(c, a)
    out = np.full(c.shape, np.nan)
    ok = a < c  # also False for NaN, which therefore stays NaN
    cs, as_ = c[ok], a[ok]

    # Erlang B = P(Poisson(a) = c) / P(Poisson(a) <= c).  Working with the
    # log-pmf avoids a^c / c! overflowing, and gammaincc(c+1, a) is the
    # regularised Poisson cdf, which is >= ~0.5 whenever a < c, so the ratio
    # never divides two underflowed numbers.  xlogy gives -inf (pmf 0) at a=0.
    with np.errstate(divide="ignore"):
        log_pmf = special.xlogy(cs, as_) - as_ - special.gammaln(cs + 1.0)
    log_cdf = np.log(special.gammaincc(cs + 1.0, as_))
    erlang_b = np.exp(log_pmf - log_cdf)

    # Standard B -> C conversion; the denominator is > c - a > 0 here.
    out[ok] = cs * erlang_b / (cs - as_ * (1.0 - erlang_b))
    return out


def erlang_c(servers: npt.ArrayLike, offered_load: npt.ArrayLike) -> FloatResult:
    """Probability of waiting in M/M/c with offered load ``a = lambda * E[S]`` Erlangs.

    NaN where ``offered_load >= servers`` (no steady state).
    """
    c = _servers(servers)
    a = _non_negative("offered_load", offered_load)
    return _result(_erlang_c(c, a))  # type: ignore[return-value]


def utilisation(
    arrival_rate: npt.ArrayLike, mean_service: npt.ArrayLike, servers: npt.ArrayLike
) -> FloatResult:
    """Server utilisation ``rho = lambda * E[S] / c`` (may exceed 1 when overloaded)."""
    lam = _non_negative("arrival_rate", arrival_rate)
    s = _non_negative("mean_service", mean_service)
    c = _servers(servers)
    return _result(lam * s / c)  # type: ignore[return-value]


def is_stable(
    arrival_rate: npt.ArrayLike, mean_service: npt.ArrayLike, servers: npt.ArrayLike
) -> BoolResult:
    """True where ``rho < 1``, i.e. a steady state exists; False for NaN inputs."""
    rho = np.asarray(utilisation(arrival_rate, mean_service, servers))
    return _result(rho < 1.0)  # type: ignore[return-value]


def _mmc_parts(
    arrival_rate: npt.ArrayLike, mean_service: npt.ArrayLike, servers: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return (C, 1/(c*mu - lambda), stable mask) with NaN where unstable."""
    lam = _non_negative("arrival_rate", arrival_rate)
    s = _non_negative("mean_service", mean_service)
    c = _servers(servers)
    lam, s, c = np.broadcast_arrays(lam, s, c)
    a = lam * s
    prob_wait = _erlang_c(c, a)
    # 1/(c*mu - lambda) written as E[S]/(c - a) so that E[S] = 0 (instant
    # service) gives 0 instead of inf * 0.
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_drain_rate = np.where(a < c, s / (c - a), np.nan)
    return prob_wait, inv_drain_rate, a < c


def mmc_wait_mean(
    arrival_rate: npt.ArrayLike, mean_service: npt.ArrayLike, servers: npt.ArrayLike
) -> FloatResult:
    """Mean M/M/c queueing delay ``Wq = C / (c*mu - lambda)``; NaN where unstable."""
    prob_wait, inv_drain_rate, _ = _mmc_parts(arrival_rate, mean_service, servers)
    return _result(prob_wait * inv_drain_rate)  # type: ignore[return-value]


def mmc_wait_quantile(
    arrival_rate: npt.ArrayLike,
    mean_service: npt.ArrayLike,
    servers: npt.ArrayLike,
    q: npt.ArrayLike,
) -> FloatResult:
    """``q``-quantile of the FCFS M/M/c queueing delay; NaN where unstable.

    Inverts ``P(W > t) = C * exp(-(c*mu - lambda) * t)``; the answer is 0 when
    ``q <= 1 - C`` because that much probability mass sits at zero delay.
    """
    qa = _probability("q", q)
    prob_wait, inv_drain_rate, stable = _mmc_parts(arrival_rate, mean_service, servers)
    prob_wait, inv_drain_rate, stable, qa = np.broadcast_arrays(
        prob_wait, inv_drain_rate, stable, qa
    )
    tail = 1.0 - qa
    waits = prob_wait > tail
    # Only take the log where its argument is > 1, so no -inf/NaN warnings
    # leak from the branch that np.where discards.
    ratio = np.where(waits, prob_wait / tail, 1.0)
    out = np.where(waits, inv_drain_rate * np.log(ratio), 0.0)
    out = np.where(stable, out, np.nan)
    return _result(out.astype(np.float64))  # type: ignore[return-value]


def allen_cunneen_wait_mean(
    arrival_rate: npt.ArrayLike,
    mean_service: npt.ArrayLike,
    servers: npt.ArrayLike,
    ca2: npt.ArrayLike,
    cs2: npt.ArrayLike,
) -> FloatResult:
    """Allen-Cunneen GI/G/c mean queueing delay ``Wq(M/M/c) * (ca2 + cs2) / 2``.

    ``ca2`` / ``cs2`` are squared coefficients of variation of inter-arrival
    and service times.  NaN where unstable.
    """
    ca = _non_negative("ca2", ca2)
    cs = _non_negative("cs2", cs2)
    wq = np.asarray(mmc_wait_mean(arrival_rate, mean_service, servers))
    return _result(wq * (ca + cs) / 2.0)  # type: ignore[return-value]


def littles_law_L(arrival_rate: npt.ArrayLike, mean_time: npt.ArrayLike) -> FloatResult:
    """Little's law: mean number present ``L = lambda * W``."""
    lam = _non_negative("arrival_rate", arrival_rate)
    w = _non_negative("mean_time", mean_time)
    return _result(lam * w)  # type: ignore[return-value]
