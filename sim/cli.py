"""Command line: ``python -m sim [overrides]`` runs one scenario for one region and writes its tables.

Before Hydra starts, :func:`preflight` composes the configuration the same way Hydra will (for a multirun,
every point of the sweep) and validates it. Whatever is wrong (an unknown scenario or region, a value of the
wrong type, a probability set that does not sum to one) is reported as one line naming the field, the value
and what is allowed, with exit status 2, before any simulated time is spent and without a traceback. The
command-line steps every command shares (overrides, composing, one-line errors) are in sim/app.py.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

from sim import app
from sim import sweep as sweep_mod
from sim.analysis import compare, costs
from sim.analysis.assumptions import assumptions_table
from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.chain.model import Model
from sim.config import prices as prices_mod
from sim.config import schema as config_mod
from sim.config.gate import validate
from sim.config.sources import CONF_DIR
from sim.report import finding, html
from sim.run import console, output, runner

config_mod.register()


# ====================================================================== preflight


def _points(overrides: list[str], multirun: bool, sweep_params: dict[str, str]) -> list[list[str]]:
    if not multirun:
        return [overrides]
    return sweep_mod.expand_points(overrides, sweep_params)  # exactly as Hydra's BasicSweeper expands them


def _not_sweeps(overrides: list[str]) -> list[str]:
    """The overrides Hydra applies to a multirun's own configuration (it skips sweeps there, see defaults_list)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    try:
        return [o for o in overrides if not parser.parse_override(o).is_sweep_override()]
    except Exception as err:  # noqa: BLE001 - a malformed override is one line, as when composing
        raise ConfigError(app.describe_compose_error(err)) from None


def preflight(argv: list[str]) -> list[Model]:
    """Compose and validate every configuration the command would run. Raises ConfigError."""
    multirun = app.is_multirun(argv)
    source = app.config_source(argv)  # conf/ and a --config-dir of the user's own, as the Hydra app will read them
    name = source.config_name or "config"
    models = []
    with app.composing(source):
        overrides = app.overrides(argv, "region=national")
        model_overrides = app.model_overrides(overrides)
        base = app.compose(name, _not_sweeps(overrides) if multirun else model_overrides,
                           return_hydra_config=True)
        sweep = sweep_mod.sweeper_params(base.hydra) if multirun else {}  # an experiment's grid
        points = _points(model_overrides, multirun, sweep or {})
        if multirun:
            sweep_mod.check_point_names(points, base.hydra)
        for point in points:
            for o in point:
                app.check_group_choice(o)
            cfg = app.compose(name, point)
            models.append(validate(cfg))
            if cfg.compare.enabled:  # every workflow of a comparison is checked before any simulated time

                members = compare.plan(cfg)
                models.extend(model for _, _, model in members)
                compare.structures(cfg, members)  # and each one's structure-only arm (compare.decompose)
    return models


# ====================================================================== the run


