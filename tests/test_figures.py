"""The charts (sim/plots): every figure from tiny real runs without a warning, the house style, and the numbers.

The inputs are made by the model itself, in this process, on the demo region (one year after half a year's
run-in, three replications): a comparison of today's chain and the integrated team (sim/analysis/compare.py), two small
sweeps written point by point and aggregated by sim/collect.py (GI FTE x caseload x workflow; demand x workflow),
and two runs from today's waiting lists with different Raad staffing (backlog drain). The sizing table has no
producer yet (issue 7, sim/size.py); its chart is drawn from a table with the documented columns
(docs/model.md, "Output tables") whose numbers are marked as test input, never shown as results.

Every test in this module runs with warnings as errors (``pytestmark``), which is what "without warnings" means.
"""

from __future__ import annotations

import itertools
import math
import re
import string
import struct
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import compose_cfg, make_model, shared_build
from omegaconf import OmegaConf

from sim.analysis import collect, compare, derived
from sim.chain import kpis
from sim.kernel import stats
from sim.report import figures, style
from sim.run import output, runner

pytestmark = pytest.mark.filterwarnings("error")

BASE = ["region=demo", "run.years=1", "run.warmup_years=0.5", "run.quiet=true"]
TINY = [*BASE, "run.replications=3"]


# ====================================================================== tiny results, made by the model


def build_comparison(directory: Path) -> Path:
    """A comparison directory exactly as ``python -m sim +experiment=compare_workflows`` writes it."""
    if not (directory / output.MARKER).is_file():
        cfg = compose_cfg([*TINY, "+experiment=compare_workflows", "compare.workflows=[integrated]",
                           "run.event_log=false"])
        compare.execute(cfg, directory)
    return directory


def build_run(directory: Path, extra: list[str] | None = None, base: list[str] | None = None) -> Path:
    """A run directory as ``python -m sim`` writes it (sim.cli.execute without Hydra's own folders and
    without the report, which the report tests make themselves)."""
    if (directory / output.MARKER).is_file():
        return directory
    from sim.cli import assumptions_table

    overrides = [*(TINY if base is None else base), "run.event_log=false", *(extra or [])]
    cfg = compose_cfg(overrides)
    model = make_model(overrides)
    results = runner.run(model, jobs=1, progress=False)
    tables = results.tables()
    tables["assumptions"] = assumptions_table(cfg, model, scenario_file=model.scenario.name)
    directory.mkdir(parents=True, exist_ok=True)
    yaml = OmegaConf.to_yaml(cfg)
    output.write_text(directory / "config_resolved.yaml", yaml)
    output.write_results(directory, tables, ["parquet", "csv"], yaml,
                         extra={"scenario": model.scenario.name, "region": model.region_name,
                                "replications": model.run.replications})
    return directory


def build_sweep(directory: Path, grid: dict[str, list], base: list[str]) -> Path:
    """A sweep directory: one point directory per combination (runs table, config snapshot, Hydra's
    overrides.yaml, completion marker), aggregated by sim.collect exactly as after ``python -m sim -m``."""
    if (directory / "sweep_summary.csv").is_file():
        return directory
    keys = list(grid)
    for values in itertools.product(*(grid[k] for k in keys)):
        point = [f"{k}={v}" for k, v in zip(keys, values)]
        point_dir = directory / ",".join(sorted(point))
        build_run(point_dir, point, base)
        (point_dir / ".hydra").mkdir(parents=True, exist_ok=True)
        (point_dir / ".hydra" / "overrides.yaml").write_text(OmegaConf.to_yaml(OmegaConf.create(point)))
    collect.collect(directory)
    return directory


SWEEP_BASE = [*BASE, "run.replications=2"]
STAFFING_GRID = {"staffing.gi.fte": [30, 38], "staffing.gi.caseload": [12, 15], "scenario": ["sequential", "integrated"]}
DEMAND_GRID = {"demand.scale": [0.8, 1.4, 2.2], "scenario": ["sequential", "integrated"]}


