"""The statistics of "how sure are we?": from drawn assumptions and paired differences to what a policy adviser reads.

Pure functions of arrays (no model, no files), so each can be checked on a synthetic response with a known answer
(tests/test_uncertainty.py). ``x`` is one drawn assumption (its values over the draws), ``y`` the paired difference
of one KPI per draw (alternative - baseline, mean over the draw's replications), ``lower_is_better`` the KPI's
direction from the KPI registry (sim/chain/kpis.py, ``KPI.better``).

- :func:`spread`: mean, 50 % and 90 % intervals of the difference, and P(the alternative is better);
- :func:`sobol`: first-order and total Sobol' indices with bootstrap intervals (SALib, on SALib's own design);
- :func:`smooth`: E[y | x] by a cubic regression spline (least squares on a truncated-power basis with knots at
  quantiles of x; a few distinct values of x fall back to their group means): the one smoother of this module;
- :func:`break_even`: where E[y | x] crosses zero inside the assumption's range, with a bootstrap interval;
- :func:`evppi`: the expected value of learning x exactly before deciding, by the regression method (Strong, Oakley
  and Brennan 2014, Med Decis Making 34:311): decision rule "adopt the alternative if its expected difference is
  better than 0"; in the KPI's own unit (days, share, cases) per family or per list, not in euros.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

KNOTS = 4  # interior knots of the regression spline (at quantiles of x): enough for a bend, few for 30 draws
MIN_PER_KNOT = 10  # draws per knot: fewer draws get fewer knots (a straight cubic for under 20)


def benefit(y: np.ndarray, lower_is_better: bool) -> np.ndarray:
    """The alternative's gain per draw: positive where it is better than the baseline."""
    y = np.asarray(y, dtype=float)
    return -y if lower_is_better else y


@dataclass(frozen=True)
class Spread:
    mean: float
    p05: float
    p25: float
    p50: float
    p75: float
    p95: float
    p_better: float  # share of draws in which the alternative is better (difference on the better side of 0)
    p_worse: float  # share in which it is worse; 1 - p_better - p_worse had no difference at all
    n: int


def spread(y: np.ndarray, lower_is_better: bool) -> Spread:
    """The distribution of the paired difference over the draws (finite values only)."""
    y = np.asarray(y, dtype=float)
    y = y[np.isfinite(y)]
    if len(y) == 0:
        return Spread(*([math.nan] * 8), 0)
    q = np.quantile(y, [0.05, 0.25, 0.5, 0.75, 0.95])
    gain = benefit(y, lower_is_better)
    return Spread(float(y.mean()), *map(float, q), float((gain > 0).mean()), float((gain < 0).mean()), len(y))


# ====================================================================== variance-based sensitivity


