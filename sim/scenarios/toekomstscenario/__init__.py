"""Toekomstscenario kind- en gezinsbescherming: the integrated workflow with a vast gezicht in the lokaal team.

Its process and parameters are the integrated workflow's (``sim/scenarios/integrated``), set differently in
``conf/scenario/toekomstscenario.yaml``; the integrated twin refuses a team with a vast gezicht, so screening says
it has none. ``labels.py``: how it is shown.
"""

from sim.scenarios import integrated
from sim.scenarios.registry import WorkflowSpec
from sim.scenarios.toekomstscenario.labels import LABELS
from sim.scenarios.toekomstscenario.process import Toekomstscenario

WORKFLOW = WorkflowSpec(name="toekomstscenario", workflow=Toekomstscenario, labels=LABELS,
                        configure=integrated.params.configure, sections=integrated.params.SECTIONS,
                        effects=integrated.params.IntegratedEffects, twin=integrated.twin.flows)

__all__ = ["WORKFLOW", "Toekomstscenario"]
