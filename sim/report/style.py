"""The house style of every ketensim chart: fixed colours, readable type, units, and one table of terms (en / nl).

Who reads the charts: policy advisers and Members of the Tweede Kamer, often printed in grey or read by someone
with a colour-vision deficiency. Hence:

- **Colours are fixed per organisation and per workflow** across every figure (Veilig Thuis is always orange,
  today's chain always dark grey; a workflow's colour, line style and names live in its package's ``labels.py``),
  taken from the Okabe-Ito palette, which stays distinguishable for the common
  colour-vision deficiencies (Okabe & Ito 2008, https://jfly.uni-koeln.de/color/). Lines also differ in dash
  pattern and marker, so a black-and-white print still tells them apart. Yellow is left out: it is unreadable
  on white.
- **Type is large** (11 pt body at a 8-inch width, 200 dpi PNG) in DejaVu Sans, which ships with matplotlib, so
  a figure looks the same on every machine.
- **Every axis states its unit** (days, FTE, children, ...), and Dutch figures use the decimal comma.
- **Every word a reader sees comes from** :data:`TERMS`, one table with the English and the Dutch text side by
  side, so both languages always say the same thing (a workflow's names: its ``labels.py``, in both languages).
  ``lang`` is ``"en"`` or ``"nl"``.

:func:`save` writes a chart as PNG (200 dpi), SVG and PDF plus its caption as text, each file atomically.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.chain import kpis
from sim.chain.checks import ConfigError
from sim.scenarios import registry
from sim.scenarios.registry import Labels

LANGS: tuple[str, ...] = ("en", "nl")

# ====================================================================== colours (Okabe-Ito)

OKABE_ITO: dict[str, str] = {
    "black": "#000000", "orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7",
}
GREY = "#555555"  # today's chain: neutral, so every alternative stands out against it; readable under error bars
LIGHT_GREY = "#BBBBBB"
NORM_COLOUR = "#333333"
UNKNOWN_COLOUR = "#999999"  # an organisation or workflow added later and not yet given a colour here

ORG_ORDER: tuple[str, ...] = ("buurtteam", "veilig_thuis", "rvdk", "kinderrechter", "gi", "veiligheidsteam",
                              "expertise")
ORG_COLOURS: dict[str, str] = {
    "buurtteam": OKABE_ITO["bluish_green"],
    "veilig_thuis": OKABE_ITO["orange"],
    "rvdk": OKABE_ITO["blue"],
    "kinderrechter": OKABE_ITO["black"],
    "gi": OKABE_ITO["vermillion"],
    "veiligheidsteam": OKABE_ITO["reddish_purple"],
    "expertise": OKABE_ITO["sky_blue"],
}

BAND_ALPHA = 0.22  # confidence bands: light enough to see lines through, dark enough to print
HEATMAP_CMAP = "cividis"  # perceptually uniform and designed for colour-vision deficiencies


def org_colour(org: str) -> str:
    return ORG_COLOURS.get(org, UNKNOWN_COLOUR)


class _WorkflowStyle(Mapping[str, Any]):
    """One property of every registered workflow's labels (``sim/scenarios/<name>/labels.py``), by name: a live,
    read-only view of the registry, so a workflow registered later has its style too."""

    def __init__(self, pick: Callable[[Labels], Any]) -> None:
        self._pick = pick

    def __getitem__(self, name: str) -> Any:
        spec = registry.get(name)
        if spec is None:
            raise KeyError(name)
        return self._pick(spec.labels)

    def __iter__(self) -> Iterator[str]:
        return iter(registry.names())

    def __len__(self) -> int:
        return len(registry.names())


def palette_colour(colour: str) -> str:
    """A colour as a workflow's labels state it: an Okabe-Ito name, ``grey`` (today's chain) or ``#rrggbb``."""
    return GREY if colour == "grey" else OKABE_ITO.get(colour, colour)


WORKFLOW_COLOURS: Mapping[str, str] = _WorkflowStyle(lambda lab: palette_colour(lab.colour))
WORKFLOW_DASHES: Mapping[str, Any] = _WorkflowStyle(lambda lab: lab.dash)
WORKFLOW_MARKERS: Mapping[str, str] = _WorkflowStyle(lambda lab: lab.marker)
WORKFLOW_HATCHES: Mapping[str, str] = _WorkflowStyle(lambda lab: lab.hatch)


def workflow_order() -> tuple[str, ...]:
    """The registered workflows in the house order (``Labels.order``)."""
    return registry.names()


def workflow_colour(name: str) -> str:
    return WORKFLOW_COLOURS.get(name, UNKNOWN_COLOUR)


def workflow_dash(name: str):
    return WORKFLOW_DASHES.get(name, "-")


def workflow_marker(name: str) -> str:
    return WORKFLOW_MARKERS.get(name, "o")


def workflow_hatch(name: str) -> str:
    return WORKFLOW_HATCHES.get(name, "")


def ordered(names: Iterable[str], order: Sequence[str]) -> list[str]:
    """``names`` in the house order (known ones first, in ``order``; others after, alphabetically)."""
    names = list(dict.fromkeys(names))
    return [n for n in order if n in names] + sorted(n for n in names if n not in order)


# ====================================================================== the table of terms

