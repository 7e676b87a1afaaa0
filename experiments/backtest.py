"""Back-test: start the model on 1 January 2019 from what was published for that date, run it forward through the
published demand of the following years, and compare year by year with what happened; writes ``docs/backtest.md``.

Issue 18, part 3. Nothing is refitted: the run is ``region=national_2019`` (conf/region/national_2019.yaml), whose
initial state and demand are 2019's published figures (the Raad's waiting list of ~2,800 children in January 2019,
the measures running on 1-1-2019, VT meldingen 2019-2023 as ``demand.yearly_path``), while every rule of the model
(routing, durations, the court, the capacities of Veilig Thuis and the Raad fitted on 2023) is the calibrated one of
conf/process/nl_2023.yaml and conf/region/national.yaml. Each calendar year of the run is compared with the
published national series (NJi / RvdK jaarberichten, CBS jeugdbescherming; ../shared/domain/domain.md 1b):

    beschermingsonderzoeken started   children with rvdk_start in the year
    verzoekschriften to the court     children whose regular court request falls in the year
    new measures (CBS instroom)       voorlopige OTS (at the GI request) + measures granted (at the decision)
    measures running at the year end  children at the GI, with or without a jeugdbeschermer (last week's mean)
    children without a jeugdbeschermer  the GI's waiting list at the year end (published: January 2024)

Per replication one row per year and figure; the table gives the mean and its 95 % t-interval over replications
(sim.kernel.stats), the published value, and the gap. A calendar year of the model is 365 days (2020 and 2024
were 366: a 0.3 % difference, well inside every interval).

    .venv/bin/python experiments/backtest.py                      # 10 replications, 6 years, docs/backtest.md
    .venv/bin/python experiments/backtest.py --replications 20 --jobs 2
    .venv/bin/python experiments/backtest.py --from-cache         # the page again from results/backtest/reps.csv
    .venv/bin/python experiments/backtest.py --tiny --out /tmp/bt # 2 replications of 0.25 year (tests)

Replications run in batches of ``--jobs`` and each batch is reduced to its yearly rows at once (a national
replication of six years holds ~400,000 family records); the rows are appended to ``<results>/reps.csv`` as they
come, so an interrupted run keeps what it did (``--from-cache`` writes the page from them). ``--tiny``: its
numbers mean nothing; it proves every step and that the same seed gives the same table (tests/test_experiments.py).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sim.config import gate, schema  # noqa: E402
from sim.kernel.stats import confidence_interval  # noqa: E402
from sim.run import output, runner  # noqa: E402

START_YEAR = 2019
REGION = "national_2019"
NJI = "https://www.nji.nl/cijfers/raad-voor-de-kinderbescherming-rvdk"
CBS_2022 = "https://cbs.nl/nl-nl/longread/rapportages/2023/jeugdbescherming-en-jeugdreclassering-2022/1-jeugdbescherming"
CBS_2019 = "https://longreads.cbs.nl/jeugdbescherming-2019/jeugdbescherming/"
CBS_2023 = "https://cbs.nl/nl-nl/longread/rapportages/2024/jeugdbescherming-en-jeugdreclassering-2023?onepage=true"
CBS_H1_2023 = "https://cbs.nl/nl-nl/longread/rapportages/2023/jeugdbescherming-en-jeugdreclassering-1e-halfjaar-2023/1-jeugdbescherming"
SCHULINCK = ("https://www.schulinck.nl/sociaal-domein-nieuws-geen-vermindering-in-wacht-en-doorstroomlijsten-"
             "jeugdbescherming/")

# figure -> (label, unit, {year: (published value, source, note)})
PUBLISHED: dict[str, tuple[str, str, dict[int, tuple[float, str, str]]]] = {
    "onderzoeken": ("beschermingsonderzoeken started (Raad)", "children/year", {
        2019: (16_729, NJI, ""), 2020: (15_940, NJI, ""), 2021: (14_895, NJI, ""), 2022: (13_470, NJI, ""),
        2023: (13_380, NJI, "calibration year"), 2024: (12_155, NJI, "")}),
    "verzoeken": ("verzoekschriften to the kinderrechter", "children/year", {
        2019: (11_368, NJI, ""), 2020: (10_844, NJI, ""), 2021: (9_980, NJI, ""), 2022: (8_206, NJI, ""),
        2023: (8_201, NJI, "calibration year"), 2024: (7_912, NJI, "")}),
    "instroom": ("new child-protection measures (CBS instroom)", "measures/year", {
        2019: (12_980, CBS_2022, ""), 2020: (11_950, CBS_2022, ""), 2021: (11_303, CBS_2022, ""),
        2022: (9_064, CBS_2022, "calibration figure"),
        2023: (8_940, CBS_H1_2023, "derived: first half-year 4,470 x 2")}),
    "stock": ("measures running at the year end", "measures", {
        2019: (32_095, CBS_2019, ""), 2021: (31_960, CBS_2022, "stock on 1-1-2022"),
        2022: (29_070, CBS_2022, ""), 2023: (27_000, CBS_2023, "'more than 27 duizend'")}),
    "gi_waiting": ("children without a jeugdbeschermer at the year end", "children", {
        2023: (1_500, SCHULINCK, "January 2024; the only dated national count besides ~800 in May 2020")}),
}
FIGURES = tuple(PUBLISHED)


def compose(overrides: list[str]):
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    schema.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            return hydra_compose("config", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def yearly_rows(results: runner.Results, years: float) -> pd.DataFrame:
    """One row per replication and calendar year, one column per figure (counted as experiments/calibrate.py's
    extra_figures counts them: children, a voorlopige OTS is a measure reaching the GI no later than the Raad's
    request, a regular verzoek is a court request of a family without one or with a second hearing)."""
    n_years = int(math.ceil(years - 1e-9))
    fam, ts = results.families, results.timeseries
    rows = []
    for rep, f in fam.groupby("replication", sort=True):
        kids = f["n_children"].to_numpy(dtype=float)
        vots = ((f["gi_request"] >= 0) & (f["rvdk_request"] >= f["gi_request"])).to_numpy()
        granted = (f["measure"].isin(["ots", "ots_uhp", "voogdij"]) & f["court_decision"].notna()).to_numpy()
        regular = (f["court_request"].notna() & (~vots | (f["court_hearings"] >= 2))).to_numpy()
        t_start, t_req, t_dec, t_gi = (f[c].to_numpy(dtype=float) for c in
                                       ("rvdk_start", "court_request", "court_decision", "gi_request"))
        gi = ts[(ts["replication"] == rep) & (ts["pool"] == "gi")]
        ends = (gi["t_start"] + gi["length_days"]).to_numpy(dtype=float)
        for k in range(n_years):
            lo, hi = 365.0 * k, min(365.0 * (k + 1), 365.0 * years)
            def within(t: np.ndarray, lo: float = lo, hi: float = hi) -> np.ndarray:
                return (t >= lo) & (t < hi)

            row = {"replication": int(rep), "year": START_YEAR + k, "days": hi - lo,
                   "onderzoeken": kids[within(t_start)].sum(),
                   "verzoeken": kids[regular & within(t_req)].sum(),
                   "instroom": kids[vots & within(t_gi)].sum() + kids[granted & within(t_dec)].sum()}
            last = gi[(ends > hi - 7.0 - 1e-9) & (gi["t_start"].to_numpy(dtype=float) < hi)]
            row["stock"] = float((last["in_care"] + last["waiting"]).mean()) if len(last) else math.nan
            row["gi_waiting"] = float(last["waiting"].mean()) if len(last) else math.nan
            rows.append(row)
    return pd.DataFrame(rows)


def simulate(replications: int, years: float, seed: int, jobs: int, cache: Path | None,
             extra: list[str] = ()) -> pd.DataFrame:
    cfg = compose([f"region={REGION}", f"run.replications={replications}", f"run.years={years:g}",
                   f"run.seed={seed}", "run.event_log=false", "run.quiet=true", *extra])
    model = gate.validate(cfg)
    parts = []
    if cache is not None and cache.exists():
        cache.unlink()
    for first in range(0, replications, max(jobs, 1)):
        batch = list(range(first, min(first + max(jobs, 1), replications)))
        started = time.perf_counter()
        part = yearly_rows(runner.run(model, replications=batch, jobs=min(jobs, len(batch)), progress=False), years)
        parts.append(part)
        if cache is not None:
            part.to_csv(cache, mode="a", header=not cache.exists(), index=False)
        print(f"backtest: replications {batch} done in {time.perf_counter() - started:.0f} s", flush=True)
    return pd.concat(parts, ignore_index=True)


def table(rows: pd.DataFrame) -> pd.DataFrame:
    """Per year and figure: published, model mean and 95 % CI over replications, gap (model / published - 1)."""
    out = []
    full = rows[rows["days"] >= 365.0 - 1e-9]
    for fig in FIGURES:
        label, unit, published = PUBLISHED[fig]
        for year in sorted(rows["year"].unique()):
            part = full[full["year"] == year] if fig not in ("stock", "gi_waiting") else rows[rows["year"] == year]
            mean, low, high, _ = confidence_interval(part[fig].to_numpy(dtype=float)) if len(part) else (math.nan,) * 4
            pub, source, note = published.get(int(year), (math.nan, "", ""))
            gap = mean / pub - 1.0 if pub == pub and mean == mean else math.nan
            out.append({"figure": fig, "label": label, "unit": unit, "year": int(year), "published": pub,
                        "model_mean": mean, "ci_low": low, "ci_high": high, "gap": gap,
                        "inside_ci": bool(low <= pub <= high) if pub == pub and low == low else None,
                        "source": source, "note": note, "replications": int(part["replication"].nunique())})
    return pd.DataFrame(out)


def _n(v: float) -> str:
    return "–" if v != v else f"{v:,.0f}"


def chart(tab: pd.DataFrame, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs = [f for f in FIGURES if tab[(tab["figure"] == f)]["published"].notna().any()]
    fig, axes = plt.subplots(1, len(figs), figsize=(3.2 * len(figs), 3.2), squeeze=False)
    for ax, f in zip(axes[0], figs):
        t = tab[tab["figure"] == f]
        ax.fill_between(t["year"], t["ci_low"], t["ci_high"], color="#0072B2", alpha=0.25, label="model 95% CI")
        ax.plot(t["year"], t["model_mean"], color="#0072B2", marker="o", label="model")
        p = t[t["published"].notna()]
        ax.plot(p["year"], p["published"], color="#D55E00", marker="s", linestyle="--", label="published")
        ax.set_title(PUBLISHED[f][0], fontsize=8)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=7)
        ax.set_xticks(sorted(t["year"].unique()))
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def page(tab: pd.DataFrame, command: str, chart_name: str | None, replications: int, years: float,
         path: list[float]) -> str:
    lines = ["# Back-test: the model started on 1 January 2019, compared with what happened", "",
             f"Generated by `{command}` (experiments/backtest.py); do not edit by hand. "
             f"{replications} replications of {years:g} years, seed as in the command.", "",
             "**What is 2019's and what is not.** The run is `region=national_2019` "
             "(conf/region/national_2019.yaml): the open cases on 1-1-2019 (the Raad's waiting list of ~2,800 "
             "children of all onderzoek types, of which 1,349 bescherming; 31,335 measures running; ~800 children "
             "without a jeugdbeschermer, the May 2020 count) and the published VT meldingen of 2019-2023 as "
             "`demand.yearly_path`. Everything else is the model calibrated on 2023 (docs/calibration.md), "
             "unchanged: routing shares, durations, the court, and the fitted capacities of Veilig Thuis and the "
             "Raad. Nothing was refitted to the series below.", ""]
    if chart_name:
        lines += [f"![predicted vs published]({chart_name})", ""]
    lines += ["| figure | year | published | model mean | 95 % CI | model / published - 1 | published inside CI |",
              "|---|---|---|---|---|---|---|"]
    for _, r in tab.iterrows():
        if r["published"] != r["published"] and r["model_mean"] != r["model_mean"]:
            continue
        gap = "–" if r["gap"] != r["gap"] else f"{r['gap']:+.0%}"
        inside = {True: "yes", False: "no"}.get(r["inside_ci"], "–")
        note = f" ({r['note']})" if r["note"] else ""
        lines.append(f"| {r['label']} | {r['year']}{note} | {_n(r['published'])} | {_n(r['model_mean'])} | "
                     f"{_n(r['ci_low'])}–{_n(r['ci_high'])} | {gap} | {inside} |")
    lines += ["", "Sources: " + "; ".join(sorted({s for s in tab["source"] if s})), "",
              "## What the model misses, and why", "", *misses(tab, path), ""]
    return "\n".join(lines)


def misses(tab: pd.DataFrame, path: list[float]) -> list[str]:
    """Plain statements computed from the table and the demand path (so they stay true when it is regenerated)."""
    pub = PUBLISHED["onderzoeken"][2]
    fall = pub[2023][0] / pub[2019][0] - 1.0
    out = [f"- **The main miss: the decline is not in the demand.** Published beschermingsonderzoeken fell "
           f"{fall:+.0%} from 2019 to 2023 and new measures {9_064 / 12_980 - 1:+.0%} from 2019 to 2022, while VT "
           f"meldingen, the demand the model is given, moved {path[4] / path[0] - 1:+.0%} (2019 to 2023). The model "
           "routes a fixed share of its families onwards (the 2023 calibration), so it cannot produce a fall of "
           "the chain's deeper stages that its demand does not carry: whatever made fewer families reach the Raad "
           "and the court (practice, policy, capacity) is outside the model. Its flows sit near the 2023 level in "
           "every year, which is the calibration, not a prediction."]
    cal = tab[(tab["figure"] == "onderzoeken") & (tab["year"] == 2023)]
    if len(cal) and cal.iloc[0]["gap"] == cal.iloc[0]["gap"]:
        out.append(f"- **Even the calibration year is off** ({cal.iloc[0]['gap']:+.0%} for onderzoeken in 2023): the "
                   "calibration fitted one year from the state of 1-1-2024; started in 2019, the model reaches "
                   "2023 with its own stocks, not the published ones.")

    def gaps(fig: str) -> pd.DataFrame:
        return tab[(tab["figure"] == fig) & tab["gap"].notna()]

    o = gaps("onderzoeken")
    if len(o):
        first, last = o.iloc[0], o.iloc[-1]
        out.append(f"- **Beschermingsonderzoeken**: {first['year']} {first['gap']:+.0%}, {last['year']} "
                   f"{last['gap']:+.0%}. The Raad's capacity is the one fitted on 2023 (13,380 onderzoeken a "
                   "year, docs/calibration.md) for every year: in 2019 the Raad did 16,729 (NJi), and its staff over "
                   "the years is not published (domain.md 1d). A model whose capacity is fixed cannot follow an "
                   "organisation whose output changed: where the model is below the published count in the early "
                   "years, the Raad then had more capacity than the 2023 fit gives it.")
    v = gaps("verzoeken")
    if len(v):
        out.append(f"- **Verzoekschriften**: from {v.iloc[0]['gap']:+.0%} ({v.iloc[0]['year']}) to "
                   f"{v.iloc[-1]['gap']:+.0%} ({v.iloc[-1]['year']}). They follow the onderzoeken with the 2023 share "
                   "of onderzoeken that end in a request (61 %); the share was higher earlier (11,368 / 16,729 = "
                   "68 % in 2019), and the model keeps 2023's routing.")
    i = gaps("instroom")
    if len(i):
        out.append(f"- **New measures**: {', '.join(f'{r.year} {r.gap:+.0%}' for r in i.itertuples())}. The fall of "
                   "2022 (-20 % in one year, CBS) is not explained by the demand path the model is given; the model's "
                   "court grants a fixed share of the requests (90 %, conf/process/nl_2023.yaml) in every year.")
    s = gaps("stock")
    if len(s):
        out.append(f"- **Measures running**: {', '.join(f'{r.year} {r.gap:+.0%}' for r in s.itertuples())}. The "
                   "GIs' places are fixed at 1-1-2019's stock (a rising stock shows as a waiting list, a falling one "
                   "as empty places), and the measures' terms and extension shares are 2023's in every year.")
    w = gaps("gi_waiting")
    if len(w):
        r = w.iloc[0]
        out.append(f"- **Children without a jeugdbeschermer** (January 2024): model {_n(r['model_mean'])} against "
                   f"1,500 ({r['gap']:+.0%}). The GIs' places stay at the 2019 stock; their real staff over the years "
                   "is not published (the inspectorates report 'personeelstekort' without a number).")
    out.append("- **Not in the model at all**: the Raad's and the GIs' staff over time (no published FTE series), the "
               "court's changing practice, the toeslagenaffaire, COVID-19's effect on who was referred (2020-2021), "
               "and 2024's demand (no VT series found; 2023 is held). Each of these moves a published series that the "
               "model can only follow through the demand path it is given.")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--years", type=float, default=6.0, help="years from 1-1-2019 (default 6: to the end of 2024)")
    parser.add_argument("--seed", type=int, default=20231)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "backtest.md", help="the page to write")
    parser.add_argument("--results", type=Path, default=ROOT / "results" / "backtest",
                        help="folder of reps.csv and table.csv")
    parser.add_argument("--from-cache", action="store_true", help="write the page from <results>/reps.csv")
    parser.add_argument("--tiny", action="store_true", help="2 replications of 0.25 year, 1 job (tests)")
    args = parser.parse_args(argv)
    if args.tiny:
        args.replications, args.years, args.jobs = 2, 0.25, 1
        if args.out == ROOT / "docs" / "backtest.md":
            parser.error("--tiny needs --out outside docs/ (its numbers mean nothing)")
        if args.results == ROOT / "results" / "backtest":
            args.results = args.out.parent / "backtest_results"
    for name, v in (("--replications", args.replications), ("--jobs", args.jobs)):
        if v < 1:
            parser.error(f"{name} = {v} (must be 1 or more)")
    if not 0 < args.years <= 10:
        parser.error(f"--years = {args.years} (allowed: above 0, at most 10)")
    args.results.mkdir(parents=True, exist_ok=True)
    cache = args.results / "reps.csv"
    if args.from_cache:
        rows = pd.read_csv(cache)
    else:
        rows = simulate(args.replications, args.years, args.seed, args.jobs, cache)
    tab = table(rows)
    output.write_text(args.results / "table.csv", tab.to_csv(index=False))
    chart_path = args.out.with_name("backtest.png")
    chart(tab, chart_path)
    reps = int(rows["replication"].nunique())
    command = (f".venv/bin/python experiments/backtest.py --replications {args.replications} --years {args.years:g} "
               f"--seed {args.seed} --jobs {args.jobs}" + (" --tiny" if args.tiny else ""))
    if args.from_cache:  # the page written again from a run's cache (an early stop or a new text): say so
        command += "`, the page written from its cache by `.venv/bin/python experiments/backtest.py --from-cache"
    path = [float(v) for v in compose([f"region={REGION}"]).demand.yearly_path]
    output.write_text(args.out, page(tab, command, chart_path.name, reps, args.years, path))
    print(f"backtest: {args.out} ({reps} replications), table {args.results / 'table.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
