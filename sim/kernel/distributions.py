"""Duration distributions as objects that know their moments.

Every duration in ketensim (a veiligheidsbeoordeling, a raadsonderzoek, the time a court takes) is configured
as a spec such as ``{dist: lognormal, mean: 58, cv: 0.5}`` and turned into one of these objects once, when the
configuration is validated. An object knows its mean and variance (so analytic checks such as Erlang C or
Allen-Cunneen can use the same numbers the simulation draws from), draws vectorised samples from a numpy
Generator, and maps uniforms to values through its quantile function (so a family's pre-drawn uniform gives the
same duration in every workflow: common random numbers).

All values are in days unless a field says otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar, Sequence

import numpy as np
from scipy import special, stats


class DistributionError(ValueError):
    """A distribution spec is invalid; the message says which parameter and what is allowed."""


@dataclass(frozen=True)
class Distribution:
    """Base class. Subclasses define ``mean``, ``variance``, ``sample`` and ``ppf``."""

    kind: ClassVar[str] = ""

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def variance(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def cv2(self) -> float:
        """Squared coefficient of variation, the input of Allen-Cunneen type approximations."""
        return self.variance / self.mean**2 if self.mean > 0 else 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def ppf(self, u: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.kind}(mean={self.mean:.4g}, sd={math.sqrt(self.variance):.4g})"


@dataclass(frozen=True)
class Deterministic(Distribution):
    value: float
    kind: ClassVar[str] = "deterministic"

    @property
    def mean(self) -> float:
        return self.value

    @property
    def variance(self) -> float:
        return 0.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.full(np.shape(u), self.value, dtype=float)


@dataclass(frozen=True)
class Exponential(Distribution):
    mean_value: float
    kind: ClassVar[str] = "exponential"

    @property
    def mean(self) -> float:
        return self.mean_value

    @property
    def variance(self) -> float:
        return self.mean_value**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_value, size)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return -self.mean_value * np.log1p(-np.asarray(u, dtype=float))


@dataclass(frozen=True)
class Lognormal(Distribution):
    """Parameterised by the underlying normal's ``mu`` and ``sigma``; built from mean/cv or median/sigma."""

    mu: float
    sigma: float
    kind: ClassVar[str] = "lognormal"

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "Lognormal":
        sigma2 = math.log1p(cv**2)
        return cls(mu=math.log(mean) - sigma2 / 2.0, sigma=math.sqrt(sigma2))

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2.0)

    @property
    def variance(self) -> float:
        return (math.exp(self.sigma**2) - 1.0) * math.exp(2 * self.mu + self.sigma**2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.lognormal(self.mu, self.sigma, size)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return np.exp(self.mu + self.sigma * special.ndtri(np.asarray(u, dtype=float)))


@dataclass(frozen=True)
class Gamma(Distribution):
    shape: float
    scale: float
    kind: ClassVar[str] = "gamma"

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> "Gamma":
        shape = 1.0 / cv**2
        return cls(shape=shape, scale=mean / shape)

    @property
    def mean(self) -> float:
        return self.shape * self.scale

    @property
    def variance(self) -> float:
        return self.shape * self.scale**2

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.gamma(self.shape, self.scale, size)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return special.gammaincinv(self.shape, np.asarray(u, dtype=float)) * self.scale


@dataclass(frozen=True)
class Uniform(Distribution):
    low: float
    high: float
    kind: ClassVar[str] = "uniform"

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2.0

    @property
    def variance(self) -> float:
        return (self.high - self.low) ** 2 / 12.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, size)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self.low + (self.high - self.low) * np.asarray(u, dtype=float)


@dataclass(frozen=True)
class Triangular(Distribution):
    low: float
    mode: float
    high: float
    kind: ClassVar[str] = "triangular"

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self) -> float:
        a, c, b = self.low, self.mode, self.high
        return (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, size)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        width = self.high - self.low
        c = (self.mode - self.low) / width
        return stats.triang.ppf(np.asarray(u, dtype=float), c, loc=self.low, scale=width)


