"""Prices at the edge: ``prices.*`` (conf/prices/<name>.yaml) checked once into a frozen :class:`Prices`.

The simulation knows no euros: no number it simulates reads this section. The costs module
(sim/analysis/costs.py) puts these prices on a run's tables. Every price must carry its provenance beside it in
its file (``# source: <address>`` or ``# assumption: <why, range>``, read by sim/config/provenance.py): a price
without one, a negative price or an unknown payer is refused with one line before any simulated time.

Yearly employer cost of one filled FTE = monthly_salary x salary_months x (1 + employer_charges) x (1 + overhead),
in euros of ``price_year``; every price is moved to ``report_year`` by ``(1 + indexation_per_year) ** years``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig, OmegaConf

from sim.chain.checks import STAFFED_ORGS, ConfigError, choice, integer, non_negative
from sim.config import provenance
from sim.config.sources import group_file

PAYERS: tuple[str, ...] = ("rijk", "gemeenten")
MEASURES: tuple[str, ...] = ("ots", "ots_uhp", "voogdij")  # the GI's measures (sim/actors/gi.py), each with a tariff


@dataclass(frozen=True)
class OrgPrice:
    payer: str  # rijk | gemeenten
    monthly_salary: float  # euros gross per month of one FTE
    salary_months: float  # months paid per year (holiday pay included)
    employer_charges: float  # share on top of gross pay
    overhead: float  # share on top of the employer cost

    @property
    def per_fte_year(self) -> float:
        """Euros per filled FTE per year (in the prices' own year)."""
        return self.monthly_salary * self.salary_months * (1.0 + self.employer_charges) * (1.0 + self.overhead)


@dataclass(frozen=True)
class TransitionPrice:
    payer: str
    training_per_fte: float  # euros per FTE moved into a team
    double_running_months: float  # months a moved FTE is paid twice
    fixed_per_team: float  # euros per team formed


@dataclass(frozen=True)
class Prices:
    name: str
    price_year: int
    report_year: int
    indexation_per_year: float
    orgs: Mapping[str, OrgPrice]
    gi_tariff: Mapping[str, float]  # measure -> euros per child per year
    court_per_hearing: float
    transition: TransitionPrice

    @property
    def index(self) -> float:
        """Factor from euros of price_year to euros of report_year."""
        return (1.0 + self.indexation_per_year) ** (self.report_year - self.price_year)

    def per_fte_year(self, org: str) -> float:
        """Euros per filled FTE of ``org`` per year, in euros of report_year."""
        return self.orgs[org].per_fte_year * self.index

    def scaled(self, factor: float) -> "Prices":
        """Every euro amount times ``factor`` (shares, months, years unchanged): the tests' doubled prices."""
        orgs = {o: OrgPrice(p.payer, p.monthly_salary * factor, p.salary_months, p.employer_charges, p.overhead)
                for o, p in self.orgs.items()}
        t = self.transition
        return Prices(self.name, self.price_year, self.report_year, self.indexation_per_year, orgs,
                      {m: v * factor for m, v in self.gi_tariff.items()}, self.court_per_hearing * factor,
                      TransitionPrice(t.payer, t.training_per_fte * factor, t.double_running_months,
                                      t.fixed_per_team * factor))


def _leaves(node: Any, prefix: str) -> list[str]:
    if isinstance(node, Mapping):
        out: list[str] = []
        for k, v in node.items():
            out.extend(_leaves(v, f"{prefix}.{k}"))
        return out
    return [prefix]


def check_sources(spec: Any) -> None:
    """Every price in force has ``source:`` or ``assumption:`` (or derived:, calibrated:) beside it in
    conf/prices/<name>.yaml (or a --config-dir's). A value given only on the command line counts as the user's own
    and is not asked for one. Raises ConfigError naming the first price without a provenance."""
    name = str(spec.name)
    path = group_file("prices", name)
    if path is None and not _composing():
        return  # a worker process or library use without Hydra's folders: the preflight checked the file already
    if path is None:
        raise ConfigError(f"prices.name = {name!r} (no prices/{name}.yaml in the configuration folders to read the "
                          f"source of every price from; name the file the prices come from)")
    found, missing = provenance.read_file(path, "prices")
    if missing:
        raise ConfigError(f"{missing[0]} has no source (in {path.name} every price needs '# source: <address>' or "
                          f"'# assumption: <why, range>' beside it)")
    known = {p.key for p in found}
    tree = OmegaConf.to_container(spec) if isinstance(spec, DictConfig) else _as_mapping(spec)
    in_file = {ln.dotted for ln in provenance.walk(path.read_text(encoding="utf-8").splitlines(), "prices")}
    for key in _leaves(tree, "prices"):
        if key in in_file and key not in known and key != "prices.name":
            raise ConfigError(f"{key} has no source (in {path.name} every price needs '# source: <address>' or "
                              f"'# assumption: <why, range>' beside it)")


def _composing() -> bool:
    """Whether Hydra's configuration folders are known here (a command's preflight or the Hydra app), so that a
    price file missing from them is a real error and not a process that cannot see them."""
    gh = GlobalHydra.instance()
    return bool(gh.is_initialized() and gh.hydra is not None)


def _as_mapping(spec: Any) -> Any:
    if hasattr(spec, "__dataclass_fields__"):
        return {k: _as_mapping(getattr(spec, k)) for k in spec.__dataclass_fields__}
    if isinstance(spec, Mapping):
        return {k: _as_mapping(v) for k, v in spec.items()}
    return spec


def validate(spec: Any, *, sources: bool = True) -> Prices | None:
    """``prices.*`` -> :class:`Prices` (None when the configuration has no prices). ``sources``: also check that
    every price of the file carries its provenance (at the edge; a run directory's config_resolved.yaml has no
    comments left to check). Raises ConfigError with one line."""
    if spec is None:
        return None
    if sources:
        check_sources(spec)
    f = "prices"
    price_year = integer(f"{f}.price_year", spec.price_year, 1900)
    report_year = integer(f"{f}.report_year", spec.report_year, 1900)
    index = non_negative(f"{f}.indexation_per_year", spec.indexation_per_year)
    orgs: dict[str, OrgPrice] = {}
    for org, p in dict(spec.orgs).items():
        at = f"{f}.orgs.{org}"
        choice(f"{at} key", org, STAFFED_ORGS)
        orgs[org] = OrgPrice(choice(f"{at}.payer", p.payer, PAYERS),
                             non_negative(f"{at}.monthly_salary", p.monthly_salary),
                             non_negative(f"{at}.salary_months", p.salary_months),
                             non_negative(f"{at}.employer_charges", p.employer_charges),
                             non_negative(f"{at}.overhead", p.overhead))
    missing = [o for o in STAFFED_ORGS if o not in orgs]
    if missing:
        raise ConfigError(f"{f}.orgs.{missing[0]} is missing (every staffed organisation needs its price: "
                          f"{', '.join(STAFFED_ORGS)})")
    tariff: dict[str, float] = {}
    for m, v in dict(spec.gi_tariff).items():
        choice(f"{f}.gi_tariff key", m, MEASURES)
        tariff[m] = non_negative(f"{f}.gi_tariff.{m}", v)
    absent = [m for m in MEASURES if m not in tariff]
    if absent:
        raise ConfigError(f"{f}.gi_tariff.{absent[0]} is missing (a tariff per measure: {', '.join(MEASURES)})")
    t = spec.transition
    transition = TransitionPrice(choice(f"{f}.transition.payer", t.payer, PAYERS),
                                 non_negative(f"{f}.transition.training_per_fte", t.training_per_fte),
                                 non_negative(f"{f}.transition.double_running_months", t.double_running_months),
                                 non_negative(f"{f}.transition.fixed_per_team", t.fixed_per_team))
    return Prices(str(spec.name), price_year, report_year, index, orgs, tariff,
                  non_negative(f"{f}.court_per_hearing", spec.court_per_hearing), transition)
