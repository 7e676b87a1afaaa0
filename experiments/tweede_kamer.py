"""The Tweede Kamer figure set: today's chain against the integrated team, for the Netherlands and for Gelderland.

The question of the Toekomstscenario kind- en gezinsbescherming (seed 002): what happens to families and to staff
if the chain becomes one team? For each region this runs the fair comparison (``+experiment=compare_workflows``,
sim/analysis/compare.py: the same families in both workflows, the same total FTE, paired differences with 95 % CIs),
starting from the region's waiting lists today (``run.start=today`` is the regions' default), and writes

    results/tweede_kamer/<region>/compare/          the comparison's tables and report.html (+ report_nl.html)
    results/tweede_kamer/<region>/figures/<lang>/   every chart as PNG (200 dpi), SVG, PDF, caption .txt, data .csv
    results/tweede_kamer/README.md                  what was run, the exact commands, the figures and captions

The integrated team's effects are assumptions (conf/scenario/integrated.yaml; no pilot published an effect
size): every chart and report says so, and each comparison's assumptions.csv lists them.

    .venv/bin/python experiments/tweede_kamer.py                               # both regions, default sizes
    .venv/bin/python experiments/tweede_kamer.py --regions gelderland --replications 20 --years 3
    .venv/bin/python experiments/tweede_kamer.py --figures-only                # redraw from the results
    .venv/bin/python experiments/tweede_kamer.py --tiny --out /tmp/tk          # in miniature (tests)

``--tiny`` is Gelderland only, 2 replications of 0.1 year per workflow: every step (comparison, both reports, every
figure in both languages, the README) in well under a minute; its numbers mean nothing (tests/test_experiments.py).

Default sizes are chosen to run in minutes on two cores: a national replication-year takes ~35 s per workflow
(the Netherlands has ~130,000 meldingen a year), a Gelderland one ~3 s. For numbers to cite, raise
``--replications`` (20 or more) and ``--years`` and check that the CIs are narrow enough for the question.
"""

from __future__ import annotations

import argparse
import math
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.report import (
    html,  # noqa: E402
    style,  # noqa: E402
)

REGIONS = ("national", "gelderland")
# replications and observed years per region when not given: minutes on two cores, not a final answer
DEFAULTS = {"national": (3, 1.0), "gelderland": (10, 2.0)}


def relative(path: Path) -> str:
    """``path`` as typed from the project folder (absolute when it lies outside it)."""
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def compare_command(region: str, replications: int, years: float, jobs: int, out: Path) -> list[str]:
    return [sys.executable, "-m", "sim", "+experiment=compare_workflows", f"region={region}",
            f"run.replications={replications}", f"run.years={years:g}", f"run.jobs={jobs}",
            f"hydra.run.dir={relative(out)}"]


def shown(cmd: list[str]) -> str:
    """The command as a reader types it from the project folder."""
    return " ".join(shlex.quote(".venv/bin/python" if a == sys.executable else a) for a in cmd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", default=",".join(REGIONS), help="comma-separated: national, gelderland")
    parser.add_argument("--replications", type=int, help="replications per workflow (default: national 3, "
                                                          "gelderland 10)")
    parser.add_argument("--years", type=float, help="observed years per replication (default: national 1, gelderland 2)")
    parser.add_argument("--jobs", type=int, default=2, help="processes for the replications (default 2)")
    parser.add_argument("--lang", default="en,nl", help="languages of the figures: en, nl or en,nl (default)")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "tweede_kamer")
    parser.add_argument("--figures-only", action="store_true", help="redraw the figures from existing results")
    parser.add_argument("--tiny", action="store_true", help="Gelderland, 2 replications of 0.1 year (tests)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.regions, args.replications, args.years = "gelderland", 2, 0.1
    if args.years is not None and not (math.isfinite(args.years) and args.years > 0):
        parser.error(f"--years = {args.years:g} (a positive number of years)")
    if args.jobs < 1:
        parser.error(f"--jobs = {args.jobs} (at least 1)")
    regions = [r.strip() for r in args.regions.split(",") if r.strip()]
    langs = [lang.strip() for lang in args.lang.split(",") if lang.strip()]
    for r in regions:
        if r not in REGIONS:
            parser.error(f"--regions: {r!r} (allowed: {', '.join(REGIONS)})")
    for lang in langs:
        if lang not in style.LANGS:
            parser.error(f"--lang: {lang!r} (allowed: {', '.join(style.LANGS)})")
    if args.replications is not None and args.replications < 2:
        parser.error("--replications must be >= 2 (one replication has no confidence interval)")

    started = time.perf_counter()
    readme = ["# Tweede Kamer figure set: today's chain vs the integrated team", "",
              "Made by `experiments/tweede_kamer.py` (see its docstring). Reproduce from the project folder:", "",
              "```", shown([sys.executable, relative(Path(__file__)),
                            *(a for a in (argv if argv is not None else sys.argv[1:]) if a != "--figures-only")]),
              "```", "", "which ran, per region:", ""]
    for region in regions:
        reps, years = DEFAULTS[region]
        reps = args.replications or reps
        years = args.years or years
        out = args.out / region / "compare"
        cmd = compare_command(region, reps, years, args.jobs, out)
        readme += ["```", shown(cmd), "```", ""]
        if not args.figures_only:
            print(f"tweede_kamer: {region}: {reps} replications x {years:g} years per workflow ...", flush=True)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=ROOT)
            if proc.returncode != 0:
                print(f"tweede_kamer: error: the comparison for {region} failed (exit {proc.returncode})", file=sys.stderr)
                return proc.returncode
            print(f"tweede_kamer: {region}: simulated in {time.perf_counter() - t0:.0f}s", flush=True)
        try:
            if args.figures_only and "nl" in langs:  # python -m sim wrote both reports; an older folder may lack one
                html.write_report(out, "nl")
            written = html.save_figure_set(out, args.out / region / "figures", langs)
        except html.ReportError as err:
            print(f"tweede_kamer: error: {err}", file=sys.stderr)
            return 2
        pngs = [p for p in written if p.suffix == ".png"]  # in the report's order, English first
        readme += [f"## {style.region_label(region, 'en')}", "",
                   f"Report: [`{region}/compare/report.html`]({region}/compare/report.html)"
                   + (f" (Dutch: [`report_nl.html`]({region}/compare/report_nl.html))" if "nl" in langs else ""), ""]
        for png in pngs:
            caption = png.with_suffix(".txt").read_text(encoding="utf-8").strip()
            rel = png.relative_to(args.out)
            readme += [f"- [`{rel}`]({rel}): {caption}", ""]
        print(f"tweede_kamer: {region}: {len(pngs)} figures in {args.out / region / 'figures'}", flush=True)
    readme += ["The effects of the integrated team are assumptions, not measured pilot results (no pilot published "
               "an effect size); each comparison's `assumptions.csv` lists every assumed value in force.", ""]
    (args.out).mkdir(parents=True, exist_ok=True)
    (args.out / "README.md").write_text("\n".join(readme), encoding="utf-8")
    print(f"tweede_kamer: done in {time.perf_counter() - started:.0f}s: {args.out / 'README.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
