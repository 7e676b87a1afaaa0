"""Blijvend Veilig's parameters: two assumed effects of a neighbourhood team that also works on adults' problems.

The pilot published no numbers (domain.md 1e): both are assumptions (``conf/scenario/blijvend_veilig.yaml``). The
workflow moves no staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sim.chain.model import Staffing
from sim.scenarios import effects


@dataclass(frozen=True)
class BlijvendVeiligEffects:
    reentry_reduction: float = effects.effect("share", (0.0, 0.4),
                                              "relative reduction of re-entry after help in the neighbourhood team")
    help_duration_factor: float = effects.effect("factor", (1.0, 1.5), "voluntary help episode length / today's")


@dataclass(frozen=True)
class BlijvendVeiligParams:
    effects: BlijvendVeiligEffects


def configure(schema: Any, staffing: Mapping[str, Staffing]) -> BlijvendVeiligParams:
    """Validate ``scenario.effects`` of Blijvend Veilig (it has no other parameters)."""
    return BlijvendVeiligParams(effects.read(schema, BlijvendVeiligEffects))
