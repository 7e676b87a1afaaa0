"""How the pilot Blijvend Veilig (Amsterdam-Amstelland) is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Blijvend Veilig", nl="Blijvend Veilig",
    description_en="Neighbourhood team incl. adult problems (debts): longer help, fewer returns",
    description_nl="Wijkteam dat ook volwassenenproblemen (schulden) aanpakt: langere hulp, minder terugkeer",
    colour="orange", dash=(0, (5, 1, 1, 1, 1, 1)), marker="v", hatch="xx", order=4,
)
