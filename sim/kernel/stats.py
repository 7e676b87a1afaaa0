"""Pure statistics: Student-t intervals over replications; Kaplan-Meier quantiles and restricted means of
right-censored durations (no KPI names)."""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

# ====================================================================== over replications


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, low, high, sd) with a Student-t interval; NaN interval for fewer than two finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(v.mean())
    if len(v) < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1)) * sd / math.sqrt(len(v))
    return mean, mean - half, mean + half, sd


def _product_limit(durations: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Kaplan-Meier estimator: the durations sorted (events before censorings at equal times, so a censoring
    at t is still at risk for the events at t) and the survival just after each of them."""
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    order = np.lexsort((~e, d))
    d, e = d[order], e[order]
    at_risk = len(d) - np.arange(len(d))
    return d, np.cumprod(np.where(e, 1.0 - 1.0 / at_risk, 1.0))


def km_survival(durations: np.ndarray, observed: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The Kaplan-Meier survival curve S(t) at the times ``at``: the estimated share still without the event
    after t (a step function, right-continuous: an event at t counts at t).

    NaN beyond the longest observation while some survival remains (that observation was censored: nobody was
    watched longer, so the curve is unknown there), and everywhere when there are no durations."""
    t = np.asarray(at, dtype=float)
    if len(durations) == 0:
        return np.full(t.shape, np.nan)
    d, survival = _product_limit(durations, observed)
    levels = np.concatenate(([1.0], survival))
    out = levels[np.searchsorted(d, t, side="right")]
    if survival[-1] > 1e-12:
        out = np.where(t > d[-1], np.nan, out)
    return out


def km_quantile(durations: np.ndarray, observed: np.ndarray, q: float) -> float:
    """q-quantile of a duration from right-censored data (Kaplan-Meier product-limit estimator).

    A family still waiting at the end of the run is censored at the time it has waited so far: leaving it out
    would make the quantile *shorter* the longer the waiting list grows. NaN when fewer than a share q of the
    families are estimated to have finished within the longest observed time (the quantile lies beyond the run).
    """
    if len(durations) == 0:
        return math.nan
    d, survival = _product_limit(durations, observed)
    reached = np.nonzero(survival <= 1.0 - q + 1e-12)[0]
    return float(d[reached[0]]) if len(reached) else math.nan


def km_rmst(durations: np.ndarray, observed: np.ndarray, horizon: float) -> float:
    """Restricted mean survival time: the area under the Kaplan-Meier survival curve from 0 to ``horizon``.

    The mean duration counted up to the horizon, min(T, horizon), with right-censored observations kept in the
    risk set until their censoring time. With nothing censored and every duration within the horizon it is the
    plain mean. NaN when there are no durations, or when the curve is unknown up to the horizon (the longest
    observation is censored before it while some survival remains): the mean would then depend on what nobody
    saw.
    """
    if len(durations) == 0:
        return math.nan
    d, survival = _product_limit(durations, observed)
    if d[-1] < horizon and survival[-1] > 1e-12:
        return math.nan
    # S is a step function: 1 on [0, d_0), survival[i] on [d_i, d_{i+1}); integrate it up to the horizon
    starts = np.concatenate(([0.0], np.minimum(d, horizon)))
    ends = np.concatenate((np.minimum(d, horizon), [horizon]))
    levels = np.concatenate(([1.0], survival))
    return float(np.sum(levels * (ends - starts)))
