"""Tidy tables from one replication, KPIs per replication, and summaries with confidence intervals.

Tables (every row carries its scenario and replication):
- ``families``: one row per family episode that arrived in the observation window (after warm-up);
  times are days since the start of the window; ``censored`` when the episode was still open at the end.
- ``events``: one row per event (case, activity, organisation, lifecycle, time): readable by pm4py.
- ``timeseries``: per pool and time step, the time-weighted waiting list and caseload in use.
- ``runs``: one row per replication with every KPI; ``summary`` aggregates it over replications
  (mean, 95 % t-interval, sd). A single replication is never a finding: its CI is NaN and the run warns.

Regions with several organisations of a kind (``region.units``): every organisation's pools have their own
timeseries rows and pool KPIs (``waiting_list_mean.gi[william_schrikker]``, ``wait_mean.veilig_thuis.triage[...]``);
the kind-level pool KPIs (``waiting_list_mean.gi``) are the sums over its organisations, so everything that reads
them works unchanged. The families table then has two more columns, ``vt_unit`` and ``gi_unit``, and the
stage norms and waits get one KPI per organisation (``share_triage_within_norm[gelderland_zuid]``,
``gi_wait_mean[william_schrikker]``).
"""

from __future__ import annotations

import math
from itertools import chain, repeat
from operator import add, attrgetter

import numpy as np
import pandas as pd

from sim.chain import kpis
from sim.chain.entities import (
    AGE_TIMES,
    COUNTERS,
    MILESTONES,
    WAIT_ORGS,
    WAITING_COUNTERS,
    WAITING_TIMES,
    Family,
    kind_pool,
    unit_pool,
)
from sim.kernel.stats import confidence_interval, km_quantile, km_rmst

FAMILY_COLUMNS: tuple[str, ...] = (
    "scenario", "replication", "case_id", "family_id", "episode", "route", "colour", "n_children",
    "preexisting", "arrival", *MILESTONES, *(f"wait_{o}" for o in WAIT_ORGS), *COUNTERS, "staff_hours",
    "orgs_involved", "n_orgs", "outcome", "measure", "lead_time_help", "lead_time_measure", "censored",
)
EVENT_COLUMNS = ("scenario", "replication", "case_id", "activity", "organisation", "lifecycle", "time", "timestamp")
UNIT_COLUMNS: tuple[str, ...] = ("vt_unit", "gi_unit")
"""Appended to FAMILY_COLUMNS in a region with several organisations of a kind (region.units) only, so the
families table of every other region is exactly what it was."""
OPTIONAL_FAMILY_COLUMNS: tuple[str, ...] = (*UNIT_COLUMNS, *WAITING_TIMES, *WAITING_COUNTERS, *AGE_TIMES)
"""Columns a families table has after FAMILY_COLUMNS only when the run has them, in this order: the organisations of a
region with units, the outcomes of waiting (model.waiting) and the children's ages (families.age_at_melding)."""
TIMESERIES_COLUMNS = ("scenario", "replication", "pool", "organisation", "t_start", "length_days", "waiting",
                      "in_care", "capacity", "arrivals", "starts")
FEEDBACK_COLUMNS = ("available_fte", "pressure")
"""Appended to TIMESERIES_COLUMNS with workload feedback on only (staff_dynamics.workload_feedback), so every other
run's timeseries table is exactly what it was."""


