"""Tables derived from results that analysis and report both need: waiting lists per organisation, the
backlog drain from a time series, capacity from a sweep, and the column specifications of the optional tables.
``str(FigureDataError)`` is one line naming the table and what it lacks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from sim.chain import kpis

# ====================================================================== what was run


class FigureDataError(ValueError):
    """A table that cannot be drawn: ``str(err)`` is one line naming the table and what it lacks."""


# ====================================================================== statistics over replications


def mean_ci(matrix: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Column-wise mean and Student-t interval over the rows (replications) of ``matrix``; NaN entries are left
    out per column. The same interval as :func:`sim.kernel.stats.confidence_interval`, vectorised for curves."""
    m = np.asarray(matrix, dtype=float)
    if m.ndim == 1:
        m = m[:, None]
    finite = np.isfinite(m)
    n = finite.sum(axis=0)
    total = np.where(finite, m, 0.0).sum(axis=0)
    mean = np.full(m.shape[1], np.nan)
    np.divide(total, n, out=mean, where=n > 0)
    low, high = np.full_like(mean, np.nan), np.full_like(mean, np.nan)
    two = n >= 2
    if two.any():
        dev = np.where(finite, m - mean, 0.0)
        sd = np.sqrt((dev ** 2).sum(axis=0)[two] / (n[two] - 1))
        half = stats.t.ppf(0.5 + level / 2, n[two] - 1) * sd / np.sqrt(n[two])
        low[two], high[two] = mean[two] - half, mean[two] + half
    return mean, low, high


