"""Pilot Jeugdbescherming Utrecht-West: a joint early assessment table led by the lokaal team.

``process.py`` the process (today's chain with the table), ``params.py`` its parameters and assumed effects,
``labels.py`` how it is shown. Today's open cases stand as in today's chain; it has no analytic twin.
"""

from sim.scenarios.registry import WorkflowSpec
from sim.scenarios.utrecht_west import params
from sim.scenarios.utrecht_west.labels import LABELS
from sim.scenarios.utrecht_west.process import UtrechtWest

WORKFLOW = WorkflowSpec(name="utrecht_west", workflow=UtrechtWest, labels=LABELS, configure=params.configure,
                        sections=params.SECTIONS, effects=params.UtrechtWestEffects)

__all__ = ["WORKFLOW", "UtrechtWest"]
