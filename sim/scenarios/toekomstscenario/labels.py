"""How the Toekomstscenario is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Toekomstscenario", nl="Toekomstscenario",
    description_en="Lokaal team with a vast gezicht + regionaal veiligheidsteam (VT, RvdK-advice, GI functions)",
    description_nl="Lokaal team met een vast gezicht + regionaal veiligheidsteam (functies van VT, Raad-advies en GI)",
    colour="reddish_purple", dash=(0, (8, 2)), marker="P", hatch="--", order=5,
)
