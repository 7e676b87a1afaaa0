"""Today's sequential chain ("huidige keten"): the reference every other workflow is compared with.

``process.py`` the chain, ``today.py`` where today's open cases stand in it, ``twin.py`` its analytic flow model,
``labels.py`` how it is shown. It has no parameters of its own (``conf/scenario/sequential.yaml``).
"""

from sim.scenarios.registry import WorkflowSpec
from sim.scenarios.sequential import twin
from sim.scenarios.sequential.labels import LABELS
from sim.scenarios.sequential.process import Sequential

WORKFLOW = WorkflowSpec(name="sequential", workflow=Sequential, labels=LABELS, twin=twin.flows)

__all__ = ["WORKFLOW", "Sequential"]