@dataclass(frozen=True)
class Empirical(Distribution):
    """A discrete distribution over given values with given probabilities (e.g. number of children)."""

    values: tuple[float, ...]
    probs: tuple[float, ...]
    kind: ClassVar[str] = "empirical"

    @property
    def mean(self) -> float:
        return float(np.dot(self.values, self.probs))

    @property
    def variance(self) -> float:
        v = np.asarray(self.values)
        return float(np.dot(self.probs, (v - self.mean) ** 2))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.ppf(rng.random(size))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        cum = np.cumsum(self.probs)
        cum[-1] = 1.0  # guard against rounding so that u close to 1 maps to the last value
        idx = np.searchsorted(cum, np.asarray(u, dtype=float), side="right")
        return np.asarray(self.values, dtype=float)[np.minimum(idx, len(self.values) - 1)]


KINDS: tuple[str, ...] = ("exponential", "lognormal", "gamma", "deterministic", "uniform", "triangular", "empirical")

PROB_TOLERANCE = 1e-6


def _positive(field: str, name: str, value: float | None) -> float:
    if value is None:
        raise DistributionError(f"{field}.{name} is missing (required for this distribution)")
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise DistributionError(f"{field}.{name} = {value!r} (must be a finite number > 0)")
    return float(value)


def _non_negative(field: str, name: str, value: float | None) -> float:
    if value is None:
        raise DistributionError(f"{field}.{name} is missing (required for this distribution)")
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        raise DistributionError(f"{field}.{name} = {value!r} (must be a finite number >= 0)")
    return float(value)


def build(field: str, dist: str | None, *, mean: float | None = None, cv: float | None = None,
          median: float | None = None, sigma: float | None = None, shape: float | None = None,
          scale: float | None = None, value: float | None = None, low: float | None = None,
          mode: float | None = None, high: float | None = None, values: Sequence[float] | None = None,
          probs: Sequence[float] | None = None) -> Distribution:
    """Build a validated distribution from spec fields; ``field`` is the dotted config name used in errors."""
    if dist not in KINDS:
        raise DistributionError(f"{field}.dist = {dist!r} (allowed: {', '.join(KINDS)})")
    if dist == "deterministic":
        return Deterministic(_non_negative(field, "value", value if value is not None else mean))
    if dist == "exponential":
        return Exponential(_positive(field, "mean", mean))
    if dist == "lognormal":
        if median is not None or sigma is not None:
            return Lognormal(mu=math.log(_positive(field, "median", median)), sigma=_positive(field, "sigma", sigma))
        return Lognormal.from_mean_cv(_positive(field, "mean", mean), _positive(field, "cv", cv))
    if dist == "gamma":
        if shape is not None or scale is not None:
            return Gamma(shape=_positive(field, "shape", shape), scale=_positive(field, "scale", scale))
        return Gamma.from_mean_cv(_positive(field, "mean", mean), _positive(field, "cv", cv))
    if dist == "uniform":
        lo, hi = _non_negative(field, "low", low), _non_negative(field, "high", high)
        if hi <= lo:
            raise DistributionError(f"{field}.high = {hi} (must be > low = {lo})")
        return Uniform(lo, hi)
    if dist == "triangular":
        lo, mo, hi = _non_negative(field, "low", low), _non_negative(field, "mode", mode), _non_negative(field, "high", high)
        if not lo <= mo <= hi or hi <= lo:
            raise DistributionError(f"{field} = triangular({lo}, {mo}, {hi}) (need low <= mode <= high and low < high)")
        return Triangular(lo, mo, hi)
    # empirical
    if not values or not probs or len(values) != len(probs):
        raise DistributionError(f"{field}: empirical needs 'values' and 'probs' lists of equal, non-zero length")
    vals = tuple(_non_negative(field, "values[]", float(v)) for v in values)
    ps = tuple(_non_negative(field, "probs[]", float(p)) for p in probs)
    if abs(sum(ps) - 1.0) > PROB_TOLERANCE:
        raise DistributionError(f"{field}.probs sum to {sum(ps):.6g} (must sum to 1)")
    return Empirical(vals, ps)
