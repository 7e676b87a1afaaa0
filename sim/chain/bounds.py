"""The plausible range of every numeric field of the configuration, each with its reason (one table,
:data:`BOUNDS`), and the checks that refuse a value outside it in one line before anything computes with it.
A range is about ten times the national figure: no region has 10^9 FTE or 10^6 years.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.chain.checks import ConfigError

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
    Bound("demand.yearly_path[]", 0.0, 10.0, "", "relative to the region's rate: ten times a year's demand is far "
          "beyond any published swing (VT meldingen moved within -10 % .. +3 % a year 2019-2023, CBS)"),
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
    Bound("families.adult_problem_share", 0.0, 1.0, "", _SHARE, share=True),
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
    Bound("handoff.shared_form_saving", 0.0, 1.0, "", _SHARE, share=True),
    Bound("handoff.shared_form_retold", 0.0, 1.0, "", _SHARE, share=True),
    Bound("voluntary_gi.from_vt", 0.0, 1.0, "", _SHARE, share=True),
    Bound("voluntary_gi.from_buurtteam", 0.0, 1.0, "", _SHARE, share=True),
    Bound("voluntary_gi.to_rvdk", 0.0, 1.0, "", _SHARE, share=True),
    Bound("voluntary_gi.caseload", 0.0, CASELOAD_MAX, "children per FTE", "as staffing.*.caseload",
          low_open=True),
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
    Bound("region.jeugdregios.*.share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.jeugdregios.*.gi.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.fte_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.triage_fte_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.routing.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("region.units.*.*.caseload", 0.0, CASELOAD_MAX, "cases per FTE", "as staffing.<org>.caseload",
          low_open=True),
    # workflows (conf/scenario)
    Bound("work.hours_per_day", 0.0, 24.0, "hours", "a calendar day has 24 hours", low_open=True),
    Bound("scenario.team.coverage", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.share.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.lokaal_team.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.crisis_reserve_share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("scenario.team.duo_size", 1, 10, "professionals", "a family held by more than ten professionals at once is no "
          "longer a duo or a team around a family (conf/: 2)"),
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
    # prices (conf/prices; sim/analysis/costs.py): euros of price_year
    Bound("prices.price_year", 1990, 2100, "year", "salary scales and tariffs of this chain exist since the 1990s; "
          "beyond 2100 no price is known"),
    Bound("prices.report_year", 1990, 2100, "year", "as prices.price_year"),
    Bound("prices.indexation_per_year", 0.0, 0.5, "per year", "prices rising by half in a year is hyperinflation; "
          "the CAO rises are 3-9 %"),
    Bound("prices.orgs.*.monthly_salary", 0.0, 50_000.0, "euros", "ten times the top of CAO Rijk schaal 14; "
          "the Wet normering topinkomens caps public pay well below"),
    Bound("prices.orgs.*.salary_months", 0.0, 24.0, "months", "12 months plus holiday pay and a 13th month is "
          "about 14; 24 would double them"),
    Bound("prices.orgs.*.employer_charges", 0.0, 2.0, "share", "premiums are about a third of gross pay; twice "
          "gross pay is absurd"),
    Bound("prices.orgs.*.overhead", 0.0, 5.0, "share", "overhead of 5 x casework cost would make casework a "
          "sixth of the organisation"),
    Bound("prices.gi_tariff.*", 0.0, 1_000_000.0, "euros per child per year", "a hundred times the tariffs "
          "assumed; residential care itself costs far less a year"),
    Bound("prices.court_per_hearing", 0.0, 1_000_000.0, "euros", "a hearing of a kinderrechter costs thousands, "
          "not millions"),
    Bound("prices.transition.training_per_fte", 0.0, 1_000_000.0, "euros", "ten years of salary"),
    Bound("prices.transition.double_running_months", 0.0, 120.0, "months", "ten years of double running is no "
          "transition"),
    Bound("prices.transition.fixed_per_team", 0.0, 1e10, "euros", "ten billion euros: the whole national youth "
          "care budget is about six"),
    # workload feedback (conf/workload_feedback, sim/chain/workforce.py)
    Bound("staff_dynamics.workload_feedback.turnover_elasticity", 0.0, 10.0, "", "leaving 2^10 = 1,000 times "
          "faster at twice the norm; the highest elasticity assumed is 3"),
    Bound("staff_dynamics.workload_feedback.sickness_elasticity", 0.0, 10.0, "", "as turnover_elasticity; the "
          "highest assumed is 2"),
    Bound("staff_dynamics.workload_feedback.absence_at_norm", 0.0, 1.0, "", _SHARE, share=True),
    Bound("staff_dynamics.workload_feedback.absence_max", 0.0, 1.0, "", _SHARE, share=True),
    Bound("staff_dynamics.workload_feedback.waiting_weight", 0.0, 1.0, "", _SHARE, share=True),
    Bound("staff_dynamics.workload_feedback.pressure_memory_days", 1.0, DAYS_MAX, "days", "a day is the finest "
          "unit; beyond that as every duration", early_low=True),
    Bound("staff_dynamics.workload_feedback.pressure_max", 1.0, 100.0, "", "a hundred times the norm's load; the "
          "cap only keeps a pool without places finite (assumed 3)"),
    # the court (conf/process: court.zittingen_per_week; 'unlimited' is no capacity)
    Bound("court.zittingen_per_week", 0.0, 100_000.0, "per week", "every verzoek of the country (about 9,000 a "
          "year) could be heard a hundred times a week", low_open=True),
    # what waiting does to families (waiting: in conf/process, sim/chain/waiting.py)
    Bound("waiting.escalation_shape", 0.2, 5.0, "", "a Weibull shape: below 1 the hazard falls with the time waited, "
          "1 is constant; above 5 every step would fall on one day", early_low=True),
    Bound("waiting.escalation_within_90_days.*", 0.0, 1.0, "", _SHARE, share=True),
    Bound("waiting.dropout_per_year.*", 0.0, 52.0, "per year", "a family leaving a list within a week on average; "
          "the highest rate assumed is 1 a year"),
    Bound("waiting.vervolgmelding.pending_per_day", 0.0, 1.0, "per day", "one vervolgmelding a day about one family; "
          "the calibrated rate is 0.02"),
    Bound("waiting.vervolgmelding.casework_per_day", 0.0, 1.0, "per day", "as pending_per_day"),
    Bound("waiting.vervolgmelding.triage_hours", 0.0, 40.0, "hours", "a working week for one melding about a known "
          "family; the assumed cost is 0 until recalibration, 0.5 after"),
    # python -m sim.size (conf/target), sim.capacity (conf/capacity.yaml), sim.backlog (conf/backlog.yaml)
    Bound("target.days", 0.0, DAYS_MAX, "days", "as every duration: longer than a childhood", low_open=True),
    Bound("target.quantile", 0.0, 1.0, "", _SHARE, share=True),
    Bound("target.share", 0.0, 1.0, "", _SHARE, share=True),
    Bound("target.confidence", 0.0, 1.0, "", _SHARE, share=True),
    Bound("target.max_factor", 1.0, 10.0, "x today's FTE", "ten times today's FTE keeps every staffing the search "
          "tries within staffing.<org>.fte's bound even for the national file", low_open=True),
    Bound("target.step_fte", 0.1, 1_000.0, "FTE", "a tenth of an FTE (4 hours a week) is finer than any staffing "
          "decision; a step of 1,000 FTE is coarser than most organisations", early_low=True),
    Bound("target.probability", 0.0, 1.0, "", _SHARE, share=True),
    Bound("target.confirm_draws", 1, 10_000, "worlds", "each world simulates run.replications runs; 10,000 worlds "
          "put the achieved probability's interval within a percent"),
    Bound("capacity.margin", 0.0, 1.0, "", _SHARE, share=True),
    Bound("capacity.points", 2, 100, "points", "each point simulates every workflow; a curve of 100 points is "
          "smooth"),
    Bound("capacity.low", 0.0, 100.0, "x the region's demand", "as demand.scale", low_open=True),
    Bound("capacity.scales[]", 0.0, 100.0, "x the region's demand", "as demand.scale", low_open=True),
    Bound("backlog.extra_fte[]", 0.0, FTE_MAX, "FTE", "as staffing.<org>.fte"),
    Bound("backlog.spread_days", 0.0, DAYS_MAX, "days", "as every duration"),
    Bound("backlog.probe_days", 1.0, 365.0, "days", "as run.timeseries_step_days", early_low=True),
    # python -m sim.uncertainty (conf/uncertainty.yaml)
    Bound("uncertainty.draws", 1, 1_000_000, "draws", "each draw simulates every workflow; a million Gelderland "
          "draws take weeks on a laptop"),
    Bound("uncertainty.seed", 0, 2**63 - 1, "", "as run.seed"),
    Bound("uncertainty.block", 1, 100_000, "draws", "a block is the unit of work, resume and SLURM array task"),
    Bound("uncertainty.task_block", 0, 1_000_000, "block", "a block's index: at most one block per draw"),
    Bound("uncertainty.bootstrap", 1, 100_000, "resamples", "10,000 resamples put a 95 % interval's ends within "
          "a few tenths of a percent; more only costs time"),
    Bound("uncertainty.held_back", 0.05, 0.5, "of the draws", "under 5 % measures the emulator's error on too few "
          "draws; over half leaves too few to fit it"),
    Bound("uncertainty.top", 1, 100, "assumptions", "break-even values for more than 100 assumptions per KPI are "
          "no longer a summary"),
)
COMMAND_SECTIONS: tuple[str, ...] = ("target", "capacity", "backlog", "uncertainty")  # checked by their commands after their own checks


def _matches(pattern: str, name: str) -> bool:
    parts, keys = pattern.split("."), name.split(".")
    return len(parts) == len(keys) and all(p in ("*", k) for p, k in zip(parts, keys))


@functools.lru_cache(maxsize=4096)
def bound_of(name: str, in_distribution: bool = False) -> Bound | None:
    """The row of :data:`BOUNDS` for a dotted field name (list indices as ``[]``); a parameter of a distribution
    that has no row of its own takes the ``dist.<parameter>`` row. Cached (BOUNDS is a constant): validation looks
    up ~400 names per configuration against every row, a third of validating one drawn configuration of
    ``python -m sim.uncertainty`` (docs/performance.md)."""
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
    if "dist" in getattr(node, "__dataclass_fields__", ()):  # a distribution spec (config.schema.DistSpec)
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
