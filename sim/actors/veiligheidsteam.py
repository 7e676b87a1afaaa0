"""The integrated team (Veiligheidsteam, regionaal veiligheidsteam): a joint triage desk and a fixed duo per family.

Models the team of seed 000 (Ketenversnelling, Utrecht Overvecht: "Twee medewerkers uit het team zijn en blijven
betrokken bij het gezin") and of the Toekomstscenario kind- en gezinsbescherming (seed 002, domain.md 2b: a
regionaal veiligheidsteam combining the functions of Veilig Thuis, the RvdK's advice and the GI; the lokaal team's
vast gezicht works in a duo with a professional of that team when safety is at stake).

Staff: the team has no FTE of its own. ``scenario.team.share.<org>`` moves that share of each partner's paper
FTE into the team (the partner keeps the rest), so the chain's total FTE is unchanged. Moved staff keep their
partner's productive share and vacancy rate. The Veilig Thuis front-desk part of the moved FTE staffs the team's
joint triage desk (one intake form, the crisismeter; same ``triage_caseload``), every other moved FTE carries
families: ``places = available FTE x scenario.team.caseload``, a place being one family on one professional's
caseload. A family held by the duo takes ``duo_size`` places (2) for its whole trajectory: that is the cost of
the duo. With ``vast_gezicht`` one of the duo is the lokaal team's vast gezicht, who holds a place in the
buurtteam's pool instead; ``lokaal_team.<org>`` moves that share of a partner's FTE to the lokaal team to staff
those vast gezichten (at the buurtteam's caseload norm). A family held for voluntary help only takes
``voluntary_places`` (one vaste professional); the second member joins when safety is at stake. Team coordination
(casusoverleg, afstemming within the duo) is counted as ``coordination_hours_per_month`` meeting hours per family
for every month the team holds it; its capacity cost is inside the caseload norm. Every number of the team is an assumption (no pilot published one: domain.md 1e).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from sim.actors.base import Actor
from sim.chain.checks import STAFFED_ORGS, ConfigError, choice, integer, non_negative, positive, probability
from sim.chain.entities import Family
from sim.chain.model import Staffing
from sim.kernel.engine import CaseloadPool
from sim.kernel.streams import Sampler

VOLUNTARY_ENTRIES: tuple[str, ...] = ("direct", "overdracht")
GI_MANDATES: tuple[str, ...] = ("duo", "gi")
DAYS_PER_MONTH = 365.0 / 12.0


@dataclass(frozen=True)
class TeamSpec:
    """Validated ``scenario.team`` plus the staff it takes (paper FTE and available FTE by function)."""

    enabled: bool
    coverage: float
    share: Mapping[str, float]
    lokaal_team: Mapping[str, float]  # with vast gezicht: share of a partner's paper FTE moved to the lokaal team
    caseload: float
    crisis_reserve_share: float
    duo_size: int
    voluntary_places: int
    vast_gezicht: bool
    holds_voluntary: frozenset[str]
    gi_mandate: str
    intake_hours: float
    coordination_hours_per_month: float
    fte: float  # paper FTE moved into the team
    triage_available_fte: float  # moved Veilig Thuis front-desk FTE, present and filled
    case_available_fte: float  # every other moved FTE, present and filled
    triage_caseload: float  # meldingen one triage FTE has open at once (Veilig Thuis's value)

    @property
    def places(self) -> int:
        return int(round(self.case_available_fte * self.caseload))

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
    caseload = positive(f"{f}.caseload", t.caseload)
    reserve = probability(f"{f}.crisis_reserve_share", t.crisis_reserve_share, below_one=True)
    duo = integer(f"{f}.duo_size", t.duo_size, 1)
    voluntary = integer(f"{f}.voluntary_places", t.voluntary_places, 1)
    if voluntary > duo:
        raise ConfigError(f"{f}.voluntary_places = {voluntary} (at most duo_size {duo})")
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
    for org, s in share.items():
        st = staffing[org]
        moved = s * st.fte
        present = st.present(moved)
        fte += moved
        desk = st.triage_share if org == "veilig_thuis" else 0.0
        triage += present * desk
        case += present * (1.0 - desk)
    vt = staffing["veilig_thuis"]
    spec = TeamSpec(t.enabled, coverage, share, lokaal, caseload, reserve, duo, voluntary, t.vast_gezicht, holds, mandate, intake,
                    coordination, fte, triage, case, vt.triage_caseload)
    if t.enabled and coverage > 0:
        if spec.triage_places < 1:
            raise ConfigError(f"{f}.share.veilig_thuis = {share['veilig_thuis']:g} (gives the joint triage desk less "
                              f"than one place; the team needs Veilig Thuis front-desk staff)")
        if spec.places < duo:
            raise ConfigError(f"{f}.caseload = {caseload:g} (with the shares given the team has {spec.places} places, "
                              f"fewer than one family's duo_size {duo})")
    return spec


class _Member:
    """The places of a team member who joins later (a pool keeps one hold per case object). Its wait is the
    family's wait for the team."""

    __slots__ = ("holds", "fam")

    def __init__(self, fam: Family) -> None:
        self.holds: dict[str, tuple[int, float]] = {}
        self.fam = fam

    def add_wait(self, org: str, days: float) -> None:
        self.fam.add_wait(org, days)


