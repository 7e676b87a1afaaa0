"""Which assumptions matter? A tornado table of the as-is chain (docs/sensitivity.md and docs/sensitivity.csv).

Every value whose provenance says ``assumption`` and gives a plausible range (``range: a-b`` in its comment in
``conf/process/nl_2023.yaml`` or the region file, read by ``sim.config.provenance.parse_range``) is moved to the low and
to the high end of its range, one at a time, with everything else as calibrated. Each variant is the as-is run
of the region from today's state (the default of ``make run``), with the same seeds as the base run (common
random numbers), so the difference to the base is the effect of that assumption alone; its 95 % interval is the
t-interval of the paired per-replication differences.

What moves, and how:

* a number is set to the bound;
* a distribution's *mean* is set to the bound: every time parameter (mean, median, scale, value, low, mode,
  high) is multiplied by bound / mean, so its shape (cv) is kept;
* one option of a routing decision (shares summing to one) is set to the bound and the other options absorb
  the difference: the option whose provenance derives it as the remainder if there is one, otherwise all
  others in proportion.

Values that were calibrated are not varied here: they are refitted whenever an assumption changes, and their
own uncertainty is in docs/calibration.md. Values without a stated range are listed at the end.

    .venv/bin/python experiments/sensitivity.py                     # Gelderland, 4 replications, 1 year
    .venv/bin/python experiments/sensitivity.py --region national --replications 2
    .venv/bin/python experiments/sensitivity.py --tiny --out /tmp/sens      # in miniature (tests), a few seconds

``--tiny`` is the demo region, 2 replications of 0.1 year and only the first 2 assumptions: it proves the path
from the provenance comments to the written table, its numbers mean nothing (tests/test_experiments.py).
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments.arguments import check_run  # noqa: E402
from sim.chain import checks  # noqa: E402
from sim.config import gate, provenance, schema
from sim.run import runner  # noqa: E402

CONF = ROOT / "conf"
DOCS = ROOT / "docs"
KPIS = {  # what a planner reads first: the lead time to help and the waiting lists (time-weighted means)
    "lead_time_help_mean": "lead time melding → start of help (days, families arriving in the run)",
    "waiting_list_mean.veilig_thuis.triage": "meldingen waiting for the veiligheidsbeoordeling",
    "waiting_list_mean.veilig_thuis.casus": "families waiting for a VT case team",
    "waiting_list_mean.buurtteam": "families waiting for voluntary help",
    "waiting_list_mean.rvdk": "children waiting for the Raad",
    "waiting_list_mean.gi": "children waiting for a jeugdbeschermer",
}
SHORT = {"lead_time_help_mean": "lead time (d)", "waiting_list_mean.veilig_thuis.triage": "VT triage list",
         "waiting_list_mean.veilig_thuis.casus": "VT case list", "waiting_list_mean.buurtteam": "buurtteam list",
         "waiting_list_mean.rvdk": "Raad list", "waiting_list_mean.gi": "GI list"}
TIME_FIELDS = ("mean", "median", "scale", "value", "low", "mode", "high")
UNIT_SHARES = ("catchment", "fte_share", "triage_fte_share")  # region.units.<kind>.<name>.<share>: sums to 1 over a kind's organisations
DECISIONS = ("routing.vt_triage", "routing.vt_onderzoek", "routing.vt_vervolg", "routing.buurtteam_escalation",
             "routing.rvdk_outcome", "routing.measure_type", "families.colour")


@dataclass(frozen=True)
class Assumption:
    key: str
    low: float
    high: float
    file: str
    text: str


def assumptions(region: str) -> tuple[list[Assumption], list[str]]:
    """Assumptions with a range (varied) and without one (listed), from the process and the region file."""
    varied, fixed = [], []
    for path in (CONF / "process" / "nl_2023.yaml", CONF / "region" / f"{region}.yaml"):
        for p in provenance.read_file(path)[0]:
            if p.kind != "assumption":
                continue
            if p.range is None:
                fixed.append(p.key)
            else:
                varied.append(Assumption(p.key, p.range[0], p.range[1], path.name, p.text))
    return varied, fixed


def _remainder_option(parent: str) -> str | None:
    """The option of a decision whose provenance derives it as the remainder (it absorbs a change)."""
    for path in (CONF / "process" / "nl_2023.yaml",):
        for p in provenance.read_file(path)[0]:
            if p.key.startswith(parent + ".") and p.kind == "derived" and (
                    "remainder" in p.text or p.text.lstrip().startswith("1 -")):
                return p.key.rsplit(".", 1)[1]
    return None


def vary(cfg: DictConfig, a: Assumption, bound: float) -> tuple[DictConfig, str]:
    """A copy of ``cfg`` with assumption ``a`` at ``bound``; returns it and a readable description."""
    out = copy.deepcopy(cfg)
    node = OmegaConf.select(out, a.key)
    parent = a.key.rsplit(".", 1)[0]
    if isinstance(node, DictConfig):  # a distribution: move its mean to the bound, keep its shape
        spec = OmegaConf.to_container(node)
        mean = checks.distribution(a.key, spec).mean
        factor = bound / mean
        new = {k: (v * factor if k in TIME_FIELDS and v is not None else v) for k, v in spec.items()}
        if spec.get("dist") == "gamma" and spec.get("shape") is not None:
            new["shape"] = spec["shape"]
        OmegaConf.update(out, a.key, new, merge=True)  # a typed DistSpec node takes a merge, not a replacement
        return out, f"mean {bound:g}"
    if a.key.startswith("region.units.") and a.key.rsplit(".", 1)[1] in UNIT_SHARES:
        # an organisation's share of its kind (region.units.<kind>.<name>.catchment|fte_share): the kind's other
        # organisations share the rest in their current proportions, so the shares keep summing to 1
        kind_path, name, share = a.key.rsplit(".", 2)
        orgs = OmegaConf.to_container(OmegaConf.select(out, kind_path))
        def given(u: dict) -> float:  # a share left out defaults as sim.config.gate.units does
            for key in (share, "fte_share", "catchment"):
                if u.get(key) is not None and (key == share or share != "catchment"):
                    return u[key]
            return u["catchment"]

        current = {n: given(u) for n, u in orgs.items()}
        rest = sum(v for n, v in current.items() if n != name)
        for n, v in current.items():
            new_share = bound if n == name else (v * (1.0 - bound) / rest if rest > 0 else (1.0 - bound) / (len(current) - 1))
            OmegaConf.update(out, f"{kind_path}.{n}.{share}", float(new_share), merge=False, force_add=True)
        return out, f"{bound:g}"
    regions = gate.jeugdregio_share_group(out, a.key)
    if regions is not None:
        # a jeugdregio's share of its Veilig Thuis organisation's families: that organisation's other jeugdregio's
        # share the rest in their current proportions; the GIs' catchments follow (derived: gate.jeugdregios)
        current = {k: float(OmegaConf.select(out, k)) for k in regions[1]}
        rest = sum(v for k, v in current.items() if k != a.key)
        for k, v in current.items():
            new_share = bound if k == a.key else (v * (1.0 - bound) / rest if rest > 0 else (1.0 - bound) / (len(current) - 1))
            OmegaConf.update(out, k, float(new_share), merge=False)
        return out, f"{bound:g}"
    if parent in DECISIONS or (parent.startswith("region.units.") and parent.endswith(".routing")) or (
            parent.startswith("region.jeugdregios.") and parent.endswith(".gi")):  # a jeugdregio's GIs: sum to 1
        shares = dict(OmegaConf.to_container(OmegaConf.select(out, parent)))
        option = a.key.rsplit(".", 1)[1]
        delta = bound - shares[option]
        shares[option] = bound
        absorb = _remainder_option(parent)
        if absorb and absorb != option and 0.0 <= shares[absorb] - delta <= 1.0:
            shares[absorb] -= delta
        else:
            others = [k for k in shares if k != option]
            rest = sum(shares[k] for k in others)
            for k in others:
                shares[k] = shares[k] * (1.0 - bound) / rest if rest > 0 else (1.0 - bound) / len(others)
        OmegaConf.update(out, parent, shares, merge=False)
        return out, f"{bound:g}"
    value = int(round(bound)) if isinstance(node, int) and not isinstance(node, bool) else float(bound)
    OmegaConf.update(out, a.key, value, merge=False)
    return out, f"{bound:g}"


def compose(region: str, overrides: list[str]) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    schema.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            return hydra_compose("config", overrides=[f"region={region}", *overrides])
    finally:
        GlobalHydra.instance().clear()


def run_kpis(cfg: DictConfig, jobs: int) -> pd.DataFrame:
    model = gate.validate(cfg)
    runs = runner.run(model, jobs=jobs, progress=False).runs
    return runs.set_index("replication")[list(KPIS)]


def paired(base: pd.DataFrame, variant: pd.DataFrame, kpi: str) -> tuple[float, float, float]:
    """Mean difference variant - base over replications (common random numbers) and its 95 % t-interval."""
    d = (variant[kpi] - base[kpi]).to_numpy(dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0:
        return math.nan, math.nan, math.nan
    mean = float(d.mean())
    if len(d) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.975, len(d) - 1)) * float(d.std(ddof=1)) / math.sqrt(len(d))
    return mean, mean - half, mean + half


def analyse(region: str, replications: int, years: float, jobs: int, seed: int, log=print,
            limit: int | None = None) -> tuple[pd.DataFrame, dict]:
    """The tornado table; ``limit``: vary only the first ``limit`` assumptions (--tiny)."""
    base_cfg = compose(region, [f"run.replications={replications}", f"run.years={years}", f"run.seed={seed}",
                                "run.event_log=false", "run.quiet=true"])
    started = time.perf_counter()
    base = run_kpis(base_cfg, jobs)
    varied, fixed = assumptions(region)
    varied = varied[:limit] if limit is not None else varied
    rows = []
    for i, a in enumerate(varied, 1):
        current = OmegaConf.select(base_cfg, a.key)
        cur_txt = (f"mean {checks.distribution(a.key, OmegaConf.to_container(current)).mean:.3g}"
                   if isinstance(current, DictConfig) else f"{current:.3g}")
        results = {}
        for side, bound in (("low", a.low), ("high", a.high)):
            cfg, desc = vary(base_cfg, a, bound)
            results[side] = (desc, run_kpis(cfg, jobs))
        for kpi in KPIS:
            lo, lo_l, lo_h = paired(base, results["low"][1], kpi)
            hi, hi_l, hi_h = paired(base, results["high"][1], kpi)
            rows.append({"assumption": a.key, "file": a.file, "current": cur_txt, "low": results["low"][0],
                         "high": results["high"][0], "kpi": kpi, "base": float(base[kpi].mean()),
                         "delta_low": lo, "delta_low_ci_low": lo_l, "delta_low_ci_high": lo_h,
                         "delta_high": hi, "delta_high_ci_low": hi_l, "delta_high_ci_high": hi_h,
                         "swing": max(abs(lo), abs(hi)) if math.isfinite(lo) and math.isfinite(hi) else math.nan,
                         "why": a.text})
        lt = [r for r in rows if r["assumption"] == a.key and r["kpi"] == "lead_time_help_mean"][0]
        log(f"  {i:2d}/{len(varied)} {a.key:45s} lead time {lt['delta_low']:+7.1f} / {lt['delta_high']:+7.1f} days"
            f"   ({time.perf_counter() - started:,.0f} s)")
    meta = {"region": region, "replications": replications, "years": years, "seed": seed, "fixed": fixed,
            "base": base.mean().to_dict(), "seconds": time.perf_counter() - started}
    return pd.DataFrame(rows), meta


def _d(v: float, lo: float, hi: float, digits: int = 0) -> str:
    if not math.isfinite(v):
        return "-"
    sig = "" if (math.isfinite(lo) and math.isfinite(hi) and lo <= 0 <= hi) else "*"
    return f"{v:+,.{digits}f}{sig}"


def write(table: pd.DataFrame, meta: dict, out: Path = DOCS) -> None:
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / "sensitivity.csv", index=False)
    wide = {k: g.set_index("assumption") for k, g in table.groupby("kpi")}
    lead = wide["lead_time_help_mean"].sort_values("swing", ascending=False)
    top = max(lead["swing"].max(), 1e-9)
    base = meta["base"]
    lines = [
        f"# Sensitivity of the as-is chain ({meta['region']}) to its assumptions",
        "",
        f"Generated by `experiments/sensitivity.py` on {dt.date.today()}: {meta['region']} from today's state, "
        f"{meta['years']:g} year, {meta['replications']} replications per variant with the base run's seeds "
        f"(seed {meta['seed']}), {meta['seconds'] / 60:,.0f} min. Do not edit by hand: rerun the script. "
        "Full table with 95 % intervals: docs/sensitivity.csv.",
        "",
        "Each row moves one assumption to the low and to the high end of the range in its provenance comment, "
        "everything else as calibrated (docs/calibration.md). Cells show the change against the base run: "
        "*low end / high end*; `*` marks a change whose 95 % interval (paired over replications) excludes zero. "
        "Rows are sorted by the largest change in the lead time from melding to the start of help.",
        "",
        "Base run: " + "; ".join(f"{SHORT[k]} {base[k]:,.1f}" for k in KPIS) + ".",
        "",
        "| assumption | now | range | lead time melding → help (days) | " +
        " | ".join(SHORT[k] for k in KPIS if k != "lead_time_help_mean") + " |",
        "|---|---|---|---|" + "---|" * (len(KPIS) - 1),
    ]
    for key, r in lead.iterrows():
        bar = "█" * int(round(12 * r["swing"] / top)) if math.isfinite(r["swing"]) else ""
        cells = [f"{_d(r['delta_low'], r['delta_low_ci_low'], r['delta_low_ci_high'], 1)} / "
                 f"{_d(r['delta_high'], r['delta_high_ci_low'], r['delta_high_ci_high'], 1)} {bar}"]
        for k in KPIS:
            if k == "lead_time_help_mean":
                continue
            w = wide[k].loc[key]
            cells.append(f"{_d(w['delta_low'], w['delta_low_ci_low'], w['delta_low_ci_high'])} / "
                         f"{_d(w['delta_high'], w['delta_high_ci_low'], w['delta_high_ci_high'])}")
        lines.append(f"| `{key}` | {r['current']} | {r['low']} – {r['high']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Reading the table",
        "",
        "- A long bar means the assumption moves the lead time to help by many days within its plausible range: "
        "those are the unknowns worth measuring first.",
        "- The waiting lists of the Raad and the GI are stocks carried over from today (docs/calibration.md); an "
        "assumption that changes the inflow to them shows as a growing or shrinking list over the year.",
        "- Changes without `*` are within the noise of the replications: read them as \"no clear effect\".",
        "",
        "## Assumptions without a stated range (not varied)",
        "",
        ", ".join(f"`{k}`" for k in meta["fixed"]) or "none",
        "",
    ]
    (out / "sensitivity.md").write_text("\n".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--region", default="gelderland")
    p.add_argument("--replications", type=int, default=4)
    p.add_argument("--years", type=float, default=1.0)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--seed", type=int, default=20231)
    p.add_argument("--out", type=Path, default=DOCS, help="folder for sensitivity.md and sensitivity.csv (default docs/)")
    p.add_argument("--tiny", action="store_true", help="demo region, 2 replications of 0.1 year, 2 assumptions (tests)")
    args = p.parse_args(argv)
    if args.tiny:
        args.region, args.replications, args.years = "demo", 2, 0.1
    if args.replications < 2:
        p.error(f"--replications = {args.replications} (at least 2: the paired intervals need two)")
    if not (math.isfinite(args.years) and args.years > 0):
        p.error(f"--years = {args.years:g} (a positive number of years)")
    check_run(p, regions=[args.region], jobs=args.jobs, seed=args.seed, names={"regions": "--region"})
    table, meta = analyse(args.region, args.replications, args.years, args.jobs, args.seed,
                          limit=2 if args.tiny else None)
    write(table, meta, args.out)
    print(f"wrote {args.out / 'sensitivity.md'} and {args.out / 'sensitivity.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
