"""Typed configuration: Hydra structured-config schema, and its validation into the objects the model uses.

The schema (dataclasses registered in Hydra's ConfigStore as ``ketensim_schema``) fixes the names and types
policy advisers type on the command line (``staffing.gi.fte=340``, ``demand.scale=1.2``, ``run.replications=20``).
It deliberately holds no domain numbers: every chain-wide value lives in ``conf/process/*.yaml`` and every
regional value in ``conf/region/*.yaml``, each with its source beside it (one home per default). Run settings
have their defaults here, because they are settings, not facts.

:func:`validate` is the single gate: it checks every value once, before any simulated time is spent, and
returns frozen :class:`Model` objects with :class:`~sim.distributions.Distribution` instances. A bad value
raises :class:`ConfigError` whose message is one line: the dotted field, the value and what is allowed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
import typing
from dataclasses import dataclass, field
from dataclasses import replace as dataclass_replace
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, DictConfig, ListConfig, OmegaConf

from sim import distributions as dists
from sim import kpis
from sim.distributions import Distribution, DistributionError


class ConfigError(ValueError):
    """An invalid configuration value. ``str(err)`` is the one-line message shown to the user."""


# ====================================================================== schema (what Hydra composes)


@dataclass
class DistSpec:
    """A duration (days) or count distribution: ``{dist: gamma, mean: 90, cv: 0.5}`` and similar."""

    dist: str = MISSING
    mean: Optional[float] = None
    cv: Optional[float] = None
    median: Optional[float] = None
    sigma: Optional[float] = None
    shape: Optional[float] = None
    scale: Optional[float] = None
    value: Optional[float] = None
    low: Optional[float] = None
    mode: Optional[float] = None
    high: Optional[float] = None
    values: Optional[List[float]] = None
    probs: Optional[List[float]] = None


@dataclass
class RunSchema:
    years: float = 3.0  # observation window after warm-up (years)
    warmup_years: float = 5.0  # run-in from an empty chain; GI measures last years, so the warm-up is long
    replications: int = 10
    seed: int = 20231
    jobs: int = 1  # processes for replications (1 = serial)
    start: str = "empty"  # 'empty': start empty and warm up; 'today': start from region.initial_state (warm-up 0)
    event_log: bool = True  # write the per-event table (switch off for large sweeps)
    timeseries_step_days: float = 7.0
    start_date: str = "2024-01-01"  # calendar date of the start of the observation window (YYYY-MM-DD; Model.start_date)
    formats: List[str] = field(default_factory=lambda: ["parquet", "csv"])
    quiet: bool = False


@dataclass
class OrgStaffingSchema:
    fte: float = MISSING  # FTE on paper
    caseload: float = MISSING  # cases one available FTE carries at once (organisation's own unit)
    productive_share: float = MISSING  # share of paper FTE present (leave, sickness)
    vacancy_rate: float = MISSING  # share of FTE positions unfilled
    crisis_reserve_share: float = MISSING  # share of slots kept free for crisis (rood) cases


@dataclass
class VTStaffingSchema(OrgStaffingSchema):
    triage_share: float = MISSING  # share of VT FTE on veiligheidsbeoordeling (front desk)
    triage_caseload: float = MISSING  # meldingen one triage FTE has open at once


@dataclass
class StaffingSchema:
    buurtteam: OrgStaffingSchema = field(default_factory=OrgStaffingSchema)
    veilig_thuis: VTStaffingSchema = field(default_factory=VTStaffingSchema)
    rvdk: OrgStaffingSchema = field(default_factory=OrgStaffingSchema)
    gi: OrgStaffingSchema = field(default_factory=OrgStaffingSchema)


@dataclass
class DemandSchema:
    scale: float = 1.0  # multiplies every external arrival rate; 1.0 = the region's demand
    vt_meldingen_per_year: float = MISSING  # external (non-hermelding) meldingen that start an episode
    buurtteam_direct_per_year: float = MISSING  # safety-related families entering at the buurtteam directly
    monthly_profile: Optional[List[float]] = None  # 12 relative weights (Jan..Dec), mean 1; None = flat


@dataclass
class VTStateSchema:
    triage_waiting: int = MISSING  # meldingen waiting for the veiligheidsbeoordeling
    triage_waited: DistSpec = field(default_factory=DistSpec)  # days they have waited so far
    triage_in_progress: int = MISSING  # meldingen being assessed (front-desk places in use)
    onderzoek: int = MISSING  # families in a VT onderzoek
    vervolg: int = MISSING  # families under 'voorwaarden en vervolg'


@dataclass
class BuurtteamStateSchema:
    in_care: int = MISSING  # families in voluntary help


@dataclass
class RvdKStateSchema:
    waiting: int = MISSING  # children waiting for a beschermingsonderzoek
    waited: DistSpec = field(default_factory=DistSpec)  # days they have waited so far
    in_care: int = MISSING  # children in a beschermingsonderzoek


@dataclass
class CourtStateSchema:
    pending: int = MISSING  # children whose verzoekschrift awaits the beschikking


@dataclass
class MeasureStockSchema:
    ots: int = MISSING  # children under an OTS without uithuisplaatsing
    ots_uhp: int = MISSING  # children under an OTS with machtiging uithuisplaatsing
    voogdij: int = MISSING  # children under voogdij


@dataclass
class GIStateSchema:
    waiting: int = MISSING  # children with a measure and no jeugdbeschermer
    waited: DistSpec = field(default_factory=DistSpec)  # days they have waited so far
    in_care: MeasureStockSchema = field(default_factory=MeasureStockSchema)  # running measures (children)
    remaining_term: DistSpec = field(default_factory=DistSpec)  # days left in a running measure's current term


@dataclass
class InitialStateSchema:
    """Open cases on ``date`` (``run.start=today`` starts from them; see sim/initial_state.py)."""

    date: str = MISSING  # ISO date of the state; a run from today starts on it (run.start_date)
    veilig_thuis: VTStateSchema = field(default_factory=VTStateSchema)
    buurtteam: BuurtteamStateSchema = field(default_factory=BuurtteamStateSchema)
    rvdk: RvdKStateSchema = field(default_factory=RvdKStateSchema)
    kinderrechter: CourtStateSchema = field(default_factory=CourtStateSchema)
    gi: GIStateSchema = field(default_factory=GIStateSchema)
    hermeldingen_per_year: float = MISSING  # returns, per year at the date, of families closed before it


@dataclass
class RegionSchema:
    name: str = MISSING
    description: str = ""
    population: float = MISSING
    initial_state: Optional[InitialStateSchema] = None  # today's open cases; None = this region has none
    # kind (veilig_thuis, gi) -> {organisation name: {catchment, fte_share, caseload, routing}}; {} = one per kind.
    # Keyed by name so every value has a dotted name (region.units.gi.william_schrikker.fte_share) for overrides,
    # sweeps and provenance. Untyped here (the command line may add organisations); units() checks every key.
    units: Dict[str, Any] = field(default_factory=dict)


@dataclass
class FamiliesSchema:
    colour: Dict[str, float] = field(default_factory=dict)  # crisismeter groen/oranje/rood shares
    children: DistSpec = field(default_factory=DistSpec)
    voluntary_suffices: float = MISSING  # P(voluntary help is enough), non-rood families
    reentry_probability: float = MISSING  # P(a closed episode returns as a hermelding)
    time_to_return: DistSpec = field(default_factory=DistSpec)
    max_episodes: int = MISSING


@dataclass
class RoutingSchema:
    vt_triage: Dict[str, float] = field(default_factory=dict)
    vt_onderzoek: Dict[str, float] = field(default_factory=dict)
    vt_vervolg: Dict[str, float] = field(default_factory=dict)
    rood_spoed: float = MISSING
    buurtteam_escalation: Dict[str, float] = field(default_factory=dict)
    rvdk_outcome: Dict[str, float] = field(default_factory=dict)
    court_grants: float = MISSING
    measure_type: Dict[str, float] = field(default_factory=dict)
    vots_to_ots: float = MISSING


@dataclass
class DurationsSchema:
    vt_triage: DistSpec = field(default_factory=DistSpec)
    vt_onderzoek: DistSpec = field(default_factory=DistSpec)
    vt_vervolg: DistSpec = field(default_factory=DistSpec)
    buurtteam_help: DistSpec = field(default_factory=DistSpec)
    buurtteam_escalation_after: DistSpec = field(default_factory=DistSpec)
    rvdk_onderzoek: DistSpec = field(default_factory=DistSpec)
    court_decision: DistSpec = field(default_factory=DistSpec)
    court_spoed: DistSpec = field(default_factory=DistSpec)
    gi_first_contact: DistSpec = field(default_factory=DistSpec)
    transfer: DistSpec = field(default_factory=DistSpec)


@dataclass
class MeasureSchema:
    term_days: float = MISSING
    extension_probability: float = MISSING


@dataclass
class MeasuresSchema:
    ots: MeasureSchema = field(default_factory=MeasureSchema)
    ots_uhp: MeasureSchema = field(default_factory=MeasureSchema)
    voogdij: MeasureSchema = field(default_factory=MeasureSchema)
    vots_max_days: float = MISSING


@dataclass
class NormsSchema:
    vt_triage_days: float = MISSING
    vt_onderzoek_days: float = MISSING
    rvdk_wait_days: float = MISSING
    gi_first_contact_days: float = MISSING
    chain_days: float = MISSING


@dataclass
class HandoffSchema:
    intake_hours: Dict[str, float] = field(default_factory=dict)


@dataclass
class ExpertSchema:
    """Experts on consult and meeting duty (``scenario.experts.<name>``), taken from one partner's FTE."""

    org: str = MISSING  # partner whose staff they are: buurtteam, veilig_thuis, rvdk or gi
    share: float = MISSING  # share of that partner's paper FTE on expert duty (moved out of its caseload)


