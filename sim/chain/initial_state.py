"""Today's state of the chain: the cases that are already open when a run starts (``run.start=today``).

A planner in Gelderland does not start from an empty chain: on 1 January 2024 children were waiting for the
Raad voor de Kinderbescherming (~2,800 onderzoeken of all kinds nationally, domain.md 1c), ~1,500 children with
a measure had no jeugdbeschermer (Jan 2024), 18,250 children were under an OTS and 8,530 under voogdij
(CBS, 31-12-2023). A region file may give this state under ``region.initial_state`` (see
``conf/region/gelderland.yaml``, each count with its source or derivation); a run with ``run.start=today``
then starts from it, without a warm-up, instead of from an empty chain.

This module validates that section (:func:`validate`) and turns it into a :class:`Plan` of pre-existing cases
(:func:`plan`), which a workflow puts in place at time zero (``Workflow.seed_initial_state``):

* **cases in care** hold their places at once (``CaseloadPool.preload``) and finish their current activity
  after a *remaining* time;
* **cases waiting** join the waiting list at time zero, longest waiting first (FIFO), carrying the days they
  have already waited;
* **families closed before the start** come back as hermeldingen during the run at the rate the region gives,
  thinning out as the return times of ``families.time_to_return`` run out.

Plausible elapsed times (none is zero by construction): a case found *in* an activity at a random moment has a
length-biased duration (a long onderzoek is more likely to be under way than a short one) and is a uniform
fraction of the way through it -- the inspection paradox of renewal theory (e.g. Ross, *Stochastic Processes*,
2nd ed., section 3.4). Its elapsed and remaining times therefore come from the process's own duration
distributions (``durations.*``), drawn with sampling-importance-resampling weighted by the duration. A running
measure has completed a geometric number of yearly terms (its extension probability) and has
``gi.remaining_term`` days left in the current one. Waiting cases have waited ``<org>.waited`` days so far.

Units follow the organisations (CONTRIBUTING rule 6): Veilig Thuis counts meldingen, the buurtteam families,
the Raad, the kinderrechter and the GI children. A child count is met exactly: families are drawn with the
chain's children distribution and the last family gets the remaining children.

Every draw comes from ``initial.*`` streams, so a run from empty (``run.start=empty``) draws nothing here and
stays bit-identical to what it was.

Several organisations of a kind (``region.units``): the region's counts are split over them, deterministically
(:func:`apportion`). Cases in care are split by the organisations' places (what their staff carry: where the
region's places are all taken, every organisation's are, rather than one organisation starting over its places
while another has free places and admits its waiting list at time zero); waiting cases by catchment. Each
organisation's places are rounded on their own (``sim.chain.model.unit_places``), so together they may exceed the
region's cases in care by a place or two, which then take waiting cases at time zero. The places are today's, the region's
staffing as validated (``Workflow.region_model``), whatever staff a workflow then moves into a team or expert duty:
the split, and so every draw after it, is the same in every workflow (common random numbers for today's open cases
too), and a workflow decides only where each case stands. Every other pre-existing
family's organisations are drawn from the shares (``initial.catchment``). The state per organisation is not
published (domain.md: only Veilig Thuis meldingen per organisation are).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from sim.chain.bounds import parse_date
from sim.chain.checks import ConfigError, distribution
from sim.chain.checks import _number as config_number
from sim.chain.demand import Arrivals, draw_units
from sim.chain.model import unit_places
from sim.kernel.distributions import Distribution

if TYPE_CHECKING:  # imported for type hints only
    from sim.chain.demand import Arrivals
    from sim.chain.model import Model
    from sim.kernel.streams import Streams

MEASURE_KINDS: tuple[str, ...] = ("ots", "ots_uhp", "voogdij")
CANDIDATES_PER_CASE = 20  # SIR pool size per case drawn: the length bias is exact as this grows (bias ~ 1/20)
MIN_CANDIDATES = 20_000


# ====================================================================== the validated state


@dataclass(frozen=True)
class InitialState:
    """The region's open cases on ``date`` (counts in each organisation's own unit)."""

    date: str
    triage_waiting: int  # meldingen waiting for the veiligheidsbeoordeling
    triage_waited: Distribution  # days those meldingen have waited so far
    triage_in_progress: int  # meldingen being assessed (front-desk places in use)
    vt_onderzoek: int  # families in a VT onderzoek
    vt_vervolg: int  # families under 'voorwaarden en vervolg'
    buurtteam_in_care: int  # families in voluntary help
    rvdk_waiting: int  # children waiting for a beschermingsonderzoek
    rvdk_waited: Distribution
    rvdk_in_care: int  # children in a beschermingsonderzoek
    court_pending: int  # children whose verzoekschrift awaits the beschikking
    gi_waiting: int  # children with a measure and no jeugdbeschermer
    gi_waited: Distribution
    gi_in_care: Mapping[str, int]  # children per running measure (ots, ots_uhp, voogdij)
    gi_remaining_term: Distribution  # days left in the current term of a running measure
    hermeldingen_per_year: float  # returns of families closed before the date, per year at the date

    def counts(self) -> dict[str, int]:
        """Configured cases per stage (the organisation's unit): what time zero must show."""
        out = {"triage_waiting": self.triage_waiting, "triage_in_progress": self.triage_in_progress,
               "vt_onderzoek": self.vt_onderzoek, "vt_vervolg": self.vt_vervolg,
               "buurtteam": self.buurtteam_in_care, "rvdk_waiting": self.rvdk_waiting,
               "rvdk_in_care": self.rvdk_in_care, "court_pending": self.court_pending,
               "gi_waiting": self.gi_waiting}
        out.update({f"gi_in_care.{k}": v for k, v in self.gi_in_care.items()})
        return out


def validate(schema: Any, *, start: str, start_date: dt.date, measures: Mapping[str, Any]) -> InitialState | None:
    """Check ``region.initial_state`` (a typed schema object or None) and return the validated state.

    A region file that gives an initial state must give all of it (a missing value is caught by the config
    gate as ``region.initial_state.<field> is missing``). Contradictions with the rest of the configuration are
    rejected here: a state dated otherwise than the run's start date, a remaining term longer than the term.
    """

    prefix = "region.initial_state"
    if schema is None:
        if start == "today":
            raise ConfigError(f"{prefix} is missing (run.start=today needs the region's open cases on its start "
                              f"date; this region gives none: use run.start=empty)")
        return None

    date = parse_date(f"{prefix}.date", schema.date)
    if start == "today" and date != start_date:
        raise ConfigError(f"{prefix}.date = '{date}' (contradicts run.start_date = '{start_date}': a run from today "
                          f"starts on the date of the state; set run.start_date={date})")

    def count(path: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{prefix}.{path} = {value!r} (must be a whole number >= 0)")
        return int(value)

    vt, bt, rvdk, court, gi = schema.veilig_thuis, schema.buurtteam, schema.rvdk, schema.kinderrechter, schema.gi
    in_care = {k: count(f"gi.in_care.{k}", getattr(gi.in_care, k)) for k in MEASURE_KINDS}
    remaining = distribution(f"{prefix}.gi.remaining_term", gi.remaining_term)
    longest = float(remaining.ppf(np.array([1.0]))[0])
    for kind in MEASURE_KINDS:
        term = float(measures[kind].term_days)
        if start == "today" and in_care[kind] > 0 and longest > term:  # only a state in use can contradict a run
            shown = "unbounded" if math.isinf(longest) else f"up to {longest:g} days"
            raise ConfigError(f"{prefix}.gi.remaining_term = {remaining.describe()} ({shown}; contradicts "
                              f"measures.{kind}.term_days = {term:g}: a term has at most {term:g} days left)")
    her = _number(f"{prefix}.hermeldingen_per_year", schema.hermeldingen_per_year)
    if her < 0:
        raise ConfigError(f"{prefix}.hermeldingen_per_year = {her!r} (must be >= 0)")
    state = InitialState(
        date=str(date),
        triage_waiting=count("veilig_thuis.triage_waiting", vt.triage_waiting),
        triage_waited=distribution(f"{prefix}.veilig_thuis.triage_waited", vt.triage_waited),
        triage_in_progress=count("veilig_thuis.triage_in_progress", vt.triage_in_progress),
        vt_onderzoek=count("veilig_thuis.onderzoek", vt.onderzoek),
        vt_vervolg=count("veilig_thuis.vervolg", vt.vervolg),
        buurtteam_in_care=count("buurtteam.in_care", bt.in_care),
        rvdk_waiting=count("rvdk.waiting", rvdk.waiting),
        rvdk_waited=distribution(f"{prefix}.rvdk.waited", rvdk.waited),
        rvdk_in_care=count("rvdk.in_care", rvdk.in_care),
        court_pending=count("kinderrechter.pending", court.pending),
        gi_waiting=count("gi.waiting", gi.waiting),
        gi_waited=distribution(f"{prefix}.gi.waited", gi.waited),
        gi_in_care=in_care,
        gi_remaining_term=remaining,
        hermeldingen_per_year=her,
    )
    return state


def _number(name: str, value: Any) -> float:
    return config_number(name, value)


# ====================================================================== the plan of pre-existing cases


@dataclass(slots=True)  # slots: a national state has ~70,000 of these (half the memory, faster to make)
class Case:
    """One pre-existing case (a family episode) and where it stands at time zero.

    ``family`` indexes the plan's attribute block. Times are days relative to the start (negative = before).
    """

    family: int
    stage: str  # resume_<stage> of the workflow puts it in place
    route: str  # 'melding' (known to Veilig Thuis) or 'direct' (buurtteam)
    entered: float  # when it entered the stage it is in (the row's ``arrival``)
    remaining: float = math.nan  # days left of the current activity or measure term (cases in care)
    measure: str = ""
    suffices: bool = True  # buurtteam: will voluntary help be enough (drawn as the process draws it)
    completed_terms: int = 0
    waits: dict[str, float] = field(default_factory=dict)  # days already waited, per organisation
    milestones: dict[str, float] = field(default_factory=dict)  # history before the start, set after resuming


@dataclass
class Plan:
    attributes: "Arrivals"  # per pre-existing family: colour, children, uniforms (rows = Case.family)
    cases: list[Case]  # in care first, then the waiting lists, longest waiting first
    returns: list[tuple[float, int]]  # (day, family) hermeldingen of families closed before the start


def _length_biased(rng: np.random.Generator, durations: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pick ``n`` of the candidate ``durations`` with probability proportional to their length and return
    (index, fraction done): a case in progress at a random moment is a uniform fraction through a
    length-biased duration."""
    weights = np.asarray(durations, dtype=float)
    total = weights.sum()
    if n == 0:
        return np.empty(0, dtype=np.int64), np.empty(0)
    if total <= 0:  # deterministic zero durations: any candidate, nothing elapsed
        return np.zeros(n, dtype=np.int64), np.zeros(n)
    idx = rng.choice(len(weights), size=n, replace=True, p=weights / total)
    return idx, rng.random(n)


def _n_candidates(n: int) -> int:
    return max(MIN_CANDIDATES, CANDIDATES_PER_CASE * n)


def _children(model: "Model", rng: np.random.Generator, units: int, per_child: bool) -> np.ndarray:
    """Children per family for a cohort of ``units`` (families, or children when ``per_child``)."""
    if not per_child:
        return model.children.ppf(rng.random(units)).astype(np.int64)
    if units == 0:
        return np.empty(0, dtype=np.int64)
    draws = model.children.ppf(rng.random(units)).astype(np.int64)  # each family has >= 1 child: enough draws
    cum = np.cumsum(draws)
    n = int(np.searchsorted(cum, units, side="left")) + 1
    kids = draws[:n].copy()
    kids[-1] = units - (int(cum[n - 2]) if n > 1 else 0)  # the last family makes the count exact
    return kids


class _Block:
    """Builds the attribute block of the pre-existing families, cohort by cohort."""

    def __init__(self, model: "Model") -> None:
        self.model = model
        self.e = model.max_episodes
        self.colour: list[np.ndarray] = []
        self.n_children: list[np.ndarray] = []
        self.voluntary_u: list[np.ndarray] = []
        self.reentry_u: list[np.ndarray] = []
        self.return_after: list[np.ndarray] = []
        self.entered: list[np.ndarray] = []
        self.size = 0
        self.assigned: dict[str, dict[int, int]] = {"veilig_thuis": {}, "gi": {}}  # kind -> family -> unit index
        probs = np.array([model.colour_probs[c] for c in ("groen", "oranje", "rood")])
        self.cum_all = np.cumsum(probs)
        self.cum_all[-1] = 1.0
        calm = probs.copy()
        calm[2] = 0.0
        self.cum_calm = np.cumsum(calm / calm.sum()) if calm.sum() > 0 else self.cum_all
        self.cum_calm[-1] = 1.0

    def add(self, rng: np.random.Generator, kids: np.ndarray, calm_first: bool) -> np.ndarray:
        """Draw the attributes of ``len(kids)`` families; return their indices in the block.

        ``calm_first``: the current episode is not a crisis (rood cases are served first and would not be
        waiting); later episodes follow the chain's colour shares.
        """
        n = len(kids)
        u = rng.random((n, self.e))
        colour = np.searchsorted(self.cum_all, u, side="right").clip(0, 2).astype(np.int8)
        if calm_first and n:
            colour[:, 0] = np.searchsorted(self.cum_calm, u[:, 0], side="right").clip(0, 2)
        self.colour.append(colour)
        self.n_children.append(np.asarray(kids, dtype=np.int64))
        self.voluntary_u.append(rng.random((n, self.e)))
        self.reentry_u.append(rng.random((n, self.e)))
        self.return_after.append(self.model.time_to_return.ppf(rng.random((n, self.e))))
        self.entered.append(np.zeros(n))
        idx = np.arange(self.size, self.size + n)
        self.size += n
        return idx

    def assign(self, kind: str | None, unit: int, fams: np.ndarray) -> None:
        """These families are cases of organisation ``unit`` of ``kind`` (region.units); None: no units."""
        if kind is not None:
            self.assigned[kind].update((int(f), unit) for f in fams)

    def units(self, streams: "Streams") -> tuple[np.ndarray | None, np.ndarray | None]:
        """Every pre-existing family's organisations: assigned by its case, else drawn from the shares."""
        if not self.model.units:
            return None, None

        drawn = draw_units(self.model, streams.generator("initial.catchment"), self.size)
        for kind, arr in zip(("veilig_thuis", "gi"), drawn):
            if arr is not None:
                for f, unit in self.assigned[kind].items():
                    arr[f] = unit
        return drawn

    def arrivals(self, streams: "Streams | None" = None) -> "Arrivals":
        def cat(parts: list[np.ndarray], shape: tuple[int, ...], dtype: Any) -> np.ndarray:
            return np.concatenate(parts) if parts else np.empty(shape, dtype=dtype)

        n = self.size
        vt_unit, gi_unit = self.units(streams) if streams is not None else (None, None)
        return Arrivals(time=cat(self.entered, (0,), float), route=np.zeros(n, dtype=np.int8),
                        colour=cat(self.colour, (0, self.e), np.int8), n_children=cat(self.n_children, (0,), np.int64),
                        voluntary_u=cat(self.voluntary_u, (0, self.e), float),
                        reentry_u=cat(self.reentry_u, (0, self.e), float),
                        return_after=cat(self.return_after, (0, self.e), float), vt_unit=vt_unit, gi_unit=gi_unit,
                        adult_u=streams.generator("initial.adult_problems").random(n) if streams is not None else None)


def apportion(counts: Sequence[int], weights: Sequence[float]) -> list[list[int]]:
    """Split the cases of one or more stages over the organisations of a kind: ``result[k][u]`` cases of stage k
    go to organisation u. Organisation u gets round(T W_u) - round(T W_u-1) cases in all (T all cases, W_u the
    cumulative share of the weights), so weights = places with T = their sum give every organisation exactly its
    places; and every stage is split in the weights' proportions (to within a case), so no organisation gets one
    stage's cases only (the GIs' long voogdij measures are shared like the OTS ones). Stage by stage, each
    organisation gets the whole part of its share, the remaining cases go to the largest fractions among the
    organisations with room left, and the last stage fills what is left."""
    total = int(sum(counts))
    w = np.asarray(weights, dtype=float)
    cum = np.cumsum(w)
    bounds = [0] + [int(round(total * c / cum[-1])) for c in cum[:-1]] + [total]
    room = [bounds[u + 1] - bounds[u] for u in range(len(w))]  # each organisation's total
    out: list[list[int]] = []
    for k, n in enumerate(counts):
        n = int(n)
        if k == len(counts) - 1:  # the last stage takes exactly what is left: the totals come out exact
            row = list(room)
        else:
            ideal = n * w / cum[-1]
            row = [min(int(np.floor(x)), r) for x, r in zip(ideal, room)]
            order = sorted(range(len(w)), key=lambda u: (-(ideal[u] - np.floor(ideal[u])), u))
            left = n - sum(row)
            while left > 0:  # largest fractions first, only where there is room; always ends (sum(room) >= n)
                for u in order:
                    if left and row[u] < room[u]:
                        row[u] += 1
                        left -= 1
        room = [r - x for r, x in zip(room, row)]
        out.append(row)
    return out


def plan(model: "Model", streams: "Streams") -> Plan:
    """Draw every pre-existing case of ``model.initial_state`` (deterministic per seed and replication)."""
    state: InitialState = model.initial_state
    d = model.durations
    block = _Block(model)
    in_care: list[Case] = []
    waiting: list[Case] = []
    split = _Splitter(model)

    def cohort(stage: str, units: int, duration: Distribution, *, per_child: bool, route: str, started: str,
               extra: tuple[str, ...] = (), waited: tuple[str, str | None, Distribution] | None = None,
               parts: Parts | None = None) -> None:
        """A cohort part-way through one activity: length-biased duration, a uniform fraction of it done.
        ``waited`` = (organisation, request milestone, distribution) of the wait before the activity began;
        ``parts``: its split over the organisations of a kind (one part, all of it, without units)."""
        rng = streams.generator(f"initial.{stage}")
        for kind, unit, count in parts or [(None, -1, units)]:
            _cohort_part(rng, kind, unit, count, stage, duration, per_child, route, started, extra, waited)

    def _cohort_part(rng, kind, unit, units, stage, duration, per_child, route, started, extra, waited) -> None:
        kids = _children(model, rng, units, per_child)
        fams = block.add(rng, kids, calm_first=False)
        block.assign(kind, unit, fams)
        candidates = duration.sample(rng, _n_candidates(len(fams)))
        pick, done = _length_biased(rng, candidates, len(fams))
        before = waited[2].sample(rng, len(fams)) if waited is not None else np.zeros(len(fams))
        for k, f in enumerate(fams):
            total = float(candidates[pick[k]])
            elapsed = float(done[k] * total)
            case = Case(int(f), stage, route, entered=-elapsed, remaining=total - elapsed)
            case.milestones = {started: -elapsed, **{m: -elapsed for m in extra}}
            if waited is not None:
                org, request, _ = waited
                w = float(before[k])
                case.waits[org] = w
                case.entered = -elapsed - w
                if request:
                    case.milestones[request] = case.entered
            in_care.append(case)

    # ---------------------------------------------------------------- in care: Veilig Thuis
    cohort("triage_in_progress", state.triage_in_progress, d["vt_triage"], per_child=False, route="melding",
           started="triage_start", waited=("veilig_thuis", None, state.triage_waited),
           parts=split.places("veilig_thuis", [state.triage_in_progress], desk=True)[0])
    casework = split.places("veilig_thuis", [state.vt_onderzoek, state.vt_vervolg])  # one pool: split together
    cohort("vt_onderzoek", state.vt_onderzoek, d["vt_onderzoek"], per_child=False, route="melding",
           started="vt_onderzoek_start", extra=("triage_end",), parts=casework[0])
    cohort("vt_vervolg", state.vt_vervolg, d["vt_vervolg"], per_child=False, route="melding",
           started="vt_vervolg_start", extra=("triage_end",), parts=casework[1])
    # ---------------------------------------------------------------- in care: buurtteam
    _buurtteam(model, streams, block, state.buurtteam_in_care, in_care)
    # ---------------------------------------------------------------- in care: Raad and kinderrechter
    cohort("rvdk_in_care", state.rvdk_in_care, d["rvdk_onderzoek"], per_child=True, route="melding",
           started="rvdk_start", waited=("rvdk", "rvdk_request", state.rvdk_waited))
    cohort("court_pending", state.court_pending, d["court_decision"], per_child=True, route="melding",
           started="court_request")
    # ---------------------------------------------------------------- in care: running measures at the GI
    measures = split.places("gi", [state.gi_in_care[kind] for kind in MEASURE_KINDS])  # one pool: split together
    for kind, parts in zip(MEASURE_KINDS, measures):
        _measures(model, streams, block, kind, state.gi_in_care[kind], state, in_care, parts)
    # ---------------------------------------------------------------- waiting lists
    for stage, units, dist, per_child, request, kind in (
            ("triage_waiting", state.triage_waiting, state.triage_waited, False, None, "veilig_thuis"),
            ("rvdk_waiting", state.rvdk_waiting, state.rvdk_waited, True, "rvdk_request", None),
            ("gi_waiting", state.gi_waiting, state.gi_waited, True, "gi_request", "gi")):
        rng = streams.generator(f"initial.{stage}")
        cases = []
        for unit_kind, unit, count in split.catchment(kind, units):
            kids = _children(model, rng, count, per_child)
            fams = block.add(rng, kids, calm_first=True)
            block.assign(unit_kind, unit, fams)
            waited = dist.sample(rng, len(fams))
            kinds = _measure_kinds(model, rng, len(fams)) if stage == "gi_waiting" else None
            for k, f in enumerate(fams):
                w = float(waited[k])
                case = Case(int(f), stage, "melding", entered=-w)  # the pool counts its wait from ``entered``
                if request:
                    case.milestones[request] = -w
                if kinds is not None:
                    case.measure = kinds[k]
                cases.append(case)
        cases.sort(key=lambda c: c.entered)  # FIFO: who has waited longest is first in line
        waiting.extend(cases)
    # ---------------------------------------------------------------- hermeldingen of families closed earlier
    returns = _returns(model, streams, block)
    attrs = block.arrivals(streams)
    for case in in_care + waiting:
        attrs.time[case.family] = case.entered
    return Plan(attributes=attrs, cases=in_care + waiting, returns=returns)


Parts = list  # [(kind or None, unit index, count)]: one stage's cases per organisation of a kind


class _Splitter:
    """Splits a stage's count over the organisations of a kind (region.units), see :func:`apportion`."""

    def __init__(self, model: "Model") -> None:
        self.model = model

    def places(self, kind: str, counts: list[int], desk: bool = False) -> list[Parts | None]:
        """Cases in care of one pool (several stages together), by the organisations' places."""

        units = self.model.units_of(kind)
        if not units:
            return [None] * len(counts)
        places = unit_places(self.model.staffing[kind], units, desk=desk)
        if sum(places) == 0:  # every organisation's places rounded to nothing: by catchment
            places = [u.catchment for u in units]
        return [[(kind, u, n) for u, n in enumerate(row)] for row in apportion(counts, places)]

    def catchment(self, kind: str | None, count: int) -> Parts:
        """Cases waiting, by catchment; without units (or for a kind that has none) one part."""
        units = self.model.units_of(kind) if kind is not None else ()
        if not units:
            return [(None, -1, count)]
        return [(kind, u, n) for u, n in enumerate(apportion([count], [x.catchment for x in units])[0])]


def _measure_kinds(model: "Model", rng: np.random.Generator, n: int) -> list[str]:
    """The measure a waiting child has, in the court's shares (routing.measure_type)."""
    shares = model.routing["measure_type"]
    cum = np.cumsum(list(shares.values()))
    cum[-1] = 1.0
    idx = np.searchsorted(cum, rng.random(n), side="right").clip(0, len(shares) - 1)
    names = list(shares)
    return [names[i] for i in idx]


def _buurtteam(model: "Model", streams: "Streams", block: _Block, units: int, out: list[Case]) -> None:
    """Families in voluntary help: their place is held for the help episode, or until the team escalates
    (when voluntary help will not suffice), exactly as ``Buurtteam.vrijwillige_hulp`` decides it."""
    rng = streams.generator("initial.buurtteam")
    kids = _children(model, rng, units, per_child=False)
    fams = block.add(rng, kids, calm_first=False)
    m = _n_candidates(len(fams))
    crisis = rng.random(m) < model.colour_probs["rood"]
    vol_u = rng.random(m)
    help_len = model.durations["buurtteam_help"].sample(rng, m)
    esc = np.minimum(model.durations["buurtteam_escalation_after"].sample(rng, m), help_len)
    suffices = ~crisis & (vol_u < model.voluntary_suffices)
    hold = np.where(suffices, help_len, esc)
    pick, done = _length_biased(rng, hold, len(fams))
    colour, vol = block.colour[-1], block.voluntary_u[-1]  # this cohort's rows: episode 0 is the one in care
    calm = np.where(rng.random(len(fams)) < _groen_share(model), 0, 1)
    # array by array rather than element by element (a national state has ~50,000 of these families; numpy
    # scalars cost more than the case records): the same IEEE products and differences, so the same numbers
    held = hold[pick]
    colour[:, 0] = np.where(crisis[pick], 2, calm)
    vol[:, 0] = vol_u[pick]
    elapsed = done * held
    for f, e, rest, keeps in zip(fams.tolist(), elapsed.tolist(), (held - elapsed).tolist(), suffices[pick].tolist()):
        out.append(Case(f, "buurtteam", "direct", entered=-e, remaining=rest, suffices=keeps,
                        milestones={"buurtteam_request": -e, "buurtteam_start": -e, "help_start": -e}))


def _groen_share(model: "Model") -> float:
    """P(groen | not rood): splits the non-crisis families of a cohort between groen and oranje."""
    g, o = model.colour_probs["groen"], model.colour_probs["oranje"]
    return g / (g + o) if g + o > 0 else 1.0


def _measures(model: "Model", streams: "Streams", block: _Block, kind: str, units: int, state: InitialState,
              out: list[Case], parts: "Parts | None" = None) -> None:
    """Running measures of one kind: completed yearly terms are geometric in the extension probability
    (memoryless: P(k) = (1-p) p^k for a measure in progress), the current term has ``remaining_term`` left.
    ``parts``: the children per GI (region.units.gi); one part, all of them, without units."""
    rng = streams.generator(f"initial.gi_in_care.{kind}")
    for unit_kind, unit, count in parts or [(None, -1, units)]:
        _measures_part(model, rng, block, kind, count, state, out, unit_kind, unit)


def _measures_part(model: "Model", rng: np.random.Generator, block: _Block, kind: str, units: int,
                   state: InitialState, out: list[Case], unit_kind: str | None, unit: int) -> None:
    kids = _children(model, rng, units, per_child=True)
    fams = block.add(rng, kids, calm_first=False)
    block.assign(unit_kind, unit, fams)
    measure = model.measures[kind]
    p, term = measure.extension_probability, measure.term_days
    n = len(fams)
    completed = rng.geometric(1.0 - p, n) - 1 if n else np.empty(0, dtype=np.int64)
    remaining = state.gi_remaining_term.sample(rng, n)
    waited = state.gi_waited.sample(rng, n)
    for k, f in enumerate(fams):
        left = float(remaining[k])
        started = -(int(completed[k]) * term + (term - left))
        w = float(waited[k])
        case = Case(int(f), "gi_in_care", "melding", entered=started - w, remaining=left, measure=kind,
                    completed_terms=int(completed[k]), waits={"gi": w})
        case.milestones = {"gi_request": started - w, "gi_assigned": started, "gi_first_contact": started,
                           "help_start": started}
        out.append(case)


def _returns(model: "Model", streams: "Streams", block: _Block) -> list[tuple[float, int]]:
    """Hermeldingen during the run by families whose episode closed before the start.

    If returns arrived at rate ``lam`` before the start, the ones still to come are a Poisson process whose
    rate falls as the survival function of the return time, ``lam * S(t)``: in all ``lam * E[T]`` returns, each
    after a residual time ~ uniform fraction of a length-biased return time.
    """
    state: InitialState = model.initial_state
    rng = streams.generator("initial.returns")
    dist = model.time_to_return
    lam = state.hermeldingen_per_year / 365.0  # past closures: not scaled by demand.scale (a what-if of new demand)
    total = int(rng.poisson(lam * dist.mean)) if lam > 0 else 0
    cands = dist.sample(rng, _n_candidates(total))
    pick, frac = _length_biased(rng, cands, total)
    times = np.sort(frac * cands[pick]) if total else np.empty(0)
    times = times[times < model.horizon_days]
    kids = _children(model, rng, len(times), per_child=False)
    fams = block.add(rng, kids, calm_first=False)
    return [(float(t), int(f)) for t, f in zip(times, fams)]
