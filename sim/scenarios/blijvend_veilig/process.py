"""Pilot Blijvend Veilig (Amsterdam-Amstelland): all partners in one neighbourhood team that treats adult problems.

Read beside seed 002 (Marjan Koopman, kwartiermaker: "Hoe werkt het als we onze blik verbreden naar de gezins- en
volwassenenproblematiek? En als we alle partners uit de keten gewoon in een wijkgericht team zetten?"; "Daar zitten
nu al alle organisaties bij elkaar in één team"; Willemijn Helmich: "Waarom zou je hulpverlening inzetten, als
schulden blijven? Dan is er een grote oorzaak nog steeds niet weggenomen"; the example family: "onderzoek, hulp,
regie. Met daarbij de inzet van lokaal team, wijkagent en reclassering. Ik denk dat we, in het oude model, ervoor
hadden gekozen via veilig thuis een VOTS ... en mogelijk uithuisplaatsing te organiseren") and domain.md 1e.

It is the integrated workflow (``sim/scenarios/integrated``: one team of the partners' staff, joint triage on one
intake form, a fixed duo per family, experts' consults in parallel, the crisis MDO, the Raad's judgement and the court
outside the team) with the partners of a neighbourhood team (``conf/scenario/blijvend_veilig.yaml``: the lokaal team,
Veilig Thuis, the GI and a share of the Raad's staff), plus what this team does differently:

    the adults' problems as a root cause: a family whose adults have problems of their own (debts, ...:
        ``Family.adult_problems``, drawn per family from the stream families.adult_problems with
        ``families.adult_problem_share``; every workflow has the same families with debts) gets, from the team,
        help that also works on them:
        - it lasts longer: the duo's help x effects.debt_help_factor (same draws, held team places for longer);
        - help that would fail (escalation) succeeds with effects.escalation_averted (stream route.root_cause);
        - an episode in which the team held the family returns less often: re-entry if the episode's uniform is
          below families.reentry_probability x (1 - effects.reentry_averted)
    the team's alternative route: in a spoed case (rood, today's routing.rood_spoed decision) the team's
        veiligheidsplan (onderzoek, hulp, regie by the duo) replaces the voorlopige OTS with effects.vots_averted
        (stream route.vots_alternative): the duo gives help whose chance to suffice is the family's own
        (families.voluntary_suffices, as for a non-acute family); when it fails it escalates inside the team (the
        Raad's judgement or a new joint assessment). A court decision for an OTS with uithuisplaatsing becomes an OTS
        at home with effects.uhp_averted (stream route.uhp_alternative)

Cost, by the same rule as every pool: the longer help holds the team's places (the team is formed from the partners'
FTE, so at equal FTE the price of fewer returns is the team's waiting list); the debt counsellors' own time
(municipal schuldhulpverlening), the wijkagent and the reclassering are outside the chain's FTE and not modelled.
With every effect at its no-effect value this is the integrated workflow with this team, bit for bit; with
``scenario.team.enabled=false`` it is today's chain, bit for bit. The attribute itself changes no other workflow:
its stream is its own and only this workflow reads it.
"""

from __future__ import annotations

from sim.chain.entities import Family
from sim.kernel.streams import Sampler
from sim.scenarios.integrated import Integrated


class ScaledSampler:
    """The draws of an existing stream times a factor set per call: the same families get proportionally longer
    help (a factor of 1 gives the very same numbers)."""

    __slots__ = ("_base", "factor")

    def __init__(self, base: Sampler) -> None:
        self._base, self.factor = base, 1.0

    def next(self) -> float:
        return self._base.next() * self.factor


class BlijvendVeilig(Integrated):
    name = "blijvend_veilig"
    structural_assumptions = Integrated.structural_assumptions + (
        ("structure.adult_problems", "a family attribute, read only by the team",
         "assumption: whether a family's adults have problems of their own is fixed per family; today's calibrated "
         "re-entry and escalation are averages over families with and without them, so only the team's treatment "
         "of the root cause changes them"),
        ("structure.alternative_route", "the duo's help with the family's own chance",
         "seed 002: 'onderzoek, hulp, regie' instead of a VOTS via Veilig Thuis; when the plan fails the family "
         "escalates inside the team as any failed help"),
    )

    def build(self) -> None:
        super().build()
        if not self.team_on:
            return
        self.help_time = ScaledSampler(self.help_time)  # the duo's help: the lokaal team's stream, scaled per family
        self.root_cause = self.streams.bernoulli("route.root_cause")
        self.vots_alternative = self.streams.bernoulli("route.vots_alternative")
        self.uhp_alternative = self.streams.bernoulli("route.uhp_alternative")
        self.on_plan: set[int] = set()  # case ids on the team's veiligheidsplan instead of a voorlopige OTS

    def treats_root_cause(self, fam: Family) -> bool:
        """The team holds the family and its adults have problems of their own: the team works on them."""
        return fam.adult_problems and self.in_team(fam)

    # ------------------------------------------------------------------ help that also works on the adults' problems
    def duo_help(self, fam: Family) -> None:
        if self.treats_root_cause(fam):
            self.log(fam, "volwassenenproblematiek", self.team.org, "start")
        self.help_time.factor = self.params.effects.debt_help_factor if self.treats_root_cause(fam) else 1.0
        super().duo_help(fam)

    def suffices(self, fam: Family) -> bool:
        if self.team_on and fam.case_id in self.on_plan and fam.escalations == 0:
            ok = fam.voluntary_u < self.voluntary_suffices  # the plan made the situation safe: the family's own chance
        else:
            ok = super().suffices(fam)
        if ok or not self.team_on or not self.treats_root_cause(fam):
            return ok
        return self.root_cause.chance(self.params.effects.escalation_averted)

    def close(self, fam: Family, outcome: str) -> None:
        held = fam.team_start == fam.team_start  # not NaN: the team held the family in this episode
        treated = self.team_on and held and self.treats_root_cause(fam)
        # Workflow.close reads this attribute: set it for this episode only
        self.reentry_probability = self.model.reentry_probability * (
            1.0 - self.params.effects.reentry_averted if treated else 1.0)
        if self.team_on:
            self.on_plan.discard(fam.case_id)
        super().close(fam, outcome)

    # ------------------------------------------------------------------ the alternative route
    def team_spoed(self, fam: Family) -> None:
        if self.vots_alternative.chance(self.params.effects.vots_averted):
            self.on_plan.add(fam.case_id)
            self.log(fam, "veiligheidsplan", self.team.org, "complete")
            self.duo_help(fam)
            return
        super().team_spoed(fam)

    def alternative_to_uhp(self, fam: Family, measure: str) -> str:
        if measure == "ots_uhp" and self.uhp_alternative.chance(self.params.effects.uhp_averted):
            self.log(fam, "alternatief_voor_uithuisplaatsing", self.team.org, "complete")
            return "ots"
        return measure

    def after_team_beschikking(self, fam: Family, measure: str) -> None:
        super().after_team_beschikking(fam, self.alternative_to_uhp(fam, measure))

    def after_team_vots_beschikking(self, fam: Family, measure: str) -> None:
        super().after_team_vots_beschikking(fam, self.alternative_to_uhp(fam, measure))
