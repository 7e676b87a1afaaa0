"""The report's "How sure are we?" / "Hoe zeker zijn we?" section, from the tables ``python -m sim.uncertainty`` wrote.

Reads ``uncertainty_summary.csv``, ``sobol.csv``, ``break_even.csv`` and ``break_even_curves.csv`` only (the report
never runs the model). Three charts per compared workflow: P(the alternative is better) per KPI, the total Sobol'
indices of the most influential assumptions per KPI, and the expected difference against the most influential
assumption with its default, its range and the break-even value marked; and one sentence per KPI, generated from
the numbers, that a non-technical reader can repeat.
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
    "turn": ("; the answer turns at {value} (95 % interval {lo} to {hi}; range {low} to {high}, default {default})",
             "; het antwoord kantelt bij {value} (95%-interval {lo} tot {hi}; bandbreedte {low} tot {high}, "
             "standaard {default})"),
    "no.driver": ("No single assumption explains a tenth of its spread.",
                  "Geen enkele aanname verklaart een tiende van de spreiding."),
    "no.sobol": ("Its Sobol' indices are not known (a world without a value, or no spread at all).",
                 "De Sobol'-indices zijn niet bekend (een wereld zonder waarde, of helemaal geen spreiding)."),
    "pp": ("percentage points", "procentpunt"),
    "evppi": ("Worth measuring first (value of perfect information for the rule \"adopt if the expected difference "
              "is better than 0\", in the KPI's unit):",
              "Het eerst waard om te meten (verwachte waarde van perfecte informatie bij de regel \"invoeren als het "
              "verwachte verschil beter is dan 0\", in de eenheid van de KPI):"),
}


def text(key: str, lang: str, **values: object) -> str:
    both = TEXT[key]
    s = both[style.LANGS.index(style.check_lang(lang))]
    return s.format(**values) if values else s


def has_tables(directory: Path) -> bool:
    return all((Path(directory) / f"{t}.csv").is_file() for t in TABLES)


def read(directory: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for t in TABLES:
        path = Path(directory) / f"{t}.csv"
        out[t] = pd.read_csv(path) if path.stat().st_size > 1 else pd.DataFrame()
    return out


def _label(kpi: str, lang: str) -> str:
    try:
        return style.kpi_label(kpi, lang)
    except KeyError:
        return kpi


def _wrapped(label: str, width: int = 44) -> str:
    return textwrap.fill(label, width, break_long_words=True)


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
        ax.xaxis.set_major_formatter(style.percent_formatter(lang))
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
    return Markup(page.render("uncertainty.html.j2", title=text("title", lang),
                              intro=text("intro", lang, draws=marker.get("draws", "?"),
                                         d=marker.get("assumptions", "?")),
                              workflows=workflows, evppi_note=text("evppi", lang)))
