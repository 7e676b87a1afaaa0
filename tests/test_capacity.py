"""Capacity (python -m sim.capacity, sim/capacity.py): monotone in FTE, confirmed by simulation on both sides of
the boundary, and written as the table the capacity chart draws."""

from __future__ import annotations

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim.analysis import capacity, derived, screening
from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.report import figures
from tests.conftest import CONF, make_model


def compose_capacity(overrides: list[str]):
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("capacity", overrides=list(overrides))


@pytest.mark.parametrize("region,scenario", [("demo", "sequential"), ("demo", "integrated"),
                                             ("gelderland", "sequential"), ("gelderland", "integrated")])
def test_capacity_is_monotone_in_every_organisations_fte(region, scenario):
    """More FTE at any organisation never lowers the demand the chain carries; at the organisation named the
    bottleneck it raises it, by more than 1 % unless another pool binds just above (Gelderland: Veilig Thuis's case
    teams and the buurtteam bind within 0.4 % of its front desk), in which case the old bottleneck is stable there."""
    m = make_model([f"region={region}", f"scenario={scenario}"])
    fm = screening.flow_model(m)
    base = capacity.capacity(m, fm)
    for org, today in fm.fte_today.items():
        fte = today * np.linspace(0.5, 2.0, 61)
        scale, _ = capacity.max_scale(fm, {org: fte})
        assert np.all(np.diff(scale) >= -1e-9), org
    org = base.bottleneck_org
    raised = {org: np.asarray([fm.fte_today[org] * 1.1])}
    more, _ = capacity.max_scale(fm, raised)
    assert more[0] > base.demand_scale / m.demand_scale, (org, base)
    if more[0] <= base.demand_scale / m.demand_scale * 1.01:  # another pool binds just above: no longer this one
        g = screening.screen_grid(m, raised, np.asarray([more[0] * 1.001]), fm=fm).iloc[0]
        assert g["bottleneck"] != base.bottleneck and bool(g[f"stable.{base.bottleneck}"]), (org, base)
    assert all(g >= -1e-9 for g in base.gain_per_fte.values())


def test_the_capacity_is_where_a_pool_becomes_unstable():
    m = make_model(["region=demo"])
    fm = screening.flow_model(m)
    cap = capacity.capacity(m, fm)
    g = screening.screen_grid(m, {}, np.array([cap.demand_scale * 0.995, cap.demand_scale * 1.005]), fm=fm)
    assert bool(g["stable"].iloc[0]) and not bool(g["stable"].iloc[1])
    assert not bool(g[f"stable.{cap.bottleneck}"].iloc[1])
    assert cap.bottleneck_org == fm.pools[cap.bottleneck].org


@pytest.mark.slow
def test_capacity_is_confirmed_by_simulation_on_both_sides():
    """Stable at capacity x 0.95, a waiting list growing at capacity x 1.05 (long warm-up: re-entries settle)."""
    cfg = compose_capacity(["region=demo", "run.start=empty", "run.warmup_years=10", "run.years=6",
                            "run.replications=3", "capacity.workflows=[sequential]", "capacity.scales=[1.0]"])
    summary, curve = capacity.run(cfg, quiet=True)
    r = summary.iloc[0]
    assert r["stable_confirmed"] and r["unstable_confirmed"], r.to_dict()
    assert r["growing_above"] == r["bottleneck"]


def test_the_capacity_table_is_the_one_the_chart_draws(tmp_path):
    cfg = compose_capacity(["region=demo", "run.start=empty", "run.warmup_years=1", "run.years=1",
                            "run.replications=2", "capacity.workflows=[sequential,integrated]",
                            "capacity.scales=[0.6,1.0]"])
    summary, curve = capacity.run(cfg, out_dir=tmp_path, quiet=True)
    assert (tmp_path / "capacity.csv").is_file() and (tmp_path / "_COMPLETE.json").is_file()
    derived.CAPACITY.check(curve)
    assert set(curve["workflow"]) == {"sequential", "integrated"}
    assert set(summary["workflow"]) == {"sequential", "integrated"}
    assert (curve.groupby("workflow")["demand_scale"].count() == 4).all()  # 0.6, 1.0 and the two confirmations
    # by default the families still waiting count, and the analytic value beside it is the steady state's p90
    # (nobody waits at the end there: the screening's p90 over completed episodes, kpis.UNCENSORED)
    assert (curve["kpi"] == kpis.LEAD_TIME_HELP_KM_P90).all()
    stable = curve[curve["analytic_stable"].astype(bool)]
    assert len(stable) and np.isfinite(stable["analytic"].to_numpy(dtype=float)).all()
    chart = figures.capacity_curve(curve, figures.Meta("demo", ("sequential", "integrated"), 2, 1.0, 1.0, "empty"))
    assert chart.name == "capacity_curve"


@pytest.mark.parametrize("override,message", [
    ("capacity.workflows=[]", "capacity.workflows = [] (name at least one scenario file"),
    ("capacity.workflows=[nonsense]", "capacity.workflows: 'nonsense' (allowed: "),
    ("capacity.workflows=[samen_in_crisis]", "capacity.workflows[0] = 'samen_in_crisis' (no analytic screening"),
    ("capacity.margin=1.5", "capacity.margin = 1.5 (must lie strictly between 0 and 1"),
])
def test_capacity_input_errors_are_one_line(override, message):
    with pytest.raises(ConfigError) as err:
        capacity.plan(compose_capacity(["region=demo", override]))
    assert message in str(err.value) and "\n" not in str(err.value)
