"""Backlog drain: how many days until today's waiting lists are back within their norms, for N extra FTE?

Models a hiring campaign against today's waiting lists. The run starts from the region's open cases and waiting
lists on ``region.initial_state.date`` (``run.start=today``, sim/chain/initial_state.py) with staff dynamics
(sim/chain/workforce.py, ``conf/staff_dynamics/``): the ``backlog.extra_fte`` extra positions at ``backlog.org`` are filled
after the hiring delay, evenly over ``backlog.spread_days``, and each hire onboards before carrying a full
caseload, while people keep leaving. Every ``backlog.probe_days`` each waiting list with a norm is checked:

    veilig_thuis.triage  norms.vt_triage_days         (veiligheidsbeoordeling within 5 werkdagen)
    rvdk                 norms.rvdk_wait_days         (the Raad starts within 10 days)
    gi                   norms.gi_first_contact_days  (a jeugdbeschermer soon after the measure)

A list is *within its norm* when nobody on it has waited longer than the norm (FIFO per class, so the heads
of the two classes are the oldest). The drain day is the first check at which that holds; a list that never
gets there within the run is censored (NaN, counted in ``share_drained``). Every level uses the same
replications (same seeds, common random numbers), so levels differ only by the extra staff.

Output (``backlog_drain.csv``, the columns sim/analysis/derived.BACKLOG expects): per organisation, extra FTE and
week the mean number waiting with its 95 % CI, and per organisation and level ``days_to_norm_mean`` with its
band (``days_to_norm_ci_low``/``_high``, t-interval over the replications that drained) and ``share_drained``.
``backlog_days.csv`` has one row per replication. Run: ``python -m sim.backlog`` (Hydra app, conf/backlog.yaml).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
from omegaconf import DictConfig

from sim.analysis.derived import backlog_from_timeseries
from sim.chain import kpis, tables
from sim.chain.bounds import check_bounds
from sim.chain.checks import STAFFED_ORGS, ConfigError, choice, non_negative, positive
from sim.chain.entities import kind_pool
from sim.chain.model import Model
from sim.config.gate import validate
from sim.kernel import stats
from sim.run.progress import Bar

NORMED_POOLS: dict[str, str] = kpis.normed_pools()  # pool -> its norm (a key of model.norms, days)


@dataclass(frozen=True)
class Plan:
    org: str
    levels: tuple[float, ...]
    spread_days: float
    probe_days: float
    models: tuple[Model, ...]  # one per level, same seeds


def plan(cfg: DictConfig) -> Plan:
    """Validate the backlog settings and build one model per extra-FTE level. Raises ConfigError."""
    b = cfg.get("backlog")
    if b is None:
        raise ConfigError("backlog is missing (run python -m sim.backlog, which composes conf/backlog.yaml)")
    check_bounds(b, "backlog.", early=True)  # before the levels are copied into staff_dynamics and named there
    org = choice("backlog.org", b.org, STAFFED_ORGS)
    levels = tuple(non_negative(f"backlog.extra_fte[{i}]", v) for i, v in enumerate(b.extra_fte))
    if not levels:
        raise ConfigError("backlog.extra_fte = [] (give at least one level, e.g. [0, 10, 20])")
    spread = non_negative("backlog.spread_days", b.spread_days)
    probe = positive("backlog.probe_days", b.probe_days)
    if cfg.run.start != "today":
        raise ConfigError(f"run.start = {cfg.run.start!r} (backlog drain starts from today's waiting lists: today)")
    if cfg.get("staff_dynamics") is None or org not in cfg.staff_dynamics.orgs:
        raise ConfigError(f"staff_dynamics.orgs.{org} is missing (the extra hires need a hiring delay and onboarding)")
    models = []
    for level in levels:
        c = cfg.copy()
        c.staff_dynamics.orgs[org].extra_fte = float(level)
        c.staff_dynamics.orgs[org].extra_spread_days = float(spread)
        models.append(validate(c))
    if models[0].initial_state is None:
        raise ConfigError(f"region.initial_state = None (region {models[0].region_name} has no waiting lists today)")
    check_bounds(b, "backlog.")  # every bound the checks above left open
    return Plan(org, levels, spread, probe, tuple(models))


def drain_days(model: Model, replication: int, probe_days: float) -> tuple[dict[str, float], pd.DataFrame, dict]:
    """One replication: the first day each normed waiting list is within its norm (NaN: never within the run),
    its pools' time series, and its KPIs (with mean available FTE)."""
    wf = model.scenario.workflow(model, replication)
    # a region with several organisations of a kind (region.units): the kind's list is within its norm when every
    # organisation's is (pools gi[a], gi[b], ... of kind gi)
    members_of = {name: [p for p in wf.engine.pools.values() if kind_pool(p.name) == name] for name in NORMED_POOLS}
    pools = {name: members for name, members in members_of.items() if members}
    found: dict[str, float] = {name: math.nan for name in pools}

    def probe(_: object) -> None:
        now = wf.engine.now
        for name, members in pools.items():
            if math.isnan(found[name]):
                heads = [q[0][2] for pool in members for q in (pool._crisis, pool._regular) if q]  # oldest 'since' per class
                if not heads or now - min(heads) <= model.norms[NORMED_POOLS[name]]:
                    found[name] = now
        if any(math.isnan(v) for v in found.values()) and now + probe_days < wf.engine.horizon:
            wf.engine.at(probe_days, probe, None)

    wf.engine.at(0.0, probe, None)  # at day 0 after today's cases are in place (run() seeds them first)
    wf.run()
    ts = tables.timeseries_table(wf.engine.pools, model.scenario.name, replication)
    fam = tables.families_table(wf.families, model.scenario.name, replication, model.warmup_days)
    values = tables.replication_kpis(fam, wf.engine.pools, model.norms, model.run.years * 365.0)
    if getattr(wf, "staff", None) is not None:
        values.update(wf.staff.kpis(model.warmup_days, model.horizon_days))
    wf.engine.discard_pending()
    return found, ts, values