def families_table(families: list[Family], scenario: str, replication: int, t0: float,
                   waiting: bool = False, ages: bool = False) -> pd.DataFrame:
    """Families that arrived at or after ``t0`` (end of warm-up); times shifted so that t0 = 0. ``waiting``: the
    run had the mechanisms of sim/chain/waiting.py, and the table gains their times and counters (WAITING_TIMES,
    WAITING_COUNTERS) after every other column; ``ages``: children have an age (``families.age_at_melding``), and
    it gains AGE_TIMES; without them it has exactly the columns it always had.

    Built column by column (C-level passes with ``attrgetter`` and ``map``) rather than row by row: a
    national replication has hundreds of thousands of records, and a row tuple per family plus pandas'
    conversion of a 2-D object array cost more than the simulation itself. The time columns (arrival and
    every milestone) are read in one pass into one float64 block: the records are far apart in memory, so
    each pass over them costs a cache miss per record, and 23 passes cost more than one. The other columns
    stay Python lists so numpy infers their dtype exactly as before.
    """
    fams = [f for f in families if not (f.arrival < t0 and not f.preexisting)]
    n = len(fams)

    def values(name: str) -> list:
        return list(map(attrgetter(name), fams))

    times = ("arrival", *MILESTONES)  # one row per family, one column per time: a single pass over the records
    block = np.fromiter(chain.from_iterable(map(attrgetter(*times), fams)), dtype=np.float64,
                        count=n * len(times)).reshape(n, len(times))
    arrival = block[:, 0] - t0
    cols: dict[str, object] = {"scenario": [scenario] * n, "replication": [replication] * n}
    for name in ("case_id", "family_id", "episode", "route", "colour", "n_children", "preexisting"):
        cols[name] = values(name)
    cols["colour"] = values("arrival_colour")  # the attribute at arrival; worsening while waiting: worsened, escalated_at
    cols["arrival"] = arrival
    for j, m in enumerate(MILESTONES, start=1):
        cols[m] = block[:, j] - t0  # a new contiguous array per column
    for o, w in zip(WAIT_ORGS, _waits(values("waits"), n)):
        cols[f"wait_{o}"] = w
    for c in COUNTERS:
        cols[c] = values(c)  # ints or floats: left to numpy, as before
    cols["staff_hours"] = list(map(add, map(add, cols["intake_hours"], cols["meeting_hours"]), cols["consult_hours"]))
    orgs = values("orgs")
    cols["orgs_involved"] = list(map(">".join, orgs))
    cols["n_orgs"] = list(map(len, map(set, orgs)))
    cols["outcome"] = [o or "open" for o in values("outcome")]
    cols["measure"] = values("measure")
    cols["lead_time_help"] = cols["help_start"] - arrival
    cols["lead_time_measure"] = cols["gi_first_contact"] - arrival
    cols["censored"] = np.isnan(block[:, times.index("closed")])
    columns = list(FAMILY_COLUMNS)
    if n and (fams[0].vt_unit or fams[0].gi_unit):  # every family of a region with units has one
        for name in UNIT_COLUMNS:
            cols[name] = values(name)
        columns += list(UNIT_COLUMNS)
    if waiting:
        for name in WAITING_TIMES:
            cols[name] = np.array(values(name), dtype=np.float64) - t0
        for name in WAITING_COUNTERS:
            cols[name] = np.array(values(name), dtype=np.int64)
        columns += [*WAITING_TIMES, *WAITING_COUNTERS]
    if ages:
        for name in AGE_TIMES:
            cols[name] = np.array(values(name), dtype=np.float64) - t0
        columns += list(AGE_TIMES)
    if n:  # numbers to arrays here: numpy infers int64 / float64 / bool from the values exactly as pandas would
        for name, col in cols.items():
            if isinstance(col, list) and not isinstance(col[0], str):
                cols[name] = np.array(col)
    # plain strings, not categoricals: a categorical's dtype depends on the values present, so the table's
    # schema would depend on which replications ran together. copy=False: the arrays are this table's alone,
    # so pandas need not copy them into one block (a third of the table's cost nationally)
    return pd.DataFrame(cols, columns=columns, copy=False)


def _waits(waits: list[dict[str, float]], n: int) -> np.ndarray:
    """``wait_<org>`` of every family, one row per organisation of WAIT_ORGS (0.0 where a family has none).

    One pass over the families' ``waits`` dicts (their keys and values, flattened) instead of one ``get`` per
    family and organisation: the dicts are scattered in memory, so every pass costs a cache miss per family.
    Keys outside WAIT_ORGS go to a spare row that is dropped."""
    lengths = np.fromiter(map(len, waits), dtype=np.int64, count=n)
    total = int(lengths.sum())
    row = {o: i for i, o in enumerate(WAIT_ORGS)}
    rows = np.fromiter(map(row.get, chain.from_iterable(waits), repeat(len(WAIT_ORGS))), dtype=np.int64, count=total)
    days = np.fromiter(chain.from_iterable(map(dict.values, waits)), dtype=np.float64, count=total)
    out = np.zeros((len(WAIT_ORGS) + 1, n))
    out[rows, np.repeat(np.arange(n), lengths)] = days  # a dict has each key once: no cell is written twice
    return out[:-1]


EVENT_CHUNK = 1 << 16  # log entries converted per step by events_table


