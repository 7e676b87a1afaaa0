"""Utrecht-West's parameters: the persons at the early assessment table, the table and two assumed effects.

The table's persons on duty are a share of their partners' FTE (``scenario.experts``), so total FTE equals today's
chain. Values and their sources: ``conf/scenario/utrecht_west.yaml``.
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
class UtrechtWestEffects:
    """Assumed effects of the early table (the pilot's results are not published as numbers, domain.md 1e)."""

    vt_onderzoek_averted: float = effects.effect("share", (0.0, 0.5),
                                                 "P(the early table replaces a VT onderzoek by voluntary help)")
    rvdk_averted: float = effects.effect("share", (0.0, 0.3),
                                         "P(the early table replaces a verzoek tot onderzoek by voluntary help)")
    save_averted: float = effects.effect("share", (0.0, 0.6),
                                         "P(the early table replaces a voluntary GI begeleiding (SAVE) by voluntary "
                                         "help at the lokaal team)")


@dataclass(frozen=True)
class UtrechtWestParams:
    experts: Mapping[str, ExpertSpec]
    meetings: Mapping[str, MeetingSpec]
    effects: UtrechtWestEffects
    staffing: Mapping[str, Staffing]
    fte_plan: Mapping[str, float]


def configure(schema: Any, staffing: Mapping[str, Staffing]) -> UtrechtWestParams:
    """Validate ``scenario.*`` of Utrecht-West against the region's validated ``staffing``."""
    experts, meetings, left, plan = meeting_team(schema, staffing, "table")
    return UtrechtWestParams(experts, meetings, effects.read(schema, UtrechtWestEffects), left, plan)
