"""Bad input never crashes, is never silently accepted and never leaves a results folder that looks complete.

One test (or one parametrised family) per class of bad input, each checking the exact one-line message a user
sees (``ketensim: error: <field> = <value> (<what is allowed>)``), exit status 2, no traceback, and that no
results folder was made. The commands run in-process (``sim.cli.entry`` and each command's ``main``): the
preflight refuses the input before the Hydra app starts, so nothing is simulated and each case takes well under a
second. One test runs ``python -m sim`` in a subprocess with a region file of the user's own, to see the whole run
read it. The classes:

1. magnitudes: every numeric field has a range (``sim.chain.bounds.BOUNDS``); the largest float in any field of any
   shipped configuration is refused with one line, never an OverflowError or MemoryError;
2. dates are read at the edge into a ``datetime.date``;
3. keys the schema does not know are refused with the known ones, the nearest first;
4. a user's own config folder (``--config-dir``) is read and validated as the run reads it;
5. a run that fails leaves ``error.txt`` and no completion marker, and loses nothing written before.
"""

from __future__ import annotations

import copy
import dataclasses
import subprocess
import sys
import typing
from pathlib import Path
from typing import Callable

import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim import app, backlog, capacity, cli, screening, size
from sim.chain import bounds
from sim.chain.bounds import BOUNDS, bound_of
from sim.chain.checks import ConfigError
from sim.config import schema as config_schema
from sim.config import sources
from sim.config.gate import validate
from sim.config.schema import DistSpec, KetensimSchema
from sim.report import html
from sim.run import output, runner
from sim.scenarios import effects, registry
from tests.conftest import CONF, ROOT, compose_cfg

Main = Callable[[list[str]], None]


def refused(main: Main, argv: list[str], capsys, monkeypatch, tmp_path: Path) -> str:
    """Run a command in-process from an empty folder; return its one line on stderr after checking exit status 2,
    no traceback and no results folder."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in out + err
    assert not (tmp_path / "results").exists(), "a results folder was made for input that was refused"
    return lines[0]


# ---------------------------------------------------------------------------------------------- 1. magnitudes

MAGNITUDES = [
    (["staffing.gi.fte=1e308"], "staffing.gi.fte = 1e+308 (allowed: 0 < fte <= 50,000 FTE; ten times the largest "
     "national staff of one kind (buurtteams, 4,200 FTE, conf/region/national.yaml))"),
    (["staffing.veilig_thuis.caseload=1e12"], "staffing.veilig_thuis.caseload = 1000000000000.0 (allowed: 0 < "
     "caseload <= 200 cases per FTE; more than ten times the largest caseload norm in use (buurtteam 15 families "
     "per FTE))"),
    (["demand.vt_meldingen_per_year=1e308"], "demand.vt_meldingen_per_year = 1e+308 (allowed: 0 <= "
     "vt_meldingen_per_year <= 500,000 per year; ten times the national 42,400 first meldingen "
     "(conf/region/national.yaml))"),
    (["demand.scale=1e12"], "demand.scale = 1000000000000.0 (allowed: 0 <= scale <= 100 x the region's demand; a "
     "hundred times today's demand; the product with the region's arrivals is bounded too (ARRIVALS_MAX))"),
    (["region=national", "demand.scale=50"], "demand.scale = 50.0 (gives 2,535,000 external arrivals a year with "
     "demand.vt_meldingen_per_year + demand.buurtteam_direct_per_year = 50,700; allowed: at most 1,000,000, twenty "
     "times the national 50,700)"),
    (["run.years=1e6"], "run.years = 1000000.0 (allowed: 0 < years <= 100 years; a century of observation is "
     "beyond any policy horizon, and the 2023 figures the model is built on say nothing about one)"),
    (["run.replications=1000000000"], "run.replications = 1000000000 (allowed: 1 <= replications <= 10,000; "
     "10,000 replications put the CI at 1 % of one replication's spread; more only costs time (a national "
     "replication takes seconds))"),
    (["durations.rvdk_onderzoek.mean=1e308"], "durations.rvdk_onderzoek.mean = 1e+308 (allowed: 0 <= mean <= "
     "10,000 days; as every duration: longer than a childhood)"),
    (["durations.rvdk_onderzoek.cv=1e-200"], "durations.rvdk_onderzoek.cv = 1e-200 (allowed: 0.01 <= cv <= 10; ten "
     "times the largest cv in conf/ (1.0); below 1 % use dist: deterministic (a cv of 1e-200 divides by zero))"),
    (["handoff.intake_hours.gi=1e308"], "handoff.intake_hours.gi = 1e+308 (allowed: 0 <= gi <= 200 hours; more "
     "than a full-time working month of one person (about 150 hours) for one intake; the largest assumed is 16 "
     "(GI, range 4-16))"),
    (["run.timeseries_step_days=1e-9"], "run.timeseries_step_days = 1e-09 (allowed: 1 <= timeseries_step_days <= "
     "365 days; a day is the finest unit of every published figure; beyond a year no within-year series is left)"),
    (["run.seed=99999999999999999999999"], "run.seed = 99999999999999999999999 (allowed: 0 <= seed <= "
     "9,223,372,036,854,775,807; a seed is a 64-bit integer in every table and file that carries it)"),
    (["-m", "staffing.gi.fte=300,1e308"], "staffing.gi.fte = 1e+308 (allowed: 0 < fte <= 50,000 FTE; ten times the "
     "largest national staff of one kind (buurtteams, 4,200 FTE, conf/region/national.yaml))"),
]


@pytest.mark.parametrize("args,message", MAGNITUDES)
def test_an_absurd_magnitude_is_one_line_naming_field_value_and_range(args, message, capsys, monkeypatch, tmp_path):
    assert refused(cli.entry, ["region=demo", *args], capsys, monkeypatch, tmp_path) == f"ketensim: error: {message}"


def test_the_sign_checks_keep_their_own_words():
    """Below zero a field's own check speaks (the range table only adds what it left open)."""
    with pytest.raises(ConfigError, match=r"^staffing\.gi\.fte = -3\.0 \(must be > 0\)$"):
        validate(compose_cfg(["region=demo", "staffing.gi.fte=-3"]))
    with pytest.raises(ConfigError, match=r"^staff_dynamics\.orgs\.gi\.fte_per_person = 0\.01 \(allowed: 0\.1 <= "):
        validate(compose_cfg(["region=demo", "+staff_dynamics=nl_2023", "staff_dynamics.orgs.gi.fte_per_person=0.01"]))


