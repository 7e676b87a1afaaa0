"""Golden test: the model's output matches recorded runs on any machine, and is bit-identical on one machine.

Why: speed work and the restructuring of the code (issues 6 and 13) rewrite hot paths, the engine, the streams
and the table building. Such a change must not move a single number. This test runs pinned, fully resolved
configurations (stored in ``tests/data/golden_<case>.yaml``, *not* composed from ``conf/``, so that other
engineers changing a conf value do not break it) and compares the families, events, timeseries and runs tables
with a fingerprint recorded in ``tests/data/golden.json``.

The cases:

- one per registered workflow (case name = workflow name): the demo region at demand.scale 1.6 with a small GI
  (6 FTE), 1 warm-up year and 2 observed years, 2 replications: every pool then has a waiting list, crisis
  places are used, and a voorlopige OTS is cancelled while waiting for the GI, so the two-class FIFO, the reserve
  and ``cancel`` are all on the path;
- ``gelderland_today``, the default path (what ``python -m sim`` runs: conf/config.yaml's region Gelderland,
  which starts from today's open cases, ``run.start=today``), with the region's units (3 Veilig Thuis
  organisations, 4 GIs, each with its own pools) and staff dynamics on (``+staff_dynamics=nl_2023``: leavers,
  hiring delay, onboarding), shortened to 1 year and 2 replications.

What is compared, and how
-------------------------
Exact, as before: the row count, the column names, their order and dtypes, the index, every integer, bool, text
and category column (SHA-256 of a canonical byte form, categories included), so the order of the rows too, and
the positions of NaN and inf in every float column.

At a stated tolerance: float columns (and datetime columns, as days since 2000-01-01). The same Python and
numpy on another CPU of the same kind can give a different last bit from numpy's vectorised transcendental
functions (exp, log of the distributions: ``wait_mean.veilig_thuis.triage`` 3.8704137861682937 on one machine,
3.8704137861682923 on another). Such a difference then travels through a run: a time is a sum of durations and
gains a few rounding errors of its own, and a wait or a lead time, a difference of two times, inherits the
last bits of those times (not of itself). So each value ``x`` may differ from the recorded ``x0`` by

    |x - x0| <= RTOL * |x0| + ATOL,   RTOL = 1e-11,  ATOL = 1e-9 (in the column's unit: days for times)

RTOL is at least 45,000 ulps of the value itself; ATOL is about 1,100 ulps of a time near 8,000 days (one ulp
there is 9.1e-13 days), so a difference of two times that each moved by hundreds of ulps still passes. Both are
orders of magnitude above the few ulps seen between machines, and small enough that a block of values (below)
still sees one real change: at the often-used rtol 1e-9 a block of 64 times near 1,000 days would tolerate
1e-4 days of change.

A fixture cannot hold the 2.2 million floats of the cases at that precision (well over 10 MB), and a whole
column cannot be summed into one number either: the tolerance of a sum over n values is the sum of the n
per-value tolerances, 4e-4 days over the 158,000 event times of the default path (0.03 days at rtol 1e-9), so a
sum cannot see one value moved by 1e-4 days. Instead each float column is cut into blocks of BLOCK_ROWS = 64
consecutive rows, and per block the fixture stores one pseudo-random projection ``P = sum(w_i * x_i)`` over the
finite values, with fixed weights ``w_i`` in [1, 2) drawn from WEIGHT_SEED by row position (so the projection
sees the order of the rows). A block passes when

    |P - P0| <= RTOL * sum(w_i * |x_i|) + ATOL * sum(w_i),

which is exactly the bound implied by the per-value tolerance above, so last-bit differences can never fail it.
A single value moved by ``d`` moves ``P`` by ``w_j * d >= d``, while a block's tolerance is at most
``2 * 64 * (RTOL * X + ATOL)``, X the largest value in the block: 1.3e-5 days for times and timestamps up to
10,000 days. So one value moved by 1e-4 days fails wherever it is, and one value moved by 1e-6 of itself fails
unless it is below 0.13 + 0.0013 X (in the default path's tables the hardest places pass these thresholds with
margins of 10x and 7x). A swap of two rows with different values fails too, because their weights differ. The
products are rounded once and each block is summed exactly (``math.fsum``), so the projection adds no rounding
that could depend on the CPU. Beside the blocks the fixture keeps, readable, each float column's sum, min and
max (compared at the same tolerance) and every KPI of the runs table per replication (compared value by value).
The fixture is about 1 MB.

Tests below prove that the comparison passes last-bit noise in every float value of the default path's tables
and fails for one value moved by 1e-4 days or 1e-6 of itself, a relabelled category, a reordering of rows and a
moved NaN. Bit-identity stays a test *within* one machine: serial = parallel (``jobs=2`` through the real process
pool) = rerun = staging forced on or off, compared exactly.

Regenerating the fixture (see docs/performance.md, "Golden test")::

    .venv/bin/python tests/test_golden.py --regenerate              # same pinned configs, new model code
    .venv/bin/python tests/test_golden.py --regenerate --from-conf  # recompose the pinned overrides from conf/
    .venv/bin/python tests/test_golden.py --regenerate --from-conf --scenario integrated   # one case

Regenerate only for an *intentional* change of the model's numbers (a new decision, a new stream, a fixed
bug, a schema field added or renamed, a numpy upgrade that changes its random streams), never to make a
speed change or a move of code pass: a pure optimisation leaves every number where it was. The script prints
which tables, columns and KPIs moved, for the commit message.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import math
import sys
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim.chain import checks
from sim.chain.model import Model
from sim.config import gate, schema
from sim.config.schema import KetensimSchema
from sim.kernel import engine as engine_mod
from sim.run import runner

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "golden.json"
CONF_DIR = Path(__file__).resolve().parent.parent / "conf"
TABLES = ("families", "events", "timeseries", "runs")
RUN_SETTINGS = ("run.replications=2", "run.seed=20231", "run.event_log=true", "run.jobs=1", "run.quiet=true")
# one case per workflow: "scenario=<workflow>" is added
PINNED_OVERRIDES = ("region=demo", "demand.scale=1.6", "staffing.gi.fte=6", "run.years=2", "run.warmup_years=1",
                    *RUN_SETTINGS)
# the default path: conf/config.yaml's defaults (region, workflow, the region's run.start) named explicitly, so
# the case stays the same if a default changes (test_default_path_is_what_python_m_sim_runs notices that)
DEFAULT_PATH = "gelderland_today"
DEFAULT_PATH_OVERRIDES = ("region=gelderland", "scenario=sequential", "run.start=today", "+staff_dynamics=nl_2023",
                          "run.years=1", *RUN_SETTINGS)

# ---- the comparison (module docstring); changing any of these needs a regenerated fixture
RTOL = 1e-11  # per value, relative to the recorded value
ATOL = 1e-9  # per value, in the column's unit (days for times)
BLOCK_ROWS = 64  # rows per projection
WEIGHT_SEED = 20231  # weights w_i = 1 + U[0, 1) from numpy's PCG64 with this seed, by row position
DATETIME_ORIGIN = np.datetime64("2000-01-01T00:00:00", "ns")  # datetimes are compared as days since this
DAY_NS = 86_400 * 10**9
FORMAT = {"version": 2, "rtol": RTOL, "atol": ATOL, "block_rows": BLOCK_ROWS, "weight_seed": WEIGHT_SEED,
          "weights": "1 + numpy.random.default_rng(weight_seed).random(rows)",
          "datetime": "days since 2000-01-01", "blocks": "base64 of little-endian float64, one per block"}


# ====================================================================== fingerprints


@lru_cache(maxsize=64)
def _weights(n: int) -> np.ndarray:
    """Fixed weights by row position: the same on every machine (PCG64 and its conversion to doubles are exact)."""
    w = 1.0 + np.random.default_rng(WEIGHT_SEED).random(n)
    w.flags.writeable = False
    return w


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _as_days(s: pd.Series) -> np.ndarray | None:
    """A float or datetime column as float64 (datetimes as days since DATETIME_ORIGIN, NaT as NaN); else None.

    Datetimes are compared at tolerance because they carry the last bits of the float times they come from: one
    ulp of a time of 500 days is 10 ns."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return None
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        ns = s.to_numpy(dtype="datetime64[ns]")
        missing = np.isnat(ns)
        ticks = np.where(missing, 0, (ns - DATETIME_ORIGIN).astype("<i8"))
        days = ticks / DAY_NS  # int -> float and one division: correctly rounded, the same everywhere
        days[missing] = np.nan
        return days
    if pd.api.types.is_float_dtype(s.dtype):
        return s.to_numpy(dtype="<f8", na_value=np.nan)
    return None


