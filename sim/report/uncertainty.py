"""The report's "How sure are we?" / "Hoe zeker zijn we?" section, from the tables ``python -m sim.uncertainty`` wrote.

Reads ``uncertainty_summary.csv``, ``sobol.csv``, ``break_even.csv`` and ``break_even_curves.csv`` only (the report
never runs the model). Three charts per compared workflow: P(the alternative is better) per KPI, the total Sobol'
indices of the most influential assumptions per KPI, and the expected difference against the most influential
assumption with its default, its range and the break-even value marked; and one sentence per KPI, generated from
the numbers, that a non-technical reader can repeat.

A folder of ``python -m sim.size target.probability=p`` (sim/analysis/size_uncertain.py: ``sizing.csv`` with its
``probability`` column, ``sizing_worlds.csv``) gets the section "Staff needed to meet the target in most plausible
worlds" instead (:func:`sizing_section`): one sentence per sized organisation, the table, and the target KPI in
every world at the answer.
"""

from __future__ import annotations

import base64
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from markupsafe import Markup

from sim.chain import kpis
from sim.report import page, style

TABLES = ("uncertainty_summary", "sobol", "break_even", "break_even_curves", "assumptions_drawn")
OPTIONAL = ("emulator_check",)  # written with uncertainty.method=emulator: the emulator's error on held-back worlds
WEAK_FIT = 0.5  # an emulator explaining less of the held-back worlds' spread than this: its shares are read with care
TOP_SOBOL = 3  # assumptions shown per KPI in the Sobol' chart