@dataclass
class ConsultSchema:
    """A short expert consult during the integrated team's joint assessment (``scenario.consults.<name>``)."""

    expert: str = MISSING  # a key of scenario.experts
    hours: float = MISSING  # expert hours per consult
    need: Dict[str, float] = field(default_factory=dict)  # P(a family needs it), per crisismeter colour


@dataclass
class MeetingSchema:
    """A joint meeting (MDO, tafel) that needs one person of every participant at the same time."""

    enabled: bool = MISSING
    participants: List[str] = MISSING  # keys of scenario.experts
    colours: List[str] = MISSING  # crisismeter colours of the families that go to this meeting
    base_hours: float = MISSING  # length of the meeting without participants (hours)
    hours_per_participant: float = MISSING  # each participant makes it longer (hours)
    planning: DistSpec = field(default_factory=DistSpec)  # days from the request to the earliest start (agenda)


@dataclass
class TeamSchema:
    """The integrated team (Veiligheidsteam / regionaal veiligheidsteam), formed from the partners' FTE."""

    enabled: bool = MISSING  # false: no team is formed and the workflow is today's chain
    coverage: float = MISSING  # share of the region's families the team serves (1 = the whole region)
    share: Dict[str, float] = field(default_factory=dict)  # share of each partner's paper FTE moved into the team
    lokaal_team: Dict[str, float] = field(default_factory=dict)  # with vast_gezicht: share of a partner's FTE moved to the lokaal team
    caseload: float = MISSING  # places per available team FTE (a place = one family on one professional's caseload)
    crisis_reserve_share: float = MISSING  # share of team places kept free for rood families
    duo_size: int = MISSING  # team places one family holds (2: a fixed duo)
    voluntary_places: int = MISSING  # team places of a family the team holds for voluntary help only (1 or duo_size)
    vast_gezicht: bool = MISSING  # true: one of the duo is the lokaal team's vast gezicht (a buurtteam place)
    holds_voluntary: List[str] = MISSING  # voluntary-help entries the team holds itself: direct, overdracht
    gi_mandate: str = MISSING  # after a measure: 'duo' continues under the GI mandate, or 'gi' takes over
    intake_hours: float = MISSING  # staff hours of the one joint intake
    coordination_hours_per_month: float = MISSING  # team hours per family per month held (casusoverleg, afstemming)


@dataclass
class ScenarioSchema:
    name: str = MISSING
    description: str = ""
    package: Optional[str] = None  # a workflow package outside sim/scenarios/ to register first (dotted module name)
    work_hours_per_day: Optional[float] = None  # hours a person on duty works per calendar day (meetings, consults)
    team: Optional[TeamSchema] = None
    experts: Dict[str, ExpertSchema] = field(default_factory=dict)
    consults: Dict[str, ConsultSchema] = field(default_factory=dict)
    meetings: Dict[str, MeetingSchema] = field(default_factory=dict)
    # assumed effects by name: each workflow declares and validates its own (sim/scenarios/effects.py)
    effects: Dict[str, Optional[float]] = field(default_factory=dict)


@dataclass
class CompareSchema:
    """``+experiment=compare_workflows``: run the baseline and each workflow on the same families."""

    enabled: bool = False
    baseline: str = "sequential"  # scenario file of the reference workflow (conf/scenario/<name>.yaml)
    workflows: List[str] = field(default_factory=list)  # scenario files compared with the baseline


@dataclass
class TargetSchema:
    """``python -m sim.size``: the target a staffing must meet (``conf/target/*.yaml``; validated by sim/size.py).

    Settings, not domain facts: a planner chooses them. ``kpi`` is ``lead_time`` (melding -> start of help),
    ``lead_time_measure`` (melding -> first contact with the jeugdbeschermer) or a per-stage norm
    (``share_triage_within_norm``, ``share_vt_onderzoek_within_norm``, ``share_rvdk_wait_within_norm``,
    ``share_gi_within_norm``, ``share_chain_within_norm``)."""

    kpi: str = MISSING
    quantile: Optional[float] = None  # lead-time KPIs: 0.9 = 90 % of families within ``days``; None = the mean
    days: Optional[float] = None  # lead-time KPIs: the most days allowed (at the quantile, or on average)
    share: Optional[float] = None  # norm KPIs: the least share of cases within the norm
    confidence: float = 0.95  # the whole confidence interval of the KPI must lie on the right side of the target
    organisations: Optional[List[str]] = None  # staffing.<org> to size; None = every organisation the KPI depends on
    max_factor: float = 3.0  # search up to this x today's FTE per organisation; beyond it the target is unreachable
    step_fte: float = 1.0  # resolution of the answer (FTE); "one FTE less" is one step less


@dataclass
class CapacitySchema:
    """``python -m sim.capacity``: the largest demand each workflow carries, and lead time against demand."""

    workflows: List[str] = field(default_factory=lambda: ["sequential", "integrated"])  # conf/scenario files
    kpi: str = kpis.LEAD_TIME_HELP_P90  # the KPI of the curve (a column of the runs table)
    margin: float = 0.1  # confirmation: stable at capacity x (1 - margin), unstable at capacity x (1 + margin)
    scales: Optional[List[float]] = None  # demand.scale values of the curve; None = evenly up to capacity x (1 + margin)
    points: int = 6  # with scales None: how many points from low to capacity x (1 + margin)
    low: float = 0.5  # with scales None: the lowest demand.scale of the curve


