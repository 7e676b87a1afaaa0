"""Workflows (scenarios): one package per workflow (``sim/scenarios/<name>/``), known through ``registry``.

A scenario object is the validated form of the ``scenario`` config group: it names the workflow class and
carries the scenario's own parameters (for the pilots: their assumed effects) and its analytic twin. A workflow
package's ``WORKFLOW`` descriptor (``registry.WorkflowSpec``) says how its sections of ``scenario.*`` are validated
(``configure(schema, staffing)``, once, returning frozen objects: ``Scenario.params``) and which sections and
effects it reads, so a value set for a workflow that would ignore it is an error rather than a silent no-op.

Adding a workflow: a package under ``sim/scenarios/`` plus ``conf/scenario/<name>.yaml`` (docs/CONTRIBUTING.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from sim.chain.checks import ConfigError
from sim.scenarios import effects, registry
from sim.scenarios.base import Workflow


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    workflow: type[Workflow]
    assumptions: tuple[tuple[str, Any, str], ...] = ()  # (name, value, why) of the workflow's structural assumptions
    params: Any = None  # the workflow's validated parameters (None for today's chain)
    twin: Callable[[Any], Any] | None = None  # its analytic flow model (model -> screening.FlowModel), if it has one


class _Workflows(Mapping[str, type[Workflow]]):
    """``scenario.name`` -> workflow class of every registered workflow (a live, read-only view of the registry)."""

    def __getitem__(self, name: str) -> type[Workflow]:
        spec = registry.get(name)
        if spec is None:
            raise KeyError(name)
        return spec.workflow

    def __iter__(self) -> Iterator[str]:
        return iter(registry.names())

    def __len__(self) -> int:
        return len(registry.names())


WORKFLOWS: Mapping[str, type[Workflow]] = _Workflows()

SECTIONS = ("team", "experts", "consults", "meetings")


def _set_fields(schema: Any) -> list[str]:
    """Dotted names of the optional scenario sections and effects that the configuration sets."""
    out = [f"scenario.{s}" for s in SECTIONS if getattr(schema, s, None) not in (None, {}, [])]
    return out + [f"scenario.effects.{k}" for k in effects.configured(schema)]


def build_scenario(schema: Any, staffing: Mapping[str, Any] | None = None) -> Scenario:
    package = getattr(schema, "package", None)
    if package:  # a workflow package that lives outside sim/scenarios/ (registry.load)
        try:
            registry.load(str(package))
        except (ImportError, LookupError) as err:
            raise ConfigError(f"scenario.package = {package!r} ({err})") from None
    name = schema.name
    spec = registry.get(name)
    if spec is None:
        raise ConfigError(f"scenario.name = {name!r} (allowed: {', '.join(sorted(registry.names()))})")
    uses = {f"scenario.{u}" for u in spec.uses}
    for dotted in _set_fields(schema):
        if dotted not in uses:
            raise ConfigError(f"{dotted} is set, but workflow {name!r} does not use it "
                              f"(it uses: {', '.join(sorted(uses)) or 'no scenario parameters'})")
    params = None
    if spec.configure is not None:
        if staffing is None:
            raise ConfigError(f"scenario.name = {name!r} (needs the validated staffing to form its team)")
        params = spec.configure(schema, staffing)
    return Scenario(name=name, description=str(schema.description), workflow=spec.workflow,
                    assumptions=tuple(getattr(spec.workflow, "structural_assumptions", ())), params=params,
                    twin=spec.twin)


def fte_plan(model: Any) -> dict[str, float]:
    """Paper FTE per organisation or team as the workflow deploys them (today's chain: the region's staffing).
    The total is what a fair comparison keeps equal."""
    plan = getattr(model.scenario.params, "fte_plan", None)
    if plan is not None:
        return dict(plan)
    return {org: st.fte for org, st in model.staffing.items()}


def by_construction(model: Any) -> dict[str, str]:
    """KPI -> why the workflow meets it by definition rather than by its work (its params' ``by_construction``;
    today's chain: none). The comparison marks these differences so that nobody reads them as findings."""
    return dict(getattr(model.scenario.params, "by_construction", None) or {})
