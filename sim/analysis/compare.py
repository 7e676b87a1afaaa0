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
import math
import os
import sys
import time
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from sim.analysis.assumptions import assumptions_table, stability_warnings
from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.chain.model import Model
from sim.config.gate import validate
from sim.config.schema import ScenarioSchema
from sim.config.sources import group_file, group_options
from sim.kernel import stats
from sim.run import output, runner
from sim.scenarios import by_construction, fte_plan

WAITING_PREFIX = kpis.get(kpis.WAITING_LIST_ORG).prefix
DAGGER = "\u2020"  # marks a difference that holds by construction (comparison.csv by_construction)


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


def paired(base: pd.DataFrame, alt: pd.DataFrame, baseline: str, workflow: str,
           constructed: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per KPI: both means and the paired difference (workflow - baseline) with its 95 % t-interval.

    ``constructed``: declared KPI -> why the workflow (or the baseline) meets it by definition; every column of
    that KPI (``share_gi_within_norm[<gi>]`` too) carries the reason in ``by_construction``."""
    constructed = constructed or {}
    reps = base.index.intersection(alt.index)
    base, alt = base.copy(), alt.copy()
    for kpi in {k for k in [*base.columns, *alt.columns] if k.startswith(WAITING_PREFIX)}:
        # an organisation or team that a workflow does not have keeps nobody waiting
        base[kpi] = base[kpi].fillna(0.0) if kpi in base else 0.0
        alt[kpi] = alt[kpi].fillna(0.0) if kpi in alt else 0.0
    rows = []
    for kpi in [k for k in alt.columns if k in base.columns] + [k for k in alt.columns if k not in base.columns]:
        a = alt.loc[reps, kpi].to_numpy(dtype=float)
        b = base.loc[reps, kpi].to_numpy(dtype=float) if kpi in base.columns else np.full(len(reps), np.nan)
        both = np.isfinite(a) & np.isfinite(b)
        mean, lo, hi, sd = stats.confidence_interval(a[both] - b[both])
        rows.append((workflow, baseline, kpi, kpis.unit(kpi),
                     stats.confidence_interval(b)[0], stats.confidence_interval(a)[0],
                     mean, lo, hi, sd, int(both.sum()),
                     bool(lo > 0 or hi < 0) if np.isfinite(lo) else False,
                     kpis.description(kpi), _constructed(kpi, constructed)))
    return pd.DataFrame.from_records(rows, columns=[
        "workflow", "baseline", "kpi", "unit", "mean_baseline", "mean_workflow", "diff_mean", "diff_ci_low",
        "diff_ci_high", "diff_sd", "n_pairs", "ci_excludes_zero", "description", "by_construction"])


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


def _fmt(v: float) -> str:
    if v is None or not np.isfinite(v):
        return "-"
    if v != 0 and abs(v) < 0.01:
        return f"{v:.1e}"  # a small non-zero difference is not shown as 0.00
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}"


def format_comparison(comparison: pd.DataFrame, workflow: str) -> str:
    c = comparison[comparison["workflow"] == workflow].set_index("kpi")
    shown = kpis.rows("compared", c.index)
    base = c["baseline"].iloc[0]
    why = {k: str(c.at[k, "by_construction"]) if "by_construction" in c and isinstance(c.at[k, "by_construction"], str)
           else "" for k in shown}

    def mark(k: str) -> str:  # a difference true by definition is no finding: a dagger, never a star
        return f" {DAGGER}" if why[k] else (" *" if c.at[k, "ci_excludes_zero"] else "")

    lines = [(k, c.at[k, "unit"], _fmt(c.at[k, "mean_baseline"]), _fmt(c.at[k, "mean_workflow"]),
              f"{_fmt(c.at[k, 'diff_mean'])} [{_fmt(c.at[k, 'diff_ci_low'])}, {_fmt(c.at[k, 'diff_ci_high'])}]"
              + mark(k)) for k in shown]
    w = max(len(x[0]) for x in lines)
    head = f"{'KPI':<{w}}  {'unit':<13} {base:>11} {workflow:>16}  paired difference [95% CI]"
    notes = [f"{DAGGER} by construction, not a finding: {', '.join(k for k in shown if why[k] == reason)}: {reason}"
             for reason in dict.fromkeys(r for r in why.values() if r)]
    return "\n".join([head] + [f"{k:<{w}}  {u:<13} {b:>11} {a:>16}  {d}" for k, u, b, a, d in lines] + notes)


# ====================================================================== the run


def execute(cfg: DictConfig, out_dir: Path) -> Path:
    started = time.perf_counter()
    members = plan(cfg)  # every workflow validated before any simulated time
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
        summaries, assumptions, warnings = [], [], []
        for name, wcfg, model in members:
            if not quiet:
                print(f"  {name}:", file=sys.stderr)
            results = runner.run(model)
            tables = results.tables()
            table = assumptions_table(wcfg, model, scenario_file=name)
            tables["assumptions"] = table
            (out_dir / name).mkdir(parents=True, exist_ok=True)
            output.write_text(out_dir / name / "config_resolved.yaml", OmegaConf.to_yaml(wcfg))  # snapshot first
            output.write_results(out_dir / name, tables, list(model.run.formats), OmegaConf.to_yaml(wcfg),
                                 extra={"scenario": model.scenario.name, "region": model.region_name,
                                        "replications": model.run.replications, "pid": os.getpid()})
            frames[name] = kpi_frame(results, model)
            summaries.append(tables["summary"].assign(workflow=name))
            assumptions.append(table.assign(workflow=name))
            warnings += [f"[{name}] {w}" for w in stability_warnings(tables["summary"], model)]
        constructed = {name: by_construction(model) for name, _, model in members}
        comparison = pd.concat([paired(frames[baseline], frames[name], baseline, name,
                                       {**_labelled(constructed[baseline], baseline), **constructed[name]})
                                for name, _, _ in members[1:]], ignore_index=True)
        top = {"comparison": comparison,
               "staffing": staffing_table({name: model for name, _, model in members}),
               "summary": pd.concat(summaries, ignore_index=True),
               "assumptions": pd.concat(assumptions, ignore_index=True)}
        marker = output.write_results(out_dir, top, list(first.run.formats), config_yaml,
                                      extra={"comparison": [n for n, _, _ in members], "region": first.region_name,
                                             "replications": first.run.replications, "pid": os.getpid(),
                                             "wall_seconds": round(time.perf_counter() - started, 3)})
    if not quiet:
        for name, _, _ in members[1:]:
            print(f"\n{name} vs {baseline}: same families, {first.run.replications} paired replications "
                  f"(* = the 95% CI of the difference excludes 0)")
            print(format_comparison(comparison, name))
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
