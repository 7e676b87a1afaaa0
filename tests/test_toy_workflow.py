"""A new workflow is one package plus one YAML file: a toy workflow written into a temporary directory runs,
compares with today's chain and is screened analytically, and no file of the project changes.

The toy is the smallest chain there is: every family (melding, direct request or hermelding) goes to the
buurtteam's one waiting list, gets voluntary help there and is closed. Its package holds what every workflow's
package holds (``sim/scenarios/<name>/``): ``process.py`` (the Workflow subclass), ``params.py`` (its own assumed
effect, validated by ``sim.scenarios.effects``), ``twin.py`` (its analytic flow model, one queue), ``labels.py`` and an
``__init__.py`` exporting ``WORKFLOW``. Its YAML (in a temporary config directory on Hydra's search path) names the
package with ``scenario.package``, which registers it.
"""

from __future__ import annotations

import hashlib
import math
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis import compare, screening
from sim.chain.checks import ConfigError
from sim.config.gate import validate
from sim.report import style
from sim.run import runner
from sim.scenarios import WORKFLOWS, effects, registry
from tests.conftest import ROOT, compose_cfg

TINY = ["region=demo", "run.years=1", "run.warmup_years=0.5", "run.replications=2", "run.quiet=true",
        "run.start=empty"]
PACKAGE = "toy_buurtteam_chain"

FILES = {
    "__init__.py": '''
        """Toy workflow: one buurtteam queue for every family."""
        from sim.scenarios.registry import WorkflowSpec
        from toy_buurtteam_chain import params, twin
        from toy_buurtteam_chain.labels import LABELS
        from toy_buurtteam_chain.process import BuurtteamOnly

        WORKFLOW = WorkflowSpec(name="toy_chain", workflow=BuurtteamOnly, labels=LABELS, configure=params.configure,
                                effects=params.ToyEffects, twin=twin.flows)
        ''',
    "params.py": '''
        """The toy's one assumed effect: help takes longer by a factor."""
        from dataclasses import dataclass

        from sim.scenarios import effects


        @dataclass(frozen=True)
        class ToyEffects:
            help_factor: float = effects.effect("factor", (1.0, 1.5), "help episode length / today's")


        @dataclass(frozen=True)
        class ToyParams:
            effects: ToyEffects


        def configure(schema, staffing):
            return ToyParams(effects.read(schema, ToyEffects))
        ''',
    "process.py": '''
        """Every family goes to the buurtteam's waiting list, gets voluntary help, and is closed."""
        from sim.actors.buurtteam import Buurtteam
        from sim.scenarios.base import Workflow


        class Longer:
            """The draws of the help stream times the toy's factor (the same families, longer help)."""

            def __init__(self, base, factor):
                self.base, self.factor = base, factor

            def next(self):
                return self.base.next() * self.factor


        class BuurtteamOnly(Workflow):
            name = "toy_chain"

            def build(self):
                self.buurtteam = self.add(Buurtteam(self))
                self.buurtteam.help_time = Longer(self.buurtteam.help_time,
                                                  self.model.scenario.params.effects.help_factor)

            def arrive(self, fam):
                self.intake(fam, "buurtteam")
                self.buurtteam.vrijwillige_hulp(fam, True, self.after_help)

            def after_help(self, fam, outcome):
                self.close(fam, "vrijwillige_hulp_afgerond")
        ''',
    "twin.py": '''
        """The toy's analytic twin: every episode waits for and holds one buurtteam place for its help."""
        import numpy as np

        from sim.kernel.flows import ONE, Fixed, PoolInfo, Trace, collect


        def flows(model):
            m = model
            help_ = Fixed.of("buurtteam_help", m.durations["buurtteam_help"], m.scenario.params.effects.help_factor)
            first = (m.vt_meldingen_per_year + m.buurtteam_direct_per_year) * m.demand_scale / 365.0
            rate = first * sum(m.reentry_probability ** k for k in range(m.max_episodes))  # with hermeldingen

            def paths():
                for colour, share in m.colour_probs.items():
                    t = Trace(crisis=colour == "rood", colour=colour)
                    t.wait("buurtteam")
                    held = t.open("buurtteam", ONE)
                    t.mark("help")
                    t.add(help_)
                    t.close(held)
                    yield t, rate * share

            st = m.staffing["buurtteam"]

            def places(fte):
                slots = np.rint(fte["buurtteam"] * st.productive_share * (1.0 - st.vacancy_rate) * st.caseload)
                return {"buurtteam": (slots, np.rint(slots * st.crisis_reserve_share))}

            return collect("toy_chain", paths(), {"buurtteam": PoolInfo("buurtteam", "buurtteam", "families")},
                           {"lead_time_help": lambda t: t.until("help")}, {}, {"buurtteam": st.fte}, places,
                           {"all": rate})
        ''',
    "labels.py": '''
        from sim.scenarios.registry import Labels

        LABELS = Labels(en="Toy: one buurtteam queue", nl="Speelgoed: één buurtteamwachtrij", colour="black",
                        dash=(0, (3, 3)), marker="*", hatch="oo", order=50)
        ''',
}

