"""The figure functions: one chart per question a policy adviser or a Member of Parliament asks of the model.

Each function takes tables exactly as ketensim writes them (sim/chain/tables.py, sim/analysis/compare.py, sim/analysis/collect.py; the
sizing, capacity and backlog tables of docs/model.md, "Output tables") and a :class:`Meta` that says what was run,
and returns a :class:`~sim.report.style.Chart`: the matplotlib figure, its file name and a caption that states the
region, the workflows, the replications and what every band means. Nothing is estimated here that the model did
not produce: a line is a mean over replications, a band or bar its 95 % Student-t confidence interval
(:func:`sim.kernel.stats.confidence_interval`, applied pointwise where a curve is shown).

| function | question | input |
|---|---|---|
| :func:`lead_time_ecdf` | how long until help starts (families still waiting counted)? | families (per workflow) |
| :func:`waiting_lists` | how do the waiting lists develop? | timeseries (per workflow) |
| :func:`handoffs_stories` | how often is a family passed on / tells its story? | summary + families |
| :func:`staff_hours` | staff hours on intakes, meetings, consults | summary (per workflow) |
| :func:`paired_differences` | what changes with another workflow, same families? | comparison.csv |
| :func:`p90_against_fte` | more staff, shorter waits? | sweep_summary.csv |
| :func:`staffing_heatmap` | staffing x caseload norm | sweep_summary.csv |
| :func:`capacity_curve` | how much demand can each workflow carry? | capacity table |
| :func:`backlog_drain` | when is today's waiting list gone? | backlog table |
| :func:`sizing_table` | how many FTE are needed? | sizing table |
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.colors import LogNorm, Normalize, to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke

from sim.analysis.derived import (
    BACKLOG,
    CAPACITY,
    SIZING,
    FigureDataError,
    _band_over_time,
    _kpi_cols,
    _own_families,
    _require,
    _sweep_frame,
    mean_ci,
    org_waiting_series,
    stories_distribution,
    swept_keys,
)
from sim.chain import kpis, tables
from sim.kernel.stats import km_quantile, km_survival
from sim.report import style
from sim.report.style import Chart, term


@dataclass(frozen=True)
class Meta:
    """What the numbers in a chart come from: shown in its footer and its caption."""

    region: str
    workflows: tuple[str, ...]
    replications: int
    years: float  # observed window per replication
    warmup_years: float = 0.0
    start: str = "empty"  # 'empty' (run-in from an empty chain) or 'today' (from the region's open cases)
    start_date: str = "2024-01-01"  # calendar date of the start of the observed window
    lang: str = "en"

    @classmethod
    def from_config(cls, cfg: Mapping, workflows: Sequence[str] | None = None, lang: str = "en") -> "Meta":
        """From a run's ``config_resolved.yaml`` (as a plain dict). A run from today has no warm-up
        (sim.config.gate.validate sets it to 0), whatever the file says."""
        run = cfg.get("run", {})
        start = str(run.get("start", "empty"))
        return cls(region=str(cfg.get("region", {}).get("name", "?")),
                   workflows=tuple(workflows) if workflows else (str(cfg.get("scenario", {}).get("name", "?")),),
                   replications=int(run.get("replications", 0)), years=float(run.get("years", math.nan)),
                   warmup_years=0.0 if start == "today" else float(run.get("warmup_years", 0.0)),
                   start=start, start_date=str(run.get("start_date", "2024-01-01")), lang=style.check_lang(lang))

    def with_lang(self, lang: str) -> "Meta":
        return Meta(self.region, self.workflows, self.replications, self.years, self.warmup_years, self.start,
                    self.start_date, style.check_lang(lang))

    # ------------------------------------------------------------------ texts
    def _years(self) -> str:
        return term("ft.year" if self.years == 1 else "ft.years", self.lang,
                    n=style.fmt_compact(self.years, self.lang))

    def _start(self) -> str:
        if self.start == "today":
            return term("ft.start.today", self.lang, date=style.fmt_date(pd.Timestamp(self.start_date), self.lang))
        return term("ft.start.empty", self.lang, warmup=style.fmt_compact(self.warmup_years, self.lang))

    def workflow_names(self) -> str:
        return ", ".join(style.workflow_label(w, self.lang) for w in self.workflows)

    def footer(self, band: str = "ft.band") -> str:
        line = term("ft.meta", self.lang, region=style.region_label(self.region, self.lang),
                    workflows=self.workflow_names(), reps=self.replications, years=self._years(), start=self._start())
        extra = [term(band, self.lang)] if band else []
        if any(w != "sequential" for w in self.workflows):
            extra.append(term("ft.assumed", self.lang))
        return _sentence(line) + "\n" + " ".join(extra)

    def caption(self, key: str, **values: object) -> str:
        common = term("cap.common", self.lang, region=style.region_label(self.region, self.lang),
                      workflows=self.workflow_names(), reps=self.replications, years=self._years(),
                      start=self._start())
        return f"{term(key, self.lang, **values)} {_sentence(common)}"


def _sentence(text: str) -> str:
    """Capital first letter ('the Netherlands ...' opens a sentence as 'The Netherlands ...')."""
    return text[:1].upper() + text[1:]


def _summary_row(summary: pd.DataFrame, kpi: str) -> tuple[float, float, float]:
    rows = summary[summary["kpi"] == kpi]
    if rows.empty:
        return math.nan, math.nan, math.nan
    r = rows.iloc[0]
    return float(r["mean"]), float(r["ci_low"]), float(r["ci_high"])


# ====================================================================== drawing helpers


def _halo(width: float = 3.5) -> list:
    """A white outline: error bars and labels stay readable on any fill colour."""
    return [withStroke(linewidth=width, foreground="white")]


def _tint(colour: str, amount: float) -> tuple[float, float, float]:
    """``colour`` mixed with white (amount 0: unchanged, 1: white)."""
    r, g, b = to_rgb(colour)
    return (r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount)


def _norm_line(ax, x: float, label: str, x_max: float, y_text: float = 0.03) -> None:
    """A dotted vertical line at a norm, its label written horizontally at the foot of the line (where the
    rising curves leave room), on the side with more space."""
    ax.axvline(x, color=style.NORM_COLOUR, linestyle=(0, (1, 2)), linewidth=1.4, zorder=1)
    right = x < 0.7 * x_max
    ax.annotate(textwrap.fill(label, 24), xy=(x, y_text), xycoords=("data", "axes fraction"),
                xytext=(5 if right else -5, 0), textcoords="offset points", va="bottom",
                ha="left" if right else "right", fontsize=9, color=style.NORM_COLOUR, path_effects=_halo(3))


def _finish(fig, title: str, meta: Meta, band: str = "ft.band", legend: tuple | None = None) -> None:
    """Title, the figure's one legend (handles, labels, columns) under it, and the footer (sim.report.style.frame)."""
    style.frame(fig, title, meta.footer(band), legend)


