"""The Gelderland staffing figure set: more staff, shorter waits? How much demand fits? When is today's list gone?

A planner in Gelderland asks how many jeugdbeschermers the region needs, what the caseload norm does to lead times,
how much demand each way of working carries, and how fast extra staff empty today's waiting lists. This script
answers with the model's own machinery, every step a command a user can type, and writes

    results/gelderland_staffing/sweep/        GI FTE x GI caseload norm x workflow (+experiment=gelderland_staffing):
                                              sweep.csv, sweep_summary.csv, report.html
    results/gelderland_staffing/demand/       demand 0.8 ... 1.4 x workflow (+experiment=demand_growth)
    results/gelderland_staffing/backlog/      runs from today's waiting lists (run.start=today) with 0, +5, +10 FTE
                                              at the Raad (--backlog-org, --backlog-extra), each with report.html
    results/gelderland_staffing/capacity.csv  lead time against demand per workflow (docs/model.md, "Output tables")
    results/gelderland_staffing/backlog_drain.csv   waiting list per organisation and week per extra FTE (same)
    results/gelderland_staffing/figures/<lang>/     p90_against_fte and staffing_heatmap (days until help starts, and
                                              .lead_time_measure_p90: days until the jeugdbeschermer), capacity_curve,
                                              backlog_drain (+ sizing_table with --sizing): PNG, SVG, PDF, .txt, .csv
    results/gelderland_staffing/README.md     the exact commands and every figure with its caption

    .venv/bin/python experiments/gelderland_staffing.py                       # default sizes (minutes on 2 cores)
    .venv/bin/python experiments/gelderland_staffing.py --replications 20 --years 3 --jobs 8
    .venv/bin/python experiments/gelderland_staffing.py --fte 240,322 --caseload 12,22 --skip demand
    .venv/bin/python experiments/gelderland_staffing.py --sizing results/size/<run>/sizing.csv   # issue 7's table
    .venv/bin/python experiments/gelderland_staffing.py --tiny --out /tmp/gs   # every step in miniature (tests)

``--tiny`` runs the whole figure set with the smallest grids the figures accept (2 GI FTE x 2 caseload norms in
today's chain, demand 1.0 and 1.2 in both workflows, backlog +0 and +5 FTE), 2 replications of 1 year each (the
charts' lead time counts the families still waiting, so a shorter window leaves its 90th percentile beyond the run
and a chart with nothing to draw): about a minute on 2 cores; its numbers mean nothing, it proves every step runs and writes its outputs (tests/test_experiments.py).

Why the Raad for the backlog: in the calibrated Gelderland region it is the organisation whose waiting list grows
from today's state (conf/region/gelderland.yaml: 55 raadsonderzoekers, an assumption). The staff sizing table
itself (minimal FTE per organisation meeting a lead-time target) is computed by ``python -m sim.size`` (issue 7);
pass its sizing.csv with ``--sizing`` and it joins the figure set.
"""

from __future__ import annotations

import argparse
import math
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402

from sim.analysis import derived
from sim.chain import kpis
from sim.report import (
    figures,  # noqa: E402
    html,  # noqa: E402
    style,  # noqa: E402
)
from sim.run import output

STEPS = ("sweep", "demand", "backlog")
# --tiny: every step with the smallest grids its figures accept (a heatmap needs two values on each axis)
TINY = {"replications": 2, "years": 1.0, "fte": "240,322", "caseload": "12,22", "demand": "1.0,1.2",
        "backlog_extra": "0,5"}