def _exact_bytes(s: pd.Series) -> tuple[str, bytes]:
    """A canonical byte form of a column compared exactly, independent of pandas' own hashing."""
    if pd.api.types.is_bool_dtype(s.dtype):
        return "bool", s.to_numpy(dtype=np.uint8).tobytes()
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int", s.to_numpy(dtype="<i8").tobytes()
    prefix = b""
    if isinstance(s.dtype, pd.CategoricalDtype):  # the category set counts too (an unused label is a change)
        prefix = ("\x1f".join(map(str, s.dtype.categories)) + f"|ordered={s.dtype.ordered}|").encode("utf-8")
    # text and categories: the values as strings, with a marker for missing ones
    text = "\x1e".join("\x00NA" if (x is None or (isinstance(x, float) and math.isnan(x))) else str(x)
                       for x in s.astype(object).tolist())
    return ("category" if prefix else "text"), prefix + text.encode("utf-8")


def _encode(values: list[float]) -> str:
    return base64.b64encode(np.asarray(values, dtype="<f8").tobytes()).decode("ascii")


def _decode(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype="<f8")


def _float_fingerprint(x: np.ndarray) -> dict[str, Any]:
    """Non-finite positions (exact), block projections, sum, min and max (at tolerance).

    Keys starting with '_' are the tolerance's inputs (each block's sum of w_i |x_i| and of w_i): kept in memory
    for the comparison, not written to the fixture."""
    n = len(x)
    codes = np.zeros(n, dtype=np.int8)
    codes[np.isnan(x)] = 1
    codes[np.isposinf(x)] = 2
    codes[np.isneginf(x)] = 3
    finite = codes == 0
    values = np.where(finite, x, 0.0)
    weights = np.where(finite, _weights(n), 0.0)
    products = weights * values  # each product rounded once: IEEE multiplication, the same on every CPU
    terms = products.tolist()
    blocks = [math.fsum(terms[i:i + BLOCK_ROWS]) for i in range(0, n, BLOCK_ROWS)]  # exact sums, rounded once
    starts = np.arange(0, n, BLOCK_ROWS)
    shown = values[finite]
    return {
        "nonfinite_sha256": _sha(codes.tobytes()),
        "finite": int(finite.sum()),
        "sum": math.fsum(shown.tolist()),
        "min": float(shown.min()) if len(shown) else None,
        "max": float(shown.max()) if len(shown) else None,
        "blocks": _encode(blocks),
        "_blocks": np.asarray(blocks, dtype=float),
        "_mass": np.add.reduceat(np.abs(products), starts) if n else np.zeros(0),
        "_weight": np.add.reduceat(weights, starts) if n else np.zeros(0),
        "_abs_sum": float(np.abs(shown).sum()),
    }