def events_table(events: list[tuple] | None, scenario: str, replication: int, t0: float,
                 start_date: str) -> pd.DataFrame:
    if not events:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    # Column by column (a national year logs about a million events), and chunk by chunk: each chunk of the log
    # is transposed (zip) and converted to arrays while its tuples are still in the cache, instead of five
    # million-element tuples first (40 MB nationally that the process would have to grow by, at a page fault
    # per 4 KB). The time filter is applied to arrays, and the text columns are coded with a dict straight into
    # categoricals, instead of a 2-D object array, string columns or pandas hashing an object array.
    total = len(events)
    time = np.empty(total)
    case_id = np.empty(total, dtype=np.int64)
    texts = [_TextCodes(total) for _ in range(3)]  # activity, organisation, lifecycle
    for start in range(0, total, EVENT_CHUNK):
        cases, *columns, times = zip(*events[start:start + EVENT_CHUNK])
        end = start + len(cases)
        case_id[start:end] = np.fromiter(cases, dtype=np.int64, count=len(cases))
        time[start:end] = np.fromiter(times, dtype=np.float64, count=len(times))
        for coder, values in zip(texts, columns):
            coder.add(values, start)
    keep = time >= t0
    n = int(np.count_nonzero(keep))
    everything = n == total  # no warm-up (run.start=today): every event is kept, so no masked copies

    def kept(values: np.ndarray) -> np.ndarray:
        return values if everything else values[keep]

    def category(coder: "_TextCodes | None") -> pd.Categorical:
        if not n:  # as Series(values, dtype="str").astype("category") gives for no values
            return pd.Series(np.array([], dtype=object), dtype="str").astype("category")
        if coder is None:  # the scenario: one value, its codes are all 0
            return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=pd.Index([scenario], dtype="str"))
        return coder.category(None if everything else keep)

    df = pd.DataFrame({
        "scenario": category(None),
        "replication": np.full(n, replication, dtype=np.int64),
        "case_id": kept(case_id),
        "activity": category(texts[0]),
        "organisation": category(texts[1]),
        "lifecycle": category(texts[2]),
        "time": kept(time) - t0,
    })
    df["timestamp"] = pd.Timestamp(start_date) + pd.to_timedelta(df["time"], unit="D")
    return df


class _TextCodes:
    """One text column of the event log as integer codes, filled chunk by chunk (:func:`events_table`)."""

    def __init__(self, size: int) -> None:
        self.index: dict = {}  # text -> code, in the order of first appearance (the few distinct, interned texts)
        self.codes = np.empty(size, dtype=np.int32)

    def add(self, values: tuple, start: int) -> None:
        index = self.index
        for text in set(values).difference(index):
            index[text] = len(index)
        self.codes[start:start + len(values)] = np.fromiter(map(index.__getitem__, values), dtype=np.int32,
                                                            count=len(values))

    def category(self, keep: np.ndarray | None) -> pd.Categorical:
        """The column as a categorical with sorted text categories, as ``Series(values, dtype="str")
        .astype("category")`` gives; ``keep``: the rows left after the time filter (None: all), whose values alone
        are the categories."""
        texts = list(self.index)
        codes = self.codes if keep is None else self.codes[keep]
        try:
            order = sorted(range(len(texts)), key=texts.__getitem__)  # the order pd.factorize(sort=True) gives
        except TypeError:  # not all text (a missing value): let pandas sort it out
            found_codes, found = pd.factorize(np.array(texts, dtype=object)[codes], sort=True)
            return pd.Categorical.from_codes(found_codes, categories=pd.Index(found, dtype="str"))
        rank = np.empty(len(texts), dtype=np.int32)
        rank[order] = np.arange(len(texts), dtype=np.int32)
        codes, uniques = rank[codes], [texts[i] for i in order]
        if keep is not None:
            present = np.flatnonzero(np.bincount(codes, minlength=len(uniques)))  # O(n): no sort
            if len(present) < len(uniques):
                renumber = np.zeros(len(uniques), dtype=np.int32)
                renumber[present] = np.arange(len(present), dtype=np.int32)
                codes, uniques = renumber[codes], [uniques[i] for i in present]
        return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str"))


