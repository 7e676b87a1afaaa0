"""Sizing under uncertainty: the staffing that meets a target in at least a stated share of the plausible worlds.

``python -m sim.size target.probability=0.8`` (sim/size.py; the target as for sim/analysis/size.py). One staffing
sized for the values in force can fail as soon as an assumption moves inside its own stated range (a caseload, a
routing share, a duration: docs/uncertainty.md). Here the question is "90 % of families within the norm, in at
least 80 % of the plausible worlds":

1. **Worlds** (:func:`plan`): every assumption of the workflow with a stated range, drawn jointly exactly as
   ``python -m sim.uncertainty`` draws them (sim/analysis/uncertainty.py: :func:`~sim.analysis.uncertainty.draw_worlds`,
   :func:`~sim.analysis.uncertainty.apply`; ``uncertainty.draws``, ``.seed``, ``.only``, ``.shapes``, ``.ranges``),
   except the FTE being sized (a decision, not an assumption). Each world is validated and gets its own analytic
   flow model, before any simulated time.
2. **Analytic** (:class:`OverWorlds`): the search of sim/analysis/size.py (:func:`~sim.analysis.size.analytic_search`,
   greedy up and down on the step grid) on the worlds at once: a staffing meets when the target is met (steady
   state, every pool stable) in at least ``ceil(probability x worlds)`` of them, and how far it is off is that
   order statistic of the worlds' shortfalls. Organisations that are not sized keep each world's own values.
3. **Simulated confirmation**: at the answer, ``target.confirm_draws`` worlds (the design's independent rows: SALib's
   A and B rows) are simulated with ``run.replications`` replications each on ``run.seed``'s families (the same
   families in every world: the spread is the assumptions'), each judged as sim.size judges a staffing (the KPI's
   whole confidence interval on the right side, no pool overloaded, no list growing). The achieved probability is
   the share of those worlds that meet, with its exact (Clopper-Pearson) 95 % interval; with 10 worlds that
   interval is wide, and says so.

Output (the run folder of sim.size, marker last): ``sizing.csv`` (one row per sized organisation: fte_needed at the
probability, fte_needed_default_world, probability, the analytic share of worlds met at the answer and with one step
less, achieved_probability with achieved_ci_low/high over the simulated worlds, ...), ``sizing_worlds.csv`` (one row
per world: its drawn values, the analytic KPI at the answer, and for the simulated ones the KPI with its CI and the
verdict) and ``assumptions_drawn.csv``.
"""

from __future__ import annotations

import copy
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf
from scipy import stats

from sim.analysis import screening
from sim.analysis import uncertainty as unc
from sim.analysis.size import Analytic, Simulator, Target, analytic_search, follow_days
from sim.analysis.size import plan as plan_default
from sim.chain import bounds, kpis
from sim.chain.checks import ConfigError
from sim.chain.model import Model
from sim.config.gate import validate
from sim.kernel import flows
from sim.run import output

CI_LEVEL = 0.95  # the interval of the achieved probability (exact binomial)


