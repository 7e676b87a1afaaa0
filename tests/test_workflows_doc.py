"""docs/workflows.md is generated from a real comparison (python -m sim.workflows_doc, issue 14 item 8): every
number of its paired tables is comparison.csv's, its lead times and staff are the comparison's summary and
staffing tables, and it names the command that produced them."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from sim import workflows_doc
from sim.analysis import compare
from tests.conftest import compose_cfg

TINY = ["+experiment=compare_workflows", "region=demo", "run.years=1", "run.warmup_years=0.5", "run.replications=2",
        "run.quiet=true", "run.start=empty", "run.formats=[csv]", "compare.workflows=[integrated,samen_in_crisis]"]


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    out = tmp_path_factory.mktemp("comparison")
    compare.execute(compose_cfg(TINY), out)
    doc = tmp_path_factory.mktemp("doc") / "workflows.md"
    assert workflows_doc.main([str(out), "--out", str(doc)]) == 0
    return out, doc.read_text()


def _value(text: str) -> float:
    text = text.strip().rstrip("*†‡ ").strip()
    return math.nan if text == "-" else float(text.replace(",", ""))


def _close(shown: float, exact: float) -> bool:
    """As the page shows it (sim.analysis.compare.fmt): whole numbers from 10, two decimals below, 2 significant
    digits in scientific notation below 0.01."""
    if math.isnan(exact) or not math.isfinite(exact):
        return math.isnan(shown)
    if abs(exact) >= 10:
        return abs(shown - exact) <= 0.5 + 1e-9
    if exact == 0 or abs(exact) >= 0.01:
        return abs(shown - exact) <= 0.005 + 1e-12
    return abs(shown - exact) <= 0.05 * abs(exact)


def _cells(cell: str) -> list[float]:
    """'-46 [-76, -15] *' -> [-46, -76, -15]."""
    m = re.fullmatch(r"\s*(\S+) \[(\S+), (\S+)\]\s*[*†‡]?\s*", cell)
    assert m, cell
    return [_value(g) for g in m.groups()]


def test_every_number_of_the_paired_tables_is_comparison_csvs(page):
    out, text = page
    comparison = pd.read_csv(out / "comparison.csv")
    checked = 0
    for wf in ("integrated", "samen_in_crisis"):
        section = text.split(f"### {wf} − sequential")[1].split("\n\n")[1]
        c = comparison[comparison["workflow"] == wf].set_index("kpi")
        rows = [r for r in section.splitlines()[2:] if r.startswith("| `")]
        assert [r.split("`")[1] for r in rows] == compare.kpis.rows("compared", c.index)
        for row in rows:
            cells = [x.strip() for x in row.strip("|").split("|")]
            r = c.loc[cells[0].strip("`")]
            assert _close(_value(cells[2]), r["mean_baseline"]) and _close(_value(cells[3]), r["mean_workflow"]), row
            for cell, prefix, mean in zip(cells[4:], ("structure_diff", "diff", "effects_add"),
                                          ("structure_diff_mean", "diff_mean", "effects_add_mean")):
                shown = _cells(cell)
                for s, exact in zip(shown, (r[mean], r[f"{prefix}_ci_low"], r[f"{prefix}_ci_high"])):
                    assert _close(s, exact), (row, prefix, s, exact)
                    checked += 1
                starred = {"diff": "starred", "structure_diff": "structure_starred"}.get(prefix, f"{prefix}_starred")
                assert cell.endswith("*") == bool(r[starred]), (row, prefix)
    assert checked > 300


def test_lead_times_staff_stability_and_the_command_come_from_the_files(page):
    out, text = page
    summary = pd.read_csv(out / "summary.csv").set_index(["workflow", "kpi"])
    for wf in ("sequential", "integrated"):
        for aware, naive in workflows_doc.LEAD_PAIRS:
            row = next(r for r in text.splitlines() if r.startswith(f"| {wf} |") and f"`{naive}`" in r)
            for kpi in (aware, naive):
                shown = _cells(row.split(f"`{kpi}`")[1].split("|")[0])
                exact = summary.loc[(wf, kpi), ["mean", "ci_low", "ci_high"]].to_numpy(dtype=float)
                assert all(_close(s, e) for s, e in zip(shown, exact)), (row, kpi)
    staffing = pd.read_csv(out / "staffing.csv")
    total = staffing[staffing["unit"] == "total"].set_index("workflow")["fte"]
    row = next(r for r in text.splitlines() if r.startswith("| total |"))
    assert [_value(x) for x in row.strip("|").split("|")[1:]] == pytest.approx(
        [round(total[w]) for w in ("sequential", "integrated", "samen_in_crisis")], abs=0.5)
    assert "python -m sim +experiment=compare_workflows region=demo" in text and "run.replications=2" in text
    assert "- integrated: every pool stable" in text or "- integrated: not stable:" in text
    assert "`scenario.effects.assessment_factor=1`" in text  # the structure-only overrides the marker records
    assert "${" not in text and "| sequential | " in text


def test_a_directory_that_is_no_comparison_is_one_line(tmp_path, capsys):
    assert workflows_doc.main([str(tmp_path / "nope"), "--out", str(tmp_path / "w.md")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ketensim: error: ") and err.count("\n") == 1
    assert not (tmp_path / "w.md").exists()
