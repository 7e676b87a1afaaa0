"""The KPI registry: every KPI the model reports, declared once, and every list of KPIs a command shows.

A KPI is a column of the ``runs`` table (sim/chain/tables.py computes them per replication; sim/chain/workforce.py adds the FTE
means under staff dynamics) or of the comparison's frame (sim/analysis/compare.py). Each is declared here once, with its
unit, the direction in which it is better, the norm it is judged against (a key of ``model.norms``, conf/process
``norms.*``) and a description; its constant (``SHARE_TRIAGE_WITHIN_NORM``) is the only place its name is spelled.
The readable en/nl labels of the report stay in ``sim.report.style.TERMS`` under ``kpi.<name>``.

Three kinds of name resolve to a declaration:

- the name itself (``lead_time_help_p90``);
- a KPI per pool or per organisation: the declared head, a dot and the pool (``wait_mean.veilig_thuis.triage``,
  ``paper_fte_mean.gi``, ``waiting_list_org.gi``): declared with ``per_pool=True``;
- a KPI per organisation of a kind (``region.units``): the declared name with the organisation in brackets
  (``share_gi_within_norm[william_schrikker]``, ``waiting_list_mean.gi[william_schrikker]``).

The lists commands show are tags: a KPI carries the tags of the lists it is in, and :func:`tagged` returns a
list in the order of declaration, or, for a tag given with a position (``at={"printed": 4}``), in the order of
those positions (the run's console summary and the report's key figures order a few KPIs differently from the
runs table, and their output must not move). The tags:

- ``printed``: the console summary of a run (``python -m sim``); per-pool KPIs there show for every pool;
- ``compared``: the printed table of a comparison (``python -m sim +experiment=compare_workflows``) and the
  report's main comparison table;
- ``headline``: the report's key figures;
- ``swept``: the sweep report's table;
- ``paired``: the forest plot of paired differences, one panel per unit;
- ``screened``: the KPIs the analytic screening prints (``python -m sim.screening``);
- ``sizable``: the norm shares ``python -m sim.size`` can size for (its lead-time targets: :data:`LEAD_TIMES`);
- ``summed``: pool KPIs that add up over the organisations of a kind (levels, places, flows, loads).

A norm KPI that judges a waiting list also names that list's pool (``pool``): ``sim.backlog`` drains those
(:func:`normed_pools`). This module is a leaf: it imports nothing of sim but the entity names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from sim.chain.entities import kind_pool

HIGHER, LOWER = "higher", "lower"  # the direction in which a KPI is better ("" where neither is)

# units (the keys of sim.report.style's "u.<unit>" terms)
DAYS, SHARE, FLAG, COUNT, HOURS = "days", "share", "flag", "count", "hours"
PER_YEAR, CHILDREN_PER_YEAR, CASES_PER_YEAR = "per year", "children/year", "cases/year"
CASES, PLACES, FTE = "cases", "places", "FTE"
RATIO = "ratio"  # a level relative to its norm (1 = at the norm)

TAGS: tuple[str, ...] = ("printed", "compared", "headline", "swept", "paired", "screened", "sizable", "summed")


@dataclass(frozen=True)
class KPI:
    """One KPI: ``name`` is its column name, or for ``per_pool`` the head of ``<name>.<pool>``."""

    name: str
    unit: str
    description: str
    better: str = ""  # HIGHER, LOWER or "" (a volume or a level with no better side)
    norm: str | None = None  # the key of model.norms the KPI is judged against (days)
    duration: str | None = None  # the duration a norm share judges: a name of sim.screening's FlowModel.times
    pool: str | None = None  # the pool whose waiting list the norm judges (sim.backlog); pool names of sim/actors
    per_pool: bool = False
    tags: frozenset[str] = frozenset()
    at: Mapping[str, int] = field(default_factory=dict)  # position in a tag's list where declaration order is not it

    @property
    def lower_is_better(self) -> bool:
        return self.better == LOWER

    def of(self, pool: str) -> str:
        """The column of a per-pool KPI for one pool: ``wait_mean.gi``."""
        if not self.per_pool:
            raise ValueError(f"{self.name} is not a KPI per pool")
        return f"{self.name}.{pool}"

    @property
    def prefix(self) -> str:
        """What every column of a per-pool KPI starts with: ``wait_mean.``."""
        if not self.per_pool:
            raise ValueError(f"{self.name} is not a KPI per pool")
        return f"{self.name}."


_REGISTRY: dict[str, KPI] = {}


def _declare(name: str, unit: str, description: str, better: str = "", *, norm: str | None = None,
             duration: str | None = None, pool: str | None = None, per_pool: bool = False, tags: tuple[str, ...] = (),
             at: Mapping[str, int] | None = None) -> str:
    """Register one KPI and return its name (the module constant that every other module uses)."""
    if name in _REGISTRY:
        raise ValueError(f"KPI {name!r} declared twice")
    if better not in (HIGHER, LOWER, ""):
        raise ValueError(f"KPI {name!r}: better = {better!r} (allowed: {HIGHER}, {LOWER}, '')")
    at = dict(at or {})
    unknown = (set(tags) | set(at)) - set(TAGS)
    if unknown:
        raise ValueError(f"KPI {name!r}: unknown tags {sorted(unknown)} (allowed: {', '.join(TAGS)})")
    if (norm is None) != (duration is None):
        raise ValueError(f"KPI {name!r}: a norm share names both its norm and the duration it judges")
    _REGISTRY[name] = KPI(name, unit, description, better, norm, duration, pool, per_pool,
                          frozenset(tags) | frozenset(at), MappingProxyType(at))
    return name


# ====================================================================== per family episode (sim/chain/tables.py)

FAMILIES_PER_YEAR = _declare(
    "families_per_year", PER_YEAR,
    "family episodes that arrived in the window (first meldingen, direct requests for help and hermeldingen)")
LEAD_TIME_HORIZON_DAYS = 365
"""The horizon of the restricted mean lead times (``lead_time_help_rmst_365``). A constant, not a setting: it is part
of the KPI's name, so every run, sweep, comparison and golden fixture reports the same column. One year because
the chain's norms add up to 152 days (melding -> jeugdbeschermer) and a family waiting longer than a year is
failed whatever its exact wait; the default window (run.years = 3) follows the first arrivals for three years, so
the curve is known up to the horizon (a window shorter than the horizon gives NaN)."""

_HELP_CENSORING = (
    "Kaplan-Meier over the episodes that arrived in the window and got help or still wait for it: one still open "
    "without help at the end of the run is censored at its wait so far; one closed without help is left out, as in "
    "the mean (share_reached_help counts those)")
_MEASURE_CENSORING = (
    "Kaplan-Meier over the episodes on the protection path (a verzoek reached the Raad, a request the kinderrechter "
    "or a measure the GI) that reached the jeugdbeschermer or still wait: one still open without first contact at "
    "the end of the run is censored at its wait so far; one closed without a measure is left out")

LEAD_TIME_HELP_RMST = _declare(
    f"lead_time_help_rmst_{LEAD_TIME_HORIZON_DAYS}", DAYS,
    f"melding -> start of help (buurtteam, team or GI), restricted mean over the first {LEAD_TIME_HORIZON_DAYS} "
    f"days (area under the survival curve; waits beyond count as {LEAD_TIME_HORIZON_DAYS}); {_HELP_CENSORING}",
    LOWER, tags=("compared", "swept", "paired"), at={"printed": 1, "headline": 1})
LEAD_TIME_HELP_KM_MEDIAN = _declare(
    "lead_time_help_km_median", DAYS, f"melding -> start of help, median; {_HELP_CENSORING}; NaN when beyond the run",
    LOWER, at={"headline": 2})
LEAD_TIME_HELP_KM_P90 = _declare(
    "lead_time_help_km_p90", DAYS,
    f"melding -> start of help, 90th percentile; {_HELP_CENSORING}; NaN when beyond the run", LOWER,
    tags=("compared", "swept", "paired"), at={"printed": 2, "headline": 3})
LEAD_TIME_MEASURE_RMST = _declare(
    f"lead_time_measure_rmst_{LEAD_TIME_HORIZON_DAYS}", DAYS,
    f"melding -> first contact with the jeugdbeschermer, restricted mean over the first {LEAD_TIME_HORIZON_DAYS} "
    f"days (waits beyond count as {LEAD_TIME_HORIZON_DAYS}); {_MEASURE_CENSORING}",
    LOWER, tags=("compared", "swept", "paired"), at={"printed": 3, "headline": 4})
LEAD_TIME_MEASURE_KM_MEDIAN = _declare(
    "lead_time_measure_km_median", DAYS,
    f"melding -> first contact with the jeugdbeschermer, median; {_MEASURE_CENSORING}; NaN when beyond the run", LOWER,
    tags=("compared",))
LEAD_TIME_MEASURE_KM_P90 = _declare(
    "lead_time_measure_km_p90", DAYS,
    f"melding -> first contact with the jeugdbeschermer, 90th percentile; {_MEASURE_CENSORING}; NaN when beyond the "
    "run", LOWER, tags=("compared",))
LEAD_TIME_HELP_MEAN = _declare(
    "lead_time_help_mean", DAYS, "melding -> start of help (buurtteam, team or GI), mean over completed episodes only "
    "(families still waiting at the end are left out: secondary, see lead_time_help_rmst_365)", LOWER,
    tags=("compared", "screened"), at={"printed": 4})
LEAD_TIME_HELP_MEDIAN = _declare(
    "lead_time_help_median", DAYS, "melding -> start of help, median over completed episodes only (secondary)", LOWER)
LEAD_TIME_HELP_P90 = _declare(
    "lead_time_help_p90", DAYS, "melding -> start of help, 90th percentile over completed episodes only (secondary, "
    "see lead_time_help_km_p90)", LOWER, tags=("screened",))
LEAD_TIME_MEASURE_MEAN = _declare(
    "lead_time_measure_mean", DAYS, "melding -> first contact with the jeugdbeschermer, mean over completed episodes "
    "only (families still waiting are left out: secondary, see lead_time_measure_rmst_365)", LOWER,
    tags=("compared", "screened"), at={"printed": 5})
LEAD_TIME_MEASURE_P90 = _declare(
    "lead_time_measure_p90", DAYS,
    "melding -> first contact with the jeugdbeschermer, p90 over the episodes whose measure reached the GI "
    "(Kaplan-Meier: families still waiting at the end count as censored)", LOWER, tags=("screened",))
SHARE_MEASURE_WAITING_AT_END = _declare(
    "share_measure_waiting_at_end", SHARE,
    "families with a measure still waiting for first contact at the end of the run", LOWER)
SHARE_REACHED_HELP = _declare(
    "share_reached_help", SHARE, "families whose help (buurtteam, team or GI) started by the end of the run", HIGHER)
SHARE_CENSORED = _declare(
    "share_censored", SHARE, "families whose episode was still open at the end of the run")
SHARE_TRIAGE_WITHIN_NORM = _declare(
    "share_triage_within_norm", SHARE, "veiligheidsbeoordeling within 5 werkdagen (7 days)", HIGHER,
    norm="vt_triage_days", duration="triage", pool="veilig_thuis.triage", tags=("compared", "paired", "sizable"),
    at={"printed": 6, "headline": 5})
SHARE_VT_ONDERZOEK_WITHIN_NORM = _declare(
    "share_vt_onderzoek_within_norm", SHARE, "VT onderzoek within 10 weeks", HIGHER, norm="vt_onderzoek_days",
    duration="vt_onderzoek", tags=("compared", "paired", "sizable"), at={"headline": 6})
RVDK_WAIT_MEAN = _declare(
    "rvdk_wait_mean", DAYS, "wait for the Raad to start, mean", LOWER, tags=("screened",),
    at={"printed": 8, "headline": 10})
SHARE_RVDK_WAIT_WITHIN_NORM = _declare(
    "share_rvdk_wait_within_norm", SHARE, "Raad starts within 10 days", HIGHER, norm="rvdk_wait_days",
    duration="rvdk_wait", pool="rvdk", tags=("compared", "paired", "sizable"), at={"printed": 7, "headline": 7})
GI_WAIT_MEAN = _declare(
    "gi_wait_mean", DAYS, "measure -> first contact at the GI, mean", LOWER, tags=("screened",),
    at={"printed": 9, "headline": 11})
SHARE_GI_WITHIN_NORM = _declare(
    "share_gi_within_norm", SHARE, "GI first contact within the norm after the measure", HIGHER,
    norm="gi_first_contact_days", duration="gi_wait", pool="gi",
    tags=("compared", "paired", "sizable"), at={"headline": 8})
SHARE_CHAIN_WITHIN_NORM = _declare(
    "share_chain_within_norm", SHARE, "melding -> jeugdbeschermer within the sum of norms (152 days)", HIGHER,
    norm="chain_days", duration="chain",
    tags=("compared", "swept", "paired", "sizable"), at={"printed": 10, "headline": 9})
HANDOFFS_PER_FAMILY = _declare(
    "handoffs_per_family", COUNT, "hand-offs between organisations per episode", LOWER,
    tags=("compared", "paired"), at={"printed": 11, "headline": 12})
STORIES_TOLD_PER_FAMILY = _declare(
    "stories_told_per_family", COUNT, "times the family tells its story, per episode", LOWER,
    tags=("compared", "swept", "paired"), at={"printed": 12, "headline": 13})
INTAKES_PER_FAMILY = _declare("intakes_per_family", COUNT, "intakes per episode", LOWER)
INTAKE_HOURS_PER_FAMILY = _declare(
    "intake_hours_per_family", HOURS, "staff hours of (repeated) intakes per episode", LOWER, tags=("compared",))
MEETING_HOURS_PER_FAMILY = _declare(
    "meeting_hours_per_family", HOURS, "staff hours in joint meetings (MDO, tafels) per episode", LOWER,
    tags=("compared",))
CONSULT_HOURS_PER_FAMILY = _declare(
    "consult_hours_per_family", HOURS, "staff hours of expert consults per episode", LOWER, tags=("compared",))
STAFF_HOURS_PER_FAMILY = _declare(
    "staff_hours_per_family", HOURS, "intake, meeting and consult hours per episode", LOWER,
    tags=("compared", "paired"), at={"headline": 14})
VT_MELDINGEN_PER_YEAR = _declare(
    "vt_meldingen_per_year", PER_YEAR, "meldingen assessed by Veilig Thuis (episodes)",
    at={"printed": 13, "headline": 15})
VT_ONDERZOEKEN_PER_YEAR = _declare(
    "vt_onderzoeken_per_year", PER_YEAR, "Veilig Thuis investigations started (episodes)", tags=("compared",))
RVDK_ONDERZOEKEN_PER_YEAR = _declare(
    "rvdk_onderzoeken_per_year", CHILDREN_PER_YEAR, "beschermingsonderzoeken started", tags=("compared",),
    at={"printed": 14, "headline": 16})
GI_VOLUNTARY_PER_YEAR = _declare(
    "gi_voluntary_per_year", PER_YEAR, "voluntary GI begeleidingen without a measure started (drang, "
    "SAVE-begeleiding; episodes)", tags=("compared",))
VERZOEKEN_PER_YEAR = _declare("verzoeken_per_year", CHILDREN_PER_YEAR, "requests to the kinderrechter")
NEW_MEASURES_PER_YEAR = _declare(
    "new_measures_per_year", CHILDREN_PER_YEAR, "measures reaching the GI", tags=("compared",),
    at={"printed": 15, "headline": 17})

# ====================================================================== per pool (sim/chain/tables.py pool_kpis)

WAITING_LIST_MEAN = _declare(
    "waiting_list_mean", CASES, "time-weighted mean waiting list of the pool (requests waiting for a place)", LOWER,
    per_pool=True, tags=("summed",), at={"printed": 16})
WAITING_LIST_END = _declare(
    "waiting_list_end", CASES, "waiting list of the pool at the end of the run", LOWER, per_pool=True,
    tags=("summed",))
IN_CARE_MEAN = _declare(
    "in_care_mean", CASES, "time-weighted mean caseload in use (places held)", per_pool=True, tags=("summed",))
CAPACITY = _declare(
    "capacity", PLACES, "time-weighted mean places of the pool (FTE x caseload norm)", per_pool=True,
    tags=("summed",))
UTILISATION = _declare(
    "utilisation", SHARE, "caseload in use / places, time-weighted", per_pool=True, at={"printed": 17})
ARRIVALS_PER_YEAR = _declare(
    "arrivals_per_year", CASES_PER_YEAR, "requests arriving at the pool", per_pool=True, tags=("summed",))
STARTS_PER_YEAR = _declare(
    "starts_per_year", CASES_PER_YEAR, "requests that got a place in the pool", per_pool=True, tags=("summed",))
WAIT_MEAN = _declare(
    "wait_mean", DAYS, "wait for a place, mean over the requests that got one", LOWER, per_pool=True)
OFFERED_LOAD = _declare(
    "offered_load", CASES, "arrivals per day x mean holding time: the places the demand asks for", per_pool=True,
    tags=("summed",))
SPENT_LOAD = _declare(
    "spent_load", PLACES, "places taken on average by staff hours spent outside a held case (repeated intakes: "
    "sim.actors.base.Actor.spend), beside the cases' offered load", per_pool=True, tags=("summed",))
FTE_IN_USE = _declare(
    "fte_in_use", FTE, "available FTE holding the pool's places, time-weighted (places in use x the FTE one place "
    "stands for: 1 / caseload norm; the integrated team's place is one work hour per month): the staff the work "
    "takes, by one rule in every workflow (issue 14)", per_pool=True, tags=("summed",))
FTE_IN_USE_TOTAL = _declare(
    "fte_in_use_total", FTE, "available FTE holding places in all pools of the chain, time-weighted: the staff the "
    "workflow's work takes (sum of fte_in_use over the pools)", tags=("compared",))
UNSTABLE = _declare(
    "unstable", FLAG, "1 when the caseload was full and the waiting list kept growing through the window "
    "(sim.chain.tables.is_unstable)", LOWER, per_pool=True)

# ====================================================================== per organisation, staff dynamics (sim/chain/workforce.py)

PAPER_FTE_MEAN = _declare(
    "paper_fte_mean", FTE, "FTE on paper of the organisation (positions, filled or vacant), mean over the window",
    per_pool=True)
AVAILABLE_FTE_MEAN = _declare(
    "available_fte_mean", FTE, "FTE of the organisation available for casework (filled positions x presence x "
    "onboarding share), mean over the window", per_pool=True)
FILLED_FTE_MEAN = _declare(
    "filled_fte_mean", FTE, "FTE of the organisation on the payroll (filled positions: veterans, hires still in "
    "onboarding and staff off sick alike; vacancies not), mean over the window: what the employer pays",
    per_pool=True)
PRESSURE_MEAN = _declare(
    "pressure_mean", RATIO, "caseload pressure of the organisation with workload feedback on: (places in use + "
    "waiting_weight x places waiting) / places at the norm, smoothed as staff feel it, mean over the window "
    "(1 = at the norm)", LOWER, per_pool=True)
ABSENCE_MEAN = _declare(
    "absence_mean", SHARE, "share of the organisation's staff off sick with workload feedback on (absence_at_norm "
    "at or below the norm), mean over the window", LOWER, per_pool=True)

# ====================================================================== outcomes of waiting (sim/chain/waiting.py)
# Written only when the run has the mechanisms (model.waiting set, conf/process's waiting: section). Censoring-aware:
# each counts the events that happened in the window (their times in the families table), today's open cases
# included, so a family still waiting at the end is neither counted as escalated nor as spared.

PER_1000_FAMILIES = "per 1,000 families"
_PER_1000 = "per 1,000 family episodes that arrived in the window"

CRISIS_ESCALATIONS_PER_1000 = _declare(
    "crisis_escalations_per_1000", PER_1000_FAMILIES,
    f"families that turned rood while waiting on a list (escalation to crisis), {_PER_1000}", LOWER,
    tags=("compared", "swept", "paired"), at={"printed": 18})
COLOUR_STEPS_PER_1000 = _declare(
    "colour_steps_per_1000", PER_1000_FAMILIES,
    f"colour steps while waiting (groen -> oranje, oranje -> rood), {_PER_1000}", LOWER)
VOORLOPIGE_OTS_PER_YEAR = _declare(
    "voorlopige_ots_per_year", CHILDREN_PER_YEAR, "voorlopige OTS (spoedmachtiging) granted in the window", LOWER,
    tags=("compared",), at={"printed": 19})
UITHUISPLAATSINGEN_PER_YEAR = _declare(
    "uithuisplaatsingen_per_year", CHILDREN_PER_YEAR,
    "measures with a machtiging uithuisplaatsing (OTS + UHP) that reached the GI in the window", LOWER,
    tags=("compared",))
VERVOLGMELDINGEN_PER_YEAR = _declare(
    "vervolgmeldingen_per_year", PER_YEAR,
    "vervolgmeldingen: new meldingen about a family Veilig Thuis is involved with, joining its open case")
SHARE_VERVOLGMELDINGEN = _declare(
    "share_vervolgmeldingen", SHARE,
    "vervolgmeldingen among all meldingen at Veilig Thuis (CBS 85361NED 2023: 28.5 % nationally, 26.0 % Gelderland)",
    tags=("compared",), at={"printed": 20})
DROPOUTS_PER_1000 = _declare(
    "dropouts_per_1000", PER_1000_FAMILIES, f"families that left a waiting list before their turn, {_PER_1000}",
    LOWER, tags=("compared",), at={"printed": 21})

AGED_OUT_PER_YEAR = _declare(
    "aged_out_per_year", CHILDREN_PER_YEAR,
    "measures that ended at the child's eighteenth birthday in the window (written when children have an age, "
    "families.age_at_melding)", tags=("compared",), at={"printed": 22})

# ====================================================================== of a comparison (sim/analysis/compare.py)

WAITING_LIST_ORG = _declare(
    "waiting_list_org", CASES, "time-weighted waiting list of the organisation: the sum of its pools' "
    "(the teams' and expert pools' under their own names)", LOWER, per_pool=True, tags=("compared",))
FTE_TOTAL = _declare("fte_total", FTE, "paper FTE of the whole chain (organisations, teams and expert pools)",
                     tags=("compared",))

LEAD_TIMES: Mapping[str, str] = MappingProxyType({"lead_time": "lead_time_help",
                                                   "lead_time_measure": "lead_time_measure"})
"""Lead-time targets of ``python -m sim.size`` (``target.kpi``) -> the duration (a column of the families table)
whose mean or quantile is the KPI (:func:`quantile_name`)."""

UNCENSORED: Mapping[str, str] = MappingProxyType({LEAD_TIME_HELP_KM_MEDIAN: LEAD_TIME_HELP_MEDIAN,
                                                   LEAD_TIME_HELP_KM_P90: LEAD_TIME_HELP_P90})
"""A censoring-aware quantile -> the quantile over completed episodes it equals when no family is still waiting:
in the analytic steady state (sim.analysis.screening) every family is eventually helped, so the screening's value
of the latter is the analytic value of the former (``python -m sim.capacity`` prints it beside the curve)."""


# ====================================================================== queries


def get(name: str) -> KPI:
    """The declaration of a declared name (a per-pool KPI by its head: ``wait_mean``); KeyError naming it."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"{name!r} is not a declared KPI (sim/chain/kpis.py)") from None