def _require(df: pd.DataFrame, columns: Sequence[str], table: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise FigureDataError(f"{table} lacks column {missing[0]!r} (needs: {', '.join(columns)})")


def _own_families(families: pd.DataFrame) -> pd.DataFrame:
    """Families that arrived in the observed window: the rows every per-family KPI describes (a run from today
    also lists the cases already open at the start, marked ``preexisting``; sim/metrics.replication_kpis)."""
    if "preexisting" in families.columns and families["preexisting"].astype(bool).any():
        return families[~families["preexisting"].astype(bool)]
    return families


def _replications(frames: Mapping[str, pd.DataFrame]) -> list[int]:
    reps: set[int] = set()
    for df in frames.values():
        reps |= set(int(r) for r in df["replication"].unique())
    return sorted(reps)


# ====================================================================== 2. waiting list per organisation


def org_of_pool(pool: str, organisation: str) -> str:
    """Expert pools are listed apart from their partner's caseload (as sim.analysis.compare.org_waiting does): a consult
    waiting for a vertrouwensarts is not a family waiting for Veilig Thuis."""
    return "expertise" if pool.startswith("expertise.") else organisation


def org_waiting_series(timeseries: pd.DataFrame) -> pd.DataFrame:
    """Per replication, organisation and time step: the time-weighted number waiting (sum of its pools) and its
    capacity. Columns: replication, organisation, t_start, length_days, waiting, capacity."""
    _require(timeseries, ("replication", "pool", "organisation", "t_start", "length_days", "waiting", "capacity"),
             "timeseries")
    ts = timeseries.assign(org=[org_of_pool(p, o) for p, o in zip(timeseries["pool"], timeseries["organisation"])])
    out = ts.groupby(["replication", "org", "t_start"], sort=True, observed=True).agg(
        length_days=("length_days", "max"), waiting=("waiting", "sum"), capacity=("capacity", "sum")).reset_index()
    return out.rename(columns={"org": "organisation"})


def _band_over_time(series: pd.DataFrame, value: str = "waiting") -> pd.DataFrame:
    """Mean and 95 % CI over replications per time step: columns t_mid, mean, low, high."""
    wide = series.pivot_table(index="replication", columns="t_start", values=value, aggfunc="sum")
    length = series.groupby("t_start")["length_days"].max()
    mean, low, high = mean_ci(wide.to_numpy())
    t = wide.columns.to_numpy(dtype=float)
    return pd.DataFrame({"t_mid": t + length.reindex(wide.columns).to_numpy() / 2.0, "mean": mean,
                         "low": np.clip(low, 0, None), "high": high})


def stories_distribution(families: pd.DataFrame, top: int = 5) -> pd.DataFrame:
    """Per replication, the share of families that told their story 0, 1, ..., ``top`` or more times."""
    own = _own_families(families)
    counts = np.minimum(own["stories_told"].to_numpy(dtype=float), top)
    frame = pd.DataFrame({"replication": own["replication"].to_numpy(), "k": counts})
    share = frame.groupby("replication")["k"].value_counts(normalize=True).unstack(fill_value=0.0)
    return share.reindex(columns=range(top + 1), fill_value=0.0)


# ====================================================================== sweeps: swept keys and values


def swept_keys(summary: pd.DataFrame) -> list[str]:
    """The keys of a sweep summary that vary between points (columns between ``point`` and ``n_replications``)."""
    _require(summary, ("point", "n_replications"), "sweep_summary.csv")
    cols = list(summary.columns)
    keys = cols[cols.index("point") + 1: cols.index("n_replications")]
    return [k for k in keys if summary[k].nunique(dropna=False) > 1]


def _kpi_cols(summary: pd.DataFrame, kpi: str) -> tuple[str, str, str]:
    cols = (f"{kpi}.mean", f"{kpi}.ci_low", f"{kpi}.ci_high")
    _require(summary, cols, "sweep_summary.csv")
    return cols


def _workflow_col(summary: pd.DataFrame) -> pd.Series:
    return summary["scenario"].astype(str) if "scenario" in summary.columns else pd.Series("?", index=summary.index)


def _sweep_frame(summary: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """The columns a chart needs plus ``_wf`` (the workflow), as a new compact frame (a sweep summary has
    hundreds of columns; adding one to it would copy them all)."""
    out = summary[list(dict.fromkeys(columns))].copy()
    out["_wf"] = _workflow_col(summary).to_numpy()
    return out


# ====================================================================== capacity, backlog drain, sizing (issue 7)


@dataclass(frozen=True)
class TableSpec:
    """The columns a table must have to be drawn (documented in docs/model.md, 'Output tables')."""

    name: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = field(default=())

    def check(self, df: pd.DataFrame) -> pd.DataFrame:
        _require(df, self.required, self.name)
        if df.empty:
            raise FigureDataError(f"{self.name} has no rows")
        return df


CAPACITY = TableSpec("capacity.csv", ("workflow", "demand_scale", "kpi", "mean", "ci_low", "ci_high"),
                     ("unstable", "bottleneck"))
BACKLOG = TableSpec("backlog_drain.csv", ("organisation", "extra_fte", "day", "waiting_mean", "waiting_ci_low",
                                          "waiting_ci_high"), ("workflow", "extra_fte_org", "days_to_norm_mean"))
SIZING = TableSpec("sizing.csv", ("organisation", "fte_today", "fte_needed", "kpi", "target", "kpi_mean",
                                  "kpi_ci_low", "kpi_ci_high"),
                   ("workflow", "kpi_one_less_mean", "kpi_one_less_ci_low", "kpi_one_less_ci_high"))


def capacity_from_sweep(summary: pd.DataFrame, kpi: str = kpis.LEAD_TIME_HELP_KM_P90) -> pd.DataFrame:
    """The capacity table (:data:`CAPACITY`) from a sweep over ``demand.scale``: per workflow and demand, the KPI's
    mean and CI, and ``unstable`` when any organisation's waiting list kept growing in at least half of the
    replications (the runs' ``unstable.<pool>`` flags, sim/metrics.is_unstable)."""
    if "demand.scale" not in summary.columns:
        raise FigureDataError("sweep_summary.csv: demand.scale is not swept (no capacity curve)")
    mean_c, low_c, high_c = _kpi_cols(summary, kpi)
    prefix = kpis.get(kpis.UNSTABLE).prefix
    flags = [c for c in summary.columns if c.startswith(prefix) and c.endswith(".mean")]
    unstable = summary[flags].ge(0.5).any(axis=1) if flags else pd.Series(False, index=summary.index)
    bottleneck = summary[flags].idxmax(axis=1).str.slice(len(prefix), -len(".mean")).where(unstable, "") \
        if flags else pd.Series("", index=summary.index)
    return pd.DataFrame({"workflow": _workflow_col(summary), "demand_scale": summary["demand.scale"].astype(float),
                         "kpi": kpi, "mean": summary[mean_c], "ci_low": summary[low_c], "ci_high": summary[high_c],
                         "unstable": unstable.astype(bool), "bottleneck": bottleneck}).sort_values(
        ["workflow", "demand_scale"]).reset_index(drop=True)


def backlog_from_timeseries(timeseries: Mapping[float, pd.DataFrame], workflow: str = "",
                            extra_fte_org: str = "") -> pd.DataFrame:
    """The backlog table (:data:`BACKLOG`) from runs that start from today's waiting lists (``run.start=today``),
    one per number of extra FTE (at ``extra_fte_org``): per organisation and week, the mean number waiting and
    its 95 % CI."""
    rows = []
    for extra, ts in timeseries.items():
        series = org_waiting_series(ts)
        for org, g in series.groupby("organisation", sort=True):
            if g["capacity"].max() <= 0:
                continue
            band = _band_over_time(g)
            rows.append(pd.DataFrame({"workflow": workflow, "organisation": org, "extra_fte": float(extra),
                                      "extra_fte_org": extra_fte_org,
                                      "day": band["t_mid"], "waiting_mean": band["mean"],
                                      "waiting_ci_low": band["low"], "waiting_ci_high": band["high"]}))
    if not rows:
        raise FigureDataError("timeseries: empty (no backlog to draw)")
    return pd.concat(rows, ignore_index=True)
