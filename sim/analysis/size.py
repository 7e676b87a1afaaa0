"""Staff sizing: the smallest FTE per organisation that meets a target with 95 % confidence (``python -m sim.size``).

A planner asks: how many FTE does each organisation of the chain need so that, say, 90 % of families get help
within 120 days of the melding (``target.kpi=lead_time target.quantile=0.9 target.days=120``), or so that 90 % of
the Raad's investigations start within its norm (``target=rvdk_norm``)? The answer is a staffing where the
target is met, and where one FTE less at any of the sized organisations does not meet it.

The search, in two phases:

1. **Analytic** (``sim/analysis/screening.py``, milliseconds per staffing): from today's FTE, if the target is not met,
   add FTE where the next FTE buys the most (greedy on the cheapest marginal FTE: per organisation try +1, +2,
   +4, ... steps and take the largest improvement per FTE; an unstable pool counts by how far its load exceeds
   its places). Then remove FTE where it costs the least, as long as the target stays met, until no organisation
   can lose one step. The target is unreachable when even ``target.max_factor`` x today's FTE at every sized
   organisation does not meet it analytically: that is reported before any simulation.
2. **Simulation** (the model itself), with paired seeds: every staffing is simulated with the same ``run.seed``
   and the same replications, so the families are identical (common random numbers) and differences between
   staffings are differences of staffing. From the analytic answer: if it does not meet, the organisations that
   fail it (all of them when the KPI misses, else those whose pools overflow) are raised by 5 %, 10 %, 20 %, ...
   of their analytic FTE until it meets; then each organisation in turn (the one with the most analytic slack
   first) is bisected down to the smallest whole number of steps that still meets, the others fixed, trying the
   analytic answer first as the lower end. Passes repeat until no organisation can lose a step, so the result is
   minimal organisation by organisation: one step less at any of them fails on these seeds. The KPI is reported
   at the answer and at one step less per organisation.

What "meets" means, per simulated staffing (the same seeds for every staffing):

* the KPI's whole 95 % confidence interval over replications (Student t, ``target.confidence``) lies on the
  right side of the target. Lead times are censoring-aware, as the runs table's (sim/chain/tables.py
  ``censored_lead_times``): a quantile is the Kaplan-Meier quantile (``lead_time_help_km_p90``), the mean the
  restricted mean over ``kpis.LEAD_TIME_HORIZON_DAYS`` days (``lead_time_help_rmst_365``), of the families that
  arrived within ``run.years``; a family still waiting at the end is censored at its wait so far, one closed
  without the milestone is left out. The run goes on for twice the target (the mean: the horizon) so that the
  families who wait longest are seen (a short window cannot flatter a staffing). Only the quantiles the KPI
  registry declares censoring-aware (0.5 and 0.9) and the mean can be targets. The analytic phase uses the steady
  state's value of the same lead time (``kpis.UNCENSORED``: nobody is still waiting in a steady state);
* no pool is overloaded in the long run (offered load above its places, by the analytic screening: a run of a
  few years from an empty chain may not show it yet);
* no waiting list kept growing through the window in half the replications or more (``metrics.is_unstable``),
  judged for the pools each organisation's FTE affects (its own, and those whose holds include their waits).

Output (a Hydra run directory under ``results/size/``, written atomically, marker last): ``sizing.csv`` (columns
of docs/model.md "Output tables": organisation, fte_today, fte_needed, kpi, target, kpi_mean, kpi_ci_low,
kpi_ci_high, kpi_one_less_mean/_ci_low/_ci_high, plus workflow, why one step less fails, the analytic answer)
and ``sizing_search.csv`` (every staffing simulated, with its KPI and verdict).

A KPI only sizes what it sees: "90 % of families helped within 120 days" hardly depends on the GI (few families'
help starts there), so it sizes the GI to the edge of its long-run stability; size the GI with
``lead_time_measure`` or ``share_gi_within_norm``, or name the organisations with ``target.organisations``.

Cost: each simulated staffing costs ``run.replications`` runs of ``run.years`` (plus the follow-on); expose them
on the command line (``run.replications=5 run.years=1 run.jobs=2``). With ``run.start=today`` (Gelderland's
default) the KPI is that of the families arriving in the next ``run.years`` from today's waiting lists;
``run.start=empty`` sizes for the steady state (give it a warm-up of several mean holds: the GI's is years).
"""

from __future__ import annotations

