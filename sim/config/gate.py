"""Typed configuration: Hydra structured-config schema, and its validation into the objects the model uses.

The schema (dataclasses registered in Hydra's ConfigStore as ``ketensim_schema``) fixes the names and types
policy advisers type on the command line (``staffing.gi.fte=340``, ``demand.scale=1.2``, ``run.replications=20``).
It deliberately holds no domain numbers: every chain-wide value lives in ``conf/process/*.yaml`` and every
regional value in ``conf/region/*.yaml``, each with its source beside it (one home per default). Run settings
have their defaults here, because they are settings, not facts.

:func:`validate` is the single gate: it checks every value once, before any simulated time is spent, and
returns frozen :class:`Model` objects with :class:`~sim.kernel.distributions.Distribution` instances. A bad value
raises :class:`ConfigError` whose message is one line: the dotted field, the value and what is allowed.
"""

from __future__ import annotations

import difflib
import math
import re
import typing
from dataclasses import replace as dataclass_replace
from typing import Any, Mapping

from omegaconf import DictConfig, ListConfig, OmegaConf

from sim.chain import initial_state as initial_state_mod
from sim.chain import waiting as waiting_mod
from sim.chain import workforce as staff_mod
from sim.chain.bounds import COMMAND_SECTIONS, check_arrivals, check_bounds, parse_date
from sim.chain.checks import (
    COLOURS,
    FORMATS,
    ROUTING_OPTIONS,
    STAFFED_ORGS,
    START_MODES,
    ConfigError,
    _number,
    choice,
    distribution,
    integer,
    non_negative,
    positive,
    probability,
    shares,
)
from sim.chain.entities import UNIT_KINDS
from sim.chain.model import (
    REGISTRATION_FORMS,
    Jeugdregio,
    Measure,
    Model,
    RegistrationForm,
    RunSettings,
    Staffing,
    Unit,
    VoluntaryGI,
    unit_places,
)
from sim.config import prices as prices_mod
from sim.config.schema import DurationsSchema, KetensimSchema, NormsSchema
from sim.kernel import distributions as dists
from sim.scenarios import build_scenario

# ====================================================================== unknown keys


def unknown_key(cfg: DictConfig) -> str | None:
    """The message for the first key of ``cfg`` that the schema does not know (``+run.typo=1``), naming the
    known keys at that place, the nearest first; None when every key is known. Keys under a mapping of free
    names (``routing.vt_triage.<option>``, ``region.units``) are checked where they are validated."""
    return _unknown(cfg, KetensimSchema, "")


def _unknown(node: Any, schema: Any, prefix: str) -> str | None:
    if not isinstance(node, DictConfig) or not hasattr(schema, "__dataclass_fields__"):
        return None
    hints = typing.get_type_hints(schema)
    known = list(schema.__dataclass_fields__)
    for key in node:
        key = str(key)
        if key not in known:
            near = difflib.get_close_matches(key, known, n=len(known), cutoff=0.0)
            name, value = f"{prefix}{key}", node._get_node(key)
            while isinstance(value, DictConfig) and len(value) and not OmegaConf.is_missing(value, next(iter(value))):
                first = str(next(iter(value.keys())))  # +new.key=1: show the whole name that was typed
                name, value = f"{name}.{first}", value._get_node(first)
            shown = value._value() if hasattr(value, "_value") else value
            where = f"of {prefix[:-1]}" if prefix else "at the top level"
            return f"{name} = {shown!r} ({key!r} is not a known key {where}; known: {', '.join(near)})"
        if OmegaConf.is_missing(node, key):
            continue
        child, hint = node._get_node(key), hints[key]
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        target = args[0] if typing.get_origin(hint) is typing.Union and args else hint
        if hasattr(target, "__dataclass_fields__"):
            found = _unknown(child, target, f"{prefix}{key}.")
        elif typing.get_origin(target) is dict and hasattr(typing.get_args(target)[1], "__dataclass_fields__"):
            found = next((m for k in (child.keys() if isinstance(child, DictConfig) else ())
                          if (m := _unknown(child._get_node(k), typing.get_args(target)[1], f"{prefix}{key}.{k}."))),
                         None)
        else:
            found = None
        if found:
            return found
    return None


