"""The workflows the model knows: one descriptor per workflow package, found by discovery or registered by hand.

A workflow is a package (``sim/scenarios/<name>/``) whose ``__init__.py`` exports ``WORKFLOW``, a
:class:`WorkflowSpec`: its name (the ``scenario.name`` of its YAML file), its process (the ``Workflow``
subclass), how it validates its own parameters (``configure``, its sections of ``scenario.*`` and its effects
dataclass), its analytic twin (``twin(model) -> FlowModel`` for screening, sizing and capacity; None: it has
none) and its labels (names in English and Dutch, colour, line style, order in charts and tables).

Nothing outside this module lists the workflows: validation (``sim.scenarios.build_scenario``), the analytic
tools (through ``Scenario.twin``) and the charts (``sim.report.style``) ask the registry. Two ways in:

* **discovery**: every sub-package of ``sim.scenarios`` that exports ``WORKFLOW`` is registered the first time
  the registry is asked (:func:`specs`), in package-name order;
* **by hand**: :func:`register` takes a descriptor from anywhere (a package outside ``sim/``, a test), and
  :func:`load` imports a module by its dotted name and registers its ``WORKFLOW``
  (``registry.load("my_pkg.my_workflow")``). A registered name is then valid for ``scenario.name``.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, fields
from typing import Any, Callable, Mapping

from sim.scenarios.base import Workflow

Dash = str | tuple[float, tuple[float, ...]]  # a matplotlib line style: "-", "--" or (offset, (on, off, ...))


@dataclass(frozen=True)
class Labels:
    """How a workflow is shown: names in both languages, its fixed colour and line style, its place in order.

    ``colour`` is an Okabe-Ito colour name (``sim.report.style.OKABE_ITO``), ``"grey"`` (today's chain) or a
    ``#rrggbb`` value. ``in_sentence_*``: how the name reads inside a sentence ("today's chain"); empty: the name.
    ``order``: charts and tables list workflows by it (unknown workflows after, alphabetically)."""

    en: str
    nl: str
    colour: str
    dash: Dash = "-"
    marker: str = "o"
    hatch: str = ""
    order: int = 100
    description_en: str = ""
    description_nl: str = ""
    in_sentence_en: str = ""
    in_sentence_nl: str = ""

    def name(self, lang: str, in_sentence: bool = False) -> str:
        own = self.in_sentence_nl if lang == "nl" else self.in_sentence_en
        if in_sentence and own:
            return own
        return self.nl if lang == "nl" else self.en


@dataclass(frozen=True)
class WorkflowSpec:
    """One workflow: what ``scenario.name = <name>`` runs, validates, screens and shows.

    ``configure(schema, staffing) -> params``: validates the workflow's sections of ``scenario.*`` (once, at the
    gate) and returns them frozen (``Scenario.params``); None: the workflow has no parameters. ``sections``: the
    optional sections of ``scenario.*`` it reads; ``effects``: the dataclass of its assumed effects
    (``sim.scenarios.effects``), whose fields are the ``scenario.effects.*`` keys it reads. Any other section or
    effect set in the configuration is an error, not a silent no-op. ``twin(model)``: its analytic flow model."""

    name: str
    workflow: type[Workflow]
    labels: Labels
    configure: Callable[[Any, Mapping[str, Any]], Any] | None = None
    sections: tuple[str, ...] = ()
    effects: type | None = None
    twin: Callable[[Any], Any] | None = None

    @property
    def uses(self) -> tuple[str, ...]:
        """The sections and effects it reads, as dotted names below ``scenario.``."""
        own = tuple(f"effects.{f.name}" for f in fields(self.effects)) if self.effects is not None else ()
        return self.sections + own


_REGISTERED: dict[str, WorkflowSpec] = {}
_discovered = False


def register(spec: WorkflowSpec) -> WorkflowSpec:
    """Make ``spec`` known under ``spec.name`` (again: the newer descriptor replaces the older one)."""
    if not isinstance(spec, WorkflowSpec):
        raise TypeError(f"register() needs a WorkflowSpec, not {type(spec).__name__}")
    _REGISTERED[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    """Forget a workflow registered by hand (tests that register a toy workflow clean up with this)."""
    _REGISTERED.pop(name, None)


def load(module: str) -> WorkflowSpec:
    """Import ``module`` (a dotted name on ``sys.path``) and register the ``WORKFLOW`` it exports."""
    spec = getattr(importlib.import_module(module), "WORKFLOW", None)
    if not isinstance(spec, WorkflowSpec):
        raise LookupError(f"{module} exports no WORKFLOW descriptor (sim.scenarios.registry.WorkflowSpec)")
    return register(spec)


def _discover() -> None:
    """Register every sub-package of ``sim.scenarios`` that exports ``WORKFLOW`` (once per process)."""
    global _discovered
    if _discovered:
        return
    _discovered = True  # set first: a package that imports its parent package's descriptor must not recurse
    package = importlib.import_module("sim.scenarios")
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        spec = getattr(importlib.import_module(f"sim.scenarios.{info.name}"), "WORKFLOW", None)
        if isinstance(spec, WorkflowSpec):
            _REGISTERED.setdefault(spec.name, spec)


def specs() -> dict[str, WorkflowSpec]:
    """Every known workflow by name, in the house order (``Labels.order``, then name)."""
    _discover()
    return {s.name: s for s in sorted(_REGISTERED.values(), key=lambda s: (s.labels.order, s.name))}


def get(name: str) -> WorkflowSpec | None:
    """The descriptor of workflow ``name``, or None."""
    return specs().get(name)


def names() -> tuple[str, ...]:
    return tuple(specs())
