"""How sure are we? Every assumption with a range drawn jointly, each draw run for every compared workflow.

``python -m sim.uncertainty`` (sim/uncertainty.py, conf/uncertainty.yaml, docs/uncertainty.md). The comparison of
sim/analysis/compare.py answers "what is the difference at the assumed values, give or take the families' chance";
no pilot published an effect size, so every effect and many capacities are assumptions with a stated range, and the
answer can move far beyond that interval inside them. Here:

1. **Which assumptions** (:func:`discover`): every value in force whose provenance comment says ``assumption`` and
   states a range (sim/analysis/assumptions.py's table: process, region and each workflow's scenario file), the
   workflows' assumed effects with the plausible ranges their packages declare (sim/scenarios/effects.py) instead of
   the comment's. A value of the process or region file is shared by every workflow (its name is its key); a value
   of one workflow's scenario file is that workflow's own (``<key>@<workflow>``). Nothing here names an assumption.
   Shapes: uniform over the range; ``triangular`` or ``pert`` (beta-PERT) peaking at the default, written after the
   range in the comment (``range 10-21, pert``) or in ``uncertainty.shapes``; ``uncertainty.ranges`` replaces a range.
   A range whose low is above its high, a default outside its range, an unknown shape or name: one line.
2. **The design** (:func:`design`): SALib's Saltelli sample of a scrambled Sobol' sequence on the unit cube without
   second-order rows (N x (D + 2) draws; every row is a draw from the joint distribution), mapped onto each range
   by its shape's quantile function. Seeded by ``uncertainty.seed``: the same seed gives the same draws. With
   ``uncertainty.method=emulator``: the first ``draws`` points of a scrambled Sobol' sequence, every one an
   independent world, and the Sobol' indices from an emulator fitted on most of them, its error measured on the
   rest (sim/analysis/emulator.py).
3. **The runs** (:func:`run_draws`): for draw d every workflow runs with the drawn values and the same seed (common
   random numbers within the draw), the KPIs of compare.py's frame per replication. Each A and B row of the design
   has families of its own (unless ``uncertainty.same_families``); a variant of A (one column from B) has A's
   families, as if the seed were one more of A's columns (:meth:`Plan.family_draw`), so that the difference between
   A and a variant is the assumption's alone, not another set of families'. A variant that changes only one
   workflow's own assumption leaves the other workflows' runs exactly A's: those are not run again but copied
   (:meth:`Plan.ran_as`; 9 % of the runs of integrated vs sequential in Gelderland). Draws run in blocks
   (``uncertainty.block``), in ``run.jobs`` processes; each block is written atomically with its marker, and a
   rerun into the same folder keeps every finished block whose configuration and code are unchanged. A draw's
   numbers depend on its index only: serial = parallel = resumed.
4. **The tables** (:func:`analyse`, statistics in sim/analysis/voi.py): ``uncertainty.parquet`` (one row per draw x
   workflow x replication x KPI, the drawn values as columns), ``uncertainty_summary.csv`` (per KPI the spread of the
   paired difference and P(better)), ``sobol.csv`` (first-order and total indices with bootstrap intervals, and
   EVPPI), ``emulator_check.csv`` (method=emulator: its error on the held-back draws), ``break_even.csv`` and
   ``break_even_curves.csv`` (the expected difference against the most influential assumptions),
   ``assumptions_drawn.csv``.

How a drawn value enters the configuration (:func:`apply`): a number is set (an integer rounded); a distribution's
mean is moved to it with its shape kept (as experiments/sensitivity.py does); a share of a decision (shares summing
to 1) is set and its remainder option (provenance ``derived: remainder``/``1 - ...``) absorbs the change, else the
other options in proportion; an organisation's share of its kind (``region.units``) likewise over the other
organisations, and a jeugdregio's share of its Veilig Thuis organisation over that organisation's other
jeugdregio's (with jeugdregio's a GI's catchment is derived from them, not drawn: sim.config.gate.jeugdregios).
Shares of one whole are drawn together (:func:`share_groups`, :func:`cohere`): when every share
of a group is drawn (the GIs' fte_share) each draw is renormalised to sum to 1 with every share kept in its range;
drawn shares that leave the others no room are renormalised likewise. A value derived as ``1 - <other
values>`` (``scenario.team.share.veilig_thuis: 1 - experts.vt - experts.vertrouwensarts``) follows the drawn values
it names.
"""

from __future__ import annotations

import copy
import json
import math
import multiprocessing
import re
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf
from scipy import stats
from scipy.stats import qmc

from sim.analysis import costs, emulator, voi
from sim.analysis.assumptions import assumptions_table
from sim.analysis.compare import kpi_frame
from sim.analysis.compare import plan as compare_plan
from sim.chain import bounds, checks, kpis
from sim.chain.checks import ConfigError
from sim.config import prices as prices_mod
from sim.config import provenance
from sim.config.gate import jeugdregio_share_group, validate
from sim.config.sources import group_file
from sim.run import output, runner
from sim.run.progress import Bar
from sim.scenarios import effects as effects_mod
from sim.scenarios import registry

TIME_FIELDS = ("mean", "median", "scale", "value", "low", "mode", "high")  # a distribution's parameters in days
UNIT_SHARES = ("catchment", "fte_share", "triage_fte_share")  # region.units.<kind>.<name>.<share>: sum to 1 per kind
BLOCKS = "blocks"  # the sub-folder of the finished blocks of draws
EDGE = 1e-9  # how close to an end of a range the preflight checks (a drawn value never lies on the end itself)
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


# ====================================================================== which assumptions


@dataclass(frozen=True)
class Assumption:
    """One assumption drawn: ``name`` is its column (``key`` or ``key@workflow``), ``default`` its value in force
    (a distribution's mean), ``low``/``high`` its range, ``shape`` uniform | triangular | pert."""

    name: str
    key: str
    workflow: str | None  # None: shared by every workflow (process and region files)
    default: float
    low: float
    high: float
    shape: str
    integer: bool
    why: str
    file: str


def _number(cfg: DictConfig, key: str) -> tuple[float, bool] | None:
    """(value, is an integer) of a numeric or distribution value; None for anything else (lists, maps, flags)."""
    node = OmegaConf.select(cfg, key, default=None)
    if isinstance(node, DictConfig):
        if "dist" not in node:
            return None
        return float(checks.distribution(key, node).mean), False
    if isinstance(node, bool) or not isinstance(node, (int, float)):
        return None
    return float(node), isinstance(node, int)


