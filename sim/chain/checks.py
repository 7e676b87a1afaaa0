"""Validator primitives and the chain's domain constants.

Every check takes the dotted field name and the value and returns the value in its validated type, or raises
:class:`ConfigError` whose message is one line: the dotted field, the value and what is allowed. Workflows,
actors and the gate use them, so one rule says what a probability or a distribution is.
"""

from __future__ import annotations

import math
from dataclasses import is_dataclass
from typing import Any, Mapping

from omegaconf import DictConfig, OmegaConf

from sim.kernel import distributions as dists
from sim.kernel.distributions import Distribution, DistributionError


class ConfigError(ValueError):
    """An invalid configuration value. ``str(err)`` is the one-line message shown to the user."""


# ====================================================================== validated model objects

ROUTING_OPTIONS: dict[str, tuple[str, ...]] = {
    "vt_triage": ("close", "buurtteam", "vt_onderzoek", "vt_vervolg", "rvdk"),
    "vt_onderzoek": ("close", "buurtteam", "rvdk"),
    "vt_vervolg": ("close", "buurtteam", "rvdk"),
    "buurtteam_escalation": ("veilig_thuis", "rvdk"),
    "rvdk_outcome": ("verzoek", "buurtteam", "close"),
    "measure_type": ("ots", "ots_uhp", "voogdij"),
}
COLOURS: tuple[str, ...] = ("groen", "oranje", "rood")
STAFFED_ORGS: tuple[str, ...] = ("buurtteam", "veilig_thuis", "rvdk", "gi")
START_MODES: tuple[str, ...] = ("empty", "today")  # today: from region.initial_state, no warm-up
FORMATS: tuple[str, ...] = ("parquet", "csv")


# ====================================================================== validation helpers


def _number(field_name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{field_name} = {value!r} (must be a number)")
    if not math.isfinite(value):
        raise ConfigError(f"{field_name} = {value!r} (must be a finite number)")
    return float(value)


def positive(field_name: str, value: Any) -> float:
    v = _number(field_name, value)
    if v <= 0:
        raise ConfigError(f"{field_name} = {value!r} (must be > 0)")
    return v


def non_negative(field_name: str, value: Any) -> float:
    v = _number(field_name, value)
    if v < 0:
        raise ConfigError(f"{field_name} = {value!r} (must be >= 0)")
    return v


def probability(field_name: str, value: Any, *, below_one: bool = False) -> float:
    v = _number(field_name, value)
    if not 0.0 <= v <= 1.0 or (below_one and v >= 1.0):
        allowed = "0 <= p < 1" if below_one else "0 <= p <= 1"
        raise ConfigError(f"{field_name} = {value!r} (must be a probability, {allowed})")
    return v


def integer(field_name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{field_name} = {value!r} (must be a whole number >= {minimum})")
    return int(value)


def choice(field_name: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigError(f"{field_name} = {value!r} (allowed: {', '.join(allowed)})")
    return str(value)


def shares(field_name: str, values: Mapping[str, Any], options: tuple[str, ...]) -> dict[str, float]:
    """Probabilities of one decision: exactly the named options, each in [0, 1], summing to 1."""
    got = dict(values)
    unknown = sorted(set(got) - set(options))
    if unknown:
        raise ConfigError(f"{field_name}.{unknown[0]} is not an option (allowed: {', '.join(options)})")
    missing = [o for o in options if o not in got]
    if missing:
        raise ConfigError(f"{field_name}.{missing[0]} is missing (every option needs a probability: {', '.join(options)})")
    probs = {o: probability(f"{field_name}.{o}", got[o]) for o in options}
    total = sum(probs.values())
    if abs(total - 1.0) > dists.PROB_TOLERANCE:
        listed = ", ".join(f"{o}={p:g}" for o, p in probs.items())
        raise ConfigError(f"{field_name} sums to {total:.6g} (must sum to 1): {listed}")
    return probs


def distribution(field_name: str, spec: Any) -> Distribution:
    data = OmegaConf.to_container(spec) if isinstance(spec, DictConfig) else (
        vars(spec) if is_dataclass(spec) else dict(spec))
    for key, val in data.items():
        if key in ("dist", "values", "probs") or val is None:
            continue
        _number(f"{field_name}.{key}", val)
    try:
        return dists.build(field_name, data.get("dist"), **{k: v for k, v in data.items() if k != "dist"})
    except DistributionError as err:
        raise ConfigError(str(err)) from None
