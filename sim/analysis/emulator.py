"""An emulator of the paired difference over the assumptions, for Sobol' indices from hundreds of draws, not 100,000.

SALib's Saltelli design needs N x (D + 2) simulated draws for N base samples: with D = 99 assumptions a thousand
draws are N = 9, and the indices' intervals stay as wide as the indices (docs/uncertainty.md).
``uncertainty.method=emulator`` runs independent draws instead (a scrambled Sobol' sequence, every draw its own world
and families) and fits, per KPI, a **Gaussian process** (scikit-learn's ``GaussianProcessRegressor``) to the
difference ``y`` on the unit cube ``u`` of the design: a squared-exponential kernel with one length scale per
assumption (automatic relevance determination: an assumption that does not matter gets a long one) plus a white
noise term for the families' chance of a single replication. Its Sobol' indices are computed in closed form from
the kernel (Oakley and O'Hagan 2004, J R Stat Soc B 66:751): the design's inputs are independent and uniform on
[0, 1], so every expectation of the posterior mean is a product over assumptions of one-dimensional Gaussian
integrals (error functions). No second Monte Carlo on the emulator.

- **Its error, measured**: a share of the simulated draws (``uncertainty.held_back``, chosen by the design's seed)
  is never shown to the fit; :class:`Check` reports R^2 and the root mean squared error on them. A single
  replication's families' chance is part of every ``y``, so even a perfect emulator of the expected difference
  stays below R^2 = 1 by the families' share of the variance.
- **Indices**: ``S1_j`` the variance of E[f | u_j], ``ST_j`` the expected variance of f over u_j with the others
  fixed, for the emulator's mean f, both over the variance of the simulated differences (as SALib's estimators
  divide by Var(y)): what the assumptions do not explain (the families' chance and what the emulator misses) is the
  rest, :attr:`Indices.unexplained`. Intervals: 95 % half-widths of a bootstrap over the training draws with the
  kernel's fitted length scales kept (the weights refitted): they carry the draws' chance, not the uncertainty of
  the length scales themselves.
- **Cost**: the fit is a likelihood optimisation over D + 2 hyperparameters, capped at :data:`MAX_ITER` iterations
  of L-BFGS (on Gelderland's time to help 40 and 100 iterations gave the same held-back R^2 and total indices
  within 0.01: docs/uncertainty.md), starting from half the variance as noise; the KPIs are fitted in parallel
  processes (sim.analysis.uncertainty.emulate).
- **A known weakness**: on a response that is noise only, a Gaussian process can take some of the noise for a
  shape (short length scales, little noise). The held-back R^2 then falls to about 0 or below, which the report
  turns into "not firm" (tests/test_emulator.py feeds it pure noise).

Pure functions of arrays (no model, no files), like sim/analysis/voi.py: tests/test_emulator.py checks them on
responses with known indices.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.special import erf

MIN_DRAWS = 20  # below this there are too few draws to fit the emulator and to hold some back
MAX_ITER = 50  # L-BFGS iterations of the likelihood fit: a cap on the time, not a tolerance the answer needs
LENGTH_BOUNDS = (0.05, 1e3)  # a length scale (unit cube) from a twentieth of the range to "does not matter"
NOISE_BOUNDS = (1e-5, 2.0)  # the white noise's variance on the standardised difference
Z95 = 1.959963984540054  # half-width of a 95 % normal interval, as SALib's ``conf_level=0.95``


def _optimiser(obj, x0, bounds):
    """scikit-learn's own L-BFGS-B, with the iterations capped at :data:`MAX_ITER`."""
    res = optimize.minimize(lambda x: obj(x, eval_gradient=True), x0, method="L-BFGS-B", jac=True, bounds=bounds,
                            options={"maxiter": MAX_ITER})
    return res.x, res.fun


@dataclass(frozen=True)
class Emulator:
    """The emulator's mean, ``mean + scale * sigma2 * sum_i alpha_i prod_j exp(-(u_j - x_ij)^2 / (2 l_j^2))``."""

    x: np.ndarray  # the training draws on the unit cube
    alpha: np.ndarray  # the fitted weights of the training draws (standardised units)
    sigma2: float  # the kernel's variance
    lengths: np.ndarray  # one length scale per assumption
    noise: float  # the white noise's variance (standardised)
    mean: float  # the training differences' mean and standard deviation (the standardisation)
    scale: float

    def __call__(self, u: np.ndarray) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        out = np.empty(len(u))
        for s in range(0, len(u), 4096):  # kernel rows in chunks: 4,096 x training draws at a time
            d = (u[s:s + 4096, None, :] - self.x[None, :, :]) / self.lengths
            out[s:s + 4096] = np.exp(-0.5 * (d * d).sum(axis=2)) @ self.alpha
        return self.mean + self.scale * self.sigma2 * out


