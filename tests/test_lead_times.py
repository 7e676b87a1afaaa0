"""Censoring-aware lead times (issue 14, item 1): families still waiting at the end of a run count.

- the Kaplan-Meier restricted mean (RMST) and quantiles equal hand-computed values, on bare durations and on a
  hand-built families table (an episode still open at the end of the run is censored at its wait so far, one closed
  without help is left out, as the means over completed episodes leave it out);
- with nothing censored, the RMST at a horizon beyond every time is the plain mean (hypothesis), and on a families
  table with no episode open at the end it is the mean over completed episodes;
- a queue that grows through the window: the censoring-aware lead time rises with the run length while the one over
  completed episodes does not, and a workflow whose queue grows faster no longer looks faster.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.chain import kpis, tables
from sim.kernel.stats import km_quantile, km_rmst, km_survival
from sim.run import runner
from tests.conftest import PATIENT, make_model

NAN = math.nan


# ====================================================================== the estimator on bare durations


def test_rmst_and_quantiles_equal_hand_computed_values():
    # 10 event, 20 censored, 30 event, 40 censored, 50 event, 70 event:
    # S = 5/6 from 10, 5/6 * 3/4 = 0.625 from 30, 0.625 * 1/2 = 0.3125 from 50, 0 from 70
    d = np.array([30.0, 10.0, 40.0, 70.0, 20.0, 50.0])
    e = np.array([True, True, False, True, False, True])
    assert km_rmst(d, e, 365.0) == pytest.approx(10 + 20 * 5 / 6 + 20 * 0.625 + 20 * 0.3125, rel=1e-12)
    assert km_rmst(d, e, 40.0) == pytest.approx(10 + 20 * 5 / 6 + 10 * 0.625, rel=1e-12)
    assert km_rmst(d, e, 5.0) == pytest.approx(5.0, rel=1e-12)
    assert km_quantile(d, e, 0.5) == 50.0
    assert km_quantile(d, e, 0.9) == 70.0
    assert km_quantile(d, e, 0.1) == 10.0


def test_rmst_is_nan_when_the_curve_is_unknown_up_to_the_horizon():
    d = np.array([10.0, 40.0])
    e = np.array([True, False])  # half still waiting at 40: nobody saw what happens after
    assert math.isnan(km_rmst(d, e, 365.0))
    assert km_rmst(d, e, 40.0) == pytest.approx(10 + 30 * 0.5, rel=1e-12)
    assert math.isnan(km_rmst(np.array([]), np.array([], dtype=bool), 365.0))


def test_the_survival_curve_equals_hand_computed_steps():
    # the durations of test_rmst_and_quantiles_equal_hand_computed_values: an event at t counts at t
    d = np.array([30.0, 10.0, 40.0, 70.0, 20.0, 50.0])
    e = np.array([True, True, False, True, False, True])
    s = km_survival(d, e, np.array([0.0, 9.9, 10.0, 29.0, 30.0, 45.0, 50.0, 69.0, 70.0, 500.0]))
    np.testing.assert_allclose(s, [1, 1, 5 / 6, 5 / 6, 0.625, 0.625, 0.3125, 0.3125, 0.0, 0.0], rtol=1e-12)
    # the longest observation censored with survival left: unknown beyond it, known up to it
    s = km_survival(np.array([10.0, 40.0]), np.array([True, False]), np.array([5.0, 10.0, 40.0, 40.5]))
    np.testing.assert_allclose(s[:3], [1.0, 0.5, 0.5], rtol=1e-12)
    assert math.isnan(s[3])
    assert np.isnan(km_survival(np.array([]), np.array([], dtype=bool), np.array([1.0, 2.0]))).all()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1000.0, allow_nan=False), min_size=1, max_size=60),
       st.floats(min_value=0.0, max_value=1100.0, allow_nan=False))
def test_without_censoring_the_survival_curve_is_one_minus_the_ecdf(times, t):
    d = np.array(times)
    survival = km_survival(d, np.ones(len(d), dtype=bool), np.array([t]))[0]
    assert survival == pytest.approx(1.0 - float((d <= t).mean()), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1000.0, allow_nan=False), min_size=1, max_size=60))
def test_without_censoring_the_rmst_beyond_every_time_is_the_plain_mean(times):
    d = np.array(times)
    assert km_rmst(d, np.ones(len(d), dtype=bool), 1001.0) == pytest.approx(float(d.mean()), rel=1e-9, abs=1e-9)


def test_censoring_lengthens_the_rmst_over_the_completed_mean():
    d = np.array([10.0, 20.0, 200.0, 300.0])
    e = np.array([True, True, False, False])  # the two still waiting have waited longer than anyone helped
    assert km_rmst(d, e, 200.0) == pytest.approx(10 + 10 * 0.75 + 180 * 0.5, rel=1e-12)
    assert km_rmst(d, e, 200.0) > d[e].mean()


# ====================================================================== on a families table


def _families(rows: list[dict]) -> pd.DataFrame:
    cols = ("arrival", "closed", "censored", "lead_time_help", "lead_time_measure", "rvdk_request", "court_request",
            "gi_request")
    return pd.DataFrame([{c: r.get(c, NAN if c != "censored" else False) for c in cols} for r in rows])


def test_families_table_gives_hand_computed_censoring_aware_lead_times():
    window = 400.0
    fam = _families([
        # helped after 10 days, then under a measure (first contact 40 days after the melding), closed
        dict(arrival=0.0, lead_time_help=10.0, closed=80.0, rvdk_request=5.0, lead_time_measure=40.0),
        # closed without help at day 20 (the Raad's case ended): left out, for help and for a measure
        dict(arrival=0.0, closed=20.0, court_request=15.0),
        # helped after 30 days
        dict(arrival=0.0, lead_time_help=30.0, closed=90.0),
        # arrived at day 360, still waiting at the end (day 400): censored at 40, for help and for a measure
        dict(arrival=360.0, censored=True, gi_request=370.0),
        # helped after 50 and 70 days, still open at the end: observed, not censored
        dict(arrival=10.0, lead_time_help=50.0, censored=True),
        dict(arrival=0.0, lead_time_help=70.0, censored=True),
    ])
    got = tables.censored_lead_times(fam, window)
    # help: 10 event, 30 event, 40 censored, 50 event, 70 event: S = 4/5 from 10, 4/5 * 3/4 = 0.6 from 30,
    # 0.6 * 1/2 = 0.3 from 50, 0 from 70
    assert got[kpis.LEAD_TIME_HELP_RMST] == pytest.approx(10 + 20 * 0.8 + 20 * 0.6 + 20 * 0.3, rel=1e-12)
    assert got[kpis.LEAD_TIME_HELP_KM_MEDIAN] == 50.0
    assert got[kpis.LEAD_TIME_HELP_KM_P90] == 70.0
    # the jeugdbeschermer, over the two on the protection path that reached it or wait: 40 event, 40 censored ->
    # S = 1/2 from 40 on and unknown after: median 40, p90 and the one-year restricted mean beyond what the run saw
    assert got[kpis.LEAD_TIME_MEASURE_KM_MEDIAN] == 40.0
    assert math.isnan(got[kpis.LEAD_TIME_MEASURE_KM_P90])
    assert math.isnan(got[kpis.LEAD_TIME_MEASURE_RMST])
    # the means over completed episodes leave the waiting ones out
    assert fam["lead_time_help"].mean() == pytest.approx(40.0)


def test_with_no_episode_open_at_the_end_the_restricted_mean_is_the_mean_over_completed_episodes():
    fam = _families([
        dict(arrival=0.0, lead_time_help=12.0, closed=100.0, rvdk_request=3.0, lead_time_measure=200.0),
        dict(arrival=4.0, lead_time_help=3.5, closed=40.0),
        dict(arrival=9.0, closed=30.0),  # closed without help: in neither
        dict(arrival=20.0, lead_time_help=300.0, closed=390.0, gi_request=250.0, lead_time_measure=300.0),
    ])
    got = tables.censored_lead_times(fam, 400.0)
    assert got[kpis.LEAD_TIME_HELP_RMST] == pytest.approx(fam["lead_time_help"].mean(), rel=1e-12)
    assert got[kpis.LEAD_TIME_MEASURE_RMST] == pytest.approx(fam["lead_time_measure"].mean(), rel=1e-12)
    # one of them still open without help at the end: the restricted mean only grows
    fam.loc[2, ["closed", "censored"]] = [NAN, True]
    assert tables.censored_lead_times(fam, 400.0)[kpis.LEAD_TIME_HELP_RMST] > fam["lead_time_help"].mean() + 1.0


def test_the_horizon_is_in_the_name_and_the_description():
    for name in (kpis.LEAD_TIME_HELP_RMST, kpis.LEAD_TIME_MEASURE_RMST):
        assert name.endswith(f"_rmst_{kpis.LEAD_TIME_HORIZON_DAYS}")
        assert f"first {kpis.LEAD_TIME_HORIZON_DAYS} days" in kpis.description(name)
    for name in (kpis.LEAD_TIME_HELP_MEAN, kpis.LEAD_TIME_MEASURE_MEAN):
        assert "completed episodes only" in kpis.description(name)
    # the censoring-aware ones lead every list a lead time is in; the completed-only ones come after, if at all
    for tag in ("printed", "compared", "headline", "swept", "paired"):
        shown = kpis.names(tag)
        assert shown[0] == kpis.LEAD_TIME_HELP_RMST, tag
        for old in (kpis.LEAD_TIME_HELP_MEAN, kpis.LEAD_TIME_MEASURE_MEAN):
            assert old not in shown or shown.index(old) > shown.index(kpis.LEAD_TIME_MEASURE_RMST), tag


# ====================================================================== a queue that grows through the window

# a short assessment at a small desk (the queue, not the assessment, makes the lead time)
DESK = ["durations.vt_triage={dist:lognormal,mean:3,cv:1.0}", "staffing.veilig_thuis.triage_caseload=6"]
SEVERE = [*DESK, "staffing.veilig_thuis.triage_share=0.03"]  # triage desk far below demand: only crisis meldingen get through
MODERATE = [*DESK, "staffing.veilig_thuis.triage_share=0.08"]  # still short, a queue that grows more slowly


def _runs(years: float, extra: list[str]) -> pd.DataFrame:
    model = make_model(["region=demo", "run.start=empty", f"run.years={years}", "run.warmup_years=0.5",
                        "run.replications=2", "run.quiet=true", *PATIENT, *extra])  # families wait, whatever the wait
    return runner.run(model, progress=False, jobs=1).runs.drop(columns="scenario")


@pytest.fixture(scope="module")
def grown() -> dict[tuple[str, float], pd.Series]:
    return {(name, years): _runs(years, extra).mean()
            for name, extra, yearss in (("severe", SEVERE, (1.5, 3.0)), ("moderate", MODERATE, (1.5,)))
            for years in yearss}


def test_a_growing_queue_lengthens_the_censoring_aware_lead_time_with_the_run(grown):
    short, long = grown[("severe", 1.5)], grown[("severe", 3.0)]
    # the non-crisis families wait as long as the run lets them: the KM median follows the window
    assert long[kpis.LEAD_TIME_HELP_KM_MEDIAN] - short[kpis.LEAD_TIME_HELP_KM_MEDIAN] > 150.0
    # over completed episodes the median is a family helped directly by the buurtteam, whatever the run length
    assert abs(long[kpis.LEAD_TIME_HELP_MEDIAN] - short[kpis.LEAD_TIME_HELP_MEDIAN]) < 5.0
    assert long[kpis.LEAD_TIME_HELP_KM_MEDIAN] > 3 * long[kpis.LEAD_TIME_HELP_MEDIAN] + 100.0


def test_a_faster_growing_queue_no_longer_looks_faster(grown):
    severe, moderate = grown[("severe", 1.5)], grown[("moderate", 1.5)]
    # over completed episodes the worse desk looks better: its waiting families are left out
    assert severe[kpis.LEAD_TIME_HELP_MEDIAN] < moderate[kpis.LEAD_TIME_HELP_MEDIAN]
    # counted with them, it is worse by months
    assert severe[kpis.LEAD_TIME_HELP_KM_MEDIAN] > moderate[kpis.LEAD_TIME_HELP_KM_MEDIAN] + 100.0
    assert severe[kpis.LEAD_TIME_HELP_RMST] > moderate[kpis.LEAD_TIME_HELP_RMST] + 100.0


def test_a_window_shorter_than_the_horizon_gives_no_restricted_mean():
    fam = _families([dict(arrival=0.0, lead_time_help=10.0, closed=50.0), dict(arrival=5.0, lead_time_help=30.0,
                                                                              closed=60.0)])
    assert tables.censored_lead_times(fam, 365.0)[kpis.LEAD_TIME_HELP_RMST] == pytest.approx(20.0)
    short = tables.censored_lead_times(fam, 364.0)
    assert math.isnan(short[kpis.LEAD_TIME_HELP_RMST])
    assert short[kpis.LEAD_TIME_HELP_KM_MEDIAN] == 10.0  # the quantiles say NaN themselves when beyond the run