def find(column: str) -> KPI | None:
    """The declaration of a column (see the module docstring), or None when it has none."""
    for candidate in (column, kind_pool(column)):
        kpi = _REGISTRY.get(candidate)
        if kpi is not None and not kpi.per_pool:
            return kpi
    head = _REGISTRY.get(column.split(".", 1)[0]) if "." in column else None
    return head if head is not None and head.per_pool else None


def unit(column: str) -> str:
    """The unit of a column; "" for a column that is not a declared KPI."""
    kpi = find(column)
    return kpi.unit if kpi is not None else ""


def description(column: str) -> str:
    """The description of a column; "" for a column that is not a declared KPI."""
    kpi = find(column)
    return kpi.description if kpi is not None else ""


def of(head: str, pool: str) -> str:
    """The column of a per-pool KPI for one pool: ``of(WAIT_MEAN, "gi")`` -> ``wait_mean.gi``."""
    return get(head).of(pool)


def every() -> tuple[KPI, ...]:
    """Every declared KPI, in the order of declaration."""
    return tuple(_REGISTRY.values())


def tagged(tag: str) -> tuple[KPI, ...]:
    """The KPIs of one list, in its order (see the module docstring)."""
    if tag not in TAGS:
        raise ValueError(f"tag = {tag!r} (allowed: {', '.join(TAGS)})")
    members = [k for k in _REGISTRY.values() if tag in k.tags]
    if any(tag in k.at for k in members):
        return tuple(sorted(members, key=lambda k: k.at[tag]))
    return tuple(members)