# ====================================================================== 1. lead time: Kaplan-Meier per workflow


def lead_time_ecdf(families: Mapping[str, pd.DataFrame], norms: Mapping[str, float], meta: Meta,
                   points: int = 600) -> Chart:
    """Share of families whose help has started, by days since the melding, with the families still waiting at
    the end counted: one curve per workflow, the mean over replications of 1 - the Kaplan-Meier survival of the
    sample behind ``lead_time_help_km_*`` (sim.chain.tables.lead_time_sample: an episode still waiting is censored
    at its wait so far, one closed without help is left out), with a pointwise 95 % band; beside it a thin line,
    the empirical CDF of the completed episodes only, which is what the chart showed before (it rises faster
    where a waiting list grows). Norms marked. The legend gives each workflow's Kaplan-Meier median and 90th
    percentile (means over replications: the summary's lead_time_help_km_median and _km_p90). With nobody still
    waiting the two curves coincide (hence the name: the Kaplan-Meier estimator is the ECDF of censored data)."""
    lang = meta.lang
    if not families:
        raise FigureDataError("families: no workflow to draw")
    window_days = meta.years * 365.0  # the run's window, as sim.run.runner gives it to replication_kpis
    samples: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
    reached: dict[str, list[float]] = {}
    for wf, df in families.items():
        _require(df, ("replication", "arrival", "censored", "lead_time_help"), f"families ({wf})")
        own = _own_families(df)
        samples[wf], reached[wf] = [], []
        for _, g in own.groupby("replication", sort=True):
            v = g["lead_time_help"].to_numpy(dtype=float)
            reached[wf].append(float(np.isfinite(v).mean()) if len(v) else math.nan)
            samples[wf].append(tables.lead_time_sample(g, "lead_time_help", window_days))
    helped = np.concatenate([d[e] for vs in samples.values() for d, e in vs]) if samples else np.array([])
    if helped.size == 0:
        raise FigureDataError("families: no family started help in the observed window (nothing to draw)")
    chain, triage = float(norms.get("chain_days", math.nan)), float(norms.get("vt_triage_days", math.nan))
    x_max = float(np.quantile(helped, 0.98))
    if math.isfinite(chain):
        x_max = max(x_max, 1.12 * chain)
    grid = np.linspace(0.0, x_max, points)

    with style.style_context():
        fig = style.new_figure(5.4)
        ax = fig.add_subplot()
        handles, labels, plotted = [], [], []
        for wf in style.ordered(samples, style.workflow_order()):
            reps = [(d, e) for d, e in samples[wf] if len(d)]
            if not reps:
                continue
            curves = np.vstack([1.0 - km_survival(d, e, grid) for d, e in reps]) * 100.0
            mean, low, high = mean_ci(curves)
            completed = [np.sort(d[e]) for d, e in reps]
            naive = np.vstack([np.searchsorted(v, grid, side="right") / len(v) if len(v) else np.full(grid.shape, np.nan)
                               for v in completed]) * 100.0
            naive_mean = mean_ci(naive)[0]
            plotted.append(pd.DataFrame({"workflow": wf, "days": grid, "share_helped_pct_mean": mean,
                                         "ci_low": low, "ci_high": high,
                                         "share_helped_completed_pct_mean": naive_mean}))
            colour = style.workflow_colour(wf)
            if len(reps) >= 2:
                ax.fill_between(grid, np.clip(low, 0, 100), np.clip(high, 0, 100), color=colour,
                                alpha=style.BAND_ALPHA, linewidth=0, step="post")
            ax.step(grid, naive_mean, where="post", color=colour, linestyle=(0, (1, 1.5)), linewidth=1.0)
            (line,) = ax.step(grid, mean, where="post", color=colour, linestyle=style.workflow_dash(wf))
            median = _nanmean([km_quantile(d, e, 0.5) for d, e in reps])
            p90 = _nanmean([km_quantile(d, e, 0.9) for d, e in reps])
            handles.append(line)
            labels.append(term("lg.km", lang, wf=style.workflow_label(wf, lang),
                               median=_days_or_dash(median, lang), p90=_days_or_dash(p90, lang)))
        if math.isfinite(triage):
            _norm_line(ax, triage, term("lg.norm", lang, what=term("lg.triage_norm", lang)), x_max)
        if math.isfinite(chain):
            _norm_line(ax, chain, term("lg.norm", lang, what=term("lg.chain_norm", lang)), x_max)
        ax.set_xlim(0, x_max)
        ax.set_ylim(0, 100)
        ax.set_xlabel(term("ax.days_since_melding", lang))
        ax.set_ylabel(term("ax.share_helped", lang))
        ax.xaxis.set_major_formatter(style.number_formatter(lang))
        ax.yaxis.set_major_formatter(style.percent_formatter(lang))
        band = Patch(facecolor=style.LIGHT_GREY, alpha=0.8)
        thin = Line2D([], [], color=style.GREY, linestyle=(0, (1, 1.5)), linewidth=1.0)
        _finish(fig, term("t.lead_time", lang), meta, band="ft.band_km",
                legend=(handles + [band, thin], labels + [term("lg.band", lang), term("lg.completed_only", lang)], 1))
    share = {wf: float(np.nanmean(v)) for wf, v in reached.items() if v}
    helped_text = "; ".join(f"{style.workflow_label(wf, lang)}: "
                            + term("cap.helped", lang, share=style.fmt_percent(s, lang)) for wf, s in share.items())
    return Chart("lead_time_ecdf", fig, meta.caption("cap.lead_time", helped=helped_text),
                 alt=term("t.lead_time", lang), data=pd.concat(plotted, ignore_index=True))