COMMANDS = [
    (size.main, ["region=demo", "target.days=1e308"],
     "target.days = 1e+308 (allowed: 0 < days <= 10,000 days; as every duration: longer than a childhood)"),
    (size.main, ["region=demo", "target.step_fte=1e-6"],
     "target.step_fte = 1e-06 (allowed: 0.1 <= step_fte <= 1,000 FTE; a tenth of an FTE (4 hours a week) is finer "
     "than any staffing decision; a step of 1,000 FTE is coarser than most organisations)"),
    (capacity.main, ["region=demo", "capacity.points=1000000"],
     "capacity.points = 1000000 (allowed: 2 <= points <= 100 points; each point simulates every workflow; a curve "
     "of 100 points is smooth)"),
    (capacity.main, ["region=demo", "capacity.scales=[1,1e12]"],
     "capacity.scales[1] = 1000000000000.0 (allowed: 0 < scales <= 100 x the region's demand; as demand.scale)"),
    (backlog.main, ["region=gelderland", "backlog.extra_fte=[0,1e308]"],
     "backlog.extra_fte[1] = 1e+308 (allowed: 0 <= extra_fte <= 50,000 FTE; as staffing.<org>.fte)"),
    (backlog.main, ["region=gelderland", "backlog.probe_days=1e-9"],
     "backlog.probe_days = 1e-09 (allowed: 1 <= probe_days <= 365 days; as run.timeseries_step_days)"),
    (screening.main, ["region=demo", "staffing.rvdk.fte=1e308"],
     "staffing.rvdk.fte = 1e+308 (allowed: 0 < fte <= 50,000 FTE; ten times the largest national staff of one "
     "kind (buurtteams, 4,200 FTE, conf/region/national.yaml))"),
    (cli.entry, ["region=demo", "+experiment=compare_workflows", "staffing.gi.caseload=1e12"],
     "staffing.gi.caseload = 1000000000000.0 (allowed: 0 < caseload <= 200 cases per FTE; more than ten times the "
     "largest caseload norm in use (buurtteam 15 families per FTE))"),
    (cli.entry, ["region=demo", "+experiment=compare_workflows", "scenario=integrated", "work.hours_per_day=30"],
     "work.hours_per_day = 30.0 (allowed: 0 < hours_per_day <= 24 hours; a calendar day has 24 hours)"),
]