def format_summary(summary, model: Model) -> str:
    import pandas as pd

    def fmt(v: float) -> str:
        return "-" if pd.isna(v) else (f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}")

    lines = []
    s = summary.set_index("kpi")
    printed = kpis.tagged("printed")  # the named KPIs in their order, then every pool's in the summary's order
    per_pool = tuple(k.prefix for k in printed if k.per_pool)
    for kpi in [k.name for k in printed if not k.per_pool] + [k for k in s.index if k.startswith(per_pool)]:
        if kpi not in s.index:
            continue
        r = s.loc[kpi]
        lines.append((kpi, fmt(r["mean"]), f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]", r["unit"]))
    return console.table(["KPI", "mean", "95% CI", "unit"], lines, right=("mean", "95% CI"))


def _in_sweep() -> bool:
    """True in a point of a multirun (python -m sim -m ...)."""
    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def write_report(out_dir: Path, quiet: bool) -> list[Path]:
    """The HTML reports of a finished run or comparison (sim/report/html.py), English and Dutch side by side
    (``report.html``, ``report_nl.html``), their paths printed. Not for the points of a sweep: the sweep's own
    report is made from the whole sweep (python -m sim.report <sweep dir>). A report that cannot be made is one
    line on stderr; the results are written and stay valid either way."""
    if _in_sweep():
        return []

    try:
        paths = html.write_reports(out_dir, progress=not quiet)
    except Exception as err:  # noqa: BLE001 - the tables are complete and valid; the report is a view of them
        why = str(err) if isinstance(err, html.ReportError) else f"{type(err).__name__}: {err}"
        print(f"ketensim: report not written: {' '.join(why.split())}", file=sys.stderr)
        return []
    if not quiet:
        for path in paths:
            print(f"report: {path}")
    return paths


def execute(cfg: DictConfig, out_dir: Path) -> Path:
    if cfg.compare.enabled:  # +experiment=compare_workflows: several workflows on the same families

        marker = compare.execute(cfg, out_dir)
        write_report(out_dir, bool(cfg.run.quiet))
        return marker
    model = validate(cfg)
    config_yaml = OmegaConf.to_yaml(cfg)
    quiet = model.run.quiet
    if not quiet:
        print(f"ketensim: scenario={model.scenario.name} region={model.region_name} "
              f"replications={model.run.replications} years={model.run.years:g} (+{model.run.warmup_years:g} warm-up)",
              file=sys.stderr)
    started = time.perf_counter()
    with output.guarded(out_dir):  # a failure anywhere below: error.txt, and no marker
        output.write_text(out_dir / "config_resolved.yaml", config_yaml)  # snapshot first
        results = runner.run(model)
        tables = results.tables()
        tables["assumptions"] = assumptions_table(cfg, model)
        prices = prices_mod.validate(cfg.get("prices"), sources=False)  # checked with its sources at the edge
        tables.update(costs.tables(model, prices, tables))  # euros on the tables afterwards: no number above moves
        if _in_sweep() and not model.run.sweep_families:  # a grid's per-family records only cost disk
            del tables[output.FAMILIES]
        marker = output.write_results(out_dir, tables, list(model.run.formats), config_yaml,
                                      extra={"scenario": model.scenario.name, "region": model.region_name,
                                             "replications": model.run.replications,
                                             "wall_seconds": round(time.perf_counter() - started, 3),
                                             "pid": os.getpid()},
                                      identity=sweep_mod.identity_yaml(cfg),
                                      event_log_formats=model.run.event_log_formats,
                                      families_formats=model.run.families_formats, progress=not model.run.quiet)
    summary = tables["summary"]
    if not quiet:
        for sentence in finding.run_sentences(summary, model.scenario.name, model.region_name, "en"):
            print(sentence)  # the finding first, then the table it rests on, then the warnings
        print()
        print(format_summary(summary, model))
        if "costs_summary" in tables:
            print()
            print(costs.format_costs(tables["costs_summary"], prices))
        for w in finding.pool_warnings(summary, "en"):
            print(f"WARNING: {w}")
        few = finding.replication_warning(summary, "en")
        if few:
            print(f"WARNING: {few}")
        if model.run.replications < 2:
            print("NOTE: one replication has no confidence interval and is not a finding; use run.replications >= 2.")
        print(f"{len(tables['assumptions'])} values in this run are assumptions: see {out_dir / 'assumptions.csv'}")
        print(f"results: {out_dir}  ({time.perf_counter() - started:.1f}s)")
    write_report(out_dir, quiet)
    return marker


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="config")
def hydra_main(cfg: DictConfig) -> None:
    out_dir = Path(HydraConfig.get().runtime.output_dir)
    if HydraConfig.get().mode == RunMode.MULTIRUN:
        sweep_mod.run_point(cfg, out_dir, execute)  # resume: skip a complete point, set aside stale results
    else:
        execute(cfg, out_dir)


def entry(argv: list[str] | None = None) -> None:
    app.entry(argv, preflight, hydra_main)