@dataclass
class OrgDynamicsSchema:
    """Staff dynamics of one organisation (``staff_dynamics.orgs.<org>``, sim/staff.py; values in conf/staff_dynamics/)."""

    leavers_per_year: float = MISSING  # share of filled FTE leaving per year
    hiring_delay_days: float = MISSING  # days from a vacancy to the new hire's first day
    onboarding_weeks: float = MISSING  # weeks until a new hire carries a full caseload
    onboarding_start_share: float = MISSING  # share of a full caseload a new hire carries on day one
    fte_per_person: float = MISSING  # mean FTE of one person (stochastic leavers are whole persons)
    extra_fte: float = 0.0  # a decision, not a fact: extra positions from day 0 (backlog drain lever)
    extra_spread_days: float = 0.0  # extra hires start evenly over this many days after the hiring delay


@dataclass
class StaffDynamicsSchema:
    """``+staff_dynamics=nl_2023``: FTE available over time instead of fixed (sim/staff.py)."""

    deterministic: bool = False  # true: expected leavers per step instead of random ones (a fluid trace)
    step_days: float = 7.0  # how often available FTE is recomputed and applied to the pools
    orgs: Dict[str, OrgDynamicsSchema] = field(default_factory=dict)


@dataclass
class BacklogSchema:
    """``python -m sim.backlog``: days until today's waiting lists are within their norms, per extra FTE (sim/backlog.py).

    Settings, not domain facts: a planner chooses them. The hires follow ``staff_dynamics`` (delay, onboarding)."""

    org: str = "gi"  # staffing.<org> that gets the extra FTE (buurtteam, veilig_thuis, rvdk, gi)
    extra_fte: List[float] = field(default_factory=lambda: [0.0, 10.0, 20.0, 40.0])  # levels compared (paired seeds)
    spread_days: float = 90.0  # the extra hires start evenly over this many days after the hiring delay
    probe_days: float = 7.0  # how often the waiting lists are checked against their norms


@dataclass
class KetensimSchema:
    run: RunSchema = field(default_factory=RunSchema)
    scenario: ScenarioSchema = field(default_factory=ScenarioSchema)
    region: RegionSchema = field(default_factory=RegionSchema)
    demand: DemandSchema = field(default_factory=DemandSchema)
    staffing: StaffingSchema = field(default_factory=StaffingSchema)
    families: FamiliesSchema = field(default_factory=FamiliesSchema)
    routing: RoutingSchema = field(default_factory=RoutingSchema)
    durations: DurationsSchema = field(default_factory=DurationsSchema)
    measures: MeasuresSchema = field(default_factory=MeasuresSchema)
    norms: NormsSchema = field(default_factory=NormsSchema)
    handoff: HandoffSchema = field(default_factory=HandoffSchema)
    compare: CompareSchema = field(default_factory=CompareSchema)
    target: Optional[TargetSchema] = None  # python -m sim.size only (conf/size.yaml)
    capacity: Optional[CapacitySchema] = None  # python -m sim.capacity only (conf/capacity.yaml)
    staff_dynamics: Optional[StaffDynamicsSchema] = None  # None: static staffing (sim/staff.py)
    backlog: Optional[BacklogSchema] = None  # python -m sim.backlog only (conf/backlog.yaml)


def register() -> None:
    """Register the schema so ``conf/config.yaml`` can put ``ketensim_schema`` first in its defaults list."""
    ConfigStore.instance().store(name="ketensim_schema", node=KetensimSchema)


# ====================================================================== validated model objects

ROUTING_OPTIONS: dict[str, tuple[str, ...]] = {
    "vt_triage": ("close", "buurtteam", "vt_onderzoek", "vt_vervolg", "rvdk"),
    "vt_onderzoek": ("close", "buurtteam", "rvdk"),
    "vt_vervolg": ("close", "buurtteam", "rvdk"),
    "buurtteam_escalation": ("veilig_thuis", "rvdk"),
    "rvdk_outcome": ("verzoek", "buurtteam", "close"),
    "measure_type": ("ots", "ots_uhp", "voogdij"),
}
COLOURS: tuple[str, ...] = ("groen", "oranje", "rood")
STAFFED_ORGS: tuple[str, ...] = ("buurtteam", "veilig_thuis", "rvdk", "gi")
START_MODES: tuple[str, ...] = ("empty", "today")  # today: from region.initial_state, no warm-up
FORMATS: tuple[str, ...] = ("parquet", "csv")


@dataclass(frozen=True)
class Staffing:
    fte: float
    caseload: float
    productive_share: float
    vacancy_rate: float
    crisis_reserve_share: float
    triage_share: float = 0.0
    triage_caseload: float = 0.0

    @property
    def available_fte(self) -> float:
        return self.fte * self.productive_share * (1.0 - self.vacancy_rate)

    def slots(self, fte_share: float = 1.0, caseload: float | None = None) -> int:
        """Caseload places: available FTE x caseload norm, rounded to whole cases."""
        return int(round(self.available_fte * fte_share * (caseload if caseload is not None else self.caseload)))

    def reserve(self, slots: int) -> int:
        return int(round(slots * self.crisis_reserve_share))


@dataclass(frozen=True)
class Unit:
    """One organisation of a kind (``region.units.<kind>``): Gelderland's VT Gelderland-Zuid, the William
    Schrikker Stichting. Its pools are named ``sim.entities.unit_pool(<pool>, name)``."""

    kind: str  # veilig_thuis or gi
    name: str
    catchment: float  # share of the region's families that belong to it (sums to 1 over the kind)
    fte_share: float  # share of staffing.<kind>.fte working here (VT: of the case teams' FTE); sums to 1 over the kind
    caseload: float  # its caseload norm (VT: the case teams'; the front desk keeps staffing's triage_caseload)
    routing: Mapping[str, float] | None = None  # veilig_thuis: its own routing.vt_triage (None: the region's)
    triage_fte_share: float = 0.0  # veilig_thuis: share of the front desk's FTE working here (default: fte_share)


@dataclass(frozen=True)
class Measure:
    term_days: float
    extension_probability: float

    @property
    def mean_days(self) -> float:
        """Mean total duration: terms are extended independently, so the number of terms is geometric."""
        return self.term_days / (1.0 - self.extension_probability)


@dataclass(frozen=True)
class Model:
    """Everything one run needs, validated. The model receives this, never a raw dict."""

    run: RunSchema
    start_date: dt.date  # run.start_date, read at the edge: the calendar date of the start of the observed window
    scenario: Any  # the validated scenario object (see sim.scenarios)
    region_name: str
    demand_scale: float
    vt_meldingen_per_year: float
    buurtteam_direct_per_year: float
    monthly_profile: tuple[float, ...] | None
    staffing: Mapping[str, Staffing]
    colour_probs: Mapping[str, float]
    children: Distribution
    voluntary_suffices: float
    reentry_probability: float
    time_to_return: Distribution
    max_episodes: int
    routing: Mapping[str, Mapping[str, float]]
    rood_spoed: float
    court_grants: float
    vots_to_ots: float
    durations: Mapping[str, Distribution]
    measures: Mapping[str, Measure]
    vots_max_days: float
    norms: Mapping[str, float]
    intake_hours: Mapping[str, float]
    initial_state: Any = None  # sim.initial_state.InitialState of the region, or None (run.start=empty only)
    staff_dynamics: Any = None  # sim.staff.StaffDynamics, or None: FTE fixed at staffing.<org> (today's behaviour)
    units: Mapping[str, tuple[Unit, ...]] = field(default_factory=dict)  # kind -> its organisations ({}: one per kind)

    def units_of(self, kind: str) -> tuple[Unit, ...]:
        """The organisations of ``kind`` (region.units), or () when the region has one organisation of it."""
        return self.units.get(kind, ())

    @property
    def horizon_days(self) -> float:
        return (self.run.warmup_years + self.run.years) * 365.0

    @property
    def warmup_days(self) -> float:
        return self.run.warmup_years * 365.0