import copy
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.analysis import costs, screening
from sim.chain import bounds, kpis, tables
from sim.chain.checks import ConfigError
from sim.chain.entities import kind_pool
from sim.chain.model import Model
from sim.config import prices as prices_mod
from sim.config import schema
from sim.config.gate import validate
from sim.kernel import flows
from sim.kernel.stats import confidence_interval, km_quantile, km_rmst
from sim.run import output, runner
from sim.run.progress import Bar

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
LEAD = kpis.LEAD_TIMES  # target.kpi -> the duration whose mean or quantile is the KPI
SHARES = kpis.names("sizable")
KPIS = (*LEAD, *SHARES)
# (duration, quantile; None = the mean) -> the censoring-aware KPI a lead-time target judges (sim/chain/tables.py)
CENSORED: Mapping[tuple[str, float | None], str] = {
    (LEAD["lead_time"], None): kpis.LEAD_TIME_HELP_RMST, (LEAD["lead_time"], 0.5): kpis.LEAD_TIME_HELP_KM_MEDIAN,
    (LEAD["lead_time"], 0.9): kpis.LEAD_TIME_HELP_KM_P90, (LEAD["lead_time_measure"], None): kpis.LEAD_TIME_MEASURE_RMST,
    (LEAD["lead_time_measure"], 0.5): kpis.LEAD_TIME_MEASURE_KM_MEDIAN,
    (LEAD["lead_time_measure"], 0.9): kpis.LEAD_TIME_MEASURE_KM_P90}
RAISE = (0.05, 0.10, 0.20, 0.40, 0.80)  # simulation: raise the failing organisations by these shares until it meets
PASSES = 8  # simulation: at most this many passes of per-organisation bisection and repair

schema.register()


# ====================================================================== the target


@dataclass(frozen=True)
class Target:
    kpi: str  # as the simulation names it: lead_time_help_km_p90, share_rvdk_wait_within_norm, ...
    base: str  # target.kpi as given
    quantile: float | None
    threshold: float  # days (lower is better) or share (higher is better)
    lower_is_better: bool
    confidence: float
    organisations: tuple[str, ...]
    max_factor: float
    step: float
    analytic_kpi: str = ""  # the analytic screening's name of the same KPI (its steady state); "" = kpi
    probability: float | None = None  # met in at least this share of the plausible worlds; None: the values in force
    confirm_draws: int = 10  # with probability: worlds simulated at the answer

    @property
    def analytic(self) -> str:
        return self.analytic_kpi or self.kpi

    def describe(self) -> str:
        if self.lower_is_better:
            what = (f"restricted mean over {kpis.LEAD_TIME_HORIZON_DAYS} days" if self.quantile is None
                    else f"{self.quantile:.0%} of families")
            return (f"{self.kpi} <= {self.threshold:g} days ({what}, families still waiting counted (Kaplan-Meier), "
                    f"{self.confidence:.0%} confidence)")
        return f"{self.kpi} >= {self.threshold:g} ({self.confidence:.0%} confidence)"

    def meets(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return value <= self.threshold if self.lower_is_better else value >= self.threshold


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"{name} = {value!r} (must be a finite number)")
    return float(value)