# key -> (English, Dutch). Placeholders in braces are filled by term(key, lang, **values).
TERMS: dict[str, tuple[str, str]] = {
    # ---- organisations
    "org.buurtteam": ("Neighbourhood team (buurtteam)", "Buurtteam (lokaal team)"),
    "org.veilig_thuis": ("Veilig Thuis", "Veilig Thuis"),
    "org.rvdk": ("Child Protection Board (Raad)", "Raad voor de Kinderbescherming"),
    "org.kinderrechter": ("Juvenile court (kinderrechter)", "Kinderrechter"),
    "org.gi": ("Youth protection agency (GI)", "Gecertificeerde instelling (GI)"),
    "org.veiligheidsteam": ("Integrated team (Veiligheidsteam)", "Veiligheidsteam"),
    "org.expertise": ("Experts on call", "Experts op afroep"),
    # ---- short names (axis labels)
    "orgs.buurtteam": ("Buurtteam", "Buurtteam"), "orgs.veilig_thuis": ("Veilig Thuis", "Veilig Thuis"),
    "orgs.rvdk": ("Raad", "Raad"), "orgs.kinderrechter": ("Court", "Kinderrechter"), "orgs.gi": ("GI", "GI"),
    "orgs.veiligheidsteam": ("Team", "Team"), "orgs.expertise": ("Experts", "Experts"),
    # ---- what an organisation's waiting list counts (its own unit: CONTRIBUTING rule 6)
    "unit.buurtteam": ("families", "gezinnen"),
    "unit.veilig_thuis": ("meldingen and families", "meldingen en gezinnen"),
    "unit.rvdk": ("children", "kinderen"),
    "unit.kinderrechter": ("children", "kinderen"),
    "unit.gi": ("children", "kinderen"),
    "unit.veiligheidsteam": ("team places (a duo = 2)", "teamplaatsen (een duo = 2)"),
    "unit.expertise": ("consults and meetings", "consulten en overleggen"),
    # ---- regions
    "region.gelderland": ("Gelderland", "Gelderland"),
    "region.national": ("the Netherlands", "Nederland"),
    "region.demo": ("demo region (illustrative, not a real region)", "demoregio (fictief, geen echte regio)"),
    # ---- KPIs (report tables and figure rows)
    # censoring-aware (families still waiting included, Kaplan-Meier); the horizon is kpis.LEAD_TIME_HORIZON_DAYS
    "kpi.lead_time_help_rmst_365": ("Days from melding to start of help, mean over the first year (waiting families "
                                    "included)", "Dagen van melding tot start hulp, gemiddeld over het eerste jaar "
                                    "(wachtende gezinnen meegeteld)"),
    "kpi.lead_time_help_km_median": ("Days from melding to start of help, median (waiting families included)",
                                     "Dagen van melding tot start hulp, mediaan (wachtende gezinnen meegeteld)"),
    "kpi.lead_time_help_km_p90": ("Days from melding to start of help, 90% of families within (waiting families "
                                  "included)", "Dagen van melding tot start hulp, waarbinnen 90% van de gezinnen "
                                  "(wachtende gezinnen meegeteld)"),
    "kpi.lead_time_measure_rmst_365": ("Days from melding to the jeugdbeschermer, mean over the first year (waiting "
                                       "families included)", "Dagen van melding tot de jeugdbeschermer, gemiddeld "
                                       "over het eerste jaar (wachtende gezinnen meegeteld)"),
    "kpi.lead_time_measure_km_median": ("Days from melding to the jeugdbeschermer, median (waiting families "
                                        "included)", "Dagen van melding tot de jeugdbeschermer, mediaan (wachtende "
                                        "gezinnen meegeteld)"),
    "kpi.lead_time_measure_km_p90": ("Days from melding to the jeugdbeschermer, 90% within (waiting families "
                                     "included)", "Dagen van melding tot de jeugdbeschermer, waarbinnen 90% "
                                     "(wachtende gezinnen meegeteld)"),
    # over completed episodes only: secondary
    "kpi.lead_time_help_mean": ("Days from melding to start of help, mean (completed episodes only)",
                                "Dagen van melding tot start hulp, gemiddeld (alleen afgeronde)"),
    "kpi.lead_time_help_median": ("Days from melding to start of help, median (completed episodes only)",
                                  "Dagen van melding tot start hulp, mediaan (alleen afgeronde)"),
    "kpi.lead_time_help_p90": ("Days from melding to start of help, 90% of families within (completed episodes only)",
                               "Dagen van melding tot start hulp, waarbinnen 90% van de gezinnen (alleen afgeronde)"),
    "kpi.lead_time_measure_mean": ("Days from melding to the jeugdbeschermer, mean (completed episodes only)",
                                   "Dagen van melding tot de jeugdbeschermer, gemiddeld (alleen afgeronde)"),
    "kpi.lead_time_measure_p90": ("Days from melding to the jeugdbeschermer, 90% within (measures at the GI only)",
                                  "Dagen van melding tot de jeugdbeschermer, waarbinnen 90% (alleen maatregelen bij de GI)"),
    "kpi.share_triage_within_norm": ("Safety assessment within 5 working days", "Veiligheidsbeoordeling binnen 5 werkdagen"),
    "kpi.share_vt_onderzoek_within_norm": ("Veilig Thuis investigation within 10 weeks", "Onderzoek Veilig Thuis binnen 10 weken"),
    "kpi.share_rvdk_wait_within_norm": ("Raad starts within 10 days", "Raad start binnen 10 dagen"),
    "kpi.share_gi_within_norm": ("Jeugdbeschermer within the norm after the measure",
                                 "Jeugdbeschermer binnen de norm na de maatregel"),
    "kpi.share_chain_within_norm": ("Melding to jeugdbeschermer within 152 days", "Melding tot jeugdbeschermer binnen 152 dagen"),
    "kpi.rvdk_wait_mean": ("Days waiting for the Raad, mean", "Dagen wachten op de Raad, gemiddeld"),
    "kpi.gi_wait_mean": ("Days from measure to jeugdbeschermer, mean", "Dagen van maatregel tot jeugdbeschermer, gemiddeld"),
    "kpi.handoffs_per_family": ("Hand-offs between organisations per family", "Overdrachten tussen organisaties per gezin"),
    "kpi.stories_told_per_family": ("Times a family tells its story", "Keren dat een gezin zijn verhaal vertelt"),
    "kpi.intakes_per_family": ("Intakes per family", "Intakes per gezin"),
    "kpi.intake_hours_per_family": ("Staff hours of intakes per family", "Uren intake per gezin"),
    "kpi.meeting_hours_per_family": ("Staff hours in joint meetings per family", "Uren overleg per gezin"),
    "kpi.consult_hours_per_family": ("Staff hours of expert consults per family", "Uren consult per gezin"),
    "kpi.staff_hours_per_family": ("Staff hours of intakes, meetings and consults per family",
                                   "Uren intake, overleg en consult per gezin"),
    "kpi.families_per_year": ("Family episodes per year", "Gezinstrajecten per jaar"),
    "kpi.share_reached_help": ("Share of families that started help", "Aandeel gezinnen dat hulp kreeg"),
    "kpi.share_censored": ("Share of families still open at the end", "Aandeel gezinnen nog lopend aan het eind"),
    "kpi.vt_meldingen_per_year": ("Meldingen assessed by Veilig Thuis per year", "Meldingen beoordeeld door Veilig Thuis per jaar"),
    "kpi.gi_voluntary_per_year": ("Voluntary GI begeleidingen per year (drang, no measure)",
                                   "Vrijwillige begeleidingen GI per jaar (drang, geen maatregel)"),
    "kpi.vt_onderzoeken_per_year": ("Veilig Thuis investigations per year", "Onderzoeken Veilig Thuis per jaar"),
    "kpi.rvdk_onderzoeken_per_year": ("Raad investigations started per year (children)",
                                      "Raadsonderzoeken gestart per jaar (kinderen)"),
    "kpi.verzoeken_per_year": ("Requests to the court per year (children)", "Verzoeken aan de kinderrechter per jaar (kinderen)"),
    "kpi.new_measures_per_year": ("New measures per year (children)", "Nieuwe maatregelen per jaar (kinderen)"),
    "kpi.fte_total": ("Staff in the chain (FTE)", "Personeel in de keten (fte)"),
    "kpi.crisis_escalations_per_1000": ("Families turning rood while waiting, per 1,000 families",
                                        "Gezinnen die tijdens het wachten rood werden, per 1.000 gezinnen"),
    "kpi.colour_steps_per_1000": ("Colour steps while waiting, per 1,000 families",
                                  "Verslechteringen (kleurstappen) tijdens het wachten, per 1.000 gezinnen"),
    "kpi.voorlopige_ots_per_year": ("Voorlopige OTS per year (children)", "Voorlopige OTS per jaar (kinderen)"),
    "kpi.uithuisplaatsingen_per_year": ("Measures with uithuisplaatsing per year (children)",
                                        "Maatregelen met uithuisplaatsing per jaar (kinderen)"),
    "kpi.aged_out_per_year": ("Measures ended at the child's 18th birthday per year (children)",
                              "Maatregelen beëindigd bij meerderjarigheid per jaar (kinderen)"),
    "kpi.vervolgmeldingen_per_year": ("Vervolgmeldingen per year", "Vervolgmeldingen per jaar"),
    "kpi.share_vervolgmeldingen": ("Share of vervolgmeldingen among Veilig Thuis meldingen",
                                   "Aandeel vervolgmeldingen in de meldingen bij Veilig Thuis"),
    "kpi.dropouts_per_1000": ("Families leaving a waiting list, per 1,000 families",
                              "Gezinnen die van een wachtlijst afvielen, per 1.000 gezinnen"),
    "kpi.waiting_list_org": ("Waiting list, {org}", "Wachtlijst, {org}"),
    # ---- units in tables
    "u.days": ("days", "dagen"), "u.share": ("%", "%"), "u.count": ("per family", "per gezin"),
    "u.hours": ("hours", "uren"), "u.per year": ("per year", "per jaar"), "u.children/year": ("children per year", "kinderen per jaar"),
    "u.cases": ("cases", "zaken"), "u.FTE": ("FTE", "fte"), "u.places": ("places", "plaatsen"),
    "u.ratio": ("x the norm", "x de norm"),
    "u.cases/year": ("cases per year", "zaken per jaar"),
    "u.per 1,000 families": ("per 1,000 families", "per 1.000 gezinnen"),
    "u.flag": ("share of replications", "aandeel replicaties"),
    # ---- axes
    "ax.days_since_melding": ("Days since the melding", "Dagen sinds de melding"),
    "ax.share_helped": ("Families whose help has started (%)", "Gezinnen bij wie de hulp is gestart (%)"),
    "ax.waiting": ("Waiting ({unit})", "Wachtend ({unit})"),
    "ax.date": ("Date", "Datum"),
    "ax.months": ("Months since the start of the observed period", "Maanden sinds het begin van de meetperiode"),
    "ax.per_family": ("Per family (mean)", "Per gezin (gemiddeld)"),
    "ax.hours_per_family": ("Staff hours per family (mean)", "Uren personeel per gezin (gemiddeld)"),
    "ax.share_families": ("Share of families (%)", "Aandeel gezinnen (%)"),
    "ax.times_story": ("Times the family told its story", "Keren dat het gezin zijn verhaal vertelde"),
    "ax.difference": ("Difference: {workflow} minus {baseline}", "Verschil: {workflow} min {baseline}"),
    "ax.fte": ("{org}: staff (FTE)", "{org}: personeel (fte)"),
    "ax.caseload": ("{org} caseload norm ({unit} per FTE)", "Caseloadnorm {org} ({unit} per fte)"),
    "ax.fte_short": ("{org} staff (FTE)", "Personeel {org} (fte)"),
    "lg.caseload": ("caseload norm {value} {unit} per FTE", "caseloadnorm {value} {unit} per fte"),
    "ax.p90_days": ("Days within which 90% of families get help (waiting families included)",
                    "Dagen waarbinnen 90% van de gezinnen hulp krijgt (wachtende gezinnen meegeteld)"),
    "ax.demand": ("Demand (1 = today's number of meldingen)", "Vraag (1 = het huidige aantal meldingen)"),
    "ax.extra_fte": ("+{fte} FTE", "+{fte} fte"),
    # ---- legend and annotations
    "lg.absent": ("{wf}: not in this way of working", "{wf}: niet in deze werkwijze"),
    "lg.km": ("{wf}: half within {median} days, 90% within {p90} days (waiting families included)",
              "{wf}: helft binnen {median} dagen, 90% binnen {p90} dagen (wachtende gezinnen meegeteld)"),
    "lg.completed_only": ("thin dotted line: completed episodes only (families still waiting left out)",
                          "dunne stippellijn: alleen afgeronde episodes (wachtende gezinnen weggelaten)"),
    "lg.mean": ("mean over replications", "gemiddelde over replicaties"),
    "lg.band": ("95% confidence interval", "95%-betrouwbaarheidsinterval"),
    "lg.norm": ("norm: {what}", "norm: {what}"),
    "lg.triage_norm": ("safety assessment, 5 working days", "veiligheidsbeoordeling, 5 werkdagen"),
    "lg.chain_norm": ("melding to jeugdbeschermer, 152 days", "melding tot jeugdbeschermer, 152 dagen"),
    "lg.handoffs": ("Hand-offs between organisations", "Overdrachten tussen organisaties"),
    "lg.stories": ("Times the family tells its story", "Keren dat het gezin zijn verhaal vertelt"),
    "lg.intake": ("Intakes (repeated at every new organisation)", "Intakes (opnieuw bij elke nieuwe organisatie)"),
    "lg.meeting": ("Joint meetings and team coordination", "Gezamenlijk overleg en teamafstemming"),
    "lg.consult": ("Expert consults", "Consulten van experts"),
    "lg.total_ci": ("total: 95% confidence interval", "totaal: 95%-betrouwbaarheidsinterval"),
    "lg.better": ("better", "beter"),
    "lg.worse": ("worse", "slechter"),
    "lg.no_difference": ("no difference", "geen verschil"),
    "lg.max_demand": ("waiting lists stable up to {value} × today's demand (tested)",
                      "wachtlijsten stabiel tot {value} × de huidige vraag (getest)"),
    "lg.norm_reached": ("within the norm after {days} days", "binnen de norm na {days} dagen"),
    "lg.extra_fte": ("{sign}{fte} FTE", "{sign}{fte} fte"),
    "lg.extra_fte_at": ("{sign}{fte} FTE at {org}", "{sign}{fte} fte bij {org}"),
    "lg.demand_today": ("demand today", "huidige vraag"),
    "lg.today": ("staffing today", "huidige bezetting"),
    "lg.unstable": ("waiting list keeps growing: more demand than capacity", "wachtlijst blijft groeien: meer vraag dan capaciteit"),
    "lg.not_reached": ("not reached", "niet bereikt"),
    # ---- titles
    "t.lead_time": ("How long until help starts?", "Hoe lang duurt het tot de hulp start?"),
    "t.waiting": ("Waiting lists over time", "Wachtlijsten in de tijd"),
    "t.handoffs": ("How often is a family passed on, and how often does it tell its story?",
                   "Hoe vaak wordt een gezin overgedragen en hoe vaak vertelt het zijn verhaal?"),
    "t.handoffs_mean": ("Mean per family", "Gemiddeld per gezin"),
    "t.stories_dist": ("Times the story was told", "Aantal keren verhaal verteld"),
    "t.staff_hours": ("Staff hours spent on passing families on and on meeting about them",
                      "Uren personeel voor overdragen en overleggen"),
    "t.paired": ("What changes with {workflow}? Compared with {baseline}, for the same families",
                 "Wat verandert er met {workflow}? Vergeleken met {baseline}, voor dezelfde gezinnen"),
    "t.p90_fte": ("More staff, shorter waits? (90% of families get help within ...)",
                  "Meer personeel, korter wachten? (90% van de gezinnen krijgt hulp binnen ...)"),
    "t.kpi_fte": ("More staff, shorter waits? {kpi}", "Meer personeel, korter wachten? {kpi}"),
    "t.kpi_heatmap": ("{kpi}, by staffing and caseload norm", "{kpi}, per bezetting en caseloadnorm"),
    "t.heatmap": ("Days within which 90% of families get help (waiting families included), by staffing and "
                  "caseload norm", "Dagen waarbinnen 90% van de gezinnen hulp krijgt (wachtende gezinnen "
                  "meegeteld), per bezetting en caseloadnorm"),
    "t.capacity": ("How much demand can each way of working carry?", "Hoeveel vraag kan elke werkwijze aan?"),
    "t.backlog": ("When is today's waiting list gone?", "Wanneer is de huidige wachtlijst weg?"),
    "t.sizing": ("Staff needed to meet the target", "Benodigd personeel om het doel te halen"),
    "t.group.days": ("Waiting time (days)", "Wachttijd (dagen)"),
    "t.group.share": ("Within the legal norm (percentage points)", "Binnen de wettelijke norm (procentpunten)"),
    "t.group.count": ("Per family (number)", "Per gezin (aantal)"),
    "t.group.hours": ("Staff hours per family", "Uren personeel per gezin"),
    "t.group.cases": ("Average waiting list (cases)", "Gemiddelde wachtlijst (zaken)"),
    "t.group.per 1,000 families": ("Per 1,000 families", "Per 1.000 gezinnen"),
    "target.lead_time_help_p90": ("90% of families helped within {value} days", "90% van de gezinnen geholpen binnen {value} dagen"),
    "target.lead_time_help_mean": ("help starts within {value} days on average", "hulp start gemiddeld binnen {value} dagen"),
    # censoring-aware sizing targets (python -m sim.size: Kaplan-Meier, families still waiting counted)
    "target.lead_time_help_km_p90": ("90% of families helped within {value} days (still waiting counted)",
                                     "90% van de gezinnen geholpen binnen {value} dagen (wachtenden meegeteld)"),
    "target.lead_time_help_km_median": ("half of families helped within {value} days (still waiting counted)",
                                        "de helft van de gezinnen geholpen binnen {value} dagen (wachtenden meegeteld)"),
    "target.lead_time_help_rmst_365": ("help starts within {value} days on average over the first year (still "
                                       "waiting counted)", "hulp start gemiddeld binnen {value} dagen over het eerste "
                                       "jaar (wachtenden meegeteld)"),
    "target.lead_time_measure_km_p90": ("90% of measures with a jeugdbeschermer within {value} days of the melding "
                                        "(still waiting counted)", "90% van de maatregelen met een jeugdbeschermer "
                                        "binnen {value} dagen na de melding (wachtenden meegeteld)"),
    "target.lead_time_measure_km_median": ("half of measures with a jeugdbeschermer within {value} days of the "
                                           "melding (still waiting counted)", "de helft van de maatregelen met een "
                                           "jeugdbeschermer binnen {value} dagen na de melding (wachtenden meegeteld)"),
    "target.lead_time_measure_rmst_365": ("a jeugdbeschermer within {value} days of the melding on average over the "
                                          "first year (still waiting counted)", "een jeugdbeschermer gemiddeld binnen "
                                          "{value} dagen na de melding over het eerste jaar (wachtenden meegeteld)"),
    # ---- sizing table columns
    "col.workflow": ("Way of working", "Werkwijze"), "col.organisation": ("Organisation", "Organisatie"),
    "col.fte_today": ("FTE today", "Fte nu"), "col.fte_needed": ("FTE needed", "Fte nodig"),
    "col.kpi": ("Target", "Doel"), "col.kpi_at_needed": ("Result with FTE needed [95% CI]", "Uitkomst met fte nodig [95%-BI]"),
    "col.kpi_one_less": ("Result with 1 FTE less", "Uitkomst met 1 fte minder"),
    # ---- the HTML report (sim/report.py)
    "r.title.run": ("ketensim report: {workflow}, {region}", "ketensim-rapport: {workflow}, {region}"),
    "r.title.comparison": ("ketensim report: ways of working compared, {region}",
                           "ketensim-rapport: werkwijzen vergeleken, {region}"),
    "r.title.sweep": ("ketensim report: sweep of {points} points, {region}", "ketensim-rapport: sweep van {points} punten, {region}"),
    "r.intro.run": (
        "A discrete-event simulation of the youth-protection chain: {workflow} in {region}, {reps} replications "
        "of {years}, {start}. Every number below is a mean over the replications with its 95% confidence "
        "interval; a single replication is never a finding.",
        "Een discrete-eventsimulatie van de jeugdbeschermingsketen: {workflow} in {region}, {reps} replicaties "
        "van {years}, {start}. Elk getal hieronder is een gemiddelde over de replicaties met het "
        "95%-betrouwbaarheidsinterval; één replicatie is nooit een bevinding."),
    "r.intro.comparison": (
        "The same families (same arrivals and family characteristics, common random numbers) run through "
        "{workflows} in {region}: {reps} paired replications of {years}, {start}. Differences are taken within "
        "each replication and shown with their 95% confidence interval.",
        "Dezelfde gezinnen (zelfde aanmeldingen en gezinskenmerken, common random numbers) doorgerekend in "
        "{workflows} in {region}: {reps} gepaarde replicaties van {years}, {start}. Verschillen zijn per "
        "replicatie genomen en staan er met hun 95%-betrouwbaarheidsinterval bij."),
    "r.title.tables": ("ketensim report: staffing and capacity, {region}", "ketensim-rapport: personeel en capaciteit, {region}"),
    "r.intro.tables": ("The tables of this directory ({tables}) drawn and listed; every value is a mean over "
                       "replications with its 95% confidence interval.",
                       "De tabellen van deze map ({tables}) getekend en opgesomd; elke waarde is een gemiddelde over "
                       "replicaties met het 95%-betrouwbaarheidsinterval."),
    "r.intro.sweep": (
        "A grid of {points} configurations ({keys}), each run with its own replications; every value is a mean "
        "over replications with its 95% confidence interval.",
        "Een raster van {points} configuraties ({keys}), elk met eigen replicaties doorgerekend; elke waarde is "
        "een gemiddelde over replicaties met het 95%-betrouwbaarheidsinterval."),
    "r.assumed": (
        "The effects of the new ways of working are assumptions, not measured results: no pilot has published an "
        "effect size. Every assumed value in force is listed under 'Assumptions'; vary them before drawing "
        "conclusions.",
        "De effecten van de nieuwe werkwijzen zijn aannames, geen gemeten resultaten: geen enkele pilot heeft een "
        "effectgrootte gepubliceerd. Elke aangenomen waarde staat onder 'Aannames'; varieer ze voordat u "
        "conclusies trekt."),
    "r.single": ("One replication has no confidence interval and is not a finding: run with run.replications of 2 or more.",
                 "Eén replicatie heeft geen betrouwbaarheidsinterval en is geen bevinding: gebruik run.replications van 2 of meer."),
    "r.key": ("Key figures", "Kerncijfers"),
    "r.all": ("All measures (summary.csv)", "Alle maten (summary.csv)"),
    "r.paired": ("Paired differences (comparison.csv)", "Gepaarde verschillen (comparison.csv)"),
    "r.paired.note": ("Bold rows: the 95% confidence interval of the difference excludes zero (larger than the "
                      "chance variation between replications), the measure is not met by construction, every pool "
                      "of both ways of working was stable and the difference is more than rounding. pp: percentage "
                      "points.",
                      "Vetgedrukt: het 95%-betrouwbaarheidsinterval van het verschil bevat geen nul (groter dan het "
                      "toeval tussen replicaties), de maat is niet per definitie gehaald, elke wachtrij van beide "
                      "werkwijzen was stabiel en het verschil is meer dan afronding."),
    "r.col.structure": ("Structure only", "Alleen structuur"),
    "r.col.effects_add": ("Assumed effects add", "Aangenomen effecten voegen toe"),
    "r.unstable_pool": ("\u2021 not bold although the interval excludes zero: the difference {why}; a lead time or "
                        "waiting list through it depends on the run length, not on the way of working.",
                        "\u2021 niet vet hoewel het interval geen nul bevat: het verschil {why}; een doorlooptijd of "
                        "wachtlijst daardoor hangt af van de looptijd, niet van de werkwijze."),
    "r.structure_only": (
        "Structure only: the same way of working with every assumed effect at its no-effect value (factors 1, "
        "shares 0), on the same families ({how}). Assumed effects add = paired difference − structure only, "
        "paired within each replication.",
        "Alleen structuur: dezelfde werkwijze met elk aangenomen effect op de waarde zonder effect (factoren 1, "
        "aandelen 0), voor dezelfde gezinnen ({how}). Aangenomen effecten voegen toe = gepaard verschil − alleen "
        "structuur, per replicatie gepaard."),
    "r.paired.all": ("All paired differences (comparison.csv)", "Alle gepaarde verschillen (comparison.csv)"),
    "r.points": ("Points of the sweep (sweep_summary.csv)", "Punten van de sweep (sweep_summary.csv)"),
    "r.figures": ("Figures", "Figuren"),
    "r.sizing": ("Staff sizing (sizing.csv)", "Personeelsbehoefte (sizing.csv)"),
    "r.config": ("Configuration in force", "Configuratie"),
    "r.assumptions": ("Assumptions in force ({n})", "Aannames ({n})"),
    "r.sources": ("Data sources", "Databronnen"),
    "r.sources.note": (
        "Where each value that is not an assumption comes from, as stated beside it in the configuration files "
        "(source: a publication; derived: a formula from sourced figures; calibrated: fitted to published "
        "figures). The value column is the value this run used.",
        "Waar elke waarde vandaan komt die geen aanname is, zoals vermeld naast de waarde in de "
        "configuratiebestanden (source: een publicatie; derived: een berekening uit bronnen; calibrated: "
        "gefit op gepubliceerde cijfers). De kolom waarde is de waarde die deze run gebruikte."),
    "r.reproduce": ("How to reproduce", "Reproduceren"),
    "r.reproduce.note": ("From the project folder, with the same model version ({version}):",
                         "Vanuit de projectmap, met dezelfde modelversie ({version}):"),
    # ---- the finding first and the warnings in plain words (sim/report/finding.py)
    "f.run": ("{workflow} in {region}, {what}: {mean} days {ci}, a 95% interval over {n} replications.",
              "{workflow} in {region}, {what}: {mean} dagen {ci}, een 95%-interval over {n} replicaties."),
    "f.run.single": ("{workflow} in {region}, {what}: {mean} days (one replication: no interval, not a finding).",
                     "{workflow} in {region}, {what}: {mean} dagen (één replicatie: geen interval, geen bevinding)."),
    "f.run.tail": ("One family in ten waits longer than {p90} days {ci} for help (families still waiting included).",
                   "Eén gezin op de tien wacht langer dan {p90} dagen {ci} op hulp (wachtende gezinnen meegeteld)."),
    "f.run.tail.single": ("One family in ten waits longer than {p90} days for help (families still waiting included).",
                          "Eén gezin op de tien wacht langer dan {p90} dagen op hulp (wachtende gezinnen meegeteld)."),
    "f.stable": ("Every organisation kept up with its demand: every waiting list was stable.",
                 "Elke organisatie kon de vraag aan: elke wachtlijst was stabiel."),
    "f.not_stable": ("Not every waiting list kept up: {n} did not ({orgs}), so lead times through them depend on how "
                     "long the run is; the warnings below the key figures say where and by how much.",
                     "Niet elke wachtlijst hield de vraag bij: {n} niet ({orgs}), dus doorlooptijden daardoorheen "
                     "hangen af van hoe lang de run duurt; de waarschuwingen onder de kerncijfers zeggen waar en "
                     "hoeveel."),
    "f.cmp.later": ("{workflow} gives families help {days} days later {ci} than {baseline} ({what}; 95% interval "
                    "of the difference, paired over {n} replications).",
                    "{workflow} geeft gezinnen {days} dagen later hulp {ci} dan {baseline} ({what}; 95%-interval "
                    "van het verschil, gepaard over {n} replicaties)."),
    "f.cmp.earlier": ("{workflow} gives families help {days} days earlier {ci} than {baseline} ({what}; 95% "
                      "interval of the difference, paired over {n} replications).",
                      "{workflow} geeft gezinnen {days} dagen eerder hulp {ci} dan {baseline} ({what}; "
                      "95%-interval van het verschil, gepaard over {n} replicaties)."),
    "f.cmp.same": ("{workflow} and {baseline} give families help about equally fast: the difference, {diff} days "
                   "{ci}, has a 95% interval that includes zero ({what}, paired over {n} replications).",
                   "{workflow} en {baseline} geven gezinnen ongeveer even snel hulp: het verschil, {diff} dagen "
                   "{ci}, heeft een 95%-interval dat nul bevat ({what}, gepaard over {n} replicaties)."),
    "f.cmp.withheld": (", but this is not a finding: {why}.", ", maar dit is geen bevinding: {why}."),
    "f.cmp.split": ("Of this, {structure} days {s_ci} comes from the structure alone and {effects} days {e_ci} from "
                    "the assumed effects.",
                    "Daarvan komt {structure} dagen {s_ci} uit de structuur alleen en {effects} dagen {e_ci} uit de "
                    "aangenomen effecten."),
    "f.why.unstable": ("it runs through a waiting list that did not keep up",
                       "het loopt via een wachtlijst die de vraag niet bijhield"),
    "f.why.construction": ("the workflow meets this measure by definition", "de werkwijze haalt deze maat per definitie"),
    "f.why.rounding": ("the difference is rounding", "het verschil is afronding"),
    "f.why.other": ("see comparison.csv, column star_withheld", "zie comparison.csv, kolom star_withheld"),
    "w.part": ("the organisation", "de organisatie"),
    "w.part.triage": ("the front desk", "de voordeur"),
    "w.part.casus": ("the case teams", "de casusteams"),
    "w.part.other": ("the {role} pool", "de pool {role}"),
    "w.and": (" and ", " en "),
    "w.unstable": ("{part} cannot carry its demand: about {offered} cases are offered for {cap} places, so the waiting "
                   "list grows without bound ({end} waiting at the end). Lead times through it are not meaningful: "
                   "add staff, raise the caseload or lower demand.scale.",
                   "{part} kan de vraag niet dragen: ongeveer {offered} zaken voor {cap} plaatsen, dus de wachtlijst "
                   "groeit zonder grens ({end} wachtenden aan het eind). Doorlooptijden daardoorheen zeggen niets: "
                   "meer personeel, een hogere caseload of een lagere demand.scale."),
    "w.saturated": ("{part} was full ({util} of its {cap} places in use) and its waiting list kept growing through "
                    "the run ({end} waiting at the end): lead times through it still depend on how long the run is.",
                    "{part} zat vol ({util} van de {cap} plaatsen bezet) en de wachtlijst bleef de hele run groeien "
                    "({end} wachtenden aan het eind): doorlooptijden daardoorheen hangen nog af van hoe lang de run "
                    "duurt."),
    "w.sweep": ("{point}: {orgs} did not keep up in half the replications or more.",
                "{point}: {orgs} hield de vraag niet bij in de helft van de replicaties of meer."),
    "w.replications.few": (
        "Only {n} replications, fewer than the {rule} this report asks for: the 95% intervals are rough (the spread "
        "of so few runs is itself uncertain). For {kpi} within ±{precision} of its mean about {needed} replications "
        "are needed (estimated from the observed spread): run.replications={needed}.",
        "Slechts {n} replicaties, minder dan de {rule} die dit rapport vraagt: de 95%-intervallen zijn grof (de "
        "spreiding van zo weinig runs is zelf onzeker). Voor {kpi} binnen ±{precision} van het gemiddelde zijn "
        "ongeveer {needed} replicaties nodig (geschat uit de waargenomen spreiding): run.replications={needed}."),
    "w.replications.wide": (
        "With {n} replications the 95% interval of {kpi} is wider than ±{precision} of its mean: about {needed} "
        "replications are needed (estimated from the observed spread): run.replications={needed}.",
        "Met {n} replicaties is het 95%-interval van {kpi} breder dan ±{precision} van het gemiddelde: ongeveer "
        "{needed} replicaties zijn nodig (geschat uit de waargenomen spreiding): run.replications={needed}."),
    "r.finding": ("What the model found", "Wat het model vond"),
    "r.warnings": ("Warnings", "Waarschuwingen"),
    "r.missing": ("Not shown: {what}", "Niet getoond: {what}"),
    "r.col.kpi": ("Measure", "Maat"), "r.col.unit": ("Unit", "Eenheid"), "r.col.mean": ("Mean", "Gemiddelde"),
    "r.col.ci": ("95% CI", "95%-BI"), "r.col.n": ("Replications", "Replicaties"),
    "r.col.key": ("Name in the tables", "Naam in de tabellen"),
    "r.col.diff": ("Difference", "Verschil"),
    "r.by_construction": ("\u2020 true by construction, not a finding: {why}",
                          "\u2020 waar door de opzet, geen uitkomst: {why}"),
    "r.col.parameter": ("Parameter", "Parameter"), "r.col.value": ("Value", "Waarde"),
    "r.col.why": ("Why assumed (range)", "Waarom aangenomen (bandbreedte)"), "r.col.file": ("File", "Bestand"),
    "r.col.kind": ("Kind", "Soort"), "r.col.source": ("Source", "Bron"), "r.col.point": ("Point", "Punt"),
    "r.generated": ("Written by python -m sim.report from {dir} on {date}; model version {version}.",
                    "Geschreven door python -m sim.report uit {dir} op {date}; modelversie {version}."),
    "r.lang": ("Nederlandse versie: report_nl.html in dezelfde map (opnieuw maken: python -m sim.report {dir} --lang nl)",
               "English version: report.html in the same folder (to remake it: python -m sim.report {dir} --lang en)"),
    # ---- footers (inside every image) and captions (report, experiment folders)
    "ft.meta": ("{region} · {workflows} · {reps} replications × {years} · {start}",
                "{region} · {workflows} · {reps} replicaties × {years} · {start}"),
    "ft.years": ("{n} years observed", "{n} jaar gemeten"),
    "ft.year": ("{n} year observed", "{n} jaar gemeten"),
    "ft.start.today": ("from today's waiting lists ({date})", "vanaf de huidige wachtlijsten ({date})"),
    "ft.start.empty": ("after {warmup} years' run-in", "na {warmup} jaar inlooptijd"),
    "ft.band": ("Band: 95% confidence interval of the mean over replications.",
                "Band: 95%-betrouwbaarheidsinterval van het gemiddelde over replicaties."),
    "ft.band_km": ("Line: Kaplan-Meier estimate, families still waiting at the end counted; band: 95% confidence "
                   "interval of the mean over replications.",
                   "Lijn: Kaplan-Meier-schatting, gezinnen die aan het eind nog wachten meegeteld; band: "
                   "95%-betrouwbaarheidsinterval van het gemiddelde over replicaties."),
    "ft.bars": ("Bars: 95% confidence interval over replications.", "Streepjes: 95%-betrouwbaarheidsinterval over replicaties."),
    "ft.assumed": ("Effects of the new ways of working are assumptions, not measured pilot results.",
                   "Effecten van de nieuwe werkwijzen zijn aannames, geen gemeten resultaten van pilots."),
    "cap.common": ("{region}; {workflows}; {reps} replications, each {years}, {start}.",
                   "{region}; {workflows}; {reps} replicaties, elk {years}, {start}."),
    "cap.lead_time": (
        "Share of families whose help has started (help by the neighbourhood team, the integrated team or the GI), "
        "by days since their melding or request for help, with the families still waiting at the end of the run "
        "counted: thick line, 1 minus the Kaplan-Meier survival curve (a family still waiting counts as waiting at "
        "least as long as it has so far), mean over replications; band: pointwise 95% confidence interval of that "
        "mean. Thin dotted line: the same share among the completed episodes only, which leaves the families still "
        "waiting out and so rises too fast where a waiting list grows. Dotted vertical lines mark the norms. "
        "Families whose case was closed without help are not in either curve ({helped} got help).",
        "Aandeel gezinnen bij wie de hulp is gestart (hulp door het buurtteam, het geïntegreerde team of de GI), "
        "naar dagen sinds hun melding of hulpvraag, met de gezinnen die aan het eind van de run nog wachten "
        "meegeteld: dikke lijn, 1 min de Kaplan-Meier-overlevingscurve (een gezin dat nog wacht, telt als "
        "wachtend minstens zo lang als tot dan toe), gemiddelde over replicaties; band: puntsgewijs "
        "95%-betrouwbaarheidsinterval van dat gemiddelde. Dunne stippellijn: hetzelfde aandeel onder alleen de "
        "afgeronde episodes, die de wachtende gezinnen weglaat en daardoor te snel stijgt waar een wachtlijst "
        "groeit. Verticale stippellijnen: de normen. Gezinnen die zonder hulp werden afgesloten, staan in geen "
        "van beide curves ({helped} kreeg hulp)."),
    "cap.waiting": (
        "Number waiting for each organisation, per week, in the organisation's own unit (Veilig Thuis: meldingen "
        "and families; neighbourhood team: families; Raad and GI: children). Line: mean over replications; band: "
        "95% confidence interval of that mean.",
        "Aantal wachtenden per organisatie, per week, in de eigen eenheid van de organisatie (Veilig Thuis: "
        "meldingen en gezinnen; buurtteam: gezinnen; Raad en GI: kinderen). Lijn: gemiddelde over replicaties; "
        "band: 95%-betrouwbaarheidsinterval van dat gemiddelde."),
    "cap.handoffs": (
        "Left: hand-offs between organisations and times a family tells its story to a new professional, mean "
        "per family episode, with 95% confidence intervals over replications. Right: share of families by the "
        "number of times they told their story (mean over replications, with 95% confidence intervals).",
        "Links: overdrachten tussen organisaties en keren dat een gezin zijn verhaal aan een nieuwe professional "
        "vertelt, gemiddeld per gezinstraject, met 95%-betrouwbaarheidsintervallen over replicaties. Rechts: "
        "aandeel gezinnen naar het aantal keren dat zij hun verhaal vertelden (gemiddelde over replicaties, met "
        "95%-betrouwbaarheidsintervallen)."),
    "cap.staff_hours": (
        "Staff hours per family episode spent on intakes (repeated at every organisation a family is passed to), "
        "on joint meetings and team coordination, and on expert consults; the hours of the help itself are not "
        "included. Bars: means over replications; whisker: 95% confidence interval of the total.",
        "Uren personeel per gezinstraject voor intakes (opnieuw bij elke organisatie waaraan een gezin wordt "
        "overgedragen), gezamenlijk overleg en teamafstemming, en consulten van experts; de uren van de hulp zelf "
        "tellen niet mee. Staven: gemiddelden over replicaties; streep: 95%-betrouwbaarheidsinterval van het totaal."),
    "cap.paired": (
        "Difference per measure between {workflow} and {baseline} ({workflow} minus {baseline}), both run on the "
        "same families (same arrivals and family characteristics: common random numbers). Dot: mean paired "
        "difference over {reps} replications; bar: its 95% confidence interval. A bar that does not cross zero is "
        "a difference larger than chance variation between replications. Numbers on the right: {baseline} → "
        "{workflow}. The effects of {workflow} are assumptions (see the list of assumptions), not measured pilot "
        "results.",
        "Verschil per maat tussen {workflow} en {baseline} ({workflow} min {baseline}), beide doorgerekend voor "
        "dezelfde gezinnen (zelfde aanmeldingen en gezinskenmerken: common random numbers). Punt: gemiddeld "
        "gepaard verschil over {reps} replicaties; streep: het 95%-betrouwbaarheidsinterval. Een streep die nul "
        "niet raakt, is een verschil groter dan het toeval tussen replicaties. Getallen rechts: {baseline} → "
        "{workflow}. De effecten van {workflow} zijn aannames (zie de lijst van aannames), geen gemeten "
        "resultaten van pilots."),
    "cap.p90_fte": (
        "{kpi}, against the staffing of {org}, per way of working and per {facet}. Line: mean over replications "
        "at each point of the sweep; band: 95% confidence interval of that mean. {points} points. A lead time "
        "with waiting families included counts the families still waiting at the end as waiting at least as long "
        "as they have so far (Kaplan-Meier), so a growing waiting list shows as a longer wait; a point without a "
        "value lies beyond the observed period.",
        "{kpi}, tegen de bezetting van {org}, per werkwijze en per {facet}. Lijn: gemiddelde over replicaties in "
        "elk punt van de sweep; band: 95%-betrouwbaarheidsinterval van dat gemiddelde. {points} punten. Een "
        "doorlooptijd met wachtende gezinnen meegeteld telt de gezinnen die aan het eind nog wachten als "
        "wachtend minstens zo lang als tot dan toe (Kaplan-Meier), zodat een groeiende wachtlijst als langer "
        "wachten zichtbaar wordt; een punt zonder waarde ligt voorbij de meetperiode."),
    "cap.heatmap": (
        "{kpi} (mean over replications) for every combination of staffing and caseload norm of {org}, one panel "
        "per way of working. Darker is faster. The 95% confidence intervals are in the sweep summary table. "
        "A lead time with waiting families included counts the families still waiting at the end as waiting at "
        "least as long as they have so far (Kaplan-Meier); an empty cell lies beyond the observed period.",
        "{kpi} (gemiddelde over replicaties) voor elke combinatie van bezetting en caseloadnorm van {org}, een "
        "paneel per werkwijze. Donkerder is sneller. De 95%-betrouwbaarheidsintervallen staan in de "
        "samenvattende tabel van de sweep. Een doorlooptijd met wachtende gezinnen meegeteld telt de "
        "gezinnen die aan het eind nog wachten als wachtend minstens zo lang als tot dan toe (Kaplan-Meier); een "
        "lege cel ligt voorbij de meetperiode."),
    "cap.capacity": (
        "{kpi} against demand (1 = today's number of meldingen and requests for help), per way of working, at "
        "today's staffing. Line: mean over replications; band: 95% confidence interval of that mean. A hollow "
        "marker: an organisation's waiting list kept growing through the run (more demand than capacity), so the "
        "value depends on the run length.",
        "{kpi} tegen de vraag (1 = het huidige aantal meldingen en hulpvragen), per werkwijze, bij de huidige "
        "bezetting. Lijn: gemiddelde over replicaties; band: 95%-betrouwbaarheidsinterval van dat gemiddelde. Een "
        "open markering: de wachtlijst van een organisatie bleef groeien (meer vraag dan capaciteit), dus de "
        "waarde hangt af van de looptijd."),
    "cap.backlog": (
        "Number waiting for each organisation from today's waiting lists onwards, with today's staffing and "
        "with extra staff. Line: mean over replications; band: 95% confidence interval of that mean.",
        "Aantal wachtenden per organisatie vanaf de huidige wachtlijsten, met de huidige bezetting en met extra "
        "personeel. Lijn: gemiddelde over replicaties; band: 95%-betrouwbaarheidsinterval van dat gemiddelde."),
    "cap.sizing": (
        "Smallest staffing per organisation that meets the target with 95% confidence, and the result with one FTE "
        "less.",
        "Kleinste bezetting per organisatie die het doel met 95% zekerheid haalt, en de uitkomst met één fte minder."),
    "cap.helped": ("{share} of the families", "{share} van de gezinnen"),
}


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise ConfigError(f"lang = {lang!r} (allowed: {', '.join(LANGS)})")
    return lang