# ====================================================================== bounds: the range of every number


@dataclass(frozen=True)
class Bound:
    """The plausible range of one numeric field (or of every field a pattern matches), with its reason.

    ``pattern`` is a dotted name in which ``*`` stands for one key (``staffing.*.fte``), ``[]`` for any list index
    and a leading ``dist.`` for a parameter of any distribution (``dist.mean``). ``early_low``: a value between 0
    and ``low`` is refused before anything computes with it, because it breaks arithmetic (a cv of 1e-200 divides
    by zero) or makes a run endless (a step of a nanosecond); a value <= 0 is left to the field's own check, which
    says what sign it needs."""

    pattern: str
    low: float | dt.date
    high: float | dt.date
    unit: str
    why: str
    low_open: bool = False  # True: low itself is not allowed (0 < fte)
    share: bool = False  # a share or probability: its own check (probability(), shares()) has the specific message
    early_low: bool = False


DAYS_MAX = 10_000.0  # one bound for every duration, delay, term, norm and wait in days (reason in BOUNDS)
FTE_MAX = 50_000.0
HOURS_MAX = 200.0
CASELOAD_MAX = 200.0
COUNT_MAX = 500_000  # open cases of one kind on the start date
ARRIVALS_MAX = 1_000_000.0  # external arrivals per year after demand.scale (checked on the product)
_NATIONAL = "conf/region/national.yaml"
_SHARE = "a share or probability; its own check says which end is open"