YAML = """\
# @package scenario
# Toy workflow of tests/test_toy_workflow.py: every family to the buurtteam.
name: toy_chain
description: "Toy: one buurtteam queue"
package: toy_buurtteam_chain  # source: setting; the workflow package outside sim/scenarios/
effects:
  help_factor: 1.2  # assumption: toy; range 1.0-1.5 (1 = no effect)
"""


def _project_fingerprint() -> str:
    """One hash over every file of the package and the configuration: any change to them changes it."""
    h = hashlib.sha256()
    for path in sorted([*(ROOT / "sim").rglob("*.py"), *(ROOT / "conf").rglob("*.yaml")]):
        h.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


@pytest.fixture
def toy_conf(tmp_path, monkeypatch) -> Path:
    """Write the toy package and its YAML into ``tmp_path``; forget them afterwards (registry and imports)."""
    package = tmp_path / "src" / PACKAGE
    package.mkdir(parents=True)
    for name, text in FILES.items():
        (package / name).write_text(textwrap.dedent(text).lstrip())
    conf = tmp_path / "conf"
    (conf / "scenario").mkdir(parents=True)
    (conf / "scenario" / "toy_chain.yaml").write_text(YAML)
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    yield conf
    registry.unregister("toy_chain")
    for mod in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        del sys.modules[mod]


def toy_model(conf: Path, *extra: str):
    cfg = compose_cfg([*TINY, f"hydra.searchpath=[file://{conf}]", "scenario=toy_chain", *extra])
    return validate(cfg)


