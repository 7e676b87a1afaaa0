"""Workload feedback on staff in Gelderland (issue 16 item 2): the vicious circle, with and without it.

The calibrated Gelderland chain from today (``run.start=today``), today's workflow, 5 years, with staff dynamics
(``+staff_dynamics=nl_2023``) and workload feedback at its assumed values (``+workload_feedback=on``) against the
same runs with the feedback's elasticities at zero (which is bit for bit staff dynamics without feedback,
tests/test_workload_feedback.py). Same seeds in both arms (paired). Per arm and year end: available GI FTE (the sum
of the GI pools' ``available_fte`` over the last week of the year), the GI waiting list (children, time-weighted
over that week) and the GI's caseload pressure (place-weighted), each as a mean with a 95 % t-interval over the
replications, and the paired difference with its interval.

    nice -n 10 .venv/bin/python experiments/workload_feedback.py --jobs 2 --doc docs/staff.md   # 20 replications
    # the same table for the Raad (the organisation Gelderland presses above its norm):
    nice -n 10 .venv/bin/python experiments/workload_feedback.py --jobs 2 --org rvdk --doc docs/staff.md \
        --block workload_feedback_rvdk --out results/experiments/workload_feedback_rvdk
    # the same with a tenth of the GI's staff gone on day 0 (a shock that presses the GI above its norm):
    nice -n 10 .venv/bin/python experiments/workload_feedback.py --jobs 2 --gi-fte-factor 0.9 \
        --doc docs/staff.md --block workload_feedback_shock --out results/experiments/workload_feedback_shock
    .venv/bin/python experiments/workload_feedback.py --tiny --out /tmp/wf    # demo region, 2 x 1 year (tests)

Writes ``workload_feedback.csv`` (one row per arm, replication and year end) and ``workload_feedback.md`` (the
table) in ``--out`` (default results/experiments/workload_feedback/); ``--doc`` also replaces the block between
``<!-- <block>:begin -->`` and ``<!-- <block>:end -->`` of that page (``--block``, default workload_feedback) with the
table and the command that made it.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments import calibrate  # noqa: E402
from sim.config import gate  # noqa: E402
from sim.kernel.stats import confidence_interval  # noqa: E402
from sim.run import output, runner  # noqa: E402

ARMS = {"with feedback": [], "without feedback": ["staff_dynamics.workload_feedback.turnover_elasticity=0",
                                                  "staff_dynamics.workload_feedback.sickness_elasticity=0"]}


def year_ends(ts: pd.DataFrame, years: int, org: str = "gi") -> pd.DataFrame:
    """Per replication and year end: the organisation's available FTE, waiting list and pressure over the last
    time step of the year (the step ending on day 365 x year)."""
    ts = ts[ts["organisation"] == org].copy()
    ts["t_end"] = ts["t_start"] + ts["length_days"]
    rows = []
    for year in range(1, years + 1):
        day = 365.0 * year
        step = ts[(ts["t_end"] > day - 1e-6) & (ts["t_start"] < day - 1e-6)]  # the step that holds the year end
        for rep, g in step.groupby("replication"):
            places = float(g["capacity"].sum())
            load = float((g["pressure"] * g["capacity"]).sum())
            rows.append({"replication": int(rep), "year": year, "available_fte": float(g["available_fte"].sum()),
                         "waiting": float(g["waiting"].sum()),
                         "pressure": load / places if places > 0 else math.nan})
    return pd.DataFrame(rows)


def _ci(values: np.ndarray, digits: int) -> str:
    mean, lo, hi, _ = confidence_interval(values)
    if math.isnan(lo):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({lo:.{digits}f} to {hi:.{digits}f})"


def table(rows: pd.DataFrame, label: str = "GI") -> str:
    """Markdown: per year end, each arm's mean (95 % CI) and the paired difference (with - without)."""
    wide = rows.pivot_table(index=["replication", "year"], columns="arm",
                            values=["available_fte", "waiting", "pressure"])
    lines = [f"| end of year | {label} FTE available, with feedback | without | difference | {label} waiting list, "
             f"with feedback | without | difference | {label} pressure, with | without |",
             "|---|---|---|---|---|---|---|---|---|"]
    for year, g in wide.groupby(level="year"):
        fte_w, fte_o = g[("available_fte", "with feedback")], g[("available_fte", "without feedback")]
        wait_w, wait_o = g[("waiting", "with feedback")], g[("waiting", "without feedback")]
        pr_w, pr_o = g[("pressure", "with feedback")], g[("pressure", "without feedback")]
        lines.append(f"| {year} | {_ci(fte_w.to_numpy(), 1)} | {_ci(fte_o.to_numpy(), 1)} | "
                     f"{_ci((fte_w - fte_o).to_numpy(), 1)} | {_ci(wait_w.to_numpy(), 0)} | "
                     f"{_ci(wait_o.to_numpy(), 0)} | {_ci((wait_w - wait_o).to_numpy(), 0)} | "
                     f"{_ci(pr_w.to_numpy(), 2)} | {_ci(pr_o.to_numpy(), 2)} |")
    n = rows["replication"].nunique()
    lines.append("")
    lines.append(f"Means over {n} replications (paired seeds) with 95 % t-intervals; FTE available = present staff "
                 f"(places x FTE per place) in the {label} pools over the last week of the year; waiting list in "
                 "children, time-weighted over that week; pressure = (in care + waiting_weight x waiting) / places.")
    return "\n".join(lines)