@pytest.mark.parametrize("main,args,message", COMMANDS,
                         ids=[f"{m.__module__}:{a[-1]}" for m, a, _ in COMMANDS])
def test_every_command_refuses_an_out_of_range_value(main, args, message, capsys, monkeypatch, tmp_path):
    assert refused(main, args, capsys, monkeypatch, tmp_path) == f"ketensim: error: {message}"


def _schema_fields(schema: type, prefix: str = "", in_dist: bool = False) -> list[tuple[str, bool]]:
    """(dotted name, inside a distribution) of every numeric field of the schema, maps as ``*``, lists as ``[]``."""
    out: list[tuple[str, bool]] = []
    hints = typing.get_type_hints(schema)
    for name in schema.__dataclass_fields__:
        out += _typed(hints[name], f"{prefix}{name}", in_dist or schema is DistSpec)
    return out


def _typed(hint, name: str, in_dist: bool) -> list[tuple[str, bool]]:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) is typing.Union:
        return _typed(args[0], name, in_dist)
    if hasattr(hint, "__dataclass_fields__"):
        return _schema_fields(hint, f"{name}.", in_dist)
    if typing.get_origin(hint) is dict:
        return _typed(args[1], f"{name}.*", in_dist)
    if typing.get_origin(hint) is list:
        return _typed(args[0], f"{name}[0]", in_dist)
    return [(name, in_dist)] if hint in (int, float) else []


def test_every_numeric_field_of_the_schema_has_a_range_with_a_reason():
    fields = _schema_fields(KetensimSchema)
    units = [f"region.units.*.*.{k}" for k in ("catchment", "fte_share", "caseload", "triage_fte_share",
                                               "routing.close")]  # untyped in the schema (sim.config.gate.UNIT_KEYS)
    assert len(fields) > 100
    # scenario.effects.* is an open map: each workflow declares its effects with a kind, and the kind has the range
    # (sim/scenarios/effects.py: a factor within effects.FACTOR_BOUND, a share between 0 and 1)
    assert ("scenario.effects.*", False) in fields
    for spec in registry.specs().values():
        for f in dataclasses.fields(spec.effects) if spec.effects is not None else ():
            assert effects.kind_of(f) in effects.KINDS, f"{spec.name}: effect {f.name} has no kind"
    assert effects.FACTOR_BOUND.why and effects.FACTOR_BOUND.high == 10.0
    for name, in_dist in fields + [(u, False) for u in units]:
        if name == "scenario.effects.*":
            continue
        b = bound_of(name.replace("*", "x"), in_dist)
        assert b is not None, f"{name} has no row in sim.chain.bounds.BOUNDS"
        assert b.low < b.high and b.why, b
    assert len({b.pattern for b in BOUNDS}) == len(BOUNDS), "a pattern twice: the second row would never apply"


def test_an_effect_factor_beyond_its_bound_is_one_line():
    """An assumed effect is bounded by its kind where the workflow declares it (a factor: 0 < f <= 10)."""
    with pytest.raises(ConfigError) as err:
        validate(compose_cfg(["scenario=integrated", "scenario.effects.assessment_factor=1e308"]))
    assert str(err.value) == ("scenario.effects.assessment_factor = 1e+308 (allowed: 0 < assessment_factor <= 10 x "
                              "today's; a workflow that makes a duration ten times longer is no alternative to study; "
                              "assumed ranges stay within 0.5-1.5)")


def _set(tree, name: str, value) -> None:
    """Set the leaf ``name`` (dotted, list indices as [i]) of a validated-schema tree (dataclasses, dicts, lists)."""
    keys = [int(k) if k.isdigit() else k for k in name.replace("[", ".").replace("]", "").split(".")]
    for key in keys[:-1]:
        tree = tree[key] if isinstance(tree, (dict, list)) else getattr(tree, key)
    if isinstance(tree, (dict, list)):
        tree[keys[-1]] = value
    else:
        setattr(tree, keys[-1], value)