def timeseries_table(pools: dict, scenario: str, replication: int,
                     waiting_weight: float | None = None) -> pd.DataFrame:
    """One row per pool and time step. ``waiting_weight`` (workload feedback on, sim/chain/workforce.py): two more
    columns, ``available_fte`` (places x FTE per place: the staff present) and ``pressure`` ((in care +
    waiting_weight x waiting) / places, of the step's time-weighted levels; waiting in the pool's own count, cases
    for a pool of hours), so the vicious circle is visible; without it the table is exactly what it was."""
    rows = [(scenario, replication, p.name, p.org, *b) for p in pools.values() for b in p.stats.buckets]
    df = pd.DataFrame.from_records(rows, columns=list(TIMESERIES_COLUMNS))
    if waiting_weight is not None:
        per_place = df["pool"].map({p.name: p.fte_per_place for p in pools.values()}).astype(float)
        df[FEEDBACK_COLUMNS[0]] = df["capacity"] * per_place
        load = df["in_care"] + waiting_weight * df["waiting"]
        df[FEEDBACK_COLUMNS[1]] = np.where(df["capacity"] > 0, load / df["capacity"].where(df["capacity"] > 0, 1.0),
                                           np.where(load > 0, np.inf, 1.0))
    return df


# ====================================================================== KPIs of one replication


def _share_within(values: pd.Series, norm: float) -> float:
    v = values.dropna()
    return float((v <= norm).mean()) if len(v) else math.nan


def _q(values: pd.Series, q: float) -> float:
    v = values.dropna()
    return float(np.quantile(v, q)) if len(v) else math.nan


def _mean(values: pd.Series) -> float:
    v = values.dropna()
    return float(v.mean()) if len(v) else math.nan


def pool_kpis(pools: dict, window_days: float) -> dict[str, float]:
    """Per pool: time-weighted waiting list and caseload in use, utilisation, flows, mean wait, stability."""
    out: dict[str, float] = {}
    years = window_days / 365.0
    for p in pools.values():
        b = np.asarray([x[1:5] for x in p.stats.buckets], dtype=float).reshape(-1, 4)
        length = b[:, 0]
        total = length.sum()
        waiting = float((b[:, 1] * length).sum() / total) if total else math.nan
        in_care = float((b[:, 2] * length).sum() / total) if total else math.nan
        capacity = float((b[:, 3] * length).sum() / total) if total else math.nan
        key = p.name
        out[kpis.of(kpis.WAITING_LIST_MEAN, key)] = waiting
        out[kpis.of(kpis.WAITING_LIST_END, key)] = float(p.queued)
        out[kpis.of(kpis.IN_CARE_MEAN, key)] = in_care
        out[kpis.of(kpis.CAPACITY, key)] = capacity
        out[kpis.of(kpis.UTILISATION, key)] = in_care / capacity if capacity else math.nan
        out[kpis.of(kpis.ARRIVALS_PER_YEAR, key)] = p.stats.arrivals / years
        out[kpis.of(kpis.STARTS_PER_YEAR, key)] = p.stats.starts / years
        out[kpis.of(kpis.WAIT_MEAN, key)] = p.stats.wait_sum / p.stats.starts if p.stats.starts else math.nan
        mean_hold = p.stats.hold_sum / p.stats.holds if p.stats.holds else math.nan
        out[kpis.of(kpis.OFFERED_LOAD, key)] = p.stats.arrivals / window_days * mean_hold
        out[kpis.of(kpis.SPENT_LOAD, key)] = p.stats.spent / window_days
        out[kpis.of(kpis.UNSTABLE, key)] = float(is_unstable(b, capacity, in_care))
        out[kpis.of(kpis.FTE_IN_USE, key)] = in_care * p.fte_per_place
    out[kpis.FTE_IN_USE_TOTAL] = float(np.nansum([out[kpis.of(kpis.FTE_IN_USE, p.name)] for p in pools.values()]))
    out.update(_kind_totals(pools, out))
    return out


