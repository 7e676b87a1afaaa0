"""Capacity: the largest demand each workflow carries, its bottleneck, and lead time against demand
(``python -m sim.capacity``).

A planner asks how much more demand the chain can take with today's staff before a waiting list grows without
bound, which organisation gives way first, and how lead times rise on the way there. Demand is ``demand.scale``
(1 = the region's meldingen and direct requests today; hermeldingen follow from them).

* **Capacity** (:func:`max_scale`, analytic, vectorised over staffings): the largest ``demand.scale`` at which
  every pool is stable (offered load below its usable places, ``sim/analysis/screening.py``). Every arrival rate scales
  with demand, and so do the holds that include another pool's wait, so it is found by bisection on the scale.
  Two **bottlenecks**: the pool whose waiting list grows first above capacity, and the organisation whose extra
  FTE buys the most demand (they differ when a pool's holds include another's wait: Veilig Thuis keeps families
  while the Raad's list grows). Capacity is non-decreasing in every organisation's FTE: more places never raise
  a load (``tests/test_capacity.py``).
* **Confirmation** (simulation, same seeds): at ``capacity x (1 - margin)`` no waiting list may keep growing
  (``sim.chain.tables.is_unstable`` in half the replications or more), at ``capacity x (1 + margin)`` one must. The
  default margin is 10 %: closer to the limit a list's length drifts for years either way, and a run of a few
  years cannot tell a slow drift from growth.
  A list only shows its growth within the window if the window is long against the bottleneck's mean hold (the
  GI holds a child for years): the printed summary says so when it is not.
* **The curve** (``capacity.csv``, the columns ``sim/analysis/derived.CAPACITY`` draws, docs/model.md "Output
  tables"): per workflow and demand level the KPI (default ``lead_time_help_km_p90``, families still waiting counted) over replications with its 95 %
  CI, whether a list kept growing and where, beside the analytic value.

Workflows come from their own ``conf/scenario/<name>.yaml`` (``capacity.workflows``), with the region, staffing
and run settings of the composed configuration; the workflow chosen with ``scenario=`` keeps its overrides.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.analysis import screening
from sim.chain import bounds, kpis, tables
from sim.chain.checks import ConfigError
from sim.chain.model import Model
from sim.config import schema, sources
from sim.config.gate import validate
from sim.config.schema import ScenarioSchema
from sim.kernel import flows
from sim.kernel.stats import confidence_interval
from sim.run import output, runner
from sim.run.progress import Bar

SCALE_TOP = 64.0  # capacity above 64 x today's demand is reported as >= 64

schema.register()


# ====================================================================== analytic capacity


def max_scale(fm: flows.FlowModel, fte: Mapping[str, np.ndarray] | None = None, iterations: int = 50
              ) -> tuple[np.ndarray, np.ndarray]:
    """Largest demand multiplier (relative to the flow model's demand) at which every pool is stable, and the
    bottleneck pool, for every staffing of the grid ``fte`` (arrays broadcast together; omitted knobs: today)."""
    fte = {} if fte is None else fte
    arrays = {k: np.asarray(fte.get(k, v), dtype=float) for k, v in fm.fte_today.items()}
    shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))

    def stable(scale: np.ndarray) -> np.ndarray:
        pools, _, _ = flows.evaluate(fm, arrays, scale)
        return np.all([p.stable for p in pools.values()], axis=0)

    lo = np.zeros(shape)
    hi = np.ones(shape)
    grow = stable(hi)
    while np.any(grow & (hi < SCALE_TOP)):  # double until unstable
        lo = np.where(grow, hi, lo)
        hi = np.where(grow, np.minimum(hi * 2, SCALE_TOP), hi)
        grow = grow & (hi < SCALE_TOP) & stable(hi)
    top = stable(hi)  # stable even at SCALE_TOP
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        ok = stable(mid)
        lo = np.where(ok, mid, lo)
        hi = np.where(ok, hi, mid)
    scale = np.where(top, hi, lo)
    pools, _, _ = flows.evaluate(fm, arrays, scale * (1 - 1e-9))
    names = list(pools)
    pressure = np.stack([np.nan_to_num(pools[p].pressure, nan=0.0, posinf=0.0) for p in names], axis=-1)
    bottleneck = np.asarray(names, dtype=object)[np.argmax(pressure, axis=-1)]
    return scale, bottleneck


@dataclass(frozen=True)
class Capacity:
    workflow: str
    demand_scale: float  # absolute demand.scale at capacity
    bottleneck: str  # the pool whose waiting list grows first above capacity
    bottleneck_hold_days: float  # its mean hold at capacity (how long a run must be to see its list grow)
    bottleneck_org: str  # the organisation whose extra FTE raises the capacity most (staffing.<org>.fte)
    gain_per_fte: Mapping[str, float]  # demand.scale gained per extra FTE, per organisation

    @property
    def bottleneck_owner(self) -> str:
        return self.bottleneck_org


def capacity(model: Model, fm: flows.FlowModel | None = None, step: float = 0.05) -> Capacity:
    """The analytic capacity of ``model``'s workflow at its own staffing (any model with an analytic twin).

    Two bottlenecks are named, because they can differ: the pool whose list grows first (Veilig Thuis's case
    teams, say) and the organisation whose extra FTE buys the most demand (the Raad, whose wait Veilig Thuis's
    holds include). The second is measured: capacity with ``step`` x today's FTE more at each organisation."""
    fm = screening.flow_model(model) if fm is None else fm
    knobs = list(fm.fte_today)
    today = {k: np.asarray([v]) for k, v in fm.fte_today.items()}
    grid = {k: np.asarray([v] + [v * (1 + step) if j == i else v for j in range(len(knobs))])
            for i, (k, v) in enumerate(fm.fte_today.items())}
    scale, bottleneck = max_scale(fm, grid)
    s = float(scale[0])
    pool = str(bottleneck[0])
    gain = {k: float(scale[1 + i] - scale[0]) * model.demand_scale / (step * fm.fte_today[k])
            for i, k in enumerate(knobs)}
    pools, _, _ = flows.evaluate(fm, today, s * 0.999)
    return Capacity(model.scenario.name, s * model.demand_scale, pool, float(pools[pool].hold_mean[0]),
                    max(gain, key=gain.get), gain)


# ====================================================================== simulation


def workflow_cfg(cfg: DictConfig, name: str, chosen: str) -> DictConfig:
    """``cfg`` with the workflow of ``conf/scenario/<name>.yaml`` (the chosen one keeps its command-line values)."""
    files = sources.group_options("scenario")  # conf/scenario, and a --config-dir folder of the user's
    if name not in files:
        raise ConfigError(f"capacity.workflows: {name!r} (allowed: {', '.join(files)})")
    out = copy.deepcopy(cfg)
    if name != chosen:
        out.scenario = OmegaConf.merge(OmegaConf.structured(ScenarioSchema),
                                       OmegaConf.load(sources.group_file("scenario", name)))
    return out


def at_scale(cfg: DictConfig, scale: float) -> Model:
    c = copy.deepcopy(cfg)
    c.demand.scale = float(scale)
    return validate(c)


def simulate(cfg: DictConfig, scale: float, kpi: str, fm: flows.FlowModel, base_scale: float) -> dict[str, Any]:
    """One demand level: the KPI with its CI over replications (same seeds at every level), which lists grew,
    and the analytic values."""
    model = at_scale(cfg, scale)
    runs = runner.run(model, progress=False).runs
    if kpi not in runs.columns:
        raise ConfigError(f"capacity.kpi = {kpi!r} (allowed: a column of the runs table, "
                          f"e.g. {kpis.LEAD_TIME_HELP_KM_P90})")
    mean, low, high, _ = confidence_interval(runs[kpi].to_numpy(dtype=float))
    flags = tables.growing_lists(runs)  # a kind with several organisations counts as its total list
    growing = sorted(flags, key=lambda p: -flags[p])
    grid = screening.screen_grid(model, {}, scale / base_scale, fm=fm)  # fm is at the base demand: relative scale
    row = grid.iloc[0]
    analytic = kpis.UNCENSORED.get(kpi, kpi)  # the steady state has nobody waiting at the end
    return {"workflow": model.scenario.name, "demand_scale": scale, "kpi": kpi, "mean": mean, "ci_low": low,
            "ci_high": high, "unstable": bool(growing), "bottleneck": growing[0] if growing else "",
            "analytic": float(row[analytic]) if analytic in row else math.nan, "analytic_stable": bool(row["stable"]),
            "analytic_most_loaded": str(row["bottleneck"]), "replications": model.run.replications}


def curve_scales(c: Any, cap: float) -> list[float]:
    if c.scales is not None:
        return sorted({float(s) for s in c.scales})
    top = cap * (1 + c.margin)
    return sorted({float(s) for s in np.linspace(min(c.low, top), top, c.points)[:-1]} | {1.0})


def check(c: Any) -> None:
    if c is None:
        raise ConfigError("capacity is missing (python -m sim.capacity composes conf/capacity.yaml)")
    if not c.workflows:
        raise ConfigError("capacity.workflows = [] (name at least one scenario file, e.g. [sequential, integrated])")
    if not 0 < c.margin < 1:
        raise ConfigError(f"capacity.margin = {c.margin!r} (must lie strictly between 0 and 1, e.g. 0.05)")
    if c.points < 2:
        raise ConfigError(f"capacity.points = {c.points!r} (must be >= 2)")
    if not c.low > 0:
        raise ConfigError(f"capacity.low = {c.low!r} (must be > 0)")
    for i, s in enumerate(c.scales or []):
        if not isinstance(s, (int, float)) or not s > 0:
            raise ConfigError(f"capacity.scales[{i}] = {s!r} (must be > 0)")


def plan(cfg: DictConfig, chosen: str | None = None) -> list[tuple[DictConfig, Model, flows.FlowModel]]:
    """Every workflow's configuration, model and flow model, validated before any simulated time."""
    check(cfg.get("capacity"))
    bounds.check_bounds(cfg.capacity, "capacity.", early=True)  # named here, not inside a workflow
    chosen = chosen or str(cfg.scenario.name)
    out = []
    for i, name in enumerate(cfg.capacity.workflows):
        wcfg = workflow_cfg(cfg, name, chosen)
        try:
            model = validate(wcfg)
        except ConfigError as err:
            raise ConfigError(f"{err} [in capacity workflow {name!r}]") from None
        try:
            fm = screening.flow_model(model)
        except flows.NotAvailable as err:
            raise ConfigError(f"capacity.workflows[{i}] = {name!r} (no analytic screening: {err})") from None
        # the demand levels the run will simulate must be valid too (their arrivals stay within their bounds)
        cap = capacity(model, fm).demand_scale
        top = max([cap * (1 + cfg.capacity.margin), *curve_scales(cfg.capacity, cap)])
        try:
            at_scale(wcfg, top)
        except ConfigError as err:
            raise ConfigError(f"{err} [capacity workflow {name!r} is simulated up to demand.scale = {top:.4g}, "
                              f"{1 + cfg.capacity.margin:g} x its analytic capacity; lower the staffing or "
                              f"capacity.scales]") from None
        out.append((wcfg, model, fm))
    bounds.check_bounds(cfg.capacity, "capacity.")  # every bound the checks above left open
    return out


def _levels(c: Any, cap: Capacity) -> tuple[float, float, list[float]]:
    """The demand scales simulated for one workflow: just below and just above its analytic capacity, then the
    curve's other points."""
    lo_s, hi_s = cap.demand_scale * (1 - c.margin), cap.demand_scale * (1 + c.margin)
    return lo_s, hi_s, [s for s in curve_scales(c, cap.demand_scale) if min(abs(s - lo_s), abs(s - hi_s)) > 1e-3 * s]


def run(cfg: DictConfig, out_dir: Path | None = None, quiet: bool = False, chosen: str | None = None
        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Capacity and curve of every workflow of ``capacity.workflows``: (summary, curve) tables."""
    started = time.perf_counter()
    cfg = copy.deepcopy(cfg)
    cfg.run.event_log = False
    cfg.run.quiet = True
    c = cfg.capacity
    summary, curve = [], []
    planned = [(wcfg, model, fm, capacity(model, fm)) for wcfg, model, fm in plan(cfg, chosen)]  # analytic: fast
    levels = {model.scenario.name: _levels(c, cap) for _, model, _, cap in planned}
    with Bar("demand levels simulated", sum(2 + len(v[2]) for v in levels.values()), enabled=not quiet) as bar:
        for wcfg, model, fm, cap in planned:
            lo_s, hi_s, scales = levels[model.scenario.name]
            if not quiet:
                print(f"sim.capacity: {model.scenario.name}: analytic capacity demand.scale = {cap.demand_scale:.3f}; "
                      f"first list to grow: {cap.bottleneck} (mean hold {cap.bottleneck_hold_days:.0f} days); most "
                      f"capacity per extra FTE: {cap.bottleneck_org}", file=sys.stderr)
            below = simulate(wcfg, lo_s, c.kpi, fm, model.demand_scale)
            bar.advance()
            above = simulate(wcfg, hi_s, c.kpi, fm, model.demand_scale)
            bar.advance()
            window = model.run.years * 365.0
            summary.append({
                "workflow": model.scenario.name, "demand_scale_max": cap.demand_scale, "bottleneck": cap.bottleneck,
                "bottleneck_hold_days": cap.bottleneck_hold_days, "bottleneck_org": cap.bottleneck_org,
                **{f"scale_per_fte.{k}": v for k, v in cap.gain_per_fte.items()},
                "stable_at": lo_s, "stable_confirmed": not below["unstable"], "growing_below": below["bottleneck"],
                "unstable_at": hi_s, "unstable_confirmed": above["unstable"], "growing_above": above["bottleneck"],
                "window_days": window, "window_long_enough": window >= 2 * cap.bottleneck_hold_days,
                "replications": model.run.replications, "years": model.run.years, "start": model.run.start})
            curve += [below, above]
            for s in scales:
                curve.append(simulate(wcfg, s, c.kpi, fm, model.demand_scale))
                bar.advance()
    summary_df = pd.DataFrame(summary)
    curve_df = pd.DataFrame(curve).drop_duplicates(subset=["workflow", "demand_scale"]).sort_values(
        ["workflow", "demand_scale"]).reset_index(drop=True)
    seconds = time.perf_counter() - started
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        text = OmegaConf.to_yaml(cfg)
        output.write_text(out_dir / "config_resolved.yaml", text)
        output.write_results(out_dir, {"capacity": curve_df, "capacity_summary": summary_df}, ["csv"], text,
                             extra={"wall_seconds": round(seconds, 1)})
    if not quiet:
        print(format_summary(summary_df, seconds))
        if out_dir is not None:
            print(f"results: {out_dir / 'capacity.csv'}, {out_dir / 'capacity_summary.csv'}")
    return summary_df, curve_df


def format_summary(summary: pd.DataFrame, seconds: float) -> str:
    lines = [f"{'workflow':<12} {'capacity (demand.scale)':>24}  {'first list to grow':<22} {'best extra FTE':<14} "
             f"{'stable below':>14} {'growing above':>14}"]
    for _, r in summary.iterrows():
        lines.append(f"{r['workflow']:<12} {r['demand_scale_max']:>24.3f}  {r['bottleneck']:<22} {r['bottleneck_org']:<14} "
                     f"{('yes' if r['stable_confirmed'] else 'NO') + f' @{r.stable_at:.3g}':>14} "
                     f"{('yes' if r['unstable_confirmed'] else 'no') + f' @{r.unstable_at:.3g}':>14}")
        if not r["window_long_enough"]:
            lines.append(f"  note: {r['bottleneck']} holds a case {r['bottleneck_hold_days']:.0f} days on average; a "
                         f"{r['window_days']:.0f}-day window may not show its list growing (raise run.years)")
    lines.append(f"({seconds:.0f} s)")
    return "\n".join(lines)
