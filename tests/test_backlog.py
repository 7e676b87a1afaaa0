"""Backlog drain (sim/backlog.py): more extra FTE never drains today's waiting list later (paired seeds)."""

from __future__ import annotations

import pytest
from conftest import CONF
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim.analysis.backlog import drain, plan
from sim.analysis.derived import BACKLOG
from sim.chain.checks import ConfigError


def _cfg(overrides: list[str]):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("backlog", overrides=["region=demo", "run.years=1", "run.replications=3", "run.quiet=true",
                                             *overrides])


def test_more_extra_fte_never_drains_later():
    p = plan(_cfg(["backlog.org=gi", "backlog.extra_fte=[0,5,15]", "backlog.spread_days=30"]))
    days, table = drain(p)
    gi = days[days["pool"] == "gi"].pivot(index="replication", columns="extra_fte", values="days_to_norm")
    horizon = p.models[0].horizon_days
    gi = gi.fillna(horizon + 1)  # never drained: later than any drain day
    assert (gi[5.0] <= gi[0.0]).all() and (gi[15.0] <= gi[5.0]).all(), gi
    assert (gi[15.0] < gi[0.0]).any(), gi  # the extra staff really made a difference on this backlog
    # the extra staff arrive after the hiring delay and onboard: more available FTE on average
    avail = days[days["pool"] == "gi"].groupby("extra_fte")["available_fte_mean"].mean()
    assert avail.is_monotonic_increasing and avail[15.0] < avail[0.0] + 15.0 * 0.9
    BACKLOG.check(table)  # the chart can draw it
    assert {"days_to_norm_mean", "days_to_norm_ci_low", "days_to_norm_ci_high"} <= set(table.columns)


def test_drain_day_is_a_probe_day_and_zero_when_within_norm_today():
    p = plan(_cfg(["backlog.extra_fte=[0]", "backlog.probe_days=7"]))
    days, _ = drain(p)
    finite = days["days_to_norm"].dropna()
    assert ((finite % 7.0) == 0).all()
    # demo's VT front desk starts with about five days of meldingen waiting: within the 7-day norm at day 0
    assert (days.loc[days["pool"] == "veilig_thuis.triage", "days_to_norm"] == 0.0).all()


@pytest.mark.parametrize("override, field", [
    ("backlog.org=kinderrechter", "backlog.org"),
    ("backlog.extra_fte=[0,-1]", "backlog.extra_fte[1]"),
    ("backlog.probe_days=0", "backlog.probe_days"),
    ("run.start=empty", "run.start"),
])
def test_bad_backlog_settings_name_the_field(override, field):
    with pytest.raises(ConfigError) as err:
        plan(_cfg([override]))
    assert str(err.value).startswith(field) and "\n" not in str(err.value)


def test_a_list_that_met_its_norm_but_kept_growing_is_not_called_drained():
    """Issue 19: sim.backlog said Veilig Thuis was '100 % drained, 0 days to norm' while the same runs flagged its
    front desk SATURATED. The table now shows the share still growing and a note for such an organisation."""
    import pandas as pd

    from sim.backlog import format_table
    from sim.chain import kpis

    days = pd.DataFrame({"organisation": ["veilig_thuis"] * 3 + ["gi"] * 3, "extra_fte": [0.0] * 6,
                         "days_to_norm": [0.0, 0.0, 0.0, 120.0, 150.0, 130.0],
                         kpis.AVAILABLE_FTE_MEAN: [80.0] * 3 + [300.0] * 3,
                         "growing": [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]})
    text = format_table(days, 1000.0)
    assert "still growing" in text.splitlines()[0]
    notes = [line for line in text.splitlines() if line.startswith("NOTE:")]
    assert len(notes) == 1 and notes[0].startswith("NOTE: veilig_thuis at extra FTE 0") and "67%" in notes[0]
    assert "NOTE" not in format_table(days.assign(growing=0.0), 1000.0)
