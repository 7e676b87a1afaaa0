"""Staff that a workflow moves out of the partners (into a team, onto expert or meeting duty): what stays behind.

Shared by the workflows that form joint structures from the partners' FTE (``integrated`` and those built on it,
``samen_in_crisis``, ``utrecht_west``), so that total FTE equals today's chain and every partner that still has work
keeps at least one caseload place (a configuration that would leave it none is refused, with the field to change).
"""

from __future__ import annotations

from typing import Any, Mapping

from sim.actors.expertise import ExpertSpec, MeetingSpec, parse_experts, parse_meetings, take_fte
from sim.chain.checks import ConfigError
from sim.chain.model import Staffing


def check_places(staffing: Mapping[str, Staffing], org: str, field: str, why: str) -> None:
    """A partner that still has work in this workflow keeps at least one caseload place."""
    st = staffing[org]
    pools = [st.slots(1.0 - st.triage_share), st.slots(st.triage_share, st.triage_caseload)] if org == "veilig_thuis" \
        else [st.slots()]
    if min(pools) < 1:
        raise ConfigError(f"{field} leaves staffing.{org} less than one caseload place ({why})")


def experts_from_partners(schema: Any, staffing: Mapping[str, Staffing], experts: Mapping[str, ExpertSpec],
                          active: bool) -> tuple[dict[str, Staffing], dict[str, float]]:
    """Take the experts' FTE out of their partners (when the joint structure is active) and list the FTE plan."""
    if not active:
        return dict(staffing), {org: st.fte for org, st in staffing.items()}
    taken: dict[str, float] = {}
    for e in experts.values():
        taken[e.org] = taken.get(e.org, 0.0) + e.fte
    fields = {org: "scenario.experts (shares of " + org + ")" for org in staffing}
    left = take_fte(staffing, taken, fields)
    for org in taken:
        check_places(left, org, f"scenario.experts (shares of {org}) = {taken[org] / staffing[org].fte:g}",
                     f"{org} keeps its own work")
    plan = {org: st.fte for org, st in left.items()}
    for name, e in experts.items():
        plan[f"expertise.{name}"] = e.fte
    return left, plan


def meeting_team(schema: Any, staffing: Mapping[str, Staffing], meeting: str, optional: tuple[str, ...] = ()
                 ) -> tuple[Mapping[str, ExpertSpec], Mapping[str, MeetingSpec], Mapping[str, Staffing],
                            Mapping[str, float]]:
    """A pilot that adds joint meetings to today's chain (Samen in Crisis's crisis MDO and oranje afstemming,
    Utrecht-West's early table): its persons on duty (``scenario.experts``), the meeting named ``meeting`` and
    any of the ``optional`` ones, no consults, and the partners' staffing left once the persons on duty of the
    enabled meetings are taken out (with the FTE plan). An expert who sits in no enabled meeting is not on duty: it
    keeps its FTE with its partner and gets no pool, so switching a meeting off is the workflow without it.
    Returns (experts, meetings, staffing left, fte_plan). Raises ConfigError."""
    experts = parse_experts(schema, staffing)
    meetings = parse_meetings(schema, experts)
    if meeting not in meetings or not set(meetings) <= {meeting, *optional}:
        allowed = meeting + (f" (and optionally {', '.join(optional)})" if optional else "")
        raise ConfigError(f"scenario.meetings has {sorted(meetings)} (workflow {schema.name!r} needs exactly: {allowed})")
    if schema.consults:
        raise ConfigError(f"scenario.consults is set, but workflow {schema.name!r} has no consults")
    enabled = [m for m in meetings.values() if m.enabled]
    if enabled:
        experts = {name: e for name, e in experts.items() if any(name in m.participants for m in enabled)}
    left, plan = experts_from_partners(schema, staffing, experts, bool(enabled))
    return experts, meetings, left, plan
