"""Pilot Blijvend Veilig (Amsterdam-Amstelland): one neighbourhood team that also takes on the adults' problems.

``process.py`` the process (today's chain with longer help and fewer returns), ``params.py`` its assumed effects,
``labels.py`` how it is shown. Today's open cases stand as in today's chain; it has no analytic twin.
"""

from sim.scenarios.blijvend_veilig import params
from sim.scenarios.blijvend_veilig.labels import LABELS
from sim.scenarios.blijvend_veilig.process import BlijvendVeilig
from sim.scenarios.registry import WorkflowSpec

WORKFLOW = WorkflowSpec(name="blijvend_veilig", workflow=BlijvendVeilig, labels=LABELS, configure=params.configure,
                        effects=params.BlijvendVeiligEffects)

__all__ = ["WORKFLOW", "BlijvendVeilig"]