def replace_block(page: Path, block: str, name: str = "workload_feedback") -> None:
    BEGIN, END = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = page.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{page}: no {BEGIN} ... {END} block to fill")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    output.write_text(page, f"{head}{BEGIN}\n{block}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiny", action="store_true", help="demo region, 2 replications of 1 year (tests)")
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "experiments" / "workload_feedback")
    parser.add_argument("--doc", type=Path, default=None, help="a page with a workload_feedback block to fill")
    parser.add_argument("--block", default="workload_feedback", help="name of the page's block to fill")
    parser.add_argument("--org", default="gi", choices=["gi", "rvdk", "veilig_thuis", "buurtteam"],
                        help="the organisation whose pools the table sums (default the GI)")
    parser.add_argument("--gi-fte-factor", type=float, default=1.0,
                        help="multiply staffing.gi.fte by this in both arms (a staffing shock on day 0)")
    args = parser.parse_args(argv)
    if args.tiny:
        years, reps, base = 1, 2, ["region=demo", "run.start=today"]
    else:
        years, reps, base = 5, args.replications, ["region=gelderland", "run.start=today"]
    if reps < 2:
        raise SystemExit("--replications must be at least 2 (a single replication is never a finding)")
    common = base + ["scenario=sequential", f"run.years={years}", "run.warmup_years=0",
                     f"run.replications={reps}", f"run.jobs={args.jobs}", "run.quiet=true", "run.event_log=false",
                     "+staff_dynamics=nl_2023", "+workload_feedback=on"]
    frames = []
    for arm, extra in ARMS.items():
        cfg = calibrate.compose(common + extra)
        cfg.staffing.gi.fte = float(cfg.staffing.gi.fte) * args.gi_fte_factor
        model = gate.validate(cfg)
        res = runner.run(model, progress=False)
        rows = year_ends(res.timeseries, years, args.org)
        rows.insert(0, "arm", arm)
        frames.append(rows)
        print(f"{arm}: {len(rows)} rows", flush=True)
    rows = pd.concat(frames, ignore_index=True)
    labels = {"gi": "GI", "rvdk": "Raad", "veilig_thuis": "Veilig Thuis", "buurtteam": "buurtteam"}
    md = table(rows, labels[args.org])
    args.out.mkdir(parents=True, exist_ok=True)
    output.write_text(args.out / "workload_feedback.csv", rows.to_csv(index=False))
    output.write_text(args.out / "workload_feedback.md", md + "\n")
    print(md)
    if args.doc is not None:
        command = "nice -n 10 .venv/bin/python experiments/workload_feedback.py " + " ".join(
            a for a in (argv if argv is not None else sys.argv[1:]))
        replace_block(args.doc, f"```bash\n{command.strip()}\n```\n\n{md}", args.block)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
