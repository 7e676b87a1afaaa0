"""The finding first and the too-few-replications rule (sim/report/finding.py), on synthetic tables.

The sentences are generated from comparison.csv's columns and a run's summary; here those tables are built by
hand so each test pins one rule: the sentence says "later" when the paired difference is positive and "earlier"
when it is negative (and neither when its interval includes zero), it splits the difference into structure and
assumed effects with their numbers, and it never calls a withheld difference a finding. The replication rule warns
at 2 replications and not at 20 precise ones (runs tables summarised by sim.chain.tables.summarise, as a run does),
and the number it asks for is the smallest n whose t-interval meets the stated precision.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from sim.analysis import compare
from sim.chain import kpis, tables
from sim.report import finding, style

KPI = finding.HEADLINE[0]


def comparison_row(diff: float, low: float, high: float, *, starred: bool | None = None, withheld: str = "",
                   structure: tuple[float, float, float] = (math.nan,) * 3,
                   effects: tuple[float, float, float] = (math.nan,) * 3) -> pd.DataFrame:
    """One comparison.csv row of the headline KPI, every column present (compare.COLUMNS)."""
    excludes = low > 0 or high < 0
    row = dict.fromkeys(compare.COLUMNS, math.nan)
    row.update(workflow="integrated", baseline="sequential", kpi=KPI, unit="days", mean_baseline=40.0,
               mean_workflow=40.0 + diff, diff_mean=diff, diff_ci_low=low, diff_ci_high=high, n_pairs=20,
               ci_excludes_zero=excludes, starred=excludes if starred is None else starred, star_withheld=withheld,
               structure_diff_mean=structure[0], structure_diff_ci_low=structure[1],
               structure_diff_ci_high=structure[2], effects_add_mean=effects[0], effects_add_ci_low=effects[1],
               effects_add_ci_high=effects[2])
    return pd.DataFrame([row], columns=list(compare.COLUMNS))


NO_POOLS = {"sequential": pd.DataFrame(columns=["kpi", "mean"]), "integrated": pd.DataFrame(columns=["kpi", "mean"])}


@pytest.mark.parametrize("lang,later,earlier", [("en", "later", "earlier"), ("nl", "later", "eerder")])
def test_the_comparison_sentence_flips_with_the_sign_of_the_difference(lang, later, earlier):
    up = finding.comparison_sentences(comparison_row(6.0, 2.5, 9.5), NO_POOLS, lang)[0]
    down = finding.comparison_sentences(comparison_row(-6.0, -9.5, -2.5), NO_POOLS, lang)[0]
    assert f"6.0 {'days' if lang == 'en' else 'dagen'} {later}".replace(".", "," if lang == "nl" else ".") in up
    assert f" {earlier} " in down and f" {later} " not in down and f" {earlier} " not in up
    assert "[+2" in up and "[−9" in down  # the interval of the difference, signed as the difference is
    assert style.workflow_label("integrated", lang) in up and style.workflow_label("sequential", lang, True) in up
    same = finding.comparison_sentences(comparison_row(1.0, -2.0, 4.0), NO_POOLS, lang)[0]
    assert f" {later} " not in same and f" {earlier} " not in same and "[−2" in same


def test_the_sentence_splits_the_difference_into_structure_and_assumed_effects():
    rows = comparison_row(-12.0, -15.0, -9.0, structure=(-4.0, -6.0, -2.0), effects=(-8.0, -10.0, -6.0))
    first = finding.comparison_sentences(rows, NO_POOLS, "en")[0]
    assert "Of this, −4.0 days [−6.0, −2.0] comes from the structure alone and −8.0 days [−10, −6] from" in first
    nl = finding.comparison_sentences(rows, NO_POOLS, "nl")[0]
    assert "Daarvan komt −4,0 dagen [−6,0, −2,0] uit de structuur alleen" in nl
    without = finding.comparison_sentences(comparison_row(-12.0, -15.0, -9.0), NO_POOLS, "en")[0]
    assert "structure" not in without  # compare.decompose=false: no split to state


def test_a_withheld_difference_is_never_stated_as_a_finding():
    why = "runs through a pool that was not stable (sequential: rvdk SATURATED)"
    text = finding.comparison_sentences(comparison_row(6.0, 2.5, 9.5, starred=False, withheld=why), NO_POOLS, "en")
    assert "but this is not a finding: it runs through a waiting list that did not keep up" in text[0]
    assert "rvdk" not in text[0]  # plain words, no pool id
    nl = finding.comparison_sentences(comparison_row(6.0, 2.5, 9.5, starred=False, withheld=why), NO_POOLS, "nl")
    assert "maar dit is geen bevinding" in nl[0]


def _summary_with_pool(state_flag: float, offered: float, capacity: float) -> pd.DataFrame:
    pool = "veilig_thuis.triage[gelderland_zuid]"
    rows = [(kpis.of(kpis.UNSTABLE, pool), state_flag), (kpis.of(kpis.OFFERED_LOAD, pool), offered),
            (kpis.of(kpis.CAPACITY, pool), capacity), (kpis.of(kpis.UTILISATION, pool), 0.99),
            (kpis.of(kpis.WAITING_LIST_END, pool), 57.0)]
    return pd.DataFrame(rows, columns=["kpi", "mean"])


@pytest.mark.parametrize("flag,offered,word_en,word_nl", [(1.0, 30.0, "was full", "zat vol"),
                                                          (1.0, 45.0, "cannot carry", "kan de vraag niet dragen")])
def test_pool_warnings_are_per_organisation_in_plain_words(flag, offered, word_en, word_nl):
    summary = _summary_with_pool(flag, offered, 40.0)
    en, nl = finding.pool_warnings(summary, "en"), finding.pool_warnings(summary, "nl")
    assert len(en) == len(nl) == 1
    assert en[0].startswith("Veilig Thuis: the front desk (Gelderland Zuid)") and word_en in en[0]
    assert nl[0].startswith("Veilig Thuis: de voordeur (Gelderland Zuid)") and word_nl in nl[0]
    for text in en + nl:
        assert "veilig_thuis.triage" not in text and "SATURATED" not in text and "UNSTABLE" not in text
    sentence = finding.comparison_sentences(comparison_row(1.0, -2.0, 4.0), {"sequential": summary}, "en")[-1]
    assert sentence.startswith("Not every waiting list kept up: 1 did not (Veilig Thuis)")
    assert finding.pool_warnings(_summary_with_pool(0.0, 30.0, 40.0), "en") == []  # a stable pool: no warning


# ====================================================================== too few replications


def runs_table(n: int, sd: float, mean: float = 40.0, seed: int = 3) -> pd.DataFrame:
    values = np.random.default_rng(seed).normal(mean, sd, n)
    return pd.DataFrame({"scenario": "sequential", "replication": np.arange(n), KPI: values})


def test_the_replication_warning_appears_at_2_and_not_at_20():
    twenty = tables.summarise(runs_table(20, sd=0.5))
    assert finding.replication_warning(twenty, "en") is None
    two = tables.summarise(runs_table(20, sd=0.5).head(2))
    en, nl = finding.replication_warning(two, "en"), finding.replication_warning(two, "nl")
    assert en.startswith("Only 2 replications, fewer than the 10") and "run.replications=10" in en
    assert nl.startswith("Slechts 2 replicaties, minder dan de 10") and "Only" not in nl
    # 20 replications whose interval is too wide for ±5 %: the other warning, with the number it needs
    wide = tables.summarise(runs_table(20, sd=12.0))
    text = finding.replication_warning(wide, "en")
    r = wide.set_index("kpi").loc[KPI]
    needed = finding.replications_needed(r["mean"], r["sd"])
    assert text.startswith("With 20 replications") and f"run.replications={needed}" in text and needed > 20


@pytest.mark.parametrize("mean,sd", [(100.0, 10.0), (40.0, 0.5), (40.0, 12.0), (-7.0, 3.0)])
def test_replications_needed_is_the_smallest_n_meeting_the_precision(mean, sd):
    def half_width(n: int) -> float:
        return scipy_stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)

    n = finding.replications_needed(mean, sd)
    target = finding.RELATIVE_PRECISION * abs(mean)
    assert half_width(n) <= target and (n == 2 or half_width(n - 1) > target)


def test_replications_needed_by_hand():
    # sd 10 around 100, ±5: t(17) 2.110 x 10 / sqrt(18) = 4.97 <= 5, t(16) 2.120 x 10 / sqrt(17) = 5.14 > 5
    assert finding.replications_needed(100.0, 10.0) == 18
    assert finding.replications_needed(100.0, 0.0) == 2


def _grid(effect_in_integrated: bool) -> pd.DataFrame:
    rows = []
    for scenario in ("sequential", "integrated"):
        for caseload in (12, 15, 22):
            for fte in (280, 322):
                moves = scenario == "sequential" or effect_in_integrated
                lead = 100.0 - fte / 10 + (caseload if moves else 0.0) + (5.0 if scenario == "integrated" else 0.0)
                rows.append({"point": f"scenario={scenario},staffing.gi.caseload={caseload},staffing.gi.fte={fte}",
                             "scenario": scenario, "staffing.gi.caseload": caseload, "staffing.gi.fte": fte,
                             "lead_time_help_mean.mean": lead, "gi_wait_mean.mean": lead / 2,
                             "unstable.gi.mean": 0.0})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_a_sweep_warns_where_a_swept_setting_has_no_effect(lang):
    keys = ["scenario", "staffing.gi.caseload", "staffing.gi.fte"]
    warned = finding.no_effect_warnings(_grid(effect_in_integrated=False), keys, lang)
    team = style.workflow_label("integrated", lang)
    assert len(warned) == 2  # once per GI FTE of the integrated team's points; never for today's chain
    assert all(w.startswith("staffing.gi.caseload ") and team in w and "12, 15, 22" in w for w in warned)
    assert not any(style.workflow_label("sequential", lang) in w for w in warned)
    assert finding.no_effect_warnings(_grid(effect_in_integrated=True), keys, lang) == []
    if lang == "nl":
        assert all("verandert niets" in w and "has no effect" not in w for w in warned)
