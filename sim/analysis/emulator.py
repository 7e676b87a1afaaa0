"""An emulator of the paired difference over the assumptions, for Sobol' indices from hundreds of draws, not 100,000.

SALib's Saltelli design needs N x (D + 2) simulated draws for N base samples: with D = 99 assumptions a thousand
draws are N = 9, and the indices' intervals stay wide (docs/uncertainty.md). ``uncertainty.method=emulator`` runs
independent draws instead (a scrambled Sobol' sequence, every draw its own world and families) and fits, per KPI,
a **sparse polynomial chaos expansion** (Sudret 2008, Reliab Eng Syst Safe 93:964; sparse by orthogonal matching
pursuit with cross-validation, as in Blatman and Sudret 2011, J Comput Phys 230:2345) of the difference ``y`` on
the unit cube ``u`` of the design. Its Sobol' indices are exact sums of its squared coefficients: no second Monte
Carlo on the emulator.

- **Basis**: orthonormal shifted Legendre polynomials of each ``u_j`` (uniform on [0, 1]: the design's own
  distribution; an assumption's shape is the quantile map from ``u_j`` to its value, which leaves its indices
  unchanged) up to :data:`DEGREE`, and every product of two first-degree terms (pairwise interactions, the kind
  "the team's caseload matters more when more families drop out" needs). Candidate terms for D = 99: 5,148.
- **Selection**: scikit-learn's ``OrthogonalMatchingPursuitCV`` (5-fold) picks the terms; at most a third of the
  training draws, so every coefficient rests on at least three draws.
- **Its error, measured**: a share of the simulated draws (``uncertainty.held_back``, chosen by the design's seed)
  is never shown to the fit; :class:`Check` reports R^2 and the root mean squared error on them. A single
  replication's families' chance is part of every ``y``, so even a perfect emulator of the expected difference
  stays below R^2 = 1 by the families' share of the variance.
- **Indices**: ``S1_j`` the variance of the terms in ``u_j`` alone, ``ST_j`` of every term with ``u_j``, both over
  the variance of the simulated differences (as SALib's estimators divide by Var(y)): what the assumptions do not
  explain (the families' chance and what the emulator misses) is the rest, :attr:`Indices.unexplained`. Intervals:
  95 % half-widths of a bootstrap over the training draws, the selected terms refitted by least squares.

Pure functions of arrays (no model, no files), like sim/analysis/voi.py: tests/test_emulator.py checks them on
responses with a known answer.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

DEGREE = 3  # univariate degree of the expansion: a bend and an S-shape along one assumption
FOLDS = 5  # cross-validation folds of the term selection
MIN_DRAWS = 20  # below this the selection has too few draws to cross-validate and to hold some back
Z95 = 1.959963984540054  # half-width of a 95 % normal interval, as SALib's ``conf_level=0.95``


def _legendre(u: np.ndarray, degree: int) -> np.ndarray:
    """Orthonormal shifted Legendre polynomial of ``degree`` (1-3) at u in [0, 1] (mean 0, variance 1 under the
    uniform distribution)."""
    x = 2.0 * u - 1.0
    if degree == 1:
        return math.sqrt(3.0) * x
    if degree == 2:
        return math.sqrt(5.0) * (3.0 * x * x - 1.0) / 2.0
    return math.sqrt(7.0) * (5.0 * x ** 3 - 3.0 * x) / 2.0


def terms(d: int) -> list[tuple[tuple[int, int], ...]]:
    """The candidate terms: ``((j, degree),)`` for every assumption and degree 1..DEGREE, then ``((i, 1), (j, 1))``
    for every pair i < j."""
    out: list[tuple[tuple[int, int], ...]] = [((j, k),) for j in range(d) for k in range(1, DEGREE + 1)]
    out += [((i, 1), (j, 1)) for i in range(d) for j in range(i + 1, d)]
    return out


def features(u: np.ndarray, chosen: list[tuple[tuple[int, int], ...]]) -> np.ndarray:
    """The design matrix of ``chosen`` terms at the rows of ``u`` (draws x assumptions, on [0, 1])."""
    u = np.asarray(u, dtype=float)
    uni = {(j, k): _legendre(u[:, j], k) for term in chosen for j, k in term}
    cols = [np.prod([uni[p] for p in term], axis=0) for term in chosen]
    return np.column_stack(cols) if cols else np.empty((len(u), 0))


@dataclass(frozen=True)
class Emulator:
    """E[y | u] = ``intercept + features(u, chosen) @ coef``."""

    chosen: list[tuple[tuple[int, int], ...]]
    intercept: float
    coef: np.ndarray

    def __call__(self, u: np.ndarray) -> np.ndarray:
        return self.intercept + features(u, self.chosen) @ self.coef


def fit(u: np.ndarray, y: np.ndarray) -> Emulator:
    """The sparse expansion of ``y`` on ``u`` (finite rows), terms chosen by cross-validated orthogonal matching
    pursuit. A constant ``y`` gives the constant emulator."""
    from sklearn.linear_model import OrthogonalMatchingPursuitCV  # only when an emulator is asked for

    u, y = np.asarray(u, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    u, y = u[ok], y[ok]
    if len(y) == 0:
        return Emulator([], math.nan, np.empty(0))
    if float(np.ptp(y)) == 0.0:
        return Emulator([], float(y[0]), np.empty(0))
    cand = terms(u.shape[1])
    x = features(u, cand)
    most = max(1, min(len(y) // 3, len(cand)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # collinear candidates late in the path: the CV never picks those
        omp = OrthogonalMatchingPursuitCV(max_iter=most, cv=min(FOLDS, len(y) // 2), n_jobs=1).fit(x, y)
    picked = np.flatnonzero(omp.coef_)
    chosen = [cand[i] for i in picked]
    return _refit(u, y, chosen)


def _refit(u: np.ndarray, y: np.ndarray, chosen: list[tuple[tuple[int, int], ...]]) -> Emulator:
    """Least squares of ``y`` on the ``chosen`` terms and a constant."""
    x = np.column_stack([np.ones(len(y)), features(u, chosen)])
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    return Emulator(chosen, float(beta[0]), beta[1:])


@dataclass(frozen=True)
class Check:
    """The emulator against simulated draws it never saw."""

    r2: float  # 1 - sum of squared errors / sum of squares about the held-back draws' mean
    rmse: float  # root mean squared error, in the KPI's unit
    sd: float  # standard deviation of the held-back differences (the scale of rmse)
    n_train: int
    n_held: int
    n_terms: int


def check(em: Emulator, u: np.ndarray, y: np.ndarray, n_train: int) -> Check:
    """R^2 and RMSE of ``em`` on held-back rows ``u, y`` (finite ``y`` only)."""
    ok = np.isfinite(np.asarray(y, dtype=float))
    u, y = np.asarray(u, dtype=float)[ok], np.asarray(y, dtype=float)[ok]
    if len(y) < 2 or not math.isfinite(em.intercept):
        return Check(math.nan, math.nan, math.nan, n_train, len(y), len(em.chosen))
    err = y - em(u)
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((err ** 2).sum()) / ss if ss > 0 else math.nan
    return Check(r2, float(np.sqrt((err ** 2).mean())), float(y.std(ddof=1)), n_train, len(y), len(em.chosen))


def _indices(em: Emulator, d: int, var_y: float) -> tuple[np.ndarray, np.ndarray]:
    """(S1, ST) of the expansion: the squared coefficients of the terms in u_j alone / with u_j, over ``var_y``."""
    s1, st = np.zeros(d), np.zeros(d)
    if var_y <= 0 or not len(em.chosen):
        return s1, st
    for term, c in zip(em.chosen, em.coef):
        share = float(c) ** 2 / var_y  # orthonormal terms: each contributes its coefficient squared
        vars_in = {j for j, _ in term}
        for j in vars_in:
            st[j] += share
        if len(vars_in) == 1:
            s1[next(iter(vars_in))] += share
    return s1, st


@dataclass(frozen=True)
class Indices:
    S1: np.ndarray
    S1_conf: np.ndarray  # 95 % half-widths (bootstrap over the training draws, the chosen terms refitted)
    ST: np.ndarray
    ST_conf: np.ndarray
    unexplained: float  # 1 - the emulator's variance / Var(y): the families' chance and what the emulator misses
    check: Check


def held_back_rows(n: int, share: float, seed: int) -> np.ndarray:
    """Which of ``n`` draws the fit never sees: a seeded choice of round(share x n), at least 2."""
    k = min(n - 2, max(2, int(round(share * n))))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x656D75]))  # its own stream: not the design's
    held = np.zeros(n, dtype=bool)
    held[rng.choice(n, size=k, replace=False)] = True
    return held


def sobol(u: np.ndarray, y: np.ndarray, held_back: float, resamples: int, seed: int) -> Indices:
    """First-order and total indices of every column of ``u`` for ``y`` from an emulator fitted on the draws not
    held back, its error on those held back. NaN indices when fewer than :data:`MIN_DRAWS` draws have a value."""
    u, y = np.asarray(u, dtype=float), np.asarray(y, dtype=float)
    d = u.shape[1]
    ok = np.isfinite(y)
    nan = np.full(d, np.nan)
    if ok.sum() < MIN_DRAWS:
        return Indices(nan, nan, nan, nan, math.nan, Check(math.nan, math.nan, math.nan, 0, 0, 0))
    u, y = u[ok], y[ok]
    held = held_back_rows(len(y), held_back, seed)
    ut, yt = u[~held], y[~held]
    em = fit(ut, yt)
    checked = check(em, u[held], y[held], len(yt))
    var_y = float(np.var(yt, ddof=1))
    if var_y <= 0:  # no spread at all: nothing to apportion
        return Indices(nan, nan, nan, nan, math.nan, checked)
    s1, st = _indices(em, d, var_y)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x626F6F]))
    boot1, boott = [], []
    for _ in range(resamples):
        idx = rng.integers(0, len(yt), len(yt))
        v = float(np.var(yt[idx], ddof=1))
        if v > 0:
            b1, bt = _indices(_refit(ut[idx], yt[idx], em.chosen), d, v)
            boot1.append(b1)
            boott.append(bt)
    conf1 = Z95 * np.std(boot1, axis=0, ddof=1) if len(boot1) > 1 else nan
    conft = Z95 * np.std(boott, axis=0, ddof=1) if len(boott) > 1 else nan
    explained = float(np.sum(em.coef ** 2)) / var_y
    return Indices(s1, conf1, st, conft, max(0.0, 1.0 - explained), checked)
