"""Every workflow is a package (``sim/scenarios/<name>/``) that the registry finds, with one YAML file each; the
plausible ranges its params.py declares for its effects are the ranges its YAML file states, and include "no effect".
"""

from __future__ import annotations

import re
from dataclasses import fields

import pytest

from sim.config import provenance
from sim.scenarios import effects, registry
from tests.conftest import CONF, ROOT

RANGE = re.compile(r"range ([0-9.]+)\s*-\s*([0-9.]+)")


def test_every_package_is_registered_and_has_its_yaml_file():
    packages = {p.parent.name for p in (ROOT / "sim" / "scenarios").glob("*/__init__.py")}
    specs = registry.specs()
    assert packages == set(specs)
    assert {p.stem for p in (CONF / "scenario").glob("*.yaml")} == set(specs)
    orders = [s.labels.order for s in specs.values()]
    assert len(set(orders)) == len(orders) and list(specs)[0] == "sequential"


@pytest.mark.parametrize("name", registry.names())
def test_effect_ranges_in_params_match_the_yaml(name):
    spec = registry.get(name)
    stated = {p.key.removeprefix("scenario.effects."): p.text
              for p in provenance.read_file(CONF / "scenario" / f"{name}.yaml", "scenario")[0]
              if p.key.startswith("scenario.effects.")}
    declared = effects.plausible(spec.effects) if spec.effects is not None else {}
    assert set(stated) == set(declared)
    for key, (low, high) in declared.items():
        found = RANGE.search(stated[key])
        assert found and (float(found[1]), float(found[2])) == (low, high), (name, key, stated[key])
    for f in fields(spec.effects) if spec.effects is not None else ():  # "no effect" is a plausible value
        low, high = declared[f.name]
        assert low <= effects.KINDS[effects.kind_of(f)] <= high, (name, f.name)
