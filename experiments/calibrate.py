"""Calibrate the as-is chain to published Dutch figures and write ``docs/calibration.md``.

What is fitted, and only that (issue 3): the capacities nobody publishes -- Veilig Thuis FTE and its
front-desk share, raadsonderzoeker FTE -- and the routing shares no source gives that a figure needs: the share
of families for whom voluntary help suffices (the lokaal-team route to the Raad closes the Raad's total, as
domain_params.yaml ``lokaal_team_to_rvdk`` prescribes) and the share of acute meldingen that become a voorlopige
OTS. Everything else keeps its source, derivation or assumption; an assumption that already reproduces its figure
(e.g. the court grants 90 % of verzoeken: new measures) is left as it is.

How (repeatable, no hand tuning):

1. *Analytic screening* gives each unknown a starting value and a search interval: Little's law for the places a
   pool needs (``sim.kernel.queueing.littles_law_L``), the observed volumes for the routing shares.
2. *Coordinate search with common random numbers*: every evaluation is the as-is run from today's state
   (``run.start=today``, one year) with the same seed and replications, so two evaluations differ only by the
   unknowns. Each unknown in chain order is set by a bounded Brent search (scipy ``minimize_scalar``) on the
   total loss; sweeps repeat until no unknown moves more than 1 %. The loss is the sum over the region's figures
   of ((model - observed) / (0.15 x observed))^2 -- a figure 15 % off costs 1 -- plus a weak pull (weight 0.01)
   of unknowns that no figure pins towards their documented prior.
3. *Today's stocks without a published count* (families in a VT onderzoek or under vervolg, in voluntary help)
   are set to the fixed point where the stock on the start date equals the model's mean stock over the year.
4. *Refinement*: the capacities of the queues that are at their limit today (front desk, Raad) and the share of
   voluntary help that suffices are refitted in a narrow bracket with more replications (their yearly figures
   are noisy).
5. *Verification*: the fitted model runs with more replications; the table reports every figure with its 95 %
   confidence interval and whether the mean is within +-15 % of the observation (or inside a published range).

National first (it fits the chain-wide shares, written to ``conf/process/nl_2023.yaml``), then Gelderland with
those shares (its own capacities and its own share of voluntary help that suffices). Fitted values are written
into the YAML files with ``# calibrated: ... see docs/calibration.md``; the report is ``docs/calibration.md`` and
``docs/calibration.csv``.

    .venv/bin/python experiments/calibrate.py               # fit national and Gelderland, write conf/ and docs/
    .venv/bin/python experiments/calibrate.py --dry-run     # fit and print, write nothing
    .venv/bin/python experiments/calibrate.py --verify-only # no fit: report the values now in conf/
    .venv/bin/python experiments/calibrate.py --tiny        # the whole procedure in miniature (tests)
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from scipy import optimize

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from experiments.arguments import check_run  # noqa: E402
from sim.chain import checks  # noqa: E402
from sim.chain.model import Model, place_days, present_fte  # noqa: E402
from sim.config import gate, provenance, schema
from sim.kernel import queueing
from sim.kernel.stats import confidence_interval  # noqa: E402
from sim.run import runner  # noqa: E402

CONF = ROOT / "conf"
DOCS = ROOT / "docs"
TOLERANCE = 0.15  # a figure is reproduced when the model mean is within +-15 % of the observation
FRONT_DESK_LOAD = 0.82  # assumption: share of its places a front desk without a standing list uses; range 0.75-0.92. The
# search never goes below it: Gelderland's desk is three organisations of ~50 places, which keep a list from ~0.87 of
# their places, so a staff move of 4 % (0.82 x 1.04 = 0.85) must leave them below that (tests/test_calibration.py;
# at 0.87 the fit of 2026-12-02 plus the waiting mechanisms went from 40 % to 48 % late with 4 % fewer FTE)
PRIOR_WEIGHT = 0.01  # pull of an unknown towards its prior where no figure pins it (a tie-breaker only)
MOVE_TOLERANCE = 0.01  # stop the sweeps when no unknown moved more than 1 %

# published figures used throughout (domain.md; each figure's source is in FIGURES below)
NL_MELDINGEN = 127_340  # VT meldingen 2023 (CBS 84849NED)
GLD_MELDINGEN = 8_565  # Gelderland VT meldingen 2023 (CBS 84852NED)
EPISODE_SHARE = 0.319 + 0.381 + 0.014  # first + hermelding + unclassified (CBS 85361NED): meldingen that start an episode
GLD_SCALE = 0.12  # Gelderland population share 2,149,057 / 17,947,684 (CBS 70072ned), domain.md caveat 3
BESCHERMING_SHARE = 1_577 / 3_273  # beschermingsonderzoeken among onderzoeken started, RvdK March 2019
NL_VERVOLG_SHARE = 36_355 / NL_MELDINGEN  # vervolgmeldingen among VT meldingen 2023, 28.5 % (CBS 85361NED)
GLD_VERVOLG_SHARE = 2_225 / GLD_MELDINGEN  # Gelderland 2023, 26.0 % (CBS 85361NED)


# ====================================================================== figures and unknowns


@dataclass(frozen=True)
class Figure:
    """A published figure the as-is model should reproduce, and how the model's value is measured."""

    key: str
    label: str
    observed: float
    unit: str
    source: str
    kpi: str  # a column of the runs table, or one of the extra figures computed in extra_figures()
    transform: str = "value"  # 'value' or 'one_minus' (a share late from a share within the norm)
    fitted: bool = True  # in the loss; every figure is in the +-15 % check unless ``checked`` is False
    checked: bool = True
    note: str = ""
    band: tuple[float, float] | None = None  # the source gives a range: reproduced = inside it (not +-15 %)

    def scale(self) -> float:
        """What one unit of loss is: 15 % of the observation, or half the published range."""
        return (self.band[1] - self.band[0]) / 2.0 if self.band else TOLERANCE * self.observed

    def reproduced(self, mean: float) -> bool:
        if self.band:
            return self.band[0] <= mean <= self.band[1]
        return abs(mean - self.observed) <= TOLERANCE * self.observed


