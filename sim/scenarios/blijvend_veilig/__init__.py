"""Pilot Blijvend Veilig (Amsterdam-Amstelland): all partners in one neighbourhood team that treats adult problems.

``process.py`` the process (the integrated workflow's team, which also treats the adults' problems as a root cause
and has an alternative to a VOTS and an uithuisplaatsing), ``params.py`` its parameters and assumed effects,
``labels.py`` how it is shown. Today's open cases stand as in the integrated workflow (``integrated/today.py``); it
has no analytic twin (the integrated twin knows no adult problems).
"""

from sim.scenarios.blijvend_veilig import params
from sim.scenarios.blijvend_veilig.labels import LABELS
from sim.scenarios.blijvend_veilig.process import BlijvendVeilig
from sim.scenarios.registry import WorkflowSpec

WORKFLOW = WorkflowSpec(name="blijvend_veilig", workflow=BlijvendVeilig, labels=LABELS, configure=params.configure,
                        sections=params.SECTIONS, effects=params.BlijvendVeiligEffects)

__all__ = ["WORKFLOW", "BlijvendVeilig"]