def _nanmean(values: Sequence[float]) -> float:
    """Mean of the finite values (as the summary's mean over replications); NaN when there is none."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.mean()) if len(v) else math.nan


def _days_or_dash(days: float, lang: str) -> str:
    """A number of days, or a dash where the quantile lies beyond the observed period in every replication."""
    return style.fmt_number(days, lang, 0) if math.isfinite(days) else "–"


def _date_axis(ax, meta: Meta) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(locator)
    months = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
              "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")}[meta.lang]

    def fmt(x: float, _pos: int) -> str:
        d = mdates.num2date(x)
        return f"{months[d.month - 1]} {d.year}"

    from matplotlib.ticker import FuncFormatter

    ax.xaxis.set_major_formatter(FuncFormatter(fmt))


def _days_to_dates(days: np.ndarray, meta: Meta) -> np.ndarray:
    import matplotlib.dates as mdates

    return mdates.date2num(pd.Timestamp(meta.start_date).to_pydatetime()) + np.asarray(days, dtype=float)


def waiting_lists(timeseries: Mapping[str, pd.DataFrame], meta: Meta) -> Chart:
    """Number waiting per organisation over time (calendar dates from run.start_date): one panel per
    organisation in its own unit, one line per workflow (mean over replications) with its 95 % band. An
    organisation a workflow does not staff (no places at any time) has no line for that workflow."""
    lang = meta.lang
    series = {wf: org_waiting_series(ts) for wf, ts in timeseries.items() if len(ts)}
    if not series:
        raise FigureDataError("timeseries: empty (nothing to draw)")
    staffed = {(wf, org) for wf, s in series.items() for org, g in s.groupby("organisation") if g["capacity"].max() > 0}
    orgs = style.ordered({org for _, org in staffed}, style.ORG_ORDER)
    ncols = 2 if len(orgs) > 1 else 1
    nrows = math.ceil(len(orgs) / ncols)
    with style.style_context():
        fig = style.new_figure(1.2 + 2.5 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        handles: dict[str, Line2D] = {}
        plotted = []
        for i, org in enumerate(orgs):
            ax = axes[i // ncols][i % ncols]
            for wf in style.ordered(series, style.workflow_order()):
                if (wf, org) not in staffed:
                    continue
                band = _band_over_time(series[wf][series[wf]["organisation"] == org])
                plotted.append(band.assign(workflow=wf, organisation=org))
                x = _days_to_dates(band["t_mid"].to_numpy(), meta)
                colour = style.workflow_colour(wf)
                if band["low"].notna().any():
                    ax.fill_between(x, band["low"], band["high"], color=colour, alpha=style.BAND_ALPHA, linewidth=0)
                (line,) = ax.plot(x, band["mean"], color=colour, linestyle=style.workflow_dash(wf), linewidth=1.8)
                handles.setdefault(wf, line)
            absent = [wf for wf in style.ordered(series, style.workflow_order()) if (wf, org) not in staffed]
            if absent:  # say why a line is missing: in that workflow this organisation has no places of its own
                ax.text(0.02, 0.97, "\n".join(term("lg.absent", lang, wf=style.workflow_label(wf, lang))
                                              for wf in absent), transform=ax.transAxes, va="top", ha="left",
                        fontsize=8.5, color="#444444", path_effects=_halo(3))
            ax.set_title(style.org_label(org, lang), loc="left", fontsize=11)
            ax.set_ylabel(term("ax.waiting", lang, unit=style.org_unit(org, lang)), fontsize=9.5)
            ax.set_ylim(0, max(1.0, ax.get_ylim()[1] * (1.15 if absent else 1.0)))  # >= 1 case: a zero line reads as zero
            ax.yaxis.set_major_formatter(style.number_formatter(lang))
            _date_axis(ax, meta)
            ax.tick_params(axis="x", labelbottom=True, labelsize=9)
            # the panel's frame in the organisation's colour: the same colour it has in every chart
            ax.spines["left"].set_color(style.org_colour(org))
            ax.spines["left"].set_linewidth(3)
        for j in range(len(orgs), nrows * ncols):
            axes[j // ncols][j % ncols].set_visible(False)
        names = list(handles)
        _finish(fig, term("t.waiting", lang), meta,
                legend=([handles[w] for w in names] + [Patch(facecolor=style.LIGHT_GREY)],
                        [style.workflow_label(w, lang) for w in names] + [term("lg.band", lang)],
                        min(len(names) + 1, 4)))
    data = pd.concat(plotted, ignore_index=True)[["workflow", "organisation", "t_mid", "mean", "low", "high"]]
    return Chart("waiting_lists", fig, meta.caption("cap.waiting"), alt=term("t.waiting", lang),
                 data=data.rename(columns={"t_mid": "day", "low": "ci_low", "high": "ci_high"}))


# ====================================================================== 3. hand-offs and stories told


def _bar_labels(ax, x: Sequence[float], vals: Sequence[tuple[float, float, float]], lang: str,
                decimals: int = 1) -> None:
    """The mean written above each bar's confidence whisker."""
    for xi, (m, _lo, hi) in zip(x, vals):
        if math.isfinite(m):
            ax.annotate(style.fmt_number(m, lang, decimals), xy=(xi, hi if math.isfinite(hi) else m), xytext=(0, 4),
                        textcoords="offset points", ha="center", va="bottom", fontsize=9.5, fontweight="bold")


def handoffs_stories(summaries: Mapping[str, pd.DataFrame], families: Mapping[str, pd.DataFrame], meta: Meta) -> Chart:
    """Left: hand-offs and stories told per family (summary means and 95 % CIs). Right: share of families by the
    number of times they told their story (mean and 95 % CI over replications)."""
    lang = meta.lang
    wfs = style.ordered(summaries, style.workflow_order())
    top = 5
    dists = {wf: stories_distribution(families[wf], top) for wf in wfs if wf in families}
    # every family tells its story at least once at its first intake: start the axis at 1 unless some did not
    first = 0 if any(d[0].max() > 0 for d in dists.values()) else 1
    with style.style_context():
        fig = style.new_figure(5.2)
        left, right = fig.subplots(1, 2, width_ratios=[1, 1.5])
        width = 0.8 / max(len(wfs), 1)
        plotted = []
        for i, wf in enumerate(wfs):
            told = (kpis.HANDOFFS_PER_FAMILY, kpis.STORIES_TOLD_PER_FAMILY)
            vals = [_summary_row(summaries[wf], k) for k in told]
            plotted += [(wf, k, *v) for k, v in zip(told, vals)]
            x = np.arange(2) + (i - (len(wfs) - 1) / 2) * width
            colour = style.workflow_colour(wf)
            left.bar(x, [v[0] for v in vals], width, color=_tint(colour, BAR_TINT), hatch=style.workflow_hatch(wf),
                     edgecolor="white")
            _errorbars(left, x, vals)
            _bar_labels(left, x, vals, lang)
            if wf in dists:
                mean, low, high = mean_ci(dists[wf].loc[:, first:].to_numpy() * 100.0)
                plotted += [(wf, f"share_told_{k}{'+' if k == top else ''}_pct", m, lo, hi)
                            for k, m, lo, hi in zip(range(first, top + 1), mean, low, high)]
                xr = np.arange(top + 1 - first) + (i - (len(wfs) - 1) / 2) * width
                right.bar(xr, mean, width, color=_tint(colour, BAR_TINT), hatch=style.workflow_hatch(wf),
                          edgecolor="white")
                _errorbars(right, xr, list(zip(mean, low, high)))
        left.set_xticks(range(2), [term("lg.handoffs", lang).replace(" between", "\nbetween").replace(" tussen", "\ntussen"),
                                   term("lg.stories", lang).replace(" tells", "\ntells").replace(" vertelt", "\nvertelt")],
                        fontsize=9.5)
        left.set_ylabel(term("ax.per_family", lang))
        left.yaxis.set_major_formatter(style.number_formatter(lang))
        left.set_title(term("t.handoffs_mean", lang), loc="left")
        left.grid(axis="x", visible=False)
        right.set_xticks(range(top + 1 - first), [str(k) for k in range(first, top)] + [f"{top}+"])
        right.set_xlabel(term("ax.times_story", lang))
        right.set_ylabel(term("ax.share_families", lang))
        right.yaxis.set_major_formatter(style.percent_formatter(lang))
        right.set_title(term("t.stories_dist", lang), loc="left")
        right.grid(axis="x", visible=False)
        left.set_ylim(0, left.get_ylim()[1] * 1.08)  # room for the numbers above the whiskers
        handles = [Patch(facecolor=_tint(style.workflow_colour(w), BAR_TINT), hatch=style.workflow_hatch(w),
                         edgecolor="white") for w in wfs]
        _finish(fig, term("t.handoffs", lang), meta, band="ft.bars",
                legend=(handles, [style.workflow_label(w, lang) for w in wfs], min(len(wfs), 4)))
    return Chart("handoffs_stories", fig, meta.caption("cap.handoffs"), alt=term("t.handoffs", lang),
                 data=pd.DataFrame(plotted, columns=["workflow", "measure", "mean", "ci_low", "ci_high"]))


