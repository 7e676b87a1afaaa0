"""Starting from today's state (run.start=today): exact stocks at time zero, plausible elapsed times, rejection
of a region file that lacks a value or contradicts itself, and no effect on a run from empty."""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from sim.chain import initial_state
from sim.chain.checks import ConfigError
from sim.config.gate import validate
from sim.kernel.engine import Engine
from sim.kernel.streams import Streams
from sim.run import runner
from tests.conftest import CONF, make_model

TODAY = ["run.start=today", "run.years=1", "run.replications=1", "run.quiet=true", "run.event_log=false"]


def seeded(overrides: list[str]):
    """A workflow with today's cases put in place and no simulated time spent yet."""
    model = make_model(overrides)
    wf = model.scenario.workflow(model, 0)
    wf.seed_initial_state()
    return model, wf


class KindTotals:
    """``pools[name].busy`` / ``.queued`` summed over the organisations of a kind (region.units: ``gi[a]``, ...)."""

    def __init__(self, pools) -> None:
        self.pools = pools

    def __getitem__(self, name: str):
        from types import SimpleNamespace

        from sim.chain.entities import kind_pool

        members = [p for p in self.pools.values() if kind_pool(p.name) == name]
        assert members, name
        return SimpleNamespace(busy=sum(p.busy for p in members), queued=sum(p.queued for p in members),
                               capacity=sum(p.capacity for p in members))

    def values(self):
        return self.pools.values()


def children_in(wf, stage_rows) -> int:
    return int(sum(f.n_children for f in stage_rows))


@pytest.mark.parametrize("region", ["demo", "gelderland"])
def test_today_starts_with_exactly_the_configured_waiting_lists_and_caseloads(region):
    model, wf = seeded([f"region={region}", *TODAY])
    s = model.initial_state
    pools = KindTotals(wf.engine.pools)  # Gelderland has three VT organisations and four GIs: summed per kind
    assert wf.engine.now == 0.0
    assert pools["veilig_thuis.triage"].queued == s.triage_waiting
    assert pools["veilig_thuis.triage"].busy == s.triage_in_progress
    assert pools["veilig_thuis.casus"].busy == s.vt_onderzoek + s.vt_vervolg
    assert pools["veilig_thuis.casus"].queued == 0
    assert pools["buurtteam"].busy == s.buurtteam_in_care
    assert pools["rvdk"].queued == s.rvdk_waiting  # children
    assert pools["rvdk"].busy == s.rvdk_in_care
    # several GIs (region.units): each has its own rounded places, which may add up to a place or two more than
    # today's children in care; such a free place takes a waiting child at time zero (none without units)
    gi = pools["gi"]
    admitted = s.gi_waiting - gi.queued
    assert gi.busy == sum(s.gi_in_care.values()) + admitted
    assert admitted == 0 or (model.units_of("gi") and 0 < admitted and gi.busy <= gi.capacity)
    pending = [f for f in wf.families if f.preexisting and f.court_request < 0 and math.isnan(f.court_decision)
               and math.isnan(f.rvdk_start)]
    assert children_in(wf, pending) == s.court_pending
    for kind, n in s.gi_in_care.items():
        assert children_in(wf, [f for f in wf.families if f.preexisting and f.measure == kind
                                and f.gi_first_contact < 0]) == n
    # the window's flows count nothing of today's stock: neither the cases in care nor the backlog arrived in it
    assert all(p.stats.arrivals == 0 and p.stats.starts == 0 for p in pools.values())


@pytest.mark.slow
def test_national_today_state_is_exact():
    model, wf = seeded(["region=national", *TODAY])
    s = model.initial_state
    assert wf.engine.pools["rvdk"].queued == s.rvdk_waiting
    assert wf.engine.pools["gi"].queued == s.gi_waiting
    assert wf.engine.pools["gi"].busy == sum(s.gi_in_care.values())


def test_warm_up_is_zero_from_today_and_unchanged_from_empty():
    assert make_model(["region=demo", *TODAY, "run.warmup_years=3"]).run.warmup_years == 0.0
    empty = make_model(["region=demo", "run.start=empty", "run.warmup_years=3", "run.quiet=true"])
    assert empty.run.warmup_years == 3.0


