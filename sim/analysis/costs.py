"""What the chain costs, in euros: a run's tables priced with ``prices.*`` (conf/prices/, sim/config/prices.py).

The chain and the simulation know no euros; this module reads a run's tables afterwards, so no simulated number
depends on a price. Per replication (so every cost has a 95 % interval over replications and a comparison can pair
them on the same families):

- **staff cost per organisation** (euros per year): filled FTE x the employer cost of one FTE. Filled FTE is the
  region's paper FTE minus its vacancies (``staffing.<org>.vacancy_rate``); with staff dynamics it follows the run:
  the mean filled FTE (``filled_fte_mean``: on the payroll, hires in onboarding and staff off sick included), so
  leavers' open positions during the hiring delay lower it. A workflow that moves staff
  into a team moves, not adds, them (sim/scenarios/partners.py): their employer and payer stay the partner's.
- **payers** (euros per year): the Rijk pays the Raad's staff and the court hearings; the gemeenten pay Veilig
  Thuis's and the buurtteam's staff and the GIs per measure at the tariff (child-years of running measures x the
  tariff of the measure: :func:`gi_child_years`, whoever executes the measure). The GI's own staff cost is what the tariffs fund: ``cost_gi_tariff_minus_staff`` says by
  how much the tariffs cover it. ``cost_total`` = the payers' sum (payer view, per year).
- **transition** (one-off, euros): forming a team out of the partners' staff: training of every FTE moved, their
  double running and a fixed amount per team.
- **per family** (euros over the observation window): each pool's staff in use (``fte_in_use.<pool>`` x the cost of
  one present FTE of its organisation) shared over the families in proportion to the days they held a place there
  (children x days at the Raad and the GI; consult and meeting hours at the expert pools). What no family held
  (idle places, presence, vacancies' pipeline, staff time of families that arrived before the window) is
  ``cost_unallocated``: families + unallocated = staff cost of the window, exactly.
"""

from __future__ import annotations

import math
from typing import Mapping

import numpy as np
import pandas as pd

from sim.chain import kpis
from sim.chain.entities import WAIT_ORGS, kind_pool
from sim.chain.model import Model
from sim.config.prices import PAYERS, Prices
from sim.kernel.stats import confidence_interval
from sim.scenarios import fte_plan

STAFF = "cost_staff"  # cost_staff.<org>: euros per year
PAYER = "cost_payer"  # cost_payer.<payer>: euros per year
STAFF_TOTAL = "cost_staff_total"
COURT = "cost_court"
GI_TARIFF = "cost_gi_tariff"
GI_MARGIN = "cost_gi_tariff_minus_staff"
TOTAL = "cost_total"
TRANSITION = "cost_transition_once"
PER_FAMILY = "cost_per_family_mean"
UNALLOCATED = "cost_unallocated_share"
COST_KPIS_NOTE = "euros per year (cost_transition_once: one-off; cost_per_family_mean: euros per family episode)"

# the days a family held a place in a pool of this kind: (start, end) milestones, counted per child or per family
_SPANS: Mapping[str, tuple[tuple[str, str, bool], ...]] = {
    "veilig_thuis.triage": (("triage_start", "triage_end", False),),
    "veilig_thuis.casus": (("vt_onderzoek_start", "vt_onderzoek_end", False),
                           ("vt_vervolg_start", "vt_vervolg_end", False)),
    "buurtteam": (("buurtteam_start", "buurtteam_end", False),),
    "rvdk": (("rvdk_start", "rvdk_end", True),),
    "gi": (("gi_assigned", "measure_end", True),),
    "veiligheidsteam.triage": (("triage_start", "triage_end", False),),
    "veiligheidsteam": (("team_start", "team_end", False),),
}
MEASURES = ("ots", "ots_uhp", "voogdij")


def _span_days(fam: pd.DataFrame, start: str, end: str, window: float) -> np.ndarray:
    s = fam[start].to_numpy(dtype=float)
    e = fam[end].to_numpy(dtype=float)
    e = np.where(np.isnan(e) & ~np.isnan(s), window, e)  # still holding at the window's end
    s, e = np.clip(s, 0.0, window), np.clip(e, 0.0, window)
    return np.nan_to_num(np.maximum(e - s, 0.0))


