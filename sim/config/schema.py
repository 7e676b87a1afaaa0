"""Hydra structured-config schema: the dataclasses registered in Hydra's ConfigStore as ``ketensim_schema``.

They fix the names and types policy advisers type on the command line (``staffing.gi.fte=340``,
``demand.scale=1.2``, ``run.replications=20``). They deliberately hold no domain numbers: every chain-wide value
lives in ``conf/process/*.yaml`` and every regional value in ``conf/region/*.yaml``, each with its source beside
it (one home per default). Run settings have their defaults here, because they are settings, not facts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from sim.chain import kpis

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
    # the event log's formats: Parquet only unless CSV is asked for (a Gelderland run's CSV log is hundreds of MB)
    event_log_formats: List[str] = field(default_factory=lambda: ["parquet"])
    # the families table's formats (one row per family episode): Parquet only unless CSV is asked for (a Gelderland
    # run's CSV families table is ~100 MB); the small tables (summary, runs, timeseries, assumptions) follow formats
    families_formats: List[str] = field(default_factory=lambda: ["parquet"])
    sweep_families: bool = False  # a point of a sweep (python -m sim -m) writes its families table only when true
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
    # relative rate per simulated year (1st, 2nd, ... year from the start; the last value holds on); None = flat.
    # A published demand path (experiments/backtest.py); multiplies every external arrival rate, as demand.scale does
    yearly_path: Optional[List[float]] = None


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
    """Open cases on ``date`` (``run.start=today`` starts from them; see sim/chain/initial_state.py)."""

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
    # youth-care regions (jeugdregio's) -> {vt: its Veilig Thuis organisation (region.units.veilig_thuis), share: of
    # that organisation's families living there, gi: {GI name: share of the region's families at that GI}}; {} = none.
    # A family's jeugdregio is drawn within its VT organisation, its GI from its jeugdregio's GIs (gate.jeugdregios()).
    jeugdregios: Optional[Dict[str, Any]] = field(default_factory=dict)  # null: none (as {})


@dataclass
class FamiliesSchema:
    colour: Dict[str, float] = field(default_factory=dict)  # crisismeter groen/oranje/rood shares
    children: DistSpec = field(default_factory=DistSpec)
    voluntary_suffices: float = MISSING  # P(voluntary help is enough), non-rood families
    reentry_probability: float = MISSING  # P(a closed episode returns as a hermelding)
    adult_problem_share: float = MISSING  # P(a family's adults have problems of their own, such as debts)
    time_to_return: DistSpec = field(default_factory=DistSpec)
    max_episodes: int = MISSING
    # the age (years) of the child a family's episode is about (sim/chain/demand.py); None: children never age
    age_at_melding: Optional[DistSpec] = None  # a new family's child at its first melding: whole years
    age_in_care: Optional[DistSpec] = None  # a child under a measure running on the start date (run.start=today)


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
    gi_voluntary: DistSpec = field(default_factory=DistSpec)  # voluntary GI begeleiding (drang, SAVE-begeleiding)


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
class CourtSchema:
    """The kinderrechter (sim/actors/kinderrechter.py): ``unlimited`` (a delay only) or zittingen a week."""

    zittingen_per_week: Any = MISSING  # 'unlimited' or a positive number of hearings a week (spoed before regular)


@dataclass
class WorkSchema:
    hours_per_day: float = MISSING  # work hours of one available FTE per calendar day


@dataclass
class HandoffSchema:
    intake_hours: Dict[str, float] = field(default_factory=dict)
    # what one shared registration form saves at a repeated intake (sim.chain.model.RegistrationForm)
    registration_form: str = MISSING  # 'separate' (today: each organisation its own form) or 'shared'
    shared_form_saving: float = MISSING  # share of a repeated intake's hours the shared form saves
    shared_form_retold: float = MISSING  # P(the family still tells its story again at a repeated intake)


@dataclass
class VoluntaryGISchema:
    """Voluntary GI involvement without a measure (drang, SAVE-begeleiding): who goes there and what it holds."""

    from_vt: float = MISSING  # P(a family Veilig Thuis hands to voluntary help goes to the GI instead of the buurtteam)
    from_buurtteam: float = MISSING  # P(failed voluntary help goes to the GI under drang instead of VT or the Raad)
    to_rvdk: float = MISSING  # P(a voluntary GI begeleiding ends in a verzoek tot onderzoek at the Raad)
    caseload: float = MISSING  # children per GI FTE in voluntary begeleiding


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
    crisis_reserve_share: float = MISSING  # share of team places kept free for rood families
    duo_size: int = MISSING  # professionals of the team with one family (2: a fixed duo; with vast gezicht one is the lokaal team's)
    vast_gezicht: bool = MISSING  # true: one of the duo is the lokaal team's vast gezicht (a buurtteam place)
    holds_voluntary: List[str] = MISSING  # voluntary-help entries the team holds itself: direct, overdracht
    gi_mandate: str = MISSING  # after a measure: 'duo' continues under the GI mandate, or 'gi' takes over
    rvdk_member: bool = MISSING  # the Raad's raadsonderzoeker is a team member (investigates inside the team)
    intake_hours: float = MISSING  # staff hours of the one joint intake
    coordination_hours_per_month: float = MISSING  # team hours per family per month held (casusoverleg, afstemming)


@dataclass
class ScenarioSchema:
    name: str = MISSING
    description: str = ""
    package: Optional[str] = None  # a workflow package outside sim/scenarios/ to register first (dotted module name)
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
    # also run each workflow with every assumed effect at its no-effect value (same seeds): structure vs effects
    decompose: bool = True


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
    # met in at least this share of the plausible worlds (the assumptions with a range drawn jointly, conf
    # ``uncertainty``: draws, seed, only, shapes, ranges); None = the one world of the values in force
    probability: Optional[float] = None
    confirm_draws: int = 10  # with probability: worlds simulated (run.replications each) at the answer


@dataclass
class CapacitySchema:
    """``python -m sim.capacity``: the largest demand each workflow carries, and lead time against demand."""

    workflows: List[str] = field(default_factory=lambda: ["sequential", "integrated"])  # conf/scenario files
    kpi: str = kpis.LEAD_TIME_HELP_KM_P90  # the KPI of the curve (a column of the runs table; families still waiting count)
    margin: float = 0.1  # confirmation: stable at capacity x (1 - margin), unstable at capacity x (1 + margin)
    scales: Optional[List[float]] = None  # demand.scale values of the curve; None = evenly up to capacity x (1 + margin)
    points: int = 6  # with scales None: how many points from low to capacity x (1 + margin)
    low: float = 0.5  # with scales None: the lowest demand.scale of the curve


@dataclass
class OrgDynamicsSchema:
    """Staff dynamics of one organisation (``staff_dynamics.orgs.<org>``, sim/chain/workforce.py; values in conf/staff_dynamics/)."""

    leavers_per_year: float = MISSING  # share of filled FTE leaving per year
    hiring_delay_days: float = MISSING  # days from a vacancy to the new hire's first day
    onboarding_weeks: float = MISSING  # weeks until a new hire carries a full caseload
    onboarding_start_share: float = MISSING  # share of a full caseload a new hire carries on day one
    fte_per_person: float = MISSING  # mean FTE of one person (stochastic leavers are whole persons)
    extra_fte: float = 0.0  # a decision, not a fact: extra positions from day 0 (backlog drain lever)
    extra_spread_days: float = 0.0  # extra hires start evenly over this many days after the hiring delay


@dataclass
class WorkloadFeedbackSchema:
    """``+workload_feedback=on`` (with ``+staff_dynamics=nl_2023``): leaving and sickness rise with each organisation's
    caseload pressure (sim/chain/workforce.py; values in conf/workload_feedback/)."""

    turnover_elasticity: float = MISSING  # leavers_per_year x pressure^this above the norm (0: no feedback)
    sickness_elasticity: float = MISSING  # absence share x pressure^this above the norm (0: no feedback)
    absence_at_norm: float = MISSING  # share of staff off sick at the norm (already inside productive_share)
    absence_max: float = MISSING  # the absence share never exceeds this
    waiting_weight: float = MISSING  # a place waiting counts this much as a place in use in the pressure
    pressure_memory_days: float = MISSING  # staff react to the pressure smoothed over about this many days
    pressure_max: float = MISSING  # pressure counted at most (a pool without places)


@dataclass
class StaffDynamicsSchema:
    """``+staff_dynamics=nl_2023``: FTE available over time instead of fixed (sim/chain/workforce.py)."""

    deterministic: bool = False  # true: expected leavers per step instead of random ones (a fluid trace)
    step_days: float = 7.0  # how often available FTE is recomputed and applied to the pools
    orgs: Dict[str, OrgDynamicsSchema] = field(default_factory=dict)
    workload_feedback: Optional[WorkloadFeedbackSchema] = None  # None: leaving and sickness ignore workload


@dataclass
class VervolgmeldingSchema:
    """New meldingen about a family already known to Veilig Thuis (``waiting.vervolgmelding``, sim/chain/waiting.py)."""

    pending_per_day: float = MISSING  # rate per family-day while its veiligheidsbeoordeling is pending
    casework_per_day: float = MISSING  # rate per family-day while Veilig Thuis keeps the family (onderzoek, vervolg, waiting)
    triage_hours: float = MISSING  # front-desk hours one vervolgmelding costs (read, weigh, add to the open case)


@dataclass
class WaitingSchema:
    """What waiting does to families (``waiting:`` in conf/process/, sim/chain/waiting.py): colours worsen with a
    hazard that rises with the time waited, families drop out of lists, vervolgmeldingen arrive about known
    families. None (a configuration without the section): none of it, today's patient queues."""

    escalation_shape: float = MISSING  # Weibull shape of the time to a colour step while waiting (> 1: hazard rises)
    escalation_within_90_days: Dict[str, float] = MISSING  # queue -> chance of a colour step within 90 days of waiting
    dropout_per_year: Dict[str, float] = MISSING  # queue -> drop-out rate per year of waiting
    vervolgmelding: VervolgmeldingSchema = field(default_factory=VervolgmeldingSchema)