def parse_target(t: Any, fm: flows.FlowModel) -> Target:
    """Validate ``cfg.target`` against the workflow's flow model. Raises :class:`ConfigError` (one line)."""
    if t is None:
        raise ConfigError("target is missing (python -m sim.size needs a target: target=lead_time_p90, "
                          "target=rvdk_norm, or target.kpi=... )")
    if t.kpi not in KPIS:
        raise ConfigError(f"target.kpi = {t.kpi!r} (allowed: {', '.join(KPIS)})")
    quantile = None
    if t.kpi in LEAD:
        if t.share is not None:
            raise ConfigError(f"target.share = {t.share!r} (only for the share_* KPIs; {t.kpi} takes target.days)")
        if t.days is None:
            raise ConfigError(f"target.days is missing ({t.kpi} needs the most days allowed, e.g. target.days=120)")
        threshold = _number("target.days", t.days)
        if threshold <= 0:
            raise ConfigError(f"target.days = {t.days!r} (must be > 0)")
        if t.quantile is not None:
            quantile = _number("target.quantile", t.quantile)
            if not 0.0 < quantile < 1.0:
                raise ConfigError(f"target.quantile = {t.quantile!r} (must lie strictly between 0 and 1, e.g. 0.9; "
                                  f"null for the mean)")
        declared = {q: name for (d, q), name in CENSORED.items() if d == LEAD[t.kpi]}
        key = quantile if quantile is None else next(
            (q for q in declared if q is not None and abs(q - quantile) < 1e-12), math.nan)
        if key not in declared:
            raise ConfigError(f"target.quantile = {t.quantile!r} (a censoring-aware lead time is declared for "
                              f"{', '.join(f'{q:g}' for q in declared if q is not None)}, or null for the restricted "
                              f"mean; sim/chain/kpis.py)")
        if quantile is None and threshold >= kpis.LEAD_TIME_HORIZON_DAYS:
            raise ConfigError(f"target.days = {threshold:g} (the mean is restricted to {kpis.LEAD_TIME_HORIZON_DAYS} days, "
                              f"so a target must lie below it)")
        kpi = declared[key]
        analytic = kpis.UNCENSORED.get(kpi, kpis.quantile_name(LEAD[t.kpi], quantile))
        lower = True
    else:
        if t.days is not None or t.quantile is not None:
            name = "days" if t.days is not None else "quantile"
            raise ConfigError(f"target.{name} = {getattr(t, name)!r} (a norm KPI takes target.share: the share "
                              f"within the norm in conf/process norms.*)")
        if t.share is None:
            raise ConfigError(f"target.share is missing ({t.kpi} needs the least share within the norm, e.g. 0.9)")
        threshold = _number("target.share", t.share)
        if not 0.0 < threshold <= 1.0:
            raise ConfigError(f"target.share = {t.share!r} (must be a share, 0 < share <= 1)")
        kpi, lower = t.kpi, kpis.get(t.kpi).lower_is_better
        analytic = kpi
    confidence = _number("target.confidence", t.confidence)
    if not 0.5 <= confidence < 1.0:
        raise ConfigError(f"target.confidence = {t.confidence!r} (must lie in [0.5, 1), e.g. 0.95)")
    max_factor = _number("target.max_factor", t.max_factor)
    if max_factor <= 1.0:
        raise ConfigError(f"target.max_factor = {t.max_factor!r} (must be > 1: the search goes up to that x today's FTE)")
    step = _number("target.step_fte", t.step_fte)
    if step <= 0:
        raise ConfigError(f"target.step_fte = {t.step_fte!r} (must be > 0)")
    knobs = tuple(fm.fte_today)
    if t.organisations is None:
        duration = LEAD[t.kpi] if t.kpi in LEAD else fm.norms[t.kpi][0]
        orgs = screening.kpi_knobs(fm, duration) or knobs
    else:
        orgs = tuple(t.organisations)
        if not orgs:
            raise ConfigError("target.organisations = [] (name at least one, or null for every organisation the KPI "
                              "depends on)")
        for i, o in enumerate(orgs):
            if o not in knobs:
                raise ConfigError(f"target.organisations[{i}] = {o!r} (allowed: {', '.join(knobs)})")
            if o in orgs[:i]:
                raise ConfigError(f"target.organisations[{i}] = {o!r} (each organisation once)")
    probability = None
    if t.get("probability") is not None:
        probability = _number("target.probability", t.probability)
        if not 0.0 < probability <= 1.0:
            raise ConfigError(f"target.probability = {t.probability!r} (must lie in (0, 1]: the least share of the "
                              f"plausible worlds, drawn over the assumptions' ranges, in which the target is met, "
                              f"e.g. 0.8; null for the values in force only)")
    confirm = t.get("confirm_draws", 10)
    if isinstance(confirm, bool) or not isinstance(confirm, int) or confirm < 1:
        raise ConfigError(f"target.confirm_draws = {confirm!r} (must be a whole number >= 1 of worlds to simulate)")
    return Target(kpi, t.kpi, quantile, threshold, lower, confidence, orgs, max_factor, step, analytic,
                  probability, int(confirm))


# ====================================================================== phase 1: analytic


