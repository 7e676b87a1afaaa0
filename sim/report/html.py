"""``python -m sim.report DIR [--lang en|nl]``: one self-contained HTML report of a run, a comparison or a sweep.

Each language has its own file, side by side: ``report.html`` (English) and ``report_nl.html`` (Dutch); the
commands that write a report write both (:func:`write_reports`).

Who reads it: a policy adviser who mails it on, a Member of Parliament who opens it from the mail. So the report
is ONE file (``DIR/report.html``): the charts are embedded as PNG (base64), there is no script, no web font and no
link to anything that would have to load. It holds

- the key figures with their 95 % confidence intervals, taken digit for digit from ``summary.csv`` (every number
  cell carries the exact value in ``data-value``; tests/test_report.py checks them against the file);
- the charts of sim/report/figures.py, each with its caption (scenario, region, replications, what a band means);
- the paired differences (``comparison.csv``) or the sweep's points (``sweep_summary.csv``);
- the sizing, capacity and backlog tables of docs/model.md ("Output tables") when the directory holds them;
- the configuration in force (``config_resolved.yaml``), every assumed value (``assumptions.csv``) and the data
  sources (the ``source:``/``derived:``/``calibrated:`` comments beside the values in ``conf/``, sim/config/provenance.py);
- the command that reproduces the directory.

What kind of directory: a run and a comparison end with ``_COMPLETE.json`` (sim/run/output.py; a comparison's marker
lists ``comparison``); a sweep directory holds ``sweep_summary.csv`` (sim/collect.py). A directory that is
incomplete, corrupt or lacks a table the report needs is refused with one line naming it (exit status 2), never a
traceback and never a report that silently leaves something out.
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import shlex
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from markupsafe import Markup

from sim.analysis import costs, derived
from sim.chain import kpis
from sim.config import provenance
from sim.report import figures, finding, page, style
from sim.report import uncertainty as how_sure
from sim.report.style import term
from sim.run import output
from sim.run.progress import Bar

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
REPORT = "report.html"
OPTIONAL_TABLES = ("sizing.csv", "capacity.csv", "backlog_drain.csv")  # docs/model.md, "Output tables"

# The key figures a reader sees first (every KPI is in the full table below them), and a sweep's columns
HEADLINE: tuple[str, ...] = kpis.names("headline")
SWEEP_KPIS: tuple[str, ...] = kpis.names("swept")


class ReportError(Exception):
    """A directory the report cannot be made from; ``str(err)`` is one line naming what is wrong."""


# ====================================================================== reading a results directory


def _read(directory: Path, name: str, columns: Sequence[str] | None = None, prefer: str = "parquet") -> pd.DataFrame:
    """Table ``name`` of ``directory`` (Parquet or CSV, whichever was written; ``prefer`` first)."""
    order = ("parquet", "csv") if prefer == "parquet" else ("csv", "parquet")
    for fmt in order:
        path = directory / f"{name}.{fmt}"
        if not path.is_file():
            continue
        try:
            if fmt == "parquet":
                return pd.read_parquet(path, columns=list(columns) if columns else None)
            return pd.read_csv(path, usecols=list(columns) if columns else None)
        except Exception as err:  # noqa: BLE001 - any parse failure: the file is not what the run wrote
            raise ReportError(f"{path}: unreadable ({type(err).__name__}: {str(err).splitlines()[0][:120]})") from None
    raise ReportError(f"{directory / name}.csv: missing (the report needs the {name} table)")


def _config(directory: Path) -> dict:
    path = directory / "config_resolved.yaml"
    if not path.is_file():
        raise ReportError(f"{path}: missing (the report shows the configuration in force)")
    from omegaconf import OmegaConf

    try:
        data = OmegaConf.to_container(OmegaConf.load(path), resolve=False)
    except Exception as err:  # noqa: BLE001
        raise ReportError(f"{path}: unreadable ({type(err).__name__})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a configuration")
    return data


def _checked_marker(directory: Path) -> dict:
    """The completion marker of a run or comparison directory (sim/run/output.py), after checking that every file it
    lists is there with the size it had when written, and that the summary the report quotes is byte for byte
    what was written (sha256)."""
    path = directory / output.MARKER
    if not path.is_file():
        raise ReportError(f"{directory}: incomplete: no {output.MARKER} (the run stopped before it finished)")
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ReportError(f"{path}: unreadable ({type(err).__name__})") from None
    if not isinstance(marker, dict) or not isinstance(marker.get("files"), list):
        raise ReportError(f"{path}: corrupt (no list of files)")
    checksums = marker.get("checksums") or {}
    for name in map(str, marker["files"]):
        file = directory / name
        if not file.is_file():
            raise ReportError(f"{file}: missing (listed in {output.MARKER})")
        expected = checksums.get(name, {})
        if expected.get("bytes") is not None and file.stat().st_size != expected["bytes"]:
            raise ReportError(f"{file}: corrupt ({file.stat().st_size} bytes, {expected['bytes']} when written)")
        if name.startswith("summary.") and expected.get("sha256") and output.file_digest(file) != expected["sha256"]:
            raise ReportError(f"{file}: corrupt (differs from what was written)")
    return marker


@dataclass
class Workflow:
    """One workflow's tables in a run or comparison directory."""

    name: str
    directory: Path
    summary: pd.DataFrame
    families: pd.DataFrame
    timeseries: pd.DataFrame