def test_a_toy_workflow_package_runs_compares_and_screens(toy_conf):
    before = _project_fingerprint()
    assert "toy_chain" not in WORKFLOWS
    model = toy_model(toy_conf)
    # registered through scenario.package; known to every part that asks the registry
    assert "toy_chain" in WORKFLOWS and model.scenario.workflow.__module__ == f"{PACKAGE}.process"
    assert model.scenario.params.effects.help_factor == 1.2
    assert style.workflow_label("toy_chain", "nl") == "Speelgoed: één buurtteamwachtrij"
    assert style.workflow_colour("toy_chain") == style.OKABE_ITO["black"] and style.workflow_order()[-1] == "toy_chain"

    # runs: every family passes the buurtteam and nothing else
    toy = runner.run(model, jobs=1, progress=False)
    fam = toy.families
    assert len(fam) > 300 and set(fam["outcome"]) == {"vrijwillige_hulp_afgerond", "open"}  # open: at the end
    assert set(toy.timeseries["pool"]) == {"buurtteam"}
    assert fam["handoffs"].eq(0).all() and fam["intakes"].eq(1).all()

    # compares with today's chain: the same families (common random numbers), the same staff
    base_model = validate(compose_cfg([*TINY, "scenario=sequential"]))
    base = runner.run(base_model, jobs=1, progress=False)
    comparison = compare.paired(compare.kpi_frame(base, base_model), compare.kpi_frame(toy, model),
                                "sequential", "toy_chain").set_index("kpi")
    assert comparison.at["fte_total", "diff_mean"] == 0.0
    assert comparison.at["handoffs_per_family", "mean_workflow"] == 0.0
    assert comparison.at["handoffs_per_family", "diff_mean"] < 0  # today's chain hands families over
    first = ["replication", "family_id", "arrival"]
    episode0 = lambda f: f.loc[(f["episode"] == 0) & ~f["preexisting"], first].sort_values(first[:2])  # noqa: E731
    pd.testing.assert_frame_equal(episode0(fam).reset_index(drop=True), episode0(base.families).reset_index(drop=True))

    # screens: the twin's one queue, evaluated over a grid of buurtteam FTE
    fm = screening.flow_model(model)
    assert set(fm.pools) == {"buurtteam"}
    grid = screening.screen_grid(model, {"buurtteam": np.array([15.0, 20.0, 30.0, 60.0])})
    waits = grid["wait_mean.buurtteam"].to_numpy()
    assert grid["stable"].iloc[-1] and np.all(np.diff(waits[np.isfinite(waits)]) <= 0)  # more staff, no longer waits
    # the twin against the simulation, in steady state (help lasts months: a long warm-up) and with room to spare:
    # requests per year and the offered load (Little: places in use = rate x mean help)
    steady = toy_model(toy_conf, "staffing.buurtteam.fte=60", "run.warmup_years=3", "run.years=4")
    point = screening.screen_grid(steady, {}).iloc[0]
    runs = runner.run(steady, jobs=1, progress=False).runs
    assert point["stable"] and point["wait_mean.buurtteam"] < 1.0
    assert runs["arrivals_per_year.buurtteam"].mean() == pytest.approx(fm.entry_rates["all"] * 365.0, rel=0.1)
    assert runs["in_care_mean.buurtteam"].mean() == pytest.approx(point["load.buurtteam"], rel=0.1)

    assert _project_fingerprint() == before  # nothing of the project was written


def test_the_toy_effect_is_validated_and_reaches_its_process(toy_conf):
    with pytest.raises(ConfigError, match=r"^scenario.effects.help_factor = 0.0 \(must be > 0\)"):
        toy_model(toy_conf, "scenario.effects.help_factor=0")
    with pytest.raises(ConfigError, match=r"^scenario.effects.other is set, but workflow 'toy_chain' does not use it"):
        toy_model(toy_conf, "+scenario.effects.other=0.5")
    assert effects.neutral(registry.get("toy_chain").effects).help_factor == 1.0
    # the same families draw the same help; the factor stretches each episode exactly (without hermeldingen, whose
    # timing would change the order of the requests and so which draw a family gets)
    once = ("families.reentry_probability=0.0", "families.max_episodes=1")
    short = runner.run(toy_model(toy_conf, *once, "scenario.effects.help_factor=1.0"), jobs=1, progress=False).families
    long = runner.run(toy_model(toy_conf, *once, "scenario.effects.help_factor=1.5"), jobs=1, progress=False).families
    key = ["replication", "case_id"]
    both = short.merge(long, on=key, suffixes=("_1", "_15")).dropna(
        subset=["buurtteam_end_1", "buurtteam_end_15", "buurtteam_start_1", "buurtteam_start_15"])
    assert len(both) > 100
    length = {f: both[f"buurtteam_end_{f}"] - both[f"buurtteam_start_{f}"] for f in ("1", "15")}
    ratio = length["15"] / length["1"]
    assert np.allclose(ratio, 1.5, rtol=1e-9), ratio.describe()
    assert not math.isnan(ratio.mean())


def test_an_unknown_package_is_a_one_line_error(toy_conf):
    with pytest.raises(ConfigError, match=r"^scenario.package = 'no_such_pkg' \("):
        toy_model(toy_conf, "scenario.package=no_such_pkg")
