"""Assumed effects of a workflow (``scenario.effects.*``): declared as a workflow's own dataclass, validated once.

No pilot has published an effect size (domain.md 1e), so every effect is an assumption with a plausible range
(stated in the workflow's ``conf/scenario/<name>.yaml``). A workflow declares its effects in its ``params.py``::

    @dataclass(frozen=True)
    class MyEffects:
        help_factor: float = effect("factor", (0.8, 1.2), "help episode length / today's")

Two kinds: a ``factor`` (> 0; 1 = no effect) multiplies a duration, a ``share`` (0 to 1; 0 = no effect) is the
probability that the workflow changes a decision. :func:`read` validates the configured values against the kind
(a value outside the plausible range is allowed: sensitivity runs go there on purpose) and :func:`neutral` gives
the no-effect values, with which a workflow must cost the same staff for the same work as its parent.
"""

from __future__ import annotations

from dataclasses import Field, field, fields
from typing import Any, Mapping, TypeVar

from sim.chain.bounds import Bound, out_of_bounds
from sim.chain.checks import ConfigError, positive, probability

E = TypeVar("E")
KINDS = {"factor": 1.0, "share": 0.0}  # kind -> its no-effect value
# a factor's bounds (a share's are its own check's, 0 to 1): beyond them there is no alternative left to study
FACTOR_BOUND = Bound("scenario.effects.*", 0.0, 10.0, "x today's", "a workflow that makes a duration ten times "
                     "longer is no alternative to study; assumed ranges stay within 0.5-1.5", low_open=True)


def effect(kind: str, plausible: tuple[float, float], doc: str) -> Any:
    """A field of an effects dataclass: its kind, its plausible range (low, high) and what it means."""
    if kind not in KINDS:
        raise ValueError(f"effect kind {kind!r} (allowed: {', '.join(KINDS)})")
    return field(metadata={"kind": kind, "plausible": tuple(plausible), "doc": doc})


def kind_of(f: Field) -> str:
    return f.metadata["kind"]


def plausible(cls: type) -> dict[str, tuple[float, float]]:
    """Plausible range of each effect of ``cls`` (the ranges the YAML file's comments state)."""
    return {f.name: f.metadata["plausible"] for f in fields(cls)}


def configured(schema: Any) -> dict[str, Any]:
    """The effects the configuration sets (``scenario.effects``), None values left out."""
    given = getattr(schema, "effects", None) or {}
    items = given.items() if isinstance(given, Mapping) else vars(given).items()
    return {k: v for k, v in items if v is not None}


def read(schema: Any, cls: type[E]) -> E:
    """The workflow's effects from ``scenario.effects``, each checked against its kind. Raises ConfigError."""
    given = configured(schema)
    values = {}
    for f in fields(cls):
        name, kind = f.name, kind_of(f)
        dotted = f"scenario.effects.{name}"
        if name not in given:
            raise ConfigError(f"{dotted} is missing (workflow {schema.name!r} needs it; "
                              f"{KINDS[kind]:g} = no effect)")
        values[name] = positive(dotted, given[name]) if kind == "factor" else probability(dotted, given[name])
        if kind == "factor" and values[name] > FACTOR_BOUND.high:
            raise ConfigError(out_of_bounds(dotted, given[name], FACTOR_BOUND))
    return cls(**values)


def neutral(cls: type[E]) -> E:
    """The no-effect values of ``cls`` (factors 1, shares 0)."""
    return cls(**{f.name: KINDS[kind_of(f)] for f in fields(cls)})