@dataclass
class Analytic:
    """The target judged analytically on arrays of staffings."""

    fm: flows.FlowModel
    target: Target
    scale: float = 1.0

    def evaluate(self, fte: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(KPI value, badness): badness 0 = meets; > 0 = how far off (relative), 1e3 + excess load if unstable."""
        pools, stats, _ = flows.evaluate(self.fm, fte, self.scale)
        shape = next(iter(pools.values())).slots.shape
        quantiles = () if self.target.quantile is None else (self.target.quantile,)
        values = screening.kpis(self.fm, stats, shape, quantiles)[self.target.analytic]
        stable = np.all([p.stable for p in pools.values()], axis=0)
        excess = np.sum([np.clip(np.nan_to_num(p.pressure, nan=0.0, posinf=1e3) - 0.999, 0.0, 1e3)
                         for p in pools.values()], axis=0)
        t = self.target
        with np.errstate(invalid="ignore"):
            gap = (values - t.threshold) / t.threshold if t.lower_is_better else (t.threshold - values) / t.threshold
            gap = np.where(np.isfinite(values), np.clip(gap, 0.0, None), 1e3)
        return values, np.where(stable, gap, 1e3 + excess)

    def one(self, x: Mapping[str, float]) -> tuple[float, float]:
        v, b = self.evaluate({k: np.asarray([val]) for k, val in x.items()})
        return float(v[0]), float(b[0])

    def unstable(self, x: Mapping[str, float]) -> tuple[str, ...]:
        """Pools whose offered load exceeds their places at this staffing (in the long run their lists grow)."""
        pools, _, _ = flows.evaluate(self.fm, {k: np.asarray([val]) for k, val in x.items()}, self.scale)
        return tuple(name for name, p in pools.items() if not bool(p.stable[0]))


def minimum_fte(fm: flows.FlowModel, org: str, step: float) -> float:
    """The smallest FTE on the step grid (today + k x step, k <= 0) at which every pool that ``org``'s FTE staffs
    (and that has places today) still has a place: fewer cannot be configured (sim.config.gate.staffing)."""
    today = fm.fte_today[org]
    grid = np.round(today - step * np.arange(int(today // step) + 1)[::-1], 9)
    grid = grid[grid > 0]
    base = fm.places({k: np.asarray([v]) for k, v in fm.fte_today.items()})
    places = fm.places({**{k: np.full(grid.shape, v) for k, v in fm.fte_today.items()}, org: grid})
    mine = [p for p, knobs in screening.depends_on(fm).items() if org in knobs and base[p][0][0] >= 1]
    ok = np.all([places[p][0] >= 1 for p in mine], axis=0) if mine else np.ones(grid.shape, dtype=bool)
    return float(grid[np.argmax(ok)]) if ok.any() else today


def analytic_search(an: Analytic, log: list[str]) -> dict[str, float]:
    """Phase 1: greedy up on the cheapest marginal FTE, then greedy down while the target holds."""
    t = an.target
    today = dict(an.fm.fte_today)
    x = dict(today)
    floor = {o: minimum_fte(an.fm, o, t.step) for o in t.organisations}
    top = {o: today[o] + math.floor((today[o] * t.max_factor - today[o]) / t.step + 1e-9) * t.step for o in t.organisations}
    sizes = 2 ** np.arange(12)
    v, b = an.one(x)
    rounds = 0
    while b > 0:
        rounds += 1
        cands = []
        for o in t.organisations:
            for k in sizes:
                new = min(x[o] + k * t.step, top[o])
                if new > x[o] and (not cands or cands[-1] != (o, new)):
                    cands.append((o, new))
        if not cands or rounds > 10_000:
            raise ConfigError(_unreachable(t, an, top))
        grid = {o: np.array([new if oo == o else x[o] for oo, new in cands]) for o in x}
        _, bb = an.evaluate(grid)
        gain = (b - bb) / np.array([new - x[o] for o, new in cands])
        i = int(np.argmax(gain))
        if not gain[i] > 0:
            raise ConfigError(_unreachable(t, an, top))
        o, new = cands[i]
        x[o] = new
        v, b = an.one(x)
    log.append(f"analytic: met after {rounds} additions: " + ", ".join(f"{o}={x[o]:g}" for o in t.organisations))
    while True:  # greedy down: remove where the KPI worsens least per FTE, while the target holds
        cands = []
        for o in t.organisations:
            for k in sizes:
                new = max(x[o] - k * t.step, floor[o])
                if new < x[o] and (not cands or cands[-1] != (o, new)):
                    cands.append((o, new))
        if not cands:
            break
        grid = {o: np.array([new if oo == o else x[o] for oo, new in cands]) for o in x}
        vv, bb = an.evaluate(grid)
        ok = bb == 0
        if not ok.any():
            break
        removed = np.array([x[o] - new for o, new in cands])
        worse = (vv - v) if t.lower_is_better else (v - vv)
        cost = np.where(ok, worse / removed, np.inf)
        best = np.flatnonzero(cost == cost.min())
        i = int(best[np.argmax(removed[best])])  # among equally cheap removals, the largest
        o, new = cands[i]
        x[o] = new
        v, b = an.one(x)
    log.append(f"analytic: minimal at {t.analytic} = {v:.4g}: " + ", ".join(f"{o}={x[o]:g}" for o in t.organisations))
    return x


def _unreachable(t: Target, an: Analytic, top: Mapping[str, float]) -> str:
    v, _ = an.one({**an.fm.fte_today, **top})
    field = "target.days" if t.lower_is_better else "target.share"
    shown = f"{v:.3g}" if math.isfinite(v) else "not finite (a pool stays unstable)"
    return (f"{field} = {t.threshold:g} (unreachable: with {t.max_factor:g} x today's FTE at "
            f"{', '.join(t.organisations)} the analytic {t.analytic} is {shown}; the activities alone take that long: relax the "
            f"target, or raise target.max_factor)")


def check_reachable(t: Target, an: Analytic) -> None:
    today = an.fm.fte_today
    top = {o: today[o] * t.max_factor for o in t.organisations}
    _, b = an.one({**today, **top})
    if b > 0:
        raise ConfigError(_unreachable(t, an, top))


# ====================================================================== phase 2: simulation with paired seeds


@dataclass
class Verdict:
    """One simulated staffing: the KPI over replications and what may disqualify it."""

    fte: dict[str, float]
    mean: float
    low: float
    high: float
    kpi_ok: bool  # the whole confidence interval on the right side of the target
    growing: tuple[str, ...] = ()  # pools whose list kept growing in half the replications or more (simulation)
    overloaded: tuple[str, ...] = ()  # pools whose offered load exceeds their places (analytic: the long run)
    note: str = ""

    @property
    def meets(self) -> bool:
        return self.kpi_ok and not self.growing and not self.overloaded

    def meets_for(self, pools: frozenset[str]) -> bool:
        """Judged for one organisation: the KPI, the long run, and the lists of the pools its FTE affects."""
        return self.kpi_ok and not self.overloaded and not (set(self.growing) & pools)

    def why(self) -> str:
        parts = [] if self.kpi_ok else ["KPI"]
        if self.overloaded:
            parts.append("overloaded (analytic): " + ", ".join(self.overloaded))
        if self.growing:
            parts.append("list growing: " + ", ".join(self.growing))
        return "; ".join(parts) if parts else self.note


class NotConfirmed(RuntimeError):
    """The simulation cannot confirm the target within the search range (message says why)."""


@dataclass
class Simulator:
    """Simulates a staffing with the configuration's seed and replications (the same for every staffing)."""

    cfg: DictConfig
    target: Target
    analytic: Analytic
    cache: dict[tuple, Verdict] = field(default_factory=dict)
    quiet: bool = False
    bar: Bar | None = None  # counts the staffings simulated (a bisection: no total known beforehand)

    def __call__(self, fte: Mapping[str, float]) -> Verdict:
        key = tuple(sorted((o, round(v, 6)) for o, v in fte.items()))
        if key in self.cache:
            return self.cache[key]
        c = copy.deepcopy(self.cfg)
        for o, v in fte.items():
            c.staffing[o].fte = float(v)
        try:
            model = validate(c)
        except ConfigError as err:  # e.g. less than one caseload place: this staffing cannot work
            verdict = Verdict(dict(fte), math.nan, math.nan, math.nan, False, note=str(err))
        else:
            verdict = self.judge(dict(fte), model, runner.run(model, progress=False))
            # a run of a few years may not show it yet: a pool whose load exceeds its places never meets
            verdict.overloaded = self.analytic.unstable({**self.analytic.fm.fte_today, **fte})
        self.cache[key] = verdict
        if self.bar is not None:
            self.bar.advance()
        if not self.quiet:
            print(f"  {'meets' if verdict.meets else 'fails'}  {self.target.kpi} = {verdict.mean:.4g} "
                  f"[{verdict.low:.4g}, {verdict.high:.4g}]  at " + ", ".join(f"{o}={v:g}" for o, v in fte.items())
                  + ("" if verdict.meets else f"  ({verdict.why()})"), file=sys.stderr, flush=True)
        return verdict

    def judge(self, fte: dict[str, float], model: Model, results: runner.Results) -> Verdict:
        end = model.run.years * 365.0
        values = kpi_values(results, self.target, end - follow_days(self.target), end)
        mean, low, high, _ = confidence_interval(values, self.target.confidence)
        if np.any(np.isinf(values)):  # a replication where the quantile is not reached within the window
            mean, low, high = (math.inf, math.inf, math.inf) if self.target.lower_is_better else (mean, low, high)
        growing = tuple(tables.growing_lists(results.runs))
        bound = high if self.target.lower_is_better else low
        return Verdict(fte, mean, low, high, self.target.meets(bound), growing)


def follow_days(target: Target) -> float:
    """Days the simulation runs on after the window so that its families' lead times are seen (quantile: twice the
    target; the restricted mean: its horizon, so every family of the window is watched for the whole horizon);
    share KPIs need none."""
    if target.base not in LEAD:
        return 0.0
    return 2.0 * target.threshold if target.quantile is not None else float(kpis.LEAD_TIME_HORIZON_DAYS)


def kpi_values(results: runner.Results, target: Target, window: float, end: float | None = None) -> np.ndarray:
    """The KPI per replication. Norm shares: as sim/chain/tables.py computes them. Lead times: censoring-aware, as
    the runs table's (``tables.lead_time_sample``: a family still waiting at the end of the run, ``end`` days, is
    censored at its wait so far; one closed without the milestone is left out), over the families that arrived
    within the first ``window`` days (not preexisting); the run goes on for :func:`follow_days` more (``end``,
    default ``window`` + that), so a short window cannot flatter a staffing by leaving out the families that wait
    longest. A quantile the Kaplan-Meier curve does not reach within the run is +inf (beyond every target)."""
    if target.base not in LEAD:
        return results.runs[target.kpi].to_numpy(dtype=float)
    end = window + follow_days(target) if end is None else end
    fam = results.families
    if "preexisting" in fam.columns:
        fam = fam[~fam["preexisting"].astype(bool)]
    fam = fam[fam["arrival"] < window]
    out = []
    for rep in sorted(results.runs["replication"]):
        durations, observed = tables.lead_time_sample(fam[fam["replication"] == rep], LEAD[target.base], end)
        if target.quantile is None:
            out.append(km_rmst(durations, observed, kpis.LEAD_TIME_HORIZON_DAYS))
            continue
        value = km_quantile(durations, observed, target.quantile)
        out.append(math.inf if len(durations) and math.isnan(value) else value)
    return np.asarray(out, dtype=float)


def affected_pools(fm: flows.FlowModel) -> dict[str, frozenset[str]]:
    """Per FTE knob, the pools its staffing changes: its own pools, and the pools whose holds include their waits
    (Veilig Thuis and the buurtteam keep families while they wait for the Raad), transitively."""
    pools_of = screening.depends_on(fm)
    out = {}
    for knob in fm.fte_today:
        seen = flows.closure({p for p, knobs in pools_of.items() if knob in knobs},
                                 lambda p: {q for q, c in fm.holds.items() for g in (*c.get(False, ()), *c.get(True, ()))
                                            if any(w.pool == p for w in g.waits)})
        out[knob] = frozenset(seen | {kind_pool(q) for q in seen})  # gi[x] -> also the kind gi (judged on totals)
    return out


def simulation_search(x0: Mapping[str, float], target: Target, sim: Simulator, floor: Mapping[str, float],
                      order: list[str], affected: Mapping[str, frozenset[str]], log: list[str]) -> dict[str, float]:
    """Phase 2: confirm or raise the analytic answer, bisect each organisation down, then verify that one step
    less fails at every organisation (lowering one organisation can leave slack at another: repeat)."""
    step = target.step
    pools_of = screening.depends_on(sim.analytic.fm)
    own = {o: frozenset(q for p, knobs in pools_of.items() if o in knobs for q in (p, kind_pool(p)))
           for o in target.organisations}
    x = dict(x0)
    v = sim(x)
    shares = iter(RAISE)
    while not v.meets:  # raise the organisations that fail: all of them for the KPI, else those of growing pools
        share = next(shares, None)
        if share is None:
            raise NotConfirmed(f"the simulation does not meet {target.describe()} even at {1 + RAISE[-1]:.1f} x the "
                               f"analytic answer ({v.why()}: {target.kpi} = {v.mean:.4g} [{v.low:.4g}, {v.high:.4g}]); "
                               f"more replications narrow the interval (run.replications), or relax the target")
        failing = set(v.growing) | set(v.overloaded)
        raise_orgs = [o for o in target.organisations if not v.kpi_ok or failing & own[o]] or list(target.organisations)
        x = {o: (x0[o] + math.ceil(x0[o] * share / step - 1e-9) * step if o in raise_orgs else x[o]) for o in x0}
        v = sim(x)
    if x != dict(x0):
        log.append("simulation: raised to " + ", ".join(f"{o}={x[o]:g}" for o in target.organisations))

    def lowest(o: str, first: bool) -> float:
        """The smallest value of ``o`` (others fixed) that meets, from x[o] that meets. On the first pass the
        analytic answer is tried first as the lower end of the bracket; later passes first try one step less."""
        ok = lambda value: sim({**x, o: value}).meets_for(affected[o])  # noqa: E731
        hi, gap, lo = x[o], 1, None
        if not first and x[o] - step >= floor[o] and not ok(x[o] - step):
            return hi
        if first and x0[o] < hi:
            if ok(x0[o]):
                hi = x0[o]
            else:
                lo = x0[o]
        while lo is None:  # find a failing value below, doubling the gap
            cand = max(hi - gap * step, floor[o])
            if cand >= hi:
                return hi
            if ok(cand):
                hi, gap = cand, gap * 2
            else:
                lo = cand
        while hi - lo > step * 1.5:  # bisect on the step grid
            mid = lo + round((hi - lo) / step / 2) * step
            if ok(mid):
                hi = mid
            else:
                lo = mid
        return hi

    first = True
    for sweep in range(PASSES):
        v = sim(x)
        if not v.meets:  # lowering one organisation tipped another's list (a flag at its edge): one step back
            bad = set(v.growing) | set(v.overloaded)
            up = [o for o in order if bad & own[o]] or ([] if v.kpi_ok else list(order))
            if not up:
                break
            for o in up:
                x[o] += step
            log.append(f"simulation (pass {sweep + 1}): one step back at {', '.join(up)}")
            continue
        changed = False
        for o in order:
            new = lowest(o, first)
            if new != x[o]:
                x[o], changed = new, True
                log.append(f"simulation (pass {sweep + 1}): {o} minimal at {new:g}")
        first = False
        if not changed and sim(x).meets:
            break
    v = sim(x)
    if not v.meets:  # never hand back a staffing the simulation has not confirmed
        raise NotConfirmed(f"the search did not settle within {PASSES} passes on a staffing that meets "
                           f"{target.describe()} (last: {', '.join(f'{o}={x[o]:g}' for o in order)}: {v.why()}); "
                           f"more replications steady the waiting-list flags (run.replications)")
    return x


# ====================================================================== the whole sizing


def plan(cfg: DictConfig) -> tuple[Model, flows.FlowModel, Target, Analytic]:
    """Validate the configuration and the target (before any simulated time). Raises ConfigError."""
    bounds.check_bounds(cfg.get("target"), "target.", early=True)  # no absurd magnitude reaches the search
    model = validate(cfg)
    if model.run.replications < 2:
        raise ConfigError(f"run.replications = {model.run.replications} (sizing needs at least 2 for a confidence "
                          f"interval; 5 or more is better)")
    try:
        fm = screening.flow_model(model)
    except flows.NotAvailable as err:
        raise ConfigError(f"scenario.name = {model.scenario.name!r} (sizing starts from the analytic screening: "
                          f"{err})") from None
    target = parse_target(cfg.get("target"), fm)
    bounds.check_bounds(cfg.get("target"), "target.")  # every bound parse_target left open
    an = Analytic(fm, target)
    check_reachable(target, an)
    return model, fm, target, an


def size(cfg: DictConfig, out_dir: Path | None = None, quiet: bool = False) -> pd.DataFrame:
    """Run the sizing for the composed configuration; returns the sizing table (and writes it to ``out_dir``)."""
    started = time.perf_counter()
    cfg = copy.deepcopy(cfg)
    cfg.run.event_log = False  # only the families and runs tables are needed
    cfg.run.quiet = True
    model, fm, target, an = plan(cfg)
    years = model.run.years
    cfg.run.years = float(years + follow_days(target) / 365.0)  # the window's families are followed on
    log: list[str] = []
    floor = {o: minimum_fte(fm, o, target.step) for o in target.organisations}
    x_an = analytic_search(an, log)
    v_an, _ = an.one(x_an)
    slack = []  # the organisation whose last step costs the analytic KPI least goes first
    for o in target.organisations:
        vv, bb = an.one({**x_an, o: max(x_an[o] - target.step, floor[o])})
        slack.append(((vv - v_an) if target.lower_is_better else (v_an - vv), o))
    order = [o for _, o in sorted(slack)]
    affected = affected_pools(fm)
    if not quiet:
        print(f"sim.size: {model.scenario.name} in {model.region_name}: {target.describe()}; sizing "
              f"{', '.join(target.organisations)} with {model.run.replications} replications x {years:g} years "
              f"(+{follow_days(target):g} days to follow their families; run.start={model.run.start})", file=sys.stderr)
        for line in log:
            print("  " + line, file=sys.stderr)
    sim = Simulator(cfg, target, an, quiet=quiet)
    with Bar("staffings simulated", None, enabled=not quiet) as sim.bar:
        x = simulation_search(x_an, target, sim, floor, order, affected, log)
        final = sim(x)
        less_of = {o: sim({**x, o: x[o] - target.step}) if x[o] - target.step >= floor[o] else None
                   for o in target.organisations}
    rows = []
    for o in target.organisations:
        less = less_of[o]
        rows.append({
            "workflow": model.scenario.name, "organisation": o, "fte_today": fm.fte_today[o], "fte_needed": x[o],
            "kpi": target.kpi, "kpi_definition": kpis.description(target.kpi), "analytic_kpi": target.analytic,
            "target": target.threshold, "kpi_mean": final.mean, "kpi_ci_low": final.low,
            "kpi_ci_high": final.high, "meets": final.meets,
            "kpi_one_less_mean": less.mean if less else math.nan, "kpi_one_less_ci_low": less.low if less else math.nan,
            "kpi_one_less_ci_high": less.high if less else math.nan,
            "one_less_meets": less.meets_for(affected[o]) if less else False, "one_less_fails_on": _note(less),
            "analytic_fte": x_an[o], "analytic_kpi_at_analytic_fte": v_an,
            "replications": model.run.replications, "years": years, "follow_days": follow_days(target),
            "confidence": target.confidence})
    prices = prices_mod.validate(cfg.get("prices"), sources=False)
    table = costs.sizing_costs(model, prices, pd.DataFrame(rows))  # what the FTE cost: priced afterwards
    search = pd.DataFrame([{**{f"fte.{o}": v.fte.get(o, math.nan) for o in target.organisations}, "kpi": target.kpi,
                            "mean": v.mean, "ci_low": v.low, "ci_high": v.high, "kpi_ok": v.kpi_ok,
                            "meets": v.meets, "growing": ",".join(v.growing), "overloaded": ",".join(v.overloaded),
                            "note": v.note} for v in sim.cache.values()])
    seconds = time.perf_counter() - started
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        output.write_text(out_dir / "config_resolved.yaml", OmegaConf.to_yaml(cfg))
        output.write_results(out_dir, {"sizing": table, "sizing_search": search}, ["csv"], OmegaConf.to_yaml(cfg),
                             extra={"scenario": model.scenario.name, "region": model.region_name,
                                    "wall_seconds": round(seconds, 1), "simulated_staffings": len(sim.cache),
                                    "search": log})
    if not quiet:
        print(format_table(table, target, seconds, len(sim.cache)))
        if prices is not None:
            print(costs.format_sizing_costs(table, prices))
        if out_dir is not None:
            print(f"results: {out_dir / 'sizing.csv'}")
    return table


def _note(v: Verdict | None) -> str:
    if v is None:
        return "already at the smallest FTE that gives a caseload place"
    return v.why()


def format_table(table: pd.DataFrame, target: Target, seconds: float, evaluations: int) -> str:
    def ci(m, lo, hi) -> str:
        return "-" if not math.isfinite(m) else f"{m:.3g} [{lo:.3g}, {hi:.3g}]"

    lines = [f"Staff sizing: {target.describe()}", f"  {target.kpi}: {kpis.description(target.kpi)}",
             f"{'organisation':<14} {'FTE today':>10} {'FTE needed':>11}   {'KPI at needed (95% CI)':<26} "
             f"{'KPI with one FTE less':<26}"]
    for _, r in table.iterrows():
        lines.append(f"{r['organisation']:<14} {r['fte_today']:>10.4g} {r['fte_needed']:>11.4g}   "
                     f"{ci(r['kpi_mean'], r['kpi_ci_low'], r['kpi_ci_high']):<26} "
                     f"{ci(r['kpi_one_less_mean'], r['kpi_one_less_ci_low'], r['kpi_one_less_ci_high']):<26}"
                     f"{'' if not r['one_less_meets'] else '  (one less still meets!)'}")
    lines.append(f"{evaluations} staffings simulated ({int(table['replications'].iloc[0])} replications x "
                 f"{table['years'].iloc[0]:g} years each, same seeds) in {seconds:.0f} s")
    return "\n".join(lines)
