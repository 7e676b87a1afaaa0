"""``python -m sim.collect DIR``: one table for a whole sweep, rebuilt from its point directories.

A sweep directory (``hydra.sweep.dir``) holds one directory per point, each with its own ``runs`` table (one row
per replication, every KPI a column; see sim/chain/tables.py) and a completion marker. This module reads the points
of the sweep and writes, atomically, into the sweep directory:

- ``sweep.parquet`` and ``sweep.csv``: one row per point x replication: ``point`` (the directory name), the
  point's overrides as columns (``staffing.gi.fte``, ``scenario``, ...; typed from the point's resolved
  configuration), then the runs table (``scenario``, ``replication``, the KPIs);
- (both) the point's cost KPIs (``cost_*``, euros: sim/analysis/costs.py) beside its KPIs when it wrote a costs table;
- ``sweep_summary.csv``: one row per point: its overrides, ``n_replications`` and for every KPI
  ``<kpi>.mean``, ``<kpi>.ci_low``, ``<kpi>.ci_high`` (95 % Student-t interval over replications,
  :func:`sim.kernel.stats.confidence_interval`).

Which points: those of the last command run into the directory (Hydra's ``multirun.yaml``: experiment
``hydra.sweeper.params`` and command-line overrides, expanded as Hydra does); point directories left from an
earlier, different grid are listed as ignored. Without ``multirun.yaml``, every point directory is used.
A missing, incomplete or corrupt point is an error naming its directory: a sweep table never silently lacks
points. The sweep callback (sim/sweep.py) calls :func:`collect` when a multirun ends.

What a point directory is lives here too, because reading a sweep and resuming one ask the same questions:
which points a multirun has (:func:`expand_points`), which point a directory holds (:func:`read_point_overrides`)
and whether it is complete and intact (:func:`check_point`). sim/sweep.py imports them; this module imports
nothing of sim/sweep.py.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.chain.tables import clip_interval
from sim.kernel.stats import confidence_interval
from sim.run import output

TABLES = ("sweep.parquet", "sweep.csv", "sweep_summary.csv")
NOT_KPIS = ("scenario", "replication")
SUPERSEDED = "superseded"  # inside a point directory: earlier results that could not be reused (sim/sweep.py)
LOCK = ".lock"  # inside a point directory: held by the process running the point (sim/sweep.py)


# ====================================================================== the points of a sweep


def expand_points(task_overrides: Sequence[str], params: Mapping[str, Any] | None) -> list[list[str]]:
    """Every point of a multirun as its list of overrides, in Hydra's job order.

    Mirrors ``BasicSweeper.sweep``: ``hydra.sweeper.params`` entries first, then the command-line overrides; for a
    key given in both, the command line wins (it replaces the entry at the key's first position).
    """
    from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
    from hydra.core.override_parser.overrides_parser import OverridesParser

    lines = [f"{k}={v}" for k, v in (params or {}).items()] + list(task_overrides)
    parsed = OverridesParser.create().parse_overrides(lines)
    return [list(point) for batch in BasicSweeper.split_arguments(parsed, max_batch_size=None) for point in batch]


def sweeper_params(hydra_cfg: DictConfig) -> dict[str, Any]:
    """``hydra.sweeper.params`` (an experiment's grid) as a plain dict; empty when the sweeper has none."""
    params = hydra_cfg.sweeper.get("params")
    return OmegaConf.to_container(params, resolve=False) if params is not None else {}


def read_point_overrides(directory: Path) -> frozenset[str] | None:
    """The overrides Hydra recorded for the point in ``directory`` (``.hydra/overrides.yaml``), or None."""
    path = directory / ".hydra" / "overrides.yaml"
    try:
        values = OmegaConf.to_container(OmegaConf.load(path))
    except Exception:  # noqa: BLE001 - missing or unreadable: the directory is not a recognisable point
        return None
    return frozenset(str(v) for v in values) if isinstance(values, list) else None


# ====================================================================== the state of one point directory


@dataclass(frozen=True)
class PointStatus:
    state: str  # 'absent' (nothing written yet), 'complete', 'incomplete' or 'corrupt'
    reason: str
    marker: dict | None = None


def result_files(directory: Path) -> list[Path]:
    """What a run wrote into a point directory: everything except Hydra's ``.hydra/``, job logs, the lock
    and earlier superseded results."""
    if not directory.is_dir():
        return []
    keep = {".hydra", SUPERSEDED, LOCK, ".submitit"}
    return sorted(p for p in directory.iterdir() if p.name not in keep and p.suffix != ".log")


def runs_table_name(files: Sequence[str]) -> str | None:
    for name in ("runs.parquet", "runs.csv"):
        if name in files:
            return name
    return None


def check_point(directory: Path, verify_runs: bool = True) -> PointStatus:
    """Is ``directory`` a complete, intact point? Reads the marker and checks what it lists.

    Every listed file must exist with the size it had when written; the runs table (the one a sweep
    aggregates) must also match its sha256. Larger tables are checked by size only, to keep resume fast.
    """
    marker_path = directory / output.MARKER
    if not marker_path.is_file():
        written = result_files(directory)
        if not written:
            return PointStatus("absent", "nothing written yet")
        error = directory / "error.txt"
        why = "no _COMPLETE.json marker: the run stopped before it finished"
        if error.is_file():
            first = (error.read_text(encoding="utf-8", errors="replace").strip().splitlines() or [""])[0]
            why += f" (error.txt: {first[:160]})"
        return PointStatus("incomplete", why)
    try:
        marker = json.loads(marker_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return PointStatus("corrupt", f"{output.MARKER} is unreadable ({type(err).__name__})")
    if not isinstance(marker, dict) or not all(k in marker for k in ("files", "config_hash", "model_version")):
        return PointStatus("corrupt", f"{output.MARKER} lacks files, config_hash or model_version")
    files = [str(f) for f in marker["files"]]
    checksums = marker.get("checksums") or {}
    for name in files:
        path = directory / name
        if not path.is_file():
            return PointStatus("corrupt", f"{name} is missing", marker)
        expected = checksums.get(name, {}).get("bytes")
        if expected is not None and path.stat().st_size != expected:
            return PointStatus("corrupt", f"{name} has {path.stat().st_size} bytes, {expected} when written", marker)
    runs = runs_table_name(files)
    if runs is None:
        return PointStatus("corrupt", "the marker lists no runs table (runs.parquet or runs.csv)", marker)
    if verify_runs:
        expected_sha = checksums.get(runs, {}).get("sha256")
        if expected_sha is not None:
            if output.file_digest(directory / runs) != expected_sha:
                return PointStatus("corrupt", f"{runs} differs from what was written (sha256)", marker)
        else:  # a marker from before checksums: at least the table must parse
            try:
                read_runs(directory / runs)
            except Exception as err:  # noqa: BLE001 - any parse failure means corrupt
                return PointStatus("corrupt", f"{runs} is unreadable ({type(err).__name__})", marker)
    return PointStatus("complete", "complete", marker)


def read_runs(path: Path):
    import pandas as pd

    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


# ====================================================================== the sweep tables


class CollectError(Exception):
    """A sweep directory that cannot be aggregated; ``str(err)`` is one line naming the directory."""


@dataclass
class Point:
    name: str
    directory: Path
    overrides: list[str]
    runs_file: str


@dataclass
class Collected:
    sweep_dir: Path
    points: int
    rows: int
    written: list[Path]
    ignored: list[str] = field(default_factory=list)


# ====================================================================== finding the points


def _is_point_dir(d: Path) -> bool:
    return d.is_dir() and not d.name.startswith((".", "_")) and any(
        (d / name).exists() for name in (".hydra/overrides.yaml", output.MARKER, "config_resolved.yaml"))


def _sweep_points(sweep_dir: Path) -> list[list[str]] | None:
    """The points of the last multirun into ``sweep_dir``, from Hydra's ``multirun.yaml``; None without it."""
    path = sweep_dir / "multirun.yaml"
    if not path.is_file():
        return None
    try:
        cfg = OmegaConf.load(path)
        task = OmegaConf.to_container(cfg.hydra.overrides.task, resolve=False)
        return expand_points(task, sweeper_params(cfg.hydra))
    except Exception as err:  # noqa: BLE001 - any failure means the file cannot be trusted
        raise CollectError(f"{path}: unreadable sweep description ({type(err).__name__}); "
                           f"move it away to collect every point directory") from None


def find_points(sweep_dir: Path) -> tuple[list[Point], list[str]]:
    """The complete points of the sweep, in Hydra's job order, and the names of ignored point directories."""
    if not sweep_dir.is_dir():
        raise CollectError(f"{sweep_dir}: not a directory")
    candidates = sorted((d for d in sweep_dir.iterdir() if _is_point_dir(d)), key=lambda d: d.name)
    if not candidates:
        if (sweep_dir / output.MARKER).exists() or (sweep_dir / "config_resolved.yaml").exists():
            raise CollectError(f"{sweep_dir}: a single run, not a sweep directory (it holds no point directories)")
        raise CollectError(f"{sweep_dir}: no point directories (a sweep directory is written by python -m sim -m ...)")
    expected = _sweep_points(sweep_dir)
    ignored: list[str] = []
    if expected is None:
        chosen = candidates
    else:
        by_overrides: dict[frozenset[str], Path] = {}
        for d in candidates:
            key = read_point_overrides(d)
            if key is None or key not in {frozenset(p) for p in expected}:
                ignored.append(d.name)
                continue
            if key in by_overrides:
                raise CollectError(f"{d}: same overrides as {by_overrides[key].name}; one point, two directories")
            by_overrides[key] = d
        chosen = []
        for point in expected:
            d = by_overrides.get(frozenset(point))
            if d is None:
                raise CollectError(f"{sweep_dir}: point {','.join(sorted(point))} is missing (not run yet: run the "
                                   f"same sweep command again into this directory)")
            chosen.append(d)
    points = []
    for d in chosen:
        status = check_point(d)
        if status.state != "complete":
            state = "incomplete" if status.state == "absent" else status.state
            raise CollectError(f"{d}: {state}: {status.reason} (run the same sweep command again to redo it)")
        overrides = sorted(read_point_overrides(d) or ())
        points.append(Point(d.name, d, overrides, runs_table_name(status.marker["files"])))
    return points, ignored


# ====================================================================== building the tables


def _override_values(point: Point) -> dict[str, Any]:
    """``key -> value`` for each override of the point; numbers typed from its resolved configuration,
    config-group choices (``scenario=integrated``, ``+experiment=...``) as the chosen name."""
    try:
        cfg = OmegaConf.load(point.directory / "config_resolved.yaml")
    except Exception:  # noqa: BLE001 - the snapshot is optional for typing; fall back to the override text
        cfg = None
    values: dict[str, Any] = {}
    for line in point.overrides:
        key, _, text = line.partition("=")
        key = key.lstrip("+~")
        value: Any = text
        if cfg is not None:
            try:
                selected = OmegaConf.select(cfg, key, default=None)
            except Exception:  # noqa: BLE001 - unresolvable interpolation: keep the text
                selected = None
            if selected is not None and not isinstance(selected, (DictConfig, ListConfig)):
                value = selected
        values[key] = value
    return values


COSTS = ("costs.parquet", "costs.csv")  # a point's cost KPIs per replication (sim/analysis/costs.py), if priced


def _with_costs(point: Point, runs: Any) -> Any:
    """The point's runs table with its cost KPIs (``cost_*`` columns of its costs table, by replication) when the
    point wrote one: a sweep over staffing then says what each staffing costs beside what it does."""
    name = next((n for n in COSTS if (point.directory / n).is_file()), None)
    if name is None or "replication" not in runs.columns:
        return runs
    try:
        priced = read_runs(point.directory / name)
    except Exception as err:  # noqa: BLE001 - reported as one line naming the file
        raise CollectError(f"{point.directory / name}: unreadable ({type(err).__name__})") from None
    cols = ["replication"] + [c for c in priced.columns if str(c).startswith("cost_") and c not in runs.columns]
    return runs.merge(priced[cols], on="replication", how="left")


def build(points: Sequence[Point]) -> tuple[Any, Any]:
    """(sweep table: one row per point x replication, summary: one row per point with mean and 95 % CI)."""
    import pandas as pd

    rows, summaries, keys, point_values = [], [], [], []
    for p in points:
        try:
            runs = read_runs(p.directory / p.runs_file)
        except Exception as err:  # noqa: BLE001 - reported as one line naming the file
            raise CollectError(f"{p.directory / p.runs_file}: unreadable ({type(err).__name__})") from None
        runs = _with_costs(p, runs)
        values = _override_values(p)
        point_values.append(values)
        keys += [k for k in values if k not in keys]
        own = {k: v for k, v in values.items() if k not in runs.columns}
        table = runs.copy()
        for i, (k, v) in enumerate(own.items()):
            table.insert(i, k, v)
        table.insert(0, "point", p.name)
        rows.append(table)
        summary: dict[str, Any] = {"point": p.name, **values, "n_replications": len(runs)}
        if "scenario" in runs.columns and "scenario" not in summary:
            summary["scenario"] = runs["scenario"].iloc[0] if len(runs) else math.nan
        for kpi in runs.columns:
            if kpi in NOT_KPIS or not pd.api.types.is_numeric_dtype(runs[kpi]):
                continue
            values = runs[kpi].to_numpy(dtype=float)
            mean, low, high, _ = confidence_interval(values)
            low, high = clip_interval(kpi, values, low, high)
            summary.update({f"{kpi}.mean": mean, f"{kpi}.ci_low": low, f"{kpi}.ci_high": high})
        summaries.append(summary)
    # the swept keys (values differ between points) first, then overrides every point shares
    swept = [k for k in keys if len({repr(v.get(k)) for v in point_values}) > 1]
    keys = swept + [k for k in keys if k not in swept]
    sweep = pd.concat(rows, ignore_index=True)
    lead = ["point"] + [k for k in keys if k in sweep.columns]
    sweep = sweep[lead + [c for c in sweep.columns if c not in lead]]
    summary = pd.DataFrame(summaries)
    lead = ["point"] + [k for k in keys if k in summary.columns]
    return sweep, summary[lead + [c for c in summary.columns if c not in lead]]


def collect(sweep_dir: Path) -> Collected:
    """Find the points, build the tables, write them atomically into ``sweep_dir``. Raises CollectError."""
    sweep_dir = Path(sweep_dir)
    points, ignored = find_points(sweep_dir)
    sweep, summary = build(points)
    for col in sweep.columns:  # parquet needs one type per column: a key typed in some points only
        if sweep[col].dtype == object:
            sweep[col] = sweep[col].map(lambda v: v if v is None or isinstance(v, str) else str(v))
    output.write_table(sweep_dir, "sweep", sweep, ["parquet", "csv"])
    output.write_table(sweep_dir, "sweep_summary", summary, ["csv"])
    return Collected(sweep_dir, len(points), len(sweep), [sweep_dir / t for t in TABLES], ignored)


def describe(c: Collected) -> str:
    text = (f"ketensim: sweep tables from {c.points} points ({c.rows} rows, one per point x replication): "
            + ", ".join(str(p) for p in c.written))
    if c.ignored:
        text += f"\nketensim: ignored {len(c.ignored)} point directories not in this sweep: {', '.join(c.ignored)}"
    return text