@dataclass
class OverWorlds:
    """The target judged analytically in every world at once, with the interface of :class:`Analytic` (so that
    :func:`analytic_search` and :func:`check_reachable` search over it unchanged)."""

    fm: flows.FlowModel  # the world of the values in force: today's FTE, the smallest FTE per organisation
    target: Target
    worlds: list[Analytic]

    @property
    def needed(self) -> int:
        """How many worlds must meet: ceil(probability x worlds)."""
        return max(1, math.ceil(float(self.target.probability) * len(self.worlds) - 1e-9))

    def per_world(self, fte: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(KPI value, badness), one row per world, one column per staffing. The sized organisations get ``fte``;
        the others keep each world's own FTE."""
        shape = np.shape(next(iter(fte.values())))
        values, bad = [], []
        for w in self.worlds:
            x = {k: np.full(shape, v, dtype=float) for k, v in w.fm.fte_today.items()}
            x.update({o: np.asarray(fte[o], dtype=float) for o in self.target.organisations})
            v, b = w.evaluate(x)
            values.append(v)
            bad.append(b)
        return np.asarray(values), np.asarray(bad)

    def evaluate(self, fte: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(the KPI met in ``needed`` of the worlds, the ``needed``-th smallest badness: 0 = meets)."""
        values, bad = self.per_world(fte)
        k = self.needed - 1
        if self.target.lower_is_better:
            value = np.sort(np.where(np.isfinite(values), values, np.inf), axis=0)[k]
        else:
            value = -np.sort(-np.where(np.isfinite(values), values, -np.inf), axis=0)[k]
        return value, np.sort(bad, axis=0)[k]

    def one(self, x: Mapping[str, float]) -> tuple[float, float]:
        v, b = self.evaluate({k: np.asarray([val]) for k, val in x.items()})
        return float(v[0]), float(b[0])

    def met(self, x: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(KPI value, meets) per world at one staffing."""
        values, bad = self.per_world({k: np.asarray([val]) for k, val in x.items()})
        return values[:, 0], bad[:, 0] == 0


@dataclass
class Planned:
    model: Model
    fm: flows.FlowModel
    target: Target
    default: Analytic  # the world of the values in force
    worlds: unc.Worlds
    over: OverWorlds


def _scenario_file(model: Model) -> str:
    if HydraConfig.initialized():
        chosen = HydraConfig.get().runtime.choices.get("scenario")
        if chosen:
            return str(chosen)
    return str(model.scenario.name)


def world_cfg(cfg: DictConfig, worlds: unc.Worlds, d: int) -> DictConfig:
    return unc.apply(cfg, worlds.drawn(d), worlds.prov)


# The last plan, by its configuration: the command's preflight validates every world, and its Hydra job (the same
# process, the same configuration) reuses them instead of validating them all again (~0.2 s per Gelderland world).
_LAST: dict[str, Planned] = {}


def _key(cfg: DictConfig) -> str:
    c = OmegaConf.to_container(cfg, resolve=True)
    for k in ("event_log", "quiet", "jobs"):  # what size() changes, or never a number
        c["run"].pop(k, None)
    return OmegaConf.to_yaml(OmegaConf.create(c))


def plan(cfg: DictConfig) -> Planned:
    """Validate the configuration, the target and every world (before any simulated time). Raises ConfigError."""
    key = _key(cfg)
    if key in _LAST:
        return _LAST[key]
    planned = _plan(cfg)
    _LAST.clear()
    _LAST[key] = planned
    return planned


def _plan(cfg: DictConfig) -> Planned:
    model, fm, target, an = plan_default(cfg)
    if target.probability is None:
        raise ConfigError("target.probability is missing (sizing under uncertainty needs it, e.g. 0.8)")
    u = cfg.get("uncertainty")
    if u is None:
        raise ConfigError("uncertainty is missing (the assumptions drawn: conf/size.yaml's uncertainty section)")
    bounds.check_bounds(u, "uncertainty.")
    name = _scenario_file(model)
    worlds = unc.draw_worlds(cfg, model, name, u, fixed=[f"staffing.{o}.fte" for o in target.organisations])
    analytic = []
    for d in range(len(worlds.values)):
        try:
            world = validate(world_cfg(cfg, worlds, d))
            analytic.append(Analytic(screening.flow_model(world), target))
        except (ConfigError, flows.NotAvailable) as err:
            raise ConfigError(f"world {d}: {name} refuses the drawn values: {err}") from None
    independent = len(worlds.independent_rows())
    if target.confirm_draws > independent:
        raise ConfigError(f"target.confirm_draws = {target.confirm_draws} (at most {independent}: the independent "
                          f"worlds of uncertainty.draws = {int(u.draws)}; raise uncertainty.draws)")
    over = OverWorlds(fm, target, analytic)
    check_reachable_worlds(target, over)
    return Planned(model, fm, target, an, worlds, over)


def check_reachable_worlds(t: Target, over: OverWorlds) -> None:
    """At ``target.max_factor`` x today's FTE the target must be met in enough worlds; else one line saying in how
    many it is, and which pools (those the sized FTE does not staff) stay overloaded in the others."""
    top = {**over.fm.fte_today, **{o: over.fm.fte_today[o] * t.max_factor for o in t.organisations}}
    _, meets = over.met(top)
    if meets.sum() >= over.needed:
        return
    overloaded: dict[str, int] = {}
    for w, ok in zip(over.worlds, meets):
        if not ok:
            for pool in w.unstable({**w.fm.fte_today, **{o: top[o] for o in t.organisations}}):
                overloaded[pool] = overloaded.get(pool, 0) + 1
    worst = ", ".join(f"{pool} in {n}" for pool, n in sorted(overloaded.items(), key=lambda kv: -kv[1])[:3])
    raise ConfigError(f"target.probability = {t.probability:g} (unreachable: with {t.max_factor:g} x today's FTE at "
                      f"{', '.join(t.organisations)} the target is met in {int(meets.sum())} of {len(meets)} "
                      f"plausible worlds, {over.needed} needed"
                      + (f"; overloaded there: {worst} (size those organisations too: target.organisations)"
                         if worst else "") + ")")


def achieved(met: int, n: int) -> tuple[float, float, float]:
    """(share, exact 95 % interval) of ``met`` worlds out of ``n``."""
    ci = stats.binomtest(met, n).proportion_ci(CI_LEVEL, method="exact")
    return met / n, float(ci.low), float(ci.high)


def size(cfg: DictConfig, out_dir: Path | None = None, quiet: bool = False) -> pd.DataFrame:
    """Size for the target met in at least ``target.probability`` of the worlds; confirm by simulation; return the
    sizing table (and write it to ``out_dir``)."""
    started = time.perf_counter()
    cfg = copy.deepcopy(cfg)
    cfg.run.event_log = False
    cfg.run.quiet = True
    p = plan(cfg)
    t, model, worlds = p.target, p.model, p.worlds
    years = model.run.years
    default_log: list[str] = []
    x_default = analytic_search(p.default, default_log)
    log: list[str] = []
    x = analytic_search(p.over, log)
    values, meets = p.over.met(x)
    value_p, _ = p.over.one(x)
    if not quiet:
        print(f"sim.size: {model.scenario.name} in {model.region_name}: {t.describe()} in at least "
              f"{t.probability:.0%} of {len(worlds.values)} plausible worlds ({len(worlds.assumptions)} assumptions "
              f"drawn); the values in force alone: " + ", ".join(f"{o}={x_default[o]:g}" for o in t.organisations),
              file=sys.stderr)
        for line in log:
            print("  " + line, file=sys.stderr)

    rows = worlds.independent_rows()[:t.confirm_draws]
    sims = {}
    for d in rows:  # the simulated confirmation: run.replications on run.seed's families in each world
        c = world_cfg(cfg, worlds, d)
        c.run.years = float(years + follow_days(t) / 365.0)
        sims[d] = Simulator(c, t, p.over.worlds[d], quiet=quiet)({o: x[o] for o in t.organisations})
    verdicts = list(sims.values())
    share, low, high = achieved(sum(v.meets for v in verdicts), len(verdicts))
    by_mean = float(np.mean([t.meets(v.mean) and not v.growing and not v.overloaded for v in verdicts]))

    table = pd.DataFrame([{
        "workflow": model.scenario.name, "organisation": o, "fte_today": p.fm.fte_today[o], "fte_needed": x[o],
        "fte_needed_default_world": x_default[o], "kpi": t.kpi, "kpi_definition": kpis.description(t.kpi),
        "analytic_kpi": t.analytic, "target": t.threshold, "probability": t.probability,
        "worlds": len(worlds.values), "assumptions_drawn": len(worlds.assumptions),
        "analytic_probability": float(meets.mean()),
        "analytic_probability_one_less": (float(p.over.met({**x, o: x[o] - t.step})[1].mean())
                                          if x[o] - t.step > 0 else math.nan),
        "analytic_kpi_at_probability": value_p,
        "confirm_draws": len(verdicts), "replications": model.run.replications,
        "achieved_probability": share, "achieved_ci_low": low, "achieved_ci_high": high,
        "achieved_probability_by_mean": by_mean,
        "kpi_mean_over_worlds": float(np.mean([v.mean for v in verdicts])),
        "confidence": t.confidence, "years": years, "follow_days": follow_days(t),
        "design_seed": int(cfg.uncertainty.seed), "run_seed": int(cfg.run.seed)} for o in t.organisations])
    per_world = pd.DataFrame(worlds.values, columns=[a.name for a in worlds.assumptions])
    per_world.insert(0, "world", np.arange(len(worlds.values)))
    per_world.insert(1, "analytic_kpi", values)
    per_world.insert(2, "analytic_meets", meets)
    sim_cols = {"simulated": False, "kpi_mean": math.nan, "kpi_ci_low": math.nan, "kpi_ci_high": math.nan,
                "meets": False, "growing": "", "overloaded": ""}
    for k, v in sim_cols.items():
        per_world.insert(len(per_world.columns) - len(worlds.assumptions), k, v)
    for d, v in sims.items():
        per_world.loc[d, list(sim_cols)] = [True, v.mean, v.low, v.high, v.meets, ",".join(v.growing),
                                            ",".join(v.overloaded)]
    drawn = pd.DataFrame([{**asdict(a), "workflow": a.workflow or ""} for a in worlds.assumptions])
    seconds = time.perf_counter() - started
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        output.write_text(out_dir / "config_resolved.yaml", OmegaConf.to_yaml(cfg))
        output.write_results(out_dir, {"sizing": table, "sizing_worlds": per_world, "assumptions_drawn": drawn},
                             ["csv"], OmegaConf.to_yaml(cfg),
                             extra={"scenario": model.scenario.name, "region": model.region_name,
                                    "wall_seconds": round(seconds, 1), "probability": t.probability,
                                    "worlds": len(worlds.values), "simulated_worlds": len(verdicts), "search": log})
    if not quiet:
        print(format_table(table, t, seconds))
        if out_dir is not None:
            print(f"results: {out_dir / 'sizing.csv'}")
    return table


def format_table(table: pd.DataFrame, target: Target, seconds: float) -> str:
    r0 = table.iloc[0]
    lines = [f"Staff sizing under uncertainty: {target.describe()} in at least {target.probability:.0%} of "
             f"{int(r0['worlds'])} plausible worlds ({int(r0['assumptions_drawn'])} assumptions drawn)",
             f"{'organisation':<14} {'FTE today':>10} {'values in force':>16} {'FTE needed':>11}   "
             f"{'worlds met (analytic)':<22} {'with one step less':<18}"]
    for _, r in table.iterrows():
        lines.append(f"{r['organisation']:<14} {r['fte_today']:>10.4g} {r['fte_needed_default_world']:>16.4g} "
                     f"{r['fte_needed']:>11.4g}   {r['analytic_probability']:<22.0%} "
                     f"{r['analytic_probability_one_less']:<18.0%}")
    lines.append(f"simulated at the answer: met in {r0['achieved_probability']:.0%} of {int(r0['confirm_draws'])} "
                 f"worlds (95% CI {r0['achieved_ci_low']:.0%}-{r0['achieved_ci_high']:.0%}; "
                 f"{int(r0['replications'])} replications x {r0['years']:g} years each, run.seed's families; "
                 f"{r0['achieved_probability_by_mean']:.0%} by the KPI's mean) in {seconds:.0f} s")
    return "\n".join(lines)