def national_figures() -> list[Figure]:
    return [
        Figure("vt_meldingen", "VT meldingen assessed (episodes)", NL_MELDINGEN * EPISODE_SHARE, "per year",
               "CBS 84849NED, 2023: 127,340 meldingen x 0.714 first+hermelding+unclassified (CBS 85361NED)",
               "vt_meldingen_per_year",
               note="vervolgmeldingen (28.5 %) arrive during an open VT case and start no episode in the model"),
        Figure("triage_late", "veiligheidsbeoordeling later than 5 werkdagen", 0.40, "share",
               "IGJ 2023 via NH Nieuws: ~4,200 late per month x 12 / 127,340", "share_triage_within_norm",
               transform="one_minus",
               note="the late share is the tail of the assessment time (durations.vt_triage, mean fitted) at a "
                    "front desk below its limit (~84 % of its places): a 3-day assessment gives at most 9.6 % late "
                    "without a wait, so the old fit needed a desk at 98 % where one place moved the share by tens "
                    "of points (experiments/front_desk_mechanism.py)"),
        Figure("vt_onderzoek_10wk", "VT onderzoek within 10 weeks", 0.74, "share",
               "VT Haaglanden 2019 (vlietnieuws.nl): 74 %", "vt_onderzoek_within_10wk",
               note="counted from VT's decision to investigate: the triage, or the lokaal team's escalation back to "
                    "Veilig Thuis (the runs table's share_vt_onderzoek_within_norm counts the latter from the "
                    "original triage)"),
        Figure("rvdk_onderzoeken", "RvdK beschermingsonderzoeken started", 13_380, "children/year",
               "NJi, Jaarbericht RvdK 2023", "rvdk_onderzoeken_per_year"),
        Figure("rvdk_waiting", "children waiting for the Raad (mean)", 2_800 * BESCHERMING_SHARE, "children",
               "skipr 2023: ~2,800 waiting, all onderzoek types, x bescherming share 1,577/3,273 (RvdK 2019)",
               "waiting_list_mean.rvdk"),
        Figure("rvdk_wait", "mean wait for the Raad", 28.0, "days",
               "Inspectie JenV 2019 / RvdK 2019: mean 21-35 days", "rvdk_wait_mean", band=(21.0, 35.0),
               note="the source gives a range (21 days bescherming March 2019, ~30 all types 2019): reproduced = "
                    "inside 21-35 days"),
        Figure("verzoeken", "verzoekschriften to the kinderrechter", 8_201, "children/year",
               "NJi, Jaarbericht RvdK 2023: gevraagde beschermingsmaatregelen", "verzoekschriften_per_year",
               note="regular verzoekschriften; the spoedverzoeken for a voorlopige OTS (~1,370) are not in this count"),
        Figure("instroom", "new child-protection measures (CBS instroom)", 9_064, "children/year",
               "CBS jeugdbescherming 2022, table 1.1.1 (incl. 1,370 voorlopige OTS)", "instroom_per_year",
               note="CBS counts a voorlopige OTS and the OTS that follows it as two measures; so does this figure"),
        Figure("vots", "voorlopige OTS", 1_370, "children/year", "CBS jeugdbescherming 2022, table 1.0.1",
               "vots_per_year"),
        Figure("gi_waiting", "children without a jeugdbeschermer (mean)", 1_500, "children",
               "schulinck, January 2024", "waiting_list_mean.gi", fitted=False,
               note="not fitted: GI places are derived from today's measures stock; a check of the flows into and out "
                    "of the GI (the measures' extension probabilities are conditional on the child staying under 18, "
                    "since ageing out at 18 ends a measure of its own: conf/process/nl_2023.yaml measures)"),
        Figure("vervolg_share", "vervolgmeldingen among VT meldingen", NL_VERVOLG_SHARE, "share",
               "CBS 85361NED, 2023: 36,355 of 127,340 meldingen", "share_vervolgmeldingen", fitted=False,
               note="not fitted here: waiting.vervolgmelding's rates are calibrated to Gelderland's share in the "
                    "process file; a check that they hold with the fitted chain"),
    ]


def gelderland_figures() -> list[Figure]:
    """Veilig Thuis: Gelderland's own CBS figures; Raad, court and GI: national x 0.12 (none published)."""
    out = []
    for f in national_figures():
        if f.key == "vt_meldingen":
            f = Figure(f.key, f.label, GLD_MELDINGEN * EPISODE_SHARE, f.unit,
                       "CBS 84852NED, 2023: 8,565 Gelderland meldingen x 0.714 (CBS 85361NED shares)", f.kpi,
                       note=f.note)
        elif f.key == "vervolg_share":
            f = Figure(f.key, f.label, GLD_VERVOLG_SHARE, f.unit, "CBS 85361NED, 2023: 2,225 of 8,565 Gelderland meldingen",
                       f.kpi, fitted=False, note=f.note)
        elif f.key in ("triage_late", "vt_onderzoek_10wk", "rvdk_wait"):
            f = Figure(f.key, f.label, f.observed, f.unit, f.source + " (national, no Gelderland figure)", f.kpi,
                       f.transform, f.fitted, f.checked, f.note, f.band)
        elif f.key == "vots":
            f = Figure(f.key, f.label, f.observed * GLD_SCALE, f.unit, f.source + " x 0.12", f.kpi, fitted=False,
                       checked=False,
                       note="not a Gelderland target: the model derives voorlopige OTS from acute VT meldingen, and "
                            "Gelderland registers 6.7 % of the national meldingen but has 12 % of the population")
        else:
            f = Figure(f.key, f.label, f.observed * GLD_SCALE, f.unit, f.source + " x 0.12 (population share)", f.kpi,
                       f.transform, f.fitted, f.checked, f.note)
        out.append(f)
    return out


@dataclass
class Unknown:
    """A value no source gives, fitted within [low, high]; ``prior`` is where it stays when no figure pins it."""

    name: str  # label in the report
    low: float
    high: float
    start: float
    prior: float | None = None
    prior_halfwidth: float | None = None
    decimals: int = 3
    xatol: float | None = None  # search resolution; default 0.2 % of the value
    refine: bool = False  # refit with more replications: its figures are a queue at its capacity (noisy)


@dataclass
class Region:
    name: str
    figures: list[Figure]
    overrides: list[str]  # composing the as-is run of this region
    process_unknowns: bool  # fit the chain-wide shares (national only)
    file: Path
    replications: int  # per evaluation of the search (common random numbers: the same seeds every time)
    verify_replications: int  # for the reported table
    refine_replications: int  # for the refinement of the capacities of queues at their limit


@dataclass
class Settings:
    seed: int = 20231
    years: float = 1.0  # each evaluation is the first year from today's state (2024)
    sweeps: int = 3
    brent_maxiter: int = 8
    jobs: int = 1
    replications: int | None = None  # overrides the regions' own numbers
    verify_replications: int | None = None


# ====================================================================== configuration and one evaluation


