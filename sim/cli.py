"""Command line: ``python -m sim [overrides]`` runs one scenario for one region and writes its tables.

Before Hydra starts, :func:`preflight` composes the configuration the same way Hydra will (for a multirun,
every point of the sweep) and validates it. Whatever is wrong (an unknown scenario or region, a value of the
wrong type, a probability set that does not sum to one) is reported as one line naming the field, the value
and what is allowed, with exit status 2, before any simulated time is spent and without a traceback.
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

from sim import config as config_mod
from sim import metrics, output, provenance, runner
from sim import sweep as sweep_mod
from sim.config import ConfigError, Model, validate

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
PASS_THROUGH = ("--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c", "--shell-completion", "-sc",
                "--version", "--resolve", "-p", "--package")

config_mod.register()


def fail(message: str) -> "SystemExit":
    print(f"ketensim: error: {message}", file=sys.stderr)
    return SystemExit(2)


# ====================================================================== preflight


def _group_options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def _check_group_choice(override: str) -> None:
    """``scenario=foo``: the option must be a file in ``conf/scenario/``."""
    key, _, value = override.lstrip("+~").partition("=")
    if "." in key or "/" in key or not (CONF_DIR / key).is_dir():
        return
    for choice in value.strip("[]").split(","):
        choice = choice.strip()
        if choice.startswith(("range(", "choice(", "glob(", "interval(")):
            continue
        if choice and not (CONF_DIR / key / f"{choice}.yaml").is_file():
            raise ConfigError(f"{key} = {choice!r} (allowed: {', '.join(_group_options(key))})")


def _describe_compose_error(err: BaseException) -> str:
    cause: BaseException | None = err
    while cause is not None:
        key = getattr(cause, "full_key", None)
        if key:
            value = getattr(cause, "value", None)
            first = str(cause).splitlines()[0]
            return f"{key} = {value!r} ({first})" if value is not None else f"{key}: {first}"
        cause = cause.__cause__ or cause.__context__
    text = " ".join(str(err).split())
    return text[:300]


def _points(overrides: list[str], multirun: bool, sweep_params: dict[str, str]) -> list[list[str]]:
    if not multirun:
        return [overrides]
    return sweep_mod.expand_points(overrides, sweep_params)  # exactly as Hydra's BasicSweeper expands them


def _not_sweeps(overrides: list[str]) -> list[str]:
    """The overrides Hydra applies to a multirun's own configuration (it skips sweeps there, see defaults_list)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    parser = OverridesParser.create()
    return [o for o in overrides if not parser.parse_override(o).is_sweep_override()]


