"""The KPI registry (sim/chain/kpis.py) is the one home of every KPI: its name, unit, description and the lists it is in.

Three promises, each checked against what the code does rather than against a copy of the registry:
- every KPI column a run writes is declared with a unit and a description (a tiny demo run, and the runs tables of
  every pinned golden case: each workflow, a region with several organisations of a kind, staff dynamics);
- every list a command shows is the registry's list, in its order (the console summary of a run, the printed
  comparison, the report's key figures and sweep columns, sizing targets, backlog pools, the paired chart);
- no module of sim/ spells a KPI name: its constant in sim/chain/kpis.py is the only place (an AST scan of sim/).
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import cli
from sim.analysis import backlog, compare, size
from sim.chain import kpis, tables
from sim.chain.entities import WAIT_ORGS
from sim.config.schema import KetensimSchema
from sim.report import figures, html
from sim.run import runner
from tests.conftest import make_model

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden.json"
NOT_KPIS = {"scenario", "replication"}  # the keys of a runs row


@pytest.fixture(scope="module")
def demo_run() -> tuple:
    model = make_model(["region=demo", "run.start=empty", "run.years=1", "run.warmup_years=0.5",
                        "run.replications=2", "run.quiet=true"])
    results = runner.run(model, progress=False)
    return model, results


def _undeclared(columns) -> list[str]:
    out = []
    for column in columns:
        if column in NOT_KPIS:
            continue
        kpi = kpis.find(column)
        if kpi is None or not kpi.unit or not kpi.description:
            out.append(column)
    return out


def test_every_kpi_of_a_run_is_declared_with_a_unit_and_a_description(demo_run):
    _, results = demo_run
    columns = list(results.runs.columns)
    assert len(columns) > 50
    missing = _undeclared(columns)
    assert not missing, f"runs columns without a declaration, unit or description in sim/chain/kpis.py: {missing}"
    summary = results.tables()["summary"].set_index("kpi")
    for column in columns:
        if column not in NOT_KPIS:  # the summary writes the registry's unit and description
            assert summary.at[column, "unit"] == kpis.unit(column)
            assert summary.at[column, "description"] == kpis.description(column)


def test_every_kpi_of_every_pinned_case_is_declared():
    """The golden cases' runs tables (test_golden.py keeps them current): every workflow, Gelderland's organisations
    (``share_gi_within_norm[william_schrikker]``, ``wait_mean.gi[leger_des_heils]``) and staff dynamics
    (``paper_fte_mean.gi``, ``available_fte_mean.gi``)."""
    cases = json.loads(GOLDEN.read_text())["cases"]
    columns = sorted({c for entry in cases.values() for c in entry["kpis"]})
    assert any("[" in c for c in columns) and any(c.startswith("paper_fte_mean.") for c in columns)
    missing = _undeclared(columns)
    assert not missing, f"KPIs of the golden cases without a declaration, unit or description: {missing}"


def test_a_comparison_declares_its_own_kpis(demo_run):
    model, results = demo_run
    frame = compare.kpi_frame(results, model)
    missing = _undeclared(frame.columns)
    assert not missing, f"comparison KPIs without a declaration, unit or description: {missing}"
    assert kpis.FTE_TOTAL in frame.columns and any(c.startswith("waiting_list_org.") for c in frame.columns)


def test_resolution_of_pool_and_organisation_columns():
    assert kpis.find("wait_mean.veilig_thuis.triage") is kpis.get(kpis.WAIT_MEAN)
    assert kpis.find("waiting_list_mean.gi[william_schrikker]") is kpis.get(kpis.WAITING_LIST_MEAN)
    assert kpis.find("share_gi_within_norm[william_schrikker]") is kpis.get(kpis.SHARE_GI_WITHIN_NORM)
    assert kpis.find("wait_mean") is None  # a per-pool KPI's head alone is no column
    assert kpis.find("lead_time_help_mean.gi") is None  # nor is a KPI of the whole chain with a pool
    assert kpis.find("no_such_kpi") is None and kpis.unit("no_such_kpi") == ""
    with pytest.raises(KeyError, match="no_such_kpi"):
        kpis.get("no_such_kpi")
    assert kpis.pool_of("unstable.veilig_thuis.triage", kpis.UNSTABLE) == "veilig_thuis.triage"
    assert kpis.pool_of("utilisation.gi", kpis.UNSTABLE) is None


def test_declarations_are_consistent():
    for kpi in kpis.every():
        assert kpi.unit and kpi.description, kpi.name
        assert kpi.better in (kpis.HIGHER, kpis.LOWER, ""), kpi.name
        if kpi.norm is not None:  # a norm share is better when higher and judges a duration
            assert kpi.unit == kpis.SHARE and kpi.better == kpis.HIGHER and kpi.duration, kpi.name
    for tag in kpis.TAGS:
        members = kpis.tagged(tag)
        assert members, tag
        positions = [k.at[tag] for k in members if tag in k.at]
        if positions:  # an ordered list numbers every member once: 1..n
            assert sorted(positions) == list(range(1, len(members) + 1)), tag
    with pytest.raises(ValueError, match="tag"):
        kpis.tagged("no_such_tag")


# ====================================================================== every list is a query of the registry


def test_the_console_summary_prints_the_printed_kpis_in_order(demo_run):
    model, results = demo_run
    summary = results.tables()["summary"]
    shown = [line.split()[0] for line in cli.format_summary(summary, model).splitlines()[1:]]
    printed = kpis.tagged("printed")
    named = [k.name for k in printed if not k.per_pool]
    pools = [k for k in summary["kpi"] if any(k.startswith(p.prefix) for p in printed if p.per_pool)]
    assert shown == named + pools
    assert set(named) <= set(summary["kpi"]) and pools  # the demo run has every one of them


def test_the_printed_comparison_shows_the_compared_kpis_in_order(demo_run):
    model, results = demo_run
    frame = compare.kpi_frame(results, model)
    other = frame.copy()
    other[kpis.LEAD_TIME_HELP_MEAN] += 1.0
    table = compare.paired(frame, other, "sequential", "other")
    shown = [line.split()[0] for line in compare.format_comparison(table, "other").splitlines()[1:]]
    waiting = sorted(c for c in frame.columns if c.startswith(kpis.get(kpis.WAITING_LIST_ORG).prefix))
    expected = [n for n in kpis.names("compared") if n in frame.columns and not kpis.get(n).per_pool]
    fte = expected.pop()  # fte_total comes after the organisations' waiting lists
    assert fte == kpis.FTE_TOTAL
    assert shown == expected + waiting + [fte]
    assert kpis.rows("compared", table["kpi"]) == shown


def test_reports_sizing_backlog_and_charts_ask_the_registry():
    assert html.HEADLINE == kpis.names("headline")
    assert html.SWEEP_KPIS == kpis.names("swept")
    assert size.SHARES == kpis.names("sizable") and size.KPIS == (*kpis.LEAD_TIMES, *kpis.names("sizable"))
    assert all(kpis.get(k).norm for k in size.SHARES)
    assert backlog.NORMED_POOLS == kpis.normed_pools()
    assert list(backlog.NORMED_POOLS) == ["veilig_thuis.triage", "rvdk", "gi"]
    charted = [k for _, group, _, _ in figures.PAIRED_GROUPS for k in group]
    assert charted == list(kpis.names("paired"))
    for _, group, factor, direction in figures.PAIRED_GROUPS:
        for name in group:
            kpi = kpis.get(name)
            assert direction == (1 if kpi.better == kpis.HIGHER else -1)
            assert factor == (100.0 if kpi.unit == kpis.SHARE else 1.0)


def test_kind_totals_sum_the_summed_kpis():
    """The kind-level pool KPIs of a region with organisations: the ``summed`` ones add up (a toy pair of pools)."""

    class Stats:
        def __init__(self, waiting: float) -> None:
            self.buckets = [(0.0, 10.0, waiting, 1.0, 2.0, 1, 1)] * 8
            self.arrivals, self.starts, self.wait_sum, self.hold_sum, self.holds = 4, 4, 2.0, 8.0, 4
            self.spent = 3.0

    class Pool:
        def __init__(self, name: str, waiting: float) -> None:
            self.name, self.queued, self.stats = name, waiting, Stats(waiting)
            self.fte_per_place = 0.1

    pools = {n: Pool(n, w) for n, w in (("gi[a]", 1.0), ("gi[b]", 3.0))}
    out = tables.pool_kpis(pools, 365.0)
    for kpi in kpis.tagged("summed"):
        assert out[kpi.of("gi")] == pytest.approx(out[kpi.of("gi[a]")] + out[kpi.of("gi[b]")], rel=1e-12)
    assert out[kpis.of(kpis.WAITING_LIST_MEAN, "gi")] == pytest.approx(4.0, rel=1e-12)


def test_clip_interval_follows_the_registry_unit():
    values = np.array([0.9, 1.0])
    assert tables.clip_interval(kpis.SHARE_TRIAGE_WITHIN_NORM, values, 0.5, 1.3) == (0.5, 1.0)
    assert tables.clip_interval(kpis.LEAD_TIME_HELP_MEAN, values, -0.5, 1.3) == (0.0, 1.3)


# ====================================================================== one home per name


def _spells_a_kpi(text: str) -> bool:
    """A string that is a KPI name, a KPI of one organisation (``name[``), or a per-pool KPI's column or prefix
    (``wait_mean.`` in ``f"wait_mean.{pool}"``, ``utilisation.gi``). A per-pool head followed by something that is
    no organisation is another thing (``capacity.kpi``, a config field; ``capacity.csv``, a file)."""
    for kpi in kpis.every():
        if not kpi.per_pool and (text == kpi.name or text.startswith(kpi.name + "[")):
            return True
        if kpi.per_pool and text.startswith(kpi.prefix):
            rest = text[len(kpi.prefix):]
            if not rest and kpi.prefix.rstrip(".") in CONFIG_SECTIONS:
                continue  # "capacity." alone is also the config section capacity.* (sim.capacity's bounds)
            if not rest or rest.split(".", 1)[0].split("[", 1)[0] in (*WAIT_ORGS, "expertise"):
                return True
    return False


CONFIG_SECTIONS = {f.name for f in dataclasses.fields(KetensimSchema)}  # top-level config sections: run, capacity, ...


def test_the_scan_finds_kpi_names():
    assert _spells_a_kpi("share_triage_within_norm") and _spells_a_kpi("gi_wait_mean[")
    assert _spells_a_kpi("unstable.") and _spells_a_kpi("waiting_list_mean.veilig_thuis.triage")
    assert not _spells_a_kpi("capacity.kpi = ") and not _spells_a_kpi("capacity.csv")
    assert not _spells_a_kpi("capacity.")  # the config section of sim.capacity, whose name the KPI prefix shares
    assert not _spells_a_kpi("kpi.share_triage_within_norm") and not _spells_a_kpi("lead_time_help")


def test_no_module_spells_a_kpi_name():
    """Every KPI name is spelled once, in sim/chain/kpis.py; other modules use its constants and queries. Docstrings and
    comments may name KPIs in prose: only string constants that *are* a name count."""
    offenders = []
    for path in sorted((ROOT / "sim").rglob("*.py")):
        if path == Path(kpis.__file__):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _spells_a_kpi(node.value):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not offenders, ("KPI names spelled outside sim/chain/kpis.py (use its constants, e.g. kpis.GI_WAIT_MEAN, or "
                           "its queries, e.g. kpis.of(kpis.WAIT_MEAN, pool)):\n" + "\n".join(offenders))


def test_the_registry_is_a_leaf():
    """sim/chain/kpis.py imports nothing of sim but the entity names, so any layer may ask it."""
    tree = ast.parse((Path(kpis.__file__)).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert {m for m in imported if m.startswith("sim")} <= {"sim.chain.entities"}


def test_summary_units_come_from_the_registry():
    runs = pd.DataFrame({"scenario": ["s", "s"], "replication": [0, 1],
                         kpis.FAMILIES_PER_YEAR: [1.0, 2.0], kpis.of(kpis.CAPACITY, "gi"): [3.0, 3.0]})
    summary = tables.summarise(runs).set_index("kpi")
    assert summary.at[kpis.FAMILIES_PER_YEAR, "unit"] == kpis.PER_YEAR
    assert summary.at["capacity.gi", "unit"] == kpis.PLACES