def _kind_totals(pools: dict, per_pool: dict[str, float]) -> dict[str, float]:
    """Kind-level pool KPIs of a region with several organisations of a kind (``gi`` from ``gi[a]``, ``gi[b]``):
    levels, places, flows and offered loads add up; utilisation and the mean wait are the ratios of the sums;
    ``unstable`` is set when the kind's total list keeps growing (:func:`is_unstable` on the summed levels, as for
    one pool): a single organisation's growing list is its own ``unstable.<kind>[<name>]`` flag. Summing first
    matters for the small pools of one organisation, whose lists wander by more than the flag's five cases
    without any trend (sim.size sizes the kind's total on this flag). Empty without units."""
    groups: dict[str, list] = {}
    for p in pools.values():
        if kind_pool(p.name) != p.name:
            groups.setdefault(kind_pool(p.name), []).append(p)
    out: dict[str, float] = {}
    for kind, members in groups.items():
        for metric in kpis.tagged("summed"):  # levels, places, flows and loads add up
            out[metric.of(kind)] = float(sum(per_pool[metric.of(p.name)] for p in members))
        capacity, starts = out[kpis.of(kpis.CAPACITY, kind)], sum(p.stats.starts for p in members)
        in_care = out[kpis.of(kpis.IN_CARE_MEAN, kind)]
        out[kpis.of(kpis.UTILISATION, kind)] = in_care / capacity if capacity else math.nan
        out[kpis.of(kpis.WAIT_MEAN, kind)] = sum(p.stats.wait_sum for p in members) / starts if starts else math.nan
        levels = [np.asarray([x[1:5] for x in p.stats.buckets], dtype=float).reshape(-1, 4) for p in members]
        if all(b.shape == levels[0].shape for b in levels):  # one time grid: the kind's levels are the sums
            summed = np.column_stack([levels[0][:, 0], *(sum(b[:, j] for b in levels) for j in (1, 2, 3))])
            out[kpis.of(kpis.UNSTABLE, kind)] = float(is_unstable(summed, capacity, in_care))
        else:
            out[kpis.of(kpis.UNSTABLE, kind)] = max(per_pool[kpis.of(kpis.UNSTABLE, p.name)] for p in members)
    return out


def growing_lists(runs: pd.DataFrame) -> dict[str, float]:
    """The pools whose waiting list kept growing in half the replications or more, with that share, in the runs
    table's order. A kind with several organisations (region.units) counts as one list, its total (``unstable.gi``, see
    :func:`_kind_totals`): the FTE that sim.size and sim.capacity vary is the kind's, and one organisation's small
    list wanders by more than the flag's threshold; its own flag (``unstable.gi[x]``) stays in the runs table."""
    shares = {pool: float(runs[c].mean()) for c in runs.columns if (pool := kpis.pool_of(c, kpis.UNSTABLE)) is not None}
    return {p: f for p, f in shares.items() if kind_pool(p) == p and f >= 0.5}


def is_unstable(buckets: np.ndarray, capacity: float, in_care: float) -> bool:
    """Demand above capacity shows as a full caseload and a waiting list that keeps growing through the
    window: the last quarter's mean waiting list is well above the first quarter's."""
    if len(buckets) < 8 or not capacity:
        return False
    quarter = len(buckets) // 4
    first, last = buckets[:quarter, 1].mean(), buckets[-quarter:, 1].mean()
    return in_care / capacity > 0.95 and last - first > max(5.0, 0.25 * first)