def family_pool_days(fam: pd.DataFrame, pool: str, window: float) -> np.ndarray:
    """Per family (row of ``fam``) its days (x children where the unit is a child) in a pool of this kind within
    the window; at an expert pool its consult and meeting hours. Zeros for a pool no family held."""
    kind = kind_pool(pool)
    if kind.startswith("expertise."):
        return (fam["consult_hours"].to_numpy(dtype=float) + fam["meeting_hours"].to_numpy(dtype=float))
    out = np.zeros(len(fam))
    for start, end, per_child in _SPANS.get(kind, ()):
        d = _span_days(fam, start, end, window)
        out += d * fam["n_children"].to_numpy(dtype=float) if per_child else d
    unit = {"gi": "gi_unit", "veilig_thuis.triage": "vt_unit", "veilig_thuis.casus": "vt_unit"}.get(kind)
    if kind != pool and unit in fam.columns:  # one organisation of a kind (region.units): its own families only
        name = pool.split("[", 1)[1].rstrip("]")
        out = np.where(fam[unit].to_numpy() == name, out, 0.0)
    return out


WAITING_DAYS = "waiting_days_per_year"  # family-days on a waiting list per year (not a cost: no cost_ prefix)


def family_waiting_days(fam: pd.DataFrame) -> float:
    """Days the families of the table waited for a place, summed over families and organisations (``wait_<org>``:
    completed waits, in family-days whatever the organisation's own unit, so workflows compare like with like; a
    family still waiting at the window's end is not counted)."""
    cols = [f"wait_{o}" for o in WAIT_ORGS if f"wait_{o}" in fam.columns]
    return float(fam[cols].fillna(0.0).to_numpy(dtype=float).sum())


def gi_child_years(fam: pd.DataFrame, window: float) -> np.ndarray:
    """Children under a running measure per year of the window, per measure (MEASURES' order), whoever executes it
    (the GI, or a team under its own mandate): from the court's decision (the GI's request for measures running on
    the start date) to the measure's end or the window's end, x children, for the families of the table. The same
    rule in every workflow, so a paired difference compares like with like; with a warm-up, measures of families
    that arrived before the window are not in the table (in every arm alike): run.start=today for levels."""
    years = window / 365.0
    out = []
    for m in MEASURES:
        f = fam[fam["measure"] == m]
        start = f["court_decision"].fillna(f["gi_request"]).fillna(0.0).to_frame("s")
        f = f.assign(_start=start["s"].to_numpy())
        out.append(float((_span_days(f, "_start", "measure_end", window) * f["n_children"].to_numpy(dtype=float))
                         .sum()) / 365.0 / years)
    return np.array(out)


def paid_fte(model: Model, runs: pd.DataFrame) -> pd.DataFrame:
    """Filled (paid) FTE per employer organisation and replication (rows: runs' order)."""
    out = {}
    dyn = model.staff_dynamics
    for org, st in model.staffing.items():
        static = st.fte * (1.0 - st.vacancy_rate)
        filled, paper = kpis.of(kpis.FILLED_FTE_MEAN, org), kpis.of(kpis.PAPER_FTE_MEAN, org)
        if dyn is not None and org in dyn.orgs and filled in runs.columns:
            own = st.fte + dyn.orgs[org].extra_fte
            # the filled share of the paper FTE (the run's paper FTE may be the region's scaled to the workforce):
            # hires in onboarding and staff off sick are paid, vacancies are not
            out[org] = own * runs[filled].to_numpy(dtype=float) / runs[paper].to_numpy(dtype=float)
        else:
            out[org] = np.full(len(runs), static)
    return pd.DataFrame(out, index=runs.index)


def moved_fte(model: Model) -> dict[str, float]:
    """Paper FTE each partner gives to a team or to expert and meeting duty under the workflow."""
    params = getattr(model.scenario.params, "staffing", None)
    if params is None:
        return {}
    return {org: max(st.fte - params[org].fte, 0.0) for org, st in model.staffing.items() if org in params}


def transition_cost(model: Model, prices: Prices) -> float:
    """One-off euros of forming the workflow's joint structures (0 for today's chain)."""
    moved = moved_fte(model)
    t = prices.transition
    total = sum(fte * (t.training_per_fte * prices.index + prices.per_fte_year(org) * t.double_running_months / 12.0)
                for org, fte in moved.items())
    teams = 1 if fte_plan(model).get("veiligheidsteam", 0.0) > 0 else 0
    return total + teams * t.fixed_per_team * prices.index