@pytest.fixture(scope="module")
def comparison_dir(tmp_path_factory) -> Path:
    return shared_build(tmp_path_factory, "comparison", build_comparison)


@pytest.fixture(scope="module")
def staffing_sweep(tmp_path_factory) -> pd.DataFrame:
    d = shared_build(tmp_path_factory, "staffing_sweep", lambda d: build_sweep(d, STAFFING_GRID, SWEEP_BASE))
    return pd.read_csv(d / "sweep_summary.csv")


@pytest.fixture(scope="module")
def demand_sweep(tmp_path_factory) -> pd.DataFrame:
    d = shared_build(tmp_path_factory, "demand_sweep", lambda d: build_sweep(d, DEMAND_GRID, SWEEP_BASE))
    return pd.read_csv(d / "sweep_summary.csv")


@pytest.fixture(scope="module")
def backlog_runs() -> dict[float, pd.DataFrame]:
    """Runs from the demo region's waiting lists today (run.start=today) with the Raad at 6 and 8 FTE."""
    out = {}
    for extra, fte in ((0.0, 6), (2.0, 8)):
        model = make_model([*TINY, "run.start=today", "run.event_log=false", f"staffing.rvdk.fte={fte}"])
        out[extra] = runner.run(model, jobs=1, progress=False).timeseries
    return out


def meta(lang: str = "en", workflows=("sequential", "integrated"), start: str = "empty") -> figures.Meta:
    return figures.Meta("demo", tuple(workflows), 3, 1.0, 0.0 if start == "today" else 0.5, start, "2024-01-01", lang)


# Test input for the sizing chart only (no producer exists yet): the documented columns, values marked as such.
SIZING_FIXTURE = pd.DataFrame({
    "workflow": ["sequential", "sequential"], "organisation": ["veilig_thuis", "gi"], "fte_today": [9.0, 34.0],
    "fte_needed": [10.0, 36.0], "kpi": ["lead_time_help_p90", "lead_time_help_p90"], "target": [120.0, 120.0],
    "kpi_mean": [110.0, 115.0], "kpi_ci_low": [100.0, 108.0], "kpi_ci_high": [118.0, 119.5],
    "kpi_one_less_mean": [131.0, 127.0]})


def all_charts(comparison_dir: Path, staffing_sweep, demand_sweep, backlog_runs, lang: str) -> list[style.Chart]:
    wfs = ("sequential", "integrated")
    fam = {w: pd.read_parquet(comparison_dir / w / "families.parquet") for w in wfs}
    ts = {w: pd.read_parquet(comparison_dir / w / "timeseries.parquet") for w in wfs}
    summ = {w: pd.read_csv(comparison_dir / w / "summary.csv") for w in wfs}
    cfg = OmegaConf.to_container(OmegaConf.load(comparison_dir / "config_resolved.yaml"))
    m = meta(lang)
    return [
        figures.lead_time_ecdf(fam, cfg["norms"], m),
        figures.waiting_lists(ts, m),
        figures.handoffs_stories(summ, fam, m),
        figures.staff_hours(summ, m),
        figures.paired_differences(pd.read_csv(comparison_dir / "comparison.csv"), "integrated", m),
        figures.p90_against_fte(staffing_sweep, m),
        figures.staffing_heatmap(staffing_sweep, m),
        figures.capacity_curve(derived.capacity_from_sweep(demand_sweep), m),
        figures.backlog_drain(derived.backlog_from_timeseries(backlog_runs, "sequential", "rvdk"), meta(lang, ("sequential",), "today")),
        figures.sizing_table(SIZING_FIXTURE, meta(lang, ("sequential",))),
    ]


