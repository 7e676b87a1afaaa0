"""How the integrated workflow is shown in charts and reports."""

from sim.scenarios.registry import Labels

LABELS = Labels(
    en="Integrated team", nl="Geïntegreerd team",
    in_sentence_en="the integrated team", in_sentence_nl="het geïntegreerde team",
    description_en="Joint triage, a fixed duo per family, expert consults in parallel; RvdK judgement and court "
                   "stay",
    description_nl="Gezamenlijke triage, een vast duo per gezin, experts parallel geraadpleegd; Raad en rechter blijven",
    colour="blue", dash="--", marker="s", hatch="//", order=1,
)
