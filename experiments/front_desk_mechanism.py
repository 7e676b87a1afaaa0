"""Why does today's late veiligheidsbeoordeling share need a front desk at its limit? (issue 14, item 7)

Each candidate mechanism is measured on the Gelderland chain from today (3 years, 4 replications, seed 20231),
against the same families (common random numbers), and printed as the share of veiligheidsbeoordelingen later
than the norm, the front desk's utilisation and its waiting list at the end:

1. *Knife edge*: the desk's places moved by a few (the size of a staff move between workflows).
2. *Working days*: the model counts the norm as 7 calendar days from the melding. The legal term is 5 werkdagen
   (Uitvoeringsbesluit Wmo 2015 art. 4.1.7); the late share is recounted per family with the werkdag rule (the
   end of the 5th werkdag after the day of the melding; 1 January 2024, day 0, is a Monday; holidays ignored).
3. *Seasonal peaks*: a monthly profile of ±5 % (CBS half-year counts are stable within about ±5 %, domain_params
   ``arrivals.process``) and ±10 % (twice that), peaking in spring, at today's and at a lower utilisation.
4. *Region units*: the late share per Veilig Thuis organisation (each with its own desk, ``region.units``).
5. *Shape of the assessment time*: at today's mean (3 days) the share of assessments longer than 7 days without
   any wait, for the cv of the process file and the largest any lognormal with that mean can give; and the late
   share at a desk ~15 % below saturation.

    .venv/bin/python experiments/front_desk_mechanism.py          # about a minute on one core
    .venv/bin/python experiments/front_desk_mechanism.py --tiny   # 2 replications of 0.2 year (tests)
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments import calibrate  # noqa: E402
from experiments.arguments import check_run  # noqa: E402
from sim.config import gate  # noqa: E402
from sim.run import runner  # noqa: E402

UNITS = ("gelderland_midden", "gelderland_zuid", "noord_oost_gelderland")
SPRING_PEAK = np.cos(2 * np.pi * (np.arange(12) - 3) / 12)  # +1 in April, -1 in October; mean 0


def werkdag_deadline(arrival: np.ndarray) -> np.ndarray:
    """End of the 5th werkdag after the day of the melding, in days since Monday 1 January 2024 (day 0)."""
    day = np.floor(arrival)
    weekday = day.astype(np.int64) % 7  # 0 Monday ... 6 Sunday
    # Monday-Friday: the same weekday a week later, end of day; Saturday: Friday (6 days on), Sunday: Friday (5)
    to_end = np.where(weekday <= 4, 8.0, np.where(weekday == 5, 7.0, 6.0))
    return day + to_end


def measure(overrides: list[str], years: float, reps: int, seed: int) -> dict[str, float]:
    cfg = calibrate.compose(["region=gelderland", f"run.years={years}", f"run.replications={reps}",
                             f"run.seed={seed}", "run.jobs=1", "run.quiet=true", "run.event_log=false", *overrides])
    model = gate.validate(cfg)
    res = runner.run(model, progress=False)
    r = res.runs
    fam = res.families
    fam = fam[~fam["preexisting"].astype(bool) & fam["triage_end"].notna()]
    took = fam["triage_end"].to_numpy() - fam["arrival"].to_numpy()
    late_werkdag = float(np.mean(fam["triage_end"].to_numpy() > werkdag_deadline(fam["arrival"].to_numpy())))
    out = {"late": 1 - r["share_triage_within_norm"].mean(),
           "late_sd": r["share_triage_within_norm"].std(ddof=1),
           "late_werkdag": late_werkdag, "late_7d_recount": float(np.mean(took > model.norms["vt_triage_days"])),
           "util": r["utilisation.veilig_thuis.triage"].mean(),
           "places": r["capacity.veilig_thuis.triage"].mean(),
           "list_end": r["waiting_list_end.veilig_thuis.triage"].mean(),
           "rmst": r["lead_time_help_rmst_365"].mean()}
    for u in UNITS:
        key = f"share_triage_within_norm[{u}]"
        if key in r:
            out[f"late[{u}]"] = 1 - r[key].mean()
            out[f"util[{u}]"] = r[f"utilisation.veilig_thuis.triage[{u}]"].mean()
    return out


def front_desk_fte(overrides: list[str], factor: float) -> list[str]:
    """Overrides that scale the front-desk FTE by ``factor``, keeping the case teams' FTE."""
    cfg = calibrate.compose(["region=gelderland", *overrides])
    vt = cfg.staffing.veilig_thuis
    front, cases = vt.fte * vt.triage_share, vt.fte * (1 - vt.triage_share)
    fte = cases + front * factor
    return [f"staffing.veilig_thuis.fte={fte:.6g}", f"staffing.veilig_thuis.triage_share={front * factor / fte:.6g}"]


