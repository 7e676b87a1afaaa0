"""Configuration: every config composes and validates; every value names its provenance; bad input is one line.

The command-line tests run ``python -m sim`` in a subprocess from an empty working directory, exactly as a user
would, and check: exit status 2, a single line on stderr naming the dotted field, the value and what is allowed,
no traceback, and no results directory (nothing was simulated).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

from sim.chain.checks import ConfigError
from sim.config import provenance
from sim.config.gate import validate
from tests.conftest import CONF, ROOT, compose_cfg, make_model


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


@pytest.mark.parametrize("region,scenario,process", list(itertools.product(_options("region"), _options("scenario"),
                                                                           _options("process"))))
def test_every_config_composes_and_validates(region, scenario, process):
    model = make_model([f"region={region}", f"scenario={scenario}", f"process={process}"])
    assert model.region_name == region and model.scenario.name == scenario


@pytest.mark.parametrize("group", ["process", "region"])
def test_every_value_names_its_source_or_says_assumption(group):
    for path in sorted((CONF / group).glob("*.yaml")):
        found, missing = provenance.read_file(path)
        assert not missing, f"{path.name}: values without '# source:', '# derived:' or '# assumption:': {missing}"
        assert found


def test_assumptions_are_listed_with_their_reason():
    found, _ = provenance.read_file(CONF / "process" / "nl_2023.yaml")
    assumed = {p.key: p.text for p in found if p.kind == "assumption"}
    assert "routing.court_grants" in assumed and "NOT FOUND" in assumed["routing.court_grants"]
    sourced = {p.key for p in found if p.kind == "source"}
    assert "norms.vt_triage_days" in sourced


# ---------------------------------------------------------------------------------------------- validation (API)

BAD_VALUES = [
    ("staffing.gi.fte=-3", "staffing.gi.fte = -3.0 (must be > 0)"),
    ("staffing.rvdk.fte=0", "staffing.rvdk.fte = 0.0 (must be > 0)"),
    ("staffing.buurtteam.caseload=-1", "staffing.buurtteam.caseload = -1.0 (must be > 0)"),
    ("staffing.gi.fte=nan", "staffing.gi.fte = nan (must be a finite number)"),
    ("staffing.gi.vacancy_rate=1.0", "staffing.gi.vacancy_rate = 1.0 (must be a probability, 0 <= p < 1)"),
    ("routing.vt_triage.rvdk=0.5", "routing.vt_triage sums to 1.49 (must sum to 1)"),
    ("routing.court_grants=1.5", "routing.court_grants = 1.5 (must be a probability, 0 <= p <= 1)"),
    ("run.years=0", "run.years = 0.0 (must be > 0)"),
    ("run.replications=0", "run.replications = 0 (must be a whole number >= 1)"),
    ("durations.rvdk_onderzoek.dist=weibull", "durations.rvdk_onderzoek.dist = 'weibull' (allowed: exponential"),
    ("durations.rvdk_onderzoek.cv=-0.5", "durations.rvdk_onderzoek.cv = -0.5 (must be a finite number > 0)"),
    ("+routing.vt_triage.elsewhere=0.0", "routing.vt_triage.elsewhere is not an option (allowed: close, buurtteam"),
    ("demand.scale=-1", "demand.scale = -1.0 (must be >= 0)"),
]


@pytest.mark.parametrize("override,message", BAD_VALUES)
def test_validation_names_field_value_and_what_is_allowed(override, message):
    with pytest.raises(ConfigError) as err:
        validate(compose_cfg(["region=demo", override]))
    assert message in str(err.value)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------- command line

CLI_CASES = [
    (["staffing.gi.fte=-3"], "staffing.gi.fte = -3.0 (must be > 0)"),
    (["scenario=foo"], "scenario = 'foo' (allowed: "),
    (["region=atlantis"], "region = 'atlantis' (allowed: amsterdam_amstelland, demo, gelderland, national"),
    (["staffing.gi.fte=abc"], "staffing.gi.fte = 'abc'"),
    (["routing.rvdk_outcome.verzoek=0.9"], "routing.rvdk_outcome sums to 1.29 (must sum to 1)"),
    (["run.years=-1"], "run.years = -1.0 (must be > 0)"),
    (["durations.court_decision.dist=pareto"], "durations.court_decision.dist = 'pareto' (allowed:"),
    (["nonsense"], "'nonsense' is not an override"),
    (["-m", "staffing.gi.fte=300,-5"], "staffing.gi.fte = -5.0 (must be > 0)"),
]


@pytest.mark.parametrize("args,message", CLI_CASES)
def test_cli_bad_input_is_one_line_without_traceback(tmp_path: Path, args, message):
    proc = subprocess.run([sys.executable, "-m", "sim", "region=demo", *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert message in lines[0] and lines[0].startswith("ketensim: error: ")
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not (tmp_path / "results").exists(), "a results folder was created for an invalid configuration"