def organisation_of(pool: str) -> str:
    return pool.split(".", 1)[0]


def drain(p: Plan, progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-replication drain days, backlog_drain table) over every level, paired seeds."""
    rows, series = [], {}
    total = sum(model.run.replications for model in p.models)
    with Bar("replications (all levels)", total, enabled=progress) as bar:
        for level, model in zip(p.levels, p.models):
            parts = []
            for r in range(model.run.replications):
                found, ts, values = drain_days(model, r, p.probe_days)
                parts.append(ts)
                for pool, day in found.items():
                    available = kpis.of(kpis.AVAILABLE_FTE_MEAN, organisation_of(pool))
                    rows.append({"workflow": model.scenario.name, "organisation": organisation_of(pool), "pool": pool,
                                 "extra_fte_org": p.org, "extra_fte": level, "replication": r, "days_to_norm": day,
                                 kpis.AVAILABLE_FTE_MEAN: values.get(available, math.nan),
                                 # 1: the list was still growing at the end (SATURATED or UNSTABLE, as a run's
                                 # summary says): within the norm once is then not a drained list
                                 "growing": values.get(kpis.of(kpis.UNSTABLE, pool), math.nan)})
                bar.advance()
            series[level] = pd.concat(parts, ignore_index=True)
    days = pd.DataFrame(rows)
    summary = []
    for (org, level), g in days.groupby(["organisation", "extra_fte"], sort=True):
        mean, low, high, _ = stats.confidence_interval(g["days_to_norm"].to_numpy())
        summary.append({"organisation": org, "extra_fte": float(level), "days_to_norm_mean": mean,
                        "days_to_norm_ci_low": low, "days_to_norm_ci_high": high,
                        "share_drained": float(g["days_to_norm"].notna().mean()),
                        kpis.AVAILABLE_FTE_MEAN: float(g[kpis.AVAILABLE_FTE_MEAN].mean())})
    per_level = pd.DataFrame(summary)
    curve = backlog_from_timeseries(series, workflow=p.models[0].scenario.name, extra_fte_org=p.org)
    curve = curve[curve["organisation"].isin(per_level["organisation"])]
    table = curve.merge(per_level, on=["organisation", "extra_fte"], how="left")
    return days, table
