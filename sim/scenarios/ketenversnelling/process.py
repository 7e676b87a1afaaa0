"""Pilot Ketenversnelling (Utrecht Overvecht): the Veiligheidsteam, the integrated workflow at neighbourhood scale.

Read beside seed 000 ("Medewerkers van de deelnemende ketenpartners (Lokalis (buurtteams), Veilig Thuis Utrecht,
SAVE, William Schrikker Stichting en de Raad voor de Kinderbescherming) vormen samen het Veiligheidsteam. Twee
medewerkers uit het team zijn en blijven betrokken bij het gezin"; "Met een beetje pech doorloop je als gezin vier
wachtlijsten binnen die ene keten") and domain.md 1e (its successor, the Expertiseteam Veiligheid Utrecht: the
buurtteam calls the team when safety concerns arise; VT meldingen taken into onderzoek enter the team).

It is the integrated workflow (``sim/scenarios/integrated``) for one neighbourhood: ``team.coverage`` is the share of
the region's families living in the pilot's area (the others follow today's chain, with the partners' remaining
staff), and the team is staffed in proportion (``team.share`` = coverage x the shares a region-wide team would
take). The buurtteam keeps voluntary help (``team.holds_voluntary: []``) and calls the Veiligheidsteam when
voluntary help fails; a fixed duo of the team holds each family it takes. Values in
``conf/scenario/ketenversnelling.yaml``; the first results of the pilot are qualitative only.
"""

from __future__ import annotations

from sim.scenarios.integrated import Integrated


class Ketenversnelling(Integrated):
    name = "ketenversnelling"
