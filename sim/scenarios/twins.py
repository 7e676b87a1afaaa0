"""What the workflows' analytic twins share: the names of the chain's pools and the places rule on arrays.

A twin (``sim/scenarios/<workflow>/twin.py``) lists every route a family episode can take in its workflow, with its
probability, the places it holds and the waits and activities on its way, as :class:`sim.kernel.flows.Trace` objects;
``sim/analysis/screening.py`` turns them into offered loads, waits and lead times. Each twin mirrors its workflow's process
decision by decision and states there how it approximates what the simulation runs at once.

Several organisations of a kind (``region.units``): a route forks over the family's Veilig Thuis organisation
(catchment shares) when it first reaches Veilig Thuis and over its GI (the GIs' shares) when it first reaches the
GI, and then uses that organisation's pools (``veilig_thuis.triage[<name>]``, ``gi[<name>]``, places as the actors
build them: :func:`sim.chain.model.unit_places`, here :func:`unit_places_of`) and, at Veilig Thuis, its own triage
routing if it has one. Sizing keeps the kind's total FTE as its knob (``staffing.<kind>.fte``); each organisation
gets its share of it.

Every number comes from the validated model (routing, durations, measures, staffing); nothing is set here.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from sim.kernel.flows import Trace

VT_TRIAGE, VT_CASUS, BT, RVDK, GI = "veilig_thuis.triage", "veilig_thuis.casus", "buurtteam", "rvdk", "gi"
TEAM, TEAM_DESK = "veiligheidsteam", "veiligheidsteam.triage"

Paths = Iterator[tuple[Trace, float]]  # (a finished route, its rate in episodes per day)


def unit_places_of(avail: np.ndarray, shares: list[float], caseloads: list[float]) -> list[np.ndarray]:
    """``sim.chain.model.unit_places`` on arrays of available FTE (``Staffing.slots``: rounded half to even)."""
    return [np.rint(avail * share * caseload) for share, caseload in zip(shares, caseloads)]
