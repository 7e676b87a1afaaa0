"""Distribution objects: their stated mean and variance match samples; ppf maps uniforms to the same law;
specs are validated with the dotted field name."""

from __future__ import annotations

import numpy as np
import pytest

from sim import distributions as d

SPECS = [
    dict(dist="exponential", mean=30.0),
    dict(dist="lognormal", mean=58.0, cv=0.5),
    dict(dist="lognormal", median=52.0, sigma=0.47),
    dict(dist="gamma", mean=90.0, cv=0.5),
    dict(dist="deterministic", value=7.0),
    dict(dist="uniform", low=1.0, high=13.0),
    dict(dist="triangular", low=14.0, mode=21.0, high=42.0),
    dict(dist="empirical", values=[1, 2, 3, 4], probs=[0.45, 0.33, 0.15, 0.07]),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s["dist"])
def test_sample_moments_match_stated_moments(spec):
    dist = d.build("x", **spec)
    rng = np.random.default_rng(7)
    sample = dist.sample(rng, 400_000)
    via_ppf = dist.ppf(rng.random(400_000))
    sd = np.sqrt(dist.variance)
    for s in (sample, via_ppf):
        assert abs(s.mean() - dist.mean) <= 4 * sd / np.sqrt(len(s)) + 1e-12
        if dist.variance > 0:
            assert s.var() == pytest.approx(dist.variance, rel=0.03)


def test_mean_cv_parameterisation():
    assert d.build("x", "lognormal", mean=58, cv=0.5).mean == pytest.approx(58)
    assert d.build("x", "lognormal", mean=58, cv=0.5).cv2 == pytest.approx(0.25)
    g = d.build("x", "gamma", mean=90, cv=0.5)
    assert (g.mean, g.cv2) == (pytest.approx(90), pytest.approx(0.25))
    assert d.build("x", "lognormal", median=52, sigma=0.47).ppf(np.array([0.5]))[0] == pytest.approx(52)


@pytest.mark.parametrize("spec,message", [
    (dict(dist="weibull", mean=1), "durations.x.dist = 'weibull' (allowed:"),
    (dict(dist="gamma", mean=90), "durations.x.cv is missing"),
    (dict(dist="uniform", low=5, high=2), "durations.x.high = 2.0 (must be > low = 5.0)"),
    (dict(dist="empirical", values=[1, 2], probs=[0.5, 0.6]), "durations.x.probs sum to 1.1 (must sum to 1)"),
    (dict(dist="exponential", mean=float("nan")), "durations.x.mean = nan (must be a finite number > 0)"),
])
def test_bad_specs_name_the_field(spec, message):
    with pytest.raises(d.DistributionError) as err:
        d.build("durations.x", **spec)
    assert message in str(err.value)
