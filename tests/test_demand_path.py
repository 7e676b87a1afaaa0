"""``demand.yearly_path``: a published demand series as a relative rate per simulated year (issue 18, back-test).

Without a path nothing moves (no stream draws anything more, so today's outputs stay bit-identical); a path of ones
keeps every arrival; a path thins each year to its share within binomial bounds; the last value holds on; bad
paths are one line before anything is simulated.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.chain import demand
from sim.chain.checks import ConfigError
from sim.kernel.streams import Streams
from tests.conftest import make_model

Z99 = 2.5758  # two-sided 99 % normal quantile
OVER = ["region=demo", "run.start=empty", "run.years=4", "run.warmup_years=0", "run.quiet=true"]
FIELDS = ("time", "route", "colour", "n_children", "voluntary_u", "reentry_u", "return_after")


def arrivals(extra: list[str]) -> demand.Arrivals:
    model = make_model(OVER + extra)
    return demand.generate(model, Streams(model.run.seed, 0))


def test_no_path_and_a_path_of_ones_give_the_same_families():
    ref = arrivals([])
    ones = arrivals(["demand.yearly_path=[1.0,1.0]"])
    assert make_model(OVER).yearly_path is None
    for field in FIELDS:
        assert np.array_equal(getattr(ones, field), getattr(ref, field)), field


def test_each_year_is_thinned_to_its_share_and_the_last_value_holds_on():
    ref = arrivals([])
    path = (1.0, 0.5, 0.8)  # the fourth year keeps 0.8
    got = arrivals([f"demand.yearly_path=[{','.join(map(str, path))}]"])
    ref_years = np.bincount((ref.time // 365).astype(int), minlength=4)
    got_years = np.bincount((got.time // 365).astype(int), minlength=4)
    # the path's peak is 1, so the arrivals are the flat ones thinned: each kept with its year's share
    assert np.isin(got.time, ref.time).all()
    for year, share in enumerate((*path, path[-1])):
        n, k = ref_years[year], got_years[year]
        assert n > 300
        assert abs(k - n * share) <= Z99 * math.sqrt(n * share * (1 - share)) + 1e-9, (year, k, n, share)


def test_a_path_above_one_raises_the_rate():
    ref = arrivals([])
    got = arrivals(["demand.yearly_path=[2.0]"])
    n, k = len(ref), len(got)
    assert abs(k - 2 * n) <= Z99 * math.sqrt(2 * n) * 1.5, (k, n)  # Poisson: var = mean (2n), tolerance widened


@pytest.mark.parametrize("value,message", [
    ("[]", "demand.yearly_path = [] (give one relative rate per simulated year, or null for a flat rate)"),
    ("[1.0,-0.5]", "demand.yearly_path[1] = -0.5"),
    ("[0.0,0.0]", "demand.yearly_path = [0.0, 0.0] (at least one year needs demand above 0)"),
])
def test_bad_paths_are_one_line(value, message):
    with pytest.raises(ConfigError) as err:
        make_model(OVER + [f"demand.yearly_path={value}"])
    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)