def compose(overrides: list[str]) -> DictConfig:
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    schema.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
            return hydra_compose("config", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def places(cfg: DictConfig, org: str, share: float = 1.0, caseload: float | None = None) -> int:
    """Caseload places of ``staffing.<org>`` exactly as sim.chain.model.Staffing.slots computes them."""
    s = cfg.staffing[org]
    load = s.caseload if caseload is None else caseload
    return int(round(present_fte(s.fte, s.productive_share, s.vacancy_rate) * share * load))


def front_desk_places(cfg: DictConfig) -> int:
    """Veilig Thuis's front-desk places as the model builds them: with several organisations (region.units) each
    rounds its own share (sim.chain.model.unit_places), so their sum can differ from the undivided desk's by a place."""
    vt = cfg.staffing.veilig_thuis
    orgs = (OmegaConf.to_container(cfg.region.units) or {}).get("veilig_thuis") if "units" in cfg.region else None
    if not orgs:
        return places(cfg, "veilig_thuis", vt.triage_share, float(vt.triage_caseload))
    def share(u: dict) -> float:
        for key in ("triage_fte_share", "fte_share", "catchment"):
            if u.get(key):
                return float(u[key])
        raise ValueError(u)
    return sum(places(cfg, "veilig_thuis", vt.triage_share * share(u), float(vt.triage_caseload))
               for u in orgs.values())


def available(cfg: DictConfig, org: str) -> float:
    s = cfg.staffing[org]
    return present_fte(1.0, s.productive_share, s.vacancy_rate)


class Problem:
    """The unknowns of one region as a vector, and the mapping vector -> configuration -> figures."""

    def __init__(self, region: Region, settings: Settings, base: DictConfig) -> None:
        self.region = region
        self.settings = settings
        self.base = base
        self.stocks: dict[str, int] = {}  # today's unpublished stocks (fixed point)
        vt = base.staffing.veilig_thuis
        avail_vt = available(base, "veilig_thuis")
        self.unknowns: list[Unknown] = []
        # analytic screening: Little's law for the places a pool needs at the observed volume
        fig = {f.key: f for f in region.figures}
        per_day = fig["vt_meldingen"].observed / 365.0
        triage_mean = float(queueing.littles_law_L(per_day, _dist_mean(base.durations.vt_triage)))
        # a vervolgmelding costs the desk waiting.vervolgmelding.triage_hours (sim.chain.model.place_days): its
        # places at the observed share of vervolgmeldingen
        vervolg = fig["vervolg_share"].observed
        hours = float(base.waiting.vervolgmelding.triage_hours) if "waiting" in base else 0.0
        triage_mean += (fig["vt_meldingen"].observed / EPISODE_SHARE * vervolg / 365.0
                        * place_days(hours, float(vt.triage_caseload), float(base.work.hours_per_day)))
        # the front desk is screened at the utilisation it is meant to run at (the late share comes from the
        # assessment time, not from a list: experiments/front_desk_mechanism.py)
        front_fte = triage_mean / (avail_vt * vt.triage_caseload) / (1.0 - vt.crisis_reserve_share) / FRONT_DESK_LOAD
        prior_case = front_fte * (1.0 - 0.15) / 0.15  # the assumed front-desk share 0.15 (range 0.1-0.3)
        case_fte = prior_case
        rvdk = base.staffing.rvdk
        onderzoek_children = float(queueing.littles_law_L(fig["rvdk_onderzoeken"].observed / 365.0,
                                                          _dist_mean(base.durations.rvdk_onderzoek)))
        rvdk_fte = onderzoek_children / (available(base, "rvdk") * rvdk.caseload) / (1.0 - rvdk.crisis_reserve_share)
        # Starting values never come from earlier fits in conf/, so a rerun repeats the same search: nationally
        # the share of voluntary help that suffices starts at 0.98 (the Raad's ~7,300 families a year are a few
        # per cent of the ~75,000 families in voluntary help); a region starts from the national fit.
        vs = float(base.families.voluntary_suffices) if not region.process_unknowns else 0.98
        # routing shares first: they set the volumes every capacity then has to carry; the share of voluntary
        # help that suffices sets the largest flow (lokaal team -> Raad), so it goes first
        self.unknowns.append(Unknown("voluntary help suffices", 0.85, 0.998, vs if 0.85 <= vs <= 0.998 else 0.98,
                                     decimals=4, xatol=0.0003, refine=True))
        if region.process_unknowns:
            rood_share = float(base.families.colour.rood)  # starts at domain_params' derivation: vOTS / acute meldingen
            self.unknowns.append(Unknown("acute meldingen -> voorlopige OTS", 0.05, 0.9,
                                         round(1_370 / (rood_share * NL_MELDINGEN), 3), decimals=3, xatol=0.003))
        # never below FRONT_DESK_LOAD: the late share has to come from the assessment time, not a desk at its limit
        self.unknowns.append(Unknown("VT front-desk FTE", front_fte, 1.3 * front_fte, 1.05 * front_fte, decimals=1,
                                     refine=True))
        self.unknowns.append(Unknown("VT case-team FTE", 0.3 * case_fte, 2.5 * case_fte, case_fte,
                                     prior=prior_case, prior_halfwidth=prior_case * 0.5, decimals=1))
        self.unknowns.append(Unknown("RvdK FTE", 0.85 * rvdk_fte, 1.2 * rvdk_fte, rvdk_fte, decimals=1, refine=True))
        self.keys = [u.name for u in self.unknowns]
        self.cache: dict[tuple, dict] = {}
        self.evaluations = 0

    # ---------------------------------------------------------------- vector -> configuration
    def config(self, x: dict[str, float]) -> DictConfig:
        x = {k: float(v) for k, v in x.items()}  # the optimiser hands numpy floats; OmegaConf wants Python ones
        cfg = copy.deepcopy(self.base)
        vt = cfg.staffing.veilig_thuis
        front, case = x["VT front-desk FTE"], x["VT case-team FTE"]
        vt.fte = round(front + case, 1)
        vt.triage_share = round(front / (front + case), 4)
        cfg.staffing.rvdk.fte = round(x["RvdK FTE"], 1)
        cfg.families.voluntary_suffices = round(x["voluntary help suffices"], 4)
        if "acute meldingen -> voorlopige OTS" in x:
            cfg.routing.rood_spoed = round(x["acute meldingen -> voorlopige OTS"], 3)
        init = cfg.region.initial_state
        # pools with a waiting list today are full: the stock in care is their places
        # the front desk has no list today: its stock in progress is Little's law at the observed volume
        meldingen = next(f.observed for f in self.region.figures if f.key == "vt_meldingen")
        in_progress = round(float(queueing.littles_law_L(meldingen / 365.0, _dist_mean(cfg.durations.vt_triage))))
        init.veilig_thuis.triage_in_progress = min(front_desk_places(cfg), in_progress)
        init.rvdk.in_care = places(cfg, "rvdk")
        for key, value in self.stocks.items():
            OmegaConf.update(cfg, key, int(value), merge=False)
        cfg.run.replications = self.settings.replications or self.region.replications
        cfg.run.seed = self.settings.seed
        cfg.run.years = self.settings.years
        cfg.run.start = "today"
        cfg.run.event_log = False
        cfg.run.quiet = True
        return cfg

    def rounded(self, x: dict[str, float]) -> tuple:
        return tuple(round(x[u.name], u.decimals) for u in self.unknowns) + tuple(sorted(self.stocks.items()))

    # ---------------------------------------------------------------- one evaluation (cached)
    def evaluate(self, x: dict[str, float], replications: int | None = None) -> dict:
        key = self.rounded(x) + (replications,)
        if key in self.cache:
            return self.cache[key]
        cfg = self.config(x)
        if replications is not None:
            cfg.run.replications = replications
        model = gate.validate(cfg)
        results = runner.run(model, jobs=self.settings.jobs, progress=False)
        per_rep = figure_values(results, self.region.figures, model)
        out = {"per_rep": per_rep, "results": results, "model": model, "cfg": cfg}
        out["loss"] = self.loss(x, per_rep)
        self.cache[key] = out
        self.evaluations += 1
        return out

    def loss(self, x: dict[str, float], per_rep: pd.DataFrame) -> float:
        total = 0.0
        for f in self.region.figures:
            if not f.fitted:
                continue
            m = float(per_rep[f.key].mean())
            total += ((m - f.observed) / f.scale()) ** 2 if math.isfinite(m) else 1e6
        for u in self.unknowns:
            if u.prior is not None:
                total += PRIOR_WEIGHT * ((x[u.name] - u.prior) / u.prior_halfwidth) ** 2
        return total


def _dist_mean(spec: DictConfig) -> float:
    return checks.distribution("spec", spec).mean


# ====================================================================== measuring the figures


def extra_figures(results: runner.Results, years: float, onderzoek_norm: float = 70.0) -> pd.DataFrame:
    """Figures per replication that the runs table does not hold, from the families table (children).

    A voorlopige OTS is a measure that reached the GI no later than the Raad was asked (the spoed path asks
    both at once; on the regular path the Raad comes first). CBS instroom counts voorlopige OTS plus the regular
    measures the court granted (also those following a voorlopige OTS). A VT onderzoek runs from VT's decision
    to investigate: the end of the triage, or -- for a family the lokaal team sends back to Veilig Thuis -- the
    end of its voluntary help, whichever came last before the onderzoek started.
    """
    fam = results.families
    rows = []
    for rep, f in fam.groupby("replication", sort=True):
        kids = f["n_children"]
        vots = (f["gi_request"] >= 0) & (f["rvdk_request"] >= f["gi_request"])
        granted = f["measure"].isin(["ots", "ots_uhp", "voogdij"]) & (f["court_decision"] >= 0)
        # a voorlopige OTS family has had a regular hearing only if it has more than the spoedzitting
        regular = (f["court_request"] >= 0) & (~vots | (f["court_hearings"] >= 2))
        start = f["vt_onderzoek_start"].to_numpy(dtype=float)
        decided = np.fmax(np.where(f["triage_end"] <= start, f["triage_end"], np.nan),
                          np.where(f["buurtteam_end"] <= start, f["buurtteam_end"], np.nan))
        ended = (f["vt_onderzoek_end"] >= 0).to_numpy()
        took = f["vt_onderzoek_end"].to_numpy(dtype=float)[ended] - decided[ended]
        took = took[np.isfinite(took)]
        rows.append({"replication": rep, "vots_per_year": float(kids[vots].sum()) / years,
                     "instroom_per_year": float(kids[vots].sum() + kids[granted].sum()) / years,
                     "verzoekschriften_per_year": float(kids[regular].sum()) / years,
                     "vt_onderzoek_within_10wk": float((took <= onderzoek_norm).mean()) if len(took) else math.nan})
    return pd.DataFrame(rows)


def figure_values(results: runner.Results, figures: list[Figure], model: Model) -> pd.DataFrame:
    """One row per replication, one column per figure (in the figure's own unit)."""
    runs = results.runs.merge(extra_figures(results, model.run.years, model.norms["vt_onderzoek_days"]),
                              on="replication")
    out = pd.DataFrame({"replication": runs["replication"]})
    for f in figures:
        v = runs[f.kpi].astype(float)
        out[f.key] = 1.0 - v if f.transform == "one_minus" else v
    return out


STOCK_KEYS = ("region.initial_state.veilig_thuis.onderzoek", "region.initial_state.veilig_thuis.vervolg",
              "region.initial_state.buurtteam.in_care")


def stationary_stocks(results: runner.Results, years: float) -> dict[str, int]:
    """Mean stocks over the year of the stages whose count today is not published (fixed-point update)."""
    fam = results.families
    horizon = years * 365.0
    reps = fam["replication"].nunique()

    def mean_in(start: str, end: str) -> float:
        s = fam[start].to_numpy(dtype=float)
        e = fam[end].to_numpy(dtype=float)
        ok = ~np.isnan(s)
        lo = np.clip(s[ok], 0.0, horizon)
        hi = np.clip(np.where(np.isnan(e[ok]), horizon, e[ok]), 0.0, horizon)
        return float(np.clip(hi - lo, 0.0, None).sum()) / horizon / reps

    bt = results.runs["in_care_mean.buurtteam"].mean()
    onderzoek, vervolg, buurtteam = STOCK_KEYS
    return {onderzoek: int(round(mean_in("vt_onderzoek_start", "vt_onderzoek_end"))),
            vervolg: int(round(mean_in("vt_vervolg_start", "vt_vervolg_end"))),
            buurtteam: int(round(bt))}


# ====================================================================== the search


def screen_stocks(problem: Problem, x: dict[str, float], log: Callable[[str], None]) -> dict[str, int]:
    """Today's unpublished stocks at the starting values, from nothing (not from conf/, so a rerun repeats it).

    The year's mean stock is close to linear in the stock on the start date, m(S) = a + b S (what was there
    decays, what arrives builds up), so two runs give its fixed point S* = a / (1 - b): one from empty stocks
    (m = a) and one from S = a (m = a + b a). A third run checks it."""
    years = problem.settings.years
    problem.stocks = {key: 0 for key in STOCK_KEYS}
    first = stationary_stocks(problem.evaluate(x)["results"], years)
    problem.stocks = first
    second = stationary_stocks(problem.evaluate(x)["results"], years)
    fixed = {}
    for key in STOCK_KEYS:
        a, m = first[key], second[key]
        b = (m - a) / a if a > 0 else 0.0
        fixed[key] = int(round(a / (1.0 - b))) if 0.0 <= b < 0.95 else m
    problem.stocks = fixed
    check = stationary_stocks(problem.evaluate(x)["results"], years)
    log("  screening of today's stocks: " + ", ".join(f"{k.split('.', 2)[2]} {fixed[k]:,} (year mean {check[k]:,})"
                                                       for k in STOCK_KEYS))
    return fixed


def coordinate_search(problem: Problem, log: Callable[[str], None]) -> dict[str, float]:
    """Sweeps of bounded Brent searches, one unknown at a time in chain order, on the total loss.

    Before each sweep, today's unpublished stocks are set to the model's mean stocks over the year at the
    current unknowns (a fixed-point iteration that converges with the sweeps)."""
    x = {u.name: u.start for u in problem.unknowns}
    s = problem.settings
    problem.stocks = screen_stocks(problem, x, log)
    for sweep in range(s.sweeps):
        stocks = stationary_stocks(problem.evaluate(x)["results"], s.years)
        stock_moved = max((abs(v - problem.stocks.get(k, 0)) / max(v, 1) for k, v in stocks.items()), default=0.0)
        problem.stocks = stocks
        log(f"  sweep {sweep + 1}: today's stocks " + ", ".join(f"{k.split('.', 2)[2]}={v:,}" for k, v in stocks.items()))
        moved = 0.0
        for u in problem.unknowns:
            before = x[u.name]

            def f(v: float, name: str = u.name) -> float:
                return problem.evaluate({**x, name: v})["loss"]

            # the first sweep searches the whole interval; later ones a narrowing bracket around the current value
            if sweep == 0:
                lo, hi = u.low, u.high
            else:
                width = (u.high - u.low) / 4 ** sweep
                lo, hi = max(u.low, before - width / 2), min(u.high, before + width / 2)
            res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                           options={"xatol": u.xatol or max(abs(before) * 0.002, 10.0 ** -u.decimals),
                                                    "maxiter": s.brent_maxiter if sweep == 0 else max(3, s.brent_maxiter // 2)})
            best = min((round(float(res.x), u.decimals), before), key=f)
            x[u.name] = best
            moved = max(moved, abs(best - before) / max(abs(before), 1e-9))
            log(f"  sweep {sweep + 1}: {u.name:38s} {before:10.5g} -> {best:10.5g}   loss {f(best):8.4f}"
                f"   ({problem.evaluations} runs)")
        if moved < MOVE_TOLERANCE and stock_moved < 0.02:
            break
    problem.stocks = stationary_stocks(problem.evaluate(x)["results"], s.years)
    return x


def refine(problem: Problem, x: dict[str, float], log: Callable[[str], None]) -> dict[str, float]:
    """Refit the capacities of the queues that are at their limit today (front desk, Raad) with more replications.

    At its capacity a queue's list is a random walk: one replication's year can be far from the mean, and the
    search with few replications may have fitted that chance. This stage repeats a narrow (+-3 %) bounded Brent
    search for those unknowns on the loss averaged over ``refine_replications`` replications."""
    reps = problem.region.refine_replications
    if problem.settings.replications:  # a miniature run (tests) keeps everything small
        reps = min(reps, problem.settings.replications + 1)
    problem.stocks = stationary_stocks(problem.evaluate(x, replications=reps)["results"], problem.settings.years)
    for u in problem.unknowns:
        if not u.refine:
            continue
        before = x[u.name]

        def f(v: float, name: str = u.name) -> float:
            return problem.evaluate({**x, name: v}, replications=reps)["loss"]

        if u.high <= 1.0:  # a share close to 1: bracket its complement (the families for whom help fails)
            lo, hi = max(u.low, 1 - (1 - before) * 1.25), min(u.high, 1 - (1 - before) * 0.8)
        else:
            lo, hi = max(u.low, before * 0.97), min(u.high, before * 1.03)
        res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
                                       options={"xatol": u.xatol or max(abs(before) * 0.002, 10.0 ** -u.decimals),
                                                "maxiter": max(3, problem.settings.brent_maxiter - 3)})
        best = min((round(float(res.x), u.decimals), before), key=f)
        x[u.name] = best
        log(f"  refine ({reps} replications): {u.name:30s} {before:10.5g} -> {best:10.5g}   loss {f(best):8.4f}"
            f"   ({problem.evaluations} runs)")
    problem.stocks = stationary_stocks(problem.evaluate(x, replications=reps)["results"], problem.settings.years)
    return x


# ====================================================================== report


@dataclass
class Verified:
    region: Region
    problem: Problem
    x: dict[str, float]
    table: pd.DataFrame
    cfg: DictConfig
    runs: pd.DataFrame
    record: dict | None = None  # the fit that produced the values (None: no record of it)


RECORDS = ROOT / "results" / "calibration"


def fit_record(problem: Problem, x: dict[str, float], seconds: float) -> dict:
    """What the search did, kept beside the results so a later --verify-only report can show it."""
    return {"date": str(dt.date.today()), "seed": problem.settings.seed, "runs": problem.evaluations,
            "seconds": round(seconds), "replications": problem.settings.replications or problem.region.replications,
            "unknowns": [{"name": u.name, "start": u.start, "low": u.low, "high": u.high, "fitted": x[u.name]}
                         for u in problem.unknowns],
            "stocks": dict(problem.stocks)}


def save_record(name: str, record: dict) -> None:
    import json

    RECORDS.mkdir(parents=True, exist_ok=True)
    (RECORDS / f"fit_{name}.json").write_text(json.dumps(record, indent=1), encoding="utf-8")


def load_record(name: str) -> dict | None:
    import json

    path = RECORDS / f"fit_{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def verify(problem: Problem, x: dict[str, float], log: Callable[[str], None]) -> Verified:
    ev = problem.evaluate(x, replications=problem.settings.verify_replications or problem.region.verify_replications)
    per_rep = ev["per_rep"]
    rows = []
    for f in problem.region.figures:
        mean, lo, hi, _ = confidence_interval(per_rep[f.key].to_numpy())
        within = f.reproduced(mean)
        rows.append({"figure": f.label, "key": f.key, "observed": f.observed, "unit": f.unit, "source": f.source,
                     "model_mean": mean, "ci_low": lo, "ci_high": hi,
                     "deviation": (mean - f.observed) / f.observed, "within_15pct": bool(within),
                     "fitted": f.fitted, "checked": f.checked, "note": f.note,
                     "band": f"{f.band[0]:g}-{f.band[1]:g}" if f.band else ""})
    table = pd.DataFrame(rows)
    log(format_table(table))
    return Verified(problem.region, problem, x, table, ev["cfg"], ev["results"].runs)


def _fmt(v: float, unit: str) -> str:
    if not math.isfinite(v):
        return "-"
    if unit == "share":
        return f"{v:.1%}"
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.1f}"


def format_table(table: pd.DataFrame) -> str:
    lines = [f"{'figure':48s} {'observed':>10s} {'model mean (95% CI)':>30s}  within 15%"]
    for r in table.itertuples():
        ci = f"{_fmt(r.model_mean, r.unit)} ({_fmt(r.ci_low, r.unit)} - {_fmt(r.ci_high, r.unit)})"
        mark = "yes" if r.within_15pct else ("NO" if r.checked else "n/a (reported)")
        observed = r.band or _fmt(r.observed, r.unit)
        lines.append(f"{r.figure:48s} {observed:>10s} {ci:>30s}  {mark}{' (in range)' if r.band else ''}")
    return "\n".join(lines)


def markdown_table(table: pd.DataFrame) -> str:
    out = ["| figure | observed (source, year) | model mean (95% CI) | within ±15% |", "|---|---|---|---|"]
    for r in table.itertuples():
        mark = "yes" if r.within_15pct else ("**no**" if r.checked else "not a target (see below)")
        if r.band:
            mark += " (inside the published range)"
        dev = f"{r.deviation:+.1%}" if math.isfinite(r.deviation) else "-"
        observed = r.band.replace("-", "–") if r.band else _fmt(r.observed, r.unit)
        out.append(f"| {r.figure} ({r.unit}) | {observed} ({r.source}) | "
                   f"{_fmt(r.model_mean, r.unit)} ({_fmt(r.ci_low, r.unit)} – {_fmt(r.ci_high, r.unit)}); {dev} | {mark} |")
    return "\n".join(out)


# ====================================================================== writing values into the YAML files

def set_yaml_value(path: Path, dotted: str, value: str, comment: str) -> None:
    """Replace the value and the provenance comment of ``dotted`` in ``path``, every other byte kept
    (sim.config.provenance.write_value, which reads the file as provenance does). Raises KeyError."""
    provenance.write_value(path, dotted, value, comment)


def write_region(v: Verified, log: Callable[[str], None]) -> None:
    cfg, x, path = v.cfg, v.x, v.region.file
    note = "see docs/calibration.md"
    vt = cfg.staffing.veilig_thuis
    writes = [
        ("staffing.veilig_thuis.fte", f"{vt.fte:g}",
         f"calibrated: VT FTE NOT FOUND (domain.md 1d); front desk {x['VT front-desk FTE']:g} + case teams "
         f"{x['VT case-team FTE']:g} FTE fitted to meldingen assessed, the share assessed late and onderzoeken within 10 weeks; {note}"),
        ("staffing.veilig_thuis.triage_share", f"{vt.triage_share:g}",
         f"calibrated: front-desk share NOT FOUND; fitted with the FTE (prior 0.15, range 0.1-0.3); {note}"),
        ("staffing.rvdk.fte", f"{cfg.staffing.rvdk.fte:g}",
         f"calibrated: raadsonderzoeker FTE NOT FOUND (domain.md 1d); fitted to onderzoeken per year, the waiting list and the wait; {note}"),
        ("region.initial_state.veilig_thuis.triage_in_progress", f"{cfg.region.initial_state.veilig_thuis.triage_in_progress}",
         f"derived: Little's law, meldingen assessed x mean durations.vt_triage / 365 (no list at a desk below its limit); {note}"),
        ("region.initial_state.rvdk.in_care", f"{cfg.region.initial_state.rvdk.in_care}",
         f"calibrated: every place at the Raad taken while children wait (places of the fitted RvdK FTE; Little's law gives "
         f"{_observed(v, 'rvdk_onderzoeken') * _dist_mean(cfg.durations.rvdk_onderzoek) / 365:,.0f}); {note}"),
    ]
    for key, value in v.problem.stocks.items():
        writes.append((key, str(value), f"calibrated: stationary stock of the calibrated model (mean over the year = "
                                        f"stock on the start date); no published count; {note}"))
    if not v.region.process_unknowns:
        writes.append(("families.voluntary_suffices", f"{cfg.families.voluntary_suffices:g}",
                       f"calibrated: Gelderland's own share (the Raad's volume is national x 0.12 while Gelderland "
                       f"registers 6.7 % of the meldingen); national value in conf/process/nl_2023.yaml; {note}"))
    for key, value, comment in writes:
        try:
            set_yaml_value(path, key, value, comment)
        except KeyError:
            if key == "families.voluntary_suffices":
                _append_block(path, "families", "voluntary_suffices", value, comment)
            else:
                raise
    log(f"  wrote {len(writes)} values into {path.relative_to(ROOT)}")


def _observed(v: Verified, key: str) -> float:
    return next(f.observed for f in v.region.figures if f.key == key)


def _append_block(path: Path, section: str, key: str, value: str, comment: str) -> None:
    text = path.read_text(encoding="utf-8").rstrip("\n")
    text += f"\n\n{section}:\n  {key}: {value}  # {comment}\n"
    path.write_text(text, encoding="utf-8")


def write_process(v: Verified, log: Callable[[str], None]) -> None:
    path = CONF / "process" / "nl_2023.yaml"
    cfg = v.cfg
    note = "see docs/calibration.md"
    writes = [
        ("families.voluntary_suffices", f"{cfg.families.voluntary_suffices:g}",
         f"calibrated: share of non-rood families for whom voluntary help is enough NOT FOUND; the lokaal-team route "
         f"closes the Raad's national total (domain_params lokaal_team_to_rvdk); searched over 0.85-0.998 (the "
         f"Raad's ~7,300 families a year are a few per cent of the families in voluntary help); {note}"),
        ("routing.rood_spoed", f"{cfg.routing.rood_spoed:g}",
         f"calibrated: share of acute (rood) episodes that become a voorlopige OTS NOT FOUND; fitted to 1,370 "
         f"voorlopige OTS (CBS 2022, children); {note}"),
    ]
    for key, value, comment in writes:
        set_yaml_value(path, key, value, comment)
    log(f"  wrote {len(writes)} values into {path.relative_to(ROOT)}")


# ====================================================================== docs/calibration.md


def steady_state_check(region: Region, log: Callable[[str], None]) -> pd.Series:
    """The calibrated region run from an empty chain with a long warm-up (run.start=empty): what today's
    capacities give in the long run, for the section on starting empty."""
    cfg = compose(region.overrides + ["run.start=empty", "run.warmup_years=6", "run.years=2", "run.replications=3",
                                      "run.event_log=false", "run.quiet=true"])
    results = runner.run(gate.validate(cfg), progress=False)
    mean = results.runs.drop(columns=["scenario"]).mean()
    log(f"  steady state from empty ({region.name}): RvdK waiting {mean['waiting_list_mean.rvdk']:,.0f}, "
        f"late triage {1 - mean['share_triage_within_norm']:.1%}, GI waiting {mean['waiting_list_mean.gi']:,.0f}")
    return mean


def write_report(verified: list[Verified], settings: Settings, seconds: float, fitted: bool,
                 log: Callable[[str], None] = print) -> None:
    by = {v.region.name: v for v in verified}
    nat, gld = by["national"], by["gelderland"]
    st_g = steady_state_check(gld.region, log)  # Gelderland only: a national run from empty costs ~8 simulated years
    tables = []
    for v in verified:
        t = v.table.copy()
        t.insert(0, "region", v.region.name)
        tables.append(t)
    csv = pd.concat(tables, ignore_index=True)
    DOCS.mkdir(exist_ok=True)
    csv.to_csv(DOCS / "calibration.csv", index=False)

    def unknown_rows() -> list[str]:
        rows = ["| region | unknown | screening start | search interval | fitted |", "|---|---|---|---|---|"]
        for v in verified:
            if v.record is None:
                rows.append(f"| {v.region.name} | (no record of the fit: values as in conf/) | | | |")
                continue
            for u in v.record["unknowns"]:
                rows.append(f"| {v.region.name} | {u['name']} | {u['start']:.4g} | {u['low']:.4g} – {u['high']:.4g} | "
                            f"**{u['fitted']:.4g}** |")
        rows.append("")
        rows += [f"{v.region.name}: fitted on {v.record['date']} in {v.record['runs']} runs of one year "
                 f"({v.record['replications']} replication(s) each, seed {v.record['seed']}, "
                 f"{v.record['seconds'] / 60:,.0f} min)." for v in verified if v.record]
        return rows

    def written(v: Verified) -> str:
        c = v.cfg
        vt = c.staffing.veilig_thuis
        init = c.region.initial_state
        parts = [f"`staffing.veilig_thuis.fte={vt.fte:g}`", f"`staffing.veilig_thuis.triage_share={vt.triage_share:g}`",
                 f"`staffing.rvdk.fte={c.staffing.rvdk.fte:g}`",
                 f"`region.initial_state.veilig_thuis.triage_in_progress={init.veilig_thuis.triage_in_progress}`",
                 f"`region.initial_state.rvdk.in_care={init.rvdk.in_care}`"]
        parts += [f"`{k}={val}`" for k, val in v.problem.stocks.items()]
        if v.region.process_unknowns:
            parts += [f"`families.voluntary_suffices={c.families.voluntary_suffices:g}`",
                      f"`routing.rood_spoed={c.routing.rood_spoed:g}`"]
        else:
            parts.append(f"`families.voluntary_suffices={c.families.voluntary_suffices:g}` (region override)")
        return ", ".join(parts)

    def misses(v: Verified) -> list[str]:
        out = []
        for r in v.table.itertuples():
            if r.within_15pct:
                continue
            why = r.note or "see the conflicts above"
            out.append(f"- **{v.region.name}, {r.figure}**: model {_fmt(r.model_mean, r.unit)} vs observed "
                       f"{_fmt(r.observed, r.unit)} ({r.deviation:+.0%}). {why}.")
        return out

    gi_places = {name: int(v.cfg.region.initial_state.gi.in_care.ots + v.cfg.region.initial_state.gi.in_care.ots_uhp
                           + v.cfg.region.initial_state.gi.in_care.voogdij) for name, v in by.items()}
    avail_gi = available(nat.cfg, "gi")
    fte_at = {cl: gi_places["national"] / (cl * avail_gi) for cl in (12, 15, 22)}
    rvdk_w = nat.table.set_index("key")
    little_wait = rvdk_w.loc["rvdk_waiting", "observed"] / (rvdk_w.loc["rvdk_onderzoeken", "observed"] / 365)
    lines = [
        "# Calibration of the as-is chain to published Dutch figures",
        "",
        f"Generated by `experiments/calibrate.py` on {dt.date.today()} ({'fit and verification' if fitted else 'verification of the values in conf/, no fit'}; "
        f"seed {settings.seed}; {seconds / 60:,.0f} min). Do not edit by hand: rerun the script.",
        "",
        "Every run is the as-is chain (`scenario=sequential`) from today's state (`run.start=today`, 1 January "
        f"2024) over one year. The tables report the mean over {nat.problem.region.verify_replications if not settings.verify_replications else settings.verify_replications} (national) and "
        f"{gld.problem.region.verify_replications if not settings.verify_replications else settings.verify_replications} (Gelderland) replications with its 95 % confidence interval; "
        "*within ±15 %* compares the mean with the observation. Figures in children count each child (the Raad, "
        "the court and the GI count per child); Veilig Thuis counts meldingen. The runs include what waiting does to "
        "families (`waiting.*`, sim/chain/waiting.py: escalation while waiting, drop-out from voluntary lists, "
        "vervolgmeldingen, ageing out at 18), as every default run does.",
        "",
        "## National (the Netherlands)",
        "",
        markdown_table(nat.table),
        "",
        "## Gelderland",
        "",
        "Veilig Thuis figures are Gelderland's own (CBS 84852NED: 8,565 meldingen); the Raad, the court and the GIs "
        "publish no Gelderland figures, so those are the national figures × 0.12, Gelderland's population share "
        "(domain.md caveat 3). Shares and waits without a Gelderland figure are the national ones.",
        "",
        markdown_table(gld.table),
        "",
        "## What was fitted, and to what",
        "",
        "Only values that no source gives: Veilig Thuis FTE and its front-desk share (searched as front-desk FTE "
        "and case-team FTE), raadsonderzoeker FTE, and two routing shares: the share of families for whom "
        "voluntary help suffices (it sets how many families the lokaal team sends to the Raad: domain_params.yaml "
        "`lokaal_team_to_rvdk` says to close the Raad's total with it) and the share of acute meldingen that become "
        "a voorlopige OTS. Both are chain-wide (`conf/process/nl_2023.yaml`); Gelderland gets its own share of "
        "voluntary help (below). Left as assumptions: the share of verzoeken the court grants (0.9 already gives "
        "the new measures within the tolerance, see the tables), direct entries at the buurtteam (no published "
        "figure separates them from the share of voluntary help that fails) and buurtteam FTE (no published "
        "figure depends on it; its waiting list is not published).",
        "",
        *unknown_rows(),
        "",
        f"Written to conf/: national {written(nat)}; Gelderland {written(gld)}.",
        "",
        "### Procedure",
        "",
        "1. *Analytic screening* (`sim.kernel.queueing.littles_law_L`): the front desk needs meldingen per day × mean "
        "assessment time places plus the places the vervolgmeldingen' hours take (`waiting.vervolgmelding.triage_hours`"
        f" at the published share of vervolgmeldingen), at {FRONT_DESK_LOAD:.0%} load; the Raad onderzoeken per day × "
        "90 days; the search intervals are set around those. The front desk's search never goes below that load: "
        "the late share has to come from the assessment time, not from a desk at its limit, where a staff move of a "
        "few per cent flips it (Gelderland's three organisations of ~50 places each keep a list from ~87 % load).",
        "2. *Coordinate search with common random numbers*: each evaluation runs the chain from today for one year "
        "with the same seed and replications, so evaluations differ only by the unknowns. Each unknown in chain "
        "order gets a bounded Brent search on the loss Σ ((model − observed) / (0.15 × observed))² over the "
        "region's fitted figures, plus 0.01 × ((x − prior) / half-range)² for the case-team FTE (prior: front-desk "
        "share 0.15), which no figure pins from above. Sweeps repeat until no unknown moves more than 1 %.",
        "3. *Today's stocks without a published count* (families in a VT onderzoek, under vervolg, in voluntary "
        "help) are the fixed point where the stock on 1 January equals the model's mean stock over the year: "
        "screened from empty stocks (two runs and a linear extrapolation), then updated before every sweep. Pools "
        "with a waiting list today (front desk, Raad, GI) are full, so their stock in care is their places.",
        "4. *Refinement*: the front desk and the Raad are queues at their capacity, whose yearly figures vary a lot "
        "between replications; their capacities and the share of voluntary help that suffices are refitted in a "
        "narrow bracket on the mean over more replications.",
        "5. *Verification* with more replications gives the tables above. Rerunning the script with the same seed "
        "gives the same values (`tests/test_calibration.py` checks this in a miniature run).",
        "",
        "## Where sources conflict, and what this model follows",
        "",
        "- **Measures end at 18.** The measures' mean durations (CBS stock / uitstroom: OTS 2.3 years, voogdij 7.1) "
        "include the children who reach majority. The model ends a measure at 18 of its own (sim/chain/waiting.py), "
        "so `measures.*.extension_probability` is the chance of an extension for a child not yet 18: OTS 0.66 "
        "(0.634 from the ~11 % of children aged 17 in care, raised so the GI flows keep the published waiting list), "
        "voogdij 0.965 (most voogdij ends at majority). With the unconditional 0.57 / 0.86 the model aged out twice "
        "and the list of children without a jeugdbeschermer fell to 40 % of the published 1,500.",
        "- **Vervolgmeldingen.** Their rates are chain-wide (conf/process/nl_2023.yaml), while the share is 26.0 % "
        "in Gelderland and 28.5 % nationally (CBS 85361NED 2023); the rates put the two regions on either side of "
        "their figures (rows 'vervolgmeldingen among VT meldingen'). Each costs the front desk "
        "`waiting.vervolgmelding.triage_hours` (0.5 h), which the front-desk FTE above carries.",
        f"- **GI caseload 12 / 15 / 22.** The agreed norm is 12 children per FTE (2024), the old norm 15, the "
        f"realised 2022 caseload ~22. The model does not need to choose for its numbers: GI *places* are derived "
        f"from today's stock of running measures ({gi_places['national']:,} children nationally on 31-12-2023, "
        f"{gi_places['gelderland']:,} Gelderland), because the GIs are full while 1,500 children wait. The norm only "
        f"converts places to FTE: {fte_at[12]:,.0f} FTE at 12, {fte_at[15]:,.0f} at 15, {fte_at[22]:,.0f} at 22 "
        "(with productive share 0.9 and vacancies 0.05). The model follows 12, so a what-if in FTE is read at the "
        "agreed norm.",
        f"- **Jeugdbeschermer headcount vs measures.** FNV counts ~5,000 jeugdbeschermers; 32,168 measures "
        f"(incl. 5,265 jeugdreclassering) at 12 per FTE need 2,681 FTE, at 22 only 1,462. The headcount includes "
        f"part-timers and other roles; the model uses the FTE derived from the stock ({fte_at[12]:,.0f} for "
        "OTS and voogdij, jeugdreclassering is not modelled), not the headcount.",
        f"- **RvdK waiting list.** The ~2,800 waiting (2023) counts all onderzoek types (also gezag/omgang, straf); "
        f"beschermingsonderzoeken were 48 % of onderzoeken started (1,577 of 3,273 in March 2019), so the "
        f"comparable figure is {rvdk_w.loc['rvdk_waiting', 'observed']:,.0f} children. By Little's law that list "
        f"with 13,380 onderzoeken a year means a mean wait of {little_wait:.0f} days, above the published 21–35 "
        "days: both cannot hold at once; the fit balances them.",
        "- **VT meldingen vs episodes.** Of 127,340 meldingen 28.5 % are vervolgmeldingen during an open VT case; "
        "they start no new episode in the model, so the VT figure is the 71.4 % first meldingen, hermeldingen and "
        "unclassified ones.",
        "- **New measures.** CBS instroom (9,064 in 2022) counts a voorlopige OTS and the OTS that follows it as two "
        "measures and includes voogdij; NJi's verzoeken (8,201) are the Raad's requests. The model's figures are "
        "counted the same way as each source (see the notes in docs/calibration.csv).",
        "- **Gelderland's share.** Gelderland has 12.0 % of the population, 6.7 % of the VT meldingen and 13.9 % of "
        "OTS ended volgens plan. The model follows Gelderland's own VT figure for Veilig Thuis and 12 % for the Raad, "
        "court and GIs. With chain-wide routing the Raad would get only ~6.7 % of its national volume from "
        "Gelderland, so Gelderland's share of families for whom voluntary help suffices is fitted separately "
        f"({gld.cfg.families.voluntary_suffices:g} against {nat.cfg.families.voluntary_suffices:g} nationally): more "
        "Gelderland families reach the Raad through the lokaal team. Voorlopige OTS in Gelderland are reported, not "
        "fitted: the model derives them from acute VT meldingen, of which Gelderland registers fewer.",
        "- **VT onderzoek duration.** `durations.vt_onderzoek` was fitted (process file) so that 74 % end within 10 "
        "weeks with no wait; any wait for a case team lowers the share, which is why the case-team FTE must be "
        "large enough that hardly anyone waits for an onderzoek.",
        "",
        "## What the model does not reproduce, and why",
        "",
        *(misses(nat) + misses(gld) or ["- Every target figure is within ±15 % in both regions."]),
        "- **Waiting lists from an empty start.** Pools with thousands of places (the Raad nationally has "
        f"{nat.cfg.region.initial_state.rvdk.in_care:,} places) queue like a fluid: with capacity a little above "
        "demand the list empties, a little below it grows without bound. A standing list of today's size exists "
        "only as a state carried over from the past. Runs therefore start from today's state (the default for "
        "these regions). From an empty chain with a 6-year warm-up (`run.start=empty`, 2 years observed, 3 "
        f"replications) Gelderland's calibrated capacities give {st_g['waiting_list_mean.rvdk']:,.0f} children "
        f"waiting for the Raad (today {gld.table.set_index('key').loc['rvdk_waiting', 'observed']:,.0f}), "
        f"{1 - st_g['share_triage_within_norm']:.0%} of assessments late (today 40 %) and "
        f"{st_g['waiting_list_mean.gi']:,.0f} children without a jeugdbeschermer (today "
        f"{gld.table.set_index('key').loc['gi_waiting', 'observed']:,.0f}); the national pools are larger still. Read "
        "from-empty lists as the long-run direction of today's capacities, not as today's lists.",
        "- **Voluntary GI involvement (drang, SAVE-begeleiding) is off.** `voluntary_gi.from_vt` and "
        "`from_buurtteam` stay 0: GI places are derived from today's measures stock alone, so with the route on (0.05 "
        "/ 0.2) drang takes places from children with a measure (Gelderland: the list of children without a "
        "jeugdbeschermer grows from 180 to ~480, the Raad's list falls from 162 to ~46). Carrying it needs the GI's "
        "FTE and today's stock of voluntary begeleidingen, which no source counts; until then the route is a what-if "
        "(Utrecht-West's SAVE effect shows when it is switched on).",
        "- **Heterogeneity between organisations.** Nationally 25 VT organisations and 13 GIs each have their own "
        "queue (5 of 25 VT organisations meet the 5-day term); the national region pools them, so it reproduces "
        "the national share late, not its spread. Gelderland models its three VT organisations and four GIs "
        "separately (`region.units`, docs/staff.md); the fit is of the region's totals, with each organisation's "
        "share of the staff an assumption.",
        "",
        "## Using the calibrated model",
        "",
        "`make run` runs Gelderland from today's state. The fitted capacities are today's; a what-if changes them "
        "from 1 January 2024 (e.g. `staffing.rvdk.fte=...`): extra places take waiting children at once, fewer places "
        "take no new case until enough are given back. Which assumptions matter most: docs/sensitivity.md.",
        "",
    ]
    (DOCS / "calibration.md").write_text("\n".join(lines), encoding="utf-8")
    log(f"wrote {DOCS / 'calibration.md'} and {DOCS / 'calibration.csv'}")


# ====================================================================== main


def regions(tiny: bool) -> list[Region]:
    if tiny:
        scale = 200_000 / 2_149_057  # the demo region against Gelderland's figures scaled by population
        figs = [Figure(f.key, f.label, f.observed * (1.0 if f.unit in ("share", "days") else scale), f.unit, f.source,
                       f.kpi, f.transform, f.fitted, f.checked, f.note, f.band) for f in gelderland_figures()]
        return [Region("demo", figs, ["region=demo", "run.start=today"], False, CONF / "region" / "demo.yaml", 1, 2, 2)]
    # national: one replication per evaluation already holds ~90,000 episodes (its sampling error is ~1 %)
    return [Region("national", national_figures(), ["region=national"], True, CONF / "region" / "national.yaml",
                   1, 6, 4),
            Region("gelderland", gelderland_figures(), ["region=gelderland"], False,
                   CONF / "region" / "gelderland.yaml", 4, 20, 12)]


def calibrate(settings: Settings, tiny: bool = False, fit: bool = True, log: Callable[[str], None] = print,
              only: list[str] | None = None, refine_only: bool = False) -> list[Verified]:
    """Fit every region (national first) and return the verified results; writes nothing."""
    done: list[Verified] = []
    process_overrides: list[str] = []
    for region in regions(tiny):
        if only and region.name not in only:
            continue
        started = time.perf_counter()
        log(f"== {region.name}")
        base = compose(region.overrides + process_overrides)
        problem = Problem(region, settings, base)
        if fit and not refine_only:
            x = refine(problem, coordinate_search(problem, log), log)
        elif refine_only:
            x = refine(problem, current_values(problem), log)
        else:
            x = current_values(problem)
        verified = verify(problem, x, log)
        seconds = time.perf_counter() - started
        log(f"  {problem.evaluations} runs, {seconds:,.0f} s")
        if fit and not refine_only:
            verified.record = fit_record(problem, x, seconds)
        else:
            verified.record = load_record(region.name)
            if refine_only and verified.record:  # the search's record, with the refined values and their cost
                for u in verified.record["unknowns"]:
                    u["fitted"] = x[u["name"]]
                verified.record["stocks"] = dict(problem.stocks)
                verified.record["runs"] += problem.evaluations
                verified.record["seconds"] += round(seconds)
                verified.record["refined"] = str(dt.date.today())
        done.append(verified)
        # the chain-wide shares found nationally hold for every region fitted after it in this run (they reach
        # conf/ only at the end); when only verifying or refining, conf/ already holds them and a region's own
        # share of voluntary help that suffices must not be overridden by the national one
        if region.process_unknowns and fit and not refine_only:
            c = verified.cfg
            process_overrides = [f"families.voluntary_suffices={c.families.voluntary_suffices}",
                                 f"routing.rood_spoed={c.routing.rood_spoed}"]
    return done


def current_values(problem: Problem) -> dict[str, float]:
    """The unknowns as they stand in conf/ (for --verify-only)."""
    b = problem.base
    vt = b.staffing.veilig_thuis
    x = {"VT front-desk FTE": vt.fte * vt.triage_share, "VT case-team FTE": vt.fte * (1 - vt.triage_share),
         "RvdK FTE": float(b.staffing.rvdk.fte), "voluntary help suffices": float(b.families.voluntary_suffices)}
    if problem.region.process_unknowns:
        x["acute meldingen -> voorlopige OTS"] = float(b.routing.rood_spoed)
    init = b.region.initial_state
    problem.stocks = {"region.initial_state.veilig_thuis.onderzoek": int(init.veilig_thuis.onderzoek),
                      "region.initial_state.veilig_thuis.vervolg": int(init.veilig_thuis.vervolg),
                      "region.initial_state.buurtteam.in_care": int(init.buurtteam.in_care)}
    return x


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dry-run", action="store_true", help="fit and report, write nothing")
    p.add_argument("--verify-only", action="store_true", help="no fit: verify the values now in conf/ and write docs/")
    p.add_argument("--refine-only", action="store_true",
                   help="only the refinement stage, from the values now in conf/ (after an interrupted or earlier fit)")
    p.add_argument("--tiny", action="store_true", help="the procedure in miniature on the demo region (tests)")
    p.add_argument("--region", action="append", help="only this region (national must come first for Gelderland)")
    p.add_argument("--replications", type=int, default=None)
    p.add_argument("--verify-replications", type=int, default=None)
    p.add_argument("--seed", type=int, default=20231)
    p.add_argument("--jobs", type=int, default=1)
    args = p.parse_args(argv)
    check_run(p, regions=args.region or (), seed=args.seed, jobs=args.jobs, names={"regions": "--region"})
    for name in ("replications", "verify_replications"):
        if getattr(args, name) is not None:
            check_run(p, replications=getattr(args, name), names={"replications": f"--{name.replace('_', '-')}"})
    settings = tiny_settings(args.seed) if args.tiny else Settings(seed=args.seed, jobs=args.jobs)
    settings.replications = args.replications
    settings.verify_replications = args.verify_replications
    started = time.perf_counter()
    verified = calibrate(settings, tiny=args.tiny, fit=not args.verify_only, only=args.region,
                         refine_only=args.refine_only)
    if args.dry_run or args.tiny:
        return 0
    if not args.verify_only:
        for v in verified:
            if v.record is None:
                v.record = fit_record(v.problem, v.x, 0.0)
            if v.region.process_unknowns:
                write_process(v, print)
            write_region(v, print)
            save_record(v.region.name, v.record)
    if {v.region.name for v in verified} == {"national", "gelderland"}:
        write_report(verified, settings, time.perf_counter() - started, fitted=not args.verify_only)
    return 0


def tiny_settings(seed: int = 20231) -> Settings:
    return Settings(seed=seed, years=0.5, sweeps=1, brent_maxiter=3, jobs=1)


if __name__ == "__main__":
    sys.exit(main())
