"""The kinderrechter as a capacity (issue 16 item 3): zittingen a week, spoed before regular; ``unlimited`` is
today's delay model exactly (tests/test_golden.py runs with it, unchanged)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import make_model
from test_bad_input import refused  # the bad-input pattern's own helper (exit 2, one line, no results folder)

from sim import cli
from sim.chain.checks import ConfigError
from sim.kernel.calendar import SessionCalendar
from sim.kernel.engine import Engine
from sim.run import runner


def _trace(per_week: float, bookings: list[tuple[float, str, bool]]) -> dict[str, tuple[float, float]]:
    """Book each (ready day, name, urgent) on a calendar; return name -> (day heard, wait)."""
    engine = Engine(horizon=100.0)
    engine.pool("unused", "nobody", 1)  # an engine runs a model with at least one pool
    cal = SessionCalendar(engine, per_week)
    heard: dict[str, tuple[float, float]] = {}
    for day, name, urgent in bookings:
        engine.at(day, lambda n, u=urgent: cal.book(n, u, lambda item, wait: heard.setdefault(item, (engine.now,
                                                                                                  wait))), name)
    engine.run()
    return heard


def test_spoed_before_regular_hand_computed():
    # one zitting a week (days 0, 7, 14, 21, ...). A and B are ready on days 1 and 2, the spoed S on day 5:
    # S takes the zitting of day 7 before both, A day 14, B day 21. R, ready on day 21.5 when nobody waits,
    # takes the next zitting (day 28); a zitting without a request passes unused (day 35 goes to nobody, so T,
    # ready on day 36, is heard on day 42, not earlier)
    got = _trace(1.0, [(1.0, "A", False), (2.0, "B", False), (5.0, "S", True), (21.5, "R", False),
                       (36.0, "T", False)])
    assert got == {"S": (7.0, 2.0), "A": (14.0, 13.0), "B": (21.0, 19.0), "R": (28.0, 6.5), "T": (42.0, 6.0)}


def test_a_request_ready_at_a_free_zitting_is_heard_then_and_two_a_week_halve_the_gap():
    got = _trace(2.0, [(7.0, "A", False), (7.0, "B", False), (7.0, "S", True)])
    assert got == {"S": (7.0, 0.0), "A": (10.5, 3.5), "B": (14.0, 7.0)}


def test_spoed_waiting_behind_spoed_is_fifo():
    got = _trace(1.0, [(1.0, "S1", True), (2.0, "S2", True), (3.0, "A", False)])
    assert got == {"S1": (7.0, 6.0), "S2": (14.0, 12.0), "A": (21.0, 18.0)}


TINY = ["region=demo", "run.start=empty", "run.years=2", "run.warmup_years=0.5", "run.replications=1",
        "run.quiet=true", "demand.scale=1.6"]


def test_court_at_capacity_hears_on_its_grid_and_later_than_unlimited():
    unlimited = runner.run(make_model(TINY), progress=False).families
    per_week = 2.0
    limited = runner.run(make_model(TINY + [f"court.zittingen_per_week={per_week}"]), progress=False).families
    t0 = 0.5 * 365.0
    decided = limited["court_decision"].dropna().to_numpy()
    assert len(decided) > 20
    sessions = (decided + t0) / (7.0 / per_week)
    assert np.allclose(sessions, np.round(sessions), atol=1e-6)  # every beschikking at a zitting
    took = limited["court_decision"] - limited["court_request"]
    base = unlimited["court_decision"] - unlimited["court_request"]
    assert took.mean() > base.mean() + 1.0  # a queue for the zittingen (the test can fail if capacity did nothing)


def test_unlimited_is_the_delay_model():
    model = make_model(TINY)
    assert model.court_per_week is None
    explicit = make_model(TINY + ["court.zittingen_per_week=unlimited"])
    a = runner.run(model, progress=False)
    b = runner.run(explicit, progress=False)
    for name in ("families", "events", "timeseries"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    # the delay model: every verzoekschrift decided after its drawn durations.court_decision (14-42 days) and
    # every spoedverzoek after exactly durations.court_spoed (1 day), never waiting for a session
    took = (a.families["court_decision"] - a.families["court_request"]).dropna()
    assert ((took == 1.0) | ((took >= 14.0) & (took <= 42.0))).all()


@pytest.mark.parametrize("value", ["0", "-3", "abc", "nan", "inf", "true"])
def test_bad_court_capacity_is_one_line(value):
    with pytest.raises(ConfigError) as err:
        make_model(TINY + [f"court.zittingen_per_week={value}"])
    msg = str(err.value)
    assert msg.startswith("court.zittingen_per_week = ") and "\n" not in msg
    assert "unlimited" in msg or "allowed" in msg


@pytest.mark.parametrize("argv, line", [
    (["region=demo", "court.zittingen_per_week=-1"],
     "ketensim: error: court.zittingen_per_week = -1 (must be 'unlimited' or a positive number of zittingen a week)"),
    (["region=demo", "court.zittingen_per_week=lots"],
     "ketensim: error: court.zittingen_per_week = 'lots' (must be 'unlimited' or a positive number of zittingen a "
     "week)"),
])
def test_bad_court_capacity_exits_2_with_one_line_before_any_run(argv, line, capsys, monkeypatch, tmp_path):
    assert refused(cli.entry, argv, capsys, monkeypatch, tmp_path) == line
