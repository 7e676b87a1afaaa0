"""The validated model objects (frozen): staffing, organisations, measures, run settings, and the Model a run
receives; and the ONE rule that turns FTE into caseload places.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace
from typing import Any, Mapping, Sequence

from sim.kernel.distributions import Distribution


@dataclass(frozen=True)
class RunSettings:
    """``run.*`` after validation, frozen: nothing can change a model's run settings under a running replication.
    The fields are :class:`sim.config.schema.RunSchema`'s; :meth:`of` refuses a schema with a field it lacks."""

    years: float  # observation window after warm-up (years)
    warmup_years: float  # run-in from an empty chain (0 with start=today)
    replications: int
    seed: int
    jobs: int  # processes for replications (1 = serial)
    start: str  # 'empty' or 'today'
    event_log: bool
    timeseries_step_days: float
    start_date: str  # ISO date of the start of the observation window
    formats: tuple[str, ...]
    event_log_formats: tuple[str, ...]  # formats of the event log (events table), when event_log
    families_formats: tuple[str, ...]  # formats of the families table
    sweep_families: bool  # a point of a sweep writes its families table
    quiet: bool

    @classmethod
    def of(cls, run: Any) -> "RunSettings":
        """The frozen copy of a validated ``RunSchema`` (lists become tuples)."""
        names = [f.name for f in fields(cls)]
        extra = sorted(set(vars(run)) - set(names))
        if extra:
            raise TypeError(f"run.{extra[0]} has no field in RunSettings (sim/chain/model.py): add it there")
        return cls(**{n: tuple(getattr(run, n)) if isinstance(getattr(run, n), list) else getattr(run, n) for n in names})


DAYS_PER_MONTH = 365.0 / 12.0


def place_days(hours: float, places_per_fte: float, work_hours_per_day: float) -> float:
    """Days that one caseload place is held to spend ``hours`` of staff time: a place is ``1 / places_per_fte`` of
    an available FTE, who works ``work_hours_per_day`` (``work.hours_per_day``) per calendar day.

    The ONE rule from hours spent outside a held case (a repeated intake, sim.actors.base.Actor.spend) to staff
    capacity, the same for every organisation and pool and every workflow (issue 14: fair books)."""
    return hours * places_per_fte / work_hours_per_day


def hours_per_month(work_hours_per_day: float) -> float:
    """Work hours one available FTE gives per month: the integrated team's places are counted in them
    (sim.actors.veiligheidsteam: a place is a tenth of a work hour per month)."""
    return work_hours_per_day * DAYS_PER_MONTH


def present_fte(fte: Any, productive_share: Any, vacancy_rate: Any) -> Any:
    """FTE at work: paper FTE x productive share (leave, training, overhead) x (1 - vacancy rate).

    The ONE rule from FTE on paper to the staff who hold caseload places; times a caseload norm and rounded it gives
    an organisation's places (:meth:`Staffing.slots`, :func:`unit_places`). Numbers or numpy arrays alike (the
    analytic twins evaluate thousands of staffings at once). Every actor, twin and the calibration call it, in this
    order of multiplication, so the simulation and its twins round to the same places."""
    return fte * productive_share * (1.0 - vacancy_rate)


@dataclass(frozen=True)
class Staffing:
    fte: float
    caseload: float
    productive_share: float
    vacancy_rate: float
    crisis_reserve_share: float
    triage_share: float = 0.0
    triage_caseload: float = 0.0

    def present(self, fte: Any) -> Any:
        """The part of ``fte`` (paper FTE of this organisation, a number or an array) that is at work:
        :func:`present_fte` with this organisation's productive share and vacancy rate."""
        return present_fte(fte, self.productive_share, self.vacancy_rate)

    @property
    def available_fte(self) -> float:
        return self.present(self.fte)

    def slots(self, fte_share: float = 1.0, caseload: float | None = None) -> int:
        """Caseload places: available FTE x caseload norm, rounded to whole cases."""
        return int(round(self.available_fte * fte_share * (caseload if caseload is not None else self.caseload)))

    def reserve(self, slots: int) -> int:
        return int(round(slots * self.crisis_reserve_share))

    def minus(self, taken: float, desk: float = 0.0) -> "Staffing":
        """This organisation after ``taken`` paper FTE moved out (into a team, to expert duty), ``desk`` of them
        from its front desk and the rest from its case teams: a staff move never takes places off a front desk
        that still serves the same meldingen (issue 14, item 7). Organisations without a desk just shrink."""
        left = max(self.fte - taken, 0.0)
        if self.triage_share <= 0 or left <= 0:
            return replace(self, fte=left)
        share = min(max((self.triage_share * self.fte - desk) / left, 0.0), 1.0)
        return replace(self, fte=left, triage_share=share)