def staffing(field_name: str, s: Any, *, vt: bool = False) -> Staffing:
    fte = positive(f"{field_name}.fte", s.fte)
    caseload = positive(f"{field_name}.caseload", s.caseload)
    productive = probability(f"{field_name}.productive_share", s.productive_share)
    if productive == 0:
        raise ConfigError(f"{field_name}.productive_share = 0 (must be > 0: nobody would be at work)")
    vacancy = probability(f"{field_name}.vacancy_rate", s.vacancy_rate, below_one=True)
    reserve = probability(f"{field_name}.crisis_reserve_share", s.crisis_reserve_share, below_one=True)
    extra: dict[str, float] = {}
    if vt:
        extra["triage_share"] = probability(f"{field_name}.triage_share", s.triage_share, below_one=True)
        if extra["triage_share"] == 0:
            raise ConfigError(f"{field_name}.triage_share = 0 (must be > 0: nobody would assess meldingen)")
        extra["triage_caseload"] = positive(f"{field_name}.triage_caseload", s.triage_caseload)
    st = Staffing(fte, caseload, productive, vacancy, reserve, **extra)
    if st.slots(1.0 - st.triage_share) < 1 or (vt and st.slots(st.triage_share, st.triage_caseload) < 1):
        raise ConfigError(f"{field_name}.fte = {fte:g} (gives less than one caseload place; raise fte or caseload)")
    return st


UNIT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
UNIT_KEYS: dict[str, str] = {  # region.units.<kind>.<name>: key -> what it is (<name>: snake_case, pools <pool>[<name>])
    "catchment": "share of the region's families that belong to this organisation (sums to 1 over the kind)",
    "fte_share": "share of staffing.<kind>.fte working here (Veilig Thuis: of its case teams' FTE; sums to 1 over the "
                 "kind); default: its catchment",
    "caseload": "its own caseload norm (Veilig Thuis: the case teams'); default: staffing.<kind>.caseload",
    "triage_fte_share": "veilig_thuis only: share of the front desk's FTE (staffing.veilig_thuis.triage_share of the "
                        "total) working here (sums to 1 over the kind); default: its fte_share",
    "routing": "veilig_thuis only: its own routing.vt_triage (same options, sums to 1); default: the region's",
}


def _unit_share(field_name: str, value: Any) -> float:
    v = _number(field_name, value)
    if not 0.0 < v <= 1.0:
        raise ConfigError(f"{field_name} = {value!r} (must be a share, 0 < s <= 1)")
    return v


def _sums_to_one(field_name: str, what: str, values: Mapping[str, float]) -> None:
    total = sum(values.values())
    if abs(total - 1.0) > dists.PROB_TOLERANCE:
        listed = ", ".join(f"{k}={v:g}" for k, v in values.items())
        raise ConfigError(f"{field_name} {what} sum to {total:.6g} (must sum to 1): {listed}")


JEUGDREGIO_KEYS = {"vt": "its Veilig Thuis organisation (a name in region.units.veilig_thuis)",
                   "share": "share of that organisation's families living here (sums to 1 per organisation)",
                   "gi": "share of its families at each GI (names in region.units.gi; sums to 1)"}
CATCHMENT_TOLERANCE = 0.005  # a GI's catchment, when still given, may differ this much from the derived one
CATCHMENT_DIGITS = 4  # decimals of a derived GI catchment (as the VT catchments are given; implied_catchments())