def test_the_largest_float_in_any_field_of_a_shipped_configuration_is_one_line():
    """Every number of every workflow's Gelderland configuration (units, staff dynamics included), set to the
    largest float (a whole-number field: 10^30), is a ConfigError with one line: never an overflow, a memory
    error or a silent run. Workload feedback is on so its values are set too. (On the typed objects the gate receives after composing, to keep it fast.)"""
    seen: set[str] = set()
    for scenario in ("sequential", "integrated", "samen_in_crisis", "utrecht_west", "blijvend_veilig"):
        base = OmegaConf.to_object(compose_cfg(["region=gelderland", f"scenario={scenario}",
                                                "+staff_dynamics=nl_2023", "+workload_feedback=on"]))
        for name, value, _ in bounds.numeric_leaves(base):
            if name in seen:
                continue
            seen.add(name)
            cfg = copy.deepcopy(base)
            _set(cfg, name, 10**30 if isinstance(value, int) else 1.7e308)
            with pytest.raises(ConfigError) as err:
                validate(cfg)
            assert "\n" not in str(err.value) and str(err.value), name
    assert len(seen) > 150


# ---------------------------------------------------------------------------------------------- 2. dates


@pytest.mark.parametrize("value,message", [
    ("2023-13-45", "run.start_date = '2023-13-45' (must be a date written YYYY-MM-DD, e.g. 2024-01-01)"),
    ("yesterday", "run.start_date = 'yesterday' (must be a date written YYYY-MM-DD, e.g. 2024-01-01)"),
    ("1899-01-01", "run.start_date = '1899-01-01' (allowed: 2000-01-01 <= start_date <= 2060-12-31; the 2023 "
     "figures describe the chain of the Jeugdwet (2015); before 2000 or after 2060 they describe nothing, and event "
     "timestamps of a century-long run must still fit the calendar tables can hold (pandas: until 2262))"),
])
def test_a_malformed_date_is_one_line_before_any_run(value, message, capsys, monkeypatch, tmp_path):
    line = refused(cli.entry, ["region=demo", f"run.start_date={value}"], capsys, monkeypatch, tmp_path)
    assert line == f"ketensim: error: {message}"


def test_a_date_is_read_at_the_edge_into_a_date():
    import datetime as dt

    model = validate(compose_cfg(["region=demo", "run.start_date=2025-03-01"]))
    assert model.start_date == dt.date(2025, 3, 1)


# ---------------------------------------------------------------------------------------------- 3. unknown keys

UNKNOWN = [
    ("+run.typo=1", "run.typo = 1 ('typo' is not a known key of run; known: "),
    ("+new.key=1", "new.key = 1 ('new' is not a known key at the top level; known: "),
    ("+staffing.gi.ftee=3", "staffing.gi.ftee = 3 ('ftee' is not a known key of staffing.gi; known: fte, "),
    ("+durations.rvdk_onderzoek.maen=80", "durations.rvdk_onderzoek.maen = 80 ('maen' is not a known key of "
     "durations.rvdk_onderzoek; known: mean, "),
]


@pytest.mark.parametrize("override,start", UNKNOWN)
def test_an_unknown_key_is_refused_with_the_known_ones_nearest_first(override, start, capsys, monkeypatch, tmp_path):
    line = refused(cli.entry, ["region=demo", override], capsys, monkeypatch, tmp_path)
    assert line.startswith(f"ketensim: error: {start}") and line.endswith(")"), line
    section = override.lstrip("+").rsplit(".", 1)[0].split("=")[0]
    schema = {"run": config_schema.RunSchema, "new": KetensimSchema, "staffing.gi": config_schema.OrgStaffingSchema,
              "durations.rvdk_onderzoek": DistSpec}[section]
    listed = line.split("known: ", 1)[1].rstrip(")").split(", ")
    assert sorted(listed) == sorted(schema.__dataclass_fields__)  # every known key, each once


# ---------------------------------------------------------------------------------------------- 4. own config folder


