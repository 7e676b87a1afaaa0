"""The emulator of ``uncertainty.method=emulator`` against draws simulated by another design (docs/uncertainty.md).

An emulator run (independent draws, ``emulator_check.csv`` already holds its error on its own held-back draws) and a
Saltelli run of the same comparison, region and code: the emulator, fitted exactly as the run fitted it, predicts
the paired difference of every draw of the Saltelli run, none of which it saw. Per KPI: R^2 on the emulator run's
held-back draws and on the Saltelli run's draws, P(better) from each run, and the three largest total indices from
each. Prints a Markdown table.

    .venv/bin/python experiments/emulator_validation.py results/uncertainty/emu256 results/uncertainty/round3_crn

Both folders are rebuilt into plans from the command line they were run with (the default Gelderland comparison
plus ``uncertainty.method=emulator uncertainty.draws=N`` for the first): same configuration, same design.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim import app  # noqa: E402
from sim.analysis import emulator, voi  # noqa: E402
from sim.analysis import uncertainty as unc  # noqa: E402
from sim.chain import kpis  # noqa: E402


def _plan(args: list[str]) -> unc.Plan:
    return app.validated("uncertainty", args, lambda cfg: unc.make_plan(cfg, None), example="x=1")


def _y(table: pd.DataFrame, plan: unc.Plan, wf: str, kpi: str) -> np.ndarray:
    d = unc.differences(table, plan.baseline)
    return d[(d["workflow"] == wf) & (d["kpi"] == kpi)].set_index("draw")["diff"].reindex(range(plan.draws)).to_numpy(
        dtype=float)


def _r2(y: np.ndarray, pred: np.ndarray) -> float:
    ok = np.isfinite(y) & np.isfinite(pred)
    y, pred = y[ok], pred[ok]
    return 1.0 - float(((y - pred) ** 2).sum()) / float(((y - y.mean()) ** 2).sum())


def _top(names: list[str], res: emulator.Indices) -> str:
    top = np.argsort(-np.nan_to_num(res.ST, nan=-1.0))[:3]
    return ", ".join(f"{names[j]} {res.ST[j]:.2f} (±{res.ST_conf[j]:.2f})" for j in top if np.isfinite(res.ST[j]))


def _top_saltelli(sob: pd.DataFrame, wf: str, kpi: str) -> str:
    s = sob[(sob["workflow"] == wf) & (sob["kpi"] == kpi) & np.isfinite(sob["ST"])].nlargest(3, "ST")
    return ", ".join(f"{r['key'].rsplit('.', 1)[-1]} {r['ST']:.2f} (±{r['ST_conf']:.2f})" for _, r in s.iterrows())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("emulated", type=Path)
    ap.add_argument("saltelli", type=Path)
    ap.add_argument("--region", default="gelderland")
    ap.add_argument("--jobs", type=int, default=2)
    a = ap.parse_args()
    em_table = pd.read_parquet(a.emulated / "uncertainty.parquet")
    sa_table = pd.read_parquet(a.saltelli / "uncertainty.parquet")
    draws_em = int(em_table["draw"].max()) + 1
    draws_sa = int(sa_table["draw"].max()) + 1
    em_plan = _plan([f"region={a.region}", "uncertainty.method=emulator", f"uncertainty.draws={draws_em}"])
    sa_plan = _plan([f"region={a.region}", f"uncertainty.draws={draws_sa}"])
    assert [x.name for x in em_plan.assumptions] == [x.name for x in sa_plan.assumptions]
    names = [x.key.rsplit(".", 1)[-1] for x in em_plan.assumptions]
    sob_sa = pd.read_csv(a.saltelli / "sobol.csv")
    kpis_ = unc.reported_kpis(em_table["kpi"].unique())
    pairs = [(wf, k) for wf, _ in em_plan.members[1:] for k in kpis_]
    ys = {p: _y(em_table, em_plan, *p) for p in pairs}
    emulated = unc.emulate(em_plan, ys, a.jobs)  # the very fits the command makes (same options, same seed)
    print(f"emulator run: {draws_em} draws ({a.emulated}); Saltelli run: {draws_sa} draws ({a.saltelli})\n")
    print("| KPI | R² held back (n) | R² on the Saltelli run's draws | P(better) emulator run / Saltelli run | "
          "largest total indices, emulator | largest total indices, Saltelli |")
    print("|---|---|---|---|---|---|")
    for (wf, kpi), res in emulated.items():
        y_sa = _y(sa_table, sa_plan, wf, kpi)
        if res.fitted is None or np.nanstd(y_sa) == 0:
            continue
        lower = kpis.find(kpi).lower_is_better
        p_em, p_sa = voi.spread(ys[(wf, kpi)], lower).p_better, voi.spread(y_sa, lower).p_better
        print(f"| {kpi} | {res.check.r2:.2f} ({res.check.n_held}) | {_r2(y_sa, res.fitted(sa_plan.unit)):.2f} | "
              f"{p_em:.2f} / {p_sa:.2f} | {_top(names, res)} | {_top_saltelli(sob_sa, wf, kpi)} |", flush=True)


if __name__ == "__main__":
    main()