def preflight(argv: list[str]) -> list[Model]:
    """Compose and validate every configuration the command would run. Raises ConfigError."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    multirun = any(a in ("-m", "--multirun") for a in argv)
    overrides = [a for a in argv if not a.startswith("-")]
    for o in overrides:
        if "=" not in o:
            raise ConfigError(f"{o!r} is not an override (write key=value, e.g. region=national)")
        _check_group_choice(o)
    model_overrides = [o for o in overrides if not o.lstrip("+~").startswith("hydra")]
    GlobalHydra.instance().clear()
    models = []
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            try:
                base = compose("config", overrides=_not_sweeps(overrides) if multirun else model_overrides,
                               return_hydra_config=True)
            except Exception as err:  # noqa: BLE001 - every composition error becomes one line
                raise ConfigError(_describe_compose_error(err)) from None
            sweep = sweep_mod.sweeper_params(base.hydra) if multirun else {}  # an experiment's grid
            points = _points(model_overrides, multirun, sweep or {})
            if multirun:
                sweep_mod.check_point_names(points, base.hydra)
            for point in points:
                for o in point:
                    _check_group_choice(o)
                try:
                    cfg = compose("config", overrides=point)
                except Exception as err:  # noqa: BLE001
                    raise ConfigError(_describe_compose_error(err)) from None
                models.append(validate(cfg))
                if cfg.compare.enabled:  # every workflow of a comparison is checked before any simulated time
                    from sim import compare

                    models.extend(model for _, _, model in compare.plan(cfg))
    finally:
        GlobalHydra.instance().clear()
    return models


# ====================================================================== the run


def assumptions_table(cfg: DictConfig, model: Model, scenario_file: str | None = None):
    """Every value in force whose provenance says 'assumption', with its current value: the process and region
    files, the chosen ``conf/scenario/<scenario_file>.yaml`` (its assumed effects) and the workflow's structural
    assumptions."""
    import pandas as pd

    rows = []
    if scenario_file is None:
        chosen = HydraConfig.get().runtime.choices.get("scenario") if HydraConfig.initialized() else None
        scenario_file = chosen or model.scenario.name
    files = [CONF_DIR / "process" / f"{HydraConfig.get().runtime.choices.get('process', 'nl_2023')}.yaml"
             if HydraConfig.initialized() else CONF_DIR / "process" / "nl_2023.yaml",
             CONF_DIR / "region" / f"{model.region_name}.yaml",
             CONF_DIR / "scenario" / f"{scenario_file}.yaml"]
    staff_file = HydraConfig.get().runtime.choices.get("staff_dynamics") if HydraConfig.initialized() else None
    if staff_file:  # +staff_dynamics=<name>: its turnover, hiring and onboarding assumptions (sim/staff.py)
        files.append(CONF_DIR / "staff_dynamics" / f"{staff_file}.yaml")
    for path in files:
        if not path.is_file():
            continue
        # conf/scenario and conf/staff_dynamics files sit under their group's package
        package = path.parent.name if path.parent.name in ("scenario", "staff_dynamics") else ""
        for p in provenance.read_file(path, package)[0]:
            if p.kind == "assumption":
                value = OmegaConf.select(cfg, p.key, default=None)
                if isinstance(value, DictConfig) or OmegaConf.is_list(value):
                    value = OmegaConf.to_container(value)
                rows.append((p.key, str(value), p.text, f"{path.parent.name}/{path.name}" if package else path.name))
    for key, value, why in model.scenario.assumptions:
        rows.append((key, str(value), why, f"scenario/{model.scenario.name}"))
    return pd.DataFrame(rows, columns=["parameter", "value", "why", "file"])


HEADLINE = ("lead_time_help_mean", "lead_time_help_p90", "lead_time_measure_mean", "share_triage_within_norm",
            "share_rvdk_wait_within_norm", "rvdk_wait_mean", "gi_wait_mean", "share_chain_within_norm",
            "handoffs_per_family", "stories_told_per_family", "vt_meldingen_per_year", "rvdk_onderzoeken_per_year",
            "new_measures_per_year")


def format_summary(summary, model: Model) -> str:
    import pandas as pd

    def fmt(v: float) -> str:
        return "-" if pd.isna(v) else (f"{v:,.2f}" if abs(v) < 10 else f"{v:,.0f}")

    lines = []
    s = summary.set_index("kpi")
    for kpi in HEADLINE + tuple(k for k in s.index if k.startswith(("waiting_list_mean.", "utilisation."))):
        if kpi not in s.index:
            continue
        r = s.loc[kpi]
        lines.append((kpi, fmt(r["mean"]), f"[{fmt(r['ci_low'])}, {fmt(r['ci_high'])}]", r["unit"]))
    width = max(len(x[0]) for x in lines)
    out = [f"{'KPI':<{width}}  {'mean':>10}  {'95% CI':>22}  unit"]
    out += [f"{k:<{width}}  {m:>10}  {ci:>22}  {u}" for k, m, ci, u in lines]
    return "\n".join(out)


def stability_warnings(summary, model: Model) -> list[str]:
    """Say which organisation cannot carry its demand: offered load (arrivals x mean holding time) at or above
    its capacity, or a full caseload with a waiting list that grew through the whole window."""
    s = summary.set_index("kpi")["mean"]
    warnings = []
    for kpi in s.index:
        if not kpi.startswith("unstable."):
            continue
        pool = kpi.split(".", 1)[1]
        offered, cap = s.get(f"offered_load.{pool}", float("nan")), s.get(f"capacity.{pool}", float("nan"))
        end, util = s.get(f"waiting_list_end.{pool}", float("nan")), s.get(f"utilisation.{pool}", float("nan"))
        if offered >= cap:
            warnings.append(f"UNSTABLE: {pool}: offered load ~{offered:,.0f} cases exceeds its capacity of {cap:,.0f} "
                            f"places; its waiting list grows without bound ({end:,.0f} waiting at the end). Lead "
                            f"times through {pool} are not meaningful: raise staffing, caseload or lower demand.scale.")
        elif s[kpi] >= 0.5:
            warnings.append(f"SATURATED: {pool}: {util:.0%} of its {cap:,.0f} places in use and its waiting list grew "
                            f"through the window ({end:,.0f} waiting at the end): lead times through {pool} still "
                            f"depend on the run length.")
    return warnings


def write_report(out_dir: Path, quiet: bool) -> Path | None:
    """The HTML report of a finished run or comparison (sim/report.py), its path printed. Not for the points of
    a sweep: the sweep's own report is made from the whole sweep (python -m sim.report <sweep dir>). A report
    that cannot be made is one line on stderr; the results are written and stay valid either way."""
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        return None
    from sim import report

    try:
        path = report.write_report(out_dir)
    except report.ReportError as err:
        print(f"ketensim: report not written: {err}", file=sys.stderr)
        return None
    if not quiet:
        print(f"report: {path}")
    return path


def execute(cfg: DictConfig, out_dir: Path) -> Path:
    if cfg.compare.enabled:  # +experiment=compare_workflows: several workflows on the same families
        from sim import compare

        marker = compare.execute(cfg, out_dir)
        write_report(out_dir, bool(cfg.run.quiet))
        return marker
    model = validate(cfg)
    config_yaml = OmegaConf.to_yaml(cfg)
    out_dir.mkdir(parents=True, exist_ok=True)
    output.write_text(out_dir / "config_resolved.yaml", config_yaml)  # snapshot first
    quiet = model.run.quiet
    if not quiet:
        print(f"ketensim: scenario={model.scenario.name} region={model.region_name} "
              f"replications={model.run.replications} years={model.run.years:g} (+{model.run.warmup_years:g} warm-up)",
              file=sys.stderr)
    started = time.perf_counter()
    try:
        results = runner.run(model)
        tables = results.tables()
        tables["assumptions"] = assumptions_table(cfg, model)
        marker = output.write_results(out_dir, tables, list(model.run.formats), config_yaml,
                                      extra={"scenario": model.scenario.name, "region": model.region_name,
                                             "replications": model.run.replications,
                                             "wall_seconds": round(time.perf_counter() - started, 3),
                                             "pid": os.getpid()},
                                      identity=sweep_mod.identity_yaml(cfg))
    except Exception as err:
        output.write_text(out_dir / "error.txt", f"{type(err).__name__}: {err}\n")
        raise
    summary = tables["summary"]
    if not quiet:
        print(format_summary(summary, model))
        for w in stability_warnings(summary, model):
            print(w)
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
    argv = sys.argv[1:] if argv is None else argv
    if not any(a.split("=")[0] in PASS_THROUGH for a in argv):
        try:
            preflight(argv)
        except ConfigError as err:
            raise fail(str(err)) from None
    hydra_main()