# ====================================================================== every figure, every format


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_every_figure_is_made_from_tiny_runs_without_warnings(comparison_dir, staffing_sweep, demand_sweep,
                                                              backlog_runs, tmp_path, lang):
    charts = all_charts(comparison_dir, staffing_sweep, demand_sweep, backlog_runs, lang)
    names = [c.name for c in charts]
    assert names == ["lead_time_ecdf", "waiting_lists", "handoffs_stories", "staff_hours", "paired_integrated",
                     "p90_against_fte", "staffing_heatmap", "capacity_curve", "backlog_drain", "sizing_table"]
    formats = style.FORMATS if lang == "en" else ("png",)  # the vector formats once: they take most of the time
    for chart in charts:
        written = style.save(chart, tmp_path / lang, formats)
        suffixes = sorted(p.suffix for p in written)
        assert suffixes == sorted([".csv", ".txt", *(f".{f}" for f in formats)]), chart.name
        png = (tmp_path / lang / f"{chart.name}.png").read_bytes()
        width, height = _png_size(png)
        # 200 dpi: the pixel size is the figure's size in inches x 200
        assert (width, height) == (round(chart.figure.get_figwidth() * style.DPI),
                                   round(chart.figure.get_figheight() * style.DPI)), chart.name
        if lang == "en":
            assert (tmp_path / lang / f"{chart.name}.pdf").read_bytes()[:5] == b"%PDF-"
            assert "<svg" in (tmp_path / lang / f"{chart.name}.svg").read_text()[:2000]
        caption = (tmp_path / lang / f"{chart.name}.txt").read_text()
        assert style.region_label("demo", lang).lower() in caption.lower(), chart.name
        if chart.name != "sizing_table":  # what the band or bar means, and over how many replications
            assert "95%" in caption, chart.name
            assert re.search(r"\b[23] (replications|replicaties)\b", caption), chart.name


def test_a_figure_saves_the_same_bytes_twice(comparison_dir, tmp_path):
    """SVG and PDF carry no date and stable ids: re-making a figure changes no file (clean diffs of results)."""
    fam = {"sequential": pd.read_parquet(comparison_dir / "sequential" / "families.parquet")}
    cfg = OmegaConf.to_container(OmegaConf.load(comparison_dir / "config_resolved.yaml"))
    for sub in ("a", "b"):
        style.save(figures.lead_time_ecdf(fam, cfg["norms"], meta(workflows=("sequential",))), tmp_path / sub)
    for suffix in ("png", "svg", "pdf"):
        assert (tmp_path / "a" / f"lead_time_ecdf.{suffix}").read_bytes() == \
            (tmp_path / "b" / f"lead_time_ecdf.{suffix}").read_bytes(), suffix


# ====================================================================== the numbers drawn


def _share_helped_by(g: pd.DataFrame, day: float, window_days: float) -> float:
    """1 - the Kaplan-Meier survival at ``day`` of the lead time to help, written out from the families table
    (not through sim's estimator): episodes helped, plus those still open at the end without help censored at
    window - arrival; episodes closed without help left out."""
    lead = g["lead_time_help"].to_numpy(dtype=float)
    helped = np.isfinite(lead)
    waiting = g["censored"].to_numpy(dtype=bool) & ~helped
    durations = np.concatenate([lead[helped], window_days - g["arrival"].to_numpy(dtype=float)[waiting]])
    events = np.concatenate([np.ones(helped.sum(), dtype=bool), np.zeros(waiting.sum(), dtype=bool)])
    survival = 1.0
    for u in sorted(set(durations[events & (durations <= day)])):
        at_risk = int((durations >= u).sum())  # a family censored at u was still waiting at u
        survival *= 1.0 - int((events & (durations == u)).sum()) / at_risk
    return (1.0 - survival) * 100.0


