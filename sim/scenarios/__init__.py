"""Workflows (scenarios): one module per workflow; this registry maps ``scenario.name`` to it.

A scenario object is the validated form of the ``scenario`` config group: it names the workflow class and
carries the scenario's own parameters (for the pilots: their assumed effects). A workflow class that has
parameters defines ``configure(schema, staffing)``, which validates its sections of ``scenario.*`` once and
returns them as frozen objects (``Scenario.params``); ``uses`` names the sections and effects it reads, so a
value set for a workflow that would ignore it is an error rather than a silent no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from sim.scenarios.base import Workflow
from sim.scenarios.blijvend_veilig import BlijvendVeilig
from sim.scenarios.integrated import Integrated
from sim.scenarios.ketenversnelling import Ketenversnelling
from sim.scenarios.samen_in_crisis import SamenInCrisis
from sim.scenarios.sequential import Sequential
from sim.scenarios.toekomstscenario import Toekomstscenario
from sim.scenarios.utrecht_west import UtrechtWest


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    workflow: type[Workflow]
    assumptions: tuple[tuple[str, Any, str], ...] = ()  # (name, value, why) of the workflow's structural assumptions
    params: Any = None  # the workflow's validated parameters (None for today's chain)


WORKFLOWS: dict[str, type[Workflow]] = {
    "sequential": Sequential,
    "integrated": Integrated,
    "samen_in_crisis": SamenInCrisis,
    "utrecht_west": UtrechtWest,
    "blijvend_veilig": BlijvendVeilig,
    "toekomstscenario": Toekomstscenario,
    "ketenversnelling": Ketenversnelling,
}

SECTIONS = ("work_hours_per_day", "team", "experts", "consults", "meetings")


def _set_fields(schema: Any) -> list[str]:
    """Dotted names of the optional scenario sections and effects that the configuration sets."""
    out = [f"scenario.{s}" for s in SECTIONS if getattr(schema, s, None) not in (None, {}, [])]
    effects = getattr(schema, "effects", None)
    if effects is not None:
        out += [f"scenario.effects.{k}" for k, v in vars(effects).items() if v is not None]
    return out


def build_scenario(schema: Any, staffing: Mapping[str, Any] | None = None) -> Scenario:
    from sim.config import ConfigError

    name = schema.name
    if name not in WORKFLOWS:
        raise ConfigError(f"scenario.name = {name!r} (allowed: {', '.join(sorted(WORKFLOWS))})")
    workflow = WORKFLOWS[name]
    uses = {f"scenario.{u}" for u in getattr(workflow, "uses", ())}
    for dotted in _set_fields(schema):
        if dotted not in uses:
            raise ConfigError(f"{dotted} is set, but workflow {name!r} does not use it "
                              f"(it uses: {', '.join(sorted(uses)) or 'no scenario parameters'})")
    params = None
    configure = getattr(workflow, "configure", None)
    if configure is not None:
        if staffing is None:
            raise ConfigError(f"scenario.name = {name!r} (needs the validated staffing to form its team)")
        params = configure(schema, staffing)
    return Scenario(name=name, description=str(schema.description), workflow=workflow,
                    assumptions=tuple(getattr(workflow, "structural_assumptions", ())), params=params)


def fte_plan(model: Any) -> dict[str, float]:
    """Paper FTE per organisation or team as the workflow deploys them (today's chain: the region's staffing).
    The total is what a fair comparison keeps equal."""
    plan = getattr(model.scenario.params, "fte_plan", None)
    if plan is not None:
        return dict(plan)
    return {org: st.fte for org, st in model.staffing.items()}
