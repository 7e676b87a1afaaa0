"""The integrated workflow: one team (Veiligheidsteam / regionaal veiligheidsteam) instead of four waiting lists.

``process.py`` the process, ``params.py`` its parameters and assumed effects, ``today.py`` where today's open
cases stand in it, ``twin.py`` its analytic flow model, ``labels.py`` how it is shown. Workflows built on it
(``toekomstscenario``, ``ketenversnelling``) import this package.
"""

from sim.scenarios.integrated import params, twin
from sim.scenarios.integrated.labels import LABELS
from sim.scenarios.integrated.process import Integrated
from sim.scenarios.registry import WorkflowSpec

WORKFLOW = WorkflowSpec(name="integrated", workflow=Integrated, labels=LABELS, configure=params.configure,
                        sections=params.SECTIONS, effects=params.IntegratedEffects, twin=twin.flows)

__all__ = ["WORKFLOW", "Integrated"]