def replication_kpis(fam: pd.DataFrame, pools: dict, norms: dict[str, float], window_days: float) -> dict[str, float]:
    years = window_days / 365.0
    k: dict[str, float] = {}
    # Lead times and per-family counts describe the families that arrived in the window. Stage waits, norms and
    # flows count what happened in the window (a milestone at time >= 0), including the cases that were already
    # open when a run starts from today (preexisting rows, whose history before the start is negative).
    # Without preexisting rows both selections are the whole table, as they always were.
    everyone = fam
    if fam["preexisting"].any():
        fam = fam[~fam["preexisting"].astype(bool)]
    in_window = {col: everyone[col] >= 0 for col in ("triage_start", "triage_end", "vt_onderzoek_start",
                                                       "vt_onderzoek_end", "rvdk_start", "court_request",
                                                       "gi_request", "gi_first_contact", "gi_voluntary_start")}
    helped = fam["lead_time_help"]
    k[kpis.FAMILIES_PER_YEAR] = len(fam) / years
    k[kpis.LEAD_TIME_HELP_MEAN] = _mean(helped)
    k[kpis.LEAD_TIME_HELP_MEDIAN] = _q(helped, 0.5)
    k[kpis.LEAD_TIME_HELP_P90] = _q(helped, 0.9)
    k[kpis.LEAD_TIME_MEASURE_MEAN] = _mean(fam["lead_time_measure"])
    # to first contact under a measure: every family whose measure reached the GI gets there eventually, so the
    # ones still waiting at the end are censored observations, not absent ones (Kaplan-Meier)
    under_measure = fam["gi_request"].notna().to_numpy()
    contact = fam["gi_first_contact"].notna().to_numpy()[under_measure]
    waited = np.where(contact, fam["lead_time_measure"].to_numpy()[under_measure],
                      window_days - fam["arrival"].to_numpy()[under_measure])
    k[kpis.LEAD_TIME_MEASURE_P90] = km_quantile(waited, contact, 0.9)
    k.update(censored_lead_times(fam, window_days))
    k[kpis.SHARE_MEASURE_WAITING_AT_END] = float((~contact).mean()) if len(contact) else math.nan
    k[kpis.SHARE_REACHED_HELP] = float(helped.notna().mean()) if len(fam) else math.nan
    k[kpis.SHARE_CENSORED] = float(fam["censored"].mean()) if len(fam) else math.nan
    triage = (everyone["triage_end"] - everyone["arrival"])[in_window["triage_end"]]
    k[kpis.SHARE_TRIAGE_WITHIN_NORM] = _share_within(triage, norms[kpis.norm(kpis.SHARE_TRIAGE_WITHIN_NORM)])
    vt_onderzoek = (everyone["vt_onderzoek_end"] - everyone["triage_end"])[in_window["vt_onderzoek_end"]]
    k[kpis.SHARE_VT_ONDERZOEK_WITHIN_NORM] = _share_within(vt_onderzoek,
                                                       norms[kpis.norm(kpis.SHARE_VT_ONDERZOEK_WITHIN_NORM)])
    rvdk_wait = (everyone["rvdk_start"] - everyone["rvdk_request"])[in_window["rvdk_start"]]
    k[kpis.RVDK_WAIT_MEAN] = _mean(rvdk_wait)
    k[kpis.SHARE_RVDK_WAIT_WITHIN_NORM] = _share_within(rvdk_wait, norms[kpis.norm(kpis.SHARE_RVDK_WAIT_WITHIN_NORM)])
    gi_wait = (everyone["gi_first_contact"] - everyone["gi_request"])[in_window["gi_first_contact"]]
    k[kpis.GI_WAIT_MEAN] = _mean(gi_wait)
    k[kpis.SHARE_GI_WITHIN_NORM] = _share_within(gi_wait, norms[kpis.norm(kpis.SHARE_GI_WITHIN_NORM)])
    regular = fam["measure"].isin(["ots", "ots_uhp", "voogdij"]) & (fam["colour"] != "rood")
    k[kpis.SHARE_CHAIN_WITHIN_NORM] = _share_within(fam.loc[regular, "lead_time_measure"],
                                                norms[kpis.norm(kpis.SHARE_CHAIN_WITHIN_NORM)])
    for col in ("handoffs", "stories_told", "intakes", "intake_hours", "meeting_hours", "consult_hours", "staff_hours"):
        k[f"{col}_per_family"] = float(fam[col].mean()) if len(fam) else math.nan
    children = everyone["n_children"]
    k[kpis.VT_MELDINGEN_PER_YEAR] = float(in_window["triage_start"].sum()) / years
    k[kpis.VT_ONDERZOEKEN_PER_YEAR] = float(in_window["vt_onderzoek_start"].sum()) / years
    k[kpis.RVDK_ONDERZOEKEN_PER_YEAR] = float(children[in_window["rvdk_start"]].sum()) / years
    k[kpis.GI_VOLUNTARY_PER_YEAR] = float(in_window["gi_voluntary_start"].sum()) / years
    k[kpis.VERZOEKEN_PER_YEAR] = float(children[in_window["court_request"]].sum()) / years
    k[kpis.NEW_MEASURES_PER_YEAR] = float(children[in_window["gi_request"]].sum()) / years
    if "vt_unit" in everyone.columns:
        k.update(_unit_kpis(everyone, in_window, norms))
    if WAITING_TIMES[0] in everyone.columns:
        k.update(waiting_kpis(fam, everyone, years, k[kpis.VT_MELDINGEN_PER_YEAR]))
    if "aged_out_at" in everyone.columns:  # measures ended at the child's 18th birthday in the window (children)
        k[kpis.AGED_OUT_PER_YEAR] = float(children[everyone["aged_out_at"] >= 0].sum()) / years
    k.update(pool_kpis(pools, window_days))
    return k