def profile(amplitude: float) -> str:
    return "demand.monthly_profile=[" + ",".join(f"{1 + amplitude * c:.6f}" for c in SPRING_PEAK) + "]"


def lognormal_late(mean: float, cv: float, norm: float) -> float:
    sigma = math.sqrt(math.log(1 + cv * cv))
    mu = math.log(mean) - sigma * sigma / 2
    return float(stats.norm.sf((math.log(norm) - mu) / sigma))


def row(label: str, m: dict[str, float]) -> str:
    units = "  ".join(f"{m.get(f'late[{u}]', math.nan):5.1%}/{m.get(f'util[{u}]', math.nan):4.2f}" for u in UNITS)
    return (f"{label:38s} {m['late']:6.1%} ±{m['late_sd']:4.1%} {m['late_werkdag']:7.1%} {m['util']:6.3f} "
            f"{m['places']:6.0f} {m['list_end']:7.0f} {m['rmst']:6.1f}  {units}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tiny", action="store_true", help="2 replications of 0.2 year: proves the path, means nothing")
    p.add_argument("--seed", type=int, default=20231)
    p.add_argument("--set", action="append", default=[], help="extra override for every run (e.g. a new calibration)")
    args = p.parse_args(argv)
    check_run(p, regions=["gelderland"], seed=args.seed, overrides=["run.start=today", *args.set])
    years, reps = (0.2, 2) if args.tiny else (3, 4)
    started = time.perf_counter()
    base = list(args.set)
    print(f"Gelderland from today, {years:g} years, {reps} replications, seed {args.seed}")
    print(f"{'case':38s} {'late':>6s} {'sd':>5s} {'werkdag':>7s} {'util':>6s} {'places':>6s} {'list':>7s} "
          f"{'rmst':>6s}  late/util per VT organisation (G-Midden, G-Zuid, N&O)")
    m0 = measure(base, years, reps, args.seed)
    print(row("today's calibration", m0))
    print(f"  (recount of the model's 7-day rule from the families table: {m0['late_7d_recount']:.1%})")
    for f in ((0.94, 0.96, 1.04, 1.06) if not args.tiny else (0.96,)):
        print(row(f"front-desk FTE x {f:.2f}", measure(base + front_desk_fte(base, f), years, reps, args.seed)))
    for a in ((0.05, 0.10) if not args.tiny else (0.05,)):
        print(row(f"seasonal ±{a:.0%} (spring peak)", measure(base + [profile(a)], years, reps, args.seed)))
    if not args.tiny:
        low = front_desk_fte(base, 1.15)
        print(row("front-desk FTE x 1.15", measure(base + low, years, reps, args.seed)))
        print(row("front-desk FTE x 1.15, seasonal ±10%", measure(base + low + [profile(0.10)], years, reps,
                                                                   args.seed)))
    cfg = calibrate.compose(["region=gelderland", *base])
    d = cfg.durations.vt_triage
    norm = float(cfg.norms.vt_triage_days)
    if getattr(d, "mean", None) is not None and getattr(d, "cv", None) is not None:
        mean, cv = float(d.mean), float(d.cv)
        best = optimize.minimize_scalar(lambda c: -lognormal_late(mean, c, norm), bounds=(0.05, 10), method="bounded")
        print(f"assessment time {d.dist} mean {mean:g} d cv {cv:g}: P(> {norm:g} d) = "
              f"{lognormal_late(mean, cv, norm):.1%} without any wait; the largest any lognormal of mean {mean:g} d "
              f"gives is {-best.fun:.1%} (cv {best.x:.2f})")
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    pd.set_option("display.width", 200)
    raise SystemExit(main())
