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


def km_quantile(durations: np.ndarray, observed: np.ndarray, q: float) -> float:
    """q-quantile of a duration from right-censored data (Kaplan-Meier product-limit estimator).

    A family still waiting at the end of the run is censored at the time it has waited so far: leaving it out
    would make the quantile *shorter* the longer the waiting list grows. NaN when fewer than a share q of the
    families are estimated to have finished within the longest observed time (the quantile lies beyond the run).
    """
    if len(durations) == 0:
        return math.nan
    order = np.lexsort((~observed, durations))  # events before censorings at equal times
    d, e = durations[order], observed[order]
    at_risk = len(d) - np.arange(len(d))
    survival = np.cumprod(np.where(e, 1.0 - 1.0 / at_risk, 1.0))
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
    d = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if len(d) == 0:
        return math.nan
    order = np.lexsort((~e, d))  # events before censorings at equal times, as km_quantile
    d, e = d[order], e[order]
    at_risk = len(d) - np.arange(len(d))
    survival = np.cumprod(np.where(e, 1.0 - 1.0 / at_risk, 1.0))
    if d[-1] < horizon and survival[-1] > 1e-12:
        return math.nan
    # S is a step function: 1 on [0, d_0), survival[i] on [d_i, d_{i+1}); integrate it up to the horizon
    starts = np.concatenate(([0.0], np.minimum(d, horizon)))
    ends = np.concatenate((np.minimum(d, horizon), [horizon]))
    levels = np.concatenate(([1.0], survival))
    return float(np.sum(levels * (ends - starts)))
