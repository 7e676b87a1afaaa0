"""Tidy tables from one replication, KPIs per replication, and summaries with confidence intervals.

Tables (every row carries its scenario and replication):
- ``families``: one row per family episode that arrived in the observation window (after warm-up);
  times are days since the start of the window; ``censored`` when the episode was still open at the end.
- ``events``: one row per event (case, activity, organisation, lifecycle, time): readable by pm4py.
- ``timeseries``: per pool and time step, the time-weighted waiting list and caseload in use.
- ``runs``: one row per replication with every KPI; ``summary`` aggregates it over replications
  (mean, 95 % t-interval, sd). A single replication is never a finding: its CI is NaN and the run warns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from operator import attrgetter

import numpy as np
import pandas as pd
from scipy import stats

from sim.entities import COUNTERS, MILESTONES, WAIT_ORGS, Family

FAMILY_COLUMNS: tuple[str, ...] = (
    "scenario", "replication", "case_id", "family_id", "episode", "route", "colour", "n_children",
    "preexisting", "arrival", *MILESTONES, *(f"wait_{o}" for o in WAIT_ORGS), *COUNTERS, "staff_hours",
    "orgs_involved", "n_orgs", "outcome", "measure", "lead_time_help", "lead_time_measure", "censored",
)
EVENT_COLUMNS = ("scenario", "replication", "case_id", "activity", "organisation", "lifecycle", "time", "timestamp")
TIMESERIES_COLUMNS = ("scenario", "replication", "pool", "organisation", "t_start", "length_days", "waiting",
                      "in_care", "capacity", "arrivals", "starts")


@dataclass(frozen=True)
class KPI:
    name: str
    unit: str
    description: str


def families_table(families: list[Family], scenario: str, replication: int, t0: float) -> pd.DataFrame:
    """Families that arrived at or after ``t0`` (end of warm-up); times shifted so that t0 = 0.

    Built column by column (one C-level pass per attribute with ``attrgetter``) rather than row by row: a
    national replication has hundreds of thousands of records, and a row tuple per family plus pandas'
    conversion of a 2-D object array cost more than the simulation itself. Float columns become float64
    arrays; the other columns stay Python lists so pandas infers their dtype exactly as before.
    """
    fams = [f for f in families if not (f.arrival < t0 and not f.preexisting)]
    n = len(fams)

    def values(name: str) -> list:
        return list(map(attrgetter(name), fams))

    def floats(name: str) -> np.ndarray:
        return np.fromiter(map(attrgetter(name), fams), dtype=np.float64, count=n)

    arrival = floats("arrival") - t0
    cols: dict[str, object] = {"scenario": [scenario] * n, "replication": [replication] * n}
    for name in ("case_id", "family_id", "episode", "route", "colour", "n_children", "preexisting"):
        cols[name] = values(name)
    cols["arrival"] = arrival
    for m in MILESTONES:
        cols[m] = floats(m) - t0
    waits = values("waits")
    for o in WAIT_ORGS:
        cols[f"wait_{o}"] = [w.get(o, 0.0) for w in waits]
    for c in COUNTERS:
        cols[c] = values(c)  # ints or floats: left to pandas, as before
    cols["staff_hours"] = [f.intake_hours + f.meeting_hours + f.consult_hours for f in fams]
    orgs = values("orgs")
    cols["orgs_involved"] = [">".join(o) for o in orgs]
    cols["n_orgs"] = [len(set(o)) for o in orgs]
    cols["outcome"] = [o or "open" for o in values("outcome")]
    cols["measure"] = values("measure")
    cols["lead_time_help"] = cols["help_start"] - arrival
    cols["lead_time_measure"] = cols["gi_first_contact"] - arrival
    cols["censored"] = np.isnan(floats("closed"))
    if n:  # numbers to arrays here: numpy infers int64 / float64 / bool from the values exactly as pandas would
        for name, col in cols.items():
            if isinstance(col, list) and not isinstance(col[0], str):
                cols[name] = np.array(col)
    # plain strings, not categoricals: a categorical's dtype depends on the values present, so the table's
    # schema would depend on which replications ran together. copy=False: the arrays are this table's alone,
    # so pandas need not copy them into one block (a third of the table's cost nationally)
    return pd.DataFrame(cols, columns=list(FAMILY_COLUMNS), copy=False)


def events_table(events: list[tuple] | None, scenario: str, replication: int, t0: float,
                 start_date: str) -> pd.DataFrame:
    if not events:
        return pd.DataFrame(columns=list(EVENT_COLUMNS))
    # Column by column (a national year logs about a million events): the time filter is applied to arrays
    # and the text columns go straight to categoricals, instead of a 2-D object array and string columns first.
    case_id, activity, organisation, lifecycle, time = zip(*events)
    time = np.array(time, dtype=np.float64)
    keep = time >= t0
    n = int(np.count_nonzero(keep))

    def category(values: tuple) -> pd.Categorical:
        """Text -> category with sorted text categories, as ``Series(values, dtype="str").astype("category")``
        gives, but by factorising the (few distinct, interned) strings instead of building a text column."""
        if not n:
            return pd.Series(np.array(values, dtype=object)[keep], dtype="str").astype("category")
        codes, uniques = pd.factorize(np.array(values, dtype=object)[keep], sort=True)
        return pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype="str"))

    df = pd.DataFrame({
        "scenario": category((scenario,) * len(time)),
        "replication": np.full(n, replication, dtype=np.int64),
        "case_id": np.array(case_id, dtype=np.int64)[keep],
        "activity": category(activity),
        "organisation": category(organisation),
        "lifecycle": category(lifecycle),
        "time": time[keep] - t0,
    })
    df["timestamp"] = pd.Timestamp(start_date) + pd.to_timedelta(df["time"], unit="D")
    return df

def timeseries_table(pools: dict, scenario: str, replication: int) -> pd.DataFrame:
    rows = [(scenario, replication, p.name, p.org, *b) for p in pools.values() for b in p.stats.buckets]
    return pd.DataFrame.from_records(rows, columns=list(TIMESERIES_COLUMNS))


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
        out[f"waiting_list_mean.{key}"] = waiting
        out[f"waiting_list_end.{key}"] = float(p.queued)
        out[f"in_care_mean.{key}"] = in_care
        out[f"capacity.{key}"] = capacity
        out[f"utilisation.{key}"] = in_care / capacity if capacity else math.nan
        out[f"arrivals_per_year.{key}"] = p.stats.arrivals / years
        out[f"starts_per_year.{key}"] = p.stats.starts / years
        out[f"wait_mean.{key}"] = p.stats.wait_sum / p.stats.starts if p.stats.starts else math.nan
        mean_hold = p.stats.hold_sum / p.stats.holds if p.stats.holds else math.nan
        out[f"offered_load.{key}"] = p.stats.arrivals / window_days * mean_hold
        out[f"unstable.{key}"] = float(is_unstable(b, capacity, in_care))
    return out


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
                                                       "gi_request", "gi_first_contact")}
    helped = fam["lead_time_help"]
    k["families_per_year"] = len(fam) / years
    k["lead_time_help_mean"] = _mean(helped)
    k["lead_time_help_median"] = _q(helped, 0.5)
    k["lead_time_help_p90"] = _q(helped, 0.9)
    k["lead_time_measure_mean"] = _mean(fam["lead_time_measure"])
    # to first contact under a measure: every family whose measure reached the GI gets there eventually, so the
    # ones still waiting at the end are censored observations, not absent ones (Kaplan-Meier)
    under_measure = fam["gi_request"].notna().to_numpy()
    contact = fam["gi_first_contact"].notna().to_numpy()[under_measure]
    waited = np.where(contact, fam["lead_time_measure"].to_numpy()[under_measure],
                      window_days - fam["arrival"].to_numpy()[under_measure])
    k["lead_time_measure_p90"] = km_quantile(waited, contact, 0.9)
    k["share_measure_waiting_at_end"] = float((~contact).mean()) if len(contact) else math.nan
    k["share_reached_help"] = float(helped.notna().mean()) if len(fam) else math.nan
    k["share_censored"] = float(fam["censored"].mean()) if len(fam) else math.nan
    triage = (everyone["triage_end"] - everyone["arrival"])[in_window["triage_end"]]
    k["share_triage_within_norm"] = _share_within(triage, norms["vt_triage_days"])
    vt_onderzoek = (everyone["vt_onderzoek_end"] - everyone["triage_end"])[in_window["vt_onderzoek_end"]]
    k["share_vt_onderzoek_within_norm"] = _share_within(vt_onderzoek, norms["vt_onderzoek_days"])
    rvdk_wait = (everyone["rvdk_start"] - everyone["rvdk_request"])[in_window["rvdk_start"]]
    k["rvdk_wait_mean"] = _mean(rvdk_wait)
    k["share_rvdk_wait_within_norm"] = _share_within(rvdk_wait, norms["rvdk_wait_days"])
    gi_wait = (everyone["gi_first_contact"] - everyone["gi_request"])[in_window["gi_first_contact"]]
    k["gi_wait_mean"] = _mean(gi_wait)
    k["share_gi_within_norm"] = _share_within(gi_wait, norms["gi_first_contact_days"])
    regular = fam["measure"].isin(["ots", "ots_uhp", "voogdij"]) & (fam["colour"] != "rood")
    k["share_chain_within_norm"] = _share_within(fam.loc[regular, "lead_time_measure"], norms["chain_days"])
    for col in ("handoffs", "stories_told", "intakes", "intake_hours", "meeting_hours", "consult_hours", "staff_hours"):
        k[f"{col}_per_family"] = float(fam[col].mean()) if len(fam) else math.nan
    children = everyone["n_children"]
    k["vt_meldingen_per_year"] = float(in_window["triage_start"].sum()) / years
    k["vt_onderzoeken_per_year"] = float(in_window["vt_onderzoek_start"].sum()) / years
    k["rvdk_onderzoeken_per_year"] = float(children[in_window["rvdk_start"]].sum()) / years
    k["verzoeken_per_year"] = float(children[in_window["court_request"]].sum()) / years
    k["new_measures_per_year"] = float(children[in_window["gi_request"]].sum()) / years
    k.update(pool_kpis(pools, window_days))
    return k


KPI_INFO: dict[str, KPI] = {
    "lead_time_help_mean": KPI("lead_time_help_mean", "days", "melding -> start of help (buurtteam, team or GI), mean"),
    "lead_time_help_median": KPI("lead_time_help_median", "days", "melding -> start of help, median"),
    "lead_time_help_p90": KPI("lead_time_help_p90", "days", "melding -> start of help, 90th percentile"),
    "lead_time_measure_mean": KPI("lead_time_measure_mean", "days", "melding -> first contact with the jeugdbeschermer, mean"),
    "lead_time_measure_p90": KPI("lead_time_measure_p90", "days", "melding -> first contact with the jeugdbeschermer, p90 (Kaplan-Meier: families still waiting at the end count as censored)"),
    "share_measure_waiting_at_end": KPI("share_measure_waiting_at_end", "share", "families with a measure still waiting for first contact at the end of the run"),
    "share_triage_within_norm": KPI("share_triage_within_norm", "share", "veiligheidsbeoordeling within 5 werkdagen (7 days)"),
    "share_vt_onderzoek_within_norm": KPI("share_vt_onderzoek_within_norm", "share", "VT onderzoek within 10 weeks"),
    "share_rvdk_wait_within_norm": KPI("share_rvdk_wait_within_norm", "share", "Raad starts within 10 days"),
    "share_gi_within_norm": KPI("share_gi_within_norm", "share", "GI first contact within the norm after the measure"),
    "share_chain_within_norm": KPI("share_chain_within_norm", "share", "melding -> jeugdbeschermer within the sum of norms (152 days)"),
    "rvdk_wait_mean": KPI("rvdk_wait_mean", "days", "wait for the Raad to start, mean"),
    "gi_wait_mean": KPI("gi_wait_mean", "days", "measure -> first contact at the GI, mean"),
    "handoffs_per_family": KPI("handoffs_per_family", "count", "hand-offs between organisations per episode"),
    "stories_told_per_family": KPI("stories_told_per_family", "count", "times the family tells its story, per episode"),
    "staff_hours_per_family": KPI("staff_hours_per_family", "hours", "intake, meeting and consult hours per episode"),
    "vt_meldingen_per_year": KPI("vt_meldingen_per_year", "per year", "meldingen assessed by Veilig Thuis (episodes)"),
    "rvdk_onderzoeken_per_year": KPI("rvdk_onderzoeken_per_year", "children/year", "beschermingsonderzoeken started"),
    "verzoeken_per_year": KPI("verzoeken_per_year", "children/year", "requests to the kinderrechter"),
    "new_measures_per_year": KPI("new_measures_per_year", "children/year", "measures reaching the GI"),
}


def unit_of(kpi: str) -> str:
    if kpi in KPI_INFO:
        return KPI_INFO[kpi].unit
    head = kpi.split(".", 1)[0]
    return {"waiting_list_mean": "cases", "waiting_list_end": "cases", "in_care_mean": "cases", "capacity": "places",
            "utilisation": "share", "arrivals_per_year": "cases/year", "starts_per_year": "cases/year",
            "wait_mean": "days", "offered_load": "cases", "unstable": "flag"}.get(head, "")


# ====================================================================== over replications


def confidence_interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float, float, float]:
    """(mean, low, high, sd) with a Student-t interval; NaN interval for fewer than two finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan, math.nan
    mean = float(v.mean())
    if len(v) < 2:
        return mean, math.nan, math.nan, math.nan
    sd = float(v.std(ddof=1))
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1)) * sd / math.sqrt(len(v))
    return mean, mean - half, mean + half, sd