@dataclass
class Results:
    kind: str  # 'run', 'comparison', 'sweep' or 'tables' (sizing, capacity or backlog tables only)
    directory: Path
    config: dict
    marker: dict
    summary: pd.DataFrame  # summary.csv (a comparison's has a 'workflow' column); a sweep: sweep_summary.csv
    assumptions: pd.DataFrame
    workflows: dict[str, Workflow] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    overrides: list[str] = field(default_factory=list)
    multirun: bool = False
    choices: dict[str, str] = field(default_factory=dict)
    # the folders Hydra read the configuration from, first wins (a user's --config-dir before conf/)
    config_dirs: tuple[Path, ...] = (CONF_DIR,)

    def config_file(self, group: str, name: str) -> Path | None:
        """``<group>/<name>.yaml`` as the run read it: from the first configuration folder that has it."""
        return next((d / group / f"{name}.yaml" for d in self.config_dirs if (d / group / f"{name}.yaml").is_file()),
                    None)


FAMILY_COLUMNS = ("replication", "preexisting", "arrival", "censored", "lead_time_help", "stories_told")


def _workflow(directory: Path, name: str) -> Workflow:
    summary = _read(directory, "summary", prefer="csv")
    families = _read(directory, "families", FAMILY_COLUMNS)
    timeseries = _read(directory, "timeseries")
    return Workflow(name, directory, summary, families, timeseries)


def _config_dirs(hydra_cfg) -> tuple[Path, ...]:
    """The file folders of ``hydra.runtime.config_sources`` in Hydra's order (conf/ alone if none is recorded)."""
    from omegaconf import OmegaConf

    sources = OmegaConf.to_container(hydra_cfg.hydra.runtime.config_sources)
    dirs = tuple(Path(str(s["path"])) for s in sources if s.get("schema") == "file" and s.get("path"))
    return dirs or (CONF_DIR,)


def _hydra_record(directory: Path) -> tuple[list[str], dict[str, str], tuple[Path, ...]]:
    """The overrides, config-group choices and configuration folders Hydra recorded for the run (``.hydra/``),
    if it did."""
    from omegaconf import OmegaConf

    overrides: list[str] = []
    choices: dict[str, str] = {}
    dirs: tuple[Path, ...] = (CONF_DIR,)
    try:
        overrides = [str(o) for o in OmegaConf.to_container(OmegaConf.load(directory / ".hydra" / "overrides.yaml"))]
    except Exception:  # noqa: BLE001 - not run through Hydra (e.g. written by a test or a script)
        pass
    try:
        hydra = OmegaConf.load(directory / ".hydra" / "hydra.yaml")
        choices = {str(k): str(v) for k, v in OmegaConf.to_container(hydra.hydra.runtime.choices).items()
                   if v is not None and not str(k).startswith("hydra/")}
        dirs = _config_dirs(hydra)
    except Exception:  # noqa: BLE001
        pass
    return overrides, choices, dirs