def test_a_run_from_empty_has_no_preexisting_cases():
    model = make_model(["region=demo", "run.start=empty", "run.years=0.5", "run.warmup_years=0.5",
                        "run.replications=1", "run.quiet=true", "run.event_log=false"])
    assert model.initial_state is not None  # demo gives a state; an empty start does not use it
    fam = runner.run(model, progress=False).families
    assert not fam["preexisting"].any()


def test_preexisting_rows_are_marked_and_have_plausible_elapsed_times():
    model = make_model(["region=demo", *TODAY])
    fam = runner.run(model, progress=False).families
    pre = fam[fam["preexisting"]]
    counts = model.initial_state
    assert len(pre) >= counts.triage_waiting + counts.triage_in_progress + counts.buurtteam_in_care
    assert (pre["arrival"] < 0).all()  # every open case entered its stage before the start
    waited = -pre.loc[pre["rvdk_request"] < 0, "rvdk_request"]
    assert waited.nunique() == len(waited) and waited.std() > 1.0  # drawn, not all zero, not all equal
    buurtteam = -pre.loc[pre["buurtteam_start"] < 0, "buurtteam_start"]
    assert len(buurtteam) == counts.buurtteam_in_care and buurtteam.min() > 0
    new = fam[~fam["preexisting"]]
    assert (new["arrival"] >= 0).all()


def test_waiting_families_start_longest_waiting_first():
    model = make_model(["region=demo", *TODAY, "run.years=2"])
    fam = runner.run(model, progress=False).families
    pre = fam[fam["preexisting"] & (fam["rvdk_request"] < 0) & (fam["rvdk_start"] >= 0)]  # waiting at the start
    order = pre.sort_values("rvdk_request")["rvdk_start"].to_numpy()
    assert len(order) >= 5
    assert np.all(np.diff(order) >= 0)  # FIFO: who had waited longest starts first
    # their recorded wait is the whole wait, from before the start until the onderzoek began
    assert np.allclose(pre["wait_rvdk"], pre["rvdk_start"] - pre["rvdk_request"])


def test_elapsed_times_follow_the_inspection_paradox():
    """A case found in an exponential activity has mean remaining time = the mean (memorylessness) and mean
    elapsed time = the mean; with a fixed duration D the elapsed time is uniform on (0, D)."""
    base = ["region=demo", *TODAY, "region.initial_state.veilig_thuis.onderzoek=20000",
            "region.initial_state.veilig_thuis.vervolg=20000",
            "durations.vt_onderzoek={dist:exponential,mean:50}", "durations.vt_vervolg={dist:deterministic,value:80}"]
    model = make_model(base)
    plan = initial_state.plan(model, Streams(model.run.seed, 0))
    ond = [c for c in plan.cases if c.stage == "vt_onderzoek"]
    verv = [c for c in plan.cases if c.stage == "vt_vervolg"]
    rem = np.array([c.remaining for c in ond])
    ela = np.array([-c.entered for c in ond])
    assert len(ond) == 20000
    assert rem.mean() == pytest.approx(50, rel=0.03)
    assert ela.mean() == pytest.approx(50, rel=0.03)
    v_ela = np.array([-c.entered for c in verv])
    assert v_ela.mean() == pytest.approx(40, rel=0.02) and v_ela.max() <= 80
    assert np.allclose(v_ela + np.array([c.remaining for c in verv]), 80)


def test_running_measures_have_geometric_completed_terms():
    model = make_model(["region=demo", *TODAY, "region.initial_state.gi.in_care.voogdij=30000"])
    plan = initial_state.plan(model, Streams(model.run.seed, 0))
    terms = np.array([c.completed_terms for c in plan.cases if c.measure == "voogdij" and c.stage == "gi_in_care"])
    p = model.measures["voogdij"].extension_probability
    assert terms.mean() == pytest.approx(p / (1 - p), rel=0.05)
    left = np.array([c.remaining for c in plan.cases if c.stage == "gi_in_care"])
    assert left.max() <= 365 and left.mean() == pytest.approx(182.5, rel=0.05)