BAR_TINT = 0.2  # bars a little lighter than the workflow's line colour, so a black whisker shows on every bar


def _errorbars(ax, x: Sequence[float], vals: Sequence[tuple[float, float, float]], horizontal: bool = False) -> None:
    """95 % CI whiskers in black (bars are tinted by BAR_TINT so they show on every colour)."""
    for xi, (m, lo, hi) in zip(x, vals):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            continue
        err = [[max(m - lo, 0)], [max(hi - m, 0)]]
        if horizontal:
            ax.errorbar(m, xi, xerr=err, fmt="none", ecolor="black", elinewidth=1.5, capsize=4, zorder=5)
        else:
            ax.errorbar(xi, m, yerr=err, fmt="none", ecolor="black", elinewidth=1.5, capsize=4, zorder=5)


# ====================================================================== 4. staff hours per family

HOUR_PARTS: tuple[tuple[str, str, float, str], ...] = (
    # (KPI, legend term, tint of the workflow colour, hatch)
    (kpis.INTAKE_HOURS_PER_FAMILY, "lg.intake", 0.0, ""),
    (kpis.MEETING_HOURS_PER_FAMILY, "lg.meeting", 0.45, "//"),
    (kpis.CONSULT_HOURS_PER_FAMILY, "lg.consult", 0.75, ".."),
)


def staff_hours(summaries: Mapping[str, pd.DataFrame], meta: Meta) -> Chart:
    """Stacked bars per workflow: intake hours (repeated at every new organisation), meeting and coordination
    hours, consult hours per family, each a summary mean; the whisker is the 95 % CI of their total
    (staff_hours_per_family)."""
    lang = meta.lang
    wfs = style.ordered(summaries, style.workflow_order())[::-1]  # top to bottom in the house order
    with style.style_context():
        fig = style.new_figure(1.9 + 0.65 * len(wfs))
        ax = fig.add_subplot()
        y = np.arange(len(wfs))
        for j, wf in enumerate(wfs):
            left = 0.0
            colour = style.workflow_colour(wf)
            for kpi, _, tint, hatch in HOUR_PARTS:
                value = _summary_row(summaries[wf], kpi)[0]
                if not math.isfinite(value) or value <= 0:
                    continue
                ax.barh(y[j], value, 0.6, left=left, color=_tint(colour, tint), hatch=hatch, edgecolor="white")
                left += value
            total = _summary_row(summaries[wf], kpis.STAFF_HOURS_PER_FAMILY)
            _errorbars(ax, [y[j]], [total], horizontal=True)
            if math.isfinite(total[0]):
                ax.annotate(style.fmt_number(total[0], lang, 1) + (" h" if lang == "en" else " u"),
                            xy=(max(total[2], total[0]) if math.isfinite(total[2]) else total[0], y[j]),
                            xytext=(8, 0), textcoords="offset points", va="center", fontsize=10, fontweight="bold")
        ax.set_yticks(y, [style.workflow_label(w, lang) for w in wfs])
        ax.set_xlabel(term("ax.hours_per_family", lang))
        ax.xaxis.set_major_formatter(style.number_formatter(lang))
        ax.grid(axis="y", visible=False)
        ax.set_xlim(0, ax.get_xlim()[1] * 1.12)
        parts = [Patch(facecolor=_tint(style.GREY, tint), hatch=hatch, edgecolor="white") for _, _, tint, hatch in HOUR_PARTS]
        whisker = Line2D([], [], color="black", marker="|", markersize=10, linewidth=1.4)
        _finish(fig, term("t.staff_hours", lang), meta, band="ft.bars",
                legend=(parts + [whisker], [term(k, lang) for _, k, _, _ in HOUR_PARTS] + [term("lg.total_ci", lang)], 2))
    data = pd.DataFrame([(wf, kpi, *_summary_row(summaries[wf], kpi)) for wf in wfs[::-1]
                         for kpi in [k for k, _, _, _ in HOUR_PARTS] + [kpis.STAFF_HOURS_PER_FAMILY]],
                        columns=["workflow", "kpi", "mean", "ci_low", "ci_high"])
    return Chart("staff_hours", fig, meta.caption("cap.staff_hours"), alt=term("t.staff_hours", lang), data=data)


# ====================================================================== 5. paired comparison of workflows

def _paired_groups() -> tuple[tuple[str, tuple[str, ...], float, int], ...]:
    """(group title term, KPIs, factor for display, direction: +1 higher is better, -1 lower is better): the KPIs
    tagged ``paired`` (sim/chain/kpis.py), one panel per unit in their order. The headline measures only: every KPI's
    paired difference is in comparison.csv and in the report's table; waiting lists per organisation and the hours
    by kind have their own charts."""
    by_unit: dict[str, list[kpis.KPI]] = {}
    for k in kpis.tagged("paired"):
        by_unit.setdefault(k.unit, []).append(k)
    groups = []
    for unit, members in by_unit.items():
        if len({k.better for k in members}) != 1 or not members[0].better:
            raise ValueError(f"paired KPIs in {unit} need one direction: {[k.name for k in members]}")
        groups.append((f"t.group.{unit}", tuple(k.name for k in members), 100.0 if unit == kpis.SHARE else 1.0,
                       +1 if members[0].better == kpis.HIGHER else -1))
    return tuple(groups)


