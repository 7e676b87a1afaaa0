"""Samen in Crisis's parameters: the persons on duty, the joint crisis MDO, the oranje afstemming, assumed effects.

The MDO's persons on duty are a share of their partners' FTE (``scenario.experts``), taken out of the partners'
caseload capacity, so total FTE equals today's chain. Values and their sources: ``conf/scenario/samen_in_crisis.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sim.actors.expertise import ExpertSpec, MeetingSpec
from sim.chain.model import Staffing
from sim.scenarios import effects
from sim.scenarios.partners import meeting_team

SECTIONS = ("experts", "meetings")


@dataclass(frozen=True)
class SamenInCrisisEffects:
    """Assumed effects of the joint crisis MDO (seed 001 reports no numbers, domain.md 1e)."""

    spoed_averted: float = effects.effect("share", (0.0, 0.2),
                                          "P(the joint crisis MDO makes a voorlopige OTS unnecessary)")
    rvdk_duration_factor: float = effects.effect("factor", (0.7, 1.0),
                                                 "RvdK investigation during the vOTS with the shared form / today's")


@dataclass(frozen=True)
class SamenInCrisisParams:
    experts: Mapping[str, ExpertSpec]
    meetings: Mapping[str, MeetingSpec]
    effects: SamenInCrisisEffects
    staffing: Mapping[str, Staffing]
    fte_plan: Mapping[str, float]


def configure(schema: Any, staffing: Mapping[str, Staffing]) -> SamenInCrisisParams:
    """Validate ``scenario.*`` of Samen in Crisis against the region's validated ``staffing``."""
    experts, meetings, left, plan = meeting_team(schema, staffing, "crisis", optional=("oranje",))
    return SamenInCrisisParams(experts, meetings, effects.read(schema, SamenInCrisisEffects), left, plan)