def test_families_closed_before_the_start_return_as_the_survival_function_says():
    rate = 36_500  # per year: 100 a day at the start
    model = make_model(["region=demo", *TODAY, f"region.initial_state.hermeldingen_per_year={rate}"])
    plan = initial_state.plan(model, Streams(model.run.seed, 0))
    t = np.array([r[0] for r in plan.returns])
    mean_return = model.time_to_return.mean  # exponential 365: rate x integral of exp(-t/365) over the year
    expected = rate / 365 * mean_return * (1 - math.exp(-365 / mean_return))
    assert len(t) == pytest.approx(expected, rel=0.02)
    first, second = (t < 182.5).sum(), ((t >= 182.5) & (t < 365)).sum()
    assert first / second == pytest.approx(math.exp(182.5 / mean_return), rel=0.05)


def test_preload_can_exceed_capacity_and_then_admits_nobody_until_below_it():
    eng = Engine(horizon=10)
    pool = eng.pool("p", "org", 2)

    class Case:
        def __init__(self):
            self.holds = {}

    old = [Case() for _ in range(3)]
    for c in old:
        pool.preload(c, 1)
    assert pool.busy == 3 and pool.stats.arrivals == 0
    granted = []
    new = Case()
    pool.request(new, 1, False, lambda c, w: granted.append(eng.now))
    eng.at(1.0, lambda _: pool.release_case(old[0]))
    eng.at(2.0, lambda _: pool.release_case(old[1]))
    eng.run()
    assert granted == [2.0]  # after one release 2 places are busy of 2; after the second one is free


# ====================================================================== rejected region files


@pytest.fixture
def conf_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "conf"
    shutil.copytree(CONF, dest)
    return dest


def compose_from(conf: Path, overrides: list[str]):
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(config_dir=str(conf), version_base="1.3"):
            return compose("config", overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text()
    new, n = re.subn(pattern, replacement, text, count=1, flags=re.M)
    assert n == 1, pattern
    path.write_text(new)


def rejected(conf: Path, region: str) -> str:
    with pytest.raises(ConfigError) as err:
        validate(compose_from(conf, [f"region={region}", *TODAY]))
    message = str(err.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("region", ["demo", "gelderland"])
def test_region_file_missing_a_value_is_rejected_naming_it(conf_copy, region):
    edit(conf_copy / "region" / f"{region}.yaml", r"^(    rvdk:\n)      waiting: .*\n", r"\1")
    assert rejected(conf_copy, region).startswith("region.initial_state.rvdk.waiting is missing")


def test_region_file_missing_a_distribution_field_is_rejected(conf_copy):
    edit(conf_copy / "region" / "gelderland.yaml", r"waited: \{dist: uniform, low: 0, high: 60\}", "waited: {low: 0, high: 60}")
    assert rejected(conf_copy, "gelderland").startswith("region.initial_state.gi.waited.dist is missing")


def test_remaining_term_longer_than_the_term_is_rejected(conf_copy):
    edit(conf_copy / "region" / "gelderland.yaml", r"remaining_term: \{dist: uniform, low: 0, high: 365\}",
         "remaining_term: {dist: uniform, low: 0, high: 400}")
    message = rejected(conf_copy, "gelderland")
    assert message.startswith("region.initial_state.gi.remaining_term")
    assert "contradicts measures.ots.term_days = 365" in message


def test_state_dated_otherwise_than_the_start_is_rejected(conf_copy):
    edit(conf_copy / "region" / "gelderland.yaml", r'date: "2024-01-01"', 'date: "2023-06-30"')
    message = rejected(conf_copy, "gelderland")
    assert message.startswith("region.initial_state.date = '2023-06-30' (contradicts run.start_date = '2024-01-01'")


def test_negative_count_is_rejected(conf_copy):
    edit(conf_copy / "region" / "demo.yaml", r"pending: 7", "pending: -7")
    assert rejected(conf_copy, "demo").startswith("region.initial_state.kinderrechter.pending = -7")


def test_today_without_a_state_is_rejected(conf_copy):
    path = conf_copy / "region" / "demo.yaml"
    text = path.read_text()
    start = text.index("  # Today's open cases")
    end = text.index("\ndemand:")
    path.write_text(text[:start] + text[end:])
    assert rejected(conf_copy, "demo").startswith("region.initial_state is missing (run.start=today")
    # the same file is fine for a run from empty
    validate(compose_from(conf_copy, ["region=demo", "run.start=empty"]))
