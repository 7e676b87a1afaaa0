"""How the pilot Samen in Crisis (Rotterdam) is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Samen in Crisis", nl="Samen in Crisis",
    description_en="Rood meldingen to one joint crisis MDO (VT, GI, RvdK, vertrouwensarts at once)",
    description_nl="Rode meldingen naar één gezamenlijk crisis-MDO (VT, GI, Raad en vertrouwensarts tegelijk)",
    colour="vermillion", dash="-.", marker="^", hatch="\\\\", order=2,
)