def column_fingerprint(s: pd.Series) -> dict[str, Any]:
    entry: dict[str, Any] = {"dtype": s.dtype.name}
    days = _as_days(s)
    if days is not None:
        entry["kind"] = "datetime" if pd.api.types.is_datetime64_any_dtype(s.dtype) else "float"
        entry.update(_float_fingerprint(days))
    else:
        kind, data = _exact_bytes(s)
        entry["kind"] = kind
        entry["sha256"] = _sha(f"{s.name}|{kind}|".encode() + data)
    return entry


def _index_fingerprint(index: pd.Index) -> str:
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return "range"
    return _sha("\x1e".join(map(str, index.tolist())).encode("utf-8"))


def fingerprint(df: pd.DataFrame) -> dict[str, Any]:
    """Rows, column order, index and a fingerprint per column (see the module docstring)."""
    return {"rows": len(df), "column_order": [str(c) for c in df.columns], "index": _index_fingerprint(df.index),
            "columns": {str(c): column_fingerprint(df[c]) for c in df.columns}}


def kpi_values(runs: pd.DataFrame) -> dict[str, list]:
    """KPIs per replication as JSON values (NaN as null): readable, and compared value by value."""
    out = {}
    for col in runs.columns:
        if col == "scenario":
            continue
        out[col] = [None if (isinstance(v, float) and math.isnan(v)) else (v.item() if hasattr(v, "item") else v)
                    for v in runs[col].tolist()]
    return out


def results_entry(results: runner.Results) -> dict[str, Any]:
    return {"tables": {name: fingerprint(getattr(results, name)) for name in TABLES},
            "kpis": kpi_values(results.runs)}


