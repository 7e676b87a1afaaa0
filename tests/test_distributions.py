"""Distribution objects: their stated mean and variance match samples; ppf maps uniforms to the same law;
specs are validated with the dotted field name."""

from __future__ import annotations

import numpy as np
import pytest

from sim.kernel import distributions as d

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


def test_kaplan_meier_quantile_by_hand():
    from sim.kernel.stats import km_quantile

    # 10 families: 6 finished at 1..6 days, 4 still waiting after 10 days (censored)
    durations = np.array([1, 2, 3, 4, 5, 6, 10, 10, 10, 10], float)
    observed = np.array([True] * 6 + [False] * 4)
    # survival after the k-th event is 1 - k/10, so the median (S <= 0.5) is reached at 5 days
    assert km_quantile(durations, observed, 0.5) == 5.0
    # 90 % have not finished within the observed time: the p90 lies beyond the run
    assert np.isnan(km_quantile(durations, observed, 0.9))
    # ignoring the censored families would claim a p90 of 6 days (the bias this estimator removes)
    assert np.quantile(durations[observed], 0.9) < 6.0 + 1e-9
    # a family censored at the time of an event is still at risk at that time (the usual convention)
    d2 = np.array([1, 2, 2, 3], float)
    o2 = np.array([True, False, True, True])
    # S(1) = 3/4; at 2: 3 at risk, 1 event, S(2) = 3/4 x 2/3 = 1/2; at 3: 1 at risk, 1 event, S(3) = 0
    assert km_quantile(d2, o2, 0.5) == 2.0 and km_quantile(d2, o2, 0.99) == 3.0