@dataclass
class BacklogSchema:
    """``python -m sim.backlog``: days until today's waiting lists are within their norms, per extra FTE (sim/backlog.py).

    Settings, not domain facts: a planner chooses them. The hires follow ``staff_dynamics`` (delay, onboarding)."""

    org: str = "gi"  # staffing.<org> that gets the extra FTE (buurtteam, veilig_thuis, rvdk, gi)
    extra_fte: List[float] = field(default_factory=lambda: [0.0, 10.0, 20.0, 40.0])  # levels compared (paired seeds)
    spread_days: float = 90.0  # the extra hires start evenly over this many days after the hiring delay
    probe_days: float = 7.0  # how often the waiting lists are checked against their norms


@dataclass
class UncertaintySchema:
    """``python -m sim.uncertainty``: every assumption with a range drawn jointly, each draw run for the baseline and
    the compared workflows on the same families (sim/analysis/uncertainty.py, docs/uncertainty.md).

    Settings, not domain facts. The assumptions, their ranges and defaults come from the provenance comments in
    conf/ and from the workflows' effect declarations; ``shapes`` and ``ranges`` override them by name."""

    baseline: str = "sequential"  # scenario file of the reference workflow (conf/scenario/<name>.yaml)
    workflows: List[str] = field(default_factory=lambda: ["integrated"])  # scenario files compared with it
    # how the Sobol' indices are estimated: "saltelli" (SALib's design and estimators) or "emulator" (independent
    # draws, an emulator fitted on most of them and its error measured on the rest: sim/analysis/emulator.py)
    method: str = "saltelli"
    draws: int = 1000  # worlds to run (each: every workflow, run.replications each); saltelli: rounded down to N x (D + 2)
    held_back: float = 0.2  # method=emulator: share of the draws the emulator never sees, its error measured on them
    seed: int = 20240  # seed of the quasi-random design (Sobol' sequence, scrambled); run.seed seeds the families
    same_families: bool = False  # true: every draw uses run.seed (no stochastic spread between draws)
    only: Optional[List[str]] = None  # names of the assumptions to draw (None: every one with a range)
    shapes: Dict[str, Any] = field(default_factory=dict)  # name -> uniform | triangular | pert (mode = default)
    ranges: Dict[str, Any] = field(default_factory=dict)  # name -> [low, high], replacing the stated range (checked by sim.uncertainty)
    block: int = 8  # draws per block: the unit of parallel work, of resuming and of a SLURM array task
    # one task of ``sim.uncertainty -m`` (a SLURM array): run this block only. Set by the command, never typed
    task_block: Optional[int] = None
    bootstrap: int = 500  # resamples for the Sobol' indices' and the break-even values' intervals
    top: int = 3  # break-even values for this many of the most influential assumptions per KPI