def term(key: str, lang: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, with ``{placeholders}`` filled from ``values``."""
    check_lang(lang)
    both = TERMS.get(key) or _workflow_term(key)
    if both is None:
        raise KeyError(f"no term {key!r} in sim.report.style.TERMS")
    text = both[LANGS.index(lang)]
    return text.format(**values) if values else text


def has_term(key: str) -> bool:
    return key in TERMS or _workflow_term(key) is not None


def _workflow_term(key: str) -> tuple[str, str] | None:
    """``wf.<name>`` (a workflow's name) and ``wfs.<name>`` (as it reads in a sentence) come from the workflow's
    own labels (``sim/scenarios/<name>/labels.py``), not from :data:`TERMS`."""
    kind, _, name = key.partition(".")
    spec = registry.get(name) if kind in ("wf", "wfs") else None
    if spec is None:
        return None
    return tuple(spec.labels.name(lang, in_sentence=kind == "wfs") for lang in LANGS)  # type: ignore[return-value]


def org_label(org: str, lang: str) -> str:
    return term(f"org.{org}", lang) if has_term(f"org.{org}") else org


def org_short(org: str, lang: str) -> str:
    return term(f"orgs.{org}", lang) if has_term(f"orgs.{org}") else org


def org_unit(org: str, lang: str) -> str:
    return term(f"unit.{org}", lang) if has_term(f"unit.{org}") else term("u.cases", lang)


def workflow_label(name: str, lang: str, in_sentence: bool = False) -> str:
    """The workflow's name (its ``labels.py``); ``in_sentence``: as it reads inside a sentence ('today's chain')."""
    spec = registry.get(name)
    return spec.labels.name(check_lang(lang), in_sentence) if spec is not None else name


def region_label(name: str, lang: str) -> str:
    return term(f"region.{name}", lang) if has_term(f"region.{name}") else name


def kpi_label(kpi: str, lang: str) -> str:
    """Readable name of a KPI column (``waiting_list_org.gi`` -> 'Waiting list, Youth protection agency (GI)')."""
    if has_term(f"kpi.{kpi}"):
        return term(f"kpi.{kpi}", lang)
    org = kpis.pool_of(kpi, kpis.WAITING_LIST_ORG)
    if org is not None:
        return term("kpi.waiting_list_org", lang, org=org_label(org, lang))
    return kpi


def unit_label(unit: str, lang: str) -> str:
    return term(f"u.{unit}", lang) if has_term(f"u.{unit}") else unit


# ====================================================================== numbers in the reader's language


def fmt_number(value: float, lang: str, decimals: int | None = None) -> str:
    """``1234.5`` -> '1,234.5' (en) or '1.234,5' (nl); NaN -> '–'. Default precision: 2 decimals below 10,
    1 below 100, none above (enough to read a chart or a table, not more than a 95 % CI supports)."""
    check_lang(lang)
    if value is None or not math.isfinite(value):
        return "–"
    if decimals is None:
        decimals = 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0
    text = f"{value:,.{decimals}f}"
    if lang == "nl":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text.replace("-", "−")  # a true minus sign: a hyphen is easily missed


def fmt_compact(value: float, lang: str) -> str:
    """As few decimals as the value needs (at most 3): ``1.0`` -> '1', ``0.5`` -> '0.5' (en) / '0,5' (nl)."""
    if value is None or not math.isfinite(value):
        return "–"
    for d in (0, 1, 2):
        if abs(value - round(value, d)) < 1e-9:
            return fmt_number(value, lang, d)
    return fmt_number(value, lang, 3)


def fmt_percent(share: float, lang: str, decimals: int = 0) -> str:
    """A share (0..1) as a percentage: ``0.172`` -> '17%'."""
    if share is None or not math.isfinite(share):
        return "–"
    return f"{fmt_number(100.0 * share, lang, decimals)}%"


def number_formatter(lang: str, decimals: int | None = None) -> FuncFormatter:
    """Tick labels with the reader's separators. ``decimals=None``: as few as the tick spacing needs."""
    check_lang(lang)

    def _fmt(value: float, _pos: int) -> str:
        return fmt_number(value, lang, decimals) if decimals is not None else fmt_compact(value, lang)

    return FuncFormatter(_fmt)


def percent_formatter(lang: str) -> FuncFormatter:
    """Ticks of a 0..100 axis as '40%'."""
    check_lang(lang)
    return FuncFormatter(lambda v, _pos: f"{fmt_number(v, lang, 0)}%")


def fmt_date(value, lang: str) -> str:
    """A date as '1 Jan 2024' (en) or '1 jan 2024' (nl), without depending on the machine's locale."""
    months = {"en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
              "nl": ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")}
    return f"{value.day} {months[check_lang(lang)][value.month - 1]} {value.year}"


# ====================================================================== figures

RC: dict[str, object] = {
    "font.family": "DejaVu Sans",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "figure.titlesize": 14,
    "figure.titleweight": "bold",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#DDDDDD",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "lines.linewidth": 2.2,
    "svg.fonttype": "path",  # text as outlines: the SVG looks the same without the font installed
    "svg.hashsalt": "ketensim",  # stable element ids: the same chart gives the same SVG
    "pdf.fonttype": 42,  # TrueType in the PDF: text stays selectable and editable
}
DPI = 200
WIDTH_IN = 8.0  # inches: 1,600 px at 200 dpi, a full text width in a report


def style_context():
    """``with style_context(): ...``: the house rcParams for the figures made inside, nothing changed outside."""
    return matplotlib.rc_context(RC)


def new_figure(height_in: float, width_in: float = WIDTH_IN, layout: str | None = "constrained") -> Figure:
    """A figure with the house layout engine (``layout=None``: one axes placed by :func:`frame`, for a table,
    whose cells constrained layout cannot measure); call inside :func:`style_context`."""
    return Figure(figsize=(width_in, height_in), dpi=100, layout=layout)


def frame(fig: Figure, title: str, footer: str, legend: tuple[list, list[str], int] | None = None) -> None:
    """Lay out a figure's frame: the title at the top left, then (optionally) one legend for the whole figure
    centred under it, the panels, and small grey footer lines at the bottom saying where the numbers come from
    and what a band means (a chart copied out of its report still tells its reader that). Texts are wrapped to
    the figure's width; the panels get the space in between (constrained layout's ``rect``).

    Why not ``suptitle`` and an ``outside`` legend: constrained layout puts both in the same top margin, where
    they overlap, and an outside legend ignores ``rect``. The heights here are computed from font sizes."""
    import textwrap

    height_pt = fig.get_figheight() * 72.0
    width_in = fig.get_figwidth()
    title_size, foot_size, legend_size = RC["figure.titlesize"], 8.5, RC["legend.fontsize"]
    title = textwrap.fill(title, int(width_in * 72 / (title_size * 0.62)))
    footer = "\n".join(textwrap.fill(line, int(width_in * 72 / (foot_size * 0.56))) for line in footer.splitlines())
    top_pt = (title.count("\n") + 1) * title_size * 1.3 + 10
    fig.text(0.01, 1 - 5 / height_pt, title, ha="left", va="top", fontsize=title_size, fontweight="bold")
    if legend is not None and legend[0]:
        handles, labels, ncol = legend
        rows = math.ceil(len(labels) / ncol)
        fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 1 - top_pt / height_pt), ncol=ncol,
                   fontsize=legend_size, borderaxespad=0.0, handlelength=2.6)
        top_pt += rows * legend_size * 1.75 + 8
    bottom_pt = 0.0
    if footer:
        fig.text(0.01, 4 / height_pt, footer, ha="left", va="bottom", fontsize=foot_size, color="#444444",
                 linespacing=1.3)
        bottom_pt = (footer.count("\n") + 1) * foot_size * 1.3 + 8
    bottom, top = bottom_pt / height_pt, top_pt / height_pt
    rect = (0.0, bottom, 1.0, 1.0 - top - bottom)  # (left, bottom, width, height)
    if fig.get_layout_engine() is not None:
        fig.get_layout_engine().set(rect=rect)
    else:
        for ax in fig.axes:
            ax.set_position(rect)