class Veiligheidsteam(Actor):
    """The team's triage desk and its duo places (pools ``veiligheidsteam.triage`` and ``veiligheidsteam``)."""

    org = "veiligheidsteam"

    def __init__(self, wf, spec: TeamSpec, triage_time: Sampler, lokaal_team: CaseloadPool | None = None) -> None:
        super().__init__(wf)
        self.spec = spec
        self.desk = self.engine.pool("veiligheidsteam.triage", self.org, spec.triage_places,
                                     spec.reserve(spec.triage_places))
        self.duo = self.engine.pool("veiligheidsteam", self.org, spec.places, spec.reserve(spec.places))
        self.triage_time = triage_time  # the same stream as Veilig Thuis's veiligheidsbeoordeling: tight pairs
        self.lokaal_team = lokaal_team if spec.vast_gezicht else None
        self.places = 1 if spec.vast_gezicht else spec.duo_size
        self._joined: dict[int, _Member] = {}  # case_id -> places of a member who joined later

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
    def take_on(self, fam: Family, then: Callable[[Family, str], None], places: int | None = None,
                waiting_since: float | None = None) -> None:
        """The duo takes the family on: ``duo_size`` team places, or ``places`` (one vaste professional for a family
        that needs voluntary help only; with vast gezicht: one team place plus the vast gezicht's place at the
        lokaal team, unless it holds one already). ``then(fam, 'assigned')`` once every place is granted; the
        places are held until :meth:`step_back` or :meth:`release`. ``waiting_since``: a case already waiting
        when the run starts from today (it keeps its place in the line and its days waited)."""
        fam.involve(self.org)
        self.log(fam, "duo", "schedule")
        requests: list[tuple[CaseloadPool, int]] = [(self.duo, self.places if places is None else places)]
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

        for pool, units in requests:
            if waiting_since is None:
                pool.request(fam, units, fam.crisis, granted)
            else:
                pool.backlog(fam, units, fam.crisis, granted, waiting_since)

    def take_over(self, fam: Family, places: int | None = None) -> None:
        """A case already open when the run starts (run.start=today) that the team takes over from the partner
        whose staff moved in: its places are taken at once, even above the team's capacity (as the partners'
        caseloads are today), and new families wait until enough places are free again."""
        fam.involve(self.org)
        self.duo.preload(fam, self.places if places is None else places)
        if self.lokaal_team is not None and not self.lokaal_team.is_holding(fam):
            fam.involve("buurtteam")
            self.lokaal_team.preload(fam, 1)
        if fam.team_start != fam.team_start:
            fam.team_start = self.engine.now
        self.log(fam, "duo", "resume")

    def complete_duo(self, fam: Family, then: Callable[[Family, str], None]) -> None:
        """Safety is at stake for a family held by one team professional: the second member of the duo joins
        (the missing places are requested); ``then(fam, 'assigned')`` when they are granted."""
        held = fam.holds.get(self.duo.name, (0, 0.0))[0]
        member = self._joined.get(fam.case_id)
        missing = self.places - held - (member.holds[self.duo.name][0] if member and self.duo.name in member.holds else 0)
        if missing <= 0:
            then(fam, "assigned")
            return
        member = _Member(fam)
        self._joined[fam.case_id] = member
        self.log(fam, "duo_compleet", "schedule")

        def granted(m: _Member, wait: float) -> None:
            self.log(fam, "duo_compleet", "start")
            then(fam, "assigned")

        self.duo.request(member, missing, fam.crisis, granted)

    def holds(self, fam: Family) -> bool:
        return self.duo.is_holding(fam)

    def step_back(self, fam: Family) -> None:
        """The team professional leaves the duo (the vast gezicht carries on alone); coordination hours counted."""
        held = fam.holds.get(self.duo.name)
        if held is None:
            return
        fam.meeting_hours += self.spec.coordination_hours_per_month * (self.engine.now - held[1]) / DAYS_PER_MONTH
        self.duo.release_case(fam)
        member = self._joined.pop(fam.case_id, None)
        if member is not None:
            if not self.duo.cancel(member):  # still waiting for its places: leave the line
                self.duo.release_case(member)
        self.log(fam, "duo", "suspend")

    def release(self, fam: Family) -> None:
        """The team's involvement ends: free the duo's places (and the vast gezicht's)."""
        self.step_back(fam)
        fam.team_end = self.engine.now
        if self.lokaal_team is not None and self.lokaal_team.is_holding(fam):
            self.lokaal_team.release_case(fam)
            fam.buurtteam_end = self.engine.now
        self.log(fam, "duo", "complete")
