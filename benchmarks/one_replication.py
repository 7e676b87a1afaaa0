"""CPU of ``runner.run`` for one Gelderland replication of 3 years from today, event log off, per workflow: the unit
of work of the uncertainty row (issue 15: 1,000 draws x 2 workflows). Best of ``repeats`` in one process, the
workflows interleaved, run after run as the draws run them (no ``gc.collect()`` in between: what the cyclic
collector frees of one run is paid for in the next, as in a block of draws); ``--profile WORKFLOW`` prints
cProfile's top functions and the number of Python calls (a measure of work that the machine's load does not
change).

Usage: ``PYTHONPATH=. .venv/bin/python benchmarks/one_replication.py [repeats] [--profile sequential]``
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
    repeats = int(argv[0]) if argv else 5
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


if __name__ == "__main__":
    main(sys.argv[1:])