def sobol(design_unit: np.ndarray, y: np.ndarray, names: list[str], resamples: int, seed: int) -> dict[str, np.ndarray]:
    """First-order (S1) and total (ST) Sobol' indices with the half-widths of their 95 % bootstrap intervals, from
    a design made by :func:`sim.analysis.uncertainty.design` (SALib's Saltelli/Sobol' sample without second-order
    rows, in SALib's row order). Returns arrays ``S1, S1_conf, ST, ST_conf`` in the order of ``names``; NaN for
    every index when fewer than two base samples have a value in every row, or no variance (nothing to apportion).
    A base sample (SALib's consecutive block of d + 2 rows: A, the d mixed rows, B) with a missing value, e.g. a
    restricted mean one overloaded draw could not compute, is left out whole: the estimators then use the others."""
    from SALib.analyze import sobol as salib_sobol  # SALib imports matplotlib's pyplot machinery: only when asked

    d = len(names)
    y = np.asarray(y, dtype=float)
    nan = {k: np.full(d, np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    if len(y) % (d + 2):
        return nan
    blocks = y.reshape(-1, d + 2)
    y = blocks[np.all(np.isfinite(blocks), axis=1)].ravel()
    if len(y) < 2 * (d + 2) or float(np.var(y)) <= 0.0:
        return nan
    problem = {"num_vars": d, "names": list(names), "bounds": [[0.0, 1.0]] * d}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # N not a power of 2: SALib warns, the estimators still hold
        res = salib_sobol.analyze(problem, y, calc_second_order=False, num_resamples=resamples, conf_level=0.95,
                                  print_to_console=False, seed=seed)
    return {k: np.asarray(res[k], dtype=float) for k in ("S1", "S1_conf", "ST", "ST_conf")}


# ====================================================================== the smoother


def _basis(u: np.ndarray, knots: np.ndarray) -> np.ndarray:
    cols = [np.ones_like(u), u, u ** 2, u ** 3] + [np.clip(u - k, 0.0, None) ** 3 for k in knots]
    return np.column_stack(cols)


@dataclass(frozen=True)
class Fit:
    """E[y | x] as fitted by :func:`smooth`; call it on new x."""

    low: float
    high: float
    knots: np.ndarray
    coef: np.ndarray
    levels: np.ndarray | None = None  # a few distinct x: their values, and coef holds their means

    def __call__(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        if self.levels is not None:  # nearest level (a discrete assumption, e.g. an integer)
            idx = np.abs(x[..., None] - self.levels[None, :]).argmin(axis=-1)
            return self.coef[idx]
        u = (x - self.low) / (self.high - self.low)
        return _basis(u, self.knots) @ self.coef


def smooth(x: np.ndarray, y: np.ndarray) -> Fit:
    """A cubic regression spline of y on x (finite pairs), or the group means when x takes fewer than 6 values."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    levels = np.unique(x)
    if len(levels) < 6:
        means = np.array([y[x == v].mean() for v in levels])
        return Fit(float(levels.min()), float(levels.max()), np.array([]), means, levels)
    low, high = float(x.min()), float(x.max())
    u = (x - low) / (high - low)
    n_knots = int(min(KNOTS, max(0, len(x) // MIN_PER_KNOT - 1)))
    knots = np.quantile(u, np.linspace(0, 1, n_knots + 2)[1:-1]) if n_knots else np.array([])
    coef, *_ = np.linalg.lstsq(_basis(u, knots), y, rcond=None)
    return Fit(low, high, knots, coef)


# ====================================================================== break-even values


def _crossing(fit: Fit, low: float, high: float, grid: int = 401) -> float:
    """The value in [low, high] where the fitted curve changes sign (the first, from low), or NaN."""
    xs = np.linspace(low, high, grid)
    g = fit(xs)
    sign = np.sign(g)
    change = np.nonzero(sign[:-1] * sign[1:] < 0)[0]
    if len(change) == 0:
        zero = np.nonzero(g == 0)[0]
        return float(xs[zero[0]]) if len(zero) else math.nan
    i = int(change[0])
    return float(xs[i] - g[i] * (xs[i + 1] - xs[i]) / (g[i + 1] - g[i]))


@dataclass(frozen=True)
class BreakEven:
    value: float  # where E[difference | x] crosses 0 inside [low, high]; NaN when it does not
    ci_low: float  # 2.5 and 97.5 percentiles of the crossing over bootstrap refits that cross
    ci_high: float
    share_crossing: float  # share of bootstrap refits that cross inside the range
    better_below: bool | None  # the alternative is better for x below the crossing (None: no crossing)
    at_low: float  # E[difference | x] at the range's ends
    at_high: float


def break_even(x: np.ndarray, y: np.ndarray, low: float, high: float, lower_is_better: bool, resamples: int,
               seed: int) -> BreakEven:
    """Where the expected difference crosses zero as one assumption moves through its range, the others averaged
    over their draws (the smoother), with a bootstrap interval over the draws."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 4 or not np.ptp(x) > 0:
        return BreakEven(*([math.nan] * 4), None, math.nan, math.nan)
    fit = smooth(x, y)
    value = _crossing(fit, low, high)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(resamples):
        idx = rng.integers(0, len(x), len(x))
        if np.ptp(x[idx]) > 0:
            boot.append(_crossing(smooth(x[idx], y[idx]), low, high))
    boot_arr = np.asarray(boot)
    crossed = boot_arr[np.isfinite(boot_arr)]
    ci = np.quantile(crossed, [0.025, 0.975]) if len(crossed) else (math.nan, math.nan)
    ends = fit(np.array([low, high]))
    better_below = None
    if math.isfinite(value):
        below = float(fit(np.array([low + (value - low) / 2]))[0]) if value > low else float(ends[0])
        better_below = bool(benefit(np.array([below]), lower_is_better)[0] > 0)
    return BreakEven(value, float(ci[0]), float(ci[1]), float(len(crossed) / max(len(boot_arr), 1)), better_below,
                     float(ends[0]), float(ends[1]))


# ====================================================================== value of information


def evppi(x: np.ndarray, y: np.ndarray, lower_is_better: bool) -> float:
    """Expected value of perfect information about x for the rule "adopt if the expected gain is above 0":
    E_x[max(0, E[gain | x])] - max(0, E[gain]), with E[gain | x] from :func:`smooth` (regression method)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 4:
        return math.nan
    gain = benefit(y[ok], lower_is_better)
    fitted = smooth(x[ok], gain)(x[ok])
    return float(np.maximum(fitted, 0.0).mean() - max(float(fitted.mean()), 0.0))


def evpi(y: np.ndarray, lower_is_better: bool) -> float:
    """Knowing every draw's outcome before deciding (an upper bound of every EVPPI: it includes the families'
    chance, which no measurement removes)."""
    y = np.asarray(y, dtype=float)
    gain = benefit(y[np.isfinite(y)], lower_is_better)
    if len(gain) == 0:
        return math.nan
    return float(np.maximum(gain, 0.0).mean() - max(float(gain.mean()), 0.0))