PAIRED_GROUPS = _paired_groups()
COMPARISON_COLUMNS = ("workflow", "baseline", "kpi", "mean_baseline", "mean_workflow", "diff_mean", "diff_ci_low",
                      "diff_ci_high")


def paired_differences(comparison: pd.DataFrame, workflow: str, meta: Meta) -> Chart:
    """Forest plot of the paired differences (workflow - baseline) of comparison.csv, one panel per unit (days,
    percentage points of a legal norm, counts, hours): a dot for the mean difference, a bar for its 95 % CI,
    zero in the middle of every panel, 'better' and 'worse' written under each end, and both means beside every
    row so the reader sees the levels, not only the change."""
    lang = meta.lang
    _require(comparison, COMPARISON_COLUMNS, "comparison.csv")
    rows = comparison[comparison["workflow"] == workflow].set_index("kpi")
    if rows.empty:
        raise FigureDataError(f"comparison.csv has no rows for workflow {workflow!r}")
    baseline = str(rows["baseline"].iloc[0])
    groups = [(t, tuple(k for k in kpis if k in rows.index and math.isfinite(rows.at[k, "diff_mean"])), f, d)
              for t, kpis, f, d in PAIRED_GROUPS]
    groups = [g for g in groups if g[1]]
    if not groups:
        raise FigureDataError(f"comparison.csv: no finite paired difference for workflow {workflow!r}")
    wf_name, base_name = style.workflow_label(workflow, lang), style.workflow_label(baseline, lang)
    colour = style.workflow_colour(workflow)
    heights = [0.5 * len(k) + 0.9 for _, k, _, _ in groups]
    with style.style_context():
        fig = style.new_figure(2.0 + sum(heights), width_in=10.0)
        axes = fig.subplots(len(groups), 1, height_ratios=heights, squeeze=False)[:, 0]
        for n, (ax, (title, kpis, factor, direction)) in enumerate(zip(axes, groups)):
            y = np.arange(len(kpis))[::-1]
            percent = factor == 100.0
            for yi, kpi in zip(y, kpis):
                r = rows.loc[kpi]
                m, lo, hi = (float(r[c]) * factor for c in ("diff_mean", "diff_ci_low", "diff_ci_high"))
                if math.isfinite(lo) and math.isfinite(hi):
                    ax.plot([lo, hi], [yi, yi], color=colour, linewidth=3.5, solid_capstyle="butt")
                ax.plot([m], [yi], marker=style.workflow_marker(workflow), color=colour, markersize=9,
                        markeredgecolor="white", linestyle="none")
                b, w = float(r["mean_baseline"]) * factor, float(r["mean_workflow"]) * factor
                unit = "%" if percent else ""
                ax.annotate(f"{style.fmt_number(b, lang)}{unit} → {style.fmt_number(w, lang)}{unit}",
                            xy=(1.0, yi), xycoords=("axes fraction", "data"), xytext=(10, 0),
                            textcoords="offset points", va="center", fontsize=10)
            if n == 0:
                ax.annotate(f"{base_name} →\n{wf_name}", xy=(1.0, 1.0), xycoords="axes fraction", xytext=(10, 6),
                            textcoords="offset points", va="bottom", fontsize=9, color="#444444")
            ax.axvline(0, color="black", linewidth=1)
            ax.set_yticks(y, [textwrap.fill(style.kpi_label(k, lang) + _dagger(rows, k), 34) for k in kpis], fontsize=10)
            ax.set_ylim(-0.6, len(kpis) - 0.4)
            ax.set_title(term(title, lang), loc="left", fontsize=11)
            ax.xaxis.set_major_formatter(style.number_formatter(lang))
            lo_x, hi_x = ax.get_xlim()
            span = max(abs(lo_x), abs(hi_x))
            ax.set_xlim(-span * 1.05, span * 1.05)  # zero in the middle: left and right mean the same everywhere
            ax.grid(axis="y", visible=False)
            left, right = (term("lg.better", lang), term("lg.worse", lang)) if direction < 0 else \
                (term("lg.worse", lang), term("lg.better", lang))
            for x, text, ha in ((0.0, f"← {left}", "left"), (1.0, f"{right} →", "right")):
                good = text.strip("←→ ") == term("lg.better", lang)
                ax.annotate(text, xy=(x, 0.0), xycoords="axes fraction", xytext=(0, -22), textcoords="offset points",
                            ha=ha, va="top", fontsize=9.5, fontweight="bold" if good else "normal",
                            color="black" if good else "#666666")
        axes[-1].set_xlabel(term("ax.difference", lang, workflow=wf_name, baseline=base_name), labelpad=18)
        fig.get_layout_engine().set(w_pad=0.15)  # room for the column of means at the right edge
        _finish(fig, term("t.paired", lang, workflow=style.workflow_label(workflow, lang, True),
                          baseline=style.workflow_label(baseline, lang, True)),
                meta, band="ft.bars")
    shown = [k for _, kpis, _, _ in groups for k in kpis]
    return Chart(f"paired_{workflow}", fig,
                 meta.caption("cap.paired", workflow=wf_name, baseline=base_name, reps=meta.replications),
                 alt=term("t.paired", lang, workflow=wf_name, baseline=base_name),
                 data=rows.loc[shown, list(COMPARISON_COLUMNS[:2]) + list(COMPARISON_COLUMNS[3:])].reset_index())


def _dagger(rows: pd.DataFrame, kpi: str) -> str:
    """' \u2020' for a difference the workflow has by construction (comparison.csv ``by_construction``; a table
    written before that column existed has none), as the report's table marks it."""
    why = rows.at[kpi, "by_construction"] if "by_construction" in rows.columns else ""
    return " \u2020" if isinstance(why, str) and why else ""


def _fte_key(keys: Sequence[str]) -> str | None:
    return next((k for k in keys if k.startswith("staffing.") and k.endswith(".fte")), None)


def _kpi_axis(kpi: str, lang: str) -> str:
    return term("ax.p90_days", lang) if kpi == kpis.LEAD_TIME_HELP_KM_P90 else style.kpi_label(kpi, lang)


def _kpi_name(base: str, kpi: str) -> str:
    """File name of a sweep chart: the default KPI keeps the plain name, another KPI is named in it."""
    return base if kpi == kpis.LEAD_TIME_HELP_KM_P90 else f"{base}.{kpi}"


