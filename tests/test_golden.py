"""Golden test: the model's output is bit-identical to a recorded run, and identical serially and in parallel.

Why: speed work (issue 6) rewrites hot paths in the engine, the streams and the table building. Such a change
must not move a single number. This test runs a pinned, fully resolved configuration (stored in
``tests/data/golden_<scenario>.yaml``, *not* composed from ``conf/``, so that other engineers changing a
conf value do not break it) for two replications and compares a SHA-256 of every column of the families,
events, timeseries and runs tables with ``tests/data/golden.json``.

The pinned configuration is the demo region at demand.scale 1.6 with a small GI (6 FTE), 1 warm-up year and
2 observed years: every pool then has a waiting list, crisis places are used, and a voorlopige OTS is
cancelled while waiting for the GI, so the two-class FIFO, the reserve and ``cancel`` are all on the path.

Regenerating the fixture (see docs/performance.md, "Golden test")::

    .venv/bin/python tests/test_golden.py --regenerate              # same pinned config, new model code
    .venv/bin/python tests/test_golden.py --regenerate --from-conf  # recompose the pinned overrides from conf/

Regenerate only for an *intentional* change of the model's numbers (a new decision, a new stream, a fixed
bug, a schema field added or renamed, a numpy upgrade that changes its random streams), never to make a
speed change pass: a pure optimisation must leave every hash as it is. The script prints which KPIs moved, for
the commit message.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim import config as config_mod
from sim import engine as engine_mod
from sim import runner
from sim.config import KetensimSchema, Model

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "golden.json"
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
TABLES = ("families", "events", "timeseries", "runs")
PINNED_OVERRIDES = (
    "region=demo", "demand.scale=1.6", "staffing.gi.fte=6", "run.years=2", "run.warmup_years=1",
    "run.replications=2", "run.seed=20231", "run.event_log=true", "run.jobs=1", "run.quiet=true",
)


# ====================================================================== fingerprints


def _column_bytes(s: pd.Series) -> tuple[str, bytes]:
    """A canonical byte form of one column, independent of pandas' own hashing and of the NaN payload."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool", s.to_numpy(dtype=np.uint8).tobytes()
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return "datetime", s.astype("datetime64[ns]").to_numpy().view("<i8").tobytes()
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int", s.to_numpy(dtype="<i8").tobytes()
    if pd.api.types.is_float_dtype(s.dtype):
        v = s.to_numpy(dtype="<f8").copy()
        v[np.isnan(v)] = np.nan  # one NaN bit pattern: a NaN is a NaN whichever operation made it
        return "float", v.tobytes()
    # text and categories: the values as strings, with a marker for missing ones
    text = "\x1e".join("\x00NA" if (x is None or (isinstance(x, float) and math.isnan(x))) else str(x)
                       for x in s.astype(object).tolist())
    return "text", text.encode("utf-8")


def fingerprint(df: pd.DataFrame) -> dict:
    """Rows, columns and a SHA-256 per column and for the whole table."""
    whole = hashlib.sha256()
    columns = {}
    for col in df.columns:
        kind, data = _column_bytes(df[col])
        h = hashlib.sha256(f"{col}|{kind}|".encode() + data).hexdigest()
        columns[str(col)] = h
        whole.update(h.encode())
    return {"rows": int(len(df)), "sha256": whole.hexdigest(), "columns": columns}


def kpi_values(runs: pd.DataFrame) -> dict[str, list]:
    """KPIs per replication as JSON values (NaN as null), kept beside the hash so a change is readable."""
    out = {}
    for col in runs.columns:
        if col == "scenario":
            continue
        out[col] = [None if (isinstance(v, float) and math.isnan(v)) else (v.item() if hasattr(v, "item") else v)
                    for v in runs[col].tolist()]
    return out


# ====================================================================== the pinned configuration


def config_path(scenario: str) -> Path:
    return DATA / f"golden_{scenario}.yaml"