TEXT: dict[str, tuple[str, str]] = {
    "title": ("How sure are we?", "Hoe zeker zijn we?"),
    "r.title": ("How sure are we? {workflows} against {baseline}, {region}",
                "Hoe zeker zijn we? {workflows} tegenover {baseline}, {region}"),
    "intro": ("{draws} plausible worlds: every one of the {d} assumptions with a stated range drawn at once "
              "(Sobol' design), each world run for every workflow on the same families. The numbers below are the "
              "spread over those worlds, not a confidence interval of one set of assumptions.",
              "{draws} plausibele werelden: alle {d} aannames met een opgegeven bandbreedte tegelijk getrokken "
              "(Sobol'-ontwerp), elke wereld doorgerekend voor elke werkwijze met dezelfde gezinnen. De getallen "
              "hieronder zijn de spreiding over die werelden, geen betrouwbaarheidsinterval bij één set aannames."),
    "p.title": ("P({workflow} better than {baseline}) per KPI", "P({workflow} beter dan {baseline}) per KPI"),
    "p.axis": ("share of plausible worlds in which it is better", "aandeel plausibele werelden waarin het beter is"),
    "s.title": ("Which assumptions decide it: total Sobol' index ({workflow})",
                "Welke aannames de doorslag geven: totale Sobol'-index ({workflow})"),
    "s.axis": ("share of the spread of the difference (with its 95 % interval)",
               "aandeel van de spreiding van het verschil (met 95%-interval)"),
    "b.title": ("Where the answer turns: {kpi} against {assumption}", "Waar het antwoord kantelt: {kpi} tegen {assumption}"),
    "b.axis": ("expected difference {workflow} - {baseline}", "verwacht verschil {workflow} - {baseline}"),
    "b.default": ("default", "standaard"),
    "b.range": ("stated range", "opgegeven bandbreedte"),
    "b.even": ("break-even", "omslagpunt"),
    "footer": ("{draws} worlds x {reps} replication(s) per workflow; every effect of a new workflow is an assumption "
               "(no pilot published an effect size).",
               "{draws} werelden x {reps} replicatie(s) per werkwijze; elk effect van een nieuwe werkwijze is een "
               "aanname (geen pilot publiceerde een effectgrootte)."),
    "sentence": ("{kpi}: in {p} of the plausible worlds {workflow} is better than {baseline} (difference {mean} "
                 "{unit} on average; 90 % of worlds between {lo} and {hi}). {driver}",
                 "{kpi}: in {p} van de plausibele werelden is {workflow} beter dan {baseline} (verschil gemiddeld "
                 "{mean} {unit}; 90 % van de werelden tussen {lo} en {hi}). {driver}"),
    "driver": ("It depends most on {assumption} ({share} of the spread){turn}.",
               "Het hangt het meest af van {assumption} ({share} van de spreiding){turn}."),
    "loose": (" With so few draws that share is itself uncertain (give or take {conf}): more draws "
              "(uncertainty.draws) make the ranking firm.",
              " Met zo weinig werelden is dat aandeel zelf onzeker (plus of min {conf}): meer werelden "
              "(uncertainty.draws) maken de rangorde steviger."),
    "turn": ("; the answer turns at {value} (95 % interval {lo} to {hi}; range {low} to {high}, default {default})",
             "; het antwoord kantelt bij {value} (95%-interval {lo} tot {hi}; bandbreedte {low} tot {high}, "
             "standaard {default})"),
    "emulated": (" These shares come from an emulator fitted on {n_train} worlds; in {n_held} worlds held back from "
                 "it, it explained {r2} of the spread.",
                 " Deze aandelen komen uit een emulator, gepast op {n_train} werelden; in {n_held} achtergehouden "
                 "werelden verklaarde hij {r2} van de spreiding."),
    "weak": (" That is too little to rank the assumptions firmly: the families' chance or what the emulator misses "
             "dominates.",
             " Dat is te weinig om de aannames stevig te rangschikken: het toeval van de gezinnen of wat de emulator "
             "mist overheerst."),
    "no.driver": ("No single assumption explains a tenth of its spread.",
                  "Geen enkele aanname verklaart een tiende van de spreiding."),
    "no.sobol": ("Its Sobol' indices are not known (a world without a value, or no spread at all).",
                 "De Sobol'-indices zijn niet bekend (een wereld zonder waarde, of helemaal geen spreiding)."),
    "pp": ("percentage points", "procentpunt"),
    "z.title": ("Staff needed to meet the target in most plausible worlds",
                "Benodigd personeel om het doel in de meeste plausibele werelden te halen"),
    "z.intro": ("Sizing under uncertainty (python -m sim.size target.probability={p}): {worlds} plausible worlds, "
                "the {d} assumptions with a stated range drawn at once, and the least staffing that meets the target "
                "in at least {p_pct} of them (steady-state flow model), then simulated in {confirm} of those worlds.",
                "Personeelsberekening onder onzekerheid (python -m sim.size target.probability={p}): {worlds} "
                "plausibele werelden, de {d} aannames met een opgegeven bandbreedte tegelijk getrokken, en de "
                "kleinste bezetting die het doel in ten minste {p_pct} daarvan haalt (stationair stroommodel), "
                "daarna gesimuleerd in {confirm} van die werelden."),
    "z.sentence": ("{org}: to meet \"{goal}\" in at least {p} of the plausible worlds takes {fte} FTE (today {today}; "
                   "{default} at the assumed values alone). With one step less it is met in {less} of the worlds. "
                   "Simulated at {fte} FTE the target was met in {met} of {n} worlds (95 % interval {lo} to {hi}).",
                   "{org}: om \"{goal}\" in ten minste {p} van de plausibele werelden te halen is {fte} fte nodig "
                   "(nu {today}; {default} bij alleen de aangenomen waarden). Met een stap minder lukt het in {less} "
                   "van de werelden. Gesimuleerd bij {fte} fte werd het doel gehaald in {met} van {n} werelden "
                   "(95%-interval {lo} tot {hi})."),
    "z.col.org": ("organisation", "organisatie"),
    "z.col.today": ("FTE today", "fte nu"),
    "z.col.default": ("FTE at the assumed values", "fte bij de aangenomen waarden"),
    "z.col.needed": ("FTE needed in {p} of worlds", "fte nodig in {p} van de werelden"),
    "z.col.analytic": ("worlds met (flow model)", "werelden gehaald (stroommodel)"),
    "z.col.less": ("with one step less", "met een stap minder"),
    "z.col.simulated": ("simulated: met (95 % interval)", "gesimuleerd: gehaald (95%-interval)"),
    "z.chart": ("{kpi} in each plausible world at {fte} FTE ({org})", "{kpi} in elke plausibele wereld bij {fte} fte ({org})"),
    "z.x": ("plausible worlds, from worst to best", "plausibele werelden, van slechtste naar beste"),
    "z.flow": ("flow model", "stroommodel"),
    "z.sim": ("simulated (mean, confidence interval)", "gesimuleerd (gemiddelde, betrouwbaarheidsinterval)"),
    "z.target": ("target", "doel"),
    "z.needed": ("{p} of worlds must meet", "{p} van de werelden moet halen"),
    "z.footer": ("{worlds} worlds drawn over {d} assumptions (seed {seed}); flow model: steady state at the answer; "
                 "simulated: {reps} replication(s) x {years} years each on the same families.",
                 "{worlds} werelden getrokken over {d} aannames (seed {seed}); stroommodel: stationaire toestand bij "
                 "het antwoord; gesimuleerd: {reps} replicatie(s) x {years} jaar elk met dezelfde gezinnen."),
    "evppi": ("Worth measuring first (value of perfect information for the rule \"adopt if the expected difference "
              "is better than 0\", in the KPI's unit):",
              "Het eerst waard om te meten (verwachte waarde van perfecte informatie bij de regel \"invoeren als het "
              "verwachte verschil beter is dan 0\", in de eenheid van de KPI):"),
}


