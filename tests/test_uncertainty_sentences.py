"""The report's one sentence per KPI (sim/report/uncertainty.py) says when the deciding assumption's total Sobol'
index is itself uncertain: with few draws (N = 9 base rows for 99 assumptions in Gelderland) the bootstrap
half-width can be as large as the index, and a reader must not take the ranking as firm."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.report import uncertainty as rep


def _tables(st: float, conf: float) -> dict[str, pd.DataFrame]:
    summary = pd.DataFrame([{"workflow": "integrated", "baseline": "sequential", "kpi": "lead_time_help_rmst_365",
                             "unit": "days", "mean": 84.1, "p05": -76.4, "p95": 247.0, "p_better": 0.31}])
    sobol = pd.DataFrame([{"workflow": "integrated", "kpi": "lead_time_help_rmst_365",
                           "assumption": "scenario.effects.duo_workload@integrated", "ST": st, "ST_conf": conf},
                          {"workflow": "integrated", "kpi": "lead_time_help_rmst_365",
                           "assumption": "staffing.buurtteam.caseload", "ST": 0.15, "ST_conf": 0.01}])
    breaks = pd.DataFrame([{"workflow": "integrated", "kpi": "lead_time_help_rmst_365",
                            "assumption": "scenario.effects.duo_workload@integrated", "value": 1.01,
                            "ci_low": 0.83, "ci_high": 1.01, "low": 0.8, "high": 1.5, "default": 1.0}])
    return {"uncertainty_summary": summary, "sobol": sobol, "break_even": breaks}


@pytest.mark.parametrize("lang,word", [("en", "uncertain"), ("nl", "onzeker")])
def test_a_loose_index_is_called_uncertain_and_a_firm_one_is_not(lang, word):
    loose = rep.sentences(_tables(0.87, 0.98), "integrated", lang)[0]
    firm = rep.sentences(_tables(0.87, 0.05), "integrated", lang)[0]
    assert "duo_workload" in loose and "duo_workload" in firm
    assert word in loose and "uncertainty.draws" in loose
    assert word not in firm
    assert "1.01" in firm or "1,01" in firm  # the break-even stays in both


def test_the_threshold_is_half_the_index():
    just_below = rep.sentences(_tables(0.8, 0.8 * rep.LOOSE * 0.99), "integrated", "en")[0]
    at = rep.sentences(_tables(0.8, 0.8 * rep.LOOSE), "integrated", "en")[0]
    assert "uncertain" not in just_below and "uncertain" in at
