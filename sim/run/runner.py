"""Replications: run one workflow many times, serially or in parallel, with identical results either way.

Each replication is a pure function of (validated model, replication index): its random streams are spawned
from ``run.seed`` and the index alone, so the order in which worker processes finish cannot change a number.
Results are concatenated in replication order.
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import pandas as pd

from sim.chain import tables
from sim.chain.model import Model
from sim.kernel.engine import cyclic_gc_paused


@dataclass
class Results:
    families: pd.DataFrame
    events: pd.DataFrame
    timeseries: pd.DataFrame
    runs: pd.DataFrame  # one row per replication, every KPI a column

    def summary(self) -> pd.DataFrame:
        return tables.summarise(self.runs)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"families": self.families, "events": self.events, "timeseries": self.timeseries,
                "runs": self.runs, "summary": self.summary()}


def run_replication(model: Model, replication: int) -> dict[str, pd.DataFrame | dict]:
    """Simulate one replication and return its tables and KPIs."""
    with cyclic_gc_paused():  # building the tables allocates as much as the run: same reason (sim/kernel/engine.py)
        return _replication(model, replication)


def _replication(model: Model, replication: int) -> dict[str, pd.DataFrame | dict]:
    wf = model.scenario.workflow(model, replication).run()
    t0 = model.warmup_days
    name = model.scenario.name
    # Free what the tables do not need as early as possible, so that building them reuses that memory instead of
    # growing the process (fresh memory costs a page fault per 4 KB): the events still pending at the horizon
    # (~90,000 callbacks nationally) at once, and the event log (a million tuples nationally, ~100 MB) as soon
    # as it is a table, before the families table is built.
    wf.engine.discard_pending()
    # the date as the text pandas has always parsed here: the timestamps keep their exact resolution
    events = tables.events_table(wf.events, name, replication, t0, model.start_date.isoformat())
    if wf.events is not None:
        wf.events.clear()
    fam = tables.families_table(wf.families, name, replication, t0, waiting=model.waiting is not None,
                                ages=model.age_at_melding is not None)
    kpis = tables.replication_kpis(fam, wf.engine.pools, model.norms, model.run.years * 365.0)
    if getattr(wf, "staff", None) is not None:  # staff dynamics: mean paper and available FTE per organisation
        kpis.update(wf.staff.kpis(model.warmup_days, model.horizon_days))
    out = {
        "families": fam,
        "events": events,
        "timeseries": tables.timeseries_table(wf.engine.pools, name, replication, _waiting_weight(model)),
        "kpis": {"scenario": name, "replication": replication, **kpis},
    }
    _drop_records(wf)
    return out


def _waiting_weight(model: Model) -> float | None:
    """The workload feedback's waiting weight (the timeseries table then shows available FTE and pressure)."""
    dyn = model.staff_dynamics
    return dyn.feedback.waiting_weight if dyn is not None and dyn.feedback is not None else None


def _drop_records(wf) -> None:
    """Free the replication's records now, by reference counting, once its tables are built.

    The workflow, its actors, its pools and the callbacks still pending refer to each other (reference cycles),
    so without help the whole replication (every family record, the event log, the pending events) is left to
    the cyclic collector, which has to trace all of it when it is switched back on: seconds for a national run
    (docs/performance.md). Emptying the big containers lets reference counting free their contents at once.
    """
    wf.families.clear()
    if wf.events is not None:
        wf.events.clear()
    wf.engine.discard_pending()


def _context() -> multiprocessing.context.BaseContext:
    # fork is cheapest on Linux; elsewhere spawn is the only safe choice
    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def run(model: Model, replications: list[int] | None = None, jobs: int | None = None,
        progress: bool | None = None) -> Results:
    reps = list(range(model.run.replications)) if replications is None else list(replications)
    jobs = model.run.jobs if jobs is None else jobs
    progress = (not model.run.quiet) if progress is None else progress
    started = time.perf_counter()
    parts: dict[int, dict] = {}

    tty = sys.stderr.isatty()
    last_line = [0.0]

    def report(done: int) -> None:
        if not progress:
            return
        elapsed = time.perf_counter() - started
        eta = elapsed / done * (len(reps) - done)
        line = f"  replications {done}/{len(reps)}  elapsed {elapsed:5.1f}s  eta {eta:5.1f}s"
        if tty:  # redraw one line on a terminal; in a log, a line every 10 s and at the end
            print("\r" + line, end="" if done < len(reps) else "\n", file=sys.stderr, flush=True)
        elif done == len(reps) or elapsed - last_line[0] >= 10:
            last_line[0] = elapsed
            print(line, file=sys.stderr, flush=True)

    if jobs <= 1 or len(reps) <= 1:
        for r in reps:
            parts[r] = run_replication(model, r)
            report(len(parts))
    else:
        context = _context()
        # Before forking: move every object the workers inherit out of reach of the cyclic collector (as the
        # gc docs advise for fork). A worker's collections would otherwise traverse them and so write to every
        # inherited page, and each such page is then copied for that worker (copy-on-write page faults).
        frozen = context.get_start_method() == "fork" and gc.isenabled() and gc.get_freeze_count() == 0
        if frozen:
            gc.freeze()
        try:
            with ProcessPoolExecutor(max_workers=min(jobs, len(reps)), mp_context=context) as pool:
                futures = {pool.submit(run_replication, model, r): r for r in reps}
                from concurrent.futures import as_completed

                for fut in as_completed(futures):
                    parts[futures[fut]] = fut.result()
                    report(len(parts))
        finally:
            if frozen:
                gc.unfreeze()
    ordered = [parts[r] for r in reps]
    return Results(
        families=pd.concat([p["families"] for p in ordered], ignore_index=True),
        events=pd.concat([p["events"] for p in ordered], ignore_index=True),
        timeseries=pd.concat([p["timeseries"] for p in ordered], ignore_index=True),
        runs=pd.DataFrame([p["kpis"] for p in ordered]),
    )