LOOSE = 0.5  # a total index whose 95 % bootstrap half-width is at least this share of it is called uncertain


def text(key: str, lang: str, **values: object) -> str:
    both = TEXT[key]
    s = both[style.LANGS.index(style.check_lang(lang))]
    return s.format(**values) if values else s


def has_tables(directory: Path) -> bool:
    return all((Path(directory) / f"{t}.csv").is_file() for t in TABLES)


def read(directory: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for t in TABLES + OPTIONAL:
        path = Path(directory) / f"{t}.csv"
        if path.is_file() or t in TABLES:
            out[t] = pd.read_csv(path) if path.stat().st_size > 1 else pd.DataFrame()
    return out


def _emulated(t: dict[str, pd.DataFrame], workflow: str, kpi: str, lang: str) -> str:
    """What the emulator's error on held-back worlds says about a KPI's Sobol' shares ('' without an emulator)."""
    check = t.get("emulator_check")
    if check is None or check.empty:
        return ""
    c = check[(check["workflow"] == workflow) & (check["kpi"] == kpi)]
    if c.empty or not np.isfinite(c["r2"].iloc[0]):
        return ""
    r = c.iloc[0]
    out = text("emulated", lang, n_train=int(r["n_train"]), n_held=int(r["n_held"]),
               r2=style.fmt_percent(max(float(r["r2"]), 0.0), lang))
    return out + (text("weak", lang) if float(r["r2"]) < WEAK_FIT else "")


def _label(kpi: str, lang: str) -> str:
    try:
        return style.kpi_label(kpi, lang)
    except KeyError:
        return kpi


def _wrapped(label: str, width: int = 44) -> str:
    return textwrap.fill(label, width, break_long_words=True)


def _share_ticks(lang: str):
    """Ticks of a 0..1 axis (a share, a probability) as '40%' (style.percent_formatter is for a 0..100 axis)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: style.fmt_percent(float(v), lang))


def _fmt(v: float, lang: str) -> str:
    return "-" if v is None or not np.isfinite(v) else style.fmt_number(float(v), lang)


def probability_bars(summary: pd.DataFrame, workflow: str, footer: str, lang: str) -> style.Chart:
    s = summary[summary["workflow"] == workflow].iloc[::-1]
    with style.style_context():
        fig = style.new_figure(1.6 + 0.42 * len(s))
        ax = fig.add_subplot()
        y = np.arange(len(s))
        colour = style.workflow_colour(workflow)
        ax.barh(y, s["p_better"], color=colour, height=0.6)
        ax.barh(y, s["p_worse"], left=1 - s["p_worse"], color=style.LIGHT_GREY, height=0.6)
        ax.axvline(0.5, color=style.NORM_COLOUR, lw=0.8, ls=":")
        ax.set_yticks(y, [_wrapped(_label(k, lang)) for k in s["kpi"]], fontsize=7)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_share_ticks(lang))
        ax.set_xlabel(text("p.axis", lang))
        baseline = str(s["baseline"].iloc[0]) if len(s) else ""
        style.frame(fig, text("p.title", lang, workflow=style.workflow_label(workflow, lang),
                              baseline=style.workflow_label(baseline, lang)), footer)
    return style.Chart(f"uncertainty_p_better_{workflow}", fig, text("p.title", lang, workflow=workflow,
                                                                      baseline=baseline), data=s)


def sobol_bars(sob: pd.DataFrame, workflow: str, footer: str, lang: str) -> style.Chart:
    s = sob[(sob["workflow"] == workflow) & np.isfinite(sob["ST"])]
    top = (s.sort_values("ST", ascending=False).groupby("kpi", sort=False).head(TOP_SOBOL)
           .sort_values(["kpi", "ST"]))
    kpis_shown = list(dict.fromkeys(top["kpi"]))
    with style.style_context():
        fig = style.new_figure(1.8 + 0.34 * len(top) + 0.2 * len(kpis_shown))
        ax = fig.add_subplot()
        labels, pos, y = [], [], 0.0
        for kpi in kpis_shown:
            rows = top[top["kpi"] == kpi]
            for _, r in rows.iterrows():
                pos.append(y)
                labels.append(_wrapped(f"{_label(kpi, lang)}: {r['assumption']}", 60))
                y += 1
            y += 0.6
        ax.barh(pos, top["ST"], xerr=top["ST_conf"], color=style.workflow_colour(workflow), height=0.7,
                error_kw={"ecolor": "black", "lw": 0.8})
        ax.set_yticks(pos, labels, fontsize=7)
        ax.set_xlim(0, max(1.0, float((top["ST"] + top["ST_conf"]).max()) if len(top) else 1.0))
        ax.set_xlabel(text("s.axis", lang))
        style.frame(fig, text("s.title", lang, workflow=style.workflow_label(workflow, lang)), footer)
    return style.Chart(f"uncertainty_sobol_{workflow}", fig, text("s.title", lang, workflow=workflow), data=top)


def break_even_chart(breaks: pd.DataFrame, curves: pd.DataFrame, workflow: str, kpi: str, footer: str,
                     lang: str) -> style.Chart | None:
    b = breaks[(breaks["workflow"] == workflow) & (breaks["kpi"] == kpi) & (breaks["rank"] == 1)]
    if b.empty:
        return None
    r = b.iloc[0]
    c = curves[(curves["workflow"] == workflow) & (curves["kpi"] == kpi) & (curves["assumption"] == r["assumption"])]
    if c.empty:
        return None
    with style.style_context():
        fig = style.new_figure(3.6)
        ax = fig.add_subplot()
        ax.axvspan(r["low"], r["high"], color=style.LIGHT_GREY, alpha=0.25, label=text("b.range", lang))
        ax.plot(c["x"], c["fitted"], color=style.workflow_colour(workflow), lw=2)
        ax.axhline(0, color=style.NORM_COLOUR, lw=0.8)
        ax.axvline(r["default"], color=style.GREY, ls="--", lw=1, label=text("b.default", lang))
        if np.isfinite(r["value"]):
            ax.axvline(r["value"], color=style.NORM_COLOUR, lw=1.5, label=text("b.even", lang))
            if np.isfinite(r["ci_low"]):
                ax.axvspan(r["ci_low"], r["ci_high"], color=style.NORM_COLOUR, alpha=0.12)
        ax.set_xlabel(str(r["assumption"]))
        baseline = style.workflow_label(str(breaks["baseline"].iloc[0]), lang) if "baseline" in breaks else ""
        ax.set_ylabel(_wrapped(f"{text('b.axis', lang, workflow=style.workflow_label(workflow, lang), baseline=baseline)}"
                               f" ({style.unit_label(str(r['unit']), lang) if isinstance(r['unit'], str) else ''})",
                               34), fontsize=8)
        pad = 0.08 * (r["high"] - r["low"])
        ax.set_xlim(r["low"] - pad, r["high"] + pad)
        ax.legend(loc="best", fontsize=8)
        title = text("b.title", lang, kpi=_label(kpi, lang), assumption=r["assumption"])
        style.frame(fig, title, footer)
    return style.Chart(f"uncertainty_break_even_{workflow}_{kpi}", fig, title, data=c)


def sentences(t: dict[str, pd.DataFrame], workflow: str, lang: str) -> list[str]:
    """One sentence per KPI: how likely better, by how much, what it depends on and where it turns."""
    out = []
    s = t["uncertainty_summary"]
    for _, r in s[s["workflow"] == workflow].iterrows():
        sob = t["sobol"]
        top = sob[(sob["workflow"] == workflow) & (sob["kpi"] == r["kpi"]) & np.isfinite(sob["ST"])]
        top = top.sort_values("ST", ascending=False)
        driver = text("no.driver", lang) if len(top) else text("no.sobol", lang)
        if len(top) and top["ST"].iloc[0] >= 0.1:
            a = top.iloc[0]
            b = t["break_even"]
            b = b[(b["workflow"] == workflow) & (b["kpi"] == r["kpi"]) & (b["assumption"] == a["assumption"])]
            turn = ""
            if len(b) and np.isfinite(b["value"].iloc[0]):
                e = b.iloc[0]
                turn = text("turn", lang, value=_fmt(e["value"], lang), lo=_fmt(e["ci_low"], lang),
                            hi=_fmt(e["ci_high"], lang), low=_fmt(e["low"], lang), high=_fmt(e["high"], lang),
                            default=_fmt(e["default"], lang))
            driver = text("driver", lang, assumption=a["assumption"],
                          share=style.fmt_percent(min(float(a["ST"]), 1.0), lang), turn=turn)
            conf = float(a["ST_conf"]) if "ST_conf" in a and np.isfinite(a["ST_conf"]) else 0.0
            if conf >= LOOSE * float(a["ST"]):  # the bootstrap half-width as large as half the index: say so
                driver += text("loose", lang, conf=style.fmt_percent(conf, lang))
        if len(top):
            driver += _emulated(t, workflow, r["kpi"], lang)
        unit = style.unit_label(str(r["unit"]), lang) if isinstance(r["unit"], str) else ""
        scale = 1.0
        if r["unit"] == kpis.SHARE:  # a difference of shares reads as percentage points
            scale, unit = 100.0, text("pp", lang)
        r = r.copy()
        for col in ("mean", "p05", "p95"):
            r[col] = r[col] * scale
        p = r["p_better"]
        out.append(text("sentence", lang, kpi=_label(r["kpi"], lang), p=style.fmt_percent(p, lang)
                        if math.isfinite(p) else "-", workflow=style.workflow_label(workflow, lang, True),
                        baseline=style.workflow_label(str(r["baseline"]), lang, True), mean=_fmt(r["mean"], lang),
                        unit=unit, lo=_fmt(r["p05"], lang), hi=_fmt(r["p95"], lang), driver=driver))
    return out


def _img(chart: style.Chart) -> dict:
    """A chart as tables.html.j2's ``figure`` draws it (PNG embedded); the chart's memory is freed at once."""
    data = base64.b64encode(style.png_bytes(chart)).decode("ascii")
    chart.figure.clear()
    return {"name": chart.name, "png": data, "alt": chart.caption, "caption": chart.caption}


def section(directory: Path, marker: dict, lang: str) -> str:
    """The HTML of the section (headline, charts, sentences, the value of measuring each assumption), from the
    template uncertainty.html.j2."""
    t = read(directory)
    s = t["uncertainty_summary"]
    footer = text("footer", lang, draws=marker.get("draws", "?"), reps=marker.get("replications", "?"))
    workflows = []
    for wf in dict.fromkeys(s["workflow"].astype(str)):
        shown = [_img(probability_bars(s, wf, footer, lang)), _img(sobol_bars(t["sobol"], wf, footer, lang))]
        for kpi in s[s["workflow"] == wf]["kpi"]:
            chart = break_even_chart(t["break_even"].assign(baseline=s["baseline"].iloc[0]),
                                     t["break_even_curves"], wf, kpi, footer, lang)
            if chart is not None and kpi == s[s["workflow"] == wf]["kpi"].iloc[0]:
                shown.append(_img(chart))
            elif chart is not None:
                chart.figure.clear()
        sob = t["sobol"]
        ev = sob[(sob["workflow"] == wf) & np.isfinite(sob["evppi"])].sort_values("evppi", ascending=False)
        top = ev.groupby("kpi", sort=False).head(1)
        workflows.append({"label": style.workflow_label(wf, lang), "sentences": sentences(t, wf, lang),
                          "figures": shown,
                          "evppi": [{"kpi": _label(r["kpi"], lang), "assumption": str(r["assumption"]),
                                     "value": _fmt(r["evppi"], lang)} for _, r in top.iterrows()]})
    # no intro of its own: the page's intro (sim/report/html.py) already says how many worlds and assumptions
    return Markup(page.render("uncertainty.html.j2", title=text("title", lang), workflows=workflows,
                              evppi_note=text("evppi", lang)))


# ====================================================================== sizing under uncertainty (sim.size)

SIZING_UNCERTAIN = ("sizing", "sizing_worlds")  # written by python -m sim.size target.probability=p


def has_sizing(directory: Path) -> bool:
    """A folder of ``python -m sim.size target.probability=...`` (sim/analysis/size_uncertain.py)."""
    d = Path(directory)
    if not all((d / f"{t}.csv").is_file() for t in SIZING_UNCERTAIN):
        return False
    return "probability" in pd.read_csv(d / "sizing.csv", nrows=0).columns


def _goal(r: pd.Series, lang: str) -> str:
    kpi = str(r["kpi"])
    share = kpis.unit(kpi) == kpis.SHARE if kpis.find(kpi) is not None else False
    value = style.fmt_percent(float(r["target"]), lang) if share else style.fmt_compact(float(r["target"]), lang)
    if style.has_term(f"target.{kpi}"):
        return style.term(f"target.{kpi}", lang, value=style.fmt_compact(float(r["target"]), lang))
    lower = kpis.find(kpi).lower_is_better if kpis.find(kpi) is not None else True
    return f"{_label(kpi, lang)} {'≤' if lower else '≥'} {value}"


def sizing_sentences(sizing: pd.DataFrame, lang: str) -> list[str]:
    """One sentence per sized organisation: the FTE for the target in the stated share of the worlds, against
    today's and the values in force alone, and what the simulated worlds showed."""
    out = []
    for _, r in sizing.iterrows():
        pct = lambda v: style.fmt_percent(float(v), lang)  # noqa: E731
        out.append(text("z.sentence", lang, org=style.org_label(str(r["organisation"]), lang), goal=_goal(r, lang),
                        p=pct(r["probability"]), fte=style.fmt_compact(float(r["fte_needed"]), lang),
                        today=style.fmt_compact(float(r["fte_today"]), lang),
                        default=style.fmt_compact(float(r["fte_needed_default_world"]), lang),
                        less=pct(r["analytic_probability_one_less"]),
                        met=int(round(float(r["achieved_probability"]) * int(r["confirm_draws"]))),
                        n=int(r["confirm_draws"]), lo=pct(r["achieved_ci_low"]), hi=pct(r["achieved_ci_high"])))
    return out


def sizing_rows(sizing: pd.DataFrame, lang: str) -> tuple[list[str], list[list[str]]]:
    p = style.fmt_percent(float(sizing["probability"].iloc[0]), lang)
    header = [text("z.col.org", lang), text("z.col.today", lang), text("z.col.default", lang),
              text("z.col.needed", lang, p=p), text("z.col.analytic", lang), text("z.col.less", lang),
              text("z.col.simulated", lang)]
    rows = []
    for _, r in sizing.iterrows():
        pct = lambda v: style.fmt_percent(float(v), lang)  # noqa: E731
        rows.append([style.org_label(str(r["organisation"]), lang), style.fmt_compact(float(r["fte_today"]), lang),
                     style.fmt_compact(float(r["fte_needed_default_world"]), lang),
                     style.fmt_compact(float(r["fte_needed"]), lang), pct(r["analytic_probability"]),
                     pct(r["analytic_probability_one_less"]),
                     f"{pct(r['achieved_probability'])} ({pct(r['achieved_ci_low'])}-{pct(r['achieved_ci_high'])})"])
    return header, rows


def worlds_chart(sizing: pd.DataFrame, worlds: pd.DataFrame, lang: str) -> style.Chart:
    """The target KPI in every plausible world at the answer, worlds sorted from worst to best: the flow model's
    value per world, the simulated worlds' means with their confidence intervals, the target and the share of
    worlds that must meet it marked."""
    r = sizing.iloc[0]
    kpi = str(r["kpi"])
    lower = kpis.find(kpi).lower_is_better if kpis.find(kpi) is not None else True
    share = kpis.find(kpi) is not None and kpis.unit(kpi) == kpis.SHARE
    w = worlds.assign(_key=worlds["analytic_kpi"].astype(float) * (-1.0 if lower else 1.0))
    w = w.sort_values(["_key", "world"], kind="mergesort").reset_index(drop=True)
    x = (np.arange(len(w)) + 0.5) / len(w)
    orgs = ", ".join(style.org_label(str(o), lang) for o in sizing["organisation"])
    fte = ", ".join(style.fmt_compact(float(v), lang) for v in sizing["fte_needed"])
    footer = text("z.footer", lang, worlds=int(r["worlds"]), d=int(r["assumptions_drawn"]), seed=int(r["design_seed"]),
                  reps=int(r["replications"]), years=style.fmt_compact(float(r["years"]), lang))
    title = text("z.chart", lang, kpi=_label(kpi, lang), fte=fte, org=orgs)
    with style.style_context():
        fig = style.new_figure(3.6)
        ax = fig.add_subplot()
        colour = style.workflow_colour(str(r["workflow"]))
        ax.plot(x, w["analytic_kpi"], color=colour, lw=1.5, marker="o", ms=3, label=text("z.flow", lang))
        sim = w[w["simulated"].astype(bool)]
        if len(sim):
            xs = x[sim.index.to_numpy()]
            ax.errorbar(xs, sim["kpi_mean"], yerr=[sim["kpi_mean"] - sim["kpi_ci_low"], sim["kpi_ci_high"] -
                                                   sim["kpi_mean"]], fmt="s", color="black", ms=4, lw=0.8,
                        label=text("z.sim", lang))
        ax.axhline(float(r["target"]), color=style.NORM_COLOUR, lw=1, ls="--", label=text("z.target", lang))
        must = 1.0 - float(r["probability"])
        ax.axvspan(must, 1.0, color=style.LIGHT_GREY, alpha=0.3,
                   label=text("z.needed", lang, p=style.fmt_percent(float(r["probability"]), lang)))
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(_share_ticks(lang))
        if share:
            ax.yaxis.set_major_formatter(_share_ticks(lang))
        ax.set_xlabel(text("z.x", lang))
        ax.set_ylabel(_wrapped(_label(kpi, lang), 34), fontsize=8)
        ax.legend(loc="best", fontsize=8)
        style.frame(fig, title, footer)
    data = w.drop(columns="_key").assign(position=x)
    return style.Chart(f"uncertainty_sizing_{r['workflow']}", fig, title, data=data)


def sizing_section(directory: Path, lang: str) -> str:
    """The HTML of "Staff needed to meet the target in most plausible worlds": the intro, one sentence per sized
    organisation, the table and the chart of the worlds (template sizing_uncertain.html.j2)."""
    d = Path(directory)
    sizing = pd.read_csv(d / "sizing.csv")
    worlds = pd.read_csv(d / "sizing_worlds.csv")
    r = sizing.iloc[0]
    p = float(r["probability"])
    header, rows = sizing_rows(sizing, lang)
    return Markup(page.render(
        "sizing_uncertain.html.j2", title=text("z.title", lang),
        intro=text("z.intro", lang, p=f"{p:g}", worlds=int(r["worlds"]), d=int(r["assumptions_drawn"]),
                   p_pct=style.fmt_percent(p, lang), confirm=int(r["confirm_draws"])),
        sentences=sizing_sentences(sizing, lang), table={"head": header, "rows": rows},
        figure=_img(worlds_chart(sizing, worlds, lang))))
