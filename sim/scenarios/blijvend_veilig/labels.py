"""How the pilot Blijvend Veilig (Amsterdam-Amstelland) is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Blijvend Veilig", nl="Blijvend Veilig",
    description_en="All partners in one neighbourhood team that treats adult problems (debts) as a root cause",
    description_nl="Alle ketenpartners in één wijkteam dat volwassenenproblemen (schulden) als oorzaak aanpakt",
    colour="orange", dash=(0, (5, 1, 1, 1, 1, 1)), marker="v", hatch="xx", order=4,
)