def jeugdregios(field_name: str, given: Any, unit_map: dict[str, tuple[Unit, ...]],
                gi_staffing: Staffing) -> tuple[Jeugdregio, ...]:
    """``region.jeugdregios``: each youth-care region's Veilig Thuis organisation, its share of that organisation's
    families and its GIs' shares. Needs both kinds in ``region.units``; the shares sum to 1 per VT organisation and
    per region. One home per fact: with jeugdregio's a GI's ``catchment`` is DERIVED from them (sum over regions of
    VT catchment x share x GI share; :func:`implied_catchments`) and ``unit_map["gi"]`` is replaced by units with
    that catchment (and, when no ``fte_share`` was given, that fte_share), so the GIs' staff and today's stocks
    (split by catchment) agree with who is sent there whatever varies the regions' shares. A catchment still given
    for a GI is only checked (within 0.005 of the derived one)."""
    given = OmegaConf.to_container(given) if isinstance(given, (DictConfig, ListConfig)) else given
    if not given:
        for gi in unit_map.get("gi", ()):
            if math.isnan(gi.catchment):
                raise ConfigError(f"region.units.gi.{gi.name}.catchment is missing (catchment: {UNIT_KEYS['catchment']}; "
                                  "derived only from region.jeugdregios: without them give it)")
        return ()
    if not isinstance(given, Mapping):
        raise ConfigError(f"{field_name} = {given!r} (must map each jeugdregio's name to its {', '.join(JEUGDREGIO_KEYS)})")
    vts, gis = unit_map.get("veilig_thuis", ()), unit_map.get("gi", ())
    if not vts or not gis:
        raise ConfigError(f"{field_name} is set but region.units has no "
                          f"{'veilig_thuis' if not vts else 'gi'} organisations (a jeugdregio names both kinds; "
                          f"region.jeugdregios=null drops them)")
    vt_names, gi_names = [u.name for u in vts], [u.name for u in gis]
    built: list[Jeugdregio] = []
    for name, r in given.items():
        at = f"{field_name}.{name}"
        if not isinstance(name, str) or not UNIT_NAME.match(name):
            raise ConfigError(f"{at} is not a jeugdregio name (must be snake_case: a-z, 0-9 and _, starting with a letter)")
        if not isinstance(r, Mapping) or set(r) != set(JEUGDREGIO_KEYS):
            keys = sorted(set(r) ^ set(JEUGDREGIO_KEYS)) if isinstance(r, Mapping) else []
            raise ConfigError(f"{at} = {r!r} (must have exactly the keys {', '.join(JEUGDREGIO_KEYS)}"
                              + (f"; {keys[0]} is missing or unknown)" if keys else ")"))
        choice(f"{at}.vt", r["vt"], tuple(vt_names))
        share = _unit_share(f"{at}.share", r["share"])
        if not isinstance(r["gi"], Mapping) or not r["gi"]:
            raise ConfigError(f"{at}.gi = {r['gi']!r} (must map GI names ({', '.join(gi_names)}) to shares)")
        for g in r["gi"]:
            choice(f"{at}.gi key", g, tuple(gi_names))
        gi_shares = {g: (0.0 if r["gi"].get(g) in (None, 0) else _unit_share(f"{at}.gi.{g}", r["gi"][g]))
                     for g in gi_names}
        _sums_to_one(f"{at}.gi", "shares", {g: v for g, v in gi_shares.items() if g in r["gi"]})
        built.append(Jeugdregio(name, vt_names.index(r["vt"]), share, tuple(gi_shares[g] for g in gi_names)))
    for i, vt in enumerate(vts):
        mine = {b.name: b.share for b in built if b.vt == i}
        if not mine:
            raise ConfigError(f"{field_name} has no jeugdregio for region.units.veilig_thuis.{vt.name} "
                              "(every Veilig Thuis organisation's families live in some jeugdregio)")
        _sums_to_one(f"{field_name} of {vt.name}", "shares", mine)
    derived = []
    for gi, implied in zip(gis, implied_catchments(vts, built, len(gis))):
        if not math.isnan(gi.catchment) and abs(implied - gi.catchment) > CATCHMENT_TOLERANCE:
            raise ConfigError(f"region.units.gi.{gi.name}.catchment = {gi.catchment:g} (its jeugdregio's shares imply "
                              f"{implied:.4f}: leave the catchment out (it is derived) or set it to that, within "
                              f"{CATCHMENT_TOLERANCE:g})")
        fte_share = implied if math.isnan(gi.fte_share) else gi.fte_share  # its default: the catchment
        derived.append(dataclass_replace(gi, catchment=implied, fte_share=fte_share, triage_fte_share=fte_share
                                         if math.isnan(gi.triage_fte_share) else gi.triage_fte_share))
    unit_map["gi"] = _checked_kind("region.units.gi", "gi", tuple(derived), gi_staffing)
    return tuple(built)


