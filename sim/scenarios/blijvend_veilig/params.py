"""Blijvend Veilig's parameters: the neighbourhood team (the integrated workflow's sections) and its assumed effects.

The team, its experts, consults and crisis MDO are formed and validated as the integrated workflow's
(``sim/scenarios/integrated/params.py``: shares of the partners' FTE, so total FTE equals today's chain); the
effects add, to the integrated team's, what this team does differently: it treats the adults' problems (debts,
``families.adult_problem_share``) as a root cause and has an alternative to a voorlopige OTS and to an
uithuisplaatsing. The pilot published no numbers (domain.md 1e): every effect is an assumption
(``conf/scenario/blijvend_veilig.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Mapping

from sim.chain.model import Staffing
from sim.scenarios import effects, integrated

SECTIONS = integrated.params.SECTIONS


@dataclass(frozen=True)
class BlijvendVeiligEffects(integrated.params.IntegratedEffects):
    """The integrated team's effects plus the root-cause work on adult problems and the alternative route."""

    debt_help_factor: float = effects.effect(
        "factor", (1.0, 1.5), "help of a family with adult problems, the team also working on its debts / today's help")
    escalation_averted: float = effects.effect(
        "share", (0.0, 0.5), "P(help that would fail succeeds because the team treated the adults' problems)")
    reentry_averted: float = effects.effect(
        "share", (0.0, 0.4), "P(a family whose adults' problems the team treated does not come back) x today's return")
    vots_averted: float = effects.effect(
        "share", (0.0, 0.3), "P(the team's veiligheidsplan replaces a voorlopige OTS in a spoed case)")
    uhp_averted: float = effects.effect(
        "share", (0.0, 0.3), "P(the team's alternative makes an uithuisplaatsing unnecessary: an OTS at home instead)")


def configure(schema: Any, staffing: Mapping[str, Staffing]) -> integrated.params.IntegratedParams:
    """Validate ``scenario.*`` of Blijvend Veilig: the integrated workflow's sections, its own effects."""
    p = integrated.params.configure(schema, staffing)
    return replace(p, effects=effects.read(schema, BlijvendVeiligEffects))
