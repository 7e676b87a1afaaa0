"""Regenerate the numbers of docs/sizing.md from real sizings (issue 14, item 8: no hand-typed numbers in docs).

Runs the sizings the page shows, exactly as its readers would type them (``python -m sim.size ...``), times them,
and writes each result table, the command, the wall time and one generated reading between the page's markers
``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->``. The prose around the markers says how to read them and
holds no number of its own.

    .venv/bin/python experiments/sizing_doc.py            # both Gelderland sizings, ~5-15 min on 2 cores
    .venv/bin/python experiments/sizing_doc.py --tiny [--out PAGE]   # the demo region in miniature (tests)
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.run import output  # noqa: E402

PAGE = ROOT / "docs" / "sizing.md"

# name -> the arguments of `python -m sim.size` (what the page documents)
SIZINGS = {
    # 20 replications: with 10 the search on the recalibrated model did not settle within 8 passes (the Veilig Thuis
    # casework list flagged growing at one staffing and not at the next, 2026-12-03)
    "sizing-today": ["region=gelderland", "target.days=150", "run.replications=20", "run.years=1", "run.jobs=2"],
    "sizing-integrated": ["region=gelderland", "scenario=integrated", "run.replications=10", "run.years=1",
                          "run.jobs=2"],
}
CAPACITY = ["region=gelderland", "run.replications=3", "run.years=2", "run.jobs=2"]  # python -m sim.capacity
TINY = ["region=demo", "run.start=empty", "run.warmup_years=1", "run.years=0.5", "run.replications=2", "run.jobs=1"]


def run_command(module: str, args: list[str], out: Path, table: str) -> tuple[pd.DataFrame, float, str]:
    """One ``python -m <module>`` run into ``out``: its table ``table``, its wall time and the command as typed."""
    cmd = [sys.executable, "-m", module, *args, f"hydra.run.dir={out}"]
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    shown = f".venv/bin/python -m {module} " + " ".join(shlex.quote(a) for a in args)
    if not (out / table).is_file():
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"ketensim: error: {shown} wrote no {table} ({tail[0]})")
    return pd.read_csv(out / table), seconds, shown


def capacity_block(summary: pd.DataFrame, seconds: float, command: str) -> str:
    """The generated part of the capacity question: command and time, and the summary table."""
    lines = [f"`{command}` ({seconds / 60:.1f} min wall on this machine, {dt.date.today().isoformat()}; "
             f"{int(summary['replications'].iloc[0])} replications x {summary['years'].iloc[0]:g} years per demand "
             f"level, run.start={summary['start'].iloc[0]}).", "",
             "| workflow | capacity (demand.scale) | first list to grow | most demand per extra FTE | stable at | "
             "growing at |", "|---|---:|---|---|---|---|"]
    for _, r in summary.iterrows():
        lines.append(f"| {r['workflow']} | {r['demand_scale_max']:.3f} | {r['bottleneck']} | {r['bottleneck_org']} | "
                     f"{r['stable_at']:.3g}: {'yes' if r['stable_confirmed'] else '**no**'} | "
                     f"{r['unstable_at']:.3g}: {'yes' if r['unstable_confirmed'] else '**no**'} |")
    return "\n".join(lines)


def _ci(m: float, lo: float, hi: float) -> str:
    return "-" if not math.isfinite(m) else f"{m:.0f} [{lo:.0f}, {hi:.0f}]"


def block(table: pd.DataFrame, seconds: float, command: str, staffings: int | None) -> str:
    """The generated part of a sizing: command and time, the table, and one sentence read off the table."""
    r0 = table.iloc[0]
    lines = [f"`{command}` ({r0['workflow']}; {int(r0['replications'])} replications x {r0['years']:g} year(s) plus "
             f"{r0['follow_days']:g} days to follow the families; "
             + (f"{staffings} staffings simulated, " if staffings else "")
             + f"{seconds / 60:.1f} min wall on this machine, {dt.date.today().isoformat()}). Target: "
             f"`{r0['kpi']}` {'<=' if r0['kpi'] != 'share' else '>='} {r0['target']:g} ({r0['kpi_definition']}).", "",
             "| organisation | FTE today | FTE needed | KPI at needed (95 % CI) | with one FTE less | "
             "one less still meets? | why one less fails |",
             "|---|---:|---:|---|---|---|---|"]
    for _, r in table.iterrows():
        lines.append(f"| {r['organisation']} | {r['fte_today']:.4g} | {r['fte_needed']:.4g} | "
                     f"{_ci(r['kpi_mean'], r['kpi_ci_low'], r['kpi_ci_high'])} | "
                     f"{_ci(r['kpi_one_less_mean'], r['kpi_one_less_ci_low'], r['kpi_one_less_ci_high'])} | "
                     f"{'**yes**' if r['one_less_meets'] else 'no'} | {r['one_less_fails_on'] or ''} |")
    today, needed = table["fte_today"].sum(), table["fte_needed"].sum()
    lines += ["", f"Read off the table: the organisations sized need {needed:,.1f} FTE together against "
              f"{today:,.1f} today ({needed - today:+,.1f}); at that staffing the KPI is "
              f"{_ci(r0['kpi_mean'], r0['kpi_ci_low'], r0['kpi_ci_high'])}, against the target {r0['target']:g}."
              + (" With one FTE less somewhere the target is still met: near capacity the waiting-list flags vary "
                 "between staffings with few replications; use more replications before acting on it."
                 if table["one_less_meets"].any() else "")]
    return "\n".join(lines)


def replace_block(page: str, name: str, text: str) -> str:
    pattern = re.compile(rf"(<!-- generated:{re.escape(name)} -->).*?(<!-- /generated:{re.escape(name)} -->)", re.S)
    if not pattern.search(page):
        raise SystemExit(f"ketensim: error: {PAGE.name} has no block <!-- generated:{name} --> (add the markers)")
    return pattern.sub(lambda m: m.group(1) + "\n" + text + "\n" + m.group(2), page)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="the demo region in miniature, into a temporary page (tests)")
    p.add_argument("--out", type=Path, default=None, help="write the page here (default: docs/sizing.md)")
    p.add_argument("--only", choices=sorted(SIZINGS) + ["capacity"], action="append",
                   help="regenerate only this block")
    args = p.parse_args(argv)
    page_path = PAGE
    page = PAGE.read_text()
    with tempfile.TemporaryDirectory() as tmp:
        if args.out is not None or args.tiny:
            page_path = args.out or Path(tmp) / "sizing.md"
        for name in [n for n in (args.only or sorted(SIZINGS)) if n in SIZINGS]:
            sizing = SIZINGS[name]
            if args.tiny:  # the procedure only: the Raad's norm, which a tiny run can confirm
                sizing = [a for a in sizing if not a.startswith(("region=", "run.", "target."))] + TINY + \
                    ["target=rvdk_norm"]
            out = Path(tmp) / name
            table, seconds, command = run_command("sim.size", sizing, out, "sizing.csv")
            search = out / "sizing_search.csv"
            staffings = len(pd.read_csv(search)) if search.is_file() else None
            page = replace_block(page, name, block(table, seconds, command, staffings))
            print(f"{name}: {command} ({seconds:.0f} s)")
        if not args.only or "capacity" in args.only:
            cap = CAPACITY if not args.tiny else TINY
            summary, seconds, command = run_command("sim.capacity", cap, Path(tmp) / "capacity", "capacity_summary.csv")
            page = replace_block(page, "capacity", capacity_block(summary, seconds, command))
            print(f"capacity: {command} ({seconds:.0f} s)")
        output.write_text(page_path, page)  # atomic: never a half-written page
        print(f"wrote {page_path if args.out or not args.tiny else 'a temporary page (--tiny)'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
