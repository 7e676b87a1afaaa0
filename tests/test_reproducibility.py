"""Reproducibility and monotonicity.

Same seed: identical tables, run twice, and serial (run.jobs=1) vs parallel (run.jobs=2, through the process pool
itself). Different seed: different families. More staff never lengthens waits: pathwise for one FIFO queue with
the same seed (the k-th family to start gets the k-th drawn duration whatever the staffing), and in the mean over
paired replications for the Raad in the full chain.
"""

from __future__ import annotations

import pandas as pd
import pytest

from sim.run import runner
from tests.conftest import PLAIN, make_model, staff


def _tables(res: runner.Results) -> dict[str, pd.DataFrame]:
    return {"families": res.families, "events": res.events, "timeseries": res.timeseries, "runs": res.runs}


@pytest.fixture(scope="module")
def base_overrides():
    return ["region=demo", "run.start=empty", "run.years=1", "run.warmup_years=0.5", "run.replications=3", "run.quiet=true",
            "staffing.rvdk.fte=4"]


def test_same_seed_gives_identical_tables_serial_and_parallel(base_overrides):
    serial = runner.run(make_model(base_overrides + ["run.jobs=1"]), progress=False)
    again = runner.run(make_model(base_overrides + ["run.jobs=1"]), progress=False)
    parallel = runner.run(make_model(base_overrides + ["run.jobs=2"]), progress=False)
    assert len(serial.families) > 200 and len(serial.events) > 1000
    for name, table in _tables(serial).items():
        pd.testing.assert_frame_equal(table, _tables(again)[name], check_exact=True, obj=name)
        pd.testing.assert_frame_equal(table, _tables(parallel)[name], check_exact=True, obj=name)


def test_parallel_path_really_uses_worker_processes(base_overrides, monkeypatch):
    """Guard against a 'parallel' test that silently runs serially: the pool must be created with 2 workers."""
    import concurrent.futures as cf

    created = []
    real = cf.ProcessPoolExecutor

    class Spy(real):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            created.append(kwargs.get("max_workers"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(runner, "ProcessPoolExecutor", Spy)
    runner.run(make_model(base_overrides + ["run.jobs=2"]), progress=False)
    assert created == [2]


def test_different_seeds_give_different_families(base_overrides):
    a = runner.run(make_model(base_overrides + ["run.seed=1"]), replications=[0], progress=False).families
    b = runner.run(make_model(base_overrides + ["run.seed=2"]), replications=[0], progress=False).families
    assert len(a) != len(b) or not a["arrival"].equals(b["arrival"])


def test_replications_are_independent_of_which_others_run(base_overrides):
    """Replication 2 alone equals replication 2 within a run of three: streams depend on (seed, replication) only."""
    model = make_model(base_overrides)
    alone = runner.run(model, replications=[2], progress=False).families
    full = runner.run(model, progress=False).families
    pd.testing.assert_frame_equal(alone, full[full["replication"] == 2].reset_index(drop=True), check_exact=True)


TRIAGE_ONLY = ["region=demo", *PLAIN, "demand.vt_meldingen_per_year=700", "demand.buurtteam_direct_per_year=0",
               "durations.vt_triage={dist:lognormal,mean:1.5,cv:1.2}", "run.years=2", "run.warmup_years=0",
               "routing.vt_triage.close=1.0", "routing.vt_triage.buurtteam=0.0", "routing.vt_triage.vt_onderzoek=0.0",
               "routing.vt_triage.vt_vervolg=0.0", "routing.vt_triage.rvdk=0.0"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_more_staff_never_lengthens_a_fifo_queue_pathwise(seed):
    waits = []
    for places in (3, 4, 5, 7, 10):
        model = make_model(TRIAGE_ONLY + staff("veilig_thuis", places * 10, triage_share=0.1, triage_caseload=1)
                           + [f"run.seed={seed}"])
        fam = runner.run(model, replications=[0], progress=False).families.sort_values("case_id")
        waits.append(fam["wait_veilig_thuis"].to_numpy())
    for fewer, more in zip(waits, waits[1:]):
        assert len(fewer) == len(more)
        assert (more <= fewer + 1e-9).all(), "a family waited longer with more staff"
    assert waits[0].mean() > waits[-1].mean()


def test_more_raad_staff_shortens_mean_raad_wait_in_the_chain():
    means = []
    for fte in (3.5, 4, 5, 7):
        model = make_model(["region=demo", "run.start=empty", "run.years=2", "run.warmup_years=1", "run.replications=4",
                            "run.event_log=false", "run.quiet=true", f"staffing.rvdk.fte={fte}"])
        means.append(runner.run(model, progress=False).runs["wait_mean.rvdk"].mean())
    assert all(b <= a for a, b in zip(means, means[1:])), means
    assert means[0] > 2 * means[-1]
