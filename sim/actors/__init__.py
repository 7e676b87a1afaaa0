"""One module per organisation of the youth-protection chain.

Each actor owns its capacity (caseload pools) and its own random streams, and exposes the steps the
organisation performs as methods that take a family and a continuation ``then(family, outcome)``. The actors
do not know each other: the workflow in ``sim/scenarios/`` decides where a family goes next.
"""
