"""Pilot Blijvend Veilig (Amsterdam-Amstelland): one neighbourhood team that also takes on the adults' problems.

Read beside seed 002 ("Hoe werkt het als we onze blik verbreden naar de gezins- en volwassenenproblematiek? En
als we alle partners uit de keten gewoon in een wijkgericht team zetten?"; "Waarom zou je hulpverlening
inzetten, als schulden blijven? Dan is er een grote oorzaak nog steeds niet weggenomen") and domain.md 1e (police:
~80 % of their meldingen are herhaalmeldingen). Everything else is today's chain (``sim/scenarios/sequential``).

    voluntary help by the neighbourhood team (the buurtteam's pool and staff) takes longer, because it also works
        on debts and the adults' problems: each help episode x effects.help_duration_factor (same draws as today)
    an episode in which the family had that help returns less often: the re-entry probability
        (families.reentry_probability) x (1 - effects.reentry_reduction)

Both effects are assumptions (``conf/scenario/blijvend_veilig.yaml``): the pilot published no numbers
(domain.md 1e). Cost: longer episodes hold buurtteam places longer, so at equal FTE the neighbourhood team's
waiting list is the price of fewer returns. Staff: unchanged; the debt counsellors' own time (municipal
schuldhulpverlening) is outside the chain's FTE and not modelled. With both effects neutral (factor 1,
reduction 0) this is today's chain, bit for bit. Its parameters: ``params.py``.
"""

from __future__ import annotations

from sim.chain.entities import Family
from sim.kernel.streams import Sampler
from sim.scenarios.blijvend_veilig.params import BlijvendVeiligParams
from sim.scenarios.sequential import Sequential


class ScaledSampler:
    """The draws of an existing stream times a factor: the same families get proportionally longer help."""

    __slots__ = ("_base", "_factor")

    def __init__(self, base: Sampler, factor: float) -> None:
        self._base, self._factor = base, factor

    def next(self) -> float:
        return self._base.next() * self._factor


class BlijvendVeilig(Sequential):
    name = "blijvend_veilig"
    structural_assumptions = (
        ("structure.reentry_scope", "episodes with help from the neighbourhood team",
         "assumption: only episodes in which the family had voluntary help return less often"),
    )

    def build(self) -> None:
        super().build()
        p: BlijvendVeiligParams = self.model.scenario.params
        self.params = p
        self.buurtteam.help_time = ScaledSampler(self.buurtteam.help_time, p.effects.help_duration_factor)
        self.reentry_after_help = self.model.reentry_probability * (1.0 - p.effects.reentry_reduction)

    def close(self, fam: Family, outcome: str) -> None:
        helped = fam.buurtteam_start == fam.buurtteam_start  # not NaN: the neighbourhood team helped this episode
        # Workflow.close reads this attribute: set it for this episode only
        self.reentry_probability = self.reentry_after_help if helped else self.model.reentry_probability
        super().close(fam, outcome)
