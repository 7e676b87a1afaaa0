"""How the pilot Jeugdbescherming Utrecht-West is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Utrecht-West early table", nl="Utrecht-West vroege tafel",
    description_en="Joint early assessment table for oranje/rood meldingen; fewer VT onderzoeken and Raad requests",
    description_nl="Gezamenlijke vroege beoordelingstafel voor oranje/rode meldingen; minder VT-onderzoeken en "
                   "verzoeken aan de Raad",
    colour="bluish_green", dash=":", marker="D", hatch="..", order=3,
)
