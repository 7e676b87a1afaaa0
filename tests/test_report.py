"""The HTML report (sim/report.py): its numbers are the tables' numbers, it is one self-contained file, and a
directory it cannot trust is refused in one line.

Every number cell of the report carries the exact value it shows in ``data-value``; the tests read the report
back with an HTML parser and compare those values with the CSV files the model wrote, and check that the text a
reader sees is that value rounded (not some other number). Inputs are tiny real runs (tests/test_figures.py).
"""

from __future__ import annotations

import base64
import json
import math
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, shared_build
from test_figures import SIZING_FIXTURE, STAFFING_GRID, SWEEP_BASE, build_comparison, build_run, build_sweep

from sim.report import finding, style
from sim.report import html as report_html
from sim.run import output

pytestmark = pytest.mark.filterwarnings("error")


# ====================================================================== reading the report back


class Page(HTMLParser):
    """Every table cell with ``data-value`` (and the table's ``data-source`` and ``id``), every tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[dict] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._tables: list[dict] = []
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self._tables.append(a)
        elif tag == "td" and "data-value" in a:
            table = self._tables[-1] if self._tables else {}
            self._cell = {**a, "source": table.get("data-source"), "table_id": table.get("id"), "text": ""}

    def handle_endtag(self, tag):
        if tag == "table" and self._tables:
            self._tables.pop()
        elif tag == "td" and self._cell is not None:
            self.cells.append(self._cell)
            self._cell = None

    def handle_data(self, data):
        self.text.append(data)
        if self._cell is not None:
            self._cell["text"] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def shown_matches(text: str, value: float, unit: str) -> bool:
    """The displayed text is ``value`` rounded to the digits shown (shares as %, share differences in pp)."""
    text = text.strip()
    if text == "–":
        return math.isnan(value)
    scale = 100.0 if unit in ("share", "flag", "share_diff") else 1.0
    number = text.replace("%", "").replace(" pp", "").replace("−", "-").replace(",", "")
    decimals = len(number.split(".")[1]) if "." in number else 0
    return abs(float(number) - value * scale) <= 0.5 * 10 ** -decimals + 1e-9 * max(1.0, abs(value * scale))


def cells_by(page: Page, **match) -> dict[tuple, dict]:
    out = {}
    for c in page.cells:
        if all(c.get(k) == v for k, v in match.items()):
            out[(c.get("data-workflow", ""), c.get("data-point", ""), c["data-kpi"], c["data-field"])] = c
    return out


# ====================================================================== fixtures: tiny runs and their reports


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    """A run, a comparison and a sweep with their reports, made once per session (conftest.shared_build): the
    comparison and the sweep are test_figures' tiny runs, copied before a report is written beside them."""
    tiny = {"run": shared_build(tmp_path_factory, "run", build_run),
            "comparison": shared_build(tmp_path_factory, "comparison", build_comparison),
            "sweep": shared_build(tmp_path_factory, "staffing_sweep",
                                  lambda d: build_sweep(d, STAFFING_GRID, SWEEP_BASE))}

    def with_reports(base: Path) -> None:
        for kind, src in tiny.items():
            shutil.copytree(src, base / kind)
            report_html.write_report(base / kind)

    base = shared_build(tmp_path_factory, "report", with_reports)
    return {kind: base / kind for kind in tiny}


def fresh_copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    (dst / report_html.REPORT).unlink(missing_ok=True)
    return dst


# ====================================================================== the numbers


def test_the_run_reports_kpi_table_equals_summary_csv(dirs):
    page = parse(dirs["run"] / report_html.REPORT)
    summary = pd.read_csv(dirs["run"] / "summary.csv")
    full = cells_by(page, table_id="all-kpis", source="summary.csv")
    key = cells_by(page, table_id="key-figures", source="summary.csv")
    assert len(full) == 3 * len(summary)  # every KPI, its mean and both ends of its interval, nothing else
    assert len(key) == 3 * len([k for k in report_html.HEADLINE if k in set(summary["kpi"])]) > 0
    for _, row in summary.iterrows():
        for field in ("mean", "ci_low", "ci_high"):
            value = float(row[field])
            for table in (full, key):
                cell = table.get(("", "", row["kpi"], field))
                if cell is None:
                    assert table is key and row["kpi"] not in report_html.HEADLINE
                    continue
                assert same(float(cell["data-value"]), value), (row["kpi"], field)
                assert shown_matches(cell["text"], value, cell["data-unit"]), (row["kpi"], field, cell["text"])