def jeugdregio_share_group(cfg: Any, key: str) -> tuple[str, list[str]] | None:
    """For ``region.jeugdregios.<name>.share``: the group's label and the keys of the shares that sum to 1 with it
    (the jeugdregio's of the same Veilig Thuis organisation), for whatever varies one (experiments/sensitivity.py,
    sim/analysis/uncertainty.py); None for any other key. The GIs' catchments follow (:func:`jeugdregios`)."""
    parts = key.split(".")
    if len(parts) != 4 or parts[:2] != ["region", "jeugdregios"] or parts[3] != "share":
        return None
    regions = OmegaConf.select(cfg, "region.jeugdregios") if isinstance(cfg, DictConfig) else None
    if not regions or parts[2] not in regions:
        return None
    vt = regions[parts[2]].vt
    return (f"region.jeugdregios.*.share of {vt}",
            [f"region.jeugdregios.{r}.share" for r in regions if regions[r].vt == vt])


def implied_catchments(vts: tuple[Unit, ...], regions: tuple[Jeugdregio, ...], n_gi: int) -> list[float]:
    """Each GI's catchment as the jeugdregio's imply it: sum over the regions of their VT organisation's catchment x
    the region's share of it x the GI's share in the region, to CATCHMENT_DIGITS decimals (the precision of the
    catchments and shares it is made of, so the conf's regions give the GIs exactly the catchments they were given
    before they were derived) and then scaled to sum to 1. The families' GIs are drawn from the regions' own shares
    (sim/chain/demand.py); the catchment splits today's stocks and defaults the fte_share."""
    implied = [round(sum(vts[r.vt].catchment * r.share * r.gi[j] for r in regions), CATCHMENT_DIGITS)
               for j in range(n_gi)]
    total = sum(implied)  # 1 up to the rounding and the tolerance of the shares' sums: made 1
    return implied if total == 1.0 else [c / total for c in implied]


def units(field_name: str, given: Any, staff: Mapping[str, Staffing]) -> dict[str, tuple[Unit, ...]]:
    """``region.units``: per kind (veilig_thuis, gi) its organisations by name, each with a catchment share, an FTE
    share, optionally its own caseload norm and (Veilig Thuis) its own triage routing. Catchment and FTE shares
    each sum to 1 over a kind; every organisation keeps at least one caseload place. {} = one per kind, and
    ``region.units.<kind>=null`` makes a kind one organisation again. The order of the organisations is the
    file's (it orders their pools)."""

    def plain(value: Any) -> Any:
        return OmegaConf.to_container(value) if isinstance(value, (DictConfig, ListConfig)) else value

    given = plain(given)
    if given is not None and not isinstance(given, Mapping):
        raise ConfigError(f"{field_name} = {given!r} (must map a kind ({', '.join(UNIT_KINDS)}) to its organisations)")
    out: dict[str, tuple[Unit, ...]] = {}
    for kind, items in dict(given or {}).items():
        where = f"{field_name}.{kind}"
        if kind not in UNIT_KINDS:
            raise ConfigError(f"{where} is not an organisation with units (allowed: {', '.join(UNIT_KINDS)})")
        if items is None:  # region.units.<kind>=null on the command line: the kind as one organisation again
            continue
        if not isinstance(items, Mapping):
            raise ConfigError(f"{where} = {items!r} (must map each organisation's name to its {', '.join(UNIT_KEYS)})")
        if not items:
            raise ConfigError(f"{where} = {{}} (name at least one organisation, or leave {where} out)")
        st = staff[kind]
        built: list[Unit] = []
        for name, u in items.items():
            at = f"{where}.{name}"
            if not isinstance(name, str) or not UNIT_NAME.match(name):
                raise ConfigError(f"{at} is not an organisation name (must be snake_case: a-z, 0-9 and _, "
                                  f"starting with a letter; it names the pools <pool>[<name>])")
            if not isinstance(u, Mapping):
                raise ConfigError(f"{at} = {u!r} (must be a mapping with keys: {', '.join(UNIT_KEYS)})")
            unknown = sorted(set(u) - set(UNIT_KEYS))
            if unknown:
                raise ConfigError(f"{at}.{unknown[0]} is not a key of an organisation (allowed: {', '.join(UNIT_KEYS)})")
            if u.get("catchment") is None and kind != "gi":
                raise ConfigError(f"{at}.catchment is missing (catchment: {UNIT_KEYS['catchment']})")
            # a GI's catchment may be left out: derived from region.jeugdregios (jeugdregios(); NaN until then)
            catchment = math.nan if u.get("catchment") is None else _unit_share(f"{at}.catchment", u["catchment"])
            fte_share = catchment if u.get("fte_share") is None else _unit_share(f"{at}.fte_share", u["fte_share"])
            caseload = st.caseload if u.get("caseload") is None else positive(f"{at}.caseload", u["caseload"])
            for key in ("routing", "triage_fte_share"):
                if kind != "veilig_thuis" and u.get(key) is not None:
                    raise ConfigError(f"{at}.{key} is set (only veilig_thuis organisations have a front desk and their "
                                      f"own triage routing; allowed for {kind}: catchment, fte_share, caseload)")
            triage_fte_share = fte_share if u.get("triage_fte_share") is None else \
                _unit_share(f"{at}.triage_fte_share", u["triage_fte_share"])
            routing = None
            if u.get("routing") is not None:
                if not isinstance(u["routing"], Mapping):
                    raise ConfigError(f"{at}.routing = {u['routing']!r} (must map the options of routing.vt_triage to shares)")
                routing = shares(f"{at}.routing", u["routing"], ROUTING_OPTIONS["vt_triage"])
            built.append(Unit(kind, name, catchment, fte_share, caseload, routing, triage_fte_share))
        derived_later = any(math.isnan(b.catchment) for b in built)  # checked once jeugdregios() derived them
        out[kind] = tuple(built) if derived_later else _checked_kind(where, kind, tuple(built), st)
    return out


