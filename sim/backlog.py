"""``python -m sim.backlog``: the command line of the backlog drain (sim/analysis/backlog.py)."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim import app
from sim.analysis import costs
from sim.analysis.backlog import drain, plan
from sim.chain import kpis
from sim.config import prices as prices_mod
from sim.kernel import stats
from sim.run import console, output


def format_table(days: pd.DataFrame, horizon_days: float) -> str:
    """The drain per organisation and level; 'drained' is the share of replications whose list met its norm once,
    'still growing' the share whose list was growing at the end all the same (then it met the norm in passing,
    e.g. a front desk whose list is short but whose work piles up: the drain is not a finding there)."""
    rows, notes = [], []
    for (org, level), g in days.groupby(["organisation", "extra_fte"], sort=True):
        mean, low, high, _ = stats.confidence_interval(g["days_to_norm"].to_numpy())
        band = f"{mean:.0f} [{low:.0f}, {high:.0f}]" if math.isfinite(low) else (
            f"{mean:.0f}" if math.isfinite(mean) else f"> {horizon_days:.0f}")
        growing = float(g["growing"].mean()) if "growing" in g.columns else math.nan
        rows.append((org, f"{level:g}", band, f"{g['days_to_norm'].notna().mean():.0%}",
                     "-" if math.isnan(growing) else f"{growing:.0%}", f"{g[kpis.AVAILABLE_FTE_MEAN].mean():.1f}"))
        if growing >= 0.5 and g["days_to_norm"].notna().any():
            notes.append(f"NOTE: {org} at extra FTE {level:g}: its list met the norm, but was still growing at the "
                         f"end in {growing:.0%} of the replications (saturated): not drained for good")
    table = console.table(["organisation", "extra FTE", "days to norm (95% CI)", "drained", "still growing",
                           "avail. FTE"], rows, right=("extra FTE", "days to norm (95% CI)", "drained",
                                                       "still growing", "avail. FTE"))
    return "\n".join([table, *notes])


def format_costs(table: pd.DataFrame, year: int) -> str:
    """What clearing the lists costs: the extra FTE per year and until each list is within its norm."""
    lines = [f"cost of clearing (euros of {year}): extra FTE per year, and until the list is within its norm "
             f"(paid from day 0, an upper bound)",
             f"{'organisation':<22}{'extra FTE':>10}{'per year':>14}{'until norm':>14}"]
    for _, r in table.iterrows():
        until = r["extra_cost_until_norm"]
        lines.append(f"{r['organisation']:<22}{r['extra_fte']:>10g}{r['extra_cost_per_year']:>14,.0f}"
                     f"{(f'{until:,.0f}' if math.isfinite(until) else 'not by the end'):>14}")
    return "\n".join(lines)


def run_app(cfg: DictConfig, out_dir: Path | None) -> pd.DataFrame:
    started = time.perf_counter()
    p = plan(cfg)
    days, table = drain(p, progress=not p.models[0].run.quiet)
    seconds = time.perf_counter() - started
    model = p.models[0]
    prices = prices_mod.validate(cfg.get("prices"), sources=False)
    priced = costs.backlog_costs(model, prices, days, p.org)  # what the extra FTE cost: priced afterwards
    text = format_table(days, model.horizon_days)
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        output.write_text(out_dir / "config_resolved.yaml", OmegaConf.to_yaml(cfg))
        written = {"backlog_drain": table, "backlog_days": days} | ({"backlog_costs": priced} if len(priced) else {})
        output.write_results(out_dir, written, ["csv"], OmegaConf.to_yaml(cfg),
                             extra={"scenario": model.scenario.name, "region": model.region_name,
                                    "wall_seconds": round(seconds, 1)})
    print(f"Backlog drain, {model.region_name}, {model.scenario.name}: extra FTE at {p.org} "
          f"(hires spread over {p.spread_days:g} days after the hiring delay), {model.run.replications} "
          f"replications x {model.run.years:g} years, paired seeds")
    print(text)
    if len(priced):
        print(format_costs(priced, prices.report_year))
    print(f"{len(p.levels)} levels simulated in {seconds:.0f} s" + (f"; results: {out_dir}" if out_dir else ""))
    return table


# ====================================================================== command line


def preflight(argv: list[str]) -> None:
    """Compose and validate exactly what the Hydra app will run. Raises ConfigError."""
    app.validated("backlog", argv, plan, example="backlog.org=gi",
                  single_run="sim.backlog compares its own levels: set backlog.extra_fte=[0,10,20]")


def _job(cfg: DictConfig, out_dir: Path) -> None:
    with output.guarded(out_dir):  # a failure: error.txt, and no marker
        run_app(cfg, out_dir)


def main(argv: list[str] | None = None) -> None:
    app.entry(argv, preflight, lambda: app.run_hydra("backlog", _job))


if __name__ == "__main__":
    main()
