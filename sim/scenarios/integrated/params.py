"""The integrated workflow's parameters: its sections of ``scenario.*`` and its assumed effects, validated once.

``configure`` forms the team and the expert pools from shares of the partners' FTE (what is left stays with the
partners, so total FTE equals today's chain), checks that every partner with work left keeps a caseload place,
and returns :class:`IntegratedParams`. Values and their sources: ``conf/scenario/integrated.yaml`` (and the
files of the workflows built on it: ``toekomstscenario``, ``ketenversnelling``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from sim.actors.expertise import (
    ConsultSpec,
    ExpertSpec,
    MeetingSpec,
    parse_consults,
    parse_experts,
    parse_meetings,
    take_fte,
)
from sim.actors.veiligheidsteam import TeamSpec, parse_team
from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.chain.model import Staffing
from sim.scenarios import effects
from sim.scenarios.partners import check_places

SECTIONS = ("team", "experts", "consults", "meetings")
MEETINGS = ("crisis",)


@dataclass(frozen=True)
class IntegratedEffects:
    """Assumed effects of the team (no pilot published an effect size, domain.md 1e)."""

    assessment_factor: float = effects.effect("factor", (0.5, 1.0),
                                              "joint assessment length / the VT stage it replaces")
    rvdk_duration_factor: float = effects.effect("factor", (0.6, 1.0),
                                                 "RvdK judgement length with the team's file / today's")
    resolved_without_measure: float = effects.effect("share", (0.0, 0.2),
                                                     "P(the team resolves a case that would go to the Raad)")
    duo_workload: float = effects.effect("factor", (0.8, 1.5),
                                         "the duo's staff hours on a family / today's professional's for that work")


@dataclass(frozen=True)
class IntegratedParams:
    team: TeamSpec
    experts: Mapping[str, ExpertSpec]
    consults: Mapping[str, ConsultSpec]
    meetings: Mapping[str, MeetingSpec]
    effects: IntegratedEffects
    staffing: Mapping[str, Staffing]  # the partners after the team and the experts took their FTE
    fte_plan: Mapping[str, float]  # paper FTE per partner, team and expert pool
    by_construction: Mapping[str, str]  # KPI -> why this workflow meets it by definition (shown in comparisons)


def met_by_construction(team: TeamSpec) -> dict[str, str]:
    """The KPIs the team meets by definition rather than by its work: under the duo mandate a team family's
    measure starts the moment the court decides (``Integrated.duo_mandate`` sets gi_request = gi_first_contact), so
    its GI wait is zero and within the norm whatever the staffing. A comparison shows these differences as true by
    construction, not as findings."""
    if not team.enabled or team.coverage == 0 or team.gi_mandate != "duo":
        return {}
    whose = "every family's" if team.coverage >= 1 else f"the team's families' ({team.coverage:.0%} of the region)"
    why = (f"duo mandate (scenario.team.gi_mandate=duo): {whose} measure starts at the court's decision, "
           f"no GI wait by definition")
    return {kpis.SHARE_GI_WITHIN_NORM: why, kpis.GI_WAIT_MEAN: why}


def configure(schema: Any, staffing: Mapping[str, Staffing]) -> IntegratedParams:
    """Validate ``scenario.*`` of the integrated workflow against the region's validated ``staffing``."""
    team = parse_team(schema, staffing)
    experts = parse_experts(schema, staffing)
    consults = parse_consults(schema, experts)
    meetings = parse_meetings(schema, experts)
    for name in meetings:
        if name not in MEETINGS:
            raise ConfigError(f"scenario.meetings.{name} is not a meeting of workflow {schema.name!r} "
                              f"(allowed: {', '.join(MEETINGS)})")
    assumed = effects.read(schema, IntegratedEffects)
    if not team.enabled or team.coverage == 0:
        plan = {org: st.fte for org, st in staffing.items()}
        return IntegratedParams(team, experts, consults, meetings, assumed, staffing=staffing,
                                fte_plan=plan, by_construction={})
    taken = team.taken(staffing)
    for e in experts.values():
        taken[e.org] = taken.get(e.org, 0.0) + e.fte
    left = take_fte(staffing, taken, {org: f"scenario.team.share.{org}" for org in staffing},
                    desk={"veilig_thuis": team.desk_fte})
    joining = team.to_lokaal_team(staffing)
    if joining > 0:  # staff for the vast gezichten join the lokaal team (and its caseload norm)
        left["buurtteam"] = replace(left["buurtteam"], fte=left["buurtteam"].fte + joining)
    field = "scenario.team.share"
    check_places(left, "rvdk", f"{field}.rvdk = {team.share['rvdk']:g}", "the RvdK's judgement stays outside the team")
    if team.gi_mandate == "gi" or team.coverage < 1:
        check_places(left, "gi", f"{field}.gi = {team.share['gi']:g}", "the GI still executes measures")
    if team.coverage < 1 or team.vast_gezicht or team.holds_voluntary != {"direct", "overdracht"}:
        check_places(left, "buurtteam", f"{field}.buurtteam = {team.share['buurtteam']:g}",
                     "the lokaal team still gives voluntary help")
    if team.coverage < 1:
        check_places(left, "veilig_thuis", f"{field}.veilig_thuis = {team.share['veilig_thuis']:g}",
                     "Veilig Thuis still serves the families outside the team's area")
    plan = {org: st.fte for org, st in left.items()}
    plan["veiligheidsteam"] = team.fte
    for name, e in experts.items():
        plan[f"expertise.{name}"] = e.fte
    return IntegratedParams(team, experts, consults, meetings, assumed, staffing=left, fte_plan=plan,
                            by_construction=met_by_construction(team))
