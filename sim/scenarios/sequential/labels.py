"""How today's chain is shown in charts and reports: the neutral reference every alternative stands out against."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Today's chain", nl="Huidige keten",
    in_sentence_en="today's chain", in_sentence_nl="de huidige keten",
    description_en="Sequential hand-offs, a new queue and intake at every organisation",
    description_nl="Overdrachten na elkaar, bij elke organisatie een nieuwe wachtrij en intake",
    colour="grey", dash="-", marker="o", hatch="", order=0,
)