def _own_region(folder: Path, name: str = "myregion", **replace: str) -> Path:
    """A region file of the user's own: the demo region under another name, with text replaced."""
    text = (CONF / "region" / "demo.yaml").read_text(encoding="utf-8").replace("name: demo", f"name: {name}", 1)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    (folder / "region").mkdir(parents=True, exist_ok=True)
    (folder / "region" / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_region_file_of_ones_own_is_validated_as_the_run_reads_it(tmp_path: Path):
    own = _own_region(tmp_path / "myconf")
    for flag in (["--config-dir", str(own)], [f"--config-dir={own}"], ["-cd", str(own)]):
        models = cli.preflight([*flag, "region=myregion", "run.replications=1"])
        assert [m.region_name for m in models] == ["myregion"]
    with pytest.raises(ConfigError, match=r"^region = 'myregion' \(allowed: amsterdam_amstelland, demo, gelderland, national, "
                       r"national_2019, rotterdam_rijnmond, utrecht\)$"):
        cli.preflight(["region=myregion"])  # without the folder the file is not there


def test_a_bad_value_in_ones_own_region_file_is_one_line(capsys, monkeypatch, tmp_path: Path):
    fte = (CONF / "region" / "demo.yaml").read_text(encoding="utf-8").split("gi:\n    fte: ", 1)[1].split()[0]
    own = _own_region(tmp_path / "myconf", **{f"gi:\n    fte: {fte}": "gi:\n    fte: 1e9"})
    line = refused(cli.entry, ["--config-dir", str(own), "region=myregion"], capsys, monkeypatch, tmp_path)
    assert line.startswith("ketensim: error: staffing.gi.fte = 1000000000.0 (allowed: 0 < fte <= 50,000 FTE; ")


def test_a_region_value_without_a_source_is_refused(capsys, monkeypatch, tmp_path: Path):
    """Issue 18: a region file's every value carries its provenance; one that does not is refused before any run,
    naming the value and the file (the shipped files pass: tests/test_config.py reads all of them)."""
    text = (CONF / "region" / "demo.yaml").read_text(encoding="utf-8")
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("population:"))
    own = _own_region(tmp_path / "myconf", **{line: line.split("#", 1)[0].rstrip()})
    value = line.split(":", 1)[1].split("#", 1)[0].strip()
    message = refused(cli.entry, ["--config-dir", str(own), "region=myregion"], capsys, monkeypatch, tmp_path)
    assert message == (f"ketensim: error: region.population = {value} ({own / 'region' / 'myregion.yaml'} gives it "
                       "without a source: every region value needs a '# source:', '# derived:', '# assumption:' or "
                       "'# calibrated:' comment beside it)")
    # the same file with the comment is accepted: the refusal is for the missing source, not for the value
    ok = _own_region(tmp_path / "ok")
    assert [m.region_name for m in cli.preflight(["--config-dir", str(ok), "region=myregion"])] == ["myregion"]


def test_a_file_of_ones_own_hidden_by_a_built_in_one_is_refused(capsys, monkeypatch, tmp_path: Path):
    own = _own_region(tmp_path / "myconf", name="demo")
    line = refused(cli.entry, ["--config-dir", str(own), "region=demo"], capsys, monkeypatch, tmp_path)
    assert line == (f"ketensim: error: region = 'demo' ({own / 'region' / 'demo.yaml'} is hidden by "
                    f"{CONF / 'region' / 'demo.yaml'}, which Hydra reads first: give your file another name)")


@pytest.mark.parametrize("flag,message", [
    (["--config-dir", "/nonexistent/myconf"], "--config-dir = '/nonexistent/myconf' (not a folder: give the folder "
     "that holds your region/<name>.yaml, e.g. --config-dir ./myconf region=<name>)"),
    (["--config-path", "myconf"], "--config-path = 'myconf' (must be an absolute folder: Hydra reads a relative one "
     "inside the sim package; to add files of your own use --config-dir DIR)"),
    (["--config-dir"], "--config-dir needs a value (e.g. --config-dir DIR)"),
])
def test_a_config_folder_that_is_not_there_is_one_line(flag, message, capsys, monkeypatch, tmp_path):
    assert refused(cli.entry, ["region=demo", *flag], capsys, monkeypatch, tmp_path) == f"ketensim: error: {message}"


def test_every_command_reads_ones_own_folder(tmp_path: Path):
    own = _own_region(tmp_path / "myconf")
    model = app.validated("config", ["--config-dir", str(own), "region=myregion"], validate, example="region=demo")
    assert model.region_name == "myregion"
    with app.composing(app.config_source(["--config-dir", str(own)])):
        assert "myregion" in sources.group_options("region")
        assert sources.group_file("region", "myregion") == own / "region" / "myregion.yaml"
        assert sources.group_file("scenario", "integrated") == CONF / "scenario" / "integrated.yaml"
    assert sources.group_options("region") == ["amsterdam_amstelland", "demo", "gelderland", "national",
                                               "national_2019", "rotterdam_rijnmond", "utrecht"]  # conf/ alone