def _pool_rate(pool_org: str, model: Model, prices: Prices, moved: Mapping[str, float]) -> float:
    """Euros per year of one present (at work, casework) FTE of a pool's organisation; a team's staff are its
    partners', weighted by the FTE each moved."""
    def rate(org: str) -> float:
        return prices.per_fte_year(org) / model.staffing[org].productive_share
    if pool_org in model.staffing:
        return rate(pool_org)
    total = sum(moved.values())
    if total <= 0:
        return math.nan
    return sum(fte * rate(org) for org, fte in moved.items()) / total


def run_costs(model: Model, prices: Prices, runs: pd.DataFrame, families: pd.DataFrame,
              timeseries: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(cost KPIs per replication, one row each with the runs table's scenario and replication; the families'
    cost: scenario, replication, case_id, path (orgs_involved) and cost in euros over the window)."""
    years = model.run.years
    window = years * 365.0
    fte = paid_fte(model, runs)
    moved = moved_fte(model)
    pool_org = (timeseries[["pool", "organisation"]].drop_duplicates().astype(str)
                .set_index("pool")["organisation"].to_dict())
    rows, fam_rows = [], []
    for i, (_, run) in enumerate(runs.iterrows()):
        rep = run["replication"]
        row: dict[str, object] = {"scenario": run["scenario"], "replication": rep}
        staff = {org: float(fte[org].iloc[i]) * prices.per_fte_year(org) for org in model.staffing}
        for org, c in staff.items():
            row[f"{STAFF}.{org}"] = c
        row[STAFF_TOTAL] = sum(staff.values())
        fam = families[families["replication"] == rep]
        hearings = float(fam["court_hearings"].sum()) / years
        row[COURT] = hearings * prices.court_per_hearing * prices.index
        row[GI_TARIFF] = gi_child_years(fam, window) @ np.array([prices.gi_tariff[m] for m in MEASURES]) \
            * prices.index
        row[GI_MARGIN] = row[GI_TARIFF] - staff["gi"]
        payer = dict.fromkeys(PAYERS, 0.0)
        for org, c in staff.items():
            if org != "gi":  # the GI is paid by tariff, not for its staff
                payer[prices.orgs[org].payer] += c
        payer["gemeenten"] += row[GI_TARIFF]
        payer["rijk"] += row[COURT]
        for p, c in payer.items():
            row[f"{PAYER}.{p}"] = c
        row[TOTAL] = sum(payer.values())
        row[TRANSITION] = transition_cost(model, prices)
        row[WAITING_DAYS] = family_waiting_days(fam) / years
        # staff cost per family: each pool's staff in use shared over the families by the days they held it
        cost = np.zeros(len(fam))
        for pool, org in pool_org.items():
            col = kpis.of(kpis.FTE_IN_USE, pool)
            if col not in run.index:  # the timeseries names each organisation's own pools (gi[x]), never a kind's sum
                continue
            in_use = float(run[col]) * _pool_rate(org, model, prices, moved) * years
            days = family_pool_days(fam, pool, window)
            if np.isfinite(in_use) and days.sum() > 0:
                cost += in_use * days / days.sum()
        window_staff = row[STAFF_TOTAL] * years
        row[PER_FAMILY] = float(cost.mean()) if len(cost) else math.nan
        row[UNALLOCATED] = (window_staff - float(cost.sum())) / window_staff if window_staff > 0 else math.nan
        rows.append(row)
        fam_rows.append(pd.DataFrame({"scenario": fam["scenario"].to_numpy(), "replication": rep,
                                      "case_id": fam["case_id"].to_numpy(), "path": fam["orgs_involved"].to_numpy(),
                                      "cost": cost}))
    per_family = pd.concat(fam_rows, ignore_index=True) if fam_rows else pd.DataFrame(
        columns=["scenario", "replication", "case_id", "path", "cost"])
    return pd.DataFrame(rows), per_family


def by_path(per_family: pd.DataFrame) -> pd.DataFrame:
    """Mean euros per family episode by path (the organisations it went through), with the families per
    replication on that path."""
    if per_family.empty:
        return pd.DataFrame(columns=["path", "families_per_replication", "cost_mean"])
    reps = per_family["replication"].nunique()
    g = per_family.assign(path=per_family["path"].replace("", "(none)")).groupby("path")["cost"]
    out = pd.DataFrame({"families_per_replication": g.size() / reps, "cost_mean": g.mean()}).reset_index()
    return out.sort_values("families_per_replication", ascending=False, ignore_index=True)


def cost_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if str(c).startswith("cost_")]


def summarise(costs: pd.DataFrame) -> pd.DataFrame:
    """One row per cost KPI: mean, 95 % t-interval and sd over replications (euros)."""
    rows = []
    for kpi in cost_columns(costs):
        values = costs[kpi].to_numpy(dtype=float)
        mean, lo, hi, sd = confidence_interval(values)
        if np.nanmin(values, initial=0.0) >= 0:  # a cost that cannot be negative has no negative lower bound
            lo = max(lo, 0.0)
        rows.append((kpi, mean, lo, hi, sd, int(np.isfinite(values).sum())))
    return pd.DataFrame.from_records(rows, columns=["kpi", "mean", "ci_low", "ci_high", "sd", "n_replications"])


def tables(model: Model, prices: Prices | None, run_tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The cost tables of a run (``costs``: per replication; ``costs_summary``; ``costs_by_path``); {} without
    prices (a configuration with no ``prices`` section)."""
    if prices is None:
        return {}
    per_rep, per_family = run_costs(model, prices, run_tables["runs"], run_tables["families"],
                                    run_tables["timeseries"])
    return {"costs": per_rep, "costs_summary": summarise(per_rep), "costs_by_path": by_path(per_family)}


def _eur(v: float) -> str:
    if not np.isfinite(v):
        return "-"
    return f"{v / 1e6:,.2f} M" if abs(v) >= 1e5 else f"{v:,.0f}"


def format_costs(summary: pd.DataFrame, prices: Prices) -> str:
    """The printed cost table: euros of report_year, mean and 95 % interval over replications."""
    lines = [f"costs (euros of {prices.report_year}, prices {prices.name}; per year unless marked; "
             f"sim/analysis/costs.py)"]
    for _, r in summary.iterrows():
        if r["kpi"] == UNALLOCATED:
            text = f"{r['mean']:.0%}  [{r['ci_low']:.0%}, {r['ci_high']:.0%}]"
        else:
            text = f"{_eur(r['mean']):>12}  [{_eur(r['ci_low'])}, {_eur(r['ci_high'])}]"
        lines.append(f"{r['kpi']:<32} {text}")
    return "\n".join(lines)


# ====================================================================== comparison: paired cost differences

PER_DAY_AVOIDED = "cost_per_waiting_day_avoided"  # extra euros per year / waiting days avoided per year
BOOTSTRAP = 2000  # resamples of the replication pairs for the interval of a ratio
BOOTSTRAP_SEED = 17  # fixed: the same comparison gives the same interval


def _ratio_interval(cost: np.ndarray, avoided: np.ndarray) -> tuple[float, float, float]:
    """Ratio of the mean paired differences (euros per waiting day avoided) with a percentile bootstrap interval
    over the replication pairs; NaN when no waiting is avoided on average."""
    if not len(cost) or np.mean(avoided) <= 0:
        return math.nan, math.nan, math.nan
    ratio = float(np.mean(cost) / np.mean(avoided))
    if len(cost) < 2:
        return ratio, math.nan, math.nan
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    idx = rng.integers(0, len(cost), size=(BOOTSTRAP, len(cost)))
    c, a = cost[idx].mean(axis=1), avoided[idx].mean(axis=1)
    r = np.where(a > 0, c / np.where(a > 0, a, 1.0), np.inf)  # a resample that avoids no waiting: no finite price
    lo, hi = np.quantile(r, [0.025, 0.975])
    return ratio, float(lo), float(hi)


COMPARE_COLUMNS = ("workflow", "baseline", "kpi", "mean_baseline", "mean_workflow", "diff_mean", "diff_ci_low",
                   "diff_ci_high", "n_pairs")


def compare(base_costs: pd.DataFrame, alt_costs: pd.DataFrame, baseline: str, workflow: str) -> pd.DataFrame:
    """Per cost KPI the paired difference (workflow - baseline, same families in each replication) with its 95 %
    t-interval; then the waiting days avoided per year and the extra euros per year per waiting day avoided
    (``cost_total`` difference / waiting days avoided, bootstrap interval; the one-off transition apart). Waiting
    days are family-days (:func:`family_waiting_days`), the same unit in every workflow."""
    b, a = base_costs.set_index("replication"), alt_costs.set_index("replication")
    reps = b.index.intersection(a.index)
    rows = []
    for kpi in [k for k in cost_columns(a) if k in b.columns]:
        x, y = b.loc[reps, kpi].to_numpy(dtype=float), a.loc[reps, kpi].to_numpy(dtype=float)
        mean, lo, hi, _ = confidence_interval(y - x)
        rows.append((workflow, baseline, kpi, float(np.mean(x)), float(np.mean(y)), mean, lo, hi, len(reps)))
    wb = b.loc[reps, WAITING_DAYS].to_numpy(dtype=float)
    wa = a.loc[reps, WAITING_DAYS].to_numpy(dtype=float)
    mean, lo, hi, _ = confidence_interval(wb - wa)
    rows.append((workflow, baseline, "waiting_days_avoided_per_year", float(np.mean(wb)), float(np.mean(wa)),
                 mean, lo, hi, len(reps)))
    extra = a.loc[reps, TOTAL].to_numpy(dtype=float) - b.loc[reps, TOTAL].to_numpy(dtype=float)
    ratio, rlo, rhi = _ratio_interval(extra, wb - wa)
    rows.append((workflow, baseline, PER_DAY_AVOIDED, math.nan, math.nan, ratio, rlo, rhi, len(reps)))
    return pd.DataFrame.from_records(rows, columns=COMPARE_COLUMNS)


def format_compare(table: pd.DataFrame, workflow: str) -> str:
    """The printed cost comparison of one workflow with the baseline."""
    rows = table[table["workflow"] == workflow]
    if rows.empty:
        return ""
    lines = [f"costs, {workflow} - {rows['baseline'].iloc[0]} (euros per year unless marked; paired, 95% CI):"]
    for _, r in rows.iterrows():
        if r["kpi"] == UNALLOCATED:
            continue
        if r["kpi"] == "waiting_days_avoided_per_year":
            text = f"{r['diff_mean']:>12,.0f}  [{r['diff_ci_low']:,.0f}, {r['diff_ci_high']:,.0f}] family-days"
        elif r["kpi"] == PER_DAY_AVOIDED:
            text = (f"{_eur(r['diff_mean']):>12}  [{_eur(r['diff_ci_low'])}, {_eur(r['diff_ci_high'])}] euros "
                    f"(no waiting avoided: -)")
        else:
            text = f"{_eur(r['diff_mean']):>12}  [{_eur(r['diff_ci_low'])}, {_eur(r['diff_ci_high'])}]"
        lines.append(f"  {r['kpi']:<32} {text}")
    return "\n".join(lines)


# ====================================================================== sizing and backlog: what extra FTE cost


def fte_cost_per_year(model: Model, prices: Prices, org: str, fte: float) -> float:
    """Euros per year of ``fte`` paper FTE of ``org`` (staffing.<org>), its vacancies unpaid (vacancy_rate)."""
    return fte * (1.0 - model.staffing[org].vacancy_rate) * prices.per_fte_year(org)


def sizing_costs(model: Model, prices: Prices | None, table: pd.DataFrame) -> pd.DataFrame:
    """The sizing table (sim.size: organisation, fte_today, fte_needed) with what the FTE cost per year and who
    pays (the GI's through the tariff): cost_today, cost_needed and their difference, euros per year."""
    if prices is None or table.empty:
        return table
    out = table.copy()
    out["payer"] = [prices.orgs[o].payer for o in out["organisation"]]
    out["cost_today_per_year"] = [fte_cost_per_year(model, prices, o, f)
                                  for o, f in zip(out["organisation"], out["fte_today"])]
    out["cost_needed_per_year"] = [fte_cost_per_year(model, prices, o, f)
                                   for o, f in zip(out["organisation"], out["fte_needed"])]
    out["cost_change_per_year"] = out["cost_needed_per_year"] - out["cost_today_per_year"]
    return out


def format_sizing_costs(table: pd.DataFrame, prices: Prices) -> str:
    """'FTE needed and what they cost per year', one line per organisation and the total."""
    if "cost_needed_per_year" not in table.columns:
        return ""
    lines = [f"FTE needed and what they cost per year (euros of {prices.report_year}, prices {prices.name}; "
             f"filled FTE x employer cost; the GI's paid by the gemeenten through the tariff):",
             f"{'organisation':<14} {'payer':<10} {'FTE needed':>10} {'cost needed':>13} {'change vs today':>16}"]
    for _, r in table.iterrows():
        lines.append(f"{r['organisation']:<14} {r['payer']:<10} {r['fte_needed']:>10.4g} "
                     f"{_eur(r['cost_needed_per_year']):>13} {_eur(r['cost_change_per_year']):>16}")
    lines.append(f"{'total':<25} {table['fte_needed'].sum():>10.4g} {_eur(table['cost_needed_per_year'].sum()):>13} "
                 f"{_eur(table['cost_change_per_year'].sum()):>16}")
    return "\n".join(lines)


def backlog_costs(model: Model, prices: Prices | None, days: pd.DataFrame, org: str) -> pd.DataFrame:
    """What clearing the lists costs, per organisation whose list is normed and level of extra FTE at ``org``
    (sim.backlog's per-replication ``days``: organisation, extra_fte, days_to_norm): ``extra_cost_per_year`` (the
    positions once filled) and ``extra_cost_until_norm`` (that cost over the mean days until the list is within its
    norm, paid from day 0: an upper bound, the hires start after the hiring delay; NaN when a replication's list is
    not within its norm by the run's end). Empty without prices."""
    if prices is None or days.empty:
        return pd.DataFrame()
    rows = []
    for (o, level), g in days.groupby(["organisation", "extra_fte"], sort=True):
        per_year = fte_cost_per_year(model, prices, org, float(level))
        d = g["days_to_norm"].to_numpy(dtype=float)
        mean = float(d.mean()) if np.isfinite(d).all() else math.nan
        rows.append({"organisation": o, "extra_fte_org": org, "extra_fte": float(level), "days_to_norm_mean": mean,
                     "extra_cost_per_year": per_year, "extra_cost_until_norm": per_year * mean / 365.0,
                     "price_year": prices.report_year})
    return pd.DataFrame(rows)


# ====================================================================== uncertainty: cost-effectiveness plane

WTP_GRID = (0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1_000.0, 2_000.0, 5_000.0, 10_000.0)
"""Euros a waiting day avoided may be worth (one case one day less on a waiting list): the acceptability curve's x."""


def draw_kpis(model: Model, prices: Prices | None, runs: pd.DataFrame, families: pd.DataFrame,
              timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per replication (index) the two numbers the cost-effectiveness plane needs from one run of one draw:
    ``cost_total`` (euros per year, payers' view) and ``waiting_days_per_year`` (family-days); empty without
    prices."""
    if prices is None:
        return pd.DataFrame(index=pd.Index(runs["replication"], name="replication"))
    per_rep, _ = run_costs(model, prices, runs, families, timeseries)
    return per_rep.set_index("replication")[[TOTAL, WAITING_DAYS]]


def cost_effectiveness(diffs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From the uncertainty's paired differences per draw (workflow, draw, kpi, diff: workflow - baseline, mean over
    the draw's replications): the cost-effectiveness plane (per workflow and draw: extra euros per year and waiting
    days avoided per year) and the acceptability curve (per workflow and value of a waiting day avoided:
    P(the alternative is worth it) = the share of draws whose net benefit, value x days avoided - extra euros, is
    positive). Empty tables when the draws carry no costs."""
    plane_cols = ["workflow", "draw", "extra_cost_per_year", "waiting_days_avoided_per_year"]
    curve_cols = ["workflow", "value_per_waiting_day", "p_worth_it", "n_draws"]
    d = diffs[diffs["kpi"].isin([TOTAL, WAITING_DAYS])]
    if d.empty or d["kpi"].nunique() < 2:
        return pd.DataFrame(columns=plane_cols), pd.DataFrame(columns=curve_cols)
    wide = d.pivot_table(index=["workflow", "draw"], columns="kpi", values="diff").dropna().reset_index()
    plane = pd.DataFrame({"workflow": wide["workflow"], "draw": wide["draw"], "extra_cost_per_year": wide[TOTAL],
                          "waiting_days_avoided_per_year": -wide[WAITING_DAYS]})
    rows = []
    for wf, g in plane.groupby("workflow", sort=False):
        cost, avoided = g["extra_cost_per_year"].to_numpy(), g["waiting_days_avoided_per_year"].to_numpy()
        for value in WTP_GRID:
            rows.append((wf, value, float(np.mean(value * avoided - cost > 0)), len(g)))
    return plane[plane_cols], pd.DataFrame.from_records(rows, columns=curve_cols)


def format_acceptability(curve: pd.DataFrame) -> str:
    """The printed acceptability curve: P(worth it) per value of a waiting day avoided."""
    lines = []
    for wf, g in curve.groupby("workflow", sort=False):
        pts = "  ".join(f"{v:g}: {p:.2f}" for v, p in zip(g["value_per_waiting_day"], g["p_worth_it"]))
        lines.append(f"\n{wf}: P(worth it) by euros a waiting day avoided is worth ({int(g['n_draws'].iloc[0])} "
                     f"draws; acceptability.csv, cost_effectiveness.csv):\n  {pts}")
    return "\n".join(lines)