def clip_interval(kpi: str, values: np.ndarray, lo: float, hi: float) -> tuple[float, float]:
    """A t-interval is symmetric; a share cannot leave [0, 1], and a KPI that cannot be negative (a count, a time)
    cannot have a negative lower bound."""
    if unit_of(kpi) in ("share", "flag"):
        return max(lo, 0.0), min(hi, 1.0)
    if np.nanmin(values, initial=0.0) >= 0:
        return max(lo, 0.0), hi
    return lo, hi


def km_quantile(durations: np.ndarray, observed: np.ndarray, q: float) -> float:
    """q-quantile of a duration from right-censored data (Kaplan-Meier product-limit estimator).

    A family still waiting at the end of the run is censored at the time it has waited so far: leaving it out
    would make the quantile *shorter* the longer the waiting list grows. NaN when fewer than a share q of the
    families are estimated to have finished within the longest observed time (the quantile lies beyond the run).
    """
    if len(durations) == 0:
        return math.nan
    order = np.lexsort((~observed, durations))  # events before censorings at equal times
    d, e = durations[order], observed[order]
    at_risk = len(d) - np.arange(len(d))
    survival = np.cumprod(np.where(e, 1.0 - 1.0 / at_risk, 1.0))
    reached = np.nonzero(survival <= 1.0 - q + 1e-12)[0]
    return float(d[reached[0]]) if len(reached) else math.nan


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
            rows.append((*key_vals, kpi, unit_of(kpi), mean, lo, hi, sd, int(group[kpi].notna().sum()),
                         KPI_INFO[kpi].description if kpi in KPI_INFO else ""))
    return pd.DataFrame.from_records(rows, columns=[*keys, "kpi", "unit", "mean", "ci_low", "ci_high", "sd",
                                                    "n_replications", "description"])