@dataclass(frozen=True)
class Unit:
    """One organisation of a kind (``region.units.<kind>``): Gelderland's VT Gelderland-Zuid, the William
    Schrikker Stichting. Its pools are named ``sim.chain.entities.unit_pool(<pool>, name)``."""

    kind: str  # veilig_thuis or gi
    name: str
    catchment: float  # share of the region's families that belong to it (sums to 1 over the kind)
    fte_share: float  # share of staffing.<kind>.fte working here (VT: of the case teams' FTE); sums to 1 over the kind
    caseload: float  # its caseload norm (VT: the case teams'; the front desk keeps staffing's triage_caseload)
    routing: Mapping[str, float] | None = None  # veilig_thuis: its own routing.vt_triage (None: the region's)
    triage_fte_share: float = 0.0  # veilig_thuis: share of the front desk's FTE working here (default: fte_share)


@dataclass(frozen=True)
class Jeugdregio:
    """One youth-care region (``region.jeugdregios``): Gelderland's seven. Not an organisation (no pools): where a
    family lives, which fixes its Veilig Thuis organisation and the GIs that work there."""

    name: str
    vt: int  # index into Model.units_of("veilig_thuis")
    share: float  # share of that Veilig Thuis organisation's families living here (sums to 1 per organisation)
    gi: tuple[float, ...]  # share of this region's families at each GI, in the order of Model.units_of("gi")


@dataclass(frozen=True)
class Measure:
    term_days: float
    extension_probability: float

    @property
    def mean_days(self) -> float:
        """Mean total duration: terms are extended independently, so the number of terms is geometric."""
        return self.term_days / (1.0 - self.extension_probability)


@dataclass(frozen=True)
class VoluntaryGI:
    """Voluntary GI involvement without a measure (drang, SAVE-begeleiding; ``voluntary_gi.*``): the shares of
    families that go there from Veilig Thuis and from failed voluntary help, the share that ends at the Raad and
    the caseload (children per GI FTE) it is given at. Shares 0: today's chain without the route, bit for bit."""

    from_vt: float
    from_buurtteam: float
    to_rvdk: float
    caseload: float

    @property
    def active(self) -> bool:
        return self.from_vt > 0 or self.from_buurtteam > 0


REGISTRATION_FORMS: tuple[str, ...] = ("separate", "shared")


@dataclass(frozen=True)
class RegistrationForm:
    """``handoff.registration_form`` (Gelderse Verbeteragenda: 'one registration form, two routes'): with one
    shared form a repeated intake costs ``1 - saving`` of its hours, and the family retells its story with
    probability ``retold``. ``separate`` (today): every repeated intake costs its hours and one more story."""

    form: str
    saving: float
    retold: float

    @property
    def shared(self) -> bool:
        return self.form == "shared"


@dataclass(frozen=True)
class Model:
    """Everything one run needs, validated. The model receives this, never a raw dict."""

    run: RunSettings  # run.* as the gate validated it, frozen
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
    adult_problem_share: float  # families.adult_problem_share: adults with problems of their own (debts, ...)
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
    work_hours_per_day: float  # work.hours_per_day: work hours of one available FTE per calendar day
    initial_state: Any = None  # sim.chain.initial_state.InitialState of the region, or None (run.start=empty only)
    staff_dynamics: Any = None  # sim.chain.workforce.StaffDynamics, or None: FTE fixed at staffing.<org> (today's behaviour)
    units: Mapping[str, tuple[Unit, ...]] = field(default_factory=dict)  # kind -> its organisations ({}: one per kind)
    yearly_path: tuple[float, ...] | None = None  # demand.yearly_path: relative rate per simulated year; None = flat
    jeugdregios: tuple[Jeugdregio, ...] = ()  # region.jeugdregios ((): none; GIs then drawn from their catchments)
    # the child's age (years) at its first melding and under a measure running on the start date: empirical over
    # whole years, the fraction of the year uniform; None: children never age (the model before issue 16)
    age_at_melding: Distribution | None = None
    age_in_care: Distribution | None = None
    waiting: Any = None  # sim.chain.waiting.WaitingDynamics, or None: patient queues (the model before issue 16)
    voluntary_gi: VoluntaryGI | None = None  # voluntary_gi.*: drang / SAVE-begeleiding (None or shares 0: no route)
    registration_form: RegistrationForm | None = None  # handoff.registration_form (None: separate forms, today)
    court_per_week: float | None = None  # court.zittingen_per_week: hearings a week, or None: unlimited (a delay only)

    def units_of(self, kind: str) -> tuple[Unit, ...]:
        """The organisations of ``kind`` (region.units), or () when the region has one organisation of it."""
        return self.units.get(kind, ())

    @property
    def horizon_days(self) -> float:
        return (self.run.warmup_years + self.run.years) * 365.0

    @property
    def warmup_days(self) -> float:
        return self.run.warmup_years * 365.0


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