def _checked_kind(where: str, kind: str, built: tuple[Unit, ...], st: Staffing) -> tuple[Unit, ...]:
    """A kind's organisations with their shares summing to 1 and at least one caseload place each."""
    _sums_to_one(where, "catchment shares", {b.name: b.catchment for b in built})
    _sums_to_one(where, "fte_share values", {b.name: b.fte_share for b in built})
    if kind == "veilig_thuis":
        _sums_to_one(where, "triage_fte_share values", {b.name: b.triage_fte_share for b in built})
    places = [unit_places(st, built)] + ([unit_places(st, built, desk=True)] if kind == "veilig_thuis" else [])
    for i, b in enumerate(built):
        if min(p[i] for p in places) < 1:
            raise ConfigError(f"{where}.{b.name}.fte_share = {b.fte_share:g} (gives it less than one caseload place "
                              f"at staffing.{kind}.fte = {st.fte:g}; raise its fte_share, its caseload or the fte)")
    return built


# ====================================================================== the gate


def validate(cfg: DictConfig | KetensimSchema, scenario_builder: Any = None) -> Model:
    """Check every value once and return the immutable :class:`Model`. Raises :class:`ConfigError`."""
    if isinstance(cfg, DictConfig):
        unknown = unknown_key(cfg)
        if unknown:
            raise ConfigError(unknown)
        missing = sorted(_missing_keys(cfg))
        if missing:
            raise ConfigError(f"{missing[0]} is missing (every value must be set by the region, process or scenario file)")
        try:
            obj: KetensimSchema = OmegaConf.to_object(cfg)  # type: ignore[assignment]
        except Exception as err:  # omegaconf raises several types; all mean a wrong value
            raise ConfigError(_omegaconf_message(err)) from None
    else:
        obj = cfg
    check_bounds(obj, early=True)  # no absurd magnitude reaches the arithmetic below (overflow, endless runs)

    run = obj.run
    positive("run.years", run.years)
    non_negative("run.warmup_years", run.warmup_years)
    integer("run.replications", run.replications, 1)
    integer("run.seed", run.seed, 0)
    integer("run.jobs", run.jobs, 1)
    choice("run.start", run.start, START_MODES)
    if run.start == "today":  # the run starts from today's open cases: there is nothing to warm up
        run = dataclass_replace(run, warmup_years=0.0)
    positive("run.timeseries_step_days", run.timeseries_step_days)
    for i, fmt in enumerate(run.formats):
        choice(f"run.formats[{i}]", fmt, FORMATS)
    if not run.formats:
        raise ConfigError("run.formats = [] (need at least one of: parquet, csv)")
    for i, fmt in enumerate(run.event_log_formats):
        choice(f"run.event_log_formats[{i}]", fmt, FORMATS)
    if run.event_log and not run.event_log_formats:
        raise ConfigError("run.event_log_formats = [] (need at least one of: parquet, csv; "
                          "or run.event_log=false to write no event log)")
    for i, fmt in enumerate(run.families_formats):
        choice(f"run.families_formats[{i}]", fmt, FORMATS)
    if not run.families_formats:
        raise ConfigError("run.families_formats = [] (need at least one of: parquet, csv)")
    start_date = parse_date("run.start_date", run.start_date)

    d = obj.demand
    scale = non_negative("demand.scale", d.scale)
    profile = None
    if d.monthly_profile is not None:
        if len(d.monthly_profile) != 12:
            raise ConfigError(f"demand.monthly_profile has {len(d.monthly_profile)} values (needs 12, January to December)")
        profile = tuple(non_negative(f"demand.monthly_profile[{i}]", v) for i, v in enumerate(d.monthly_profile))
        if abs(sum(profile) / 12.0 - 1.0) > 1e-3:
            raise ConfigError(f"demand.monthly_profile has mean {sum(profile) / 12:.4g} (must average 1 so the yearly rate is kept)")

    path = None
    if getattr(d, "yearly_path", None) is not None:
        if len(d.yearly_path) == 0:
            raise ConfigError("demand.yearly_path = [] (give one relative rate per simulated year, or null for a flat rate)")
        path = tuple(non_negative(f"demand.yearly_path[{i}]", v) for i, v in enumerate(d.yearly_path))
        if max(path) <= 0:
            raise ConfigError(f"demand.yearly_path = {list(path)} (at least one year needs demand above 0)")

    fam = obj.families
    colours = shares("families.colour", fam.colour, COLOURS)
    routing = {name: shares(f"routing.{name}", getattr(obj.routing, name), opts) for name, opts in ROUTING_OPTIONS.items()}
    durations = {name: distribution(f"durations.{name}", getattr(obj.durations, name))
                 for name in DurationsSchema.__dataclass_fields__}
    children = distribution("families.children", fam.children)
    ages = {name: _age(f"families.{name}", getattr(fam, name, None)) for name in ("age_at_melding", "age_in_care")}
    if any(v < 1 or v != int(v) for v in getattr(children, "values", (1.0,))) or children.kind != "empirical":
        raise ConfigError("families.children must be an empirical distribution over whole numbers >= 1")
    measures = {name: Measure(positive(f"measures.{name}.term_days", getattr(obj.measures, name).term_days),
                              probability(f"measures.{name}.extension_probability",
                                          getattr(obj.measures, name).extension_probability, below_one=True))
                for name in ("ots", "ots_uhp", "voogdij")}
    norms = {name: positive(f"norms.{name}", getattr(obj.norms, name)) for name in NormsSchema.__dataclass_fields__}
    intake = {}
    for org, hours in obj.handoff.intake_hours.items():
        choice("handoff.intake_hours key", org, STAFFED_ORGS + ("kinderrechter",))
        intake[org] = non_negative(f"handoff.intake_hours.{org}", hours)
    h = obj.handoff
    form = RegistrationForm(choice("handoff.registration_form", h.registration_form, REGISTRATION_FORMS),
                            probability("handoff.shared_form_saving", h.shared_form_saving),
                            probability("handoff.shared_form_retold", h.shared_form_retold))
    v = obj.voluntary_gi
    voluntary_gi = VoluntaryGI(probability("voluntary_gi.from_vt", v.from_vt),
                               probability("voluntary_gi.from_buurtteam", v.from_buurtteam),
                               probability("voluntary_gi.to_rvdk", v.to_rvdk),
                               positive("voluntary_gi.caseload", v.caseload))
    staff = {org: staffing(f"staffing.{org}", getattr(obj.staffing, org), vt=(org == "veilig_thuis"))
             for org in STAFFED_ORGS}
    unit_map = units("region.units", getattr(obj.region, "units", None), staff)
    regions = jeugdregios("region.jeugdregios", getattr(obj.region, "jeugdregios", None), unit_map, staff["gi"])

    initial = initial_state_mod.validate(obj.region.initial_state, start=run.start, start_date=start_date,
                                         measures=measures)

    dynamics = staff_mod.validate(getattr(obj, "staff_dynamics", None))
    # euros are for the costs module (sim/analysis/costs.py) only, never for the Model: checked here so a price
    # without a source or a negative one is refused before any simulated time
    prices_mod.validate(getattr(obj, "prices", None))
    court_per_week = court_capacity("court.zittingen_per_week", obj.court.zittingen_per_week)
    waiting = waiting_mod.validate(getattr(obj, "waiting", None))

    scenario = build_scenario(obj.scenario, staff) if scenario_builder is None else scenario_builder(obj.scenario)
    check_arrivals(scale, d.vt_meldingen_per_year, d.buurtteam_direct_per_year)

    model = Model(
        run=RunSettings.of(run),
        start_date=start_date,
        scenario=scenario,
        region_name=str(obj.region.name),
        demand_scale=scale,
        vt_meldingen_per_year=non_negative("demand.vt_meldingen_per_year", d.vt_meldingen_per_year),
        buurtteam_direct_per_year=non_negative("demand.buurtteam_direct_per_year", d.buurtteam_direct_per_year),
        monthly_profile=profile,
        yearly_path=path,
        jeugdregios=regions,
        staffing=staff,
        colour_probs=colours,
        children=children,
        voluntary_suffices=probability("families.voluntary_suffices", fam.voluntary_suffices),
        reentry_probability=probability("families.reentry_probability", fam.reentry_probability, below_one=True),
        adult_problem_share=probability("families.adult_problem_share", fam.adult_problem_share),
        time_to_return=distribution("families.time_to_return", fam.time_to_return),
        max_episodes=integer("families.max_episodes", fam.max_episodes, 1),
        routing=routing,
        rood_spoed=probability("routing.rood_spoed", obj.routing.rood_spoed),
        court_grants=probability("routing.court_grants", obj.routing.court_grants),
        vots_to_ots=probability("routing.vots_to_ots", obj.routing.vots_to_ots),
        durations=durations,
        measures=measures,
        vots_max_days=positive("measures.vots_max_days", obj.measures.vots_max_days),
        norms=norms,
        intake_hours=intake,
        work_hours_per_day=positive("work.hours_per_day", obj.work.hours_per_day),
        initial_state=initial,
        staff_dynamics=dynamics,
        units=unit_map,
        waiting=waiting,
        **ages,
        voluntary_gi=voluntary_gi,
        registration_form=form,
        court_per_week=court_per_week,
    )
    check_bounds(obj, skip=COMMAND_SECTIONS)  # every bound the fields' own checks above left open
    return model