@dataclass
class OrgPriceSchema:
    """Employer cost of one FTE of an organisation (``prices.orgs.<org>``, conf/prices/; sim/analysis/costs.py)."""

    payer: str = MISSING  # who pays this organisation's staff: rijk | gemeenten
    monthly_salary: float = MISSING  # euros, gross per month of one FTE (salary scale of its CAO)
    salary_months: float = MISSING  # months paid per year, holiday pay included (12.96 = 12 + 8 %)
    employer_charges: float = MISSING  # share on top of gross pay: social premiums and pension
    overhead: float = MISSING  # share on top of the employer cost: management, support, housing, ICT


@dataclass
class TransitionPriceSchema:
    """One-off costs of forming a joint team out of the partners' staff (``prices.transition``)."""

    payer: str = MISSING  # rijk | gemeenten
    training_per_fte: float = MISSING  # euros per FTE moved into the team
    double_running_months: float = MISSING  # months a moved FTE is paid twice (old and new chain overlap)
    fixed_per_team: float = MISSING  # euros per team formed (project, ICT, housing)


@dataclass
class PricesSchema:
    """``prices=nl_2024`` (conf/prices/): euros the costs module (sim/analysis/costs.py) puts on a run's tables.
    No simulated number depends on it; every value carries ``source:`` or ``assumption:`` (checked at the edge)."""

    name: str = MISSING  # the file's name (conf/prices/<name>.yaml): where the provenance of every price is read
    price_year: int = MISSING  # the year whose euros the prices are in
    report_year: int = MISSING  # the year whose euros costs are reported in
    indexation_per_year: float = MISSING  # yearly price rise from price_year to report_year
    orgs: Dict[str, OrgPriceSchema] = field(default_factory=dict)
    gi_tariff: Dict[str, float] = field(default_factory=dict)  # measure -> euros per child per year
    court_per_hearing: float = MISSING  # euros per court hearing (kinderrechter)
    transition: TransitionPriceSchema = field(default_factory=TransitionPriceSchema)


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
    work: WorkSchema = field(default_factory=WorkSchema)
    court: CourtSchema = field(default_factory=CourtSchema)
    handoff: HandoffSchema = field(default_factory=HandoffSchema)
    voluntary_gi: VoluntaryGISchema = field(default_factory=VoluntaryGISchema)
    compare: CompareSchema = field(default_factory=CompareSchema)
    target: Optional[TargetSchema] = None  # python -m sim.size only (conf/size.yaml)
    capacity: Optional[CapacitySchema] = None  # python -m sim.capacity only (conf/capacity.yaml)
    staff_dynamics: Optional[StaffDynamicsSchema] = None  # None: static staffing (sim/chain/workforce.py)
    waiting: Optional[WaitingSchema] = None  # None: patient queues (sim/chain/waiting.py); conf/process/ sets it
    backlog: Optional[BacklogSchema] = None  # python -m sim.backlog only (conf/backlog.yaml)
    uncertainty: Optional[UncertaintySchema] = None  # python -m sim.uncertainty only (conf/uncertainty.yaml)
    prices: Optional[PricesSchema] = None  # conf/prices/ (default nl_2024): euros for sim/analysis/costs.py only


def register() -> None:
    """Register the schema so ``conf/config.yaml`` can put ``ketensim_schema`` first in its defaults list."""
    ConfigStore.instance().store(name="ketensim_schema", node=KetensimSchema)
