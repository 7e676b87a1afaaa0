"""Costs (issue 17): euros put on a run's tables afterwards (sim/analysis/costs.py) from conf/prices/.

Claims, each able to fail: the staff cost of a run is FTE x price computed by hand from the YAML files; doubling
every price doubles every euro and moves no simulated number; the cost per family and the unallocated staff time
add up to the staff cost of the window; the payers' split adds up to the total; a price without a source or a
negative price is refused with one line before any simulated time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim import cli
from sim.analysis import costs
from sim.chain import kpis
from sim.config import prices as prices_mod
from sim.config.gate import validate
from sim.run import runner
from tests.conftest import CONF, compose_cfg
from tests.test_bad_input import refused

SMALL = ["region=demo", "run.replications=2", "run.years=1", "run.warmup_years=0.5", "run.event_log=false"]


def _run(overrides: list[str]):
    cfg = compose_cfg(SMALL + overrides)
    model = validate(cfg)
    tables = runner.run(model).tables()
    return cfg, model, tables


@pytest.fixture(scope="module")
def sequential():
    return _run([])


@pytest.fixture(scope="module")
def integrated():
    return _run(["scenario=integrated"])


def test_staff_cost_is_fte_times_price_by_hand(sequential):
    cfg, model, tables = sequential
    prices = prices_mod.validate(cfg.prices)
    out = costs.tables(model, prices, tables)["costs"]
    region = yaml.safe_load((CONF / "region" / "demo.yaml").read_text(encoding="utf-8"))["staffing"]
    book = yaml.safe_load((CONF / "prices" / "nl_2024.yaml").read_text(encoding="utf-8"))
    index = (1 + book["indexation_per_year"]) ** (book["report_year"] - book["price_year"])
    total = 0.0
    for org, s in region.items():
        p = book["orgs"][org]
        by_hand = s["fte"] * (1 - s["vacancy_rate"]) * p["monthly_salary"] * p["salary_months"] \
            * (1 + p["employer_charges"]) * (1 + p["overhead"]) * index
        assert out[f"cost_staff.{org}"].to_numpy() == pytest.approx([by_hand] * 2, rel=1e-12)
        total += by_hand
    assert out["cost_staff_total"].to_numpy() == pytest.approx([total] * 2, rel=1e-12)
    # GI: 34 FTE x 0.95 filled x 4,100 x 12.96 x 1.3 x 1.3 = 2,900,535 euros a year
    assert out["cost_staff.gi"].iloc[0] == pytest.approx(34 * 0.95 * 4100 * 12.96 * 1.3 * 1.3, rel=1e-12)


def test_doubling_every_price_doubles_every_cost_and_moves_no_simulated_number(integrated):
    cfg, model, tables = integrated
    prices = prices_mod.validate(cfg.prices)
    once = costs.tables(model, prices, tables)
    twice = costs.tables(model, prices.scaled(2.0), tables)
    for col in costs.cost_columns(once["costs"]):
        a, b = once["costs"][col].to_numpy(dtype=float), twice["costs"][col].to_numpy(dtype=float)
        if col == costs.UNALLOCATED:  # a share of the staff cost, not euros
            np.testing.assert_allclose(b, a, rtol=1e-12)
        else:
            np.testing.assert_allclose(b, 2 * a, rtol=1e-12)
    assert once["costs"][costs.TRANSITION].iloc[0] > 0  # the integrated team has transition costs to double
    np.testing.assert_allclose(twice["costs_by_path"]["cost_mean"], 2 * once["costs_by_path"]["cost_mean"], rtol=1e-12)
    # prices given on the command line: the same model, and the same simulated tables, number for number
    doubled = [f"prices.orgs.{o}.monthly_salary={2 * prices.orgs[o].monthly_salary}" for o in prices.orgs]
    doubled += [f"prices.gi_tariff.{m}={2 * v}" for m, v in prices.gi_tariff.items()]
    doubled += [f"prices.court_per_hearing={2 * prices.court_per_hearing}"]
    cfg2 = compose_cfg(SMALL + ["scenario=integrated"] + doubled)
    model2 = validate(cfg2)
    assert model2 == model
    tables2 = runner.run(model2).tables()
    for name in ("runs", "families", "timeseries"):
        pd.testing.assert_frame_equal(tables2[name], tables[name])
    again = costs.tables(model2, prices_mod.validate(cfg2.prices), tables2)["costs"]
    for col in (costs.STAFF_TOTAL, costs.GI_TARIFF, costs.COURT, costs.PER_FAMILY):
        np.testing.assert_allclose(again[col], twice["costs"][col], rtol=1e-12)


@pytest.mark.parametrize("arm", ["sequential", "integrated"])
def test_families_plus_unallocated_is_the_staff_cost(arm, request):
    cfg, model, tables = request.getfixturevalue(arm)
    prices = prices_mod.validate(cfg.prices)
    per_rep, per_family = costs.run_costs(model, prices, tables["runs"], tables["families"], tables["timeseries"])
    years = model.run.years
    for _, row in per_rep.iterrows():
        fam = per_family[per_family["replication"] == row["replication"]]
        staff_window = row[costs.STAFF_TOTAL] * years
        assert fam["cost"].sum() > 0
        assert 0.0 < row[costs.UNALLOCATED] < 1.0  # idle places and absence: some, never all or negative
        assert fam["cost"].sum() + row[costs.UNALLOCATED] * staff_window == pytest.approx(staff_window, rel=1e-9)
        assert row[costs.PER_FAMILY] == pytest.approx(fam["cost"].mean(), rel=1e-12)
    # the families held no more staff than was in use (fte_in_use priced at the cost of a present FTE)
    assert (per_family["cost"] >= 0).all()


@pytest.mark.parametrize("arm", ["sequential", "integrated"])
def test_payer_split_sums_to_the_total(arm, request):
    cfg, model, tables = request.getfixturevalue(arm)
    prices = prices_mod.validate(cfg.prices)
    out = costs.tables(model, prices, tables)["costs"]
    np.testing.assert_allclose(out["cost_payer.rijk"] + out["cost_payer.gemeenten"], out[costs.TOTAL], rtol=1e-12)
    # by hand: the Rijk pays the Raad and the courts; the gemeenten VT, the buurtteam and the GI's tariffs
    np.testing.assert_allclose(out["cost_payer.rijk"], out["cost_staff.rvdk"] + out[costs.COURT], rtol=1e-12)
    np.testing.assert_allclose(out["cost_payer.gemeenten"], out["cost_staff.veilig_thuis"]
                               + out["cost_staff.buurtteam"] + out[costs.GI_TARIFF], rtol=1e-12)
    years = model.run.years
    hearings = tables["families"].groupby("replication")["court_hearings"].sum().to_numpy() / years
    np.testing.assert_allclose(out[costs.COURT], hearings * prices.court_per_hearing, rtol=1e-12)


def test_sequential_has_no_transition_and_integrated_prices_the_moved_staff(sequential, integrated):
    for cfg, model, _ in (sequential, integrated):
        prices = prices_mod.validate(cfg.prices)
        moved = costs.moved_fte(model)
        t = prices.transition
        by_hand = sum(f * (t.training_per_fte + prices.per_fte_year(o) * t.double_running_months / 12)
                      for o, f in moved.items())
        by_hand += t.fixed_per_team if model.scenario.name == "integrated" else 0.0
        assert costs.transition_cost(model, prices) == pytest.approx(by_hand, rel=1e-12)
        assert (by_hand == 0) == (model.scenario.name == "sequential")


def test_a_negative_price_is_refused_in_one_line(capsys, monkeypatch, tmp_path: Path):
    line = refused(cli.entry, ["region=demo", "prices.court_per_hearing=-1"], capsys, monkeypatch, tmp_path)
    assert line == "ketensim: error: prices.court_per_hearing = -1.0 (must be >= 0)"
    line = refused(cli.entry, ["region=demo", "prices.orgs.gi.payer=provincie"], capsys, monkeypatch, tmp_path)
    assert line == "ketensim: error: prices.orgs.gi.payer = 'provincie' (allowed: rijk, gemeenten)"


def test_a_price_without_a_source_is_refused_in_one_line(capsys, monkeypatch, tmp_path: Path):
    text = (CONF / "prices" / "nl_2024.yaml").read_text(encoding="utf-8")
    head, rest = text.split("court_per_hearing: 1500  # ", 1)
    bad = head + "court_per_hearing: 1500\n" + rest.split("\n", 1)[1]
    bad = bad.replace("name: nl_2024", "name: nosource")
    own = tmp_path / "myconf"
    (own / "prices").mkdir(parents=True)
    (tmp_path / "run").mkdir()
    (own / "prices" / "nosource.yaml").write_text(bad, encoding="utf-8")
    line = refused(cli.entry, ["--config-dir", str(own), "region=demo", "prices=nosource"], capsys, monkeypatch,
                   tmp_path / "run")
    assert line.startswith("ketensim: error: prices.court_per_hearing has no source (in nosource.yaml every price "
                           "needs '# source: <address>'")


def test_staff_dynamics_pay_for_the_filled_positions_only():
    """With staff dynamics the paid FTE follow the run: no leavers, no hiring delay and no onboarding fill every
    position from day 0 (paid = paper FTE); leavers and a hiring delay leave positions unpaid (paid < paper)."""
    still = ["+staff_dynamics=nl_2023", "staff_dynamics.deterministic=true"]
    for org in ("buurtteam", "veilig_thuis", "rvdk", "gi"):
        still += [f"staff_dynamics.orgs.{org}.leavers_per_year=0", f"staff_dynamics.orgs.{org}.hiring_delay_days=0",
                  f"staff_dynamics.orgs.{org}.onboarding_weeks=0"]
    _, model, tables = _run(still)
    paid = costs.paid_fte(model, tables["runs"])
    for org, st in model.staffing.items():
        np.testing.assert_allclose(paid[org], st.fte, rtol=1e-9)
    _, model, tables = _run(["+staff_dynamics=nl_2023", "staff_dynamics.deterministic=true"])
    paid = costs.paid_fte(model, tables["runs"])
    for org, st in model.staffing.items():
        assert (paid[org] < st.fte).all()


def test_staff_off_sick_and_hires_in_onboarding_are_paid():
    """Workload feedback takes sick staff out of the caseload (available FTE falls) but not off the payroll: the paid
    FTE are the filled ones, whatever the sickness; without leavers and hiring delay every position stays paid."""
    still = ["+staff_dynamics=nl_2023", "staff_dynamics.deterministic=true", "+workload_feedback=on",
             "staff_dynamics.workload_feedback.turnover_elasticity=0",
             "staff_dynamics.workload_feedback.absence_at_norm=0.05",
             "staff_dynamics.workload_feedback.sickness_elasticity=3", "staffing.rvdk.fte=0.8", "staffing.gi.fte=2"]  # overloaded
    for org in ("buurtteam", "veilig_thuis", "rvdk", "gi"):
        still += [f"staff_dynamics.orgs.{org}.leavers_per_year=0", f"staff_dynamics.orgs.{org}.hiring_delay_days=0",
                  f"staff_dynamics.orgs.{org}.onboarding_weeks=6"]
    _, model, tables = _run(still)
    runs = tables["runs"]
    paid = costs.paid_fte(model, runs)
    absent = [org for org in model.staffing if (runs[kpis.of(kpis.ABSENCE_MEAN, org)] > 0.05 + 1e-6).any()]
    assert absent  # some organisation is above its norm's sickness: the test can tell paid from available
    for org, st in model.staffing.items():
        np.testing.assert_allclose(paid[org], st.fte, rtol=1e-9)
        assert (runs[kpis.of(kpis.AVAILABLE_FTE_MEAN, org)] < runs[kpis.of(kpis.FILLED_FTE_MEAN, org)]).all()


def test_the_comparison_pairs_costs_by_replication_and_prices_a_waiting_day_avoided(sequential, integrated):
    arms = {}
    for cfg, model, tables in (sequential, integrated):
        arms[model.scenario.name] = (costs.tables(model, prices_mod.validate(cfg.prices), tables)["costs"], tables)
    (bc, _), (ac, _) = arms["sequential"], arms["integrated"]
    table = costs.compare(bc, ac, "sequential", "integrated").set_index("kpi")
    by_hand = ac[costs.TOTAL].to_numpy() - bc[costs.TOTAL].to_numpy()
    assert table.loc[costs.TOTAL, "diff_mean"] == pytest.approx(by_hand.mean(), rel=1e-12)
    assert table.loc[costs.TOTAL, "n_pairs"] == 2
    # waiting days: every family's completed waits at every organisation, per year, in family-days
    waits = {name: t["families"].groupby("replication")[[c for c in t["families"].columns if c.startswith("wait_")]]
             .sum().sum(axis=1).to_numpy() / 1.0 for name, (_, t) in arms.items()}
    avoided = waits["sequential"] - waits["integrated"]
    assert table.loc["waiting_days_avoided_per_year", "diff_mean"] == pytest.approx(avoided.mean(), rel=1e-9)
    ratio = table.loc[costs.PER_DAY_AVOIDED, "diff_mean"]
    if avoided.mean() > 0:
        assert ratio == pytest.approx(by_hand.mean() / avoided.mean(), rel=1e-9)
    else:  # no waiting avoided on average: no price per day avoided
        assert np.isnan(ratio)
    # a made-up pair: 10 euros more and 2 waiting days fewer in every replication is 5 euros per day avoided
    r, lo, hi = costs._ratio_interval(np.array([10.0, 10.0, 10.0]), np.array([2.0, 2.0, 2.0]))
    assert (r, lo, hi) == pytest.approx((5.0, 5.0, 5.0))


def test_sizing_and_backlog_price_the_fte_they_add(sequential):
    cfg, model, _ = sequential
    prices = prices_mod.validate(cfg.prices)
    per_fte = prices.per_fte_year("gi") * (1 - model.staffing["gi"].vacancy_rate)
    sizing = pd.DataFrame({"organisation": ["gi", "rvdk"], "fte_today": [34.0, 6.0], "fte_needed": [40.0, 5.0]})
    out = costs.sizing_costs(model, prices, sizing)
    assert list(out["payer"]) == ["gemeenten", "rijk"]
    assert out["cost_change_per_year"].iloc[0] == pytest.approx(6 * per_fte, rel=1e-12)
    assert out["cost_change_per_year"].iloc[1] < 0  # one FTE less at the Raad saves money
    text = costs.format_sizing_costs(out, prices)
    assert "FTE needed and what they cost per year" in text and "rijk" in text
    days = pd.DataFrame({"organisation": ["gi"] * 4, "extra_fte": [0.0, 0.0, 10.0, 10.0],
                         "days_to_norm": [300.0, 400.0, 100.0, 120.0]})
    drained = costs.backlog_costs(model, prices, days, "gi").set_index("extra_fte")
    assert drained.loc[0.0, "extra_cost_until_norm"] == 0.0
    assert drained.loc[10.0, "extra_cost_per_year"] == pytest.approx(10 * per_fte, rel=1e-12)
    assert drained.loc[10.0, "extra_cost_until_norm"] == pytest.approx(10 * per_fte * 110 / 365, rel=1e-12)
    never = costs.backlog_costs(model, prices, days.assign(days_to_norm=[1.0, np.nan, 2.0, 3.0]), "gi")
    assert np.isnan(never.set_index("extra_fte").loc[0.0, "extra_cost_until_norm"])  # not within the norm by the end
    assert costs.sizing_costs(model, None, sizing) is sizing  # without prices: the table unchanged


def test_a_sweep_table_carries_each_points_costs_by_replication(tmp_path: Path):
    from sim.analysis import collect

    runs = pd.DataFrame({"scenario": ["sequential"] * 2, "replication": [0, 1], "capacity.gi": [10.0, 11.0]})
    priced = pd.DataFrame({"scenario": ["sequential"] * 2, "replication": [1, 0], "cost_total": [2.0e6, 1.0e6]})
    priced.to_csv(tmp_path / "costs.csv", index=False)
    point = collect.Point("p", tmp_path, [], "runs.csv")
    out = collect._with_costs(point, runs)
    assert list(out["cost_total"]) == [1.0e6, 2.0e6]  # matched by replication, not by row
    assert list(out["capacity.gi"]) == [10.0, 11.0]
    (tmp_path / "costs.csv").unlink()
    assert "cost_total" not in collect._with_costs(point, runs).columns  # a point without prices: no cost columns


def test_the_acceptability_curve_is_the_share_of_draws_whose_net_benefit_is_positive():
    # three draws: +100 euros for 10 days avoided, +100 for 50 days, -50 euros (cheaper) for 5 days MORE waiting
    diffs = pd.DataFrame({"workflow": ["w"] * 6, "draw": [0, 1, 2] * 2,
                          "kpi": [costs.TOTAL] * 3 + [costs.WAITING_DAYS] * 3,
                          "diff": [100.0, 100.0, -50.0, -10.0, -50.0, 5.0]})
    plane, curve = costs.cost_effectiveness(diffs)
    assert list(plane["waiting_days_avoided_per_year"]) == [10.0, 50.0, -5.0]
    p = curve.set_index("value_per_waiting_day")["p_worth_it"]
    assert p[0.0] == pytest.approx(1 / 3)  # worth nothing: only the cheaper draw (50 - 0 > 0)
    assert p[5.0] == pytest.approx(2 / 3)  # 5 x 50 > 100; 5 x 10 < 100; the cheaper one: 50 - 25 > 0
    assert p[20.0] == pytest.approx(2 / 3)  # 20 x 10 > 100 too, but the cheaper one now loses: 50 - 100 < 0
    assert (np.diff(curve["p_worth_it"].to_numpy()) <= 1).all()
    empty, _ = costs.cost_effectiveness(diffs[diffs["kpi"] == costs.TOTAL])
    assert empty.empty  # without waiting days there is no plane


def test_the_report_says_who_pays_what_in_english_and_dutch(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "run"
    args = [*SMALL, "run.quiet=true", f"hydra.run.dir={out}"]
    monkeypatch.setattr(sys, "argv", ["sim", *args])  # the Hydra app reads the command line itself
    cli.entry(args)
    summary = pd.read_csv(out / "costs_summary.csv").set_index("kpi")
    en = (out / "report.html").read_text(encoding="utf-8")
    nl = (out / "report_nl.html").read_text(encoding="utf-8")
    assert "What it costs and who pays" in en and "Paid by the Rijk" in en
    assert "Wat het kost en wie betaalt" in nl and "Betaald door Rijk" in nl
    total = summary.loc[costs.TOTAL, "mean"]
    assert f"{total / 1e6:,.2f} M" in en  # the table shows the run's own total
    by_path = pd.read_csv(out / "costs_by_path.csv")
    assert by_path["families_per_replication"].sum() > 0 and (by_path["cost_mean"] >= 0).all()


def test_assumed_prices_are_listed_but_never_drawn_by_the_uncertainty_analysis(sequential):
    from sim.analysis import uncertainty
    from sim.analysis.assumptions import assumptions_table

    cfg, model, _ = sequential
    table = assumptions_table(cfg, model)
    priced = table[table["file"] == "prices/nl_2024.yaml"]
    assert "prices.court_per_hearing" in set(priced["parameter"])  # an assumption in force, listed with its why
    drawn = uncertainty.candidates([("sequential", cfg, model)])
    assert drawn and not any(a.key.startswith("prices.") for a in drawn)  # no simulated draw moves with a price


def test_a_price_file_that_is_not_there_is_one_line_at_the_edge_and_no_error_in_a_worker(capsys, monkeypatch,
                                                                                           tmp_path: Path):
    line = refused(cli.entry, ["region=demo", "prices.name=nowhere"], capsys, monkeypatch, tmp_path)
    assert line.startswith("ketensim: error: prices.name = 'nowhere' (no prices/nowhere.yaml in the configuration")
    # a worker process (no Hydra folders known) cannot see a user's folder: the preflight checked it already
    from hydra.core.global_hydra import GlobalHydra
    from omegaconf import OmegaConf

    GlobalHydra.instance().clear()
    spec = OmegaConf.load(CONF / "prices" / "nl_2024.yaml")
    spec.name = "nowhere"
    assert prices_mod.validate(spec).per_fte_year("gi") == pytest.approx(4100 * 12.96 * 1.3 * 1.3)
