"""Hand-computed traces and extreme cases: the model does exactly what the process description says.

- three families through a one-place front desk and a one-place buurtteam, every time computed by hand;
- crisis (rood) first: a rood melding overtakes a groen one that waited longer;
- deterministic durations with unlimited staff give exactly their sum along the route;
- unlimited staff gives zero waits with the ordinary (random) durations.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim.chain.bounds import FTE_MAX
from sim.chain.demand import Arrivals
from sim.run import runner
from sim.scenarios.sequential import Sequential
from tests.conftest import PLAIN, make_model, staff

DETERMINISTIC = ["durations.vt_triage={dist:deterministic,value:3}", "durations.transfer={dist:deterministic,value:2}",
                 "durations.buurtteam_help={dist:deterministic,value:10}", "families.voluntary_suffices=1.0"]


def _arrivals(times: list[float], colours: list[int]) -> Arrivals:
    n = len(times)
    return Arrivals(time=np.asarray(times, float), route=np.zeros(n, np.int8),
                    colour=np.asarray(colours, np.int8).reshape(n, 1), n_children=np.ones(n, np.int64),
                    voluntary_u=np.zeros((n, 1)), reentry_u=np.ones((n, 1)), return_after=np.zeros((n, 1)))


def _trace(overrides: list[str], times: list[float], colours: list[int]) -> Sequential:
    model = make_model(["region=demo", *PLAIN, "run.warmup_years=0", "run.years=1", "run.event_log=true",
                        *staff("veilig_thuis", 10, triage_share=0.1, triage_caseload=1), *staff("buurtteam", 1),
                        *overrides])
    wf = Sequential(model, 0)
    wf.arrivals = _arrivals(times, colours)
    return wf.run()


def _route(name: str, **probs: float) -> list[str]:
    from sim.chain.checks import ROUTING_OPTIONS

    return [f"routing.{name}.{opt}={probs.get(opt, 0.0)}" for opt in ROUTING_OPTIONS[name]]


def test_three_families_by_hand():
    # arrivals 0, 1, 2; front desk: 1 place, 3 days; transfer 2 days; buurtteam: 1 place, 10 days.
    wf = _trace(DETERMINISTIC + _route("vt_triage", buurtteam=1), [0.0, 1.0, 2.0], [0, 0, 0])
    f0, f1, f2 = wf.families
    expected = {  # triage start/end, buurtteam start, closed, wait VT, wait buurtteam
        f0: (0, 3, 5, 15, 0, 0),
        f1: (3, 6, 15, 25, 2, 7),  # waits for f0's triage; reaches the team at 8, waits until 15
        f2: (6, 9, 25, 35, 4, 14),
    }
    for fam, (ts, te, bs, closed, w_vt, w_bt) in expected.items():
        assert (fam.triage_start, fam.triage_end, fam.buurtteam_start, fam.closed) == (ts, te, bs, closed)
        assert fam.waits.get("veilig_thuis", 0) == w_vt and fam.waits.get("buurtteam", 0) == w_bt
        assert fam.help_start - fam.arrival == bs - fam.arrival
        assert (fam.handoffs, fam.stories_told, fam.intakes) == (1, 2, 2)
        assert fam.outcome == "vrijwillige_hulp_afgerond" and not fam.holds
    f0_events = [(a, o, lc, t) for cid, a, o, lc, t in wf.events if cid == f0.case_id]
    assert f0_events == [
        ("melding", "", "complete", 0), ("veiligheidsbeoordeling", "veilig_thuis", "schedule", 0),
        ("veiligheidsbeoordeling", "veilig_thuis", "start", 0), ("veiligheidsbeoordeling", "veilig_thuis", "complete", 3),
        ("overdracht", "buurtteam", "complete", 3), ("vrijwillige_hulp", "buurtteam", "schedule", 5),
        ("vrijwillige_hulp", "buurtteam", "start", 5), ("vrijwillige_hulp", "buurtteam", "complete", 15),
        ("afsluiting", "", "complete", 15)]


def test_rood_overtakes_groen_at_the_front_desk():
    # f2 (rood, arriving at 2) is assessed before f1 (groen, waiting since 1); nobody goes on the crisis path.
    wf = _trace(DETERMINISTIC + _route("vt_triage", close=1) + ["routing.rood_spoed=0.0"], [0.0, 1.0, 2.0], [0, 0, 2])
    f0, f1, f2 = wf.families
    assert (f0.triage_start, f2.triage_start, f1.triage_start) == (0, 3, 6)
    assert (f2.waits["veilig_thuis"], f1.waits["veilig_thuis"]) == (1, 5)


# "unlimited" staff: the largest FTE a region may have (config.FTE_MAX, 50,000), thousands of places for each of
# the demo region's few hundred families a year, so no family can ever wait
UNLIMITED_FTE = FTE_MAX


def test_deterministic_durations_with_unlimited_staff_give_their_exact_sum():
    model = make_model(["region=demo", *PLAIN, "run.warmup_years=0.2", "run.years=1", "run.replications=1",
                        "demand.buurtteam_direct_per_year=0", "durations.vt_triage={dist:deterministic,value:3}", "durations.transfer={dist:deterministic,value:2}",
                        "durations.rvdk_onderzoek={dist:deterministic,value:40}",
                        "durations.court_decision={dist:deterministic,value:21}",
                        "durations.gi_first_contact={dist:deterministic,value:7}", "routing.court_grants=1.0",
                        *_route("vt_triage", rvdk=1), *_route("rvdk_outcome", verzoek=1), *_route("measure_type", ots=1),
                        *(o for org in ("veilig_thuis", "rvdk", "gi", "buurtteam") for o in staff(org, UNLIMITED_FTE, triage_share=0.5, triage_caseload=1) if org == "veilig_thuis" or "triage" not in o)])
    fam = runner.run(model, progress=False).families
    measured = fam.dropna(subset=["gi_first_contact"])
    assert len(measured) > 100
    # triage 3 + transfer 2 + Raad 40 + transfer 2 + court 21 + transfer 2 + first contact 7
    assert measured["lead_time_measure"].to_numpy() == pytest.approx(77.0, abs=1e-9)
    assert (measured["handoffs"] == 3).all() and (measured["stories_told"] == 4).all()


def test_unlimited_staff_means_no_waiting(tiny_overrides):
    big = [o for org in ("buurtteam", "veilig_thuis", "rvdk", "gi") for o in staff(org, UNLIMITED_FTE)
           if not o.startswith("staffing.veilig_thuis.triage")]
    res = runner.run(make_model([*tiny_overrides, *big, "staffing.veilig_thuis.triage_share=0.5"]), progress=False)
    fam = res.families
    assert len(fam) > 100
    for org in ("buurtteam", "veilig_thuis", "rvdk", "gi"):
        assert (fam[f"wait_{org}"] == 0).all(), org
    wl = res.runs.filter(like="waiting_list_mean.")
    assert (wl.to_numpy() == 0).all()


def test_conservation_at_all_times(tiny_overrides):
    """Every 7 days: each pool's busy places equal the places its cases hold plus those the staff's spent hours
    occupy; its waiting units equal the units in
    its queues; every family created is either closed or still open, never lost or counted twice."""
    # small Raad, GI and Veilig Thuis so that waiting lists form whatever the calibrated routing is
    model = make_model([*tiny_overrides, "run.years=2", "staffing.rvdk.fte=1.5", "staffing.gi.fte=8",
                        "staffing.veilig_thuis.fte=4"])
    wf = Sequential(model, 0)
    checks = []

    def probe(_: object) -> None:
        for pool in wf.engine.pools.values():
            held = sum(f.holds[pool.name][0] for f in wf.families if pool.name in f.holds)
            queued = sum(e[1] for q in (pool._crisis, pool._regular) for e in q)
            assert pool.busy == held + pool.occupied, pool.name  # occupied: repeated intakes' hours (occupy)
            assert pool.queued == queued, pool.name
            assert 0 <= pool.busy <= max(pool.capacity, pool.busy)
        closed = sum(1 for f in wf.families if not math.isnan(f.closed))
        open_ = sum(1 for f in wf.families if math.isnan(f.closed))
        assert closed + open_ == len(wf.families)
        checks.append(wf.engine.now)
        if wf.engine.now + 7 < wf.engine.horizon:
            wf.engine.at(7.0, probe)

    wf.engine.at(7.0, probe)
    wf.run()
    assert len(checks) > 100
    assert any(b[2] > 0 for p in wf.engine.pools.values() for b in p.stats.buckets), "no queue ever formed"
