"""Pilot Ketenversnelling (Utrecht Overvecht): the integrated workflow at neighbourhood scale.

Its process, parameters and analytic twin are the integrated workflow's (``sim/scenarios/integrated``), set for
one neighbourhood in ``conf/scenario/ketenversnelling.yaml``. ``labels.py``: how it is shown.
"""

from sim.scenarios import integrated
from sim.scenarios.ketenversnelling.labels import LABELS
from sim.scenarios.ketenversnelling.process import Ketenversnelling
from sim.scenarios.registry import WorkflowSpec

WORKFLOW = WorkflowSpec(name="ketenversnelling", workflow=Ketenversnelling, labels=LABELS,
                        configure=integrated.params.configure, sections=integrated.params.SECTIONS,
                        effects=integrated.params.IntegratedEffects, twin=integrated.twin.flows)

__all__ = ["WORKFLOW", "Ketenversnelling"]
