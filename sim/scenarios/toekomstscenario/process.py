"""Toekomstscenario kind- en gezinsbescherming: a lokaal team with a vast gezicht plus a regionaal veiligheidsteam.

Read beside seed 002 (the ministry magazine on the Toekomstscenario for the Tweede Kamer: four pillars,
"vaste professionals betrokken blijven bij een gezin. Zij vragen dan om extra hulp en kennis als dat nodig is";
"rechtsbeschermend ... de rechterlijke bescherming moet gewaarborgd blijven") and domain.md 2b (Lokaal Team with
one vast gezicht; a Regionaal Veiligheidsteam combining the functions of the GI, Veilig Thuis and the RvdK's
advice; the vast gezicht works in a duo with a professional of that team when safety is at stake).

It is the integrated workflow (``sim/scenarios/integrated``) with three differences, all set in
``conf/scenario/toekomstscenario.yaml``:
- voluntary help stays with the lokaal team (``team.holds_voluntary: []``): direct requests and overdrachten go
  there as today;
- the duo is the lokaal team's vast gezicht (a buurtteam place) plus one professional of the regionaal
  veiligheidsteam (``team.vast_gezicht: true``): when the lokaal team's help fails, the vast gezicht brings the
  team in without a hand-off or a new story, and when voluntary help suffices again the team professional steps
  back while the vast gezicht stays;
- the lokaal team keeps its FTE (``team.share.buurtteam: 0``) and receives part of the GI's (``team.lokaal_team``):
  a vast gezicht for every family the veiligheidsteam holds costs the lokaal team places for the whole trajectory,
  including measures, and the vast gezicht takes over much of the family contact a jeugdbeschermer has today; the
  regionaal veiligheidsteam is formed from Veilig Thuis and the rest of the GI, the RvdK's advice joins as consults.
The RvdK's independent judgement and the court stay as in ``sim/scenarios/integrated``.
"""

from __future__ import annotations

from sim.scenarios.integrated import Integrated


class Toekomstscenario(Integrated):
    name = "toekomstscenario"
