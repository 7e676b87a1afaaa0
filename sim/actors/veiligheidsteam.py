"""The integrated team (Veiligheidsteam, regionaal veiligheidsteam): a joint triage desk and a fixed duo per family.

Models the team of seed 000 (Ketenversnelling, Utrecht Overvecht: "Twee medewerkers uit het team zijn en blijven
betrokken bij het gezin") and of the Toekomstscenario kind- en gezinsbescherming (seed 002, domain.md 2b: a
regionaal veiligheidsteam combining the functions of Veilig Thuis, the RvdK's advice and the GI; the lokaal team's
vast gezicht works in a duo with a professional of that team when safety is at stake).

Staff: the team has no FTE of its own. ``scenario.team.share.<org>`` moves that share of each partner's paper
FTE into the team (the partner keeps the rest), so the chain's total FTE is unchanged. Moved staff keep their
partner's productive share and vacancy rate, and follow their partner's staff dynamics (leavers, hiring delay,
onboarding: ``sim.chain.workforce``, pool origins). The Veilig Thuis front-desk part of the moved FTE staffs the
team's joint triage desk (one intake form, the crisismeter; same ``triage_caseload``).

Books (issue 14, one unit for the same work): every other moved FTE gives the team's caseload pool its work
hours, a place being **a tenth of a work hour per month** (``10 x available FTE x work.hours_per_day x 365/12``
places: fine enough that rounding a family's hours to places moves them by under half a percent). A
family held takes the hours per month that today's chain gives the function the team performs for it, at today's
norms: voluntary help only (one vaste professional) ``1 / staffing.buurtteam.caseload`` of an FTE, a safety
question (joint assessment, the Raad's judgement, the court) ``1 / staffing.veilig_thuis.caseload``, a measure
under the duo mandate ``children / staffing.gi.caseload``; times ``effects.duo_workload`` (what the duo costs or
saves on that work: the named assumption, 1 = the same hours as today's professional) plus
``coordination_hours_per_month`` while the duo holds it (afstemming within the duo, casusoverleg; not for one
vaste professional giving voluntary help). A family's places only grow within an
episode: the second member joins when safety is at stake (waiting for free places), a measure takes its extra
hours at once (the duo is already there). So a team with every effect at its no-effect value and no coordination
spends, per family and function, the staff of today's chain; what remains is the structure (one pool, fewer
hand-offs and intakes, the duo staying through the Raad and the court). With ``vast_gezicht`` the team's
professional holds the team's hours and the lokaal team's vast gezicht a buurtteam place; ``lokaal_team.<org>``
moves that share of a partner's FTE to the lokaal team to staff those vast gezichten. Every number of the team is
an assumption (no pilot published one: domain.md 1e).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sim.actors.base import Actor
from sim.chain.checks import STAFFED_ORGS, ConfigError, choice, integer, non_negative, probability
from sim.chain.entities import Family
from sim.chain.model import DAYS_PER_MONTH, Staffing, hours_per_month
from sim.kernel.engine import CaseloadPool
from sim.kernel.streams import Sampler

VOLUNTARY_ENTRIES: tuple[str, ...] = ("direct", "overdracht")
FUNCTIONS: tuple[str, ...] = ("voluntary", "safety", "measure")  # what the team does for a family, by today's norm
PLACES_PER_HOUR = 10  # the team's places per work hour per month (a place: six minutes of work a month)
GI_MANDATES: tuple[str, ...] = ("duo", "gi")


@dataclass(frozen=True)
class TeamSpec:
    """Validated ``scenario.team`` plus the staff it takes (paper FTE and available FTE by function)."""

    enabled: bool
    coverage: float
    share: Mapping[str, float]
    lokaal_team: Mapping[str, float]  # with vast gezicht: share of a partner's paper FTE moved to the lokaal team
    crisis_reserve_share: float
    duo_size: int
    vast_gezicht: bool
    holds_voluntary: frozenset[str]
    gi_mandate: str
    intake_hours: float
    coordination_hours_per_month: float
    fte: float  # paper FTE moved into the team
    triage_available_fte: float  # moved Veilig Thuis front-desk FTE, present and filled
    case_available_fte: float  # every other moved FTE, present and filled
    triage_caseload: float  # meldingen one triage FTE has open at once (Veilig Thuis's value)
    norms: Mapping[str, float]  # function -> today's cases (measure: children) per FTE (buurtteam, VT, GI)
    desk_fte: float = 0.0  # paper FTE of Veilig Thuis's front desk moved to the team's joint triage desk
    case_fte: Mapping[str, float] | None = None  # paper FTE per partner moved to the team's case staff
    rvdk_member: bool = False  # the Raad is a team member: its beschermingsonderzoek of a team family is team work

    def places(self, hours_per_fte_month: float) -> int:
        """Work hours per month of the moved case staff, present and filled, in places of a tenth of an hour
        (``hours_per_fte_month``: sim.chain.model.hours_per_month of work.hours_per_day)."""
        return int(round(self.case_available_fte * hours_per_fte_month * PLACES_PER_HOUR))

    def hours(self, function: str, children: int, workload: float, hours_per_fte_month: float) -> int:
        """Places (tenths of a work hour per month) a family takes while the team performs ``function`` for it: today's
        norm for that function x ``workload`` (effects.duo_workload), plus the duo's coordination hours when the
        duo holds it (safety, measure; one vaste professional for voluntary help has no duo to align); at least
        one."""
        share = (children if function == "measure" else 1) / self.norms[function]
        duo = self.coordination_hours_per_month if function != "voluntary" else 0.0
        return max(1, int(round((hours_per_fte_month * share * workload + duo) * PLACES_PER_HOUR)))

    def raad_hours(self, children: int, hours_per_fte_month: float) -> int:
        """Places (tenths of a work hour per month) the Raad's member of the team takes for a family's
        beschermingsonderzoek: the hours today's Raad gives it at its norm (``staffing.rvdk.caseload`` children
        per FTE), the same rule as every pool (fair books); no duo coordination (the duo's is already booked)
        and no duo workload factor (it is the Raad's own work); at least one."""
        return max(1, int(round(hours_per_fte_month * children / self.norms["raad"] * PLACES_PER_HOUR)))

    @property
    def triage_places(self) -> int:
        return int(round(self.triage_available_fte * self.triage_caseload))

    def reserve(self, places: int) -> int:
        return int(round(places * self.crisis_reserve_share))

    def taken(self, staffing: Mapping[str, Staffing]) -> dict[str, float]:
        """Paper FTE taken from each partner (into the team, and into the lokaal team for vast gezichten)."""
        out = {org: s * staffing[org].fte for org, s in self.share.items() if s > 0}
        for org, s in self.lokaal_team.items():
            if s > 0:
                out[org] = out.get(org, 0.0) + s * staffing[org].fte
        return out

    def to_lokaal_team(self, staffing: Mapping[str, Staffing]) -> float:
        """Paper FTE that join the lokaal team (the buurtteam's pool) to be vast gezichten."""
        return sum(s * staffing[org].fte for org, s in self.lokaal_team.items())


def desk_moved(vt: Staffing, moved: float, coverage: float) -> float:
    """Paper FTE of Veilig Thuis's front desk among ``moved`` FTE: the team triages ``coverage`` of the meldingen,
    so the moved staff fill that share of the front desk first (a staff move never takes places off a desk the
    workflow still needs, issue 14 item 7); the rest of the moved FTE (and the experts) come from the case teams."""
    return min(moved, coverage * vt.triage_share * vt.fte)


def parse_team(schema: Any, staffing: Mapping[str, Staffing]) -> TeamSpec:
    t = schema.team
    if t is None:
        raise ConfigError("scenario.team is missing (this workflow forms an integrated team)")
    f = "scenario.team"
    if not isinstance(t.enabled, bool):
        raise ConfigError(f"{f}.enabled = {t.enabled!r} (must be true or false)")
    coverage = probability(f"{f}.coverage", t.coverage)
    share = {}
    for org, value in t.share.items():
        choice(f"{f}.share key", org, STAFFED_ORGS)
        share[org] = probability(f"{f}.share.{org}", value)
    for org in STAFFED_ORGS:
        if org not in share:
            raise ConfigError(f"{f}.share.{org} is missing (give the share of every partner's FTE, 0 for none: "
                              f"{', '.join(STAFFED_ORGS)})")
    lokaal = {}
    for org, value in t.lokaal_team.items():
        choice(f"{f}.lokaal_team key", org, tuple(o for o in STAFFED_ORGS if o != "buurtteam"))
        lokaal[org] = probability(f"{f}.lokaal_team.{org}", value)
        if lokaal[org] + share[org] > 1 + 1e-9:
            raise ConfigError(f"{f}.lokaal_team.{org} = {lokaal[org]:g} (with share.{org} {share[org]:g} more than all "
                              f"of {org}'s FTE)")
    reserve = probability(f"{f}.crisis_reserve_share", t.crisis_reserve_share, below_one=True)
    duo = integer(f"{f}.duo_size", t.duo_size, 1)
    if not isinstance(t.vast_gezicht, bool):
        raise ConfigError(f"{f}.vast_gezicht = {t.vast_gezicht!r} (must be true or false)")
    if t.vast_gezicht and duo != 2:
        raise ConfigError(f"{f}.duo_size = {duo} (with vast_gezicht the duo is the vast gezicht plus one team professional: 2)")
    holds = frozenset(choice(f"{f}.holds_voluntary[{i}]", v, VOLUNTARY_ENTRIES) for i, v in enumerate(t.holds_voluntary))
    if lokaal and any(lokaal.values()) and not t.vast_gezicht:
        raise ConfigError(f"{f}.lokaal_team = {lokaal} (only with vast_gezicht: staff for the lokaal team's vast gezichten)")
    if t.vast_gezicht and holds:
        raise ConfigError(f"{f}.holds_voluntary = {sorted(holds)} (with vast_gezicht the lokaal team gives voluntary help: use [])")
    mandate = choice(f"{f}.gi_mandate", t.gi_mandate, GI_MANDATES)
    intake = non_negative(f"{f}.intake_hours", t.intake_hours)
    coordination = non_negative(f"{f}.coordination_hours_per_month", t.coordination_hours_per_month)

    fte = triage = case = 0.0
    desk = 0.0
    case_from: dict[str, float] = {}
    for org, s in share.items():
        st = staffing[org]
        moved = s * st.fte
        fte += moved
        if org == "veilig_thuis":
            desk = desk_moved(st, moved, coverage)
        triage += st.present(desk if org == "veilig_thuis" else 0.0)
        case_from[org] = moved - (desk if org == "veilig_thuis" else 0.0)
        case += st.present(case_from[org])
    vt = staffing["veilig_thuis"]
    norms = {"voluntary": staffing["buurtteam"].caseload, "safety": vt.caseload, "measure": staffing["gi"].caseload,
             "raad": staffing["rvdk"].caseload}
    if not isinstance(t.rvdk_member, bool):
        raise ConfigError(f"{f}.rvdk_member = {t.rvdk_member!r} (must be true or false)")
    if t.rvdk_member and share["rvdk"] <= 0:
        raise ConfigError(f"{f}.rvdk_member = true with share.rvdk = 0 (the Raad's member of the team needs a "
                          f"share of the Raad's FTE in the team: share.rvdk > 0)")
    spec = TeamSpec(t.enabled, coverage, share, lokaal, reserve, duo, t.vast_gezicht, holds, mandate, intake,
                    coordination, fte, triage, case, vt.triage_caseload, norms, desk, case_from, t.rvdk_member)
    if t.enabled and coverage > 0:
        if spec.triage_places < 1:
            raise ConfigError(f"{f}.share.veilig_thuis = {share['veilig_thuis']:g} (gives the joint triage desk less "
                              f"than one place; the team needs Veilig Thuis front-desk staff)")
        if spec.case_available_fte * norms["measure"] < 1:
            raise ConfigError(f"{f}.share = {dict(share)} (the team's case staff, {spec.case_available_fte:.3g} "
                              f"available FTE, cannot carry one child's measure at staffing.gi.caseload "
                              f"{norms['measure']:g})")
    return spec


class _Member:
    """Places a family's team takes later (the second member joining, a measure's extra hours): a pool keeps one
    hold per case object. Its wait is the family's wait for the team."""

    __slots__ = ("holds", "fam")

    def __init__(self, fam: Family) -> None:
        self.holds: dict[str, tuple[int, float]] = {}
        self.fam = fam

    def add_wait(self, org: str, days: float) -> None:
        self.fam.add_wait(org, days)


class Veiligheidsteam(Actor):
    """The team's triage desk and its caseload places (pools ``veiligheidsteam.triage`` and ``veiligheidsteam``)."""

    org = "veiligheidsteam"

    def __init__(self, wf, spec: TeamSpec, triage_time: Sampler, lokaal_team: CaseloadPool | None = None,
                 workload: float = 1.0) -> None:
        """``workload``: effects.duo_workload, the duo's hours on a family / today's professional's."""
        super().__init__(wf)
        self.spec = spec
        self.workload = workload
        self.desk = self.engine.pool("veiligheidsteam.triage", self.org, spec.triage_places,
                                     spec.reserve(spec.triage_places))
        self.hours_per_fte_month = hours_per_month(self.model.work_hours_per_day)
        places = spec.places(self.hours_per_fte_month)
        self.duo = self.engine.pool("veiligheidsteam", self.org, places, spec.reserve(places), per_case=True)
        self.desk.fte_per_place = 1.0 / spec.triage_caseload
        self.duo.fte_per_place = 1.0 / (self.hours_per_fte_month * PLACES_PER_HOUR)
        wf.staff_origins[self.desk.name] = {"veilig_thuis": spec.desk_fte}  # moved staff follow their partner's
        wf.staff_origins[self.duo.name] = dict(spec.case_fte or {})  # staff dynamics (sim.chain.workforce)
        self.triage_time = triage_time  # the same stream as Veilig Thuis's veiligheidsbeoordeling: tight pairs
        self.lokaal_team = lokaal_team if spec.vast_gezicht else None
        self._added: dict[int, list[_Member]] = {}  # case_id -> places taken later (second member, measure)
        self._target: dict[int, int] = {}  # case_id -> places the family's current function takes
        self._phase: dict[int, tuple[str, float]] = {}  # case_id -> (function, since): coordination hours booked

    def need(self, fam: Family, function: str) -> int:
        """Places (tenths of a work hour per month) the family takes while the team performs ``function`` for it."""
        return self.spec.hours(function, fam.n_children, self.workload, self.hours_per_fte_month)

    def held(self, fam: Family) -> int:
        """Places the family holds or has asked for (its own and those added later)."""
        return self._target.get(fam.case_id, 0)

    def work_pool(self, fam: Family) -> tuple[CaseloadPool, float]:
        return self.duo, self.hours_per_fte_month * PLACES_PER_HOUR

    # ---------------------------------------------------------------- joint triage
    def joint_triage(self, fam: Family, then: Callable[[Family, str], None], remaining: float | None = None,
                     waiting_since: float | None = None) -> None:
        """One triage for all partners with one intake form and the crisismeter; ``then(fam, 'assessed')``.
        When the run starts from today: ``remaining``, a triage already under way; ``waiting_since``, a melding
        waiting since then (it keeps its place in the line and its days waited)."""
        fam.involve(self.org)
        self.log(fam, "gezamenlijke_triage", "schedule" if remaining is None else "resume")

        def start(f: Family, wait: float) -> None:
            f.add_wait(self.org, wait)
            f.triage_start = self.engine.now
            self.log(f, "gezamenlijke_triage", "start")
            self.engine.at(self.triage_time.next(), done, f)

        def done(f: Family) -> None:
            self.desk.release_case(f)
            f.triage_end = self.engine.now
            self.log(f, "gezamenlijke_triage", "complete")
            then(f, "assessed")

        if remaining is not None:
            self.desk.preload(fam, 1)
            self.engine.at(remaining, done, fam)
        elif waiting_since is not None:
            self.desk.backlog(fam, 1, fam.crisis, start, waiting_since)
        else:
            self.desk.request(fam, 1, fam.crisis, start)

    # ---------------------------------------------------------------- the duo
    def take_on(self, fam: Family, then: Callable[[Family, str], None], function: str = "safety",
                waiting_since: float | None = None) -> None:
        """The team takes the family on for ``function`` (``voluntary``: one vaste professional; ``safety``: the
        duo; ``measure``: the duo under the GI mandate): its places (:meth:`need`; with vast gezicht also the
        vast gezicht's place at the lokaal team, unless it holds one already). ``then(fam, 'assigned')`` once
        every place is granted; the places are held until :meth:`step_back` or :meth:`release`.
        ``waiting_since``: a case already waiting when the run starts from today (it keeps its place in the line
        and its days waited)."""
        fam.involve(self.org)
        self.log(fam, "duo", "schedule")
        units = self.need(fam, function)
        self._target[fam.case_id] = units
        self._phase[fam.case_id] = (function, self.engine.now)
        requests: list[tuple[CaseloadPool, int]] = [(self.duo, units)]
        if self.lokaal_team is not None and not self.lokaal_team.is_holding(fam):
            requests.append((self.lokaal_team, 1))
        pending = [len(requests)]
        asked = self.engine.now

        def granted(f: Family, wait: float) -> None:
            pending[0] -= 1
            if pending[0]:
                return
            now = self.engine.now
            f.add_wait(self.org, now - asked)
            if f.team_start != f.team_start:
                f.team_start = now
            if self.lokaal_team is not None and f.buurtteam_start != f.buurtteam_start:
                f.involve("buurtteam")
                f.buurtteam_request, f.buurtteam_start = asked, now
            self.log(f, "duo", "start")
            then(f, "assigned")

        for pool, n in requests:
            if waiting_since is None:
                pool.request(fam, n, fam.crisis, granted)
            else:
                pool.backlog(fam, n, fam.crisis, granted, waiting_since)

    def take_over(self, fam: Family, function: str = "safety") -> None:
        """A case already open when the run starts (run.start=today) that the team takes over from the partner
        whose staff moved in: its places are taken at once, even above the team's capacity (as the partners'
        caseloads are today), and new families wait until enough places are free again."""
        fam.involve(self.org)
        units = self.need(fam, function)
        self._target[fam.case_id] = units
        self._phase[fam.case_id] = (function, self.engine.now)
        self.duo.preload(fam, units)
        if self.lokaal_team is not None and not self.lokaal_team.is_holding(fam):
            fam.involve("buurtteam")
            self.lokaal_team.preload(fam, 1)
        if fam.team_start != fam.team_start:
            fam.team_start = self.engine.now
        self.log(fam, "duo", "resume")

    def complete_duo(self, fam: Family, then: Callable[[Family, str], None]) -> None:
        """Safety is at stake for a family held by one team professional: the second member of the duo joins
        (the missing places are requested and waited for); ``then(fam, 'assigned')`` when they are granted."""
        missing = self.need(fam, "safety") - self.held(fam)
        if missing <= 0:
            then(fam, "assigned")
            return
        member = self._add(fam, missing, "safety")
        self.log(fam, "duo_compleet", "schedule")

        def granted(m: _Member, wait: float) -> None:
            self.log(fam, "duo_compleet", "start")
            then(fam, "assigned")

        self.duo.request(member, missing, fam.crisis, granted)

    def to_measure(self, fam: Family) -> None:
        """The duo carries a measure (the GI mandate): the family's places grow to the measure's hours at once,
        even above capacity (the duo is already with the family; new families wait instead)."""
        missing = self.need(fam, "measure") - self.held(fam)
        if missing > 0:
            self.duo.take_now(self._add(fam, missing, "measure"), missing)

    def raadsonderzoek(self, fam: Family, length: Sampler, outcome: Any, factor: float,
                       then: Callable[[Family, str], None]) -> None:
        """The Raad's member of the team investigates (``scenario.team.rvdk_member``): the family's places grow by
        :meth:`TeamSpec.raad_hours` (waiting for free team places: the Raad's waiting list for a team family is
        the team's), held for the onderzoek (``length`` x ``factor``: the Raad's own duration stream and
        effects.rvdk_duration_factor); ``then(fam, outcome)`` with the Raad's decision (``outcome``: the Raad's
        own stream). No hand-off: the Raad's member works from the team's file (its interviews are the workflow's
        intake, on team time)."""
        fam.involve("rvdk")
        fam.rvdk_request = self.engine.now
        self.log(fam, "beschermingsonderzoek", "schedule")
        units = self.spec.raad_hours(fam.n_children, self.hours_per_fte_month)
        member = self._add(fam, units, "raad")

        def granted(m: _Member, wait: float) -> None:
            f = m.fam
            f.add_wait(self.org, wait)
            f.rvdk_start = self.engine.now
            self.log(f, "beschermingsonderzoek", "start")
            self.engine.at(length.next() * factor, done, f)

        def done(f: Family) -> None:
            self.duo.release_case(member)
            added = self._added.get(f.case_id, [])
            if member in added:
                added.remove(member)
            self._target[f.case_id] = self.held(f) - units
            self._book(f, "safety")
            f.rvdk_end = self.engine.now
            self.log(f, "beschermingsonderzoek", "complete")
            then(f, outcome.next())

        self.duo.request(member, units, fam.crisis, granted)

    def _add(self, fam: Family, units: int, function: str) -> _Member:
        member = _Member(fam)
        self._added.setdefault(fam.case_id, []).append(member)
        self._target[fam.case_id] = self.held(fam) + units
        self._book(fam, function)
        return member

    def _book(self, fam: Family, function: str | None) -> None:
        """Count the coordination hours of the phase that ends now on the family's record (the duo's only: a
        vaste professional alone has no duo to align); ``function``: the phase that starts (None: none)."""
        phase = self._phase.pop(fam.case_id, None)
        if phase is not None and phase[0] != "voluntary":
            fam.meeting_hours += self.spec.coordination_hours_per_month * (self.engine.now - phase[1]) / DAYS_PER_MONTH
        if function is not None:
            self._phase[fam.case_id] = (function, self.engine.now)

    def holds(self, fam: Family) -> bool:
        return self.duo.is_holding(fam)

    def step_back(self, fam: Family) -> None:
        """The team professional leaves the duo (the vast gezicht carries on alone); coordination hours counted
        on the family (their staff time is in the places it held)."""
        if fam.holds.get(self.duo.name) is None:
            return
        self._book(fam, None)
        self.duo.release_case(fam)
        for member in self._added.pop(fam.case_id, ()):
            if not self.duo.cancel(member):  # still waiting for its places: leave the line
                self.duo.release_case(member)
        self._target.pop(fam.case_id, None)
        self.log(fam, "duo", "suspend")

    def release(self, fam: Family) -> None:
        """The team's involvement ends: free the family's places (and the vast gezicht's)."""
        self.step_back(fam)
        fam.team_end = self.engine.now
        if self.lokaal_team is not None and self.lokaal_team.is_holding(fam):
            self.lokaal_team.release_case(fam)
            fam.buurtteam_end = self.engine.now
        self.log(fam, "duo", "complete")