def fit(u: np.ndarray, y: np.ndarray) -> Emulator | None:
    """The Gaussian process of ``y`` on ``u`` (finite rows); None when ``y`` has no spread."""
    from sklearn.gaussian_process import GaussianProcessRegressor  # only when an emulator is asked for
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel

    u, y = np.asarray(u, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(y)
    u, y = u[ok], y[ok]
    if len(y) < 2 or float(np.std(y)) == 0.0:
        return None
    mean, scale = float(y.mean()), float(y.std())
    kernel = (ConstantKernel(1.0, (1e-3, 1e3)) * RBF(np.ones(u.shape[1]), LENGTH_BOUNDS)
              + WhiteKernel(0.5, NOISE_BOUNDS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a length scale at its upper bound: the assumption does not matter
        gp = GaussianProcessRegressor(kernel, optimizer=_optimiser, random_state=0).fit(u, (y - mean) / scale)
    k = gp.kernel_
    return Emulator(u, np.asarray(gp.alpha_, dtype=float), float(k.k1.k1.constant_value),
                    np.atleast_1d(np.asarray(k.k1.k2.length_scale, dtype=float)) * np.ones(u.shape[1]),
                    float(k.k2.noise_level), mean, scale)


@dataclass(frozen=True)
class Check:
    """The emulator against simulated draws it never saw."""

    r2: float  # 1 - sum of squared errors / sum of squares about the held-back draws' mean
    rmse: float  # root mean squared error, in the KPI's unit
    sd: float  # standard deviation of the held-back differences (the scale of rmse)
    n_train: int
    n_held: int


def check(em: Emulator | None, u: np.ndarray, y: np.ndarray, n_train: int) -> Check:
    """R^2 and RMSE of ``em`` on held-back rows ``u, y`` (finite ``y`` only)."""
    ok = np.isfinite(np.asarray(y, dtype=float))
    u, y = np.asarray(u, dtype=float)[ok], np.asarray(y, dtype=float)[ok]
    if len(y) < 2 or em is None:
        return Check(math.nan, math.nan, math.nan, n_train, len(y))
    err = y - em(u)
    ss = float(((y - y.mean()) ** 2).sum())
    r2 = 1.0 - float((err ** 2).sum()) / ss if ss > 0 else math.nan
    return Check(r2, float(np.sqrt((err ** 2).mean())), float(y.std(ddof=1)), n_train, len(y))


# ====================================================================== Sobol' indices in closed form


def _integrals(x: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log I (n x d): log of the integral over u_j in [0, 1] of the kernel's factor exp(-(u - x_ij)^2 / (2 l^2));
    log J (d x n x n): log of the integral of the product of the factors of draws i and k."""
    root2 = math.sqrt(2.0)
    lo, hi = -x / (root2 * lengths), (1.0 - x) / (root2 * lengths)
    log_i = np.log(lengths * math.sqrt(math.pi / 2.0)) + np.log(np.maximum(erf(hi) - erf(lo), 1e-300))
    mid = (x[:, None, :] + x[None, :, :]) / 2.0  # n x n x d
    diff = x[:, None, :] - x[None, :, :]
    span = erf((1.0 - mid) / lengths) - erf(-mid / lengths)
    log_j = (-(diff ** 2) / (4.0 * lengths ** 2) + np.log(lengths * math.sqrt(math.pi) / 2.0)
             + np.log(np.maximum(span, 1e-300)))
    return log_i, np.moveaxis(log_j, 2, 0)


@dataclass(frozen=True)
class _Moments:
    """The matrices whose quadratic forms in the weights give the emulator's variances (per unit sigma2^2)."""

    mean_vec: np.ndarray  # E[k(u, x_i)]: the emulator's mean is sigma2 * alpha . mean_vec
    total: np.ndarray  # E[k(u, x_i) k(u, x_k)]
    first: np.ndarray  # d x n x n: E[E[k_i | u_j] E[k_k | u_j]]
    without: np.ndarray  # d x n x n: E[E[k_i | u_-j] E[k_k | u_-j]]


def _moments(em: Emulator) -> _Moments:
    log_i, log_j = _integrals(em.x, em.lengths)
    sum_i = log_i.sum(axis=1)  # n
    sum_j = log_j.sum(axis=0)  # n x n
    outer_i = sum_i[:, None] + sum_i[None, :]
    pair_i = log_i.T[:, :, None] + log_i.T[:, None, :]  # d x n x n: log I_j(x_i) + log I_j(x_k)
    first = np.exp(log_j + outer_i[None] - pair_i)  # J_j times the I's of every other assumption
    without = np.exp(pair_i + sum_j[None] - log_j)  # I_j I_j times the J's of every other assumption
    return _Moments(np.exp(sum_i), np.exp(sum_j), first, without)


def _variances(m: _Moments, w: np.ndarray, sigma2: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(V, V_j, VT_j) of the emulator's standardised mean for weights ``w`` (n, or n x B for B sets of weights at
    once: one matrix product per kind instead of B; shapes (B,), (d, B), (d, B))."""
    w = w.reshape(len(w), -1)
    d, n, _ = m.first.shape
    e = sigma2 * (m.mean_vec @ w)  # B

    def forms(mats: np.ndarray) -> np.ndarray:  # w_b' M_j w_b for every j and b
        return ((mats.reshape(-1, n) @ w).reshape(len(mats), n, -1) * w[None]).sum(axis=1)

    s4 = sigma2 * sigma2
    v = s4 * forms(m.total[None])[0] - e * e
    vj = s4 * forms(m.first) - e * e
    v_not = s4 * forms(m.without) - e * e
    return v, vj, v[None] - v_not


@dataclass(frozen=True)
class Indices:
    S1: np.ndarray
    S1_conf: np.ndarray  # 95 % half-widths (bootstrap over the training draws, the length scales kept)
    ST: np.ndarray
    ST_conf: np.ndarray
    unexplained: float  # 1 - the emulator's variance / Var(y): the families' chance and what the emulator misses
    check: Check
    fitted: Emulator | None = None  # the emulator itself (to predict other draws: experiments/emulator_validation.py)


def held_back_rows(n: int, share: float, seed: int) -> np.ndarray:
    """Which of ``n`` draws the fit never sees: a seeded choice of round(share x n), at least 2."""
    k = min(n - 2, max(2, int(round(share * n))))
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0x656D75]))  # its own stream: not the design's
    held = np.zeros(n, dtype=bool)
    held[rng.choice(n, size=k, replace=False)] = True
    return held


def indices(em: Emulator, var_y: float, resamples: int, seed: int) -> tuple[np.ndarray, ...]:
    """(S1, S1_conf, ST, ST_conf, explained) of the fitted emulator, over ``var_y`` (in the KPI's unit squared)."""
    d = len(em.lengths)
    m = _moments(em)
    unit = em.scale ** 2 / var_y  # standardised variances -> shares of Var(y)
    v, vj, vt = (x[..., 0] for x in _variances(m, em.alpha, em.sigma2))
    s1, st = np.clip(vj * unit, 0.0, None), np.clip(vt * unit, 0.0, None)
    nan = np.full(d, np.nan)
    conf1 = conft = nan
    if resamples > 1:
        # the weights refitted on a resample of the training draws (kernel kept): a draw drawn twice carries twice
        # its weight, so every quadratic form stays one over the original draws (np.bincount)
        n = len(em.x)
        k = np.exp(-0.5 * (((em.x[:, None, :] - em.x[None, :, :]) / em.lengths) ** 2).sum(axis=2)) * em.sigma2
        y_std = (k + em.noise * np.eye(n)) @ em.alpha  # the standardised training differences
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x626F6F]))
        weights = np.empty((n, resamples))
        for b in range(resamples):
            idx = rng.integers(0, n, n)
            a = np.linalg.solve(k[np.ix_(idx, idx)] + em.noise * np.eye(n), y_std[idx])
            weights[:, b] = np.bincount(idx, weights=a, minlength=n)
        _, bj, btj = _variances(m, weights, em.sigma2)
        conf1, conft = Z95 * np.std(bj * unit, axis=1, ddof=1), Z95 * np.std(btj * unit, axis=1, ddof=1)
    return s1, conf1, st, conft, float(v) * unit


def sobol(u: np.ndarray, y: np.ndarray, held_back: float, resamples: int, seed: int) -> Indices:
    """First-order and total indices of every column of ``u`` for ``y`` from an emulator fitted on the draws not
    held back, its error on those held back. NaN indices when fewer than :data:`MIN_DRAWS` draws have a value or
    the difference does not vary."""
    u, y = np.asarray(u, dtype=float), np.asarray(y, dtype=float)
    d = u.shape[1]
    ok = np.isfinite(y)
    nan = np.full(d, np.nan)
    if ok.sum() < MIN_DRAWS:
        return Indices(nan, nan, nan, nan, math.nan, Check(math.nan, math.nan, math.nan, 0, 0))
    u, y = u[ok], y[ok]
    held = held_back_rows(len(y), held_back, seed)
    ut, yt = u[~held], y[~held]
    em = fit(ut, yt)
    checked = check(em, u[held], y[held], len(yt))
    var_y = float(np.var(yt, ddof=1))
    if em is None or var_y <= 0:  # no spread at all: nothing to apportion
        return Indices(nan, nan, nan, nan, math.nan, checked, em)
    s1, conf1, st, conft, explained = indices(em, var_y, resamples, seed)
    return Indices(s1, conf1, st, conft, max(0.0, 1.0 - explained), checked, em)