def _workflow_effects(model) -> dict[str, tuple[float, float]]:
    spec = registry.get(model.scenario.name)
    if spec is None or spec.effects is None:
        return {}
    return {f"scenario.effects.{k}": v for k, v in effects_mod.plausible(spec.effects).items()}


def candidates(members: Sequence[tuple[str, DictConfig, object]]) -> list[Assumption]:
    """Every assumption of the compared workflows that states a range, as written (not yet checked)."""
    baseline = members[0][0]
    out: dict[str, Assumption] = {}
    for name, wcfg, model in members:
        table = assumptions_table(wcfg, model, scenario_file=name)
        declared = _workflow_effects(model)
        for key, why, file in zip(table["parameter"], table["why"], table["file"]):
            own = str(file).startswith("scenario")
            if str(file).startswith("prices/"):
                continue  # prices move no simulated number: the draws are of the model's assumptions only
            if not own and name != baseline:
                continue  # the process and region files are the same for every workflow: read once
            stated = declared.get(key) or provenance.parse_range(str(why), as_written=True)
            value = _number(wcfg, key)
            if stated is None or value is None:
                continue
            label = f"{key}@{name}" if own else key
            out[label] = Assumption(label, key, name if own else None, value[0], float(stated[0]), float(stated[1]),
                                    provenance.parse_shape(str(why)) or "uniform", value[1], str(why), str(file))
    return list(out.values())


def _names_error(field_name: str, value: object, known: Sequence[str]) -> ConfigError:
    shown = ", ".join(list(known)[:12]) + (f", ... ({len(known)} in all: see assumptions_drawn.csv of a run)"
                                            if len(known) > 12 else "")
    return ConfigError(f"{field_name} = {value!r} (not an assumption with a stated range here; known: {shown})")


def _matches(name: str, a: Assumption) -> bool:
    """A name given by the user: the assumption's own name, or its key (every workflow's copy of it)."""
    return name in (a.name, a.key)


def _flat(given: dict, prefix: str = "") -> dict[str, object]:
    """``{scenario: {team: {caseload: pert}}}`` (as ``+uncertainty.shapes.scenario.team.caseload=pert`` composes)
    and ``{"scenario.team.caseload": pert}`` alike, by dotted name."""
    out: dict[str, object] = {}
    for k, v in given.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def choose(found: list[Assumption], u: DictConfig) -> list[Assumption]:
    """Apply ``uncertainty.ranges`` and ``uncertainty.shapes``, check every range, keep ``uncertainty.only``.
    Raises ConfigError (one line)."""
    known = [a.name for a in found]
    out = []
    ranges = _flat(OmegaConf.to_container(u.ranges) if u.ranges else {})
    shapes = {k: str(v) for k, v in _flat(OmegaConf.to_container(u.shapes) if u.shapes else {}).items()}
    for given in [*ranges, *shapes]:
        if not any(_matches(given, a) for a in found):
            which = "ranges" if given in ranges else "shapes"
            raise _names_error(f"uncertainty.{which}.{given}", given, known)
    for a in found:
        low, high, shape = a.low, a.high, a.shape
        where = f"the range in {a.file}"
        for given, r in ranges.items():
            if _matches(given, a):
                r = list(r) if r is not None else []
                if len(r) != 2 or not all(isinstance(v, (int, float)) and math.isfinite(v) for v in r):
                    raise ConfigError(f"uncertainty.ranges.{given} = {r} (give [low, high], two numbers)")
                low, high, where = float(r[0]), float(r[1]), f"uncertainty.ranges.{given}"
        for given, s in shapes.items():
            if _matches(given, a):
                shape, where_shape = s, f"uncertainty.shapes.{given}"
                if shape not in provenance.SHAPES:
                    raise ConfigError(f"{where_shape} = {shape!r} (allowed: {', '.join(provenance.SHAPES)})")
        if low > high:
            raise ConfigError(f"{a.name}: range {low:g}-{high:g} ({where}: its low is above its high)")
        if not low <= a.default <= high:
            raise ConfigError(f"{a.name} = {a.default:g} (the default lies outside its range {low:g}-{high:g}, "
                              f"{where}: widen the range or correct the value)")
        if low == high:
            continue  # nothing to draw
        out.append(Assumption(a.name, a.key, a.workflow, a.default, low, high, shape, a.integer, a.why, a.file))
    if u.only is not None:
        only = [str(x) for x in u.only]
        for i, given in enumerate(only):
            if not any(_matches(given, a) for a in found):
                raise _names_error(f"uncertainty.only[{i}]", given, known)
        out = [a for a in out if any(_matches(g, a) for g in only)]
        if not out:
            raise ConfigError(f"uncertainty.only = {only} (every one of them has an empty range: nothing to draw)")
    return out


# ====================================================================== the design


def quantile(a: Assumption, u: np.ndarray) -> np.ndarray:
    """The value of assumption ``a`` at probability ``u`` (0-1) of its shape over its range."""
    width = a.high - a.low
    if a.shape == "uniform":
        return a.low + u * width
    c = (a.default - a.low) / width
    if a.shape == "triangular":
        return stats.triang.ppf(u, c, loc=a.low, scale=width)
    alpha, beta = 1.0 + 4.0 * c, 1.0 + 4.0 * (1.0 - c)  # beta-PERT with the peak at the default (lambda 4)
    return a.low + width * stats.beta.ppf(u, alpha, beta)


def base_draws(draws: int, d: int) -> int:
    """N of the Saltelli design: N x (d + 2) draws at most ``draws``. Raises ConfigError when below 2."""
    n = draws // (d + 2)
    if n < 2:
        raise ConfigError(f"uncertainty.draws = {draws} (at least {2 * (d + 2)} for {d} assumptions: N x (D + 2) "
                          f"draws with N >= 2; or name fewer with uncertainty.only)")
    return n


METHODS = ("saltelli", "emulator")  # uncertainty.method: how the Sobol' indices are estimated (and so the design)