def test_the_comparison_report_quotes_each_workflows_summary_and_comparison_csv(dirs):
    d = dirs["comparison"]
    page = parse(d / report_html.REPORT)
    for wf in ("sequential", "integrated"):
        summary = pd.read_csv(d / wf / "summary.csv").set_index("kpi")
        key = {k: c for k, c in cells_by(page, table_id="key-figures", source="summary.csv").items() if k[0] == wf}
        assert len(key) == 3 * len([k for k in report_html.HEADLINE if k in summary.index])
        for (_, _, kpi, field), cell in key.items():
            assert same(float(cell["data-value"]), float(summary.at[kpi, field])), (wf, kpi, field)
            assert shown_matches(cell["text"], float(summary.at[kpi, field]), cell["data-unit"])
    comparison = pd.read_csv(d / "comparison.csv")
    paired = [c for c in page.cells if c["source"] == "comparison.csv"]
    assert paired
    by_key = comparison.set_index(["workflow", "kpi"])
    seen = set()
    for cell in paired:
        value = float(by_key.at[(cell["data-workflow"], cell["data-kpi"]), cell["data-field"]])
        assert same(float(cell["data-value"]), value), (cell["data-kpi"], cell["data-field"])
        assert shown_matches(cell["text"], value, cell["data-unit"]), (cell["data-kpi"], cell["text"])
        seen.add(cell["data-kpi"])
    assert seen == set(comparison["kpi"])  # the full table has every paired difference


def test_the_sweep_report_quotes_sweep_summary_csv(dirs):
    d = dirs["sweep"]
    page = parse(d / report_html.REPORT)
    summary = pd.read_csv(d / "sweep_summary.csv").set_index("point")
    cells = [c for c in page.cells if c["source"] == "sweep_summary.csv"]
    assert len(cells) == len(summary) * 3 * len([k for k in report_html.SWEEP_KPIS if f"{k}.mean" in summary.columns])
    for cell in cells:
        value = float(summary.at[cell["data-point"], f"{cell['data-kpi']}.{cell['data-field']}"])
        assert same(float(cell["data-value"]), value)
        assert shown_matches(cell["text"], value, cell["data-unit"])
    ids = {a.get("id") for tag, a in page.tags if tag == "figure"}
    assert {"fig-p90_against_fte", "fig-staffing_heatmap"} <= ids


# ====================================================================== one self-contained file


