"""Queueing theory: each organisation configured as M/M/c matches Erlang C; the chain in tandem matches the sum;
Little's law holds for every pool.

Each organisation is isolated by routing every family through it and nothing else, with exponential durations,
caseload 1 (one place per FTE), no crisis colour, no re-entry and no transfer delay. Departures of an M/M/c queue
are Poisson in steady state (Burke's theorem), so a queue fed by another one is M/M/c too, and the mean total wait
of the tandem is the sum of the Erlang C waits. The GI holds a family for a geometric number of short terms (not
exponential: squared CV = extension probability), so it is checked against Allen-Cunneen with that CV.

Loads are ~0.7: at higher loads the mean wait converges too slowly for a sharp test within the suite's budget
(at rho 0.8 a 150-year run matches Erlang C within 1 %; see the commit that set these values).

Criterion: the analytic value lies inside the 99 % t-interval of the replication means, and the 95 % interval is
narrower than 20 % of the analytic value (so the test cannot pass just because the estimate is vague).
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.kernel import queueing
from sim.kernel.stats import confidence_interval
from sim.run import runner
from tests.conftest import PLAIN, make_model, shared_value, staff

RATE_PER_DAY = 2.0
BASE = ["region=demo", *PLAIN, f"demand.vt_meldingen_per_year={RATE_PER_DAY * 365}",
        "demand.buurtteam_direct_per_year=0", "run.warmup_years=1", "run.years=40", "run.replications=8"]


def _route(name: str, **probs: float) -> list[str]:
    from sim.chain.checks import ROUTING_OPTIONS

    return [f"routing.{name}.{opt}={probs.get(opt, 0.0)}" for opt in ROUTING_OPTIONS[name]]


VT = staff("veilig_thuis", 10, triage_share=0.3, triage_caseload=1)  # front desk: 3 places, case teams: 7
TRIAGE = ["durations.vt_triage={dist:exponential,mean:1.05}"]  # a = 2.1 on 3 places, rho 0.7

CASES = {
    "veilig_thuis.triage": (BASE + VT + TRIAGE + _route("vt_triage", close=1), [("veilig_thuis.triage", 1.05, 3)]),
    "veilig_thuis.casus": (BASE + VT + TRIAGE + _route("vt_triage", vt_onderzoek=1) + _route("vt_onderzoek", close=1)
                           + ["durations.vt_onderzoek={dist:exponential,mean:2.5}"],  # a = 5 on 7 places
                           [("veilig_thuis.casus", 2.5, 7)]),
    "buurtteam": (["region=demo", *PLAIN, "demand.vt_meldingen_per_year=0",
                   f"demand.buurtteam_direct_per_year={RATE_PER_DAY * 365}", "run.warmup_years=1", "run.years=40",
                   "run.replications=8", "families.voluntary_suffices=1.0",
                   "durations.buurtteam_help={dist:exponential,mean:1.75}"] + staff("buurtteam", 5),
                  [("buurtteam", 1.75, 5)]),
    "rvdk": (BASE + VT + TRIAGE + _route("vt_triage", rvdk=1) + _route("rvdk_outcome", close=1) + staff("rvdk", 5)
             + ["durations.rvdk_onderzoek={dist:exponential,mean:1.75}"], [("rvdk", 1.75, 5)]),
}

# The whole chain: front desk -> Raad -> court (a fixed delay) -> GI, each an M/M/c (the GI: M/G/c).
GI_TERM, GI_EXTEND, GI_PLACES = 0.5, 0.9, 14  # mean hold 5 days, a = 10 on 14 places
CHAIN = (BASE + VT + TRIAGE + _route("vt_triage", rvdk=1) + _route("rvdk_outcome", verzoek=1) + staff("rvdk", 5)
         + ["durations.rvdk_onderzoek={dist:exponential,mean:1.75}", "routing.court_grants=1.0",
            "durations.court_decision={dist:deterministic,value:1}", "durations.gi_first_contact={dist:deterministic,value:0}",
            f"measures.ots.term_days={GI_TERM}", f"measures.ots.extension_probability={GI_EXTEND}"]
         + _route("measure_type", ots=1) + staff("gi", GI_PLACES))


def _check(sim_means: np.ndarray, theory: float) -> None:
    _, lo95, hi95, _ = confidence_interval(sim_means, level=0.95)
    assert hi95 - lo95 < 0.2 * theory, f"estimate too vague to test: 95% CI [{lo95:.3f}, {hi95:.3f}] for {theory:.3f}"
    mean, lo, hi, _ = confidence_interval(sim_means, level=0.99)
    assert lo <= theory <= hi, f"simulated mean wait {mean:.3f} (99% CI [{lo:.3f}, {hi:.3f}]) vs theory {theory:.3f}"


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """Each case simulated once per test session (not once per pytest-xdist worker that runs one of its tests)."""
    cache: dict[str, runner.Results] = {}

    def get(name: str) -> runner.Results:
        if name not in cache:
            overrides = CHAIN if name == "chain" else CASES[name][0]
            cache[name] = shared_value(tmp_path_factory, f"queueing_{name}",
                                       lambda: runner.run(make_model(overrides), progress=False))
        return cache[name]

    return get


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_organisation_matches_erlang_c(results, case):
    res = results(case)
    for pool, mean_service, places in CASES[case][1]:
        theory = queueing.mmc_wait_mean(RATE_PER_DAY, mean_service, places)
        _check(res.runs[f"wait_mean.{pool}"].to_numpy(), float(theory))


def _gi_theory() -> float:
    mean_hold = GI_TERM / (1 - GI_EXTEND)
    cs2 = GI_EXTEND  # geometric number of fixed terms: Var = term^2 p / (1-p)^2
    return float(queueing.allen_cunneen_wait_mean(RATE_PER_DAY, mean_hold, GI_PLACES, 1.0, cs2))


@pytest.mark.slow
def test_gi_matches_allen_cunneen(results):
    _check(results("chain").runs["wait_mean.gi"].to_numpy(), _gi_theory())


@pytest.mark.slow
def test_chain_in_tandem_matches_sum_of_waits(results):
    res = results("chain")
    fam = res.families
    per_family = fam["wait_veilig_thuis"] + fam["wait_rvdk"] + fam["wait_gi"]
    reached_gi = fam["gi_assigned"].notna()
    sim_means = per_family[reached_gi].groupby(fam.loc[reached_gi, "replication"]).mean().to_numpy()
    theory = (queueing.mmc_wait_mean(RATE_PER_DAY, 1.05, 3) + queueing.mmc_wait_mean(RATE_PER_DAY, 1.75, 5)
              + _gi_theory())
    _check(sim_means, float(theory))


@pytest.mark.slow
@pytest.mark.parametrize("case", ["veilig_thuis.triage", "rvdk", "chain"])
def test_littles_law_per_pool(results, case):
    """Time-weighted waiting list = arrival rate x mean wait, for every pool (a check of the accounting:
    the waiting list is integrated over time, the waits are summed per case, independently)."""
    runs = results(case).runs
    pools = [c.split(".", 1)[1] for c in runs.columns if c.startswith("waiting_list_mean.")]
    checked = 0
    for pool in pools:
        if runs[f"arrivals_per_year.{pool}"].sum() == 0:  # a pool this case does not use
            continue
        lq = runs[f"waiting_list_mean.{pool}"].mean()
        lam_wq = (runs[f"arrivals_per_year.{pool}"] / 365.0 * runs[f"wait_mean.{pool}"]).mean()
        if lq < 0.05:  # an idle pool: both sides ~0
            assert lam_wq < 0.05
            continue
        checked += 1
        assert lq == pytest.approx(lam_wq, rel=0.03), pool
    assert checked >= 1
