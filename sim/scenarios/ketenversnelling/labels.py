"""How the pilot Ketenversnelling (Utrecht Overvecht) is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Ketenversnelling (Overvecht)", nl="Ketenversnelling (Overvecht)",
    description_en="The Veiligheidsteam of Utrecht Overvecht: the integrated team for one neighbourhood",
    description_nl="Het Veiligheidsteam van Utrecht Overvecht: het geïntegreerde team voor één wijk",
    colour="sky_blue", dash=(0, (1, 2)), marker="X", hatch="++", order=6,
)