def p90_against_fte(summary: pd.DataFrame, meta: Meta, kpi: str = kpis.LEAD_TIME_HELP_KM_P90,
                    x_key: str | None = None) -> Chart:
    """The KPI (default: days within which 90 % of families get help) against the swept FTE of one organisation:
    a line per workflow with its 95 % band, one panel per value of the other swept keys (e.g. caseload norm)."""
    lang = meta.lang
    keys = swept_keys(summary)
    x_key = x_key or _fte_key(keys)
    if x_key is None:
        raise FigureDataError("sweep_summary.csv: no swept staffing.<org>.fte key (nothing to put on the x axis)")
    mean_c, low_c, high_c = _kpi_cols(summary, kpi)
    facets = [k for k in keys if k not in (x_key, "scenario")]
    df = _sweep_frame(summary, [x_key, *facets, mean_c, low_c, high_c])
    groups = list(df.groupby(facets, sort=True)) if facets else [((), df)]
    org = x_key.split(".")[1]
    ncols = min(len(groups), 3)
    nrows = math.ceil(len(groups) / ncols)
    with style.style_context():
        fig = style.new_figure(1.6 + 3.0 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharey=True)
        seen: dict[str, Line2D] = {}
        for i, (values, g) in enumerate(groups):
            ax = axes[i // ncols][i % ncols]
            for wf in style.ordered(g["_wf"].unique(), style.workflow_order()):
                w = g[g["_wf"] == wf].sort_values(x_key)
                x = w[x_key].to_numpy(dtype=float)
                colour = style.workflow_colour(wf)
                ax.fill_between(x, np.clip(w[low_c].to_numpy(dtype=float), 0, None), w[high_c].to_numpy(dtype=float),
                                color=colour, alpha=style.BAND_ALPHA, linewidth=0)  # days: the interval stops at 0
                (line,) = ax.plot(x, w[mean_c].to_numpy(dtype=float), color=colour, linestyle=style.workflow_dash(wf),
                                  marker=style.workflow_marker(wf), markersize=6)
                seen.setdefault(wf, line)
            values = values if isinstance(values, tuple) else (values,)
            if facets:  # wrapped to the panel's width (~8 characters of 10.5 pt bold per inch)
                ax.set_title(textwrap.fill(", ".join(_facet_label(k, v, lang) for k, v in zip(facets, values)),
                                           int(8 * style.WIDTH_IN / ncols)), loc="left", fontsize=10.5)
            ax.set_xlabel(term("ax.fte_short", lang, org=style.org_short(org, lang)), fontsize=10)
            ax.xaxis.set_major_formatter(style.number_formatter(lang))
            ax.yaxis.set_major_formatter(style.number_formatter(lang))
        # one y range for all panels, from 0 to the highest mean or interval end of any of them
        top = np.nanmax(np.concatenate([df[mean_c].to_numpy(dtype=float), df[high_c].to_numpy(dtype=float)]))
        axes[0][0].set_ylim(0, 1.05 * top if np.isfinite(top) and top > 0 else 1.0)
        for ax in axes[:, 0]:
            ax.set_ylabel(textwrap.fill(term("ax.p90_days", lang), 34) if kpi == kpis.LEAD_TIME_HELP_KM_P90
                          else term("u.days", lang).capitalize(), fontsize=10)
        for j in range(len(groups), nrows * ncols):
            axes[j // ncols][j % ncols].set_visible(False)
        names = list(seen)
        _finish(fig, term("t.p90_fte", lang) if kpi == kpis.LEAD_TIME_HELP_KM_P90 else
                term("t.kpi_fte", lang, kpi=style.kpi_label(kpi, lang)), meta,
                legend=([seen[w] for w in names] + [Patch(facecolor=style.LIGHT_GREY)],
                        [style.workflow_label(w, lang) for w in names] + [term("lg.band", lang)],
                        min(len(names) + 1, 4)))
    facet_text = ", ".join(_facet_name(k, lang) for k in facets) or "–"
    return Chart(_kpi_name("p90_against_fte", kpi), fig,
                 meta.caption("cap.p90_fte", kpi=_kpi_axis(kpi, lang), org=style.org_label(org, lang),
                              facet=facet_text, points=len(summary)),
                 alt=term("t.p90_fte", lang), data=df.rename(columns={"_wf": "workflow"}))


def _facet_name(key: str, lang: str) -> str:
    parts = key.split(".")
    if len(parts) == 3 and parts[0] == "staffing" and parts[2] == "caseload":
        return term("ax.caseload", lang, org=style.org_label(parts[1], lang), unit=style.org_unit(parts[1], lang))
    return key


def _facet_label(key: str, value, lang: str) -> str:
    parts = key.split(".")
    v = style.fmt_compact(float(value), lang) if isinstance(value, (int, float, np.number)) else str(value)
    if len(parts) == 3 and parts[0] == "staffing" and parts[2] == "caseload":
        return term("lg.caseload", lang, value=v, unit=style.org_unit(parts[1], lang))
    if key == "demand.scale":
        return (f"demand × {v}" if lang == "en" else f"vraag × {v}")
    return f"{key} = {v}"


def staffing_heatmap(summary: pd.DataFrame, meta: Meta, kpi: str = kpis.LEAD_TIME_HELP_KM_P90) -> Chart:
    """Mean KPI for every (FTE, caseload norm) of one organisation, one panel per workflow, the value written in
    every cell. Colour: cividis (dark = short), one scale for all panels; logarithmic when values span more
    than a factor 10."""
    lang = meta.lang
    keys = swept_keys(summary)
    x_key = _fte_key(keys)
    if x_key is None:
        raise FigureDataError("sweep_summary.csv: no swept staffing.<org>.fte key for the heatmap")
    org = x_key.split(".")[1]
    y_key = f"staffing.{org}.caseload"
    if y_key not in keys:
        raise FigureDataError(f"sweep_summary.csv: {y_key} is not swept (the heatmap needs FTE x caseload)")
    mean_c = _kpi_cols(summary, kpi)[0]
    df = _sweep_frame(summary, [x_key, y_key, mean_c])
    wfs = style.ordered(df["_wf"].unique(), style.workflow_order())
    values = df[mean_c].to_numpy(dtype=float)
    finite = values[np.isfinite(values) & (values > 0)]
    if finite.size == 0:
        raise FigureDataError(f"sweep_summary.csv: {mean_c} has no positive finite value")
    vmin, vmax = float(finite.min()), float(finite.max())
    norm = LogNorm(vmin, vmax) if vmax / vmin > 10 else Normalize(vmin, vmax if vmax > vmin else vmin + 1)
    cmap = style.matplotlib.colormaps[style.HEATMAP_CMAP]
    xs = np.sort(df[x_key].unique())
    ys = np.sort(df[y_key].unique())
    with style.style_context():
        ncols = min(len(wfs), 2)
        nrows = math.ceil(len(wfs) / ncols)
        fig = style.new_figure(2.4 + nrows * (1.2 + 0.5 * len(ys)), width_in=max(8.0, 4.4 * ncols))
        axes = fig.subplots(nrows, ncols, squeeze=False)
        image = None
        for i, wf in enumerate(wfs):
            ax = axes[i // ncols][i % ncols]
            w = df[df["_wf"] == wf].pivot_table(index=y_key, columns=x_key, values=mean_c, aggfunc="mean")
            w = w.reindex(index=ys, columns=xs)
            image = ax.imshow(w.to_numpy(dtype=float), cmap=cmap, norm=norm, aspect="auto", origin="lower")
            for (r, c), v in np.ndenumerate(w.to_numpy(dtype=float)):
                if not math.isfinite(v):
                    continue
                lum = np.dot(cmap(norm(v))[:3], (0.299, 0.587, 0.114))
                ax.text(c, r, style.fmt_number(v, lang, 0), ha="center", va="center", fontsize=9.5,
                        color="black" if lum > 0.5 else "white")
            ax.set_xticks(range(len(xs)), [style.fmt_compact(float(x), lang) for x in xs], fontsize=9.5)
            ax.set_yticks(range(len(ys)), [style.fmt_compact(float(y), lang) for y in ys], fontsize=9.5)
            ax.set_xlabel(term("ax.fte_short", lang, org=style.org_short(org, lang)), fontsize=10)
            if i % ncols == 0:
                ax.set_ylabel(term("ax.caseload", lang, org=style.org_short(org, lang),
                                   unit=style.org_unit(org, lang)), fontsize=9.5)
            ax.set_title(style.workflow_label(wf, lang), loc="left", color=style.workflow_colour(wf)
                         if wf != "sequential" else "black")
            ax.grid(False)
            for s in ax.spines.values():
                s.set_visible(False)
        for j in range(len(wfs), axes.size):
            axes.flat[j].set_visible(False)
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9)
        bar.set_label(textwrap.fill(_kpi_axis(kpi, lang), 40), fontsize=9.5)
        bar.ax.yaxis.set_major_formatter(style.number_formatter(lang))
        bar.ax.yaxis.set_minor_formatter(style.number_formatter(lang))
        _finish(fig, term("t.heatmap", lang) if kpi == kpis.LEAD_TIME_HELP_KM_P90 else
                term("t.kpi_heatmap", lang, kpi=style.kpi_label(kpi, lang)), meta, band="")
    return Chart(_kpi_name("staffing_heatmap", kpi), fig,
                 meta.caption("cap.heatmap", kpi=_kpi_axis(kpi, lang), org=style.org_label(org, lang)),
                 alt=term("t.heatmap", lang), data=df.rename(columns={"_wf": "workflow"}))


def capacity_curve(capacity: pd.DataFrame, meta: Meta) -> Chart:
    """Lead time against demand, per workflow, with its 95 % band; hollow markers where a waiting list kept
    growing (demand above capacity); a vertical line at today's demand."""
    lang = meta.lang
    capacity = CAPACITY.check(capacity)
    kpi = str(capacity["kpi"].iloc[0])
    with style.style_context():
        fig = style.new_figure(5.2)
        ax = fig.add_subplot()
        handles, labels = [], []
        for wf in style.ordered(capacity["workflow"].unique(), style.workflow_order()):
            w = capacity[capacity["workflow"] == wf].sort_values("demand_scale")
            x = w["demand_scale"].to_numpy(dtype=float)
            colour = style.workflow_colour(wf)
            ax.fill_between(x, np.clip(w["ci_low"].to_numpy(dtype=float), 0, None), w["ci_high"].to_numpy(dtype=float),
                            color=colour, alpha=style.BAND_ALPHA, linewidth=0)  # days: the t-interval stops at 0
            (line,) = ax.plot(x, w["mean"].to_numpy(dtype=float), color=colour, linestyle=style.workflow_dash(wf))
            bad = w["unstable"].astype(bool).to_numpy() if "unstable" in w else np.zeros(len(w), bool)
            marker = style.workflow_marker(wf)
            ax.plot(x[~bad], w["mean"].to_numpy(dtype=float)[~bad], linestyle="none", marker=marker, color=colour,
                    markersize=7)
            ax.plot(x[bad], w["mean"].to_numpy(dtype=float)[bad], linestyle="none", marker=marker, markersize=8,
                    markerfacecolor="white", markeredgecolor=colour, markeredgewidth=2)
            stable = x[~bad]
            label = style.workflow_label(wf, lang)
            if bad.any() and stable.size:
                label += " — " + term("lg.max_demand", lang, value=style.fmt_compact(float(stable.max()), lang))
            handles.append(line)
            labels.append(label)
        ax.axvline(1.0, color=style.NORM_COLOUR, linestyle=(0, (1, 2)), linewidth=1.4)
        ax.annotate(term("lg.demand_today", lang),
                    xy=(1.0, 0.98), xycoords=("data", "axes fraction"), xytext=(4, 0), textcoords="offset points",
                    va="top", fontsize=9, color=style.NORM_COLOUR)
        hollow = Line2D([], [], linestyle="none", marker="o", markerfacecolor="white", markeredgecolor="black",
                        markeredgewidth=2)
        ax.set_xlabel(term("ax.demand", lang))
        ax.set_ylabel(textwrap.fill(_kpi_axis(kpi, lang), 34))
        ax.xaxis.set_major_formatter(style.number_formatter(lang))
        ax.yaxis.set_major_formatter(style.number_formatter(lang))
        ax.set_ylim(bottom=0)
        _finish(fig, term("t.capacity", lang), meta,
                legend=(handles + [hollow, Patch(facecolor=style.LIGHT_GREY)],
                        labels + [term("lg.unstable", lang), term("lg.band", lang)], 1))
    return Chart("capacity_curve", fig, meta.caption("cap.capacity", kpi=style.kpi_label(kpi, lang)),
                 alt=term("t.capacity", lang), data=capacity)


def backlog_drain(backlog: pd.DataFrame, meta: Meta, organisations: Sequence[str] | None = None) -> Chart:
    """Number waiting per organisation from today's waiting lists onwards, one line per number of extra FTE
    (shades of the organisation's colour, darkest = today's staffing), with 95 % bands."""
    lang = meta.lang
    backlog = BACKLOG.check(backlog)
    orgs = style.ordered(organisations or backlog["organisation"].unique(), style.ORG_ORDER)
    levels = sorted(backlog["extra_fte"].astype(float).unique())
    ncols = 2 if len(orgs) > 1 else 1
    nrows = math.ceil(len(orgs) / ncols)
    dashes = ["-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (8, 2))]
    with style.style_context():
        fig = style.new_figure(1.4 + 2.6 * nrows)
        axes = fig.subplots(nrows, ncols, squeeze=False, sharex=True)
        legend: dict[float, Line2D] = {}
        for i, org in enumerate(orgs):
            ax = axes[i // ncols][i % ncols]
            colour = style.org_colour(org)
            for k, level in enumerate(levels):
                g = backlog[(backlog["organisation"] == org) & (backlog["extra_fte"].astype(float) == level)]
                if g.empty:
                    continue
                g = g.sort_values("day")
                x = _days_to_dates(g["day"].to_numpy(), meta)
                shade = _tint(colour, 0.45 * k / max(len(levels) - 1, 1))
                ax.fill_between(x, g["waiting_ci_low"].to_numpy(dtype=float), g["waiting_ci_high"].to_numpy(dtype=float),
                                color=shade, alpha=style.BAND_ALPHA, linewidth=0)
                (line,) = ax.plot(x, g["waiting_mean"].to_numpy(dtype=float), color=shade,
                                  linestyle=dashes[k % len(dashes)], linewidth=2)
                legend.setdefault(level, Line2D([], [], color=_tint(style.GREY, 0.45 * k / max(len(levels) - 1, 1)),
                                                linestyle=dashes[k % len(dashes)], linewidth=2))
                if "days_to_norm_mean" in g.columns and math.isfinite(float(g["days_to_norm_mean"].iloc[0])):
                    d = float(g["days_to_norm_mean"].iloc[0])
                    ax.axvline(_days_to_dates(np.array([d]), meta)[0], color=shade, linestyle=(0, (1, 2)), linewidth=1.2)
            ax.set_title(style.org_label(org, lang), loc="left", fontsize=11)
            ax.set_ylabel(term("ax.waiting", lang, unit=style.org_unit(org, lang)), fontsize=9.5)
            ax.set_ylim(0, max(1.0, ax.get_ylim()[1]))  # at least one case tall: a line at zero reads as zero
            ax.yaxis.set_major_formatter(style.number_formatter(lang))
            ax.spines["left"].set_color(colour)
            ax.spines["left"].set_linewidth(3)
            _date_axis(ax, meta)
            ax.tick_params(axis="x", labelbottom=True, labelsize=9)
        for j in range(len(orgs), nrows * ncols):
            axes[j // ncols][j % ncols].set_visible(False)
        where = ""
        if "extra_fte_org" in backlog.columns:
            named = [str(o) for o in backlog["extra_fte_org"].dropna().unique() if str(o)]
            where = ", ".join(style.org_short(o, lang) for o in style.ordered(named, style.ORG_ORDER))
        labels = [term("lg.today", lang) if level == 0 else
                  term("lg.extra_fte_at" if where else "lg.extra_fte", lang, sign="+" if level > 0 else "−",
                       fte=style.fmt_compact(abs(level), lang), org=where) for level in legend]
        _finish(fig, term("t.backlog", lang), meta,
                legend=(list(legend.values()) + [Patch(facecolor=style.LIGHT_GREY)], labels + [term("lg.band", lang)],
                        min(len(labels) + 1, 4)))
    return Chart("backlog_drain", fig, meta.caption("cap.backlog"), alt=term("t.backlog", lang), data=backlog)


def sizing_rows(sizing: pd.DataFrame, lang: str) -> tuple[list[str], list[list[str]]]:
    """Header and formatted rows of the sizing table (shared by the figure and the HTML report)."""
    sizing = SIZING.check(sizing)
    has_wf = "workflow" in sizing.columns
    one_less = "kpi_one_less_mean" in sizing.columns
    header = ([term("col.workflow", lang)] if has_wf else []) + [
        term("col.organisation", lang), term("col.fte_today", lang), term("col.fte_needed", lang), term("col.kpi", lang),
        term("col.kpi_at_needed", lang)] + ([term("col.kpi_one_less", lang)] if one_less else [])
    rows = []
    for _, r in sizing.iterrows():
        ci = f"{style.fmt_number(float(r['kpi_mean']), lang)} [{style.fmt_number(float(r['kpi_ci_low']), lang)}, " \
             f"{style.fmt_number(float(r['kpi_ci_high']), lang)}]"
        kpi, target = str(r["kpi"]), style.fmt_compact(float(r["target"]), lang)
        goal = term(f"target.{kpi}", lang, value=target) if style.has_term(f"target.{kpi}") else \
            f"{style.kpi_label(kpi, lang)} ≤ {target}"
        row = ([style.workflow_label(str(r["workflow"]), lang)] if has_wf else []) + [
            style.org_label(str(r["organisation"]), lang), style.fmt_compact(float(r["fte_today"]), lang),
            style.fmt_compact(float(r["fte_needed"]), lang), goal, ci]
        if one_less:
            row.append(style.fmt_number(float(r["kpi_one_less_mean"]), lang))
        rows.append(row)
    return header, rows


def sizing_table(sizing: pd.DataFrame, meta: Meta) -> Chart:
    """The sizing table (sizing.csv) as a figure, for slides; the report also shows it as an HTML table.

    Drawn as text in measured columns (matplotlib's own table cannot size its cells to their text): every cell is
    measured with the Agg renderer, columns are as wide as their widest cell, and the figure as wide as the
    table (at least the house width)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    lang = meta.lang
    header, rows = sizing_rows(sizing, lang)
    size, pad_in, row_in = 10.0, 0.18, 0.36
    with style.style_context():
        fig = style.new_figure(1.0, layout=None)
        canvas = FigureCanvasAgg(fig)
        renderer = canvas.get_renderer()
        probe = [[fig.text(0, 0, str(c), fontsize=size, fontweight="bold" if r == 0 else "normal")
                  for c in cells] for r, cells in enumerate([header, *rows])]
        widths_in = [max(t.get_window_extent(renderer).width for t in col) / fig.dpi + pad_in
                     for col in zip(*probe)]
        for line in probe:
            for t in line:
                t.remove()
        table_w = sum(widths_in)
        fig.set_size_inches(max(style.WIDTH_IN, table_w + 0.4), 1.9 + row_in * (len(rows) + 1))
        ax = fig.add_subplot()
        ax.axis("off")
        ax.set_xlim(0, fig.get_figwidth())
        ax.set_ylim(len(rows) + 0.5, -0.5)
        x = 0.15
        for width, col in zip(widths_in, zip(header, *rows)):
            for r, cell in enumerate(col):
                ax.text(x, r, str(cell), fontsize=size, va="center", ha="left",
                        fontweight="bold" if r == 0 else "normal")
            x += width
        ax.axhspan(-0.5, 0.5, color="#EEEEEE", zorder=0)
        for r in range(len(rows) + 1):
            ax.axhline(r + 0.5, color="#CCCCCC", linewidth=0.8)
        _finish(fig, term("t.sizing", lang), meta, band="")
        ax.set_xlim(0, ax.get_position().width * fig.get_figwidth())  # data units = inches across the panel
    return Chart("sizing_table", fig, meta.caption("cap.sizing"), alt=term("t.sizing", lang), data=sizing)