def court_capacity(field_name: str, value: Any) -> float | None:
    """``unlimited`` -> None (the court as a delay); a positive finite number of zittingen a week -> that number."""
    if isinstance(value, str) and value.strip().lower() == "unlimited":
        return None
    allowed = "must be 'unlimited' or a positive number of zittingen a week"
    if isinstance(value, bool):
        raise ConfigError(f"{field_name} = {value!r} ({allowed})")
    if not isinstance(value, (int, float)):
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{field_name} = {value!r} ({allowed})") from None
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{field_name} = {value!r} ({allowed})")
    return float(value)
def _age(field_name: str, spec: Any) -> dists.Distribution | None:
    """A child's age in whole years 0-17 (an empirical distribution; the fraction of the year is drawn uniform), or
    None (children never age)."""
    if spec is None:
        return None
    d = distribution(field_name, spec)
    if d.kind != "empirical" or any(v < 0 or v > 17 or v != int(v) for v in d.values):
        raise ConfigError(f"{field_name} must be an empirical distribution over whole years 0-17")
    return d


def _missing_keys(cfg: DictConfig, prefix: str = "") -> list[str]:
    out: list[str] = []
    for key in cfg.keys():
        dotted = f"{prefix}{key}"
        if OmegaConf.is_missing(cfg, key):
            out.append(dotted)
            continue
        node = cfg._get_node(key)
        if isinstance(node, DictConfig):
            out.extend(_missing_keys(node, dotted + "."))
    return out


def _omegaconf_message(err: Exception) -> str:
    key = getattr(err, "full_key", None) or "config"
    value = getattr(err, "value", None)
    msg = str(err).splitlines()[0] if str(err) else type(err).__name__
    return f"{key} = {value!r} ({msg})" if value is not None else f"{key}: {msg}"
