"""Pure statistics over replications: Student-t intervals and Kaplan-Meier quantiles (no KPI names)."""

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
