"""How the pilot Jeugdbescherming Utrecht-West is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Utrecht-West early table", nl="Utrecht-West vroege tafel",
    description_en="Joint early table led by the lokaal team; fewer SAVE-begeleidingen, VT onderzoeken and Raad "
                   "requests",
    description_nl="Gezamenlijke vroege tafel onder regie van het lokale team; minder SAVE-begeleidingen, "
                   "VT-onderzoeken en verzoeken aan de Raad",
    colour="bluish_green", dash=":", marker="D", hatch="..", order=3,
)
