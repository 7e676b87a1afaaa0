"""CPU of ``runner.run`` for one Gelderland replication of 3 years from today, event log off, per workflow: the unit
of work of the uncertainty row (issue 15: 1,000 draws x 2 workflows). Best of ``repeats`` in one process, the
workflows interleaved, run after run as the draws run them (no ``gc.collect()`` in between: what the cyclic
collector frees of one run is paid for in the next, as in a block of draws); ``--profile WORKFLOW`` prints
cProfile's top functions and the number of Python calls (a measure of work that the machine's load does not
change).

``--draws`` measures the whole unit of the uncertainty row instead: the CPU of ``run_draw`` (both workflows with one
draw's values: applying them, validation, the runs, the KPI frame and its long table), draws 0, 1, ... of the
Gelderland design, best and median over ``repeats`` draws after one warm-up draw.

Usage: ``PYTHONPATH=. .venv/bin/python benchmarks/one_replication.py [repeats] [--profile sequential] [--draws]``
"""

from __future__ import annotations

import cProfile
import gc
import pstats
import sys
import time

from bench import model_for

from sim.run import runner

WORKFLOWS = ("sequential", "integrated")


def model(workflow: str):
    return model_for([f"scenario={workflow}", "region=gelderland", "run.years=3", "run.replications=1",
                      "run.quiet=true", "run.event_log=false", "run.jobs=1"])


def main(argv: list[str]) -> None:
    if "--profile" in argv:
        m = model(argv[argv.index("--profile") + 1])
        runner.run(m, jobs=1, progress=False)  # warm: imports and caches
        profile = cProfile.Profile()
        profile.enable()
        runner.run(m, jobs=1, progress=False)
        profile.disable()
        pstats.Stats(profile).sort_stats("tottime").print_stats(40)
        return
    repeats = int(argv[0]) if argv and argv[0].isdigit() else 5
    if "--draws" in argv:
        draws(repeats)
        return
    models = {w: model(w) for w in WORKFLOWS}
    cpu: dict[str, list[float]] = {w: [] for w in WORKFLOWS}
    gc.collect()
    for _ in range(repeats):
        for w, m in models.items():
            t0 = time.process_time()
            runner.run(m, jobs=1, progress=False)
            cpu[w].append(time.process_time() - t0)
    for w, v in cpu.items():
        print(f"{w:12s} best {min(v):.3f} s CPU  median {sorted(v)[len(v) // 2]:.3f}  ({len(v)} runs)")


def draws(repeats: int) -> None:
    from sim import app
    from sim.analysis import uncertainty as unc

    plan = app.validated("uncertainty", ["region=gelderland", "run.years=3", "run.replications=1",
                                         "uncertainty.draws=1000"], lambda cfg: unc.make_plan(cfg, None), example="x=1")
    unc.run_draw(plan, repeats)  # warm: imports and caches (a draw not measured)
    cpu = []
    for d in range(repeats):
        t0 = time.process_time()
        unc.run_draw(plan, d)
        cpu.append(time.process_time() - t0)
    print(f"draw (2 workflows) best {min(cpu):.3f} s CPU  median {sorted(cpu)[len(cpu) // 2]:.3f}  ({len(cpu)} draws, "
          f"{len(plan.assumptions)} assumptions)")


if __name__ == "__main__":
    main(sys.argv[1:])