def waiting_kpis(fam: pd.DataFrame, everyone: pd.DataFrame, years: float, meldingen_per_year: float) -> dict[str, float]:
    """The outcomes of waiting (sim/chain/waiting.py) in the window: events whose time is in the window, today's open
    cases included (``everyone``), per 1,000 family episodes that arrived in it (``fam``) or per year."""
    per_1000 = 1000.0 / len(fam) if len(fam) else math.nan
    children = everyone["n_children"]
    in_window = {name: everyone[name] >= 0 for name in WAITING_TIMES}  # NaN (never) compares False
    k: dict[str, float] = {}
    k[kpis.CRISIS_ESCALATIONS_PER_1000] = float(in_window["escalated_at"].sum()) * per_1000
    k[kpis.COLOUR_STEPS_PER_1000] = float(fam["worsened"].sum()) * per_1000
    k[kpis.VOORLOPIGE_OTS_PER_YEAR] = float(children[in_window["vots_at"]].sum()) / years
    uhp = (everyone["gi_request"] >= 0) & (everyone["measure"] == "ots_uhp")
    k[kpis.UITHUISPLAATSINGEN_PER_YEAR] = float(children[uhp].sum()) / years
    vervolg = float(fam["vervolgmeldingen"].sum()) / years
    k[kpis.VERVOLGMELDINGEN_PER_YEAR] = vervolg
    k[kpis.SHARE_VERVOLGMELDINGEN] = vervolg / (vervolg + meldingen_per_year) if vervolg + meldingen_per_year > 0 \
        else math.nan
    k[kpis.DROPOUTS_PER_1000] = float(in_window["dropped_out_at"].sum()) * per_1000
    return k


def censored_lead_times(fam: pd.DataFrame, window_days: float) -> dict[str, float]:
    """The censoring-aware lead times of the episodes that arrived in the window (``fam``, no preexisting rows):
    restricted mean up to kpis.LEAD_TIME_HORIZON_DAYS, median and p90 from the Kaplan-Meier estimator.

    The families counted are those of the mean over completed episodes plus the ones it leaves out: an episode that
    is still open at the end of the run (``censored``) without the milestone is censored at the time it has waited
    so far (the end of the run minus its arrival). An episode that closed without the milestone is left out, as the
    means leave it out: it no longer waits for help (VT or the Raad closed it), and counting it as censored would
    let the estimator impute it the long waits of the families still in the chain; ``share_reached_help`` reports
    how many such episodes there are. So with no episode open at the end, the restricted mean at a horizon beyond
    every wait is the mean over completed episodes, and every family still waiting can only lengthen it.
    Help: every episode. The jeugdbeschermer: the episodes on the protection path (a verzoek reached the Raad, a
    request the kinderrechter or a measure the GI), the only ones that can get one; families still before the
    Raad are not yet known to be on it (the help lead time counts their wait). The restricted means are NaN for a
    window shorter than the horizon: it watched nobody for a whole horizon, and the mean would rest on whether the
    single longest observation happened to be an event (the Kaplan-Meier curve then drops to zero)."""
    out: dict[str, float] = {}
    for column, rmst, median, p90 in (
            ("lead_time_help", kpis.LEAD_TIME_HELP_RMST, kpis.LEAD_TIME_HELP_KM_MEDIAN, kpis.LEAD_TIME_HELP_KM_P90),
            ("lead_time_measure", kpis.LEAD_TIME_MEASURE_RMST, kpis.LEAD_TIME_MEASURE_KM_MEDIAN,
             kpis.LEAD_TIME_MEASURE_KM_P90)):
        durations, observed = lead_time_sample(fam, column, window_days)
        out[rmst] = km_rmst(durations, observed, kpis.LEAD_TIME_HORIZON_DAYS) \
            if window_days >= kpis.LEAD_TIME_HORIZON_DAYS else math.nan
        out[median] = km_quantile(durations, observed, 0.5)
        out[p90] = km_quantile(durations, observed, 0.9)
    return out


