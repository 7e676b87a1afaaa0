"""The family (case) record: plain data whose milestone times start as NaN and are filled as they happen.

One record is one *episode* of one family in the chain: a first melding, a direct request for help at the
buurtteam, or a later hermelding (re-entry after closure) of the same family. ``family_id`` links the episodes
of one family; ``case_id`` is unique per replication.

The milestone list is shared by every workflow, so the families table has the same columns whatever the
scenario; a workflow leaves the milestones it has no use for at NaN.
"""

from __future__ import annotations

import math

NAN = math.nan

ORGS: tuple[str, ...] = ("buurtteam", "veilig_thuis", "rvdk", "kinderrechter", "gi")
"""Organisations in the order a family meets them in today's chain."""

WAIT_ORGS: tuple[str, ...] = ORGS + ("veiligheidsteam",)
"""Organisations with a wait_* column: today's chain plus the integrated team (zero for workflows without it)."""

UNIT_KINDS: tuple[str, ...] = ("veilig_thuis", "gi")
"""Kinds of organisation a region may have several of (``region.units``: Gelderland's 3 VT organisations, 4 GIs)."""


def unit_pool(base: str, unit: str) -> str:
    """Name of the pool ``base`` of one organisation of a kind: ``gi[william_schrikker]``,
    ``veilig_thuis.triage[gelderland_zuid]``; without a unit (a region with one organisation per kind) ``base``
    itself. The pool's ``org`` stays the kind (``gi``), so kind-level sums and staff dynamics need no change."""
    return f"{base}[{unit}]" if unit else base


def kind_pool(name: str) -> str:
    """The kind-level pool name of a unit's pool (``gi[william_schrikker]`` -> ``gi``); other names unchanged."""
    return name.split("[", 1)[0]

MILESTONES: tuple[str, ...] = (
    "triage_start",  # veiligheidsbeoordeling (or the joint triage) starts
    "triage_end",  # decision on the melding
    "vt_onderzoek_start",
    "vt_onderzoek_end",
    "vt_vervolg_start",  # 'voorwaarden en vervolg' / monitoring by Veilig Thuis
    "vt_vervolg_end",
    "buurtteam_request",
    "buurtteam_start",  # voluntary help starts
    "buurtteam_end",
    "team_start",  # integrated workflows: the fixed duo takes the family on
    "team_end",
    "rvdk_request",  # verzoek tot onderzoek reaches the Raad
    "rvdk_start",  # beschermingsonderzoek starts (wait = start - request)
    "rvdk_end",
    "court_request",  # verzoekschrift reaches the kinderrechter
    "court_decision",
    "gi_request",  # the measure reaches the GI (child on the wachtlijst until a jeugdbeschermer is assigned)
    "gi_assigned",
    "gi_first_contact",  # start of help under the measure
    "gi_voluntary_start",  # voluntary GI begeleiding without a measure starts (drang, SAVE-begeleiding)
    "gi_voluntary_end",
    "help_start",  # first start of help of any kind (buurtteam, team or GI)
    "measure_end",
    "closed",
)

COUNTERS: tuple[str, ...] = (
    "handoffs",  # transfers between organisations
    "stories_told",  # times the family tells its story to a new professional or organisation
    "intakes",
    "intake_hours",  # staff hours of (repeated) intakes
    "meeting_hours",  # staff hours in joint meetings (MDO, tafels)
    "consult_hours",  # staff hours of expert consults
    "court_hearings",
    "extensions",  # yearly verlengingen of a measure
    "escalations",  # voluntary help that failed and was escalated
)

WAITING_TIMES: tuple[str, ...] = ("escalated_at", "dropped_out_at", "vots_at")
"""Times (days) the families table gains when ``model.waiting`` is set (sim/chain/waiting.py): turned rood while
waiting, left a waiting list, got a voorlopige OTS (NaN if never). Kept out of MILESTONES so that a run without the
mechanisms has exactly the columns it had before; the window's counts are read from these times."""

AGE_TIMES: tuple[str, ...] = ("born", "aged_out_at")
"""Times (days) the families table gains when children have an age (``families.age_at_melding``): the child's
birth and the end of its measure at its eighteenth birthday (NaN if it did not age out)."""