@pytest.mark.parametrize("kind,figures", [
    ("run", {"lead_time_ecdf", "waiting_lists", "handoffs_stories", "staff_hours"}),
    ("comparison", {"lead_time_ecdf", "waiting_lists", "handoffs_stories", "staff_hours", "paired_integrated"}),
])
def test_the_report_is_one_self_contained_file_with_every_figure_embedded(dirs, kind, figures):
    path = dirs[kind] / report_html.REPORT
    html = path.read_text(encoding="utf-8")
    page = parse(path)
    tags = [t for t, _ in page.tags]
    assert "script" not in tags and "iframe" not in tags and "object" not in tags
    for tag, a in page.tags:
        for attr in ("src", "href"):
            if attr in a:
                assert a[attr].startswith("data:"), (tag, attr, a[attr][:60])  # nothing to fetch from anywhere
    assert "url(" not in html and "@import" not in html
    assert {a["id"][4:] for t, a in page.tags if t == "figure"} == figures
    images = [a for t, a in page.tags if t == "img"]
    assert len(images) == len(figures)
    for a in images:
        assert a["src"].startswith("data:image/png;base64,") and a.get("alt")
        png = base64.b64decode(a["src"].split(",", 1)[1], validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(page.text)
    assert "replications" in text and "95%" in text  # every caption says what the band means


def test_the_report_lists_the_assumptions_sources_configuration_and_the_command(dirs):
    d = dirs["run"]
    html = (d / report_html.REPORT).read_text(encoding="utf-8")
    assumptions = pd.read_csv(d / "assumptions.csv")
    assert f"({len(assumptions)})" in html
    for parameter in assumptions["parameter"]:
        assert f"<td>{parameter}</td>" in html, parameter
    assert "staffing.gi.caseload" in html  # the configuration in force
    # a sourced value, the value in force and its citation (conf/process/nl_2023.yaml)
    assert re.search(r"<td>norms\.vt_triage_days</td><td>7(\.0)?</td><td>source</td><td>Uitvoeringsbesluit Wmo 2015",
                     html)
    assert "python -m sim region=demo scenario=sequential" in html


def test_the_dutch_report_is_in_dutch(dirs, tmp_path):
    d = fresh_copy(dirs["run"], tmp_path / "run")
    html = report_html.write_report(d, "nl").read_text(encoding="utf-8")
    assert '<html lang="nl">' in html and "Kerncijfers" in html and "Aannames" in html and "Key figures" not in html


def test_the_dutch_report_sits_beside_the_english_one_and_never_overwrites_it(dirs, tmp_path, capsys):
    d = fresh_copy(dirs["run"], tmp_path / "run")
    english = report_html.write_report(d)
    before = english.read_bytes()
    assert report_html.main([str(d), "--lang", "nl"]) == 0
    assert capsys.readouterr().out.strip() == f"report: {d / 'report_nl.html'}"
    assert english.read_bytes() == before  # untouched, byte for byte
    assert '<html lang="nl">' in (d / "report_nl.html").read_text(encoding="utf-8")
    assert report_html.main([str(d)]) == 0  # and the English one leaves the Dutch one alone
    assert '<html lang="nl">' in (d / "report_nl.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in english.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["run", "comparison"])
def test_the_report_opens_with_the_finding_then_the_key_table_then_the_warnings(dirs, kind):
    html = (dirs[kind] / report_html.REPORT).read_text(encoding="utf-8")
    at = {name: html.find(f'id="{name}"') for name in ("finding", "key-figures", "warnings")}
    assert -1 < at["finding"] < at["key-figures"] < at["warnings"] < html.find('id="fig-'), at
    found = html[at["finding"]:html.find("</div>", at["finding"])]
    if kind == "comparison":  # the paired difference of comparison.csv, in the reader's rounding
        row = pd.read_csv(dirs[kind] / "comparison.csv").query("workflow == 'integrated'").set_index("kpi")
        kpi = next(k for k in finding.HEADLINE if k in row.index and math.isfinite(row.at[k, "diff_mean"]))
        diff = row.at[kpi, "diff_mean"]
        assert f"{abs(diff):.{0 if abs(diff) >= 10 else 1}f} days {'later' if diff > 0 else 'earlier'}" in found \
            or "about equally fast" in found
    else:
        summary = pd.read_csv(dirs[kind] / "summary.csv").set_index("kpi")
        kpi = finding.headline_kpi(summary.reset_index())  # a restricted mean only some replications have is passed over
        assert kpi is not None and f"{summary.at[kpi, 'mean']:.0f} days [" in found
    warnings = html[at["warnings"]:html.find("</div>", at["warnings"])]
    assert "Only 3 replications, fewer than the 10" in warnings  # the tiny runs have 3


def test_the_dutch_report_has_no_english_warning_text(dirs, tmp_path):
    """A run whose Raad cannot carry its demand: its warnings in Dutch hold none of the English sentences' words
    and no raw pool id; the English report holds them (so the check can fail)."""
    from test_figures import build_run

    d = build_run(tmp_path / "shaky", ["staffing.rvdk.fte=1", "demand.scale=1.5"])
    english_fragments = set()
    for key in [k for k in style.TERMS if k.startswith(("w.", "f.", "r.single"))]:
        for piece in re.split(r"\{[^}]*\}", style.TERMS[key][0]):
            # phrases of two words and more (a setting such as run.replications= is the same in both)
            english_fragments |= {p.strip() for p in re.split(r"[():;,.=]", piece) if len(p.strip()) >= 12
                                  and " " in p.strip()}
    texts = {}
    for lang in ("en", "nl"):
        html = report_html.write_report(d, lang).read_text(encoding="utf-8")
        start = html.find('id="warnings"')
        assert start > -1, lang
        texts[lang] = html[start:html.find("</div>", start)]
    assert "cannot carry its demand" in texts["en"] and "kan de vraag niet dragen" in texts["nl"]
    assert [f for f in english_fragments if f in texts["en"]]
    assert [f for f in english_fragments if f in texts["nl"]] == []
    for raw in ("UNSTABLE", "SATURATED", "rvdk", "offered load", "waiting list", "replications,"):
        assert raw not in texts["nl"], raw


def test_sizing_capacity_and_backlog_tables_are_included_when_present(dirs, tmp_path):
    d = fresh_copy(dirs["run"], tmp_path / "run")
    SIZING_FIXTURE.to_csv(d / "sizing.csv", index=False)
    page = parse(report_html.write_report(d))
    ids = {a.get("id") for t, a in page.tags if t == "figure"}
    assert "fig-sizing_table" in ids
    assert "Staff sizing (sizing.csv)" in " ".join(page.text)
    # a table without a documented column: refused with one line naming the file and the column
    SIZING_FIXTURE.drop(columns=["kpi_mean"]).to_csv(d / "sizing.csv", index=False)
    with pytest.raises(report_html.ReportError, match=r"sizing\.csv: sizing\.csv lacks column 'kpi_mean'"):
        report_html.write_report(d)


# ====================================================================== directories the report must refuse


def _break(kind: str, d: Path) -> str:
    """Damage a copy of a good directory; return the text the one-line error must contain."""
    if kind == "no_marker":
        (d / output.MARKER).unlink()
        return "incomplete: no _COMPLETE.json"
    if kind == "garbage_marker":
        (d / output.MARKER).write_text("{not json")
        return "_COMPLETE.json: unreadable"
    if kind == "missing_table":
        (d / "families.parquet").unlink()
        return "families.parquet: missing"
    if kind == "truncated_summary":
        text = (d / "summary.csv").read_text()
        (d / "summary.csv").write_text(text[: len(text) // 2])
        return "summary.csv: corrupt"
    if kind == "altered_summary":
        text = (d / "summary.csv").read_text()
        (d / "summary.csv").write_text(text.replace("days", "dayz", 1))  # same size, other bytes
        return "summary.csv: corrupt (differs from what was written)"
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["no_marker", "garbage_marker", "missing_table", "truncated_summary",
                                  "altered_summary"])
def test_a_corrupt_or_partial_run_is_refused_in_one_line(dirs, tmp_path, capsys, kind):
    d = fresh_copy(dirs["run"], tmp_path / "run")
    expected = _break(kind, d)
    assert report_html.main([str(d)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("ketensim: error: ") and expected in err[0], err
    assert str(d) in err[0]
    assert not (d / report_html.REPORT).exists()


def test_a_comparison_without_one_of_its_workflows_is_refused(dirs, tmp_path, capsys):
    d = fresh_copy(dirs["comparison"], tmp_path / "compare")
    shutil.rmtree(d / "integrated")
    assert report_html.main([str(d)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "integrated: missing (the comparison lists workflow 'integrated')" in err[0]


def test_a_sweep_without_its_summary_and_a_foreign_directory_are_refused(dirs, tmp_path, capsys):
    d = fresh_copy(dirs["sweep"], tmp_path / "sweep")
    (d / "sweep_summary.csv").unlink()
    (d / "multirun.yaml").write_text("hydra: {}\n")
    assert report_html.main([str(d)]) == 2
    assert "a sweep without sweep_summary.csv (run: python -m sim.collect" in capsys.readouterr().err
    assert report_html.main([str(tmp_path)]) == 2
    assert "not a ketensim results directory" in capsys.readouterr().err
    assert report_html.main([str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such directory" in capsys.readouterr().err


def test_the_command_line_refuses_without_a_traceback(dirs, tmp_path):
    d = fresh_copy(dirs["run"], tmp_path / "run")
    (d / "timeseries.parquet").unlink()
    proc = subprocess.run([sys.executable, "-m", "sim.report", str(d)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "timeseries.parquet: missing" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_a_run_from_the_command_line_ends_with_its_report_path(tmp_path):
    """What `make run` does (python -m sim), on the demo region: the last lines are the reports' paths, English
    and Dutch side by side."""
    out = tmp_path / "run"
    proc = subprocess.run([sys.executable, "-m", "sim", "region=demo", "run.years=1", "run.warmup_years=0.5",
                           "run.replications=2", "run.event_log=false", f"hydra.run.dir={out}"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0].startswith("Today's chain in demo region") and " days [" in lines[0]  # the finding first
    assert any(line.startswith("WARNING: Only 2 replications, fewer than the 10") for line in lines)
    last = lines[-2:]
    assert last == [f"report: {out / report_html.REPORT}", f"report: {out / 'report_nl.html'}"]
    assert '<html lang="nl">' in (out / "report_nl.html").read_text(encoding="utf-8")
    page = parse(out / report_html.REPORT)
    summary = pd.read_csv(out / "summary.csv").set_index("kpi")
    cell = cells_by(page, table_id="key-figures")[("", "", "lead_time_help_km_median", "mean")]
    assert float(cell["data-value"]) == float(summary.at["lead_time_help_km_median", "mean"])
    marker = json.loads((out / output.MARKER).read_text())
    assert not {report_html.REPORT, "report_nl.html"} & set(marker["files"])  # made from the results, not part of them


def test_a_directory_of_sizing_capacity_and_backlog_tables_gets_its_own_report(dirs, tmp_path):
    """What python -m sim.size / sim.capacity / sim.backlog write: their tables, a configuration, a marker."""
    d = tmp_path / "size"
    d.mkdir()
    config = (dirs["run"] / "config_resolved.yaml").read_text()
    output.write_text(d / "config_resolved.yaml", config)
    output.write_results(d, {"sizing": SIZING_FIXTURE}, ["csv"], config, extra={"scenario": "sequential"})
    page = parse(report_html.write_report(d))
    ids = {a.get("id") for t, a in page.tags if t == "figure"}
    assert ids == {"fig-sizing_table"}
    assert "Staff sizing (sizing.csv)" in " ".join(page.text)
