"""A fair comparison of workflows: today's chain and the alternatives on the same families, with paired differences.

``python -m sim +experiment=compare_workflows`` (``compare.enabled``) runs the baseline workflow
(``compare.baseline``, today's chain) and every workflow in ``compare.workflows`` with the same region, the same
staffing, the same ``run.seed`` and the same replications. Families come from ``sim/chain/demand.py``, which depends
only on the seed and the replication, so replication *r* of every workflow sees the very same families (arrival
times, crisismeter colour, children, uniforms): common random numbers. The difference of a KPI between two
workflows is therefore taken *within* each replication (a paired difference) and summarised over replications
with a 95 % Student-t interval: much narrower than the difference of two independent means.

The workflow named by the composed ``scenario`` (``scenario=<file>`` on the command line, with any
``scenario.*`` overrides) takes part with those values; every other workflow is read from its own
``conf/scenario/<file>.yaml``. Results (``sim.run.output``: atomic, marker last):

- ``comparison.csv``: per workflow and KPI: the baseline's mean, the workflow's mean, the paired difference with
  its 95 % CI and sd, whether the interval excludes zero, and ``by_construction``: why a workflow meets the KPI by
  definition rather than by its work (e.g. the GI norm under the duo mandate; empty for a difference the model
  produces), from the workflow's params (``sim.scenarios.by_construction``). Such a difference is never starred;
  the printed table marks it with a dagger and says why below;
- ``staffing.csv``: paper FTE per organisation, team and expert pool in each workflow (the totals are equal by
  default: the teams are formed from the partners' FTE);
- ``summary.csv`` and ``assumptions.csv`` for all workflows together (column ``workflow``);
- ``<workflow>/``: each workflow's own four tables (families, events, timeseries, runs) and summary, the same
  columns for every workflow.

A difference is a model outcome *given the assumptions in force*; the pilots published no effect sizes
(domain.md 1e). The printed table says so, and assumptions.csv lists every assumed value.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import sys
import time
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.analysis import costs
from sim.analysis.assumptions import STABLE, assumptions_table, pool_stability, stability_warnings
from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.chain.model import Model
from sim.config import prices as prices_mod
from sim.config.gate import validate
from sim.config.schema import ScenarioSchema
from sim.config.sources import group_file, group_options
from sim.kernel import stats
from sim.run import output, runner
from sim.scenarios import by_construction, effects, fte_plan, registry

WAITING_PREFIX = kpis.get(kpis.WAITING_LIST_ORG).prefix
DAGGER = "\u2020"  # marks a difference that holds by construction (comparison.csv by_construction)
UNSTABLE_MARK = "\u2021"  # marks a difference whose interval excludes zero but that runs through an unstable pool
ROUNDING = 1e-9  # a difference below this, relative to the KPI's level, in every replication is rounding, not a change
STRUCTURE_DIR = "structure_only"  # <out>/structure_only/<workflow>/: the structure-only runs' own tables
# the KPIs whose value depends on how long families wait, besides every lead time, wait (unit days) and norm share
QUEUE_KPIS = frozenset({kpis.WAITING_LIST_MEAN, kpis.WAITING_LIST_END, kpis.WAITING_LIST_ORG,
                        kpis.SHARE_MEASURE_WAITING_AT_END, kpis.SHARE_CENSORED, kpis.SHARE_REACHED_HELP})


# ====================================================================== which workflows, with which values


def _chosen_file(cfg: DictConfig) -> str:
    """The scenario file the composed configuration came from (Hydra's choice; else the workflow's name)."""
    from hydra.core.hydra_config import HydraConfig

    if HydraConfig.initialized():
        chosen = HydraConfig.get().runtime.choices.get("scenario")
        if chosen:
            return str(chosen)
    return str(cfg.scenario.name)


def plan(cfg: DictConfig, chosen: str | None = None) -> list[tuple[str, DictConfig, Model]]:
    """(scenario file, configuration, validated model) of the baseline and of every compared workflow, in that
    order. Raises :class:`ConfigError` (one line) for an unknown file or an invalid value in any of them."""
    c = cfg.compare
    files = group_options("scenario")
    if c.baseline not in files:
        raise ConfigError(f"compare.baseline = {c.baseline!r} (allowed: {', '.join(files)})")
    workflows = list(c.workflows)
    if not workflows:
        raise ConfigError("compare.workflows = [] (name at least one scenario file to compare with the baseline, "
                          "e.g. compare.workflows=[integrated])")
    for i, w in enumerate(workflows):
        if w not in files:
            raise ConfigError(f"compare.workflows[{i}] = {w!r} (allowed: {', '.join(files)})")
        if w == c.baseline or w in workflows[:i]:
            raise ConfigError(f"compare.workflows[{i}] = {w!r} (each workflow once, and not the baseline "
                              f"{c.baseline!r})")
    chosen = _chosen_file(cfg) if chosen is None else chosen
    out = []
    for name in [c.baseline, *workflows]:
        wcfg = copy.deepcopy(cfg)
        if name != chosen:  # the workflow's own file, as a policy adviser would choose it with scenario=<name>
            try:
                path = group_file("scenario", name)  # conf/scenario, or a --config-dir folder of the user's
                section = OmegaConf.merge(OmegaConf.structured(ScenarioSchema), OmegaConf.load(path))
                wcfg.scenario = section
            except Exception as err:  # noqa: BLE001 - a wrong file is a configuration error
                raise ConfigError(f"scenario/{name}.yaml: {str(err).splitlines()[0]}") from None
        try:
            model = validate(wcfg)
        except ConfigError as err:
            raise ConfigError(f"{err} [in compare workflow {name!r}]") from None
        out.append((name, wcfg, model))
    return out


@dataclasses.dataclass(frozen=True)
class Structure:
    """The structure-only arm of a compared workflow: the same workflow with every assumed effect at its no-effect
    value (factors 1, shares 0: ``sim.scenarios.effects.neutral`` of the effects dataclass the workflow declares),
    on the same seeds and replications. What remains of a difference is what the structure gives (pooling, fewer
    hand-offs and intakes, meetings, the team's caseload); the rest is what the assumed effects add."""

    overrides: tuple[str, ...]  # scenario.effects.<name>=<no-effect value>, each one that changes a value
    cfg: DictConfig | None  # None: no run of its own, the structure-only arm is the default run itself
    model: Model | None
    note: str  # what the structure-only columns are, for comparison.csv and the printed table


def _number(v: float) -> str:
    return f"{v:g}"


def structure_only(name: str, wcfg: DictConfig, model: Model) -> Structure:
    """The structure-only arm of workflow ``name`` (configuration ``wcfg``, validated ``model``); validated before
    any simulated time. Raises ConfigError (one line)."""
    spec = registry.get(model.scenario.name)
    cls = spec.effects if spec is not None else None
    if cls is None or not dataclasses.fields(cls):
        return Structure((), None, None, f"{name} declares no assumed effects: structure only = default (no own run)")
    neutral = effects.neutral(cls)
    given = effects.configured(wcfg.scenario)  # the values this comparison runs the workflow with
    changes = [(f.name, float(getattr(neutral, f.name))) for f in dataclasses.fields(cls)
               if given.get(f.name) is None or float(given[f.name]) != float(getattr(neutral, f.name))]
    if not changes:
        return Structure((), None, None, f"every assumed effect of {name} is at its no-effect value already: "
                                         f"structure only = default (no own run)")
    scfg = copy.deepcopy(wcfg)
    for key, value in changes:
        scfg.scenario.effects[key] = value
    try:
        smodel = validate(scfg)
    except ConfigError as err:
        raise ConfigError(f"{err} [in compare workflow {name!r}, structure only]") from None
    overrides = tuple(f"scenario.effects.{key}={_number(value)}" for key, value in changes)
    return Structure(overrides, scfg, smodel, "own run, every assumed effect at its no-effect value: "
                     + " ".join(overrides))


def structures(cfg: DictConfig, members: Sequence[tuple[str, DictConfig, Model]]) -> dict[str, Structure | None]:
    """The structure-only arm of every compared workflow (not the baseline); None for each when
    ``compare.decompose`` is false."""
    decompose = cfg.compare.decompose
    if not isinstance(decompose, bool):  # a structured config refuses it when composing; a plain one may not
        raise ConfigError(f"compare.decompose = {decompose!r} (must be true or false)")
    return {name: structure_only(name, wcfg, model) if decompose else None for name, wcfg, model in members[1:]}


# ====================================================================== paired differences


def org_waiting(runs: pd.DataFrame, timeseries: pd.DataFrame) -> pd.DataFrame:
    """Time-weighted waiting list per organisation (sum of its pools; unit: the organisation's cases): the teams'
    and the expert pools' own waiting lists are listed under their own names, so organisations compare across
    workflows whatever pools a workflow has."""
    pools = timeseries[["pool", "organisation"]].drop_duplicates() if len(timeseries) else pd.DataFrame(
        columns=["pool", "organisation"])
    owner = {p: ("expertise" if p.startswith("expertise.") else o) for p, o in zip(pools["pool"], pools["organisation"])}
    out = pd.DataFrame({"replication": runs["replication"]})
    for org in sorted(set(owner.values())):
        cols = [kpis.of(kpis.WAITING_LIST_MEAN, p) for p, o in owner.items()
                if o == org and kpis.of(kpis.WAITING_LIST_MEAN, p) in runs]
        out[kpis.of(kpis.WAITING_LIST_ORG, org)] = runs[cols].sum(axis=1, min_count=1) if cols else math.nan
    return out


def kpi_frame(results: runner.Results, model: Model) -> pd.DataFrame:
    """The runs table with the comparison's own KPIs added: waiting list per organisation, total FTE."""
    runs = results.runs.drop(columns=["scenario"])
    extra = org_waiting(results.runs, results.timeseries)
    runs = runs.merge(extra, on="replication", how="left")
    runs[kpis.FTE_TOTAL] = sum(fte_plan(model).values())
    return runs.set_index("replication").sort_index()


def through_queues(column: str, pools: Sequence[str] = ()) -> bool:
    """Whether a KPI's value passes through the waiting lists: every lead time and wait (unit days), every norm share,
    every waiting list, the shares still waiting or helped, and any KPI of one of ``pools``. The mapping from a KPI to
    the pools it passes through is not exact (a lead time passes through every pool on the family's path), so it
    is conservative: an unstable pool anywhere withholds the star of every such KPI."""
    kpi = kpis.find(column)
    if kpi is None:
        return False
    if kpi.unit == kpis.DAYS or kpi.norm is not None or kpi.name in QUEUE_KPIS:
        return True
    return kpi.per_pool and column[len(kpi.prefix):] in pools


def _rounding(diffs: np.ndarray, *levels: np.ndarray) -> bool:
    """Every paired difference below ROUNDING relative to the KPI's level: last-bit noise (fte_total -2.3e-13), a
    degenerate interval that excludes zero without any change to report."""
    if not len(diffs):
        return False
    finite = [np.abs(v[np.isfinite(v)]) for v in levels]
    scale = max([float(v.max()) for v in finite if len(v)] + [1.0])
    return bool(np.all(np.abs(diffs) <= ROUNDING * scale))


def _interval(diffs: np.ndarray) -> tuple[float, float, float, float, bool]:
    mean, lo, hi, sd = stats.confidence_interval(diffs)
    return mean, lo, hi, sd, bool(lo > 0 or hi < 0) if np.isfinite(lo) else False


def paired(base: pd.DataFrame, alt: pd.DataFrame, baseline: str, workflow: str,
           constructed: Mapping[str, str] | None = None, structure: pd.DataFrame | None = None,
           structure_note: str = "", unstable: Sequence[tuple[str, str, str]] = ()) -> pd.DataFrame:
    """Per KPI: both means and the paired difference (workflow - baseline) with its 95 % t-interval.

    ``constructed``: declared KPI -> why the workflow (or the baseline) meets it by definition; every column of
    that KPI (``share_gi_within_norm[<gi>]`` too) carries the reason in ``by_construction``.

    ``structure``: the workflow's structure-only frame (every assumed effect at its no-effect value, the same
    replications: :func:`structure_only`): adds ``mean_structure``, the structure-only difference (structure -
    baseline, ``structure_diff_*``) and what the assumed effects add on top (workflow - structure,
    ``effects_add_*``), each paired within replication with its 95 % t-interval, so default = structure + effects
    add in every replication; ``structure_only`` says how that arm was obtained (``structure_note``). None: those
    columns are NaN (``compare.decompose=false``).

    ``unstable``: (arm, pool, state) of every pool that was not stable in one of the runs compared (the baseline,
    the workflow, its structure-only arm; ``sim.analysis.assumptions.pool_stability``).

    ``ci_excludes_zero`` is the statistic; ``starred`` (and ``structure_starred``, ``effects_add_starred``) is
    whether the difference is shown as a finding: the interval excludes zero, the KPI is not met by construction,
    it does not pass through a pool that was not stable (:func:`through_queues`) and the difference is more than
    rounding (:func:`_rounding`). ``star_withheld`` says why a difference whose interval excludes zero is not."""
    constructed = constructed or {}
    frames = {"base": base.copy(), "alt": alt.copy()}
    if structure is not None:
        frames["structure"] = structure.copy()
    reps = frames["base"].index.intersection(frames["alt"].index)
    if structure is not None:
        reps = reps.intersection(frames["structure"].index)
    waiting = {k for f in frames.values() for k in f.columns if k.startswith(WAITING_PREFIX)}
    for kpi in waiting:  # an organisation or team that a workflow does not have keeps nobody waiting
        for f in frames.values():
            f[kpi] = f[kpi].fillna(0.0) if kpi in f else 0.0
    base, alt = frames["base"], frames["alt"]
    pools = [pool for _, pool, _ in unstable]
    shaky = "; ".join(f"{arm}: {pool} {state}" for arm, pool, state in unstable)

    def column(frame: pd.DataFrame | None, kpi: str) -> np.ndarray:
        if frame is None or kpi not in frame.columns:
            return np.full(len(reps), np.nan)
        return frame.loc[reps, kpi].to_numpy(dtype=float)

    rows = []
    for kpi in [k for k in alt.columns if k in base.columns] + [k for k in alt.columns if k not in base.columns]:
        a, b, st = column(alt, kpi), column(base, kpi), column(frames.get("structure"), kpi)
        both = np.isfinite(a) & np.isfinite(b)
        mean, lo, hi, sd, excludes = _interval(a[both] - b[both])
        why = _constructed(kpi, constructed)
        shared = ([f"by construction: {why}"] if why else []) + (
            [f"runs through a pool that was not stable ({shaky})"] if pools and through_queues(kpi, pools) else [])
        s_ok, e_ok = np.isfinite(st) & np.isfinite(b), np.isfinite(a) & np.isfinite(st)
        s_mean, s_lo, s_hi, s_sd, s_ex = _interval(st[s_ok] - b[s_ok])
        e_mean, e_lo, e_hi, e_sd, e_ex = _interval(a[e_ok] - st[e_ok])
        rounding = {"default": excludes and _rounding(a[both] - b[both], a, b),
                    "structure only": s_ex and _rounding(st[s_ok] - b[s_ok], st, b),
                    "effects add": e_ex and _rounding(a[e_ok] - st[e_ok], a, st)}
        withheld = shared + [f"rounding ({arm}): every paired difference below {ROUNDING:g} of the level"
                             for arm, flag in rounding.items() if flag]
        rows.append((workflow, baseline, kpi, kpis.unit(kpi),
                     stats.confidence_interval(b)[0], stats.confidence_interval(a)[0],
                     mean, lo, hi, sd, int(both.sum()), excludes,
                     kpis.description(kpi), why, structure_note, stats.confidence_interval(st)[0],
                     s_mean, s_lo, s_hi, s_sd, e_mean, e_lo, e_hi, e_sd,
                     excludes and not shared and not rounding["default"],
                     s_ex and not shared and not rounding["structure only"],
                     e_ex and not shared and not rounding["effects add"],
                     "; ".join(withheld) if (excludes or s_ex or e_ex) else ""))
    return pd.DataFrame.from_records(rows, columns=COLUMNS)


COLUMNS = ("workflow", "baseline", "kpi", "unit", "mean_baseline", "mean_workflow", "diff_mean", "diff_ci_low",
           "diff_ci_high", "diff_sd", "n_pairs", "ci_excludes_zero", "description", "by_construction",
           "structure_only", "mean_structure", "structure_diff_mean", "structure_diff_ci_low", "structure_diff_ci_high",
           "structure_diff_sd", "effects_add_mean", "effects_add_ci_low", "effects_add_ci_high", "effects_add_sd",
           "starred", "structure_starred", "effects_add_starred", "star_withheld")
"""comparison.csv's columns (docs/workflows.md and the module docstring say what each means)."""


def _constructed(column: str, constructed: Mapping[str, str]) -> str:
    declared = kpis.find(column)
    return constructed.get(declared.name, "") if declared is not None else ""


def _labelled(constructed: Mapping[str, str], workflow: str) -> dict[str, str]:
    """The baseline's own by-construction KPIs, saying that it is the baseline that meets them."""
    return {k: f"{workflow} (baseline): {why}" for k, why in constructed.items()}


def staffing_table(models: dict[str, Model]) -> pd.DataFrame:
    rows = [(name, unit, fte) for name, m in models.items() for unit, fte in fte_plan(m).items()]
    df = pd.DataFrame(rows, columns=["workflow", "unit", "fte"])
    totals = df.groupby("workflow", sort=False)["fte"].sum().reset_index().assign(unit="total")
    return pd.concat([df, totals[["workflow", "unit", "fte"]]], ignore_index=True)


# ====================================================================== printing


def fmt(v: float) -> str:
    """A number as the printed table shows it: '-' for none, small non-zero values in scientific notation."""
    if v is None or not np.isfinite(v):
        return "-"
    if v != 0 and abs(v) < 0.01:
        return f"{v:.1e}"  # a small non-zero difference is not shown as 0.00
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"


def mark(row: pd.Series, prefix: str, starred: str) -> str:
    """The printed mark of one difference: a dagger (by construction), a star (a finding), a double dagger (its
    interval excludes zero but it runs through a pool that was not stable), or nothing."""
    if isinstance(row.get("by_construction"), str) and row["by_construction"]:
        return f" {DAGGER}"
    if starred not in row.index:  # a comparison.csv written before the star rules: the statistic
        return " *" if row.get("ci_excludes_zero") else ""
    if bool(row[starred]):
        return " *"
    lo, hi = row.get(f"{prefix}_ci_low", math.nan), row.get(f"{prefix}_ci_high", math.nan)
    excludes = bool(np.isfinite(lo) and (lo > 0 or hi < 0))
    why = row.get("star_withheld")
    return f" {UNSTABLE_MARK}" if excludes and isinstance(why, str) and "not stable" in why else ""


def _ci(row: pd.Series, prefix: str, mean: str) -> str:
    return f"{fmt(row[mean])} [{fmt(row[f'{prefix}_ci_low'])}, {fmt(row[f'{prefix}_ci_high'])}]"


def decomposed(comparison: pd.DataFrame) -> bool:
    """Whether a comparison table carries the structure-only decomposition (``compare.decompose``)."""
    return "structure_diff_mean" in comparison.columns and bool(comparison["structure_diff_mean"].notna().any())


def format_comparison(comparison: pd.DataFrame, workflow: str) -> str:
    c = comparison[comparison["workflow"] == workflow].set_index("kpi")
    shown = kpis.rows("compared", c.index)
    base = c["baseline"].iloc[0]
    split = decomposed(c)
    why = {k: str(c.at[k, "by_construction"]) if "by_construction" in c and isinstance(c.at[k, "by_construction"], str)
           else "" for k in shown}
    lines = []
    for k in shown:
        r = c.loc[k]
        default = _ci(r, "diff", "diff_mean") + mark(r, "diff", "starred")
        parts = [_ci(r, "structure_diff", "structure_diff_mean") + mark(r, "structure_diff", "structure_starred"),
                 default, _ci(r, "effects_add", "effects_add_mean") + mark(r, "effects_add", "effects_add_starred")] \
            if split else [default]
        lines.append((k, c.at[k, "unit"], fmt(c.at[k, "mean_baseline"]), fmt(c.at[k, "mean_workflow"]), parts))
    w = max(len(x[0]) for x in lines)
    widths = [max(len(x[4][i]) for x in lines) for i in range(len(lines[0][4]))]
    titles = ["structure only [95% CI]", "paired difference [95% CI]", "assumed effects add [95% CI]"] if split \
        else ["paired difference [95% CI]"]
    widths = [max(a, len(t)) for a, t in zip(widths, titles)]

    def cells(values: Sequence[str]) -> str:
        return "  ".join(f"{v:<{n}}" for v, n in zip(values, widths)).rstrip()

    head = f"{'KPI':<{w}}  {'unit':<13} {base:>11} {workflow:>16}  " + cells(titles)
    notes = [f"{DAGGER} by construction, not a finding: {', '.join(k for k in shown if why[k] == reason)}: {reason}"
             for reason in dict.fromkeys(r for r in why.values() if r)]
    marked = [k for k, *_, parts in lines if any(p.endswith(UNSTABLE_MARK) for p in parts)]
    if marked:
        reasons = dict.fromkeys(p for k in marked for p in str(c.at[k, "star_withheld"]).split("; ")
                                if "not stable" in p)
        notes.append(f"{UNSTABLE_MARK} not starred although the interval excludes 0: {', '.join(marked)} "
                     f"{'; '.join(reasons)}")
    note = c["structure_only"].iloc[0] if "structure_only" in c.columns else ""
    if isinstance(note, str) and note:
        notes.append(f"structure only = {workflow} {note}; assumed effects add = paired difference - structure only")
    return "\n".join([head] + [f"{k:<{w}}  {u:<13} {b:>11} {a:>16}  " + cells(p) for k, u, b, a, p in lines] + notes)


# ====================================================================== the run


def _run_arm(name: str, wcfg: DictConfig, model: Model, dest: Path) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Run one workflow (or its structure-only arm) and write its own tables to ``dest`` (atomic, marker last);
    (its tables, its KPI frame). Its costs (costs.csv, ...) are priced afterwards: no simulated number moves."""
    results = runner.run(model)
    tables = results.tables()
    tables["assumptions"] = assumptions_table(wcfg, model, scenario_file=name)
    tables.update(costs.tables(model, prices_mod.validate(wcfg.get("prices"), sources=False), tables))
    dest.mkdir(parents=True, exist_ok=True)
    output.write_text(dest / "config_resolved.yaml", OmegaConf.to_yaml(wcfg))  # snapshot first
    output.write_results(dest, tables, list(model.run.formats), OmegaConf.to_yaml(wcfg),
                         extra={"scenario": model.scenario.name, "region": model.region_name,
                                "replications": model.run.replications, "pid": os.getpid()},
                         event_log_formats=model.run.event_log_formats, families_formats=model.run.families_formats)
    return tables, kpi_frame(results, model)


STRUCTURE, DEFAULT = "structure_only", "default"  # the arms of a workflow in stability.csv


def stability_rows(summary: pd.DataFrame, workflow: str, arm: str) -> list[tuple]:
    """One row per pool of one run: its state (stable, SATURATED, UNSTABLE) and the numbers behind it."""
    return [(workflow, arm, pool, state, n[kpis.OFFERED_LOAD], n[kpis.CAPACITY], n[kpis.UTILISATION],
             n[kpis.WAITING_LIST_END]) for pool, (state, n) in pool_stability(summary).items()]


STABILITY_COLUMNS = ("workflow", "arm", "pool", "state", "offered_load", "capacity", "utilisation", "waiting_list_end")


def stability_statement(stability: pd.DataFrame, workflow: str, arm: str = DEFAULT) -> str:
    """'every pool stable', or the pools that were not, of one run."""
    rows = stability[(stability["workflow"] == workflow) & (stability["arm"] == arm)]
    bad = rows[rows["state"] != STABLE]
    if bad.empty:
        return f"every pool stable ({len(rows)} pools)"
    return "not stable: " + ", ".join(f"{p} {st}" for p, st in zip(bad["pool"], bad["state"]))


def execute(cfg: DictConfig, out_dir: Path) -> Path:
    started = time.perf_counter()
    members = plan(cfg)  # every workflow validated before any simulated time
    arms = structures(cfg, members)  # and every structure-only arm
    config_yaml = OmegaConf.to_yaml(cfg)
    baseline = members[0][0]
    quiet = members[0][2].run.quiet
    first = members[0][2]
    if not quiet:
        print(f"ketensim: compare {baseline} with {', '.join(n for n, _, _ in members[1:])} region={first.region_name} "
              f"replications={first.run.replications} years={first.run.years:g} (+{first.run.warmup_years:g} "
              f"warm-up) seed={first.run.seed}", file=sys.stderr)
    with output.guarded(out_dir):  # a failure anywhere below: error.txt, and no marker
        output.write_text(out_dir / "config_resolved.yaml", config_yaml)  # snapshot first
        frames: dict[str, pd.DataFrame] = {}  # the KPIs per replication of each workflow
        structure_frames: dict[str, pd.DataFrame] = {}
        summaries, assumptions, warnings, stability = [], [], [], []
        arm_costs: dict[str, pd.DataFrame | None] = {}
        for name, wcfg, model in members:
            if not quiet:
                print(f"  {name}:", file=sys.stderr)
            tables, frames[name] = _run_arm(name, wcfg, model, out_dir / name)
            arm_costs[name] = tables.get("costs")
            summaries.append(tables["summary"].assign(workflow=name))
            assumptions.append(tables["assumptions"].assign(workflow=name))
            warnings += [f"[{name}] {w}" for w in stability_warnings(tables["summary"], model)]
            stability += stability_rows(tables["summary"], name, DEFAULT)
            arm = arms.get(name)
            if arm is not None and arm.model is not None:
                if not quiet:
                    print(f"  {name} (structure only):", file=sys.stderr)
                tables, structure_frames[name] = _run_arm(name, arm.cfg, arm.model, out_dir / STRUCTURE_DIR / name)
                warnings += [f"[{name}, structure only] {w}" for w in stability_warnings(tables["summary"], arm.model)]
                stability += stability_rows(tables["summary"], name, STRUCTURE)
            elif arm is not None:  # no assumed effects to switch off: the structure-only arm is the default run
                structure_frames[name] = frames[name]
        stable = pd.DataFrame.from_records(stability, columns=STABILITY_COLUMNS)
        constructed = {name: by_construction(model) for name, _, model in members}
        parts = []
        for name, _, _ in members[1:]:
            shaky = [(f"{w}{' (structure only)' if a == STRUCTURE else ''}", p, st)
                     for w, a, p, st in zip(stable["workflow"], stable["arm"], stable["pool"], stable["state"])
                     if w in (baseline, name) and st != STABLE]
            parts.append(paired(frames[baseline], frames[name], baseline, name,
                                {**_labelled(constructed[baseline], baseline), **constructed[name]},
                                structure=structure_frames.get(name),
                                structure_note=arms[name].note if arms.get(name) is not None else "",
                                unstable=shaky))
        comparison = pd.concat(parts, ignore_index=True)
        priced = [(name, t) for name, t in arm_costs.items() if t is not None]
        cost_parts = [costs.compare(arm_costs[baseline], t, baseline, name)
                      for name, t in priced if name != baseline and arm_costs.get(baseline) is not None]
        top = {"comparison": comparison,
               "staffing": staffing_table({name: model for name, _, model in members}),
               "stability": stable,
               "summary": pd.concat(summaries, ignore_index=True),
               "assumptions": pd.concat(assumptions, ignore_index=True)}
        if cost_parts:
            top["cost_comparison"] = pd.concat(cost_parts, ignore_index=True)
        structure_info = {name: {"overrides": list(arm.overrides), "own_run": arm.model is not None, "note": arm.note}
                          for name, arm in arms.items() if arm is not None}
        marker = output.write_results(out_dir, top, list(first.run.formats), config_yaml,
                                      extra={"comparison": [n for n, _, _ in members], "region": first.region_name,
                                             "replications": first.run.replications, "pid": os.getpid(),
                                             "decompose": bool(cfg.compare.decompose),
                                             "structure_only": structure_info,
                                             "wall_seconds": round(time.perf_counter() - started, 3)})
    if not quiet:
        for name, _, _ in members[1:]:
            print(f"\n{name} vs {baseline}: same families, {first.run.replications} paired replications "
                  f"(* = the 95% CI of the difference excludes 0 and the difference is a finding)")
            said = [f"{baseline}: {stability_statement(stable, baseline)}", f"{name}: {stability_statement(stable, name)}"]
            if name in structure_info and structure_info[name]["own_run"]:
                said.append(f"{name} (structure only): {stability_statement(stable, name, STRUCTURE)}")
            print("stability: " + "; ".join(said))
            print(format_comparison(comparison, name))
            if "cost_comparison" in top:
                print(costs.format_compare(top["cost_comparison"], name))
        for w in warnings:
            print(w)
        a = top["assumptions"]
        own = int((a["file"].str.startswith("scenario") & (a["workflow"] != baseline)).sum())
        print(f"\nThe differences are model outcomes given the assumed values in force, not measured pilot effects "
              f"(no pilot published effect sizes, domain.md 1e): {own} assumed values of the alternatives' own "
              f"(effects, team, meetings) and {int((a['workflow'] == baseline).sum())} shared by every workflow, "
              f"listed in {out_dir / 'assumptions.csv'}")
        print(f"results: {out_dir}  ({time.perf_counter() - started:.1f}s)")
    return marker