def grid(text: str, name: str, parser: argparse.ArgumentParser, least: int, lowest: float, above: bool) -> list[float]:
    """A comma-separated grid of numbers, checked before anything runs (a figure that needs two values on an axis
    must not fail after all the simulation)."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        parser.error(f"{name} = {text!r} (comma-separated numbers, e.g. 12,22)")
    if len(set(values)) < least:
        parser.error(f"{name} = {text!r} (at least {least} different values: the figures draw a line or a grid "
                     f"over them)")
    if any(not math.isfinite(v) or (v <= lowest if above else v < lowest) for v in values):
        parser.error(f"{name} = {text!r} (every value {'>' if above else '>='} {lowest:g} and finite)")
    return values


def relative(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def shown(cmd: list[str]) -> str:
    return " ".join(shlex.quote(".venv/bin/python" if a == sys.executable else a) for a in cmd)


def run(cmd: list[str], what: str) -> None:
    print(f"gelderland_staffing: {what} ...", flush=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"gelderland_staffing: error: {what} failed (exit {proc.returncode}): {shown(cmd)}")
    print(f"gelderland_staffing: {what}: {time.perf_counter() - t0:.0f}s", flush=True)


def region_fte(org: str) -> float:
    """Today's paper FTE of ``org`` in Gelderland (conf/region/gelderland.yaml, a @package _global_ file)."""
    cfg = OmegaConf.load(ROOT / "conf" / "region" / "gelderland.yaml")
    value = OmegaConf.select(cfg, f"staffing.{org}.fte")
    if value is None:
        raise SystemExit(f"gelderland_staffing: error: --backlog-org = {org!r} (allowed: buurtteam, veilig_thuis, rvdk, gi)")
    return float(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=3, help="replications per point (default 3)")
    parser.add_argument("--years", type=float, default=2.0, help="observed years from today (default 2)")
    parser.add_argument("--jobs", type=int, default=2, help="points run at once / processes per run (default 2)")
    parser.add_argument("--fte", help="GI FTE grid, two values or more, e.g. 240,322 (default: the experiment's "
                                      "200,240,280,322,373)")
    parser.add_argument("--caseload", help="GI caseload grid, two values or more, e.g. 12,22 (default: the "
                                           "experiment's 12,15,22)")
    parser.add_argument("--demand", help="demand.scale grid, two values or more (default: the experiment's 0.8 ... 1.4)")
    parser.add_argument("--backlog-org", default="rvdk", help="organisation that gets extra FTE (default rvdk)")
    parser.add_argument("--backlog-extra", default="0,5,10", help="extra FTE levels, one or more (default 0,5,10)")
    parser.add_argument("--sizing", type=Path, help="a sizing.csv (python -m sim.size, issue 7) to include")
    parser.add_argument("--skip", default="", help=f"steps to skip: {', '.join(STEPS)}")
    parser.add_argument("--lang", default="en,nl", help="languages of the figures (default en,nl)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "gelderland_staffing")
    parser.add_argument("--figures-only", action="store_true", help="redraw the figures from existing results")
    parser.add_argument("--tiny", action="store_true", help="every step in miniature, about a minute (tests): "
                        + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in TINY.items()))
    args = parser.parse_args(argv)
    if args.tiny:
        for key, value in TINY.items():
            setattr(args, key, value)
    langs = [x.strip() for x in args.lang.split(",") if x.strip()]
    skip = {x.strip() for x in args.skip.split(",") if x.strip()}
    if args.replications < 2:
        parser.error("--replications must be >= 2 (one replication has no confidence interval)")
    for x in skip:
        if x not in STEPS:
            parser.error(f"--skip: {x!r} (allowed: {', '.join(STEPS)})")
    for lang in langs:
        if lang not in style.LANGS:
            parser.error(f"--lang: {lang!r} (allowed: {', '.join(style.LANGS)})")
    if not (math.isfinite(args.years) and args.years > 0):
        parser.error(f"--years = {args.years:g} (a positive number of years)")
    if args.jobs < 1:
        parser.error(f"--jobs = {args.jobs} (at least 1)")
    if args.fte and "sweep" not in skip:
        grid(args.fte, "--fte", parser, 2, 0.0, above=True)
    if args.caseload and "sweep" not in skip:
        grid(args.caseload, "--caseload", parser, 2, 0.0, above=True)
    if args.demand and "demand" not in skip:
        grid(args.demand, "--demand", parser, 2, 0.0, above=True)
    extras = grid(args.backlog_extra, "--backlog-extra", parser, 1, 0.0, above=False)
    if args.sizing is not None and not args.sizing.is_file():
        parser.error(f"--sizing: {args.sizing} is not a file")

    started = time.perf_counter()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    common = [f"run.replications={args.replications}", f"run.years={args.years:g}"]
    launcher = [f"hydra.launcher.n_jobs={args.jobs}"]
    commands: dict[str, list[list[str]]] = {}

    sweep_cmd = [sys.executable, "-m", "sim", "-m", "+experiment=gelderland_staffing", *common, *launcher,
                 *([f"staffing.gi.fte={args.fte}"] if args.fte else []),
                 *([f"staffing.gi.caseload={args.caseload}"] if args.caseload else []),
                 *(["scenario=sequential"] if args.tiny else []),  # the demand sweep runs both workflows
                 f"hydra.sweep.dir={relative(out / 'sweep')}"]
    demand_cmd = [sys.executable, "-m", "sim", "-m", "+experiment=demand_growth", *common, *launcher,
                  *([f"demand.scale={args.demand}"] if args.demand else []),
                  f"hydra.sweep.dir={relative(out / 'demand')}"]
    org, today = args.backlog_org, region_fte(args.backlog_org)
    backlog_cmds = {extra: [sys.executable, "-m", "sim", "region=gelderland", "run.start=today", *common,
                            f"run.jobs={args.jobs}", "run.event_log=false", f"staffing.{org}.fte={today + extra:g}",
                            f"hydra.run.dir={relative(out / 'backlog' / f'extra_{extra:g}')}"] for extra in extras}
    if "sweep" not in skip:
        commands["sweep"] = [sweep_cmd]
    if "demand" not in skip:
        commands["demand"] = [demand_cmd]
    if "backlog" not in skip:
        commands["backlog"] = list(backlog_cmds.values())

    if not args.figures_only:
        if "sweep" in commands:
            run(sweep_cmd, "staffing sweep (GI FTE x caseload x workflow)")
        if "demand" in commands:
            run(demand_cmd, "demand sweep (demand.scale x workflow)")
        for extra, cmd in (backlog_cmds.items() if "backlog" in commands else []):
            run(cmd, f"backlog drain from today, {org} {today:g} + {extra:g} FTE")

    charts: list[tuple] = []  # (name, draw(meta), meta of its data)
    try:
        if "sweep" in commands:
            html.write_reports(out / "sweep")
            sweep_meta = html.meta_of(html.load(out / "sweep"), "en")
            summary = pd.read_csv(out / "sweep" / "sweep_summary.csv")
            # the help that starts first (mostly voluntary help) and the jeugdbeschermer: GI staff moves the second
            # both Kaplan-Meier p90s: the families still waiting at the end count
            for kpi in (kpis.LEAD_TIME_HELP_KM_P90, kpis.LEAD_TIME_MEASURE_P90):
                charts += [("p90_against_fte", lambda m, s=summary, k=kpi: figures.p90_against_fte(s, m, k), sweep_meta),
                           ("staffing_heatmap", lambda m, s=summary, k=kpi: figures.staffing_heatmap(s, m, k), sweep_meta)]
        if "demand" in commands:
            html.write_reports(out / "demand")
            demand_meta = html.meta_of(html.load(out / "demand"), "en")
            capacity = derived.capacity_from_sweep(pd.read_csv(out / "demand" / "sweep_summary.csv"))
            output.write_table(out, "capacity", capacity, ["csv"])
            charts.append(("capacity_curve", lambda m, c=capacity: figures.capacity_curve(c, m), demand_meta))
        if "backlog" in commands:
            runs = {extra: html.load(out / "backlog" / f"extra_{extra:g}") for extra in extras}
            backlog = derived.backlog_from_timeseries({e: next(iter(r.workflows.values())).timeseries for e, r in runs.items()},
                                                "sequential", org)
            output.write_table(out, "backlog_drain", backlog, ["csv"])
            backlog_meta = html.meta_of(runs[extras[0]], "en")
            charts.append(("backlog_drain", lambda m, b=backlog: figures.backlog_drain(b, m), backlog_meta))
        if args.sizing is not None:
            shutil.copyfile(args.sizing, out / "sizing.csv")
            sizing = pd.read_csv(out / "sizing.csv")
            charts.append(("sizing_table", lambda m, s=sizing: figures.sizing_table(s, m), sweep_meta if "sweep" in commands
                           else figures.Meta("gelderland", ("sequential",), 0, args.years, 0.0, "today")))
        written: list[Path] = []
        for lang in langs:
            for _name, draw, meta in charts:
                chart = draw(meta.with_lang(lang))
                written += style.save(chart, out / "figures" / lang)
                chart.figure.clear()
    except (html.ReportError, derived.FigureDataError) as err:
        print(f"gelderland_staffing: error: {err}", file=sys.stderr)
        return 2

    me = [sys.executable, relative(Path(__file__)),
          *(a for a in (argv if argv is not None else sys.argv[1:]) if a != "--figures-only")]
    readme = ["# Gelderland staffing figure set", "",
              "Made by `experiments/gelderland_staffing.py` (see its docstring). Reproduce from the project folder:",
              "", "```", shown(me), "```", "", "which ran:", ""]
    for step, cmds in commands.items():
        readme += [f"- {step}:", "", "```", *(shown(c) for c in cmds), "```", ""]
    readme += ["Reports: " + ", ".join(f"[`{d}/report.html`]({d}/report.html)" for d in
                                       [s for s in ("sweep", "demand") if s in commands]
                                       + [f"backlog/extra_{e:g}" for e in extras if "backlog" in commands]), "",
               "## Figures", ""]
    for png in (p for p in written if p.suffix == ".png"):
        rel = png.relative_to(out)
        readme += [f"- [`{rel}`]({rel}): {png.with_suffix('.txt').read_text(encoding='utf-8').strip()}", ""]
    (out / "README.md").write_text("\n".join(readme), encoding="utf-8")
    print(f"gelderland_staffing: done in {time.perf_counter() - started:.0f}s: {out / 'README.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