def lead_time_sample(fam: pd.DataFrame, column: str, window_days: float) -> tuple[np.ndarray, np.ndarray]:
    """The right-censored sample behind a censoring-aware lead time (:func:`censored_lead_times`, which says who
    is counted): per counted episode its duration (the lead time, or the wait so far for one still waiting at the
    end of the run) and whether the milestone was reached. ``column`` is ``lead_time_help`` or
    ``lead_time_measure``; ``fam`` the episodes that arrived in the window (no preexisting rows)."""
    waiting = fam["censored"].to_numpy(dtype=bool)
    waited = window_days - fam["arrival"].to_numpy(dtype=float)
    if column == "lead_time_measure":
        among = (fam["rvdk_request"].notna() | fam["court_request"].notna() | fam["gi_request"].notna()).to_numpy()
    elif column == "lead_time_help":
        among = np.ones(len(fam), dtype=bool)
    else:
        raise ValueError(f"column = {column!r} (allowed: lead_time_help, lead_time_measure)")
    lead = fam[column].to_numpy(dtype=float)
    reached = np.isfinite(lead)
    counted = among & (reached | waiting)
    return np.where(reached, lead, waited)[counted], reached[counted]


def _unit_kpis(everyone: pd.DataFrame, in_window: dict[str, pd.Series], norms: dict[str, float]) -> dict[str, float]:
    """The stage norms and waits per organisation (region.units), as the region's KPIs compute them, over the
    cases of that organisation's families: ``<kpi>[<organisation>]``."""
    out: dict[str, float] = {}
    triage = everyone["triage_end"] - everyone["arrival"]
    onderzoek = everyone["vt_onderzoek_end"] - everyone["triage_end"]
    gi_wait = everyone["gi_first_contact"] - everyone["gi_request"]
    for unit in sorted(u for u in everyone["vt_unit"].unique() if u):
        mine = everyone["vt_unit"] == unit
        out[unit_pool(kpis.SHARE_TRIAGE_WITHIN_NORM, unit)] = _share_within(
            triage[mine & in_window["triage_end"]], norms[kpis.norm(kpis.SHARE_TRIAGE_WITHIN_NORM)])
        out[unit_pool(kpis.SHARE_VT_ONDERZOEK_WITHIN_NORM, unit)] = _share_within(
            onderzoek[mine & in_window["vt_onderzoek_end"]], norms[kpis.norm(kpis.SHARE_VT_ONDERZOEK_WITHIN_NORM)])
    for unit in sorted(u for u in everyone["gi_unit"].unique() if u):
        mine = everyone["gi_unit"] == unit
        out[unit_pool(kpis.GI_WAIT_MEAN, unit)] = _mean(gi_wait[mine & in_window["gi_first_contact"]])
        out[unit_pool(kpis.SHARE_GI_WITHIN_NORM, unit)] = _share_within(gi_wait[mine & in_window["gi_first_contact"]],
                                                                   norms[kpis.norm(kpis.SHARE_GI_WITHIN_NORM)])
    return out


def clip_interval(kpi: str, values: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """A t-interval is symmetric; a share cannot leave [0, 1], and a KPI that cannot be negative (a count, a time)
    cannot have a negative lower bound."""
    if kpis.unit(kpi) in (kpis.SHARE, kpis.FLAG):
        return max(lo, 0.0), min(hi, 1.0)
    if np.nanmin(values, initial=0.0) >= 0:
        return max(lo, 0.0), hi
    return lo, hi


def summarise(runs: pd.DataFrame, keys: tuple[str, ...] = ("scenario",)) -> pd.DataFrame:
    """One row per KPI (and per key, e.g. scenario): mean, 95 % CI and sd over replications."""
    kpi_cols = [c for c in runs.columns if c not in keys and c != "replication"]
    rows = []
    for key_vals, group in runs.groupby(list(keys), observed=True, sort=False):
        key_vals = key_vals if isinstance(key_vals, tuple) else (key_vals,)
        for kpi in kpi_cols:
            values = group[kpi].to_numpy(dtype=float)
            mean, lo, hi, sd = confidence_interval(values)
            lo, hi = clip_interval(kpi, values, lo, hi)
            rows.append((*key_vals, kpi, kpis.unit(kpi), mean, lo, hi, sd, int(group[kpi].notna().sum()),
                         kpis.description(kpi)))
    return pd.DataFrame.from_records(rows, columns=[*keys, "kpi", "unit", "mean", "ci_low", "ci_high", "sd",
                                                    "n_replications", "description"])
