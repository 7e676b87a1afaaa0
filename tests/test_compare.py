"""``+experiment=compare_workflows``: paired differences computed right, every workflow validated before any
simulated time, each workflow's tables written with the same columns, and the baseline's numbers the same as a
run of the baseline alone (the comparison adds nothing and changes nothing)."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis import compare
from sim.chain import tables
from sim.chain.checks import ConfigError
from sim.cli import preflight
from sim.report import html
from sim.run import runner
from tests.conftest import compose_cfg, make_model

TINY = ["region=demo", "run.years=1", "run.warmup_years=0.5", "run.replications=3", "run.quiet=true",
        "run.start=empty", "run.formats=[csv]"]
EXPERIMENT = ["+experiment=compare_workflows", *TINY]


def test_paired_difference_and_its_t_interval_by_hand():
    base = pd.DataFrame({"replication": [0, 1, 2, 3], "lead_time_help_mean": [10.0, 20.0, 30.0, 40.0]}).set_index("replication")
    alt = pd.DataFrame({"replication": [0, 1, 2, 3], "lead_time_help_mean": [8.0, 19.0, 25.0, 36.0]}).set_index("replication")
    row = compare.paired(base, alt, "sequential", "integrated").set_index("kpi").loc["lead_time_help_mean"]
    d = np.array([-2.0, -1.0, -5.0, -4.0])
    half = stats.t.ppf(0.975, 3) * d.std(ddof=1) / 2.0
    assert row["diff_mean"] == pytest.approx(-3.0)
    assert row["diff_ci_low"] == pytest.approx(-3.0 - half) and row["diff_ci_high"] == pytest.approx(-3.0 + half)
    assert row["mean_baseline"] == 25.0 and row["mean_workflow"] == 22.0 and row["n_pairs"] == 4
    assert bool(row["ci_excludes_zero"]) is True
    # the paired interval is far narrower than the two means' own spread: that is what common random numbers buy
    assert row["diff_ci_high"] - row["diff_ci_low"] < 0.5 * (2 * stats.t.ppf(0.975, 3) * base.values.std(ddof=1) / 2)


def test_a_kpi_met_by_construction_is_marked_and_never_starred():
    """Under the duo mandate the team's families have no GI wait by definition: the GI-norm difference is marked
    with its reason in comparison.csv (every organisation's column too) and printed with a dagger and the reason,
    not a star; a KPI the workflow does not meet by construction keeps its star."""
    gi = "share_gi_within_norm"
    reps = pd.Index([0, 1, 2], name="replication")
    base = pd.DataFrame({gi: [0.4, 0.5, 0.45], f"{gi}[a]": [0.3, 0.5, 0.4], "lead_time_help_mean": [10.0, 12.0, 11.0]},
                        index=reps)
    alt = pd.DataFrame({gi: [1.0, 1.0, 1.0], f"{gi}[a]": [1.0, 1.0, 1.0], "lead_time_help_mean": [5.0, 6.0, 5.5]},
                       index=reps)
    why = {gi: "duo mandate: no GI wait by definition"}
    c = compare.paired(base, alt, "sequential", "integrated", why).set_index("kpi")
    assert c.at[gi, "by_construction"] == c.at[f"{gi}[a]", "by_construction"] == why[gi]
    assert c.at["lead_time_help_mean", "by_construction"] == ""
    assert bool(c.at[gi, "ci_excludes_zero"])  # the statistic stays what it is; only its reading changes
    printed = compare.format_comparison(c.reset_index(), "integrated").splitlines()
    row = next(line for line in printed if line.startswith(gi + " "))
    assert row.endswith(compare.DAGGER) and "*" not in row
    assert next(line for line in printed if line.startswith("lead_time_help_mean")).endswith(" *")
    assert printed[-1] == f"{compare.DAGGER} by construction, not a finding: {gi}: {why[gi]}"
    page = html.paired_table(c.reset_index(), "en")  # the report: no bold finding, the reason below the table
    assert 'class="sig"' in html.paired_table(compare.paired(base, alt, "sequential", "integrated"), "en")
    assert page.count('class="sig"') == 1 and f"{compare.DAGGER} true by construction, not a finding: {why[gi]}" in page
    # without the mark the same difference is a starred finding: the test above can fail
    plain = compare.format_comparison(compare.paired(base, alt, "sequential", "integrated"), "integrated")
    assert next(line for line in plain.splitlines() if line.startswith(gi + " ")).endswith(" *")


@pytest.mark.parametrize("scenario, extra, marked", [
    ("sequential", [], False), ("integrated", [], True), ("integrated", ["scenario.team.gi_mandate=gi", "scenario.team.share.gi=0.5"], False),
    ("integrated", ["scenario.team.enabled=false"], False), ("toekomstscenario", [], True),
    ("ketenversnelling", [], True), ("samen_in_crisis", [], False)])
def test_the_workflows_say_which_kpis_they_meet_by_construction(scenario, extra, marked):
    from sim.chain import kpis
    from sim.scenarios import by_construction

    model = make_model([*TINY, f"scenario={scenario}", *extra])
    constructed = by_construction(model)
    assert (kpis.SHARE_GI_WITHIN_NORM in constructed) is marked
    assert set(constructed) <= {kpis.SHARE_GI_WITHIN_NORM, kpis.GI_WAIT_MEAN}
    if scenario == "ketenversnelling":  # one neighbourhood: only the team's families are meant
        assert "of the region" in constructed[kpis.SHARE_GI_WITHIN_NORM]


def test_waiting_list_per_organisation_sums_its_pools_and_keeps_teams_apart():
    runs = pd.DataFrame({"replication": [0], "waiting_list_mean.veilig_thuis.triage": [2.0],
                         "waiting_list_mean.veilig_thuis.casus": [3.0], "waiting_list_mean.veiligheidsteam": [4.0],
                         "waiting_list_mean.expertise.vt": [0.5]})
    ts = pd.DataFrame({"pool": ["veilig_thuis.triage", "veilig_thuis.casus", "veiligheidsteam", "expertise.vt"],
                       "organisation": ["veilig_thuis", "veilig_thuis", "veiligheidsteam", "veilig_thuis"]})
    out = compare.org_waiting(runs, ts).iloc[0]
    assert out["waiting_list_org.veilig_thuis"] == 5.0
    assert out["waiting_list_org.veiligheidsteam"] == 4.0 and out["waiting_list_org.expertise"] == 0.5


def test_compare_experiment_writes_the_paired_table_and_each_workflows_tables(tmp_path, capsys):
    cfg = compose_cfg([*EXPERIMENT, "run.quiet=false", "compare.workflows=[integrated,blijvend_veilig]"])
    marker = compare.execute(cfg, tmp_path)
    info = json.loads(marker.read_text())
    assert info["comparison"] == ["sequential", "integrated", "blijvend_veilig"]
    comparison = pd.read_csv(tmp_path / "comparison.csv")
    assert set(comparison["workflow"]) == {"integrated", "blijvend_veilig"}
    assert {"mean_baseline", "mean_workflow", "diff_mean", "diff_ci_low", "diff_ci_high"} <= set(comparison.columns)
    for kpi in ("lead_time_help_mean", "lead_time_help_p90", "share_chain_within_norm", "handoffs_per_family",
                "stories_told_per_family", "staff_hours_per_family", "waiting_list_org.rvdk", "fte_total"):
        assert kpi in set(comparison["kpi"]), kpi
    fte = comparison.set_index(["workflow", "kpi"]).loc[("integrated", "fte_total")]
    assert fte["diff_mean"] == 0.0  # same total staff
    staffing = pd.read_csv(tmp_path / "staffing.csv")
    totals = staffing[staffing["unit"] == "total"].set_index("workflow")["fte"]
    assert totals.nunique() == 1 and set(totals.index) == {"sequential", "integrated", "blijvend_veilig"}
    assumptions = pd.read_csv(tmp_path / "assumptions.csv")
    assert "scenario.effects.duo_workload" in set(assumptions.loc[assumptions["workflow"] == "integrated", "parameter"])
    for name in ("sequential", "integrated", "blijvend_veilig"):
        fam = pd.read_csv(tmp_path / name / "families.csv")
        n = len(tables.FAMILY_COLUMNS)  # then the optional groups a run has (units, waiting, ages), in their order
        assert list(fam.columns)[:n] == list(tables.FAMILY_COLUMNS)
        assert [c for c in tables.OPTIONAL_FAMILY_COLUMNS if c in fam.columns] == list(fam.columns)[n:]
        assert (tmp_path / name / "_COMPLETE.json").is_file()
        assert list(pd.read_csv(tmp_path / name / "timeseries.csv").columns) == list(tables.TIMESERIES_COLUMNS)
    marked = comparison.set_index(["workflow", "kpi"])["by_construction"].fillna("")
    assert marked[("integrated", "share_gi_within_norm")].startswith("duo mandate")
    assert marked[("blijvend_veilig", "share_gi_within_norm")].startswith("duo mandate")  # its team holds the GI mandate
    assert marked[("integrated", "lead_time_help_mean")] == "" and marked[("blijvend_veilig", "lead_time_help_mean")] == ""
    out = capsys.readouterr().out
    assert "integrated vs sequential" in out and "paired difference [95% CI]" in out
    assert f"{compare.DAGGER} by construction, not a finding: share_gi_within_norm" in out
    assert "not measured pilot effects" in out


def test_the_baseline_in_a_comparison_is_the_baseline_run_alone(tmp_path):
    """Same seed, same replications: the comparison's sequential runs are bit-identical to a plain run, and the
    paired difference is the difference of those very runs."""
    cfg = compose_cfg(EXPERIMENT)
    compare.execute(cfg, tmp_path)
    alone = runner.run(make_model([*TINY, "scenario=sequential"]), jobs=1, progress=False).runs
    written = pd.read_csv(tmp_path / "sequential" / "runs.csv")
    assert np.allclose(written["lead_time_help_mean"], alone["lead_time_help_mean"], rtol=0, atol=1e-9)
    integrated = runner.run(make_model([*TINY, "scenario=integrated"]), jobs=1, progress=False).runs
    row = pd.read_csv(tmp_path / "comparison.csv").set_index(["workflow", "kpi"]).loc[("integrated", "lead_time_help_mean")]
    expected = (integrated["lead_time_help_mean"] - alone["lead_time_help_mean"]).mean()
    assert row["diff_mean"] == pytest.approx(expected, abs=1e-9)


def test_the_composed_scenario_carries_its_overrides_into_the_comparison():
    cfg = compose_cfg([*EXPERIMENT, "scenario=integrated", "scenario.effects.duo_workload=1.2"])
    members = compare.plan(cfg, chosen="integrated")
    by_name = {name: model for name, _, model in members}
    assert list(by_name) == ["sequential", "integrated"]
    assert by_name["integrated"].scenario.params.effects.duo_workload == 1.2
    assert by_name["sequential"].scenario.name == "sequential"


@pytest.mark.parametrize("override, message", [
    ("compare.workflows=[nope]", r"^compare.workflows\[0\] = 'nope' \(allowed: "),
    ("compare.workflows=[]", r"^compare.workflows = \[\]"),
    ("compare.baseline=nope", r"^compare.baseline = 'nope'"),
    ("compare.workflows=[sequential]", r"^compare.workflows\[0\] = 'sequential' \(each workflow once"),
])
def test_bad_comparisons_fail_in_preflight_with_one_line(override, message):
    with pytest.raises(ConfigError, match=message) as err:
        preflight([*EXPERIMENT, override])
    assert "\n" not in str(err.value)


def test_preflight_validates_every_compared_workflow():
    models = preflight([*EXPERIMENT, "compare.workflows=[integrated,samen_in_crisis]"])
    assert [m.scenario.name for m in models] == ["sequential", "sequential", "integrated", "samen_in_crisis"]
    assert all(math.isclose(m.run.seed, models[0].run.seed) for m in models)


# ====================================================================== structure only vs assumed effects (issue 14)

DECOMPOSE = [*EXPERIMENT, "run.replications=2"]


@pytest.fixture(scope="module")
def decomposed(tmp_path_factory):
    """One tiny comparison of sequential and integrated with the decomposition (the default)."""
    out = tmp_path_factory.mktemp("decomposed")
    compare.execute(compose_cfg(DECOMPOSE), out)
    return out


def test_default_is_structure_plus_what_the_effects_add_in_every_replication(decomposed):
    """comparison.csv's three differences are the paired means of the three runs' own runs tables, and default =
    structure only + effects add (paired within replication, so the means add up too)."""
    c = pd.read_csv(decomposed / "comparison.csv").set_index("kpi")
    base, alt = (pd.read_csv(decomposed / n / "runs.csv").set_index("replication") for n in ("sequential", "integrated"))
    st = pd.read_csv(decomposed / compare.STRUCTURE_DIR / "integrated" / "runs.csv").set_index("replication")
    assert (decomposed / compare.STRUCTURE_DIR / "integrated" / "_COMPLETE.json").is_file()
    checked = 0
    for kpi in ("lead_time_help_mean", "handoffs_per_family", "staff_hours_per_family", "share_triage_within_norm"):
        row = c.loc[kpi]
        assert row["structure_diff_mean"] == pytest.approx((st[kpi] - base[kpi]).mean(), rel=1e-9, abs=1e-12)
        assert row["effects_add_mean"] == pytest.approx((alt[kpi] - st[kpi]).mean(), rel=1e-9, abs=1e-12)
        assert row["diff_mean"] == pytest.approx(row["structure_diff_mean"] + row["effects_add_mean"], rel=1e-9,
                                                 abs=1e-12)
        assert row["mean_structure"] == pytest.approx(st[kpi].mean(), rel=1e-9)
        checked += row["effects_add_mean"] != 0.0
    assert checked  # the assumed effects change something: the structure arm is a run of its own
    assert c["structure_only"].iloc[0].startswith("own run") and "scenario.effects.assessment_factor=1" in \
        c["structure_only"].iloc[0]
    marker = json.loads((decomposed / "_COMPLETE.json").read_text())
    assert marker["decompose"] is True and marker["structure_only"]["integrated"]["own_run"] is True
    stability = pd.read_csv(decomposed / "stability.csv")
    assert set(stability["arm"]) == {"default", "structure_only"}
    assert set(stability["state"]) <= {"stable", "SATURATED", "UNSTABLE"}


def test_neutral_effects_add_exactly_nothing():
    """Every effect already at its no-effect value: no run of its own, structure only = default exactly."""
    neutral = ["scenario=integrated", "scenario.effects.assessment_factor=1", "scenario.effects.rvdk_duration_factor=1",
               "scenario.effects.resolved_without_measure=0"]
    cfg = compose_cfg([*DECOMPOSE, *neutral])
    members = compare.plan(cfg, chosen="integrated")
    arm = compare.structures(cfg, members)["integrated"]
    assert arm.model is None and "no-effect value already" in arm.note
    # the arm a workflow with effects gets is that very configuration: its neutral run reproduces it bit for bit
    default = compare.structures(compose_cfg(DECOMPOSE), compare.plan(compose_cfg(DECOMPOSE)))["integrated"]
    assert dict(default.cfg.scenario.effects) == dict(members[1][1].scenario.effects)
    runs = [runner.run(m, progress=False).runs for m in (default.model, members[1][2])]
    pd.testing.assert_frame_equal(runs[0], runs[1], check_exact=True)


def test_neutral_effects_in_the_comparison_table(tmp_path):
    cfg = compose_cfg([*DECOMPOSE, "scenario=integrated", "scenario.effects.assessment_factor=1",
                       "scenario.effects.rvdk_duration_factor=1", "scenario.effects.resolved_without_measure=0"])
    compare.execute(cfg, tmp_path)
    c = pd.read_csv(tmp_path / "comparison.csv")
    finite = c["diff_mean"].notna()
    assert finite.sum() > 20
    assert (c.loc[finite, "effects_add_mean"] == 0.0).all()
    assert (c.loc[finite, "structure_diff_mean"] == c.loc[finite, "diff_mean"]).all()
    assert not (tmp_path / compare.STRUCTURE_DIR).exists()


def test_team_disabled_gives_exactly_zero_in_every_arm(tmp_path):
    """scenario.team.enabled=false is today's chain bit for bit: every paired difference, the structure-only one
    and what the effects add are exactly 0 (not within a tolerance), and nothing is starred."""
    compare.execute(compose_cfg([*DECOMPOSE, "scenario=integrated", "scenario.team.enabled=false"]), tmp_path)
    c = pd.read_csv(tmp_path / "comparison.csv")
    assert (tmp_path / compare.STRUCTURE_DIR / "integrated").is_dir()  # the effects are not neutral: a run of its own
    for column in ("diff_mean", "structure_diff_mean", "effects_add_mean"):
        values = c[column].dropna()
        assert len(values) > 20 and (values == 0.0).all(), column
    assert not c[["starred", "structure_starred", "effects_add_starred"]].any().any()


def test_decompose_false_runs_no_structure_arm(tmp_path, capsys):
    compare.execute(compose_cfg([*DECOMPOSE, "compare.decompose=false", "run.quiet=false"]), tmp_path)
    c = pd.read_csv(tmp_path / "comparison.csv")
    assert c["structure_diff_mean"].isna().all() and c["effects_add_mean"].isna().all()
    assert not (tmp_path / compare.STRUCTURE_DIR).exists()
    out = capsys.readouterr().out
    assert "paired difference [95% CI]" in out and "structure only [95% CI]" not in out


def test_compare_decompose_must_be_a_bool():
    with pytest.raises(ConfigError, match=r"^compare.decompose = 'maybe' \(.*not a valid bool") as err:
        preflight([*EXPERIMENT, "compare.decompose=maybe"])
    assert "\n" not in str(err.value)


def _frames(base_values: dict, alt_values: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    reps = pd.Index([0, 1, 2], name="replication")
    return pd.DataFrame(base_values, index=reps), pd.DataFrame(alt_values, index=reps)


def test_a_difference_through_an_unstable_pool_is_never_starred():
    """A pool that was not stable in either run: every lead time, wait, norm share and waiting list loses its star
    (printed with a double dagger and the pool named below the table, not bold in the report); a count that does
    not pass through a queue keeps it. Without the unstable pool the same numbers are starred: the test can fail."""
    base, alt = _frames({"lead_time_help_mean": [10.0, 12.0, 11.0], "share_triage_within_norm": [0.5, 0.6, 0.55],
                         "waiting_list_org.rvdk": [3.0, 4.0, 5.0], "handoffs_per_family": [1.0, 1.1, 1.05]},
                        {"lead_time_help_mean": [5.0, 6.0, 5.5], "share_triage_within_norm": [0.9, 0.95, 0.9],
                         "waiting_list_org.rvdk": [0.0, 0.5, 1.0], "handoffs_per_family": [0.1, 0.2, 0.1]})
    shaky = [("sequential", "rvdk", "SATURATED")]
    c = compare.paired(base, alt, "sequential", "integrated", unstable=shaky).set_index("kpi")
    plain = compare.paired(base, alt, "sequential", "integrated").set_index("kpi")
    for kpi in ("lead_time_help_mean", "share_triage_within_norm", "waiting_list_org.rvdk"):
        assert c.at[kpi, "ci_excludes_zero"] and not c.at[kpi, "starred"], kpi
        assert "rvdk SATURATED" in c.at[kpi, "star_withheld"]
        assert plain.at[kpi, "starred"], kpi
    assert c.at["handoffs_per_family", "starred"] and c.at["handoffs_per_family", "star_withheld"] == ""
    printed = compare.format_comparison(c.reset_index(), "integrated").splitlines()
    assert next(r for r in printed if r.startswith("lead_time_help_mean")).endswith(compare.UNSTABLE_MARK)
    assert next(r for r in printed if r.startswith("handoffs_per_family")).endswith(" *")
    assert printed[-1].startswith(f"{compare.UNSTABLE_MARK} not starred") and "sequential: rvdk SATURATED" in printed[-1]
    page = html.paired_table(c.reset_index(), "en")
    assert page.count('class="sig"') == 1 and "not bold although the interval excludes zero" in page


def test_a_pools_own_kpis_follow_its_stability():
    assert compare.through_queues("utilisation.rvdk", ["rvdk"]) and not compare.through_queues("utilisation.gi", ["rvdk"])
    assert compare.through_queues("lead_time_help_rmst_365") and compare.through_queues("share_gi_within_norm[a]")
    assert not compare.through_queues("handoffs_per_family", ["rvdk"]) and not compare.through_queues("fte_total")


def test_a_rounding_difference_is_never_starred():
    """fte_total -2.3e-13 in every replication: sd 0, an interval that excludes zero, and no change at all."""
    base, alt = _frames({"fte_total": [738.0] * 3, "handoffs_per_family": [1.0] * 3},
                        {"fte_total": [738.0 - 2.3e-13] * 3, "handoffs_per_family": [0.5] * 3})
    c = compare.paired(base, alt, "sequential", "integrated").set_index("kpi")
    assert c.at["fte_total", "diff_mean"] != 0.0 and c.at["fte_total", "ci_excludes_zero"]
    assert not c.at["fte_total", "starred"] and c.at["fte_total", "star_withheld"].startswith("rounding (default)")
    assert c.at["handoffs_per_family", "starred"]  # a real constant difference (sd 0) is a finding
    printed = compare.format_comparison(c.reset_index(), "integrated")
    assert not next(r for r in printed.splitlines() if r.startswith("fte_total")).endswith("*")