@dataclass
class Chart:
    """A finished figure, its file name (without suffix), its caption (one paragraph, the chart's language) and
    the numbers it draws (``data``: one tidy table, written beside the images so every line can be checked)."""

    name: str
    figure: Figure
    caption: str
    alt: str = ""  # one sentence for screen readers (the report's ``alt`` text)
    data: Any = None  # pandas DataFrame of the plotted values


def png_bytes(chart: Chart) -> bytes:
    import io

    buf = io.BytesIO()
    with style_context():
        chart.figure.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def svg_text(chart: Chart) -> str:
    import io

    buf = io.StringIO()
    with style_context():
        chart.figure.savefig(buf, format="svg", metadata={"Date": None})
    return buf.getvalue()


FORMATS: tuple[str, ...] = ("png", "svg", "pdf")


def save(chart: Chart, directory: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Write ``<name>.png`` (200 dpi), ``.svg``, ``.pdf``, ``.txt`` (the caption) and ``.csv`` (the plotted
    numbers), each atomically (a reader never sees half a file)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    metadata = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None, "ModDate": None}}
    with style_context():
        for fmt in formats:
            path = directory / f"{chart.name}.{fmt}"
            tmp = path.with_name(f".{path.name}.tmp")
            chart.figure.savefig(tmp, format=fmt, dpi=DPI, metadata=metadata.get(fmt))
            os.replace(tmp, path)
            written.append(path)
    caption = directory / f"{chart.name}.txt"
    tmp = caption.with_name(f".{caption.name}.tmp")
    tmp.write_text(chart.caption + "\n", encoding="utf-8")
    os.replace(tmp, caption)
    written.append(caption)
    if chart.data is not None:
        table = directory / f"{chart.name}.csv"
        tmp = table.with_name(f".{table.name}.tmp")
        chart.data.to_csv(tmp, index=False)
        os.replace(tmp, table)
        written.append(table)
    return written
