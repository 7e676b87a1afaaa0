"""The emulator behind ``uncertainty.method=emulator`` (sim/analysis/emulator.py), checked where the answer is known:
Sobol' indices of a response written in the expansion's own terms, a response only noise moves, held-back draws
that the fit never sees; and the command's design, runs and tables with it on a tiny comparison."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest
from scipy.stats import qmc
from test_uncertainty import CONSULT, INTAKE, TINY  # the tiny comparison and the team's two own assumptions

from sim import app
from sim import uncertainty as command
from sim.analysis import emulator
from sim.analysis import uncertainty as unc
from sim.chain import kpis


def P(u: np.ndarray, degree: int) -> np.ndarray:
    """Orthonormal shifted Legendre polynomials on [0, 1] (mean 0, variance 1 for a uniform u): a response written
    in them has known variances, term by term."""
    x = 2.0 * u - 1.0
    return {1: np.sqrt(3.0) * x, 2: np.sqrt(5.0) * (3.0 * x * x - 1.0) / 2.0}[degree]


def _unit(d: int, n: int, seed: int = 1) -> np.ndarray:
    return qmc.Sobol(d, scramble=True, seed=seed).random_base2(int(np.ceil(np.log2(n))))[:n]


def test_the_indices_of_a_response_with_known_variances_are_recovered():
    """y = 60 P1(u0) + 10 P2(u0) + 30 P1(u1) + 20 P1(u0) P1(u1) + 5 P1(u2) + noise (sd 15): orthonormal terms, so
    Var(y) = 3600 + 100 + 900 + 400 + 25 + 225 and each index is a ratio of these; 9 other inputs move nothing."""
    u = _unit(12, 200)
    noise = np.random.default_rng(2).normal(0.0, 15.0, len(u))
    y = (60 * P(u[:, 0], 1) + 10 * P(u[:, 0], 2) + 30 * P(u[:, 1], 1) + 20 * P(u[:, 0], 1) * P(u[:, 1], 1)
         + 5 * P(u[:, 2], 1) + noise)
    var = 3600 + 100 + 900 + 400 + 25 + 225
    res = emulator.sobol(u, y, held_back=0.2, resamples=80, seed=7)
    assert res.S1[0] == pytest.approx(3700 / var, abs=0.06) and res.ST[0] == pytest.approx(4100 / var, abs=0.06)
    assert res.S1[1] == pytest.approx(900 / var, abs=0.04) and res.ST[1] == pytest.approx(1300 / var, abs=0.05)
    assert res.ST[0] - res.S1[0] == pytest.approx(400 / var, abs=0.03)  # the interaction is in the totals only
    assert np.all(res.ST[3:] < 0.01)
    assert np.all(res.S1 <= res.ST + 1e-6)  # up to the round-off of two variances of ~1 subtracted
    assert abs(res.ST[0] - 4100 / var) <= 2 * res.ST_conf[0]  # the interval is of the right size
    # its error on the 40 draws it never saw: what is left is about the noise (sd 15 of about 73)
    assert res.check.n_held == 40 and res.check.n_train == 160
    assert 0.9 < res.check.r2 < 0.99 and res.check.rmse == pytest.approx(15.0, rel=0.25)
    assert res.unexplained == pytest.approx(225 / var, abs=0.03)


def test_a_response_only_chance_moves_has_no_index_and_is_unexplained():
    u = _unit(6, 120)
    y = np.random.default_rng(3).normal(5.0, 2.0, len(u))
    res = emulator.sobol(u, y, held_back=0.2, resamples=50, seed=1)
    # a Gaussian process may take some of the noise for a shape; on draws it never saw it then predicts no better
    # than their mean, and the check says so (the report calls such shares not firm)
    assert res.check.r2 < 0.1
    assert res.ST.max() < 0.25 and res.unexplained > 0.6


def test_the_fit_never_sees_the_held_back_draws():
    u = _unit(6, 100)
    y = 3 * P(u[:, 1], 1) + 0.1 * np.random.default_rng(4).normal(size=len(u))
    held = emulator.held_back_rows(len(y), 0.2, seed=9)
    assert held.sum() == 20
    spoiled = y.copy()
    spoiled[held] += 50.0 * P(u[held, 4], 1)  # nonsense on the held-back draws only
    a = emulator.sobol(u, y, 0.2, 20, seed=9)
    b = emulator.sobol(u, spoiled, 0.2, 20, seed=9)
    np.testing.assert_array_equal(a.ST, b.ST)  # the same fit, the same indices ...
    assert a.check.r2 > 0.99 and b.check.r2 < 0.5  # ... and the error measured on what it never saw


def test_too_few_draws_give_no_indices_rather_than_noise():
    u = _unit(3, 16)
    res = emulator.sobol(u, u[:, 0], 0.2, 10, seed=1)
    assert np.isnan(res.ST).all() and np.isnan(res.S1).all()


# ====================================================================== the command with it


def _plan(extra: list[str]):
    return app.validated("uncertainty", TINY + ["uncertainty.method=emulator"] + extra,
                         lambda cfg: unc.make_plan(cfg, None), example="x=1")


def test_every_draw_of_the_emulator_design_is_an_independent_world():
    plan = _plan([f"uncertainty.only=[{INTAKE},{CONSULT},durations.transfer]", "uncertainty.draws=24"])
    assert plan.method == "emulator" and plan.draws == 24
    assert len({plan.draw_seed(d) for d in range(plan.draws)}) == 24  # families of its own
    assert plan.reused_runs == 0  # no A rows, so no run is another's
    again = _plan([f"uncertainty.only=[{INTAKE},{CONSULT},durations.transfer]", "uncertainty.draws=24"])
    np.testing.assert_array_equal(plan.values, again.values)
    # a scrambled Sobol' sequence: each column covers its range evenly (one draw in each sixth, four each)
    for j in range(3):
        counts = np.bincount(np.minimum((plan.unit[:, j] * 6).astype(int), 5), minlength=6)
        assert counts.min() >= 3 and counts.max() <= 5


def test_the_command_with_an_emulator_writes_its_error_and_indices(tmp_path, monkeypatch):
    out = tmp_path / "run"
    args = TINY + ["uncertainty.method=emulator", f"uncertainty.only=[{INTAKE},{CONSULT}]", "uncertainty.draws=24",
                   "uncertainty.block=12", "uncertainty.bootstrap=30", "run.jobs=2", f"hydra.run.dir={out}"]
    monkeypatch.setattr(sys, "argv", ["sim.uncertainty", *args])
    command.main(args)
    check = pd.read_csv(out / "emulator_check.csv").set_index("kpi")
    sob = pd.read_csv(out / "sobol.csv")
    valued = check[check["n_held"] > 0]  # a 0.1-year run has no restricted mean of a year: those KPIs have none
    assert len(valued) >= 5 and (valued["n_held"] == 5).all() and (valued["n_train"] == 19).all()
    # the team's joint intake hours go straight into the staff hours of every family; a tenth of a year has almost
    # no VT consult, so the consult's length moves nothing
    staff = sob[sob["kpi"] == kpis.STAFF_HOURS_PER_FAMILY].set_index("key")
    assert staff.loc[INTAKE, "ST"] > 0.6 and staff.loc[CONSULT, "ST"] < 0.05
    assert check.loc[kpis.STAFF_HOURS_PER_FAMILY, "r2"] > 0.6
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "in 5 worlds held back from it, it explained" in page