def test_the_lead_time_curve_is_one_minus_kaplan_meier_with_the_waiting_families(comparison_dir):
    fam = pd.read_parquet(comparison_dir / "sequential" / "families.parquet")
    cfg = OmegaConf.to_container(OmegaConf.load(comparison_dir / "config_resolved.yaml"))
    m = figures.Meta.from_config(cfg, ("sequential",))
    chart = figures.lead_time_ecdf({"sequential": fam}, cfg["norms"], m)
    curve = chart.data
    own = fam[~fam["preexisting"].astype(bool)]
    window = float(cfg["run"]["years"]) * 365.0
    # the test would not tell the two curves apart if nobody were still waiting for help at the end
    assert (own["censored"] & own["lead_time_help"].isna()).any()
    apart = 0
    for day in (7.0, 30.0, 90.0, 152.0):
        row = curve.iloc[(curve["days"] - day).abs().argmin()]
        t = float(row["days"])
        per_rep = [_share_helped_by(g, t, window) for _, g in own.groupby("replication")]
        mean, low, high, _ = stats.confidence_interval(np.array(per_rep))
        assert row["share_helped_pct_mean"] == pytest.approx(mean, abs=1e-9)
        assert row["ci_low"] == pytest.approx(low, abs=1e-9) and row["ci_high"] == pytest.approx(high, abs=1e-9)
        # the thin line: the empirical CDF of the completed episodes only
        completed = [float((g["lead_time_help"].dropna() <= t).mean()) * 100 for _, g in own.groupby("replication")]
        assert row["share_helped_completed_pct_mean"] == pytest.approx(float(np.mean(completed)), abs=1e-9)
        apart += abs(row["share_helped_completed_pct_mean"] - row["share_helped_pct_mean"]) > 1e-6
    assert apart > 0
    # the legend's numbers are the summary's Kaplan-Meier median and p90 (means over replications), and say so
    summary = pd.read_csv(comparison_dir / "sequential" / "summary.csv").set_index("kpi")["mean"]
    legend = [t.get_text() for t in chart.figure.legends[0].get_texts()]
    assert f"{summary[kpis.LEAD_TIME_HELP_KM_MEDIAN]:.0f}" in legend[0]
    assert f"{summary[kpis.LEAD_TIME_HELP_KM_P90]:.0f}" in legend[0]
    assert "waiting families included" in legend[0] and any("completed episodes only" in t for t in legend)
    footer = " ".join(t.get_text() for t in chart.figure.texts)
    assert "Kaplan-Meier" in footer


def test_the_waiting_list_band_is_the_ci_over_replications_of_the_organisations_pools(comparison_dir):
    ts = pd.read_parquet(comparison_dir / "sequential" / "timeseries.parquet")
    chart = figures.waiting_lists({"sequential": ts}, meta(workflows=("sequential",)))
    vt = chart.data[(chart.data["organisation"] == "veilig_thuis")].reset_index(drop=True)
    pools = ts[ts["organisation"] == "veilig_thuis"]
    assert set(pools["pool"]) == {"veilig_thuis.triage", "veilig_thuis.casus"}  # both pools summed
    busiest = pools.groupby("t_start")["waiting"].sum().idxmax()
    per_rep = pools[pools["t_start"] == busiest].groupby("replication")["waiting"].sum().to_numpy()
    mean, low, high, _ = stats.confidence_interval(per_rep)
    length = float(pools.loc[pools["t_start"] == busiest, "length_days"].max())
    row = vt[np.isclose(vt["day"], busiest + length / 2)].iloc[0]  # drawn at the middle of its week
    assert row["mean"] == pytest.approx(mean) and row["ci_high"] == pytest.approx(high)
    assert row["ci_low"] == pytest.approx(max(low, 0.0))