ADULT_DAYS = 18 * 365.25
"""Days from birth to the eighteenth birthday: every measure ends then at the latest (sim/actors/gi.py)."""

WAITING_COUNTERS: tuple[str, ...] = ("worsened", "vervolgmeldingen")
"""Counters the families table gains when ``model.waiting`` is set: colour steps while waiting, vervolgmeldingen
about the family during Veilig Thuis's involvement."""


class Family:
    """One episode of one family. Attributes are fixed at arrival; milestones are filled as they happen."""

    __slots__ = ("case_id", "family_id", "episode", "route", "arrival", "colour", "n_children",
                 "voluntary_u", "reentry_u", "return_after", "preexisting", "vt_unit", "gi_unit", "adult_problems", "outcome",
                 "measure",
                 "orgs", "waits", "holds", "arrival_colour", *MILESTONES, *COUNTERS, *WAITING_TIMES, *WAITING_COUNTERS, *AGE_TIMES)

    def __init__(self, case_id: int, family_id: int, episode: int, route: str, arrival: float, colour: str,
                 n_children: int, voluntary_u: float, reentry_u: float, return_after: float,
                 preexisting: bool = False) -> None:
        self.case_id = case_id
        self.family_id = family_id
        self.episode = episode
        self.route = route  # 'melding' (Veilig Thuis), 'direct' (buurtteam) or 'hermelding'
        self.arrival = arrival
        self.colour = colour  # crisismeter: groen / oranje / rood (may worsen while waiting: sim/chain/waiting.py)
        self.arrival_colour = colour  # the colour at arrival, an attribute of the family (the families table's colour)
        self.n_children = n_children
        self.voluntary_u = voluntary_u  # uniform: voluntary help suffices if below the scenario's probability
        self.reentry_u = reentry_u  # uniform: re-enters after closure if below the scenario's probability
        self.return_after = return_after  # days from closure to the hermelding, if it re-enters
        self.preexisting = preexisting
        # the family's Veilig Thuis organisation (catchment) and GI (region.units; "" without units): fixed for the
        # family, so every episode and every workflow sees the same ones (sim/chain/demand.py, stream families.catchment)
        self.vt_unit = ""
        self.gi_unit = ""
        # its adults have problems of their own, such as debts (families.adult_problem_share, stream
        # families.adult_problems): fixed for the family; only a workflow that treats adult problems reads it
        self.adult_problems = False
        self.outcome = ""
        self.measure = ""
        self.orgs: list[str] = []
        self.waits: dict[str, float] = {}
        self.holds: dict[str, tuple[int, float]] = {}  # pool name -> (units, since): caseload places held now
        _set_blank(self)  # every milestone NaN, every counter 0

    @property
    def crisis(self) -> bool:
        return self.colour == "rood"

    def involve(self, org: str) -> None:
        if not self.orgs or self.orgs[-1] != org:
            self.orgs.append(org)

    def add_wait(self, org: str, days: float) -> None:
        self.waits[org] = self.waits.get(org, 0.0) + days


def _blank_setter():
    """A function that sets every milestone to NaN and every counter to 0, as plain attribute stores.

    Why generated: a national run creates hundreds of thousands of records, and a ``setattr`` loop over the
    ~30 names was the single most expensive line of record creation. The generated body is simply
    ``f.triage_start = NAN`` ... ``f.escalations = 0``, built from MILESTONES and COUNTERS (as ``dataclasses``
    builds ``__init__``), so a milestone added to MILESTONES is covered automatically.
    """
    names = (*MILESTONES, *COUNTERS, *WAITING_TIMES, *WAITING_COUNTERS, *AGE_TIMES)
    if not all(n.isidentifier() for n in names):
        raise ValueError(f"milestone and counter names must be identifiers: {names}")
    body = [f"    f.{m} = NAN" for m in (*MILESTONES, *WAITING_TIMES, *AGE_TIMES)] + \
        [f"    f.{c} = 0" for c in (*COUNTERS, *WAITING_COUNTERS)] or ["    pass"]
    namespace = {"NAN": NAN}
    exec("def set_blank(f):\n" + "\n".join(body) + "\n", namespace)  # noqa: S102 - fixed names, checked above
    return namespace["set_blank"]


_set_blank = _blank_setter()
