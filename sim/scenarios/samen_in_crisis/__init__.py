"""Pilot Samen in Crisis (Rotterdam): rood meldingen go to one joint crisis MDO instead of three crisis teams.

``process.py`` the process (today's chain with the MDO), ``params.py`` its parameters and assumed effects,
``labels.py`` how it is shown. Today's open cases stand as in today's chain; it has no analytic twin (the
simulation answers for it).
"""

from sim.scenarios.registry import WorkflowSpec
from sim.scenarios.samen_in_crisis import params
from sim.scenarios.samen_in_crisis.labels import LABELS
from sim.scenarios.samen_in_crisis.process import SamenInCrisis

WORKFLOW = WorkflowSpec(name="samen_in_crisis", workflow=SamenInCrisis, labels=LABELS, configure=params.configure,
                        sections=params.SECTIONS, effects=params.SamenInCrisisEffects)

__all__ = ["WORKFLOW", "SamenInCrisis"]