def names(tag: str) -> tuple[str, ...]:
    """The names of the KPIs of one list, in its order (heads for per-pool KPIs)."""
    return tuple(k.name for k in tagged(tag))


def rows(tag: str, present: Iterable[str]) -> list[str]:
    """The columns of ``present`` a list shows, in its order: a KPI where present, a per-pool KPI as all its
    columns, sorted."""
    have = list(present)
    out: list[str] = []
    for kpi in tagged(tag):
        if kpi.per_pool:
            out += sorted(c for c in have if c.startswith(kpi.prefix))
        elif kpi.name in have:
            out.append(kpi.name)
    return out


def pool_of(column: str, head: str) -> str | None:
    """The pool of a per-pool column (``pool_of("unstable.gi", UNSTABLE)`` -> ``gi``); None for another column."""
    prefix = get(head).prefix
    return column[len(prefix):] if column.startswith(prefix) else None


def norm(name: str) -> str:
    """The key of ``model.norms`` a norm KPI is judged against."""
    kpi = get(name)
    if kpi.norm is None:
        raise KeyError(f"{name!r} has no norm")
    return kpi.norm


def normed() -> tuple[KPI, ...]:
    """The KPIs judged against a norm, in the order of declaration."""
    return tuple(k for k in _REGISTRY.values() if k.norm is not None)


def normed_pools() -> dict[str, str]:
    """Pool -> the norm (a key of ``model.norms``) its waiting list is judged against (``sim.backlog``)."""
    return {k.pool: k.norm for k in normed() if k.pool is not None and k.norm is not None}


def quantile_name(base: str, q: float | None) -> str:
    """KPI name as the simulation writes it: ``lead_time_help_p90``, ``_median`` for 0.5, ``_mean`` for None."""
    if q is None:
        return f"{base}_mean"
    if abs(q - 0.5) < 1e-12:
        return f"{base}_median"
    pct = q * 100
    return f"{base}_p{pct:g}".replace(".", "_")
