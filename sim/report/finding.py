"""The finding first: the sentences a report and the console open with, and the warnings in plain words.

A policy adviser reads the first lines and stops. So a run's report opens with what the run found for the headline
measure (the first ``headline`` KPI of sim/chain/kpis.py with a number: melding -> start of help) with its 95 %
interval, and a comparison's with the paired difference per workflow, split into what the structure gives and what
the assumed effects add (comparison.csv's ``structure_diff_*`` and ``effects_add_*`` columns), saying when the
difference is not a finding (its interval includes zero, or its star was withheld: ``starred``/``star_withheld``)
and how many waiting lists were not stable. Every sentence exists in English and Dutch (the ``f.*`` and ``w.*``
terms of sim/report/style.py); no sentence carries a raw pool id.

Warnings come after the key figures, grouped per organisation (``pool_warnings``), and a run with too few
replications for its headline interval to mean much says so, with the number it would need
(:func:`replications_needed`).
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from sim.analysis.assumptions import SATURATED, STABLE, UNSTABLE, pool_stability
from sim.chain import kpis
from sim.report import style
from sim.report.style import term

# What the first sentence states: the first of the report's headline KPIs (melding -> start of help) that the
# directory has a number for (the restricted mean over the first year needs a window of a year and more; a shorter
# run falls back to the Kaplan-Meier median); the sentence names the KPI by its label, so it says which one.
HEADLINE: tuple[str, ...] = tuple(k for k in kpis.names("headline") if kpis.unit(k) == "days")
SPREAD_KPI: str = kpis.LEAD_TIME_HELP_KM_P90  # the tail a run's finding adds: one family in ten waits longer

# The too-few-replications rule. Below MIN_REPLICATIONS the t-interval's own width is too unreliable to judge
# (t(0.975, 1) = 12.7, and the sd of a handful of values is itself off by half or more), so the run warns whatever
# its interval; at or above it, it warns when the headline interval is wider than the stated precision.
# source: Hoad, Robinson & Davies (2010), "Automated selection of the number of replications for a discrete-event
# simulation", J. Oper. Res. Soc. 61(11):1632-1644 (the confidence-interval method with a 5 % relative precision,
# and a minimum of about 10 replications before the sd is trusted).
MIN_REPLICATIONS = 10
RELATIVE_PRECISION = 0.05  # the headline KPI's 95 % half-width at most 5 % of its mean (source: as above)
CONFIDENCE = 0.95


# ====================================================================== numbers in sentences


def _days(value: float, lang: str) -> str:
    return style.fmt_number(abs(value), lang, 0 if abs(value) >= 10 else 1)


def _signed(value: float, lang: str, decimals: int) -> str:
    text = style.fmt_number(value, lang, decimals)  # a negative number has its minus sign already
    return "+" + text if value > 0 else text


def _interval(low: float, high: float, lang: str, signed: bool = False) -> str:
    decimals = 0 if max(abs(low), abs(high)) >= 10 else 1
    one = (lambda v: _signed(v, lang, decimals)) if signed else (lambda v: style.fmt_number(v, lang, decimals))
    return f"[{one(low)}, {one(high)}]"


def _diff(value: float, lang: str) -> str:
    return _signed(value, lang, 0 if abs(value) >= 10 else 1)


# ====================================================================== a run


def _what(kpi: str, lang: str) -> str:
    label = style.kpi_label(kpi, lang)
    return label[:1].lower() + label[1:]


def headline_kpi(table: pd.DataFrame, value: str = "mean") -> str | None:
    """The first headline KPI with a finite ``value`` in ``table`` (a summary: ``mean``; comparison.csv rows of
    one workflow: ``diff_mean``) in every replication that has any (a restricted mean that only some replications
    of a short run could compute is passed over), or None."""
    rows = table.set_index("kpi") if len(table) else pd.DataFrame(columns=[value])
    present = rows[value]
    counts = rows["n_replications"] if "n_replications" in rows else None
    most = float(counts.max()) if counts is not None and len(counts) else math.nan
    for kpi in HEADLINE:
        if kpi in present.index and np.isfinite(float(present[kpi])):
            if counts is None or not np.isfinite(most) or float(counts[kpi]) >= most:
                return kpi
    return None


def run_sentences(summary: pd.DataFrame, workflow: str, region: str, lang: str) -> list[str]:
    """A run's finding: the headline lead time with its interval, its tail (one family in ten), then whether every
    organisation kept up. Empty when the summary has no headline KPI with a number."""
    kpi = headline_kpi(summary)
    if kpi is None:
        return []
    s = summary.set_index("kpi")
    h = s.loc[kpi]
    n = int(h["n_replications"])
    values = dict(workflow=style.workflow_label(workflow, lang), region=style.region_label(region, lang),
                  what=_what(kpi, lang), mean=_days(h["mean"], lang), ci=_interval(h["ci_low"], h["ci_high"], lang), n=n)
    single = n < 2 or not np.isfinite(float(h["ci_low"]))
    out = [term("f.run.single" if single else "f.run", lang, **values)]
    if kpi != SPREAD_KPI and SPREAD_KPI in s.index and np.isfinite(float(s.at[SPREAD_KPI, "mean"])):
        p = s.loc[SPREAD_KPI]
        out.append(term("f.run.tail.single", lang, p90=_days(p["mean"], lang)) if single else
                   term("f.run.tail", lang, p90=_days(p["mean"], lang), ci=_interval(p["ci_low"], p["ci_high"], lang)))
    return out + [_stability_sentence({workflow: summary}, lang)]


def _not_stable(summaries: Mapping[str, pd.DataFrame]) -> list[tuple[str, str, str]]:
    """(workflow, pool, state) of every pool that was not stable."""
    return [(name, pool, state) for name, summary in summaries.items()
            for pool, (state, _) in pool_stability(summary).items() if state != STABLE]


def _stability_sentence(summaries: Mapping[str, pd.DataFrame], lang: str) -> str:
    bad = _not_stable(summaries)
    if not bad:
        return term("f.stable", lang)
    orgs = sorted({_org_of(pool) for _, pool, _ in bad}, key=_org_rank)
    return term("f.not_stable", lang, n=len(bad), orgs=_join([style.org_label(o, lang) for o in orgs], lang))


# ====================================================================== a comparison


def comparison_sentences(comparison: pd.DataFrame, summaries: Mapping[str, pd.DataFrame], lang: str) -> list[str]:
    """A comparison's finding: per compared workflow the paired difference in the headline KPI with its interval,
    what the structure gives and what the assumed effects add, and a caveat when it is not a finding; then how many
    waiting lists were not stable. ``summaries``: each workflow's summary (the baseline's too)."""
    out: list[str] = []
    for _, rows in comparison.groupby("workflow", sort=False):
        kpi = headline_kpi(rows, "diff_mean")
        if kpi is None:
            continue
        r = rows.set_index("kpi").loc[kpi]
        values = dict(workflow=style.workflow_label(str(r["workflow"]), lang), what=_what(kpi, lang),
                      baseline=style.workflow_label(str(r["baseline"]), lang, True),
                      days=_days(r["diff_mean"], lang), diff=_diff(r["diff_mean"], lang),
                      ci=_interval(r["diff_ci_low"], r["diff_ci_high"], lang, True), n=int(r["n_pairs"]))
        excludes = bool(r["ci_excludes_zero"])
        starred = bool(r["starred"]) if "starred" in r.index else excludes
        if not excludes:
            sentence = term("f.cmp.same", lang, **values)
        else:
            sentence = term("f.cmp.later" if r["diff_mean"] > 0 else "f.cmp.earlier", lang, **values)
            if not starred:
                sentence = sentence[:-1] + term("f.cmp.withheld", lang, why=_withheld(str(r.get("star_withheld", "")),
                                                                                      lang))
        if "structure_diff_mean" in r.index and np.isfinite(float(r["structure_diff_mean"])) \
                and np.isfinite(float(r["effects_add_mean"])):
            sentence += " " + term("f.cmp.split", lang,
                                   structure=_diff(r["structure_diff_mean"], lang),
                                   s_ci=_interval(r["structure_diff_ci_low"], r["structure_diff_ci_high"], lang, True),
                                   effects=_diff(r["effects_add_mean"], lang),
                                   e_ci=_interval(r["effects_add_ci_low"], r["effects_add_ci_high"], lang, True))
        out.append(sentence)
    if out:
        out.append(_stability_sentence(summaries, lang))
    return out


def _withheld(why: str, lang: str) -> str:
    """Why a star was withheld (comparison.csv's ``star_withheld``), in plain words: its kinds, not its pool ids."""
    reasons = []
    if "not stable" in why:
        reasons.append(term("f.why.unstable", lang))
    if "by construction" in why:
        reasons.append(term("f.why.construction", lang))
    if "rounding" in why:
        reasons.append(term("f.why.rounding", lang))
    return _join(reasons or [term("f.why.other", lang)], lang)


# ====================================================================== warnings, per organisation


def _org_of(pool: str) -> str:
    """The organisation of a pool name (``veilig_thuis.triage[gelderland_zuid]`` -> ``veilig_thuis``)."""
    return pool.split("[", 1)[0].split(".", 1)[0]


def _org_rank(org: str) -> tuple[int, str]:
    return (style.ORG_ORDER.index(org) if org in style.ORG_ORDER else len(style.ORG_ORDER), org)


def _part(pool: str, lang: str) -> str:
    """The part of its organisation a pool is, in words ('the front desk (Gelderland Zuid)'); 'it' for the whole."""
    base, _, unit = pool.partition("[")
    _, _, role = base.partition(".")
    key = f"w.part.{role}" if role else "w.part"
    text = term(key, lang) if style.has_term(key) else term("w.part.other", lang, role=role)
    if unit:
        text += f" ({unit.rstrip(']').replace('_', ' ').title()})"
    return text


def _join(items: Sequence[str], lang: str) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + term("w.and", lang) + items[-1]


def pool_warnings(summary: pd.DataFrame, lang: str) -> list[str]:
    """One warning per organisation with a pool that could not keep up (UNSTABLE or SATURATED,
    sim.analysis.assumptions.pool_stability), in plain words and the reader's language."""
    by_org: dict[str, list[str]] = {}
    for pool, (state, n) in pool_stability(summary).items():
        if state == STABLE:
            continue
        values = dict(part=_part(pool, lang), offered=style.fmt_number(n[kpis.OFFERED_LOAD], lang, 0),
                      cap=style.fmt_number(n[kpis.CAPACITY], lang, 0), end=style.fmt_number(n[kpis.WAITING_LIST_END], lang, 0),
                      util=style.fmt_percent(n[kpis.UTILISATION], lang))
        key = {UNSTABLE: "w.unstable", SATURATED: "w.saturated"}[state]
        by_org.setdefault(_org_of(pool), []).append(term(key, lang, **values))
    return [f"{style.org_label(org, lang)}: " + " ".join(by_org[org]) for org in sorted(by_org, key=_org_rank)]


def sweep_warnings(summary: pd.DataFrame, lang: str) -> list[str]:
    """A sweep's points where an organisation could not keep up in half its replications or more."""
    prefix = kpis.get(kpis.UNSTABLE).prefix
    flags = [c for c in summary.columns if c.startswith(prefix) and c.endswith(".mean")]
    out = []
    for _, r in summary.iterrows():
        pools = [c[len(prefix):-len(".mean")] for c in flags if r[c] >= 0.5]
        if pools:
            orgs = sorted({_org_of(p) for p in pools}, key=_org_rank)
            out.append(term("w.sweep", lang, point=r["point"],
                            orgs=_join([style.org_label(o, lang) for o in orgs], lang)))
    return out


def no_effect_warnings(summary: pd.DataFrame, keys: Sequence[str], lang: str) -> list[str]:
    """A swept setting that changes no result: among points that differ only in ``key``, two or more values of it
    with every KPI mean identical (the same families, so a setting in use would move some number). One warning
    per setting and combination of the other swept settings, e.g. the GI caseload in the integrated team's points,
    whose team has a caseload of its own."""
    means = [c for c in summary.columns if str(c).endswith(".mean")]
    out = []
    for key in keys:
        others = [k for k in keys if k != key]
        groups = summary.groupby(others, sort=False, dropna=False) if others else [((), summary)]
        for fixed, g in groups:
            if g[key].nunique() < 2 or not means:
                continue
            values = g[means].to_numpy(dtype=float)
            same = np.all(np.isclose(values, values[0], rtol=1e-12, atol=0.0, equal_nan=True))
            if not same:
                continue
            fixed = fixed if isinstance(fixed, tuple) else (fixed,)
            where = ", ".join(f"{k} = {_setting_value(k, v, lang)}" for k, v in zip(others, fixed)) \
                or term("w.no_effect.everywhere", lang)
            shown = ", ".join(_setting_value(key, v, lang) for v in sorted(g[key].unique(), key=str))
            out.append(term("w.no_effect", lang, setting=key, where=where, values=shown))
    return out


def _setting_value(key: str, value: object, lang: str) -> str:
    if key == "scenario":
        return style.workflow_label(str(value), lang)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return style.fmt_compact(float(value), lang)
    return str(value)


# ====================================================================== too few replications


def replications_needed(mean: float, sd: float, precision: float = RELATIVE_PRECISION,
                        confidence: float = CONFIDENCE, most: int = 100_000) -> int:
    """The smallest number of replications n whose t-interval half-width t(n-1) * sd / sqrt(n) is at most
    ``precision`` x |mean|, for the observed ``sd`` (the confidence-interval method of Hoad, Robinson & Davies
    2010). 2 at least; ``most`` when even that many would not do (a mean of zero)."""
    target = precision * abs(mean)
    if not (np.isfinite(sd) and np.isfinite(mean)) or target <= 0:
        return most
    if sd == 0:
        return 2
    n = max(2, math.ceil((scipy_stats.norm.ppf(0.5 + confidence / 2) * sd / target) ** 2))  # z first: t is wider
    while n < most and scipy_stats.t.ppf(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n) > target:
        n += 1
    return n


def replication_warning(summary: pd.DataFrame, lang: str, kpi: str | None = None) -> str | None:
    """The too-few-replications warning of a run's summary, or None. Warns below MIN_REPLICATIONS (2 to 9), or when
    the headline interval is wider than RELATIVE_PRECISION of its mean, and says how many replications that
    precision needs, from the observed sd. One replication has its own note (no interval at all)."""
    kpi = kpi or headline_kpi(summary)
    s = summary.set_index("kpi")
    if kpi is None or kpi not in s.index:
        return None
    r = s.loc[kpi]
    n = int(r["n_replications"])
    if n < 2 or not np.isfinite(float(r["sd"])):
        return None
    half = scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * float(r["sd"]) / math.sqrt(n)
    precise = half <= RELATIVE_PRECISION * abs(float(r["mean"]))
    if n >= MIN_REPLICATIONS and precise:
        return None
    needed = max(replications_needed(float(r["mean"]), float(r["sd"])), MIN_REPLICATIONS)
    return term("w.replications.few" if n < MIN_REPLICATIONS else "w.replications.wide", lang, n=n,
                rule=MIN_REPLICATIONS, kpi=_what(kpi, lang),
                precision=style.fmt_percent(RELATIVE_PRECISION, lang), needed=needed)