def test_a_run_with_ones_own_region_file_lists_its_assumptions(tmp_path: Path):
    """The whole command, as a user types it: the run reads the file, assumptions.csv names it, and the report's
    sources come from it (not from a file of that name in conf/, which does not exist)."""
    own = _own_region(tmp_path / "myconf", **{"vt_meldingen_per_year: 300  # assumption: about a tenth of "
                                              "Gelderland's 2,852": "vt_meldingen_per_year: 300  # source: our own "
                                              "count of 2024"})
    proc = subprocess.run([sys.executable, "-m", "sim", "--config-dir", str(own), "region=myregion",
                           "run.replications=1", "run.years=0.1", "run.quiet=true", "run.event_log=false",
                           "run.formats=[csv]"], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    (run_dir,) = (tmp_path / "results" / "runs").iterdir()
    assert output.is_complete(run_dir) and run_dir.name.endswith("_sequential_myregion")
    assumed = pd.read_csv(run_dir / "assumptions.csv")
    assert (assumed["file"] == "myregion.yaml").sum() > 0
    assert not (assumed["file"] == "demo.yaml").any()
    results = html.load(run_dir)
    assert results.config_file("region", "myregion") == own / "region" / "myregion.yaml"
    assert "our own count of 2024" in html.sources_table(results, "en")


# ---------------------------------------------------------------------------------------------- 5. failing runs


def _boom(*_args, **_kwargs):
    raise RuntimeError("boom in the simulation")


def test_a_run_that_fails_leaves_an_error_file_and_no_marker(monkeypatch, tmp_path: Path):
    cfg = compose_cfg(["region=demo", "run.replications=1", "run.years=0.1", "run.quiet=true"])
    done = tmp_path / "point_a"  # a finished folder beside (an earlier point of a sweep)
    done.mkdir()
    output.write_results(done, {"runs": pd.DataFrame({"x": [1]})}, ["csv"], "a: 1\n")
    again = tmp_path / "point_b"  # a folder complete from an earlier run, now rerun and failing
    again.mkdir()
    output.write_results(again, {"runs": pd.DataFrame({"x": [2]})}, ["csv"], "b: 1\n")
    monkeypatch.setattr(runner, "run", _boom)
    for folder in (tmp_path / "fresh", again):
        with pytest.raises(RuntimeError, match="boom"):
            cli.execute(cfg, folder)
        assert not output.is_complete(folder)
        error = (folder / output.ERROR).read_text(encoding="utf-8")
        assert error.startswith("RuntimeError: boom in the simulation\n") and "Traceback" in error
        assert (folder / "config_resolved.yaml").is_file()  # the snapshot was written first
    assert output.is_complete(done) and pd.read_csv(done / "runs.csv")["x"].tolist() == [1]


def test_a_failure_while_writing_tables_leaves_no_marker_and_no_half_file(monkeypatch, tmp_path: Path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "summary.csv").write_text("old\n", encoding="utf-8")
    real = pd.DataFrame.to_csv

    def failing(df, path, *args, **kwargs):
        if Path(path).name == ".summary.csv.tmp":
            Path(path).write_text("half", encoding="utf-8")
            raise OSError("disk full")
        return real(df, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_csv", failing)
    with pytest.raises(OSError, match="disk full"), output.guarded(folder):
        output.write_results(folder, {"runs": pd.DataFrame({"x": [1]}), "summary": pd.DataFrame({"y": [2]})},
                             ["csv"], "c: 1\n")
    assert not output.is_complete(folder)
    assert (folder / "summary.csv").read_text(encoding="utf-8") == "old\n"  # the old file, never half a new one
    assert not list(folder.glob(".*.tmp"))
    assert (folder / output.ERROR).read_text(encoding="utf-8").startswith("OSError: disk full")


def test_a_successful_rerun_clears_an_old_error_file(tmp_path: Path):
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / output.ERROR).write_text("RuntimeError: earlier\n", encoding="utf-8")
    with output.guarded(folder):
        output.write_results(folder, {"runs": pd.DataFrame({"x": [1]})}, ["csv"], "d: 1\n")
    assert output.is_complete(folder) and not (folder / output.ERROR).exists()