# One home for every range: each numeric field of the schema matches one row (tests/test_bad_input.py checks
# that every field does, and that the largest float in each is refused with one line). Margins are generous on
# purpose (about ten times the national figures of conf/region/national.yaml and ../shared/domain/): a bound
# refuses a typo or an absurd value, not an unusual study.
BOUNDS: tuple[Bound, ...] = (
    # run settings
    Bound("run.years", 0.0, 100.0, "years", "a century of observation is beyond any policy horizon, and the 2023 "
          "figures the model is built on say nothing about one", low_open=True),
    Bound("run.warmup_years", 0.0, 100.0, "years", "from empty the slowest stock (voogdij, 7 years on average, "
          "until 18) settles within a few decades; a century adds nothing"),
    Bound("run.replications", 1, 10_000, "", "10,000 replications put the CI at 1 % of one replication's spread; "
          "more only costs time (a national replication takes seconds)"),
    Bound("run.seed", 0, 2**63 - 1, "", "a seed is a 64-bit integer in every table and file that carries it"),
    Bound("run.jobs", 1, 1_024, "processes", "processes on one machine; a cluster runs sweep points as separate jobs"),
    Bound("run.timeseries_step_days", 1.0, 365.0, "days", "a day is the finest unit of every published figure; "
          "beyond a year no within-year series is left", early_low=True),
    Bound("run.start_date", dt.date(2000, 1, 1), dt.date(2060, 12, 31), "", "the 2023 figures describe the chain "
          "of the Jeugdwet (2015); before 2000 or after 2060 they describe nothing, and event timestamps of a "
          "century-long run must still fit the calendar tables can hold (pandas: until 2262)"),
    # demand
    Bound("demand.scale", 0.0, 100.0, "x the region's demand", "a hundred times today's demand; the product with "
          "the region's arrivals is bounded too (ARRIVALS_MAX)"),
    Bound("demand.vt_meldingen_per_year", 0.0, 500_000.0, "per year", f"ten times the national 42,400 first "
          f"meldingen ({_NATIONAL})"),
    Bound("demand.buurtteam_direct_per_year", 0.0, 250_000.0, "per year", "ten times the top of the national "
          "range, 25,000 (conf/region/national.yaml)"),
    Bound("demand.monthly_profile[]", 0.0, 12.0, "", "weights average 1 over 12 months: 12 is all demand in one "
          "month"),
    # staffing (and every other FTE figure)
    Bound("staffing.*.fte", 0.0, FTE_MAX, "FTE", "ten times the largest national staff of one kind (buurtteams, "
          f"4,200 FTE, {_NATIONAL})", low_open=True),
    Bound("staffing.*.caseload", 0.0, CASELOAD_MAX, "cases per FTE", "more than ten times the largest caseload "
          "norm in use (buurtteam 15 families per FTE)", low_open=True),
    Bound("staffing.veilig_thuis.triage_caseload", 0.0, CASELOAD_MAX, "meldingen per FTE", "more than ten times "
          "any front desk's (6 meldingen per FTE)", low_open=True),
    Bound("staffing.*.productive_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("staffing.*.vacancy_rate", 0.0, 1.0, "", _SHARE, share=True),
    Bound("staffing.*.crisis_reserve_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("staffing.*.triage_share", 0.0, 1.0, "", _SHARE, share=True),
    # families, routing, process
    Bound("families.colour.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("families.children.values[]", 1.0, 20.0, "children", "no family in the chain has more than 20 children "
          "(Dutch families with 10 or more are a few hundred)"),
    Bound("families.children.probs[]", 0.0, 1.0, "", _SHARE, share=True),
    Bound("families.voluntary_suffices", 0.0, 1.0, "", _SHARE, share=True),
    Bound("families.reentry_probability", 0.0, 1.0, "", _SHARE, share=True),
    Bound("families.max_episodes", 1, 50, "episodes", "attributes are drawn ahead for every episode; 50 returns of "
          "one family in a run is far beyond the re-entry model (4 in conf/process)"),
    Bound("routing.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("routing.*.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("measures.*.term_days", 0.0, DAYS_MAX, "days", "27 years: longer than a whole childhood (18 years), the "
          "most any stage, term, norm or delay of youth protection can span", low_open=True),
    Bound("measures.*.extension_probability", 0.0, 1.0, "", _SHARE, share=True),
    Bound("measures.vots_max_days", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood",
          low_open=True),
    Bound("norms.*", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood", low_open=True),
    Bound("handoff.intake_hours.*", 0.0, HOURS_MAX, "hours", "more than a full-time working month of one person "
          "(about 150 hours) for one intake; the largest assumed is 16 (GI, range 4-16)"),
    # distributions (durations, waits, terms, planning): parameters in days
    Bound("dist.mean", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.median", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.value", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.low", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.mode", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.high", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.scale", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.values[]", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood"),
    Bound("dist.probs[]", 0.0, 1.0, "", _SHARE, share=True),
    Bound("dist.cv", 0.01, 10.0, "", "ten times the largest cv in conf/ (1.0); below 1 % use dist: deterministic "
          "(a cv of 1e-200 divides by zero)", early_low=True),
    Bound("dist.sigma", 0.001, 5.0, "", "sigma 5 puts the mean 270,000 times above the median; conf/ uses 0.47; "
          "below 0.001 use dist: deterministic", early_low=True),
    Bound("dist.shape", 0.01, 10_000.0, "", "shape 10,000 is a cv of 1 % (use dist: deterministic beyond); below "
          "0.01 almost every draw is 0", early_low=True),
    # region
    Bound("region.population", 0.0, 200_000_000.0, "people", "ten times the Netherlands (17.9 million, CBS 2024)",
          low_open=True),
    Bound("region.initial_state.date", dt.date(2000, 1, 1), dt.date(2060, 12, 31), "", "as run.start_date"),
    Bound("region.initial_state.*.*", 0, COUNT_MAX, "cases", "more than ten times the largest national stock "
          f"(37,981 families in buurtteam care, {_NATIONAL})"),
    Bound("region.initial_state.gi.in_care.*", 0, COUNT_MAX, "children", "more than ten times the largest "
          f"national stock (13,586 children under an OTS, {_NATIONAL})"),
    Bound("region.initial_state.hermeldingen_per_year", 0.0, 500_000.0, "per year", "ten times the national "
          f"48,555 hermeldingen ({_NATIONAL})"),
    Bound("region.units.*.*.catchment", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.fte_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.triage_fte_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.routing.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.caseload", 0.0, CASELOAD_MAX, "cases per FTE", "as staffing.<org>.caseload",
          low_open=True),
    # workflows (conf/scenario)
    Bound("scenario.work_hours_per_day", 0.0, 24.0, "hours", "a calendar day has 24 hours", low_open=True),
    Bound("scenario.team.coverage", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.share.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.lokaal_team.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.crisis_reserve_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.caseload", 0.0, CASELOAD_MAX, "places per FTE", "as staffing.<org>.caseload",
          low_open=True),
    Bound("scenario.team.duo_size", 1, 10, "places", "a family held by more than ten professionals at once is no "
          "longer a duo or a team around a family (conf/: 2)"),
    Bound("scenario.team.voluntary_places", 1, 10, "places", "as scenario.team.duo_size"),
    Bound("scenario.team.intake_hours", 0.0, HOURS_MAX, "hours", "as handoff.intake_hours"),
    Bound("scenario.team.coordination_hours_per_month", 0.0, HOURS_MAX, "hours", "more than one full-time person "
          "(about 150 hours a month) on one family; conf/ assumes 2"),
    Bound("scenario.experts.*.share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.consults.*.hours", 0.0, HOURS_MAX, "hours", "as handoff.intake_hours"),
    Bound("scenario.consults.*.need.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.meetings.*.base_hours", 0.0, 24.0, "hours", "one meeting with everyone at the same time fits "
          "in a day"),
    Bound("scenario.meetings.*.hours_per_participant", 0.0, 24.0, "hours", "one meeting fits in a day"),
    # scenario.effects.*: each workflow declares its effects and their kind (sim/scenarios/effects.py bounds them)
    # staff dynamics (conf/staff_dynamics)
    Bound("staff_dynamics.step_days", 1.0, 365.0, "days", "a day is the finest unit of the staffing figures; a "
          "step beyond a year applies no leaver within the year", early_low=True),
    Bound("staff_dynamics.orgs.*.leavers_per_year", 0.0, 1.0, "per year", "everyone leaving within a year; the "
          "highest turnover assumed is 0.30 (GI)"),
    Bound("staff_dynamics.orgs.*.hiring_delay_days", 0.0, DAYS_MAX, "days", "as every duration: longer than a "
          "childhood"),
    Bound("staff_dynamics.orgs.*.onboarding_weeks", 0.0, 520.0, "weeks", "ten years; ten times the longest "
          "onboarding assumed (52 weeks)"),
    Bound("staff_dynamics.orgs.*.onboarding_start_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("staff_dynamics.orgs.*.fte_per_person", 0.1, 1.5, "FTE", "one person works between about 4 and 55 hours "
          "a week (1 FTE = 36-38 hours); a smaller contract splits vacancies into millions of persons",
          early_low=True),
    Bound("staff_dynamics.orgs.*.extra_fte", 0.0, FTE_MAX, "FTE", "as staffing.<org>.fte"),
    Bound("staff_dynamics.orgs.*.extra_spread_days", 0.0, DAYS_MAX, "days", "as every duration"),
    # python -m sim.size (conf/target), sim.capacity (conf/capacity.yaml), sim.backlog (conf/backlog.yaml)
    Bound("target.days", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood", low_open=True),
    Bound("target.quantile", 0.0, 1.0, "", _SHARE, share=True),
    Bound("target.share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("target.confidence", 0.0, 1.0, "", _SHARE, share=True),
    Bound("target.max_factor", 1.0, 10.0, "x today's FTE", "ten times today's FTE keeps every staffing the search "
          "tries within staffing.<org>.fte's bound even for the national file", low_open=True),
    Bound("target.step_fte", 0.1, 1_000.0, "FTE", "a tenth of an FTE (4 hours a week) is finer than any staffing "
          "decision; a step of 1,000 FTE is coarser than most organisations", early_low=True),
    Bound("capacity.margin", 0.0, 1.0, "", _SHARE, share=True),
    Bound("capacity.points", 2, 100, "points", "each point simulates every workflow; a curve of 100 points is "
          "smooth"),
    Bound("capacity.low", 0.0, 100.0, "x the region's demand", "as demand.scale", low_open=True),
    Bound("capacity.scales[]", 0.0, 100.0, "x the region's demand", "as demand.scale", low_open=True),
    Bound("backlog.extra_fte[]", 0.0, FTE_MAX, "FTE", "as staffing.<org>.fte"),
    Bound("backlog.spread_days", 0.0, DAYS_MAX, "days", "as every duration"),
    Bound("backlog.probe_days", 1.0, 365.0, "days", "as run.timeseries_step_days", early_low=True),
)
COMMAND_SECTIONS: tuple[str, ...] = ("target", "capacity", "backlog")  # checked by their commands after their own checks


def _matches(pattern: str, name: str) -> bool:
    parts, keys = pattern.split("."), name.split(".")
    return len(parts) == len(keys) and all(p in ("*", k) for p, k in zip(parts, keys))


def bound_of(name: str, in_distribution: bool = False) -> Bound | None:
    """The row of :data:`BOUNDS` for a dotted field name (list indices as ``[]``); a parameter of a distribution
    that has no row of its own takes the ``dist.<parameter>`` row."""
    name = re.sub(r"\[\d+\]", "[]", name)
    for b in BOUNDS:
        if not b.pattern.startswith("dist.") and _matches(b.pattern, name):
            return b
    if in_distribution:
        param = "dist." + name.rsplit(".", 1)[-1]
        return next((b for b in BOUNDS if b.pattern == param), None)
    return None


def _fmt(x: float | dt.date) -> str:
    if isinstance(x, dt.date):
        return x.isoformat()
    if isinstance(x, int) or (float(x).is_integer() and abs(x) < 1e15):
        return f"{int(x):,}"
    return f"{x:g}"


def out_of_bounds(name: str, value: Any, b: Bound) -> str:
    """The one-line message for a value outside its row: the field, the value, the range and its reason."""
    leaf = re.sub(r"\[\d+\]$", "", name.rsplit(".", 1)[-1])
    lower = f"{_fmt(b.low)} {'<' if b.low_open else '<='} "
    unit = f" {b.unit}" if b.unit else ""
    return f"{name} = {value!r} (allowed: {lower}{leaf} <= {_fmt(b.high)}{unit}; {b.why})"


def _inside(value: Any, b: Bound) -> bool:
    return (value > b.low if b.low_open else value >= b.low) and value <= b.high


def numeric_leaves(node: Any, prefix: str = "", in_distribution: bool = False) -> Iterator[tuple[str, Any, bool]]:
    """(dotted name, value, inside a distribution) for every number of a validated schema tree (dataclasses,
    mappings, lists). Dates are text until :func:`parse_date` reads them."""
    if isinstance(node, DistSpec):
        in_distribution = True
    if isinstance(node, (DictConfig, ListConfig)):
        node = OmegaConf.to_container(node)
    if hasattr(node, "__dataclass_fields__"):
        for key in node.__dataclass_fields__:
            yield from numeric_leaves(getattr(node, key), f"{prefix}{key}.", in_distribution)
    elif isinstance(node, Mapping):
        for key, value in node.items():
            yield from numeric_leaves(value, f"{prefix}{key}.", in_distribution)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from numeric_leaves(value, f"{prefix[:-1]}[{i}].", in_distribution)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield prefix[:-1], node, in_distribution


def check_bounds(tree: Any, prefix: str = "", *, early: bool = False, skip: Sequence[str] = ()) -> None:
    """Refuse the first number of ``tree`` outside its row of :data:`BOUNDS` (one line, :func:`out_of_bounds`).

    ``early`` (before the fields' own checks, so that nothing computes with an absurd magnitude): only values
    above their bound, or between 0 and an ``early_low`` bound, and no shares (their own checks speak). Otherwise
    every bound, after the fields' own checks, which therefore speak first where they exist. ``skip``: top-level
    sections a command checks itself (:data:`COMMAND_SECTIONS`). Raises :class:`ConfigError`."""
    for name, value, in_dist in numeric_leaves(tree, prefix):
        if name.split(".", 1)[0].split("[", 1)[0] in skip:
            continue
        if isinstance(value, float) and math.isnan(value):
            continue  # the field's own check says "must be a finite number"
        b = bound_of(name, in_dist)
        if b is None or _inside(value, b):
            continue
        if early:
            below = value < b.low or (b.low_open and value == b.low)
            if b.share or not (value > b.high or (b.early_low and value > 0 and below)):
                continue
        raise ConfigError(out_of_bounds(name, value, b))


def parse_date(name: str, value: Any) -> dt.date:
    """An ISO date (``2024-01-01``) within its row of :data:`BOUNDS`, as a ``datetime.date``. Raises ConfigError."""
    if isinstance(value, dt.date):
        parsed = value
    else:
        try:
            parsed = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name} = {value!r} (must be a date written YYYY-MM-DD, e.g. 2024-01-01)") from None
    b = bound_of(name)
    if b is not None and not _inside(parsed, b):
        raise ConfigError(out_of_bounds(name, str(value), b))
    return parsed


def check_arrivals(scale: float, vt_meldingen_per_year: float, buurtteam_direct_per_year: float) -> None:
    """External arrivals per year after ``demand.scale``: each factor within its bound can still multiply to an
    absurd demand (every arrival is drawn ahead, so 10^8 a year exhausts memory). Raises ConfigError."""
    arrivals = scale * (vt_meldingen_per_year + buurtteam_direct_per_year)
    if arrivals > ARRIVALS_MAX:
        raise ConfigError(f"demand.scale = {scale!r} (gives {arrivals:,.0f} external arrivals a year with "
                          f"demand.vt_meldingen_per_year + demand.buurtteam_direct_per_year = "
                          f"{vt_meldingen_per_year + buurtteam_direct_per_year:,.0f}; allowed: at most "
                          f"{ARRIVALS_MAX:,.0f}, twenty times the national 50,700)")


# ====================================================================== unknown keys


def unknown_key(cfg: DictConfig) -> str | None:
    """The message for the first key of ``cfg`` that the schema does not know (``+run.typo=1``), naming the
    known keys at that place, the nearest first; None when every key is known. Keys under a mapping of free
    names (``routing.vt_triage.<option>``, ``region.units``) are checked where they are validated."""
    return _unknown(cfg, KetensimSchema, "")


def _unknown(node: Any, schema: Any, prefix: str) -> str | None:
    if not isinstance(node, DictConfig) or not hasattr(schema, "__dataclass_fields__"):
        return None
    hints = typing.get_type_hints(schema)
    known = list(schema.__dataclass_fields__)
    for key in node:
        key = str(key)
        if key not in known:
            near = difflib.get_close_matches(key, known, n=len(known), cutoff=0.0)
            name, value = f"{prefix}{key}", node._get_node(key)
            while isinstance(value, DictConfig) and len(value) and not OmegaConf.is_missing(value, next(iter(value))):
                first = str(next(iter(value.keys())))  # +new.key=1: show the whole name that was typed
                name, value = f"{name}.{first}", value._get_node(first)
            shown = value._value() if hasattr(value, "_value") else value
            where = f"of {prefix[:-1]}" if prefix else "at the top level"
            return f"{name} = {shown!r} ({key!r} is not a known key {where}; known: {', '.join(near)})"
        if OmegaConf.is_missing(node, key):
            continue
        child, hint = node._get_node(key), hints[key]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        target = args[0] if typing.get_origin(hint) is typing.Union and args else hint
        if hasattr(target, "__dataclass_fields__"):
            found = _unknown(child, target, f"{prefix}{key}.")
        elif typing.get_origin(target) is dict and hasattr(typing.get_args(target)[1], "__dataclass_fields__"):
            found = next((m for k in (child.keys() if isinstance(child, DictConfig) else ())
                          if (m := _unknown(child._get_node(k), typing.get_args(target)[1], f"{prefix}{key}.{k}."))),
                         None)
        else:
            found = None
        if found:
            return found
    return None


# ====================================================================== validation helpers


def _number(field_name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{field_name} = {value!r} (must be a number)")
    if not math.isfinite(value):
        raise ConfigError(f"{field_name} = {value!r} (must be a finite number)")
    return float(value)


def positive(field_name: str, value: Any) -> float:
    v = _number(field_name, value)
    if v <= 0:
        raise ConfigError(f"{field_name} = {value!r} (must be > 0)")
    return v


def non_negative(field_name: str, value: Any) -> float:
    v = _number(field_name, value)
    if v < 0:
        raise ConfigError(f"{field_name} = {value!r} (must be >= 0)")
    return v


def probability(field_name: str, value: Any, *, below_one: bool = False) -> float:
    v = _number(field_name, value)
    if not 0.0 <= v <= 1.0 or (below_one and v >= 1.0):
        allowed = "0 <= p < 1" if below_one else "0 <= p <= 1"
        raise ConfigError(f"{field_name} = {value!r} (must be a probability, {allowed})")
    return v


def integer(field_name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{field_name} = {value!r} (must be a whole number >= {minimum})")
    return int(value)


def choice(field_name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{field_name} = {value!r} (allowed: {', '.join(allowed)})")
    return str(value)


def shares(field_name: str, values: Mapping[str, Any], options: tuple[str, ...]) -> dict[str, float]:
    """Probabilities of one decision: exactly the named options, each in [0, 1], summing to 1."""
    got = dict(values)
    unknown = sorted(set(got) - set(options))
    if unknown:
        raise ConfigError(f"{field_name}.{unknown[0]} is not an option (allowed: {', '.join(options)})")
    missing = [o for o in options if o not in got]
    if missing:
        raise ConfigError(f"{field_name}.{missing[0]} is missing (every option needs a probability: {', '.join(options)})")
    probs = {o: probability(f"{field_name}.{o}", got[o]) for o in options}
    total = sum(probs.values())
    if abs(total - 1.0) > dists.PROB_TOLERANCE:
        listed = ", ".join(f"{o}={p:g}" for o, p in probs.items())
        raise ConfigError(f"{field_name} sums to {total:.6g} (must sum to 1): {listed}")
    return probs


def distribution(field_name: str, spec: Any) -> Distribution:
    data = OmegaConf.to_container(spec) if isinstance(spec, DictConfig) else (
        spec.__dict__ if isinstance(spec, DistSpec) else dict(spec))
    for key, val in data.items():
        if key in ("dist", "values", "probs") or val is None:
            continue
        _number(f"{field_name}.{key}", val)
    try:
        return dists.build(field_name, data.get("dist"), **{k: v for k, v in data.items() if k != "dist"})
    except DistributionError as err:
        raise ConfigError(str(err)) from None


def staffing(field_name: str, s: Any, *, vt: bool = False) -> Staffing:
    fte = positive(f"{field_name}.fte", s.fte)
    caseload = positive(f"{field_name}.caseload", s.caseload)
    productive = probability(f"{field_name}.productive_share", s.productive_share)
    if productive == 0:
        raise ConfigError(f"{field_name}.productive_share = 0 (must be > 0: nobody would be at work)")
    vacancy = probability(f"{field_name}.vacancy_rate", s.vacancy_rate, below_one=True)
    reserve = probability(f"{field_name}.crisis_reserve_share", s.crisis_reserve_share, below_one=True)
    extra: dict[str, float] = {}
    if vt:
        extra["triage_share"] = probability(f"{field_name}.triage_share", s.triage_share, below_one=True)
        if extra["triage_share"] == 0:
            raise ConfigError(f"{field_name}.triage_share = 0 (must be > 0: nobody would assess meldingen)")
        extra["triage_caseload"] = positive(f"{field_name}.triage_caseload", s.triage_caseload)
    st = Staffing(fte, caseload, productive, vacancy, reserve, **extra)
    if st.slots(1.0 - st.triage_share) < 1 or (vt and st.slots(st.triage_share, st.triage_caseload) < 1):
        raise ConfigError(f"{field_name}.fte = {fte:g} (gives less than one caseload place; raise fte or caseload)")
    return st


UNIT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
UNIT_KEYS: dict[str, str] = {  # region.units.<kind>.<name>: key -> what it is (<name>: snake_case, pools <pool>[<name>])
    "catchment": "share of the region's families that belong to this organisation (sums to 1 over the kind)",
    "fte_share": "share of staffing.<kind>.fte working here (Veilig Thuis: of its case teams' FTE; sums to 1 over the "
                 "kind); default: its catchment",
    "caseload": "its own caseload norm (Veilig Thuis: the case teams'); default: staffing.<kind>.caseload",
    "triage_fte_share": "veilig_thuis only: share of the front desk's FTE (staffing.veilig_thuis.triage_share of the "
                        "total) working here (sums to 1 over the kind); default: its fte_share",
    "routing": "veilig_thuis only: its own routing.vt_triage (same options, sums to 1); default: the region's",
}


def _unit_share(field_name: str, value: Any) -> float:
    v = _number(field_name, value)
    if not 0.0 < v <= 1.0:
        raise ConfigError(f"{field_name} = {value!r} (must be a share, 0 < s <= 1)")
    return v


def _sums_to_one(field_name: str, what: str, values: Mapping[str, float]) -> None:
    total = sum(values.values())
    if abs(total - 1.0) > dists.PROB_TOLERANCE:
        listed = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise ConfigError(f"{field_name} {what} sum to {total:.6g} (must sum to 1): {listed}")


def unit_places(st: Staffing, kind_units: Sequence[Unit], desk: bool = False) -> list[int]:
    """Caseload places of each organisation of a kind, as its actor builds its pools: its ``fte_share`` of the
    case teams' FTE (GI: of the jeugdbeschermers', all of the kind's FTE) at its caseload, or with ``desk`` its
    ``triage_fte_share`` of Veilig Thuis's front-desk FTE (``triage_share`` of the total) at ``triage_caseload``.
    Each organisation's places are its own FTE x caseload, rounded (:meth:`Staffing.slots`), so they never fall
    when the kind's FTE rises; together they may differ from the undivided kind's by the rounding (at most half a
    place per organisation). One organisation of share 1 has exactly the kind's places."""
    if desk:
        return [st.slots(st.triage_share * u.triage_fte_share, st.triage_caseload) for u in kind_units]
    return [st.slots((1.0 - st.triage_share) * u.fte_share, u.caseload) for u in kind_units]


def units(field_name: str, given: Any, staff: Mapping[str, Staffing]) -> dict[str, tuple[Unit, ...]]:
    """``region.units``: per kind (veilig_thuis, gi) its organisations by name, each with a catchment share, an FTE
    share, optionally its own caseload norm and (Veilig Thuis) its own triage routing. Catchment and FTE shares
    each sum to 1 over a kind; every organisation keeps at least one caseload place. {} = one per kind, and
    ``region.units.<kind>=null`` makes a kind one organisation again. The order of the organisations is the
    file's (it orders their pools)."""
    from sim.entities import UNIT_KINDS  # the kinds whose actors build one set of pools per organisation

    def plain(value: Any) -> Any:
        return OmegaConf.to_container(value) if isinstance(value, (DictConfig, ListConfig)) else value

    given = plain(given)
    if given is not None and not isinstance(given, Mapping):
        raise ConfigError(f"{field_name} = {given!r} (must map a kind ({', '.join(UNIT_KINDS)}) to its organisations)")
    out: dict[str, tuple[Unit, ...]] = {}
    for kind, items in dict(given or {}).items():
        where = f"{field_name}.{kind}"
        if kind not in UNIT_KINDS:
            raise ConfigError(f"{where} is not an organisation with units (allowed: {', '.join(UNIT_KINDS)})")
        if items is None:  # region.units.<kind>=null on the command line: the kind as one organisation again
            continue
        if not isinstance(items, Mapping):
            raise ConfigError(f"{where} = {items!r} (must map each organisation's name to its {', '.join(UNIT_KEYS)})")
        if not items:
            raise ConfigError(f"{where} = {{}} (name at least one organisation, or leave {where} out)")
        st = staff[kind]
        built: list[Unit] = []
        for name, u in items.items():
            at = f"{where}.{name}"
            if not isinstance(name, str) or not UNIT_NAME.match(name):
                raise ConfigError(f"{at} is not an organisation name (must be snake_case: a-z, 0-9 and _, "
                                  f"starting with a letter; it names the pools <pool>[<name>])")
            if not isinstance(u, Mapping):
                raise ConfigError(f"{at} = {u!r} (must be a mapping with keys: {', '.join(UNIT_KEYS)})")
            unknown = sorted(set(u) - set(UNIT_KEYS))
            if unknown:
                raise ConfigError(f"{at}.{unknown[0]} is not a key of an organisation (allowed: {', '.join(UNIT_KEYS)})")
            if u.get("catchment") is None:
                raise ConfigError(f"{at}.catchment is missing (catchment: {UNIT_KEYS['catchment']})")
            catchment = _unit_share(f"{at}.catchment", u["catchment"])
            fte_share = catchment if u.get("fte_share") is None else _unit_share(f"{at}.fte_share", u["fte_share"])
            caseload = st.caseload if u.get("caseload") is None else positive(f"{at}.caseload", u["caseload"])
            for key in ("routing", "triage_fte_share"):
                if kind != "veilig_thuis" and u.get(key) is not None:
                    raise ConfigError(f"{at}.{key} is set (only veilig_thuis organisations have a front desk and their "
                                      f"own triage routing; allowed for {kind}: catchment, fte_share, caseload)")
            triage_fte_share = fte_share if u.get("triage_fte_share") is None else \
                _unit_share(f"{at}.triage_fte_share", u["triage_fte_share"])
            routing = None
            if u.get("routing") is not None:
                if not isinstance(u["routing"], Mapping):
                    raise ConfigError(f"{at}.routing = {u['routing']!r} (must map the options of routing.vt_triage to shares)")
                routing = shares(f"{at}.routing", u["routing"], ROUTING_OPTIONS["vt_triage"])
            built.append(Unit(kind, name, catchment, fte_share, caseload, routing, triage_fte_share))
        _sums_to_one(where, "catchment shares", {b.name: b.catchment for b in built})
        _sums_to_one(where, "fte_share values", {b.name: b.fte_share for b in built})
        if kind == "veilig_thuis":
            _sums_to_one(where, "triage_fte_share values", {b.name: b.triage_fte_share for b in built})
        places = [unit_places(st, built)] + ([unit_places(st, built, desk=True)] if kind == "veilig_thuis" else [])
        for i, b in enumerate(built):
            if min(p[i] for p in places) < 1:
                raise ConfigError(f"{where}.{b.name}.fte_share = {b.fte_share:g} (gives it less than one caseload place "
                                  f"at staffing.{kind}.fte = {st.fte:g}; raise its fte_share, its caseload or the fte)")
        out[kind] = tuple(built)
    return out


# ====================================================================== the gate


def validate(cfg: DictConfig | KetensimSchema, scenario_builder: Any = None) -> Model:
    """Check every value once and return the immutable :class:`Model`. Raises :class:`ConfigError`."""
    if isinstance(cfg, DictConfig):
        unknown = unknown_key(cfg)
        if unknown:
            raise ConfigError(unknown)
        missing = sorted(_missing_keys(cfg))
        if missing:
            raise ConfigError(f"{missing[0]} is missing (every value must be set by the region, process or scenario file)")
        try:
            obj: KetensimSchema = OmegaConf.to_object(cfg)  # type: ignore[assignment]
        except Exception as err:  # omegaconf raises several types; all mean a wrong value
            raise ConfigError(_omegaconf_message(err)) from None
    else:
        obj = cfg
    check_bounds(obj, early=True)  # no absurd magnitude reaches the arithmetic below (overflow, endless runs)

    run = obj.run
    positive("run.years", run.years)
    non_negative("run.warmup_years", run.warmup_years)
    integer("run.replications", run.replications, 1)
    integer("run.seed", run.seed, 0)
    integer("run.jobs", run.jobs, 1)
    choice("run.start", run.start, START_MODES)
    if run.start == "today":  # the run starts from today's open cases: there is nothing to warm up
        run = dataclass_replace(run, warmup_years=0.0)
    positive("run.timeseries_step_days", run.timeseries_step_days)
    for i, fmt in enumerate(run.formats):
        choice(f"run.formats[{i}]", fmt, FORMATS)
    if not run.formats:
        raise ConfigError("run.formats = [] (need at least one of: parquet, csv)")
    start_date = parse_date("run.start_date", run.start_date)

    d = obj.demand
    scale = non_negative("demand.scale", d.scale)
    profile = None
    if d.monthly_profile is not None:
        if len(d.monthly_profile) != 12:
            raise ConfigError(f"demand.monthly_profile has {len(d.monthly_profile)} values (needs 12, January to December)")
        profile = tuple(non_negative(f"demand.monthly_profile[{i}]", v) for i, v in enumerate(d.monthly_profile))
        if abs(sum(profile) / 12.0 - 1.0) > 1e-3:
            raise ConfigError(f"demand.monthly_profile has mean {sum(profile) / 12:.4g} (must average 1 so the yearly rate is kept)")

    fam = obj.families
    colours = shares("families.colour", fam.colour, COLOURS)
    routing = {name: shares(f"routing.{name}", getattr(obj.routing, name), opts) for name, opts in ROUTING_OPTIONS.items()}
    durations = {name: distribution(f"durations.{name}", getattr(obj.durations, name))
                 for name in DurationsSchema.__dataclass_fields__}
    children = distribution("families.children", fam.children)
    if any(v < 1 or v != int(v) for v in getattr(children, "values", (1.0,))) or children.kind != "empirical":
        raise ConfigError("families.children must be an empirical distribution over whole numbers >= 1")
    measures = {name: Measure(positive(f"measures.{name}.term_days", getattr(obj.measures, name).term_days),
                              probability(f"measures.{name}.extension_probability",
                                          getattr(obj.measures, name).extension_probability, below_one=True))
                for name in ("ots", "ots_uhp", "voogdij")}
    norms = {name: positive(f"norms.{name}", getattr(obj.norms, name)) for name in NormsSchema.__dataclass_fields__}
    intake = {}
    for org, hours in obj.handoff.intake_hours.items():
        choice("handoff.intake_hours key", org, STAFFED_ORGS + ("kinderrechter",))
        intake[org] = non_negative(f"handoff.intake_hours.{org}", hours)
    staff = {org: staffing(f"staffing.{org}", getattr(obj.staffing, org), vt=(org == "veilig_thuis"))
             for org in STAFFED_ORGS}
    unit_map = units("region.units", getattr(obj.region, "units", None), staff)
    from sim import initial_state as initial_state_mod  # late import: it uses this module's helpers

    initial = initial_state_mod.validate(obj.region.initial_state, start=run.start, start_date=start_date,
                                         measures=measures)

    from sim import staff as staff_mod  # late import: it uses this module's helpers

    dynamics = staff_mod.validate(getattr(obj, "staff_dynamics", None))

    from sim.scenarios import build_scenario  # late import: scenarios import this module

    scenario = build_scenario(obj.scenario, staff) if scenario_builder is None else scenario_builder(obj.scenario)
    check_arrivals(scale, d.vt_meldingen_per_year, d.buurtteam_direct_per_year)

    model = Model(
        run=run,
        start_date=start_date,
        scenario=scenario,
        region_name=str(obj.region.name),
        demand_scale=scale,
        vt_meldingen_per_year=non_negative("demand.vt_meldingen_per_year", d.vt_meldingen_per_year),
        buurtteam_direct_per_year=non_negative("demand.buurtteam_direct_per_year", d.buurtteam_direct_per_year),
        monthly_profile=profile,
        staffing=staff,
        colour_probs=colours,
        children=children,
        voluntary_suffices=probability("families.voluntary_suffices", fam.voluntary_suffices),
        reentry_probability=probability("families.reentry_probability", fam.reentry_probability, below_one=True),
        time_to_return=distribution("families.time_to_return", fam.time_to_return),
        max_episodes=integer("families.max_episodes", fam.max_episodes, 1),
        routing=routing,
        rood_spoed=probability("routing.rood_spoed", obj.routing.rood_spoed),
        court_grants=probability("routing.court_grants", obj.routing.court_grants),
        vots_to_ots=probability("routing.vots_to_ots", obj.routing.vots_to_ots),
        durations=durations,
        measures=measures,
        vots_max_days=positive("measures.vots_max_days", obj.measures.vots_max_days),
        norms=norms,
        intake_hours=intake,
        initial_state=initial,
        staff_dynamics=dynamics,
        units=unit_map,
    )
    check_bounds(obj, skip=COMMAND_SECTIONS)  # every bound the fields' own checks above left open
    return model


def _missing_keys(cfg: DictConfig, prefix: str = "") -> list[str]:
    out: list[str] = []
    for key in cfg.keys():
        dotted = f"{prefix}{key}"
        if OmegaConf.is_missing(cfg, key):
            out.append(dotted)
            continue
        node = cfg._get_node(key)
        if isinstance(node, DictConfig):
            out.extend(_missing_keys(node, dotted + "."))
    return out


def _omegaconf_message(err: Exception) -> str:
    key = getattr(err, "full_key", None) or "config"
    value = getattr(err, "value", None)
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"{key} = {value!r} ({msg})" if value is not None else f"{key}: {msg}"