def load_model(scenario: str) -> Model:
    """The stored resolved config, typed by the schema and validated.

    Every value comes from the stored file. Only a field that the schema gained after the fixture was recorded
    (so the file cannot have it) is taken from conf/, with a warning: if that new field changes the numbers, the
    hashes say so; if it does not, the golden test need not be regenerated for it.
    """
    config_mod.register()
    stored = OmegaConf.load(config_path(scenario))
    cfg = OmegaConf.merge(OmegaConf.structured(KetensimSchema), stored)
    try:
        return config_mod.validate(cfg)
    except config_mod.ConfigError as err:
        if "is missing" not in str(err):
            raise
    import warnings

    composed = OmegaConf.create(compose_pinned(scenario))
    new_keys = sorted(_leaf_keys(composed) - _leaf_keys(stored))
    warnings.warn(f"golden config lacks {len(new_keys)} field(s) added to the schema since it was recorded; "
                  f"taken from conf/: {', '.join(new_keys[:5])}{' ...' if len(new_keys) > 5 else ''}", stacklevel=2)
    return config_mod.validate(OmegaConf.merge(OmegaConf.structured(KetensimSchema), composed, stored))


def _leaf_keys(cfg, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in cfg.items():
        if isinstance(value, dict) or OmegaConf.is_dict(value):
            out |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


def compose_pinned(scenario: str) -> str:
    """Compose the pinned overrides from conf/ and return the resolved YAML (used by --from-conf only)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    config_mod.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            cfg = compose("config", overrides=[*PINNED_OVERRIDES, f"scenario={scenario}"])
    finally:
        GlobalHydra.instance().clear()
    return OmegaConf.to_yaml(cfg, resolve=True)


def results_fingerprint(results: runner.Results) -> dict:
    return {name: fingerprint(getattr(results, name)) for name in TABLES}


def _golden() -> dict:
    return json.loads(GOLDEN.read_text()) if GOLDEN.is_file() else {"scenarios": {}}


def _differences(expected: dict, got: dict) -> list[str]:
    """Human-readable list of what differs: table, row count, first columns, first KPIs."""
    out = []
    for name in TABLES:
        e, g = expected["tables"][name], got["tables"][name]
        if e["sha256"] == g["sha256"]:
            continue
        cols = [c for c in sorted(set(e["columns"]) | set(g["columns"]))
                if e["columns"].get(c) != g["columns"].get(c)]
        out.append(f"{name}: rows {e['rows']} -> {g['rows']}; columns differing: {', '.join(cols[:8])}"
                   + (" ..." if len(cols) > 8 else ""))
    moved = [f"{k}: {expected['kpis'].get(k)} -> {v}" for k, v in got["kpis"].items() if expected["kpis"].get(k) != v]
    if moved:
        out.append("KPIs moved: " + "; ".join(moved[:6]) + (" ..." if len(moved) > 6 else ""))
    return out


# ====================================================================== tests

GOLDEN_SCENARIOS = sorted(_golden()["scenarios"])


@pytest.fixture(scope="module")
def serial_results() -> dict[str, tuple[Model, runner.Results]]:
    out = {}
    for scenario in GOLDEN_SCENARIOS:
        model = load_model(scenario)
        out[scenario] = (model, runner.run(model, jobs=1, progress=False))
    return out


@pytest.mark.parametrize("scenario", GOLDEN_SCENARIOS)
def test_results_bit_identical_to_golden(serial_results, scenario):
    expected = _golden()["scenarios"][scenario]
    _, results = serial_results[scenario]
    got = {"tables": results_fingerprint(results), "kpis": kpi_values(results.runs)}
    diffs = _differences(expected, got)
    assert not diffs, ("model output differs from tests/data/golden.json (a speed change must not move a number; "
                       "for an intentional model change see the module docstring):\n  " + "\n  ".join(diffs))


@pytest.mark.parametrize("scenario", GOLDEN_SCENARIOS)
def test_parallel_run_identical_to_serial(serial_results, scenario):
    """run.jobs=2 goes through the real ProcessPoolExecutor path and must give the very same tables."""
    model, serial = serial_results[scenario]
    parallel = runner.run(model, jobs=2, progress=False)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(parallel, name), getattr(serial, name), check_exact=True,
                                      obj=f"{scenario}.{name} (jobs=2 vs jobs=1)")


@pytest.mark.parametrize("stage_above", [0, 10**9], ids=["always_staged", "never_staged"])
def test_staging_never_changes_the_order_of_events(monkeypatch, stage_above):
    """Engine.at stages callbacks due in a later 1/8-day slot when SimPy's heap is large. Forcing staging for
    every callback, or switching it off, must give the golden tables bit for bit (the pinned run stages
    ~11,000 callbacks with the default threshold, so all three paths are exercised)."""
    monkeypatch.setattr(engine_mod, "STAGE_ABOVE", stage_above)
    scenario = "sequential"
    results = runner.run(load_model(scenario), jobs=1, progress=False)
    got = {"tables": results_fingerprint(results), "kpis": kpi_values(results.runs)}
    diffs = _differences(_golden()["scenarios"][scenario], got)
    assert not diffs, "\n  ".join(diffs)


def _trace_plain_simpy(seed: int, horizon: float) -> list[tuple]:
    """Reference: the same callbacks as plain SimPy events (an Event subclass on env.schedule, env.run(until))
    and a generator process with env.timeout, exactly as engine.py did before issue 6."""
    import simpy
    from simpy.core import NORMAL as SIMPY_NORMAL
    from simpy.events import Event

    env = simpy.Environment()
    trace: list[tuple] = []

    class Call(Event):
        def __init__(self, fn, arg):
            self.env, self.callbacks, self._value, self._ok = env, [lambda ev: fn(arg)], None, True

    def at(delay, fn, arg):
        env.schedule(Call(fn, arg), SIMPY_NORMAL, delay)

    _script(seed, at, lambda: env.now, env, trace)
    env.run(until=horizon)
    return trace


def _trace_engine(seed: int, horizon: float) -> list[tuple]:
    eng = engine_mod.Engine(horizon)
    eng.pool("dummy", "none", 1)
    trace: list[tuple] = []
    _script(seed, eng.at, lambda: eng.now, eng.env, trace)
    eng.run()
    return trace


def _script(seed: int, at, now, env, trace: list) -> None:
    """Callbacks that record (time, id) and schedule children with delays that tie often (multiples of 1/16
    day, zeros, exact slot boundaries), plus a SimPy process with timeouts interleaved."""
    rng = np.random.default_rng(seed)
    delays = rng.choice([0.0, 0.125, 0.25, 1.0, 2.5, 7.0, 30.0], size=4000) + rng.integers(0, 3, 4000) / 16.0
    kids = rng.integers(0, 3, 4000)
    counter = iter(range(1, 10**9))

    def fire(ident: int) -> None:
        trace.append((now(), ident))
        for _ in range(int(kids[ident % 4000])):
            child = next(counter)
            if child < 3000:
                at(float(delays[child % 4000]), fire, child)

    for k in range(300):
        at(float(delays[k]), fire, next(counter))

    def process():
        for k in range(200):
            yield env.timeout(float(delays[(7 * k) % 4000]) + 0.0625)
            trace.append((now(), -k))
            at(0.0, fire, -1000 - k)

    env.process(process())


@pytest.mark.parametrize("stage_above", [0, 256, 10**9], ids=["always_staged", "default", "never_staged"])
def test_engine_processes_events_in_plain_simpy_order(monkeypatch, stage_above):
    """Engine.run's own loop (callbacks fired directly, other SimPy events through env.step, staging) against
    plain SimPy, event by event: same times, same order, same events left out at the horizon."""
    monkeypatch.setattr(engine_mod, "STAGE_ABOVE", stage_above)
    for seed in (1, 2):
        expected, got = _trace_plain_simpy(seed, 120.0), _trace_engine(seed, 120.0)
        assert len(expected) > 1000
        assert got == expected


def test_fingerprint_sees_one_ulp_and_one_label(serial_results):
    """The comparison can fail: one float moved by one ulp, or one label changed, changes the hash."""
    scenario = GOLDEN_SCENARIOS[0]
    fam = serial_results[scenario][1].families
    base = fingerprint(fam)["sha256"]
    nudged = fam.copy()
    row = int(nudged["triage_end"].first_valid_index())
    nudged.loc[row, "triage_end"] = np.nextafter(nudged.loc[row, "triage_end"], np.inf)
    assert fingerprint(nudged)["sha256"] != base
    relabelled = fam.copy()
    relabelled["route"] = relabelled["route"].astype(object)
    relabelled.loc[0, "route"] = "direct" if relabelled.loc[0, "route"] != "direct" else "melding"
    assert fingerprint(relabelled)["sha256"] != base
    # and the canonical form ignores what carries no information: the NaN payload
    negnan = fam.copy()
    negnan["closed"] = np.where(negnan["closed"].isna(), -np.nan, negnan["closed"])
    assert fingerprint(negnan)["sha256"] == base


def test_every_registered_workflow_has_a_golden_fixture():
    from sim.scenarios import WORKFLOWS

    missing = sorted(set(WORKFLOWS) - set(GOLDEN_SCENARIOS))
    if missing:
        pytest.skip(f"no golden fixture yet for {', '.join(missing)}: once its numbers are settled run "
                    f"`.venv/bin/python tests/test_golden.py --regenerate --from-conf --scenario {missing[0]}`")
    assert "sequential" in GOLDEN_SCENARIOS


# ====================================================================== regeneration


def regenerate(scenarios: list[str], from_conf: bool) -> None:
    golden = _golden()
    for scenario in scenarios:
        path = config_path(scenario)
        if from_conf or not path.is_file():
            header = (f"# Pinned, fully resolved configuration of the golden test (scenario {scenario}).\n"
                      f"# Generated by `tests/test_golden.py --regenerate --from-conf` on {dt.date.today()} from conf/\n"
                      f"# with: {' '.join(PINNED_OVERRIDES)}. Do not edit by hand: the hashes in golden.json\n"
                      f"# belong to exactly these values. Provenance of each value: see conf/.\n")
            DATA.mkdir(parents=True, exist_ok=True)
            path.write_text(header + compose_pinned(scenario))
        model = load_model(scenario)
        results = runner.run(model, jobs=1, progress=False)
        entry = {"config": path.name, "overrides": list(PINNED_OVERRIDES),
                 "tables": results_fingerprint(results), "kpis": kpi_values(results.runs)}
        old = golden["scenarios"].get(scenario)
        if old is None:
            print(f"{scenario}: new golden fixture")
        else:
            diffs = _differences(old, entry)
            print(f"{scenario}: " + ("unchanged" if not diffs else "\n  " + "\n  ".join(diffs)))
        golden["scenarios"][scenario] = entry
    import importlib.metadata as md

    golden["generated"] = {"date": str(dt.date.today()),
                           "versions": {p: md.version(p) for p in ("numpy", "pandas", "simpy", "scipy")},
                           "python": sys.version.split()[0]}
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Regenerate the golden fixture (intentional model changes only).")
    parser.add_argument("--regenerate", action="store_true", required=True)
    parser.add_argument("--from-conf", action="store_true",
                        help="recompose the pinned overrides from conf/ (needed after a schema change)")
    parser.add_argument("--scenario", action="append",
                        help="workflow to (re)record; default: those already recorded, or sequential")
    args = parser.parse_args()
    regenerate(args.scenario or GOLDEN_SCENARIOS or ["sequential"], args.from_conf)