def test_the_paired_chart_draws_comparison_csv(comparison_dir):
    comparison = pd.read_csv(comparison_dir / "comparison.csv")
    chart = figures.paired_differences(comparison, "integrated", meta())
    expected = comparison[comparison["workflow"] == "integrated"].set_index("kpi")
    for _, row in chart.data.iterrows():
        for col in ("diff_mean", "diff_ci_low", "diff_ci_high", "mean_baseline", "mean_workflow"):
            assert row[col] == expected.at[row["kpi"], col] or (math.isnan(row[col]) and math.isnan(expected.at[row["kpi"], col]))
    assert "lead_time_help_km_p90" in set(chart.data["kpi"]) and "stories_told_per_family" in set(chart.data["kpi"])


def test_capacity_from_a_demand_sweep_flags_the_growing_waiting_lists(demand_sweep):
    cap = derived.capacity_from_sweep(demand_sweep)
    assert list(cap.columns[:6]) == list(derived.CAPACITY.required)
    assert len(cap) == len(demand_sweep) == 6
    assert (cap["kpi"] == kpis.LEAD_TIME_HELP_KM_P90).all()  # families still waiting count, by default
    for _, r in cap.iterrows():
        point = demand_sweep[(demand_sweep["scenario"] == r["workflow"]) & (demand_sweep["demand.scale"] == r["demand_scale"])]
        flags = point[[c for c in point.columns if c.startswith("unstable.") and c.endswith(".mean")]]
        assert bool(r["unstable"]) == bool((flags >= 0.5).any(axis=1).iloc[0])
        assert r["mean"] == point[f"{kpis.LEAD_TIME_HELP_KM_P90}.mean"].iloc[0] or (
            math.isnan(r["mean"]) and math.isnan(point[f"{kpis.LEAD_TIME_HELP_KM_P90}.mean"].iloc[0]))
    # 2.2 x the demo demand overloads an organisation in today's chain (its waiting list grows through the run)
    assert cap[(cap["workflow"] == "sequential") & (cap["demand_scale"] == 2.2)]["unstable"].iloc[0]
    assert not cap[cap["demand_scale"] == 0.8]["unstable"].any()


def test_backlog_table_has_the_documented_columns_and_drains_faster_with_more_staff(backlog_runs):
    table = derived.backlog_from_timeseries(backlog_runs, "sequential", "rvdk")
    assert set(derived.BACKLOG.required) <= set(table.columns)
    raad = table[table["organisation"] == "rvdk"]
    # the demo region starts with 16 children waiting for the Raad; 2 more FTE empty that list sooner
    first_weeks = raad[raad["day"] < 60].groupby("extra_fte")["waiting_mean"].mean()
    assert first_weeks[2.0] < first_weeks[0.0]


# ====================================================================== the house style


def _orgs_and_workflows() -> tuple[list[str], list[str]]:
    from sim.chain.entities import ORGS
    from sim.scenarios import WORKFLOWS

    return [*ORGS, "veiligheidsteam", "expertise"], list(WORKFLOWS)


