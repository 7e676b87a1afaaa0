"""Workflows (scenarios): one module per workflow; this registry maps ``scenario.name`` to it.

A scenario object is the validated form of the ``scenario`` config group: it names the workflow class and
carries the scenario's own parameters (for the pilots: their assumed effects).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.scenarios.base import Workflow
from sim.scenarios.sequential import Sequential


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    workflow: type[Workflow]
    assumptions: tuple[tuple[str, Any, str], ...] = ()  # (dotted field, value, why) of assumed effects


WORKFLOWS: dict[str, type[Workflow]] = {
    "sequential": Sequential,
}


def build_scenario(schema: Any) -> Scenario:
    from sim.config import ConfigError

    name = schema.name
    if name not in WORKFLOWS:
        raise ConfigError(f"scenario.name = {name!r} (allowed: {', '.join(sorted(WORKFLOWS))})")
    return Scenario(name=name, description=str(schema.description), workflow=WORKFLOWS[name])
