"""The experiment scripts' arguments, checked before anything is simulated (issue 19).

Each script parses its own options; :func:`check_run` then refuses, with one line and exit status 2 (argparse's
``parser.error``), a number of replications, years, warm-up, jobs or seed out of range, a region that does not
exist, and any configuration the script's runs would compose that the model's gate (sim/config/gate.py) refuses:
the same check ``python -m sim`` makes, so a script never fails after its simulation on an argument its ``--help``
offered.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REGIONS = tuple(sorted(p.stem for p in (ROOT / "conf" / "region").glob("*.yaml")))


def check_run(parser: argparse.ArgumentParser, *, regions: Iterable[str] = (), replications: int | None = None,
              min_replications: int = 2, years: float | None = None, warmup: float | None = None,
              jobs: int | None = None, seed: int | None = None, overrides: Sequence[str] = (),
              names: dict[str, str] | None = None) -> None:
    """Refuse (``parser.error``: one line, exit 2) what the script's runs could not run with. ``names``: the
    option that gives each value, when the script spells it otherwise (e.g. ``{"regions": "--region"}``)."""
    opt = {"regions": "--regions", "replications": "--replications", "years": "--years", "warmup": "--warmup",
           "jobs": "--jobs", "seed": "--seed", "overrides": "--set", **(names or {})}
    regions = [r for r in regions]
    for region in regions:
        if region not in REGIONS:
            parser.error(f"{opt['regions']}: {region!r} (allowed: {', '.join(REGIONS)})")
    if replications is not None and replications < min_replications:
        parser.error(f"{opt['replications']} = {replications} (at least {min_replications}: a 95 % interval needs "
                     f"{min_replications})")
    if years is not None and not (math.isfinite(years) and years > 0):
        parser.error(f"{opt['years']} = {years:g} (a positive number of years)")
    if warmup is not None and not (math.isfinite(warmup) and warmup >= 0):
        parser.error(f"{opt['warmup']} = {warmup:g} (years of warm-up, 0 or more)")
    if jobs is not None and jobs < 1:
        parser.error(f"{opt['jobs']} = {jobs} (at least 1)")
    if seed is not None and seed < 0:
        parser.error(f"{opt['seed']} = {seed} (a whole number >= 0)")
    if overrides:
        for region in regions or [None]:
            problem = gate_problem([*([f"region={region}"] if region else []), *overrides])
            if problem:
                parser.error(f"{opt['overrides']}: {problem}")


def gate_problem(overrides: Sequence[str]) -> str:
    """Why the model's gate refuses the configuration these overrides compose ('' when it accepts it)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    from sim import app
    from sim.chain.checks import ConfigError
    from sim.config import schema
    from sim.config.gate import validate

    schema.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
            validate(compose("config", overrides=list(overrides)))
    except ConfigError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - composing failed: Hydra's message, in one line
        return " ".join(app.describe_compose_error(err).split())
    finally:
        GlobalHydra.instance().clear()
    return ""