def test_every_organisation_and_workflow_has_its_own_colour_and_both_labels():
    """Fails when a workflow or organisation is added without a place in the house style."""
    orgs, workflows = _orgs_and_workflows()
    for names, colours in ((orgs, style.ORG_COLOURS), (workflows, style.WORKFLOW_COLOURS)):
        assert set(names) <= set(colours), sorted(set(names) - set(colours))
        chosen = [colours[n] for n in names]
        assert len(set(chosen)) == len(chosen), "two share a colour"
        assert style.OKABE_ITO["yellow"] not in chosen  # unreadable on white
    for name in workflows:
        assert style.has_term(f"wf.{name}") and name in style.WORKFLOW_DASHES and name in style.WORKFLOW_MARKERS
    for org in orgs:
        assert style.has_term(f"org.{org}") and style.has_term(f"unit.{org}") and style.has_term(f"orgs.{org}")


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of linear sRGB."""
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = linear_rgb @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


# Dichromat simulation on linear sRGB (Viénot, Brettel & Mollon 1999, Color Res. Appl. 24:243).
DICHROMAT = {
    "protanopia": np.array([[0.11238, 0.88762, 0.0], [0.11238, 0.88762, 0.0], [0.00401, -0.00401, 1.0]]),
    "deuteranopia": np.array([[0.29275, 0.70725, 0.0], [0.29275, 0.70725, 0.0], [-0.02234, 0.02234, 1.0]]),
}
MIN_DELTA_E = 12.0  # CIE76; ~2.3 is just noticeable, 10+ tells two lines of a chart apart at a glance


@pytest.mark.parametrize("vision", ["normal", *DICHROMAT])
def test_the_colours_stay_apart_for_colour_blind_readers(vision):
    orgs, workflows = _orgs_and_workflows()
    for names, colours in ((orgs, style.ORG_COLOURS), (workflows, style.WORKFLOW_COLOURS)):
        rgb = np.array([[int(colours[n][i:i + 2], 16) / 255 for i in (1, 3, 5)] for n in names])
        lin = _srgb_to_linear(rgb)
        if vision != "normal":
            lin = np.clip(lin @ DICHROMAT[vision].T, 0, 1)
        lab = _lab(lin)
        worst = min(float(np.linalg.norm(lab[i] - lab[j])) for i, j in itertools.combinations(range(len(names)), 2))
        assert worst >= MIN_DELTA_E, (vision, names, worst)


def test_every_term_exists_in_both_languages_with_the_same_placeholders():
    fields = lambda text: {f for _, f, _, _ in string.Formatter().parse(text) if f}  # noqa: E731
    for key, (en, nl) in style.TERMS.items():
        assert en.strip() and nl.strip(), key
        assert fields(en) == fields(nl), key


def test_dutch_figures_speak_dutch_with_a_decimal_comma(comparison_dir):
    fam = {"sequential": pd.read_parquet(comparison_dir / "sequential" / "families.parquet")}
    cfg = OmegaConf.to_container(OmegaConf.load(comparison_dir / "config_resolved.yaml"))
    chart = figures.lead_time_ecdf(fam, cfg["norms"], meta("nl", ("sequential",)))
    ax = chart.figure.axes[0]
    assert ax.get_xlabel() == "Dagen sinds de melding"
    texts = " ".join(t.get_text() for t in chart.figure.findobj(lambda a: hasattr(a, "get_text")))
    assert "How long" not in texts and "Hoe lang" in texts
    assert style.fmt_number(1234.5, "nl", 1) == "1.234,5" and style.fmt_number(1234.5, "en", 1) == "1,234.5"
    assert style.fmt_number(-0.25, "nl") == "−0,25"
    chart.figure.canvas.draw()  # tick labels exist once drawn
    ticks = [t.get_text() for t in ax.xaxis.get_ticklabels()]
    assert ticks and all("." not in t for t in ticks)


def test_an_unknown_language_is_a_one_line_error():
    from sim.chain.checks import ConfigError

    with pytest.raises(ConfigError, match=r"^lang = 'fr' \(allowed: en, nl\)$"):
        style.term("t.lead_time", "fr")


# ====================================================================== bad tables


@pytest.mark.parametrize("draw,table,column", [
    (figures.sizing_table, SIZING_FIXTURE.drop(columns=["fte_needed"]), "fte_needed"),
    (figures.capacity_curve, pd.DataFrame({"workflow": ["sequential"], "demand_scale": [1.0]}), "kpi"),
    (figures.backlog_drain, pd.DataFrame({"organisation": ["gi"]}), "extra_fte"),
])
def test_a_table_without_a_documented_column_is_refused_in_one_line(draw, table, column):
    with pytest.raises(derived.FigureDataError) as err:
        draw(table, meta())
    message = str(err.value)
    assert "\n" not in message and repr(column) in message and ".csv lacks column" in message


def test_a_sweep_without_a_staffing_key_cannot_draw_fte_charts(demand_sweep):
    with pytest.raises(derived.FigureDataError, match="no swept staffing"):
        figures.p90_against_fte(demand_sweep, meta())