def load(directory: Path) -> Results:
    """Read and check everything the report shows. Raises :class:`ReportError` (one line) for a directory that
    is not a finished run, comparison or sweep, or that lacks a table."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ReportError(f"{directory}: no such directory")
    marker_path = directory / output.MARKER
    if marker_path.is_file():
        marker = _checked_marker(directory)
        overrides, choices, dirs = _hydra_record(directory)
        config = _config(directory)
        if "comparison" in marker:
            names = [str(n) for n in marker["comparison"]]
            workflows = {}
            for name in names:
                sub = directory / name
                if not sub.is_dir():
                    raise ReportError(f"{sub}: missing (the comparison lists workflow {name!r})")
                _checked_marker(sub)
                workflows[name] = _workflow(sub, name)
            comparison = _read(directory, "comparison", prefer="csv")
            derived._require(comparison, figures.COMPARISON_COLUMNS, str(directory / "comparison.csv"))
            return Results("comparison", directory, config, marker, _read(directory, "summary", prefer="csv"),
                           _read(directory, "assumptions", prefer="csv"), workflows, comparison, overrides,
                           choices=choices, config_dirs=dirs)
        if "uncertainty" in marker:  # python -m sim.uncertainty: its tables only (sim/report/uncertainty.py)
            drawn = how_sure.read(directory)["assumptions_drawn"]
            assumptions = pd.DataFrame({"parameter": drawn["name"], "value": drawn["default"],
                                        "why": drawn["why"], "file": drawn["file"]})
            return Results("uncertainty", directory, config, marker, pd.DataFrame(), assumptions,
                           overrides=overrides, choices=choices, config_dirs=dirs)
        files = {str(f) for f in marker.get("files", [])}
        if files & set(OPTIONAL_TABLES) and not any(f.startswith("families.") for f in files):
            # written by python -m sim.size / sim.capacity / sim.backlog: their tables, no family records
            assumptions = _read(directory, "assumptions", prefer="csv") if any(
                f.startswith("assumptions.") for f in files) else pd.DataFrame(columns=["parameter", "value", "why", "file"])
            return Results("tables", directory, config, marker, pd.DataFrame(), assumptions, overrides=overrides,
                           choices=choices, config_dirs=dirs)
        name = str(marker.get("scenario") or config.get("scenario", {}).get("name", "?"))
        wf = _workflow(directory, name)
        return Results("run", directory, config, marker, wf.summary, _read(directory, "assumptions", prefer="csv"),
                       {name: wf}, None, overrides, choices=choices, config_dirs=dirs)
    if (directory / "sweep_summary.csv").is_file():
        return _load_sweep(directory)
    if (directory / "multirun.yaml").is_file():
        raise ReportError(f"{directory}: a sweep without sweep_summary.csv (run: python -m sim.collect {directory})")
    if (directory / "config_resolved.yaml").is_file():
        why = "the run stopped before it finished"
        error = directory / "error.txt"
        if error.is_file():
            first = (error.read_text(encoding="utf-8", errors="replace").strip().splitlines() or [""])[0]
            why += f" (error.txt: {first[:160]})"
        raise ReportError(f"{directory}: incomplete: no {output.MARKER} ({why})")
    raise ReportError(f"{directory}: not a ketensim results directory (no {output.MARKER}, no sweep_summary.csv)")


def _load_sweep(directory: Path) -> Results:
    summary = _read(directory, "sweep_summary", prefer="csv")
    try:
        keys = derived.swept_keys(summary)
    except derived.FigureDataError as err:
        raise ReportError(f"{directory / 'sweep_summary.csv'}: {err}") from None
    if summary.empty:
        raise ReportError(f"{directory / 'sweep_summary.csv'}: no points")
    first = directory / str(summary["point"].iloc[0])
    if not first.is_dir():
        raise ReportError(f"{first}: missing (sweep_summary.csv lists this point)")
    config = _config(first)
    overrides: list[str] = []
    choices: dict[str, str] = {}
    dirs: tuple[Path, ...] = (CONF_DIR,)
    from omegaconf import OmegaConf

    try:
        multirun = OmegaConf.load(directory / "multirun.yaml")
        overrides = [str(o) for o in OmegaConf.to_container(multirun.hydra.overrides.task, resolve=False)]
        choices = {str(k): str(v) for k, v in OmegaConf.to_container(multirun.hydra.runtime.choices).items()
                   if v is not None and not str(k).startswith("hydra/")}
        dirs = _config_dirs(multirun)
    except Exception:  # noqa: BLE001 - a sweep collected from copied point folders has no multirun.yaml
        pass
    assumptions = _read(first, "assumptions", prefer="csv")
    results = Results("sweep", directory, config, {"points": len(summary), "swept": keys}, summary, assumptions,
                      overrides=overrides, multirun=True, choices=choices, config_dirs=dirs)
    return results


# ====================================================================== the charts of a directory


@dataclass
class Section:
    chart: figures.Chart | None
    png: bytes = b""
    problem: str = ""  # why a chart that could have been drawn was not (shown in the report)


def meta_of(results: Results, lang: str) -> figures.Meta:
    if results.kind == "sweep":
        workflows = tuple(style.ordered(results.summary["scenario"].astype(str).unique(), style.workflow_order())) \
            if "scenario" in results.summary.columns else None
        meta = figures.Meta.from_config(results.config, workflows, lang)
        return figures.Meta(meta.region, meta.workflows, int(results.summary["n_replications"].min()), meta.years,
                      meta.warmup_years, meta.start, meta.start_date, lang)
    return figures.Meta.from_config(results.config, list(results.workflows), lang)


def charts(results: Results, lang: str) -> list[figures.Chart]:
    """Every chart the directory supports (for the report and for the experiments' figure folders)."""
    meta = meta_of(results, lang)
    wfs = results.workflows
    made: list[figures.Chart] = []
    if results.kind in ("run", "comparison"):
        norms = results.config.get("norms", {})
        made.append(figures.lead_time_ecdf({n: w.families for n, w in wfs.items()}, norms, meta))
        made.append(figures.waiting_lists({n: w.timeseries for n, w in wfs.items()}, meta))
        made.append(figures.handoffs_stories({n: w.summary for n, w in wfs.items()}, {n: w.families for n, w in wfs.items()},
                                       meta))
        made.append(figures.staff_hours({n: w.summary for n, w in wfs.items()}, meta))
    if results.comparison is not None:
        for wf in style.ordered(results.comparison["workflow"].astype(str).unique(), style.workflow_order()):
            made.append(figures.paired_differences(results.comparison, wf, meta))
    if results.kind == "sweep":
        keys = results.marker["swept"]
        if figures._fte_key(keys):
            made.append(figures.p90_against_fte(results.summary, meta))
            fte = figures._fte_key(keys)
            if f"staffing.{fte.split('.')[1]}.caseload" in keys:
                made.append(figures.staffing_heatmap(results.summary, meta))
        if "demand.scale" in keys:
            made.append(figures.capacity_curve(derived.capacity_from_sweep(results.summary), meta))
    made += optional_charts(results.directory, meta)
    return made


def optional_charts(directory: Path, meta: figures.Meta) -> list[figures.Chart]:
    """Charts of the sizing, capacity and backlog tables (docs/model.md) that the directory holds."""
    made = []
    for name, draw in (("capacity.csv", figures.capacity_curve), ("backlog_drain.csv", figures.backlog_drain),
                       ("sizing.csv", figures.sizing_table)):
        path = directory / name
        if not path.is_file() or (name == "sizing.csv" and how_sure.has_sizing(directory)):
            continue  # sizing under uncertainty: its own section (sim/report/uncertainty.py)
        try:
            table = pd.read_csv(path)
        except Exception as err:  # noqa: BLE001
            raise ReportError(f"{path}: unreadable ({type(err).__name__})") from None
        try:
            made.append(draw(table, meta))
        except derived.FigureDataError as err:
            raise ReportError(f"{path}: {err}") from None
    return made


# ====================================================================== HTML


def _num_cell(value: Any, lang: str, *, kpi: str, field_: str, unit: str = "", workflow: str = "",
              point: str | None = None) -> dict:
    """A table cell showing a number for people and carrying the exact value for machines (``data-value`` is
    Python's repr of the float: it reads back to the identical number); drawn by tables.html.j2's ``num``."""
    v = float(value) if value is not None and not (isinstance(value, str) and not value) else math.nan
    return {"kpi": kpi, "field": field_, "workflow": workflow, "unit": unit, "value": repr(v),
            "shown": _display(v, unit, lang), "point": point}


def _display(v: float, unit: str, lang: str) -> str:
    """Shares as percentages (a difference of shares in percentage points) with one decimal; other numbers with
    the house precision (sim.report.style)."""
    if not math.isfinite(v):
        return "–"
    if unit in ("share", "flag"):
        return style.fmt_number(100.0 * v, lang, 1) + "%"
    if unit == "share_diff":
        return style.fmt_number(100.0 * v, lang, 1) + (" pp" if lang == "en" else " procentpunt")
    return style.fmt_number(v, lang)


def _head(lang: str) -> dict:
    return {k: term(f"r.col.{k}", lang) for k in ("kpi", "unit", "mean", "ci", "n")}


def _kpi_rows(summary: pd.DataFrame, kpis: Sequence[str] | None, lang: str, workflow: str = "") -> list[dict]:
    s = summary.set_index("kpi")
    chosen = [k for k in (kpis or list(s.index)) if k in s.index]
    rows = []
    for kpi in chosen:
        r = s.loc[kpi]
        unit = "" if pd.isna(r["unit"]) else str(r["unit"])
        label = style.kpi_label(kpi, lang)
        rows.append({"label": label, "mark": "", "key": kpi if label != kpi else "",
                     "unit": style.unit_label(unit, lang) if unit else "",
                     "cells": [_num_cell(r[f], lang, kpi=kpi, field_=f, unit=unit, workflow=workflow)
                               for f in ("mean", "ci_low", "ci_high")],
                     "n": int(r["n_replications"])})
    return rows


def _kpi_model(summary: pd.DataFrame, lang: str, kpis: Sequence[str] | None, workflow: str = "",
               table_id: str = "") -> dict:
    return {"id": table_id, "head": _head(lang), "rows": _kpi_rows(summary, kpis, lang, workflow)}


def kpi_table(summary: pd.DataFrame, lang: str, kpis: Sequence[str] | None, workflow: str = "",
              table_id: str = "") -> str:
    return page.macro("kpi_table", _kpi_model(summary, lang, kpis, workflow, table_id))


def comparison_key_table(summaries: dict[str, pd.DataFrame], kpis: Sequence[str], lang: str) -> str:
    """Key figures of every workflow side by side: per workflow its mean and 95 % CI (its summary.csv)."""
    names = style.ordered(summaries, style.workflow_order())
    indexed = {n: summaries[n].set_index("kpi") for n in names}
    rows = []
    for kpi in kpis:
        if not any(kpi in s.index for s in indexed.values()):
            continue
        unit = next(str(s.at[kpi, "unit"]) for s in indexed.values() if kpi in s.index)
        unit = "" if unit == "nan" else unit
        cells: list = []
        for n in names:
            s = indexed[n]
            if kpi not in s.index:
                cells.append(None)
                continue
            cells += [_num_cell(s.at[kpi, f], lang, kpi=kpi, field_=f, unit=unit, workflow=n)
                      for f in ("mean", "ci_low", "ci_high")]
        rows.append({"label": style.kpi_label(kpi, lang), "mark": "", "key": kpi,
                     "unit": style.unit_label(unit, lang) if unit else "", "cells": cells})
    return page.macro("comparison_key_table", {"head": _head(lang), "rows": rows,
                                               "workflows": [style.workflow_label(n, lang) for n in names]})


def paired_table(comparison: pd.DataFrame, lang: str, kpis: Sequence[str] | None = None) -> str:
    """Both means and the paired difference with its 95 % CI (comparison.csv), per alternative workflow; rows
    whose difference is starred (a finding: ``starred``, else for an older table ``ci_excludes_zero``) in bold.
    With the decomposition (``compare.decompose``) the structure-only difference stands beside the default and what
    the assumed effects add after it. ``kpis``: these rows only (in this order), else every row."""
    blocks = []
    for wf in style.ordered(comparison["workflow"].astype(str).unique(), style.workflow_order()):
        c = comparison[comparison["workflow"].astype(str) == wf]
        if kpis is not None:
            c = c.set_index("kpi").reindex([k for k in kpis if k in set(c["kpi"])]).reset_index()
        base = str(c["baseline"].iloc[0])
        split = "structure_diff_mean" in c.columns and bool(c["structure_diff_mean"].notna().any())
        arms = ([("structure_diff", "r.col.structure")] if split else []) + [("diff", "r.col.diff")] + (
            [("effects_add", "r.col.effects_add")] if split else [])
        head = {**_head(lang), "baseline": style.workflow_label(base, lang), "workflow": style.workflow_label(wf, lang),
                "arms": [term(t, lang) for _, t in arms]}
        rows, notes, shaky = [], {}, {}
        for _, r in c.iterrows():
            kpi, unit = str(r["kpi"]), "" if pd.isna(r.get("unit")) else str(r.get("unit"))
            unit = "share" if kpi.startswith("share_") else unit
            diff_unit = "share_diff" if unit in ("share", "flag") else unit
            why = r.get("by_construction")
            why = why if isinstance(why, str) else ""  # empty in the CSV: NaN
            if why:  # true by definition: a dagger and its reason below the table, never bold as a finding
                notes[why] = None
            withheld = r.get("star_withheld")
            withheld = withheld if isinstance(withheld, str) else ""
            finding = bool(r.get("starred", r.get("ci_excludes_zero", False)))
            mark = " \u2020" if why else ""
            if not why and not finding and bool(r.get("ci_excludes_zero", False)) and "not stable" in withheld:
                mark = " \u2021"  # the interval excludes zero, but the difference runs through an unstable pool
                for reason in withheld.split("; "):
                    if "not stable" in reason:
                        shaky[reason] = None
            cells = [_num_cell(r["mean_baseline"], lang, kpi=kpi, field_="mean_baseline", unit=unit, workflow=wf),
                     _num_cell(r["mean_workflow"], lang, kpi=kpi, field_="mean_workflow", unit=unit, workflow=wf)]
            for prefix, _ in arms:
                for f in (f"{prefix}_mean", f"{prefix}_ci_low", f"{prefix}_ci_high"):
                    cells.append(_num_cell(r[f], lang, kpi=kpi, field_=f, unit=diff_unit, workflow=wf))
            rows.append({"sig": finding and not why, "label": style.kpi_label(kpi, lang), "mark": mark, "key": kpi,
                         "unit": style.unit_label(unit, lang) if unit else "", "cells": cells})
        structure = c["structure_only"].iloc[0] if split and "structure_only" in c.columns else ""
        blocks.append({
            "title": f"{style.workflow_label(wf, lang)} − {style.workflow_label(base, lang)}", "head": head,
            "rows": rows,
            "notes": [term("r.by_construction", lang, why=w) for w in notes]
            + [term("r.unstable_pool", lang, why=w) for w in shaky]
            + ([term("r.structure_only", lang, how=structure)] if isinstance(structure, str) and structure else [])})
    return page.macro("paired_tables", blocks)


def sweep_table(summary: pd.DataFrame, keys: Sequence[str], lang: str) -> str:
    kpis = [k for k in SWEEP_KPIS if f"{k}.mean" in summary.columns]
    rows = []
    for _, r in summary.iterrows():
        cells = []
        for k in kpis:
            unit = "share" if k.startswith("share_") else ""
            cells += [_num_cell(r[f"{k}.{fld}"], lang, kpi=k, field_=fld, unit=unit, point=str(r["point"]))
                      for fld in ("mean", "ci_low", "ci_high")]
        rows.append({"swept": [_key_value(k, r[k], lang) for k in keys], "cells": cells})
    return page.macro("sweep_table", {"swept": list(keys), "rows": rows,
                                      "kpis": [{"label": style.kpi_label(k, lang), "key": k} for k in kpis]})


def _key_value(key: str, value: Any, lang: str) -> str:
    """A swept value as a reader reads it: the workflow's name, a number without trailing zeros."""
    if key == "scenario":
        return style.workflow_label(str(value), lang)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return style.fmt_compact(float(value), lang)
    return str(value)


def _cost_label(kpi: str, lang: str) -> str:
    head, _, tail = kpi.partition(".")
    simple = {costs.STAFF_TOTAL: "cost.staff_total", costs.COURT: "cost.court", costs.GI_TARIFF: "cost.gi_tariff",
              costs.GI_MARGIN: "cost.gi_margin", costs.TOTAL: "cost.total", costs.TRANSITION: "cost.transition",
              costs.PER_FAMILY: "cost.per_family", costs.UNALLOCATED: "cost.unallocated",
              "waiting_days_avoided_per_year": "cost.waiting_days", costs.PER_DAY_AVOIDED: "cost.per_day"}
    if head == costs.STAFF:
        return term("cost.staff", lang, org=style.org_label(tail, lang))
    if head == costs.PAYER:
        return term("cost.payer", lang, payer=term(f"payer.{tail}", lang))
    return term(simple[kpi], lang) if kpi in simple else kpi


def _cost_payer(kpi: str, config: dict, lang: str) -> str:
    prices = config.get("prices") or {}
    head, _, tail = kpi.partition(".")
    payer = {costs.COURT: "rijk", costs.GI_TARIFF: "gemeenten"}.get(kpi)
    if head == costs.STAFF:
        payer = (prices.get("orgs", {}).get(tail) or {}).get("payer")
        if tail == "gi":
            return f"({term('payer.gemeenten', lang)}: {term('cost.gi_tariff', lang)})"
    elif head == costs.PAYER:
        payer = tail
    elif kpi == costs.TRANSITION:
        payer = (prices.get("transition") or {}).get("payer")
    return term(f"payer.{payer}", lang) if payer in ("rijk", "gemeenten") else ""


def _euros(mean: float, lo: float, hi: float, share: bool = False) -> str:
    def one(v: float) -> str:
        if not np.isfinite(v):
            return "-"
        return f"{v:.0%}" if share else (f"{v / 1e6:,.2f} M" if abs(v) >= 1e5 else f"{v:,.0f}")
    return f"{one(mean)} [{one(lo)}, {one(hi)}]" if np.isfinite(lo) else one(mean)


def cost_section(results: Results, lang: str) -> dict | None:
    """Who pays what under each workflow (costs_summary.csv of the run or of each compared workflow) and, in a
    comparison, the paired difference with the baseline (cost_comparison.csv), as the model of the report's cost
    section (report.html.j2); None when the run was not priced."""
    dirs = {name: wf.directory for name, wf in results.workflows.items()} if results.workflows else {}
    summaries = {n: pd.read_csv(d / "costs_summary.csv") for n, d in dirs.items() if (d / "costs_summary.csv").is_file()}
    if not summaries:
        return None
    prices = results.config.get("prices") or {}
    note = term("r.costs.note", lang, year=prices.get("report_year", "?"), prices=prices.get("name", "?"))
    diff = pd.read_csv(results.directory / "cost_comparison.csv") \
        if (results.directory / "cost_comparison.csv").is_file() else pd.DataFrame()
    names = list(summaries)
    head = [term("r.costs.item", lang), term("r.costs.payer", lang)] + [style.workflow_label(n, lang) for n in names]
    alts = [n for n in names[1:] if len(diff) and n in set(diff["workflow"])]
    head += [f"{term('r.costs.diff', lang, baseline=style.workflow_label(names[0], lang))}: "
             f"{style.workflow_label(n, lang)}" for n in alts]
    order = list(summaries[names[0]]["kpi"]) + (["waiting_days_avoided_per_year", costs.PER_DAY_AVOIDED] if alts else [])
    rows = []
    for kpi in order:
        share = kpi == costs.UNALLOCATED
        cells = [_cost_label(kpi, lang), _cost_payer(kpi, results.config, lang)]
        for n in names:
            r = summaries[n].set_index("kpi")
            cells.append(_euros(*(r.loc[kpi, c] for c in ("mean", "ci_low", "ci_high")), share=share)
                         if kpi in r.index else "")
        for n in alts:
            d = diff[(diff["workflow"] == n) & (diff["kpi"] == kpi)]
            if len(d):
                v = d.iloc[0]
                if kpi == "waiting_days_avoided_per_year":  # case-days, not euros
                    cells.append(f"{v['diff_mean']:,.0f} [{v['diff_ci_low']:,.0f}, {v['diff_ci_high']:,.0f}]")
                else:
                    cells.append(_euros(v["diff_mean"], v["diff_ci_low"], v["diff_ci_high"], share=share))
            else:
                cells.append("")
        rows.append(cells)
    return {"title": term("r.costs", lang), "note": note, "head": head, "rows": rows}


def _plain_model(df: pd.DataFrame, columns: Sequence[tuple[str, str]]) -> dict:
    def cell(v: object) -> object:  # a list value (demand.yearly_path) is shown as it is, not tested for NaN
        return v if pd.api.types.is_list_like(v) else ("" if pd.isna(v) else v)

    return {"head": [label for _, label in columns],
            "rows": [[cell(r[c]) for c, _ in columns] for _, r in df.iterrows()]}


def _plain_table(df: pd.DataFrame, columns: Sequence[tuple[str, str]]) -> str:
    return page.macro("plain_table", _plain_model(df, columns))


def sources_table(results: Results, lang: str) -> str:
    """The non-assumption provenance of the configuration files in force, with the value this run used."""
    model = sources_model(results, lang)
    return page.macro("plain_table", model) if model else ""


def sources_model(results: Results, lang: str) -> dict | None:
    """The rows of :func:`sources_table` (None when no file in force has a source)."""
    from omegaconf import OmegaConf

    process = results.choices.get("process", "nl_2023")
    region = results.choices.get("region") or str(results.config.get("region", {}).get("name", ""))
    files = [(results.config_file("process", process), ""), (results.config_file("region", region), "")]
    scenarios = list(results.workflows) or ([results.choices.get("scenario")] if results.choices.get("scenario") else [])
    if results.kind == "sweep" and "scenario" in results.summary.columns:
        scenarios = [str(s) for s in results.summary["scenario"].astype(str).unique()]
    files += [(results.config_file("scenario", s), "scenario") for s in dict.fromkeys(scenarios)]
    cfg = OmegaConf.create(results.config)
    rows = []
    for path, package in files:
        if path is None:
            continue
        for p in provenance.read_file(path, package)[0]:
            if p.kind == "assumption":
                continue
            value = None
            if package != "scenario":  # a comparison's top-level config holds the baseline's scenario only
                value = OmegaConf.select(cfg, p.key, default=None)
                if value is not None and not isinstance(value, (str, int, float, bool)):
                    value = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
            rows.append({"parameter": p.key, "value": "" if value is None else value, "kind": p.kind,
                         "source": p.text, "file": f"{path.parent.name}/{path.name}"})
    if not rows:
        return None
    df = pd.DataFrame(rows)
    return _plain_model(df, [("parameter", term("r.col.parameter", lang)), ("value", term("r.col.value", lang)),
                             ("kind", term("r.col.kind", lang)), ("source", term("r.col.source", lang)),
                             ("file", term("r.col.file", lang))])


def reproduce_command(results: Results) -> str:
    args = ["python", "-m", "sim"] + (["-m"] if results.multirun else [])
    overrides = list(results.overrides)
    if not overrides and results.kind != "sweep":  # not run through Hydra: the essentials from the configuration
        cfg = results.config
        overrides = [f"region={cfg.get('region', {}).get('name', '?')}",
                     f"scenario={cfg.get('scenario', {}).get('name', '?')}"]
        overrides += [f"run.{k}={cfg.get('run', {}).get(k)}" for k in ("years", "warmup_years", "replications", "seed",
                                                                         "start")]
        if results.kind == "comparison":
            overrides.insert(0, "+experiment=compare_workflows")
    return " ".join(shlex.quote(a) for a in args + overrides)


CSS = """
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1.2em;color:#111;
line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #ddd;padding-bottom:.2em}
.intro{font-size:1.05em}.note{background:#fff4e0;border-left:5px solid #E69F00;padding:.6em 1em;margin:1em 0}
.warn{background:#fde8e0;border-left:5px solid #D55E00;padding:.6em 1em;margin:1em 0}
.finding{background:#e8f1fa;border-left:5px solid #0072B2;padding:.6em 1em;margin:1em 0;font-size:1.1em}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}th,td{padding:.25em .6em;border-bottom:1px solid #e3e3e3;
text-align:left;vertical-align:top}thead th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums;
white-space:nowrap}.key{font-family:monospace;font-size:.8em;color:#666;font-weight:normal}
tr.sig td{font-weight:bold}figure{margin:1.5em 0}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.92em;color:#333;margin-top:.4em}pre{background:#f6f6f6;padding:1em;overflow-x:auto;font-size:.85em}
details{margin:1em 0}summary{cursor:pointer;font-weight:bold}footer{margin-top:3em;font-size:.85em;color:#555}
table.plain td{font-size:.9em}
"""


def render(results: Results, lang: str = "en") -> str:
    """The report as one HTML string."""
    style.check_lang(lang)
    meta = meta_of(results, lang)
    region = style.region_label(meta.region, lang)
    if results.kind == "run":
        wf = next(iter(results.workflows))
        title = term("r.title.run", lang, workflow=style.workflow_label(wf, lang), region=region)
        intro = term("r.intro.run", lang, workflow=style.workflow_label(wf, lang, True), region=region,
                     reps=meta.replications, years=meta._years(), start=meta._start())
    elif results.kind == "comparison":
        title = term("r.title.comparison", lang, region=region)
        intro = term("r.intro.comparison", lang, workflows=" / ".join(style.workflow_label(w, lang, True)
                                                                      for w in meta.workflows), region=region,
                     reps=meta.replications, years=meta._years(), start=meta._start())
    elif results.kind == "uncertainty":
        names = [str(n) for n in results.marker["uncertainty"]]
        title = how_sure.text("r.title", lang, workflows=" / ".join(style.workflow_label(w, lang) for w in names[1:]),
                              baseline=style.workflow_label(names[0], lang), region=region)
        intro = how_sure.text("intro", lang, draws=results.marker.get("draws", "?"),
                              d=results.marker.get("assumptions", "?"))
    elif results.kind == "sweep":
        title = term("r.title.sweep", lang, points=len(results.summary), region=region)
        intro = term("r.intro.sweep", lang, points=len(results.summary), keys=", ".join(results.marker["swept"]))
    else:
        title = term("r.title.tables", lang, region=region)
        intro = term("r.intro.tables", lang, tables=", ".join(t for t in OPTIONAL_TABLES
                                                              if (results.directory / t).is_file()))
    labels = {"finding": term("r.finding", lang), "key": term("r.key", lang), "paired": term("r.paired", lang),
              "paired_note": term("r.paired.note", lang), "paired_all": term("r.paired.all", lang),
              "points": term("r.points", lang), "warnings": term("r.warnings", lang),
              "figures": term("r.figures", lang), "sizing": term("r.sizing", lang),
              "assumptions": term("r.assumptions", lang, n=len(results.assumptions)),
              "sources": term("r.sources", lang), "sources_note": term("r.sources.note", lang),
              "config": term("r.config", lang), "reproduce": term("r.reproduce", lang)}
    context: dict[str, Any] = {"kind": results.kind, "key_table": "", "paired_main": "", "paired_all": ""}
    # ---- key figures
    if results.kind == "run":
        context["key_table"] = kpi_table(results.summary, lang, HEADLINE, table_id="key-figures")
    elif results.kind == "comparison":
        context["key_table"] = comparison_key_table({n: w.summary for n, w in results.workflows.items()}, HEADLINE,
                                                    lang)
        main = kpis.rows("compared", results.comparison["kpi"].astype(str).unique())
        context["paired_main"] = paired_table(results.comparison, lang, main)
        context["paired_all"] = paired_table(results.comparison, lang)
    elif results.kind == "sweep":
        context["key_table"] = sweep_table(results.summary, list(results.marker["swept"]), lang)
    elif results.kind == "uncertainty":  # its own section in place of the key figures
        context["key_table"] = how_sure.section(results.directory, results.marker, lang)

    # ---- figures, drawn one at a time (each figure's memory freed as soon as it is embedded)
    shown = []
    for chart in charts(results, lang):
        shown.append({"name": chart.name, "png": base64.b64encode(style.png_bytes(chart)).decode("ascii"),
                      "alt": chart.alt or chart.name, "caption": chart.caption})
        chart.figure.clear()
    sizing, sizing_uncertain = None, ""
    if how_sure.has_sizing(results.directory):  # python -m sim.size target.probability=...
        sizing_uncertain = how_sure.sizing_section(results.directory, lang)
    elif (results.directory / "sizing.csv").is_file():
        header, rows = figures.sizing_rows(pd.read_csv(results.directory / "sizing.csv"), lang)
        sizing = {"head": header, "rows": rows}

    costs_model = cost_section(results, lang)

    # ---- every KPI
    all_kpis = []
    if results.kind == "run":
        all_kpis.append({"summary": term("r.all", lang),
                         "table": _kpi_model(results.summary, lang, None, table_id="all-kpis")})
    elif results.kind == "comparison":
        for name, wf in results.workflows.items():
            all_kpis.append({"summary": f"{term('r.all', lang)}: {style.workflow_label(name, lang)}",
                             "table": _kpi_model(wf.summary, lang, None, workflow=name)})

    # ---- assumptions, sources, configuration, reproduction
    a = results.assumptions
    cols = ([("workflow", "workflow")] if "workflow" in a.columns else []) + [
        ("parameter", term("r.col.parameter", lang)), ("value", term("r.col.value", lang)),
        ("why", term("r.col.why", lang)), ("file", term("r.col.file", lang))]
    config_text = (results.directory / "config_resolved.yaml").read_text(encoding="utf-8") \
        if (results.directory / "config_resolved.yaml").is_file() else _yaml(results.config)
    version = results.marker.get("model_version") or output.model_version()
    other = "nl" if lang == "en" else "en"
    return page.render(
        "report.html.j2", lang=lang, title=title, intro=intro, css=Markup(CSS), labels=labels,
        finding=_finding(results, meta),  # the finding first: what the run found, with its uncertainty
        assumed_note=term("r.assumed", lang) if any(w != "sequential" for w in meta.workflows) else "",
        warnings=_warnings(results, meta),  # after the key figures, per organisation, in plain words
        figures=shown, sizing=sizing, sizing_uncertain=sizing_uncertain, costs=costs_model, all_kpis=all_kpis, assumptions=_plain_model(a, cols),
        sources=sources_model(results, lang), config_text=config_text,
        reproduce_note=term("r.reproduce.note", lang, version=version), reproduce=reproduce_command(results),
        generated=term("r.generated", lang, dir=results.directory, date=time.strftime("%Y-%m-%d %H:%M"),
                       version=version),
        other_lang=term("r.lang", other, dir=results.directory), **context)


def _yaml(data: dict) -> str:
    from omegaconf import OmegaConf

    return OmegaConf.to_yaml(OmegaConf.create(data))


def _finding(results: Results, meta: figures.Meta) -> list[str]:
    """The sentences the report opens with (sim/report/finding.py): a run's headline result, or a comparison's
    paired difference per workflow with its split into structure and assumed effects; none for other kinds."""
    if results.kind == "run":
        name, wf = next(iter(results.workflows.items()))
        return finding.run_sentences(wf.summary, name, meta.region, meta.lang)
    if results.kind == "comparison" and results.comparison is not None:
        return finding.comparison_sentences(results.comparison, {n: w.summary for n, w in results.workflows.items()},
                                            meta.lang)
    return []


def _warnings(results: Results, meta: figures.Meta) -> list[str]:
    """Organisations that could not carry their demand, one item per organisation in plain words
    (sim/report/finding.py), per workflow; too few replications for the headline interval; the
    single-replication note."""
    lang = meta.lang
    out: list[str] = []
    if results.kind == "sweep":
        out += finding.sweep_warnings(results.summary, lang)
        out += finding.no_effect_warnings(results.summary, list(results.marker["swept"]), lang)
    else:
        for name, wf in results.workflows.items():
            prefix = f"{style.workflow_label(name, lang)}, " if len(results.workflows) > 1 else ""
            out += [prefix + w for w in finding.pool_warnings(wf.summary, lang)]
    if results.kind in ("run", "comparison") and results.workflows:
        few = finding.replication_warning(next(iter(results.workflows.values())).summary, lang)
        if few:
            out.append(few)
    if meta.replications < 2 and results.kind != "uncertainty":  # there the draws are the replications
        out.append(term("r.single", lang))
    return out


def report_name(lang: str) -> str:
    """The file of the report in ``lang``: ``report.html`` in English, ``report_<lang>.html`` in another language,
    so the languages sit side by side and writing one never overwrites the other."""
    return REPORT if style.check_lang(lang) == "en" else f"report_{lang}.html"


def _write(directory: Path, results: Results, lang: str, name: str | None) -> Path:
    try:
        text = render(results, lang)
    except derived.FigureDataError as err:
        raise ReportError(f"{directory}: {err}") from None
    path = directory / (name or report_name(lang))
    output.write_text(path, text)
    return path


def write_report(directory: Path, lang: str = "en", name: str | None = None) -> Path:
    """Write the report in ``lang`` to ``directory/report_name(lang)`` (or ``name``) atomically and return its
    path. Raises :class:`ReportError`."""
    directory = Path(directory)
    return _write(directory, load(directory), lang, name)


def write_reports(directory: Path, langs: Sequence[str] = style.LANGS, progress: bool = False) -> list[Path]:
    """The report in every language of ``langs``, side by side (``report.html``, ``report_nl.html``), from one
    reading of the directory: what every command that writes a report calls (``progress``: a count of the reports
    written, with ETA). Raises :class:`ReportError`."""
    directory = Path(directory)
    results = load(directory)
    paths = []
    with Bar("reports", len(langs), enabled=progress) as bar:
        for lang in langs:
            paths.append(_write(directory, results, lang, None))
            bar.advance()
    return paths


def save_figure_set(directory: Path, out_dir: Path, langs: Sequence[str] = ("en",),
                    formats: Sequence[str] = style.FORMATS) -> list[Path]:
    """Every chart of a run, comparison or sweep directory as files (PNG, SVG, PDF, caption, data) in
    ``out_dir/<lang>/`` (the experiments' figure sets). Raises :class:`ReportError`."""
    results = load(Path(directory))
    written: list[Path] = []
    for lang in langs:
        try:
            made = charts(results, lang)
        except derived.FigureDataError as err:
            raise ReportError(f"{directory}: {err}") from None
        for chart in made:
            written += style.save(chart, Path(out_dir) / lang, formats)
            chart.figure.clear()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim.report",
                                     description="Write DIR/report.html (English) or DIR/report_nl.html (--lang nl): "
                                                 "one self-contained HTML report of a run, a comparison "
                                                 "(+experiment=compare_workflows) or a sweep directory.")
    parser.add_argument("directory", type=Path, help="a run, comparison or sweep directory")
    parser.add_argument("--lang", choices=style.LANGS, default="en",
                        help="language of the report (default: en, report.html; nl: report_nl.html beside it)")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.directory, args.lang)
    except ReportError as err:
        print(f"ketensim: error: {err}", file=sys.stderr)
        return 2
    print(f"report: {path}")
    return 0