def design(assumptions: Sequence[Assumption], draws: int, seed: int,
           groups: Sequence[ShareGroup] = (), method: str = "saltelli") -> tuple[np.ndarray, np.ndarray]:
    """(unit design, values): for ``saltelli`` SALib's Saltelli sample on [0, 1]^D in its row order, for
    ``emulator`` the first ``draws`` points of a scrambled Sobol' sequence (every row an independent world); each
    column mapped onto its assumption's range; the shares of each of ``groups`` then made coherent
    (:func:`cohere`). Same seed, same draws."""
    d = len(assumptions)
    if method == "emulator":
        if draws < emulator.MIN_DRAWS:
            raise ConfigError(f"uncertainty.draws = {draws} (uncertainty.method=emulator needs at least "
                              f"{emulator.MIN_DRAWS}: some to fit the emulator, some held back to measure its error)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # draws not a power of 2: balance is lost, low discrepancy is kept
            unit = qmc.Sobol(d, scramble=True, seed=seed).random(draws)
    else:
        from SALib.sample import sobol as salib_sample  # SALib imports matplotlib: only when a design is made

        n = base_draws(draws, d)
        problem = {"num_vars": d, "names": [a.name for a in assumptions], "bounds": [[0.0, 1.0]] * d}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # N not a power of 2: balance is lost, low discrepancy is kept
            unit = salib_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    values = np.column_stack([quantile(a, unit[:, j]) for j, a in enumerate(assumptions)])
    for j, a in enumerate(assumptions):
        if a.integer:
            values[:, j] = np.rint(values[:, j])
    return unit, cohere(values, assumptions, groups)


# ====================================================================== shares of one whole, drawn together


@dataclass(frozen=True)
class ShareGroup:
    """Drawn shares of one whole: the options of a decision (``families.colour``) or one share of every
    organisation of a kind (``region.units.gi.*.fte_share``), or the jeugdregio's of one VT organisation. ``members``: their columns in the design; ``whole``:
    every share of the group is drawn, so they must sum to 1 (else the shares not drawn take the rest, and the
    drawn ones must leave room: sum to at most 1)."""

    name: str
    workflow: str | None
    members: tuple[int, ...]
    whole: bool


def share_groups(assumptions: Sequence[Assumption], cfgs: dict[str | None, DictConfig]) -> list[ShareGroup]:
    """The groups of shares among ``assumptions`` (two or more drawn, or one with the group's other shares taking
    the rest); ``cfgs``: the configuration of each workflow by name, ``None`` the baseline's (shared values). Raises
    ConfigError (one line) when the ranges of a group's drawn shares cannot meet the whole."""
    found: dict[tuple[str | None, str], list[int]] = {}
    size: dict[tuple[str | None, str], int] = {}
    for j, a in enumerate(assumptions):
        cfg = cfgs[a.workflow]
        parent, leaf = a.key.rsplit(".", 1)
        if a.key.startswith("region.units.") and leaf in UNIT_SHARES:
            kind_path, _org = parent.rsplit(".", 1)
            name = f"{kind_path}.*.{leaf}"
            size[(a.workflow, name)] = len(OmegaConf.select(cfg, kind_path))
        elif (regions := jeugdregio_share_group(cfg, a.key)) is not None:  # a VT organisation's jeugdregio's
            name = regions[0]
            size[(a.workflow, name)] = len(regions[1])
        elif _share_group(OmegaConf.select(cfg, parent)):
            name = parent
            size[(a.workflow, name)] = len(OmegaConf.select(cfg, parent))
        else:
            continue
        found.setdefault((a.workflow, name), []).append(j)
    out = []
    for (workflow, name), members in found.items():
        g = ShareGroup(name, workflow, tuple(members), len(members) == size[(workflow, name)])
        lows = sum(assumptions[j].low for j in members)
        highs = sum(assumptions[j].high for j in members)
        label = name + (f"@{workflow}" if workflow else "")
        if lows > 1.0 + 1e-9 or (g.whole and highs < 1.0 - 1e-9):
            raise ConfigError(f"{label}: the ranges of its drawn shares cannot sum to 1 (lows sum to {lows:g}, "
                              f"highs to {highs:g}; widen or correct the ranges)")
        out.append(g)
    return out


def _onto_whole(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each row of shares ``x`` (draws x members, all > 0) renormalised to sum to 1 inside the ranges: ``clip(s *
    x, low, high)`` with the one factor ``s`` per row that makes the row sum to 1 (bisection, then one exact step
    on the linear piece it lands on). The ratios of the shares not held at an end of their range are kept."""
    s_lo = np.zeros(len(x))
    s_hi = np.full(len(x), float(np.max(high / np.maximum(x, 1e-300))) + 1.0)
    for _ in range(80):
        mid = 0.5 * (s_lo + s_hi)
        over = np.clip(mid[:, None] * x, low, high).sum(axis=1) > 1.0
        s_hi = np.where(over, mid, s_hi)
        s_lo = np.where(over, s_lo, mid)
    s = 0.5 * (s_lo + s_hi)
    y = np.clip(s[:, None] * x, low, high)
    free = (s[:, None] * x > low) & (s[:, None] * x < high)
    slope = np.where(free, x, 0.0).sum(axis=1)
    step = np.divide(1.0 - y.sum(axis=1), slope, out=np.zeros(len(x)), where=slope > 0)
    return np.clip(y + np.where(free, step[:, None] * x, 0.0), low, high)


def cohere(values: np.ndarray, assumptions: Sequence[Assumption], groups: Sequence[ShareGroup]) -> np.ndarray:
    """The drawn values with every group of shares coherent (docs/uncertainty.md): a whole group (every share
    drawn) renormalised to sum to 1, each share kept inside its range (:func:`_onto_whole`); the drawn shares of a
    group whose other shares take the rest renormalised likewise only where they sum to more than 1. The unit
    design is not changed: the Sobol' indices of a group's shares are those of their draws before renormalising."""
    out = values.copy()
    for g in groups:
        cols = list(g.members)
        x = out[:, cols]
        low = np.array([assumptions[j].low for j in cols])
        high = np.array([assumptions[j].high for j in cols])
        rows = np.ones(len(x), dtype=bool) if g.whole else x.sum(axis=1) > 1.0
        if rows.any():
            x[rows] = _onto_whole(np.maximum(x[rows], 1e-12), low, high)
            out[:, cols] = x
    return out


# ====================================================================== a draw into a configuration


def _remainder(prov: dict[str, provenance.Provenance], parent: str) -> str | None:
    for key, p in prov.items():
        if key.startswith(parent + ".") and key.count(".") == parent.count(".") + 1 and p.kind == "derived" and (
                "remainder" in p.text or p.text.lstrip().startswith("1 -")):
            return key.rsplit(".", 1)[1]
    return None


def _share_group(node: object) -> bool:
    if not isinstance(node, DictConfig) or "dist" in node or len(node) < 2:
        return False
    vals = list(node.values())
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals) and abs(sum(vals) - 1.0) < 1e-6


def _fill(current: dict[str, float], drawn: dict[str, float], absorb: list[str]) -> dict[str, float]:
    """Shares summing to 1: ``drawn`` set, ``absorb`` take the rest in proportion; scaled to 1 when that fails."""
    out = {**current, **drawn}
    rest = 1.0 - sum(v for k, v in out.items() if k not in absorb)
    have = sum(current[k] for k in absorb)
    if absorb and rest >= 0.0:
        for k in absorb:
            out[k] = current[k] * rest / have if have > 0 else rest / len(absorb)
        return out
    total = sum(out.values())
    return {k: v / total for k, v in out.items()}


def _unit_share(orgs: dict, share: str) -> dict[str, float]:
    """Each organisation's share as the gate reads it (a share left out defaults as sim.config.gate.units does)."""
    def given(u: dict) -> float:
        for key in (share, "fte_share", "catchment"):
            if u.get(key) is not None and (key == share or share != "catchment"):
                return float(u[key])
        return float(u["catchment"])
    return {n: given(u) for n, u in orgs.items()}


def apply(cfg: DictConfig, drawn: Sequence[tuple[Assumption, float]],
          prov: dict[str, provenance.Provenance]) -> DictConfig:
    """A copy of ``cfg`` with the drawn values in force (see the module docstring); ``prov``: the provenance of the
    workflow's files by key (remainder options and values derived as ``1 - ...``)."""
    out = copy.deepcopy(cfg)
    drawn = [(a, float(v)) for a, v in drawn]
    groups: dict[str, dict[str, float]] = {}
    units: dict[tuple[str, str], dict[str, float]] = {}
    regions: dict[str, tuple[list[str], dict[str, float]]] = {}  # a VT organisation's jeugdregio shares
    for a, value in drawn:
        node = OmegaConf.select(out, a.key)
        parent, leaf = a.key.rsplit(".", 1)
        if isinstance(node, DictConfig):  # a distribution: its mean to the value, its shape kept
            spec = OmegaConf.to_container(node)
            factor = value / checks.distribution(a.key, spec).mean
            new = {k: (float(v * factor) if k in TIME_FIELDS and v is not None else v) for k, v in spec.items()}
            OmegaConf.update(out, a.key, new, merge=True)
        elif a.key.startswith("region.units.") and leaf in UNIT_SHARES:
            kind_path, org = parent.rsplit(".", 1)
            units.setdefault((kind_path, leaf), {})[org] = float(value)
        elif (group := jeugdregio_share_group(out, a.key)) is not None:
            regions.setdefault(group[0], (group[1], {}))[1][a.key] = float(value)
        elif _share_group(OmegaConf.select(out, parent)):
            groups.setdefault(parent, {})[leaf] = float(value)
        else:
            OmegaConf.update(out, a.key, int(round(value)) if a.integer else float(value), merge=False)
    for (kind_path, share), given in units.items():
        current = _unit_share(OmegaConf.to_container(OmegaConf.select(out, kind_path)), share)
        new = _fill(current, given, [k for k in current if k not in given])
        for org, v in new.items():
            OmegaConf.update(out, f"{kind_path}.{org}.{share}", float(v), merge=False, force_add=True)
    for keys, given in regions.values():  # the undrawn jeugdregio's of the organisation take the rest; the GIs'
        current = {k: float(OmegaConf.select(out, k)) for k in keys}  # catchments follow (gate.jeugdregios)
        for key, v in _fill(current, given, [k for k in keys if k not in given]).items():
            OmegaConf.update(out, key, float(v), merge=False)
    for parent, given in groups.items():
        current = {str(k): float(v) for k, v in OmegaConf.to_container(OmegaConf.select(out, parent)).items()}
        rem = _remainder(prov, parent)
        others = [k for k in current if k not in given]
        absorb = [rem] if rem in others and 0.0 <= current[rem] - (sum(given.values()) - sum(
            current[k] for k in given)) <= 1.0 else others
        OmegaConf.update(out, parent, _fill(current, given, absorb), merge=False)
    for key, p in prov.items():  # values derived as 1 - <named values> follow the drawn ones
        if p.kind != "derived" or not p.text.lstrip().startswith("1 -"):
            continue
        tokens = _TOKEN.findall(p.text)
        delta = sum(v - a.default for a, v in drawn if a.key != key and any(
            a.key.endswith("." + t) or a.key.rsplit(".", 1)[0].endswith("." + t) for t in tokens))
        if delta:
            OmegaConf.update(out, key, float(OmegaConf.select(cfg, key)) - delta, merge=False)
    return out


# ====================================================================== the plan of a run


@dataclass
class Plan:
    baseline: str
    members: list[tuple[str, DictConfig]]  # (scenario file, configuration) of the baseline and each alternative
    assumptions: list[Assumption]
    unit: np.ndarray  # the design on [0, 1]^D (SALib's row order)
    values: np.ndarray  # the drawn values, one row per draw
    prov: dict[str, dict[str, provenance.Provenance]]  # workflow -> key -> provenance of its files
    seed: int  # run.seed
    same_families: bool
    replications: int
    block: int
    identity: str  # the configuration that decides the numbers (resume: a block is kept only under the same)
    options: dict = field(default_factory=dict)
    method: str = "saltelli"  # METHODS: Saltelli's design and estimators, or independent draws and an emulator

    @property
    def draws(self) -> int:
        return len(self.values)

    def blocks(self) -> list[range]:
        return [range(s, min(s + self.block, self.draws)) for s in range(0, self.draws, self.block)]

    def family_draw(self, draw: int) -> int:
        """The draw whose families ``draw`` has. The design's rows come in groups of D + 2: an A row, its D variants
        (A with one column taken from B) and the B row. The families are one more of A's columns, never swapped: a
        variant has its A row's families, so that what changes between A and the variant is the assumption alone
        (common random numbers along the design, not only within a draw); A and B rows have families of their own.
        With ``method=emulator`` every draw is an independent world with families of its own."""
        if self.method == "emulator":  # every draw an independent world
            return draw
        width = len(self.assumptions) + 2
        pos = draw % width
        return draw if pos == width - 1 else draw - pos

    def draw_seed(self, draw: int) -> int:
        """The families' seed of a draw, shared by every workflow in it and by its A row's variants
        (:meth:`family_draw`)."""
        if self.same_families:
            return self.seed
        return int(np.random.SeedSequence([self.seed, self.family_draw(draw)]).generate_state(1)[0])

    def ran_as(self, draw: int, workflow: str) -> int:
        """The draw whose run of ``workflow`` is this draw's run too: the draw with the same families
        (:meth:`family_draw`) when every value ``workflow`` reads is the same there (a variant that changes only
        another workflow's own assumption is, for this workflow, its A row's very run: same configuration, same
        seed, the same numbers bit for bit); else ``draw`` itself. Such a run is not run again (:func:`run_draw`)
        but copied (:func:`collect`)."""
        source = self.family_draw(draw)
        if source == draw:
            return draw
        cols = self.columns(workflow)
        return source if np.array_equal(self.values[draw, cols], self.values[source, cols]) else draw

    @property
    def reused_runs(self) -> int:
        """How many runs (draw x workflow) are an earlier draw's very run (:meth:`ran_as`)."""
        return sum(self.ran_as(d, name) != d for d in range(self.draws) for name, _ in self.members)

    def columns(self, workflow: str) -> list[int]:
        """The design's columns ``workflow`` reads: the shared assumptions and its own."""
        return [j for j, a in enumerate(self.assumptions) if a.workflow in (None, workflow)]

    def drawn(self, draw: int, workflow: str) -> list[tuple[Assumption, float]]:
        return [(self.assumptions[j], float(self.values[draw, j])) for j in self.columns(workflow)]


def _file_provenance(cfg: DictConfig, scenario_file: str) -> dict[str, provenance.Provenance]:
    from hydra.core.hydra_config import HydraConfig

    choices = dict(HydraConfig.get().runtime.choices) if HydraConfig.initialized() else {}
    out = {}
    for group, name, package in (("process", choices.get("process") or "nl_2023", ""),
                                 ("region", choices.get("region") or cfg.region.name, ""),
                                 ("scenario", scenario_file, "scenario")):
        path = group_file(group, str(name))
        if path is not None:
            out.update({p.key: p for p in provenance.read_file(path, package)[0]})
    return out


def _members_cfg(cfg: DictConfig) -> DictConfig:
    """The configuration compare.plan reads: the uncertainty's baseline and workflows as a comparison's."""
    u = cfg.uncertainty
    out = copy.deepcopy(cfg)
    out.compare.baseline = u.baseline
    out.compare.workflows = list(u.workflows)
    return out


def identity_yaml(cfg: DictConfig) -> str:
    """The configuration minus settings that cannot change a simulated number (processes, printing, the output
    formats, the analysis of the finished draws)."""
    c = OmegaConf.to_container(cfg, resolve=True)
    for key in ("jobs", "quiet", "formats"):
        c["run"].pop(key, None)
    for key in ("bootstrap", "top", "held_back", "task_block"):  # task_block: which block one array task runs
        (c.get("uncertainty") or {}).pop(key, None)
    return OmegaConf.to_yaml(OmegaConf.create(c))


def make_plan(cfg: DictConfig, chosen: str | None = None) -> Plan:
    """Validate everything the run needs, before any simulated time: every workflow, every range and name, the
    design, and each assumption at both ends of its range in every workflow it enters. Raises ConfigError."""
    u = cfg.uncertainty
    bounds.check_bounds(u, "uncertainty.")  # named here, not inside a workflow
    method = str(u.method)
    if method not in METHODS:
        raise ConfigError(f"uncertainty.method = {method!r} (allowed: {', '.join(METHODS)})")
    members = compare_plan(_members_cfg(cfg), chosen)
    found = candidates(members)
    chosen_assumptions = choose(found, u)
    if not chosen_assumptions:
        raise ConfigError("uncertainty: no assumption with a range to draw")
    cfgs = {None: members[0][1], **{name: wcfg for name, wcfg, _ in members}}
    unit, values = design(chosen_assumptions, int(u.draws), int(u.seed), share_groups(chosen_assumptions, cfgs),
                          method)
    prov = {name: _file_provenance(wcfg, name) for name, wcfg, _ in members}
    first = members[0][2]
    plan = Plan(members[0][0], [(n, c) for n, c, _ in members], chosen_assumptions, unit, values, prov,
                int(first.run.seed), bool(u.same_families), int(first.run.replications), int(u.block),
                identity_yaml(cfg), {"bootstrap": int(u.bootstrap), "top": int(u.top), "seed": int(u.seed),
                                     "held_back": float(u.held_back)}, method)
    check_ends(chosen_assumptions, plan.members, prov)
    return plan


def check_ends(assumptions: Sequence[Assumption], members: Sequence[tuple[str, DictConfig]],
               prov: dict[str, dict[str, provenance.Provenance]]) -> None:
    """Each end of each range must be a configuration the gate accepts in every workflow it enters. Raises
    ConfigError."""
    for a in assumptions:
        ends = quantile(a, np.array([EDGE, 1.0 - EDGE]))  # the design's values lie inside the range, never on it
        for end in (np.rint(ends) if a.integer else ends):
            for name, wcfg in members:
                if a.workflow in (None, name):
                    try:
                        validate(apply(wcfg, [(a, end)], prov[name]))
                    except ConfigError as err:
                        raise ConfigError(f"{a.name} = {end:g} (an end of its range; {name} refuses it: {err})") \
                            from None


@dataclass(frozen=True)
class Worlds:
    """Plausible worlds of one workflow: its assumptions with a range, the design over them and its files'
    provenance (what :func:`apply` needs). Row ``d`` of ``values`` is world ``d``."""

    scenario_file: str
    assumptions: list[Assumption]
    unit: np.ndarray
    values: np.ndarray
    prov: dict[str, provenance.Provenance]

    def drawn(self, d: int) -> list[tuple[Assumption, float]]:
        return [(a, float(self.values[d, j])) for j, a in enumerate(self.assumptions)]

    def independent_rows(self) -> list[int]:
        """The design's rows drawn independently of each other (SALib's A and B rows: its other rows each differ
        from an A row in one column only), in the order A0, B0, A1, B1, ..."""
        d = len(self.assumptions)
        n = len(self.values) // (d + 2)
        return [r for j in range(n) for r in (j * (d + 2), j * (d + 2) + d + 1)]


def draw_worlds(cfg: DictConfig, model, scenario_file: str, u: DictConfig, fixed: Sequence[str] = ()) -> Worlds:
    """The assumptions of one workflow (as :func:`candidates` finds them, without the keys in ``fixed``: values the
    command decides, such as the FTE it sizes), chosen and checked by ``u`` (``only``, ``shapes``, ``ranges``), and
    the design of ``u.draws`` worlds over them (seed ``u.seed``). Raises ConfigError (one line)."""
    found = [a for a in candidates([(scenario_file, cfg, model)]) if a.key not in fixed]
    chosen = choose(found, u)
    if not chosen:
        raise ConfigError("uncertainty: no assumption with a range to draw")
    unit, values = design(chosen, int(u.draws), int(u.seed), share_groups(chosen, {None: cfg, scenario_file: cfg}))
    prov = _file_provenance(cfg, scenario_file)
    check_ends(chosen, [(scenario_file, cfg)], {scenario_file: prov})
    return Worlds(scenario_file, chosen, unit, values, prov)


# ====================================================================== running the draws


def long_kpis(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame.reset_index().melt(id_vars="replication", var_name="kpi", value_name="value")`` (one row per KPI x
    replication, KPI by KPI), built directly when every KPI is a float64 column: pandas' melt of a frame of ~300
    KPI columns cost ~30 ms per workflow, ~2.5 % of a Gelderland draw (docs/performance.md)."""
    if not len(frame.columns) or not (frame.dtypes == np.float64).all():
        return frame.reset_index().melt(id_vars="replication", var_name="kpi", value_name="value")
    reps = frame.index.to_numpy()
    return pd.DataFrame({"replication": np.tile(reps, len(frame.columns)),
                         "kpi": np.repeat(frame.columns.to_numpy(dtype=object), len(reps)),
                         "value": frame.to_numpy(dtype=np.float64).T.ravel()})


def run_draw(plan: Plan, draw: int) -> pd.DataFrame:
    """Every workflow with draw ``draw``'s values on the same families: one row per workflow x replication x KPI."""
    seed = plan.draw_seed(draw)
    frames = []
    for name, wcfg in plan.members:
        if plan.ran_as(draw, name) != draw:
            continue  # an earlier draw's very run (Plan.ran_as): collect() copies its rows
        c = apply(wcfg, plan.drawn(draw, name), plan.prov[name])
        c.run.seed = seed
        c.run.jobs = 1
        c.run.quiet = True
        c.run.event_log = False
        try:
            model = validate(c)
        except ConfigError as err:
            raise ConfigError(f"draw {draw}: {name} refuses the drawn values: {err}") from None
        results = runner.run(model, jobs=1, progress=False)
        frame = kpi_frame(results, model)
        # euros and waiting days for the cost-effectiveness plane, priced afterwards (prices are not drawn)
        priced = costs.draw_kpis(model, prices_mod.validate(c.get("prices"), sources=False), results.runs,
                                 results.families, results.timeseries)
        frame = frame.join(priced)
        frames.append(long_kpis(frame).assign(workflow=name))
    if not frames:  # every workflow's run is an earlier draw's (an assumption drawn to the A row's value)
        return pd.DataFrame(columns=DRAW_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out.insert(0, "draw", draw)
    out.insert(1, "seed", seed)
    return out[DRAW_COLUMNS]


DRAW_COLUMNS = ["draw", "seed", "workflow", "replication", "kpi", "value"]


def run_block(plan: Plan, block: range) -> pd.DataFrame:
    frames = [f for f in (run_draw(plan, d) for d in block) if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DRAW_COLUMNS)


def _block_dir(out_dir: Path, i: int) -> Path:
    return out_dir / BLOCKS / f"block_{i:05d}"


def _block_identity(plan: Plan, i: int, block: range) -> str:
    return f"{plan.identity}\nblock {i}: draws {block.start}-{block.stop - 1}\n"


def finished(plan: Plan, out_dir: Path, i: int, block: range) -> bool:
    """A block written by the same code under the same configuration (its marker's hash and model version)."""
    d = _block_dir(out_dir, i)
    if not output.is_complete(d):
        return False
    try:
        info = json.loads((d / output.MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (info.get("config_hash") == output.config_hash(_block_identity(plan, i, block))
            and info.get("model_version") == output.model_version() and (d / "draws.parquet").is_file())


def _write_block(plan: Plan, out_dir: Path, i: int, block: range, table: pd.DataFrame) -> None:
    d = _block_dir(out_dir, i)
    with output.guarded(d):
        output.write_results(d, {"draws": table}, ["parquet"], _block_identity(plan, i, block),
                             extra={"draws": [block.start, block.stop - 1]})


def _context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def run_draws(plan: Plan, out_dir: Path, jobs: int, only_blocks: Sequence[int] | None = None,
              log: Callable[[str], None] | None = None) -> list[int]:
    """Run every block not yet finished in ``out_dir`` (or only ``only_blocks``), in ``jobs`` processes; return the
    indices of the blocks run now. Each block is written as soon as it is done."""
    blocks = plan.blocks()
    todo = [i for i in (range(len(blocks)) if only_blocks is None else only_blocks)
            if not finished(plan, out_dir, i, blocks[i])]
    with Bar(f"blocks of draws (of {len(blocks)})", len(todo), enabled=log is not None) as bar:
        if jobs <= 1 or len(todo) <= 1:
            for i in todo:
                _write_block(plan, out_dir, i, blocks[i], run_block(plan, blocks[i]))
                bar.advance()
        else:
            with ProcessPoolExecutor(max_workers=min(jobs, len(todo)), mp_context=_context()) as pool:
                futures = {pool.submit(run_block, plan, blocks[i]): i for i in todo}
                from concurrent.futures import as_completed

                for fut in as_completed(futures):
                    i = futures[fut]
                    _write_block(plan, out_dir, i, blocks[i], fut.result())
                    bar.advance()
    return todo


def collect(plan: Plan, out_dir: Path) -> pd.DataFrame:
    """The tidy table of every finished block, the drawn values as columns. Raises ConfigError if one is missing."""
    blocks = plan.blocks()
    missing = [i for i, b in enumerate(blocks) if not finished(plan, out_dir, i, b)]
    if missing:
        raise ConfigError(f"{out_dir / BLOCKS}: blocks {missing[:10]} not finished (run the same command again with "
                          f"hydra.run.dir={out_dir} to run them)")
    parts = [pd.read_parquet(_block_dir(out_dir, i) / "draws.parquet") for i in range(len(blocks))]
    table = pd.concat([p for p in parts if len(p)], ignore_index=True)
    reused = [(d, name, source) for d in range(plan.draws) for name, _ in plan.members
              if (source := plan.ran_as(d, name)) != d]
    if reused:  # the runs not run again: the rows of the draw that ran them, under this draw's number
        which = pd.DataFrame(reused, columns=["target", "workflow", "draw"])
        copies = table.merge(which, on=["draw", "workflow"])
        copies["draw"] = copies.pop("target")
        order = {name: m for m, (name, _) in enumerate(plan.members)}
        table = pd.concat([table, copies[table.columns]], ignore_index=True)
        key = table["draw"] * len(order) + table["workflow"].map(order)
        table = table.iloc[np.argsort(key.to_numpy(), kind="stable")].reset_index(drop=True)
    drawn = pd.DataFrame(plan.values, columns=[a.name for a in plan.assumptions])
    drawn.insert(0, "draw", np.arange(plan.draws))
    return table.merge(drawn, on="draw", how="left")


# ====================================================================== what it means


def reported_kpis(present: Sequence[str]) -> list[str]:
    """The KPIs the report judges: the paired chart's (censoring-aware lead times, norms, hand-offs, stories, staff
    hours) and the waiting list of every organisation, each with a better side (sim/chain/kpis.py)."""
    waiting = kpis.get(kpis.WAITING_LIST_ORG).prefix
    chosen = kpis.rows("paired", present) + [c for c in kpis.rows("compared", present) if c.startswith(waiting)]
    return [k for k in dict.fromkeys(chosen) if (kpis.find(k) is not None and kpis.find(k).better)]


def differences(table: pd.DataFrame, baseline: str) -> pd.DataFrame:
    """Per workflow, draw and KPI: the paired difference (workflow - baseline), mean over the draw's replications.
    A waiting list of an organisation a workflow does not have counts as nobody waiting (as in compare.paired)."""
    wide = table.pivot_table(index=["draw", "replication", "kpi"], columns="workflow", values="value",
                             aggfunc="first", dropna=False)
    waiting = kpis.get(kpis.WAITING_LIST_ORG).prefix
    is_wait = wide.index.get_level_values("kpi").str.startswith(waiting)
    wide.loc[is_wait] = wide.loc[is_wait].fillna(0.0)
    rows = []
    for wf in [w for w in wide.columns if w != baseline]:
        d = (wide[wf] - wide[baseline]).groupby(level=["draw", "kpi"]).mean()
        rows.append(d.rename("diff").reset_index().assign(workflow=wf))
    return pd.concat(rows, ignore_index=True)


def emulate(plan: Plan, ys: dict[tuple[str, str], np.ndarray], jobs: int) -> dict[tuple[str, str], object]:
    """The emulator's indices of every (workflow, KPI) difference, in ``jobs`` processes (each fit is a likelihood
    optimisation of seconds to a minute: sim/analysis/emulator.py)."""
    opt = plan.options
    args = [(plan.unit, y, opt["held_back"], opt["bootstrap"], opt["seed"]) for y in ys.values()]
    if jobs <= 1 or len(args) <= 1:
        results = [emulator.sobol(*a) for a in args]
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(args)), mp_context=_context()) as pool:
            results = list(pool.map(_sobol_one_thread, *zip(*args)))
    return dict(zip(ys, results))


def _sobol_one_thread(*args) -> object:
    """emulator.sobol in a worker process with one BLAS thread: ``jobs`` processes each starting a thread per core
    would ask the cores for jobs x cores threads."""
    from threadpoolctl import threadpool_limits  # scikit-learn's own dependency

    with threadpool_limits(1):
        return emulator.sobol(*args)


def analyse(plan: Plan, table: pd.DataFrame, jobs: int = 1) -> dict[str, pd.DataFrame]:
    """The summary, Sobol', break-even and curve tables of a finished run (and with ``method=emulator`` the
    emulator's error on the held-back draws, ``emulator_check``; its fits in ``jobs`` processes)."""
    opt = plan.options
    diffs = differences(table, plan.baseline)
    names = [a.name for a in plan.assumptions]
    chosen = reported_kpis(diffs["kpi"].unique())
    summary, sob, breaks, curves, checks_ = [], [], [], [], []
    ys = {}
    for wf in [n for n, _ in plan.members[1:]]:
        for kpi in chosen:
            y_all = diffs[(diffs["workflow"] == wf) & (diffs["kpi"] == kpi)].set_index("draw")["diff"]
            ys[(wf, kpi)] = y_all.reindex(range(plan.draws)).to_numpy(dtype=float)
    emulated = emulate(plan, ys, jobs) if plan.method == "emulator" else {}
    for wf in [n for n, _ in plan.members[1:]]:
        own = [j for j, a in enumerate(plan.assumptions) if a.workflow in (None, wf)]
        for kpi in chosen:
            y = ys[(wf, kpi)]
            lower = kpis.find(kpi).lower_is_better
            s = voi.spread(y, lower)
            summary.append({"workflow": wf, "baseline": plan.baseline, "kpi": kpi, "unit": kpis.unit(kpi),
                            "better": kpis.find(kpi).better, **asdict(s), "evpi": voi.evpi(y, lower),
                            "n_draws": plan.draws, "description": kpis.description(kpi)})
            if plan.method == "emulator":
                em = emulated[(wf, kpi)]
                idx = {"S1": em.S1, "S1_conf": em.S1_conf, "ST": em.ST, "ST_conf": em.ST_conf}
                checks_.append({"workflow": wf, "kpi": kpi, **asdict(em.check), "unexplained": em.unexplained,
                                "unit": kpis.unit(kpi)})
            else:
                idx = voi.sobol(plan.unit, y, names, opt["bootstrap"], opt["seed"])
            rows = []
            for j in own:
                a = plan.assumptions[j]
                rows.append({"workflow": wf, "kpi": kpi, "assumption": a.name, "key": a.key,
                             "S1": idx["S1"][j], "S1_conf": idx["S1_conf"][j], "ST": idx["ST"][j],
                             "ST_conf": idx["ST_conf"][j], "evppi": voi.evppi(plan.values[:, j], y, lower),
                             "unit": kpis.unit(kpi)})
            sob += rows
            ranked = sorted(rows, key=lambda r: -(r["ST"] if np.isfinite(r["ST"]) else r["evppi"] if np.isfinite(
                r["evppi"]) else -1))
            for rank, r in enumerate(ranked[:opt["top"]], 1):
                j = names.index(r["assumption"])
                a = plan.assumptions[j]
                be = voi.break_even(plan.values[:, j], y, a.low, a.high, lower, opt["bootstrap"], opt["seed"] + rank)
                breaks.append({"workflow": wf, "kpi": kpi, "assumption": a.name, "key": a.key, "rank": rank,
                               "default": a.default, "low": a.low, "high": a.high, **asdict(be),
                               "unit": kpis.unit(kpi)})
                ok = np.isfinite(y)
                if ok.sum() >= 4:
                    fit = voi.smooth(plan.values[ok, j], y[ok])
                    xs = np.linspace(a.low, a.high, 41)
                    curves += [{"workflow": wf, "kpi": kpi, "assumption": a.name, "x": float(x), "fitted": float(g)}
                               for x, g in zip(xs, fit(xs))]
    drawn = pd.DataFrame([{**asdict(a), "workflow": a.workflow or ""} for a in plan.assumptions])
    out = {"uncertainty_summary": pd.DataFrame(summary), "sobol": pd.DataFrame(sob),
           "break_even": pd.DataFrame(breaks), "break_even_curves": pd.DataFrame(curves),
           "assumptions_drawn": drawn}
    if checks_:  # the emulator's error on the draws it never saw, per KPI (sim/analysis/emulator.py)
        out["emulator_check"] = pd.DataFrame(checks_)
    plane, curve = costs.cost_effectiveness(diffs)
    if len(plane):  # the draws were priced (conf/prices): the cost-effectiveness plane and acceptability curve
        out.update({"cost_effectiveness": plane, "acceptability": curve})
    return out


# ====================================================================== the run


def unfinished(plan: Plan, out_dir: Path) -> list[int]:
    """The indices of the blocks not yet finished in ``out_dir`` (what a resumed run or a SLURM array still runs)."""
    return [i for i, b in enumerate(plan.blocks()) if not finished(plan, out_dir, i, b)]


def _design_words(plan: Plan) -> str:
    d = len(plan.assumptions)
    if plan.method == "emulator":
        return (f"independent worlds; Sobol' indices from an emulator fitted on {1 - plan.options['held_back']:.0%} "
                f"of them, its error measured on the rest")
    return f"N = {plan.draws // (d + 2)} x (D + 2)"


def announce(plan: Plan, cfg: DictConfig, jobs: int, log: Callable[[str], None]) -> None:
    d = len(plan.assumptions)
    shared = sum(a.workflow is None for a in plan.assumptions)
    log(f"ketensim: uncertainty {plan.baseline} vs {', '.join(n for n, _ in plan.members[1:])} "
        f"region={cfg.region.name}: {d} assumptions drawn ({shared} shared, {d - shared} of the workflows' own), "
        f"{plan.draws} draws ({_design_words(plan)}) x {len(plan.members)} workflows x "
        f"{plan.replications} replications, {len(plan.blocks())} blocks of {plan.block}, {jobs} processes"
        + (f"; {plan.reused_runs} runs are an A row's very run (the variant changes another workflow's own "
           f"assumption): copied, not run again" if plan.method == "saltelli" else ""))


def execute(cfg: DictConfig, out_dir: Path, chosen: str | None = None, only_blocks: Sequence[int] | None = None,
            log: Callable[[str], None] = print) -> Path | None:
    """Plan, run the unfinished blocks, and (once every block is finished) write the tables and the marker last.
    ``only_blocks``: run these blocks only and write nothing else, not even the configuration snapshot (one task of
    a SLURM array: the tasks share ``out_dir``, and :func:`finish` writes the snapshot). Returns the marker."""
    started = time.perf_counter()
    plan = make_plan(cfg, chosen)
    jobs = int(cfg.run.jobs)
    announce(plan, cfg, jobs, log)
    if only_blocks is not None:
        run_draws(plan, out_dir, jobs, only_blocks, log)
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    output.write_text(out_dir / "config_resolved.yaml", OmegaConf.to_yaml(cfg))  # snapshot first
    ran = run_draws(plan, out_dir, jobs, None, log)
    return finish(plan, cfg, out_dir, len(ran), started, log)


def finish(plan: Plan, cfg: DictConfig, out_dir: Path, ran: int, started: float,
           log: Callable[[str], None] = print) -> Path:
    """Rebuild the tables from the finished blocks in ``out_dir`` and write them, the marker last (after a local
    run, or when a SLURM array of blocks has ended). Raises ConfigError if a block is not finished."""
    d = len(plan.assumptions)
    with output.guarded(out_dir):
        output.write_text(out_dir / "config_resolved.yaml", OmegaConf.to_yaml(cfg))
        table = collect(plan, out_dir)
        formats = list(cfg.run.formats)
        big = output.write_table(out_dir, "uncertainty", table, formats)
        tables = analyse(plan, table, int(cfg.run.jobs))
        marker = output.write_results(
            out_dir, tables, ["csv"], plan.identity,
            extra={"uncertainty": [n for n, _ in plan.members], "region": str(cfg.region.name),
                   "draws": plan.draws, "assumptions": d, "replications": plan.replications,
                   "blocks_run_now": ran, "table_files": big,
                   "wall_seconds": round(time.perf_counter() - started, 3)})
    log(format_summary(tables["uncertainty_summary"], tables["sobol"], tables["break_even"],
                       tables.get("emulator_check")))
    if "acceptability" in tables:
        log(costs.format_acceptability(tables["acceptability"]))
    log(f"results: {out_dir}  ({time.perf_counter() - started:.1f}s; {ran} of {len(plan.blocks())} blocks run now)")
    return marker


def format_summary(summary: pd.DataFrame, sob: pd.DataFrame, breaks: pd.DataFrame,
                   check: pd.DataFrame | None = None) -> str:
    """The printed answer: per KPI the difference's spread, P(better) and the most influential assumption (and, with
    ``method=emulator``, the emulator's R^2 on the draws it never saw)."""
    fits = {} if check is None else {(r["workflow"], r["kpi"]): r["r2"] for _, r in check.iterrows()}
    lines = []
    for wf, s in summary.groupby("workflow", sort=False):
        w = max(len(k) for k in s["kpi"])
        lines.append(f"\n{wf} - {s['baseline'].iloc[0]}: paired difference over the draws "
                     f"(mean [90 % interval]), P(better), largest total Sobol' index")
        for _, r in s.iterrows():
            top = sob[(sob["workflow"] == wf) & (sob["kpi"] == r["kpi"])].sort_values("ST", ascending=False)
            lead = (f"{top['assumption'].iloc[0]} {top['ST'].iloc[0]:.2f}"
                    if len(top) and np.isfinite(top["ST"].iloc[0]) else "-")
            r2 = fits.get((wf, r["kpi"]))
            fit = "" if r2 is None else f"  (emulator R^2 {r2:.2f} on held-back draws)"
            lines.append(f"  {r['kpi']:<{w}}  {r['mean']:>9.3g} [{r['p05']:.3g}, {r['p95']:.3g}]  "
                         f"P(better) {r['p_better']:.2f}  {lead}{fit}")
    return "\n".join(lines)