def _stored(obj: Any) -> Any:
    """The fixture form: without the in-memory tolerance inputs ('_' keys)."""
    if isinstance(obj, dict):
        return {k: _stored(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, list):
        return [_stored(v) for v in obj]
    return obj


# ====================================================================== the comparison


def _close(expected: float | None, got: float | None, abs_scale: float = 0.0, count: float = 1.0) -> bool:
    """One recorded number against a new one at the stated tolerance (for a sum: scaled by its terms)."""
    if expected is None or got is None:
        return expected is got
    scale = abs_scale if abs_scale else abs(expected)
    return abs(got - expected) <= RTOL * scale + ATOL * count


def compare_column(name: str, e: dict, g: dict) -> list[str]:
    """What differs in one column: dtype, exact hash, non-finite positions, blocks beyond tolerance."""
    if e["dtype"] != g["dtype"] or e["kind"] != g["kind"]:
        return [f"{name}: dtype {e['dtype']} -> {g['dtype']}"]
    if "sha256" in e:
        return [] if e["sha256"] == g["sha256"] else [f"{name}: {e['kind']} values differ (compared exactly)"]
    if e["nonfinite_sha256"] != g["nonfinite_sha256"]:
        return [f"{name}: positions of NaN/inf differ (finite values {e['finite']} -> {g['finite']})"]
    old = _decode(e["blocks"])
    new = g["_blocks"]
    if len(old) != len(new):
        return [f"{name}: {len(old)} -> {len(new)} blocks"]
    tolerance = RTOL * g["_mass"] + ATOL * g["_weight"]
    moved = np.abs(new - old) > tolerance
    out = []
    if moved.any():
        first = int(np.argmax(moved))
        ratio = float(np.max(np.abs(new - old)[moved] / np.maximum(tolerance[moved], 1e-300)))
        out.append(f"{name}: values moved in {int(moved.sum())} of {len(old)} blocks of {BLOCK_ROWS} rows (first: "
                   f"rows {first * BLOCK_ROWS}-{first * BLOCK_ROWS + BLOCK_ROWS - 1}; up to {ratio:.3g} x the "
                   f"tolerance); sum {e['sum']!r} -> {g['sum']!r}, min {e['min']!r} -> {g['min']!r}, "
                   f"max {e['max']!r} -> {g['max']!r}")
    elif not (_close(e["sum"], g["sum"], g["_abs_sum"], g["finite"]) and _close(e["min"], g["min"])
              and _close(e["max"], g["max"])):
        out.append(f"{name}: sum {e['sum']!r} -> {g['sum']!r}, min {e['min']!r} -> {g['min']!r}, "
                   f"max {e['max']!r} -> {g['max']!r}")
    return out


def compare_table(name: str, e: dict, g: dict) -> list[str]:
    out = []
    if e["rows"] != g["rows"]:
        out.append(f"{name}: rows {e['rows']} -> {g['rows']}")
    if e["column_order"] != g["column_order"]:
        gone = [c for c in e["column_order"] if c not in g["column_order"]]
        new = [c for c in g["column_order"] if c not in e["column_order"]]
        out.append(f"{name}: columns differ (gone: {', '.join(gone) or '-'}; new: {', '.join(new) or '-'}"
                   f"{'; order changed' if not gone and not new else ''})")
    if e["index"] != g["index"]:
        out.append(f"{name}: index differs")
    if e["rows"] != g["rows"]:
        return out  # per-column differences would only repeat the row count
    for col in e["column_order"]:
        if col in g["columns"]:
            out += compare_column(f"{name}.{col}", e["columns"][col], g["columns"][col])
    return out


def compare_kpis(expected: dict[str, list], got: dict[str, list]) -> list[str]:
    moved = []
    for key in sorted(set(expected) | set(got)):
        old, new = expected.get(key), got.get(key)
        same_shape = old is not None and new is not None and len(old) == len(new)
        if not same_shape or any(not (_close(a, b) if isinstance(a, float) or isinstance(b, float) else a == b)
                                 for a, b in zip(old, new)):
            moved.append(f"{key}: {old} -> {new}")
    return moved


def differences(expected: dict, got: dict) -> list[str]:
    """Human-readable list of what differs beyond the tolerance: tables, columns, then KPIs."""
    out = []
    for name in TABLES:
        out += compare_table(name, expected["tables"][name], got["tables"][name])
    moved = compare_kpis(expected["kpis"], got["kpis"])
    if moved:
        out.append(f"KPIs moved ({len(moved)}): " + "; ".join(moved[:6]) + (" ..." if len(moved) > 6 else ""))
    return out


def bit_identical(expected: dict, got: dict) -> bool:
    """Whether the recorded fingerprint is the same to the last bit (for the regeneration message only)."""
    return _stored(expected) == json.loads(json.dumps(_stored(got)))


# ====================================================================== the pinned configurations


def case_overrides(case: str) -> tuple[str, ...]:
    return DEFAULT_PATH_OVERRIDES if case == DEFAULT_PATH else (*PINNED_OVERRIDES, f"scenario={case}")


def config_path(case: str) -> Path:
    return DATA / f"golden_{case}.yaml"


def load_model(case: str) -> Model:
    """The stored resolved config, typed by the schema and validated.

    Every value comes from the stored file. Only a field that the schema gained after the fixture was recorded
    (so the file cannot have it) is taken from conf/, with a warning: if that new field changes the numbers, the
    comparison says so; if it does not, the golden test need not be regenerated for it.
    """
    schema.register()
    stored = OmegaConf.load(config_path(case))
    cfg = OmegaConf.merge(OmegaConf.structured(KetensimSchema), stored)
    try:
        return gate.validate(cfg)
    except checks.ConfigError as err:
        if "is missing" not in str(err):
            raise
    composed = OmegaConf.create(compose_case(case))
    new_keys = sorted(_leaf_keys(composed) - _leaf_keys(stored))
    warnings.warn(f"golden config lacks {len(new_keys)} field(s) added to the schema since it was recorded; "
                  f"taken from conf/: {', '.join(new_keys[:5])}{' ...' if len(new_keys) > 5 else ''}", stacklevel=2)
    # only the required fields the fixture cannot have come from conf/: an optional section the schema gained
    # (waiting:, families.age_*: None when absent) stays absent, so a mechanism added since is not switched on
    for key in new_keys:
        if _required_and_missing(cfg, key):
            OmegaConf.update(cfg, key, OmegaConf.select(composed, key), merge=True)
    return gate.validate(cfg)


def _required_and_missing(cfg, key: str) -> bool:
    """``key`` is a required field (``???``) of the fixture's config, not a value under an optional section (None)."""
    parent, _, leaf = key.rpartition(".")
    node = OmegaConf.select(cfg, parent) if parent else cfg
    return node is not None and OmegaConf.is_config(node) and leaf in node.keys() and OmegaConf.is_missing(node, leaf)


def _leaf_keys(cfg, prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in cfg.items():
        if isinstance(value, dict) or OmegaConf.is_dict(value):
            out |= _leaf_keys(value, f"{prefix}{key}.")
        else:
            out.add(f"{prefix}{key}")
    return out


def compose_conf(overrides: tuple[str, ...]):
    """Compose conf/ as the command line does (used by --from-conf and the default-path check only)."""
    from hydra import compose, initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra

    schema.register()
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
            return compose("config", overrides=list(overrides))
    finally:
        GlobalHydra.instance().clear()


def compose_case(case: str) -> str:
    """The case's overrides composed from conf/, as resolved YAML."""
    return OmegaConf.to_yaml(compose_conf(case_overrides(case)), resolve=True)


def _golden() -> dict:
    if not GOLDEN.is_file():
        return {"format": FORMAT, "cases": {}}
    return json.loads(GOLDEN.read_text())


# ====================================================================== tests: the recorded runs

GOLDEN_DATA = _golden()
GOLDEN_CASES = sorted(GOLDEN_DATA.get("cases", {}))


# the golden cases this process simulated itself (not read from another pytest-xdist worker's run)
SIMULATED_HERE: set[str] = set()


def shared_run(tmp_path_factory, case: str) -> runner.Results:
    """The case's serial run (jobs=1), simulated once per test session by whichever pytest-xdist worker asks first
    and read back by the others (a pickle: the very same tables). Before, every worker that ran one of this
    module's tests simulated every case, and test_fidelity's no-effect check ran six of them once more."""
    from tests.conftest import shared_value  # not at the top: this file also runs as a script (--regenerate)

    def compute() -> runner.Results:
        SIMULATED_HERE.add(case)
        return runner.run(load_model(case), jobs=1, progress=False)

    return shared_value(tmp_path_factory, f"golden_{case}", compute)


class _SerialResults(dict):
    """case -> (model, serial results), each case fetched when a test first asks for it (a worker waits on the
    other's lock for one case at most, not for all eight)."""

    def __init__(self, tmp_path_factory) -> None:
        super().__init__()
        self._factory = tmp_path_factory

    def __missing__(self, case: str) -> tuple[Model, runner.Results]:
        self[case] = (load_model(case), shared_run(self._factory, case))
        return self[case]


@pytest.fixture(scope="module")
def serial_results(tmp_path_factory) -> dict[str, tuple[Model, runner.Results]]:
    return _SerialResults(tmp_path_factory)


def test_fixture_is_in_the_format_of_this_comparison():
    assert GOLDEN_DATA.get("format") == FORMAT, (
        "tests/data/golden.json was recorded with another comparison (tolerance, block size, weights); "
        "regenerate it: `.venv/bin/python tests/test_golden.py --regenerate`")


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_results_match_golden(serial_results, case):
    expected = GOLDEN_DATA["cases"][case]
    _, results = serial_results[case]
    diffs = differences(expected, results_entry(results))
    assert not diffs, ("model output differs from tests/data/golden.json beyond last-bit differences (a speed "
                       "change or a move of code must not move a number; for an intentional model change see the "
                       "module docstring):\n  " + "\n  ".join(diffs))


def _assert_identical(got: runner.Results, expected: runner.Results, what: str) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(got, name), getattr(expected, name), check_exact=True,
                                      obj=f"{name} ({what})")


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_parallel_run_identical_to_serial(serial_results, case):
    """run.jobs=2 goes through the real ProcessPoolExecutor path and must give the very same tables, bit for bit."""
    model, serial = serial_results[case]
    _assert_identical(runner.run(model, jobs=2, progress=False), serial, f"{case}: jobs=2 vs jobs=1")


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_rerun_identical_to_first_run(serial_results, case):
    """The same configuration run again in the same process gives the very same tables, bit for bit (no state
    leaks from one run into the next: caches, streams, module globals)."""
    model, serial = serial_results[case]
    if case not in SIMULATED_HERE:  # the serial run was another worker's: this process makes its own first run
        _assert_identical(runner.run(model, jobs=1, progress=False), serial, f"{case}: first run here vs serial")
    _assert_identical(runner.run(model, jobs=1, progress=False), serial, f"{case}: rerun vs first run")


@pytest.mark.parametrize("stage_above", [0, 10**9], ids=["always_staged", "never_staged"])
def test_staging_never_changes_the_order_of_events(monkeypatch, serial_results, stage_above):
    """Engine.at stages callbacks due in a later 1/8-day slot when SimPy's heap is large. Forcing staging for
    every callback, or switching it off, must give the tables of the default threshold bit for bit."""
    monkeypatch.setattr(engine_mod, "STAGE_ABOVE", stage_above)
    model, default = serial_results["sequential"]
    _assert_identical(runner.run(model, jobs=1, progress=False), default, f"STAGE_ABOVE={stage_above}")


def test_default_path_is_what_python_m_sim_runs():
    """The default-path case is conf/config.yaml's default region, workflow and start (what `python -m sim`
    runs). If a default changes, record the new default path (--regenerate --from-conf --scenario
    gelderland_today after changing DEFAULT_PATH_OVERRIDES)."""
    default = compose_conf(())
    stored = OmegaConf.load(config_path(DEFAULT_PATH))
    for key in ("region.name", "scenario.name", "run.start"):
        assert OmegaConf.select(stored, key) == OmegaConf.select(default, key), key
    assert f"region={default.region.name}" in DEFAULT_PATH_OVERRIDES
    assert f"scenario={default.scenario.name}" in DEFAULT_PATH_OVERRIDES


def test_default_path_runs_units_and_staff_dynamics(serial_results):
    """The default-path case really exercises what it is there for: today's open cases, several organisations of
    a kind with their own pools, and FTE that moves with leavers, hiring and onboarding."""
    model, results = serial_results[DEFAULT_PATH]
    assert model.run.start == "today" and model.initial_state is not None and model.warmup_days == 0.0
    assert results.families["preexisting"].sum() > 1000  # open cases on the start date

    vt_units = {u.name for u in model.units_of("veilig_thuis")}
    gi_units = {u.name for u in model.units_of("gi")}
    assert len(vt_units) == 3 and len(gi_units) == 4
    pools = set(results.timeseries["pool"])
    for unit in vt_units:
        assert {f"veilig_thuis.triage[{unit}]", f"veilig_thuis.casus[{unit}]"} <= pools
    assert {f"gi[{unit}]" for unit in gi_units} <= pools
    assert set(results.families["vt_unit"].dropna()) == vt_units
    assert set(results.families["gi_unit"].dropna()) == gi_units

    assert model.staff_dynamics is not None
    assert set(model.staff_dynamics.orgs) == {"buurtteam", "veilig_thuis", "rvdk", "gi"}
    # static staffing keeps every pool's places fixed; with staff dynamics every organisation's pools move
    capacity = results.timeseries.groupby("pool")["capacity"].agg(["min", "max"])
    for org_pool in ("buurtteam", "rvdk", "veilig_thuis.casus[", "veilig_thuis.triage[", "gi["):
        rows = capacity[capacity.index.str.startswith(org_pool)]
        assert len(rows) and (rows["max"] > rows["min"]).all(), org_pool
    runs = results.runs
    for org in ("buurtteam", "veilig_thuis", "rvdk", "gi"):
        available = runs[f"available_fte_mean.{org}"]
        assert available.nunique() == len(runs), org  # random leavers: every replication has its own trace
        assert (available < runs[f"paper_fte_mean.{org}"]).all(), org


def test_every_registered_workflow_has_a_golden_fixture():
    from sim.scenarios import WORKFLOWS

    missing = sorted(set(WORKFLOWS) - set(GOLDEN_CASES))
    assert not missing, (f"no golden fixture for workflow(s) {', '.join(missing)}: once its numbers are settled, "
                         f"record it with `.venv/bin/python tests/test_golden.py --regenerate --from-conf "
                         + " ".join(f"--scenario {m}" for m in missing) + "` and commit tests/data/")
    assert DEFAULT_PATH in GOLDEN_CASES, (
        f"no golden fixture for the default path: `.venv/bin/python tests/test_golden.py --regenerate --from-conf "
        f"--scenario {DEFAULT_PATH}`")


# ====================================================================== tests: the comparison can pass and fail


@pytest.fixture(scope="module")
def default_tables(serial_results) -> dict[str, pd.DataFrame]:
    """The largest tables of the suite (the default path), on which the comparison is tried."""
    results = serial_results[DEFAULT_PATH][1]
    return {name: getattr(results, name) for name in TABLES}


def _float_columns(df: pd.DataFrame) -> list[str]:
    return [c for c in df.columns if _as_days(df[c]) is not None]


def _compare(original: pd.DataFrame, changed: pd.DataFrame, name: str = "t") -> list[str]:
    return compare_table(name, _stored_roundtrip(fingerprint(original)), fingerprint(changed))


def _stored_roundtrip(fp: dict) -> dict:
    """A fingerprint as it comes back from golden.json."""
    return json.loads(json.dumps(_stored(fp)))


def _last_bit_noise(s: pd.Series, rng: np.random.Generator) -> pd.Series:
    """What another CPU may do to a column: each value moved by up to 4 of its own ulps plus up to 4 ulps of a
    time at the end of the run (a wait inherits the last bits of the two times it is the difference of)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        ns = s.to_numpy(dtype="datetime64[ns]").astype("<i8")
        return pd.Series((ns + rng.integers(-40, 41, len(ns))).astype("datetime64[ns]"), index=s.index, name=s.name)
    x = s.to_numpy(dtype="<f8", na_value=np.nan)
    own = rng.integers(-4, 5, len(x)) * np.spacing(np.abs(x))
    inherited = rng.integers(-4, 5, len(x)) * np.spacing(4096.0)
    return pd.Series(x + own + inherited, index=s.index, name=s.name)


def test_last_bit_differences_in_every_value_pass(default_tables):
    """Every float value of every table moved by a few ulps (more than seen between machines) still passes, and
    the noise did reach the fingerprint (the projections of nearly every noisy column are not bit-identical; a
    1-ulp change can vanish in the rounding of w_i * x_i, which is the point of a tolerance anyway)."""
    rng = np.random.default_rng(7)
    for name, df in default_tables.items():
        noisy = df.copy()
        for col in _float_columns(df):
            noisy[col] = _last_bit_noise(df[col], rng)
        original, seen = fingerprint(df), fingerprint(noisy)
        assert not compare_table(name, _stored_roundtrip(original), seen)
        # a column that is NaN throughout (a route switched off by default) has no value to move
        valued = [c for c in _float_columns(df) if df[c].notna().any()]
        touched = [c for c in valued if not noisy[c].equals(df[c])]
        blind = [c for c in touched if seen["columns"][c]["blocks"] == original["columns"][c]["blocks"]]
        assert len(touched) >= 0.9 * len(valued) and len(blind) <= 0.1 * len(touched), (name, blind)


def test_one_ulp_nudge_of_one_value_passes(default_tables):
    fam = default_tables["families"]
    nudged = fam.copy()
    row = int(nudged["triage_end"].last_valid_index())
    nudged.loc[row, "triage_end"] = np.nextafter(nudged.loc[row, "triage_end"], np.inf)
    assert not nudged["triage_end"].equals(fam["triage_end"])
    assert not _compare(fam, nudged)


def _hardest_row(s: pd.Series, need_large: bool) -> int | None:
    """A row where a change is hardest to see: in the block with the largest tolerance, the value with the
    smallest weight (and, for a relative change, the smallest value of at least 1)."""
    x = _as_days(s)
    fp = _float_fingerprint(x)
    tolerance = RTOL * fp["_mass"] + ATOL * fp["_weight"]
    w = _weights(len(x))
    for block in np.argsort(-tolerance, kind="stable"):
        rows = np.arange(block * BLOCK_ROWS, min(len(x), (block + 1) * BLOCK_ROWS))
        ok = np.isfinite(x[rows]) & ((np.abs(x[rows]) >= 1.0) if need_large else True)
        if ok.any():
            rows = rows[ok]
            if need_large:
                rows = rows[np.abs(x[rows]) == np.abs(x[rows]).min()]
            return int(rows[np.argmin(w[rows])])
    return None


def _moved(s: pd.Series, row: int, by_days: float | None, relative: float | None) -> pd.Series:
    out = s.copy()
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out.iloc[row] = out.iloc[row] + pd.Timedelta(days=by_days)
    else:
        v = float(out.iloc[row])
        out.iloc[row] = v + by_days if by_days is not None else v * (1.0 + relative)
    return out


@pytest.mark.parametrize("table", TABLES)
def test_one_value_moved_by_a_real_change_fails(default_tables, table):
    """In every float column, one value moved by 1e-4 days (in the column's unit) either way, or by 1e-6 of
    itself, at the hardest place (the block with the largest tolerance, the smallest weight), fails and names
    the column."""
    df = default_tables[table]
    columns = [c for c in _float_columns(df) if np.isfinite(_as_days(df[c])).any()]
    assert columns
    relative_tried = 0
    for col in columns:
        for by_days, relative in ((1e-4, None), (-1e-4, None), (None, 1e-6)):
            if relative is not None and pd.api.types.is_datetime64_any_dtype(df[col].dtype):
                continue
            row = _hardest_row(df[col], need_large=relative is not None)
            if row is None:  # a relative change of values below 1 only: the 1e-4 changes above cover it
                continue
            original = df[[col]]
            changed = original.copy()
            changed[col] = _moved(df[col], row, by_days, relative)
            diffs = _compare(original, changed, table)
            assert len(diffs) == 1 and diffs[0].startswith(f"{table}.{col}: values moved in 1 of "), \
                (col, row, by_days, relative, diffs)
            relative_tried += relative is not None
    assert relative_tried >= len(columns) // 2


def test_relabelled_category_fails(default_tables):
    events = default_tables["events"]
    relabelled = events.copy()
    relabelled["activity"] = relabelled["activity"].cat.rename_categories({"melding": "aanmelding"})
    assert _compare(events, relabelled) == ["t.activity: category values differ (compared exactly)"]
    unused = events.copy()
    unused["activity"] = unused["activity"].cat.add_categories(["nieuw"])  # no value changes, the set does
    assert _compare(events, unused) == ["t.activity: category values differ (compared exactly)"]
    fam = default_tables["families"]
    one = fam.copy()
    one.loc[0, "route"] = "direct" if one.loc[0, "route"] != "direct" else "melding"
    assert _compare(fam, one) == ["t.route: text values differ (compared exactly)"]
    count = fam.copy()
    count.loc[5, "handoffs"] += 1
    assert _compare(fam, count) == ["t.handoffs: int values differ (compared exactly)"]


def test_reordered_rows_fail(default_tables):
    """Two adjacent rows swapped fail in every table; in the float columns alone too (the weights see the order),
    within one block and across a block boundary."""
    for name, df in default_tables.items():
        swapped = df.iloc[[1, 0, *range(2, len(df))]].reset_index(drop=True)
        assert _compare(df, swapped), name
    fam = default_tables["families"][_float_columns(default_tables["families"])]
    for a, b in ((10, 11), (BLOCK_ROWS - 1, BLOCK_ROWS)):
        order = list(range(len(fam)))
        order[a], order[b] = b, a
        swapped = fam.iloc[order].reset_index(drop=True)
        assert not fam.iloc[[a, b]].reset_index(drop=True).equals(swapped.iloc[[a, b]].reset_index(drop=True))
        assert _compare(fam, swapped)


def test_moved_nan_and_changed_columns_fail(default_tables):
    fam = default_tables["families"]
    row = int(fam["triage_end"].first_valid_index())
    nan = fam.copy()
    nan.loc[row, "triage_end"] = np.nan
    finite = int(fam["triage_end"].notna().sum())
    assert _compare(fam, nan) == [f"t.triage_end: positions of NaN/inf differ (finite values {finite} -> {finite - 1})"]
    renamed = fam.rename(columns={"arrival": "arrived"})
    assert any("gone: arrival; new: arrived" in d for d in _compare(fam, renamed))
    cast = fam.astype({"handoffs": "float64"})
    assert _compare(fam, cast) == ["t.handoffs: dtype int64 -> float64"]
    shorter = fam.iloc[:-1]
    assert _compare(fam, shorter) == [f"t: rows {len(fam)} -> {len(fam) - 1}"]


def test_kpis_compared_value_by_value(default_tables):
    runs = default_tables["runs"]
    expected = json.loads(json.dumps(kpi_values(runs)))
    key = next(c for c in _float_columns(runs) if (runs[c].abs() > 1.0).all())
    noisy = runs.copy()
    noisy[key] = [np.nextafter(v, np.inf) for v in noisy[key]]
    assert not compare_kpis(expected, kpi_values(noisy))
    moved = runs.copy()
    moved.loc[1, key] = moved.loc[1, key] * (1 + 1e-6)
    assert [m.split(":")[0] for m in compare_kpis(expected, kpi_values(moved))] == [key]


# ====================================================================== tests: the engine against plain SimPy


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


# ====================================================================== regeneration


def _header(case: str) -> str:
    return (f"# Pinned, fully resolved configuration of the golden test (case {case}).\n"
            f"# Generated by `tests/test_golden.py --regenerate --from-conf` on {dt.date.today()} from conf/\n"
            f"# with: {' '.join(case_overrides(case))}. Do not edit by hand: the fingerprints in golden.json\n"
            f"# belong to exactly these values. Provenance of each value: see conf/.\n")


def regenerate(cases: list[str], from_conf: bool) -> None:
    golden = _golden()
    converted = golden.get("format") != FORMAT
    recorded = {} if converted else golden.get("cases", {})
    if converted:
        print(f"{GOLDEN.name} was recorded in another format: every case is recorded anew"
              + (" (cases not named now are dropped: name them all)" if golden.get("scenarios") else ""))
    for case in cases:
        path = config_path(case)
        if from_conf or not path.is_file():
            DATA.mkdir(parents=True, exist_ok=True)
            path.write_text(_header(case) + compose_case(case))
        model = load_model(case)
        results = runner.run(model, jobs=1, progress=False)
        entry = {"config": path.name, "workflow": model.scenario.name, "overrides": list(case_overrides(case)),
                 **results_entry(results)}
        old = recorded.get(case)
        if old is None:
            print(f"{case}: new golden fixture")
        else:
            diffs = differences(old, entry)
            if diffs:
                print(f"{case}: MOVED\n  " + "\n  ".join(diffs))
            else:
                print(f"{case}: unchanged" + (" (bit for bit)" if bit_identical(old, entry)
                                              else " (within the tolerance; last-bit differences only)"))
        recorded[case] = _stored(entry)
    import importlib.metadata as md

    out = {"format": FORMAT, "cases": recorded,
           "generated": {"date": str(dt.date.today()),
                         "versions": {p: md.version(p) for p in ("numpy", "pandas", "simpy", "scipy")},
                         "python": sys.version.split()[0]}}
    GOLDEN.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN} ({GOLDEN.stat().st_size / 1e6:.2f} MB)")


def _default_cases() -> list[str]:
    from sim.scenarios import WORKFLOWS

    return GOLDEN_CASES if GOLDEN_DATA.get("format") == FORMAT and GOLDEN_CASES else [*sorted(WORKFLOWS), DEFAULT_PATH]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Regenerate the golden fixture (intentional model changes only).")
    parser.add_argument("--regenerate", action="store_true", required=True)
    parser.add_argument("--from-conf", action="store_true",
                        help="recompose the pinned overrides from conf/ (needed after a schema change)")
    parser.add_argument("--scenario", action="append",
                        help=f"case to (re)record: a workflow name, or {DEFAULT_PATH} (the default path); "
                             "default: the cases already recorded")
    args = parser.parse_args()
    regenerate(args.scenario or _default_cases(), args.from_conf)
