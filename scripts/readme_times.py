"""Measure the README's commands on this machine and write their times and disk use into the README (issue 19).

    .venv/bin/python scripts/readme_times.py                 # every command of COMMANDS, then the README's block
    .venv/bin/python scripts/readme_times.py --only make_run --only screening
    .venv/bin/python scripts/readme_times.py --list          # the commands and their last measurement
    .venv/bin/python scripts/readme_times.py --write-only    # rewrite the README's block from docs/readme_times.json

Each command is run exactly as the README prints it (the script refuses a command the README no longer contains,
so the two cannot drift apart), from the project folder, one at a time, with nothing else of ours running. Measured:
the wall time, the CPU time of the command's processes (user + system: what a busy machine changes least),
the load average before it, and the disk it wrote: the bytes of every file under ``results/`` and ``docs/`` that is new or
changed after it. ``make run`` is measured as what it runs once installed (``.venv/bin/python -m sim``): the
install is a one-time step that depends on the network, not on the model.

The measurements are kept in ``docs/readme_times.json`` (one home: the command, seconds, bytes, when, on what
machine); the README's block between ``<!-- readme_times:start -->`` and ``<!-- readme_times:end -->`` is
generated from it. A command not measured in this call keeps its earlier measurement and date. Every argument is
checked before anything runs (exit 2 with one line).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
STORE = ROOT / "docs" / "readme_times.json"
START, END = "<!-- readme_times:start -->", "<!-- readme_times:end -->"
WATCHED = ("results", "docs")  # where the commands write


@dataclass(frozen=True)
class Command:
    name: str
    readme: str  # the command as the README prints it
    what: str

    def argv(self) -> list[str]:
        if self.readme == "make run":  # once installed, make run is this (see the module docstring)
            return [str(ROOT / ".venv" / "bin" / "python"), "-m", "sim"]
        args = shlex.split(self.readme)
        if args[0] == ".venv/bin/python":
            args[0] = str(ROOT / ".venv" / "bin" / "python")
        return args


# The README's commands a newcomer runs on one machine, in the README's order (cluster commands are not here).
COMMANDS = (
    Command("make_run", "make run", "today's chain, Gelderland, 10 replications, with both reports"),
    Command("national", ".venv/bin/python -m sim region=national run.replications=2 run.years=1",
            "the Netherlands, 2 replications of 1 year"),
    Command("gi_staffing", ".venv/bin/python -m sim staffing.gi.fte=360 staffing.gi.caseload=15",
            "Gelderland with other GI staffing"),
    Command("demand", ".venv/bin/python -m sim demand.scale=1.2 run.replications=20 run.jobs=2",
            "20 % more demand, 20 replications"),
    Command("compare", ".venv/bin/python -m sim +experiment=compare_workflows run.replications=20 run.jobs=2",
            "every workflow against today's chain, 20 paired replications"),
    Command("screening", ".venv/bin/python -m sim.screening region=gelderland", "analytic screening"),
    Command("size", ".venv/bin/python -m sim.size region=gelderland target.days=150 run.replications=20 "
                    "run.years=1 run.jobs=2", "staff sizing by simulation"),
    Command("capacity", ".venv/bin/python -m sim.capacity run.replications=3 run.years=2 run.jobs=2",
            "largest demand each workflow carries"),
    Command("backlog", ".venv/bin/python -m sim.backlog region=gelderland backlog.org=gi "
                       "'backlog.extra_fte=[0,20,40]' run.replications=8", "when the waiting lists are drained"),
    Command("uncertainty", ".venv/bin/python -m sim.uncertainty run.jobs=2", "assumptions drawn over their ranges"),
    Command("uncertainty_emulator", ".venv/bin/python -m sim.uncertainty run.jobs=2 uncertainty.method=emulator "
                                    "uncertainty.draws=256", "the same, 256 draws and an emulator for the indices"),
    Command("staffing_sweep", ".venv/bin/python -m sim -m +experiment=gelderland_staffing", "30-point staffing grid"),
)
BY_NAME = {c.name: c for c in COMMANDS}


class Refused(Exception):
    """An argument or a README that the script cannot work with: one line, exit 2."""


def snapshot() -> dict[str, tuple[int, float]]:
    """Size and modification time of every file under the watched folders."""
    out: dict[str, tuple[int, float]] = {}
    for top in WATCHED:
        for dirpath, _, files in os.walk(ROOT / top):
            for f in files:
                p = os.path.join(dirpath, f)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                out[p] = (st.st_size, st.st_mtime)
    return out


def written(before: dict[str, tuple[int, float]], after: dict[str, tuple[int, float]]) -> int:
    """Bytes of the files that are new or changed (a rewritten file counts whole: it was written)."""
    return sum(size for p, (size, mtime) in after.items() if before.get(p) != (size, mtime))


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def measure(cmd: Command, timeout: float, log) -> dict:
    before = snapshot()
    load = os.getloadavg()[0]
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd.argv(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)
    seconds = time.perf_counter() - started
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise RuntimeError(f"{cmd.readme}: exit {proc.returncode}: {last}")
    result = {"command": cmd.readme, "seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
              "bytes": written(before, snapshot()), "measured": time.strftime("%Y-%m-%d"), "machine": machine(),
              "load": round(load, 1)}
    log(f"readme_times: {cmd.name}: {fmt_seconds(result['seconds'])} wall, {fmt_seconds(cpu)} CPU, "
        f"{fmt_bytes(result['bytes'])} written (load {load:.1f} before it)")
    return result


def fmt_seconds(s: float) -> str:
    if s < 60:
        return f"{s:.0f} s" if s >= 10 else f"{s:.1f} s"
    m, rest = divmod(int(round(s)), 60)
    return f"{m} min {rest:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def fmt_bytes(b: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if b >= size:
            return f"{b / size:.1f} {unit}" if b < 10 * size else f"{b / size:.0f} {unit}"
    return f"{b} B"


def block(store: dict) -> str:
    rows = ["| command | what | wall time | CPU time | disk written | measured (machine, load average before) |",
            "|---|---|---:|---:|---:|---|"]
    for c in COMMANDS:
        m = store.get(c.name)
        if m is None:
            rows.append(f"| `{c.readme}` | {c.what} | not measured | | | |")
            continue
        cpu = fmt_seconds(m["cpu_seconds"]) if "cpu_seconds" in m else ""
        load = f", load {m['load']:g}" if "load" in m else ""
        rows.append(f"| `{c.readme}` | {c.what} | {fmt_seconds(m['seconds'])} | {cpu} | {fmt_bytes(m['bytes'])} | "
                    f"{m['measured']}, {m['machine']}{load} |")
    return "\n".join([START, "", *rows, "", "Measured by `scripts/readme_times.py` (it runs each command as printed "
                      "here, one at a time, and rewrites this table). CPU time is the processes' own (user + system, "
                      "all of them): on a busy machine the wall time grows, the CPU time much less.", END])


def update_readme(store: dict) -> None:
    text = README.read_text(encoding="utf-8")
    if text.count(START) != 1 or text.count(END) != 1 or text.index(START) > text.index(END):
        raise Refused(f"{README}: needs exactly one {START} ... {END} block")
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    README.write_text(head + block(store) + tail, encoding="utf-8")


def load_store() -> dict:
    if not STORE.is_file():
        return {}
    try:
        data = json.loads(STORE.read_text(encoding="utf-8"))
    except ValueError as err:
        raise Refused(f"{STORE}: unreadable ({err})") from None
    return {k: v for k, v in data.items() if k in BY_NAME and v.get("command") == BY_NAME[k].readme}


def check(args: argparse.Namespace) -> list[Command]:
    """Every argument and the README, before anything runs."""
    unknown = [n for n in args.only if n not in BY_NAME]
    if unknown:
        raise Refused(f"--only {unknown[0]}: not a command (one of: {', '.join(BY_NAME)})")
    if args.timeout <= 0:
        raise Refused(f"--timeout {args.timeout:g}: must be > 0 seconds")
    text = README.read_text(encoding="utf-8")
    missing = [c.readme for c in COMMANDS if c.readme not in text]
    if missing:
        raise Refused(f"{README}: no longer contains `{missing[0]}` (update COMMANDS in scripts/readme_times.py)")
    if START not in text or END not in text:
        raise Refused(f"{README}: needs a {START} ... {END} block")
    load_store()
    chosen = [BY_NAME[n] for n in args.only] if args.only else list(COMMANDS)
    if not args.write_only and not args.list and not (ROOT / ".venv" / "bin" / "python").is_file():
        raise Refused(f"{ROOT / '.venv/bin/python'}: missing (run make run once to install)")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/readme_times.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"measure this command only (repeatable): {', '.join(BY_NAME)}")
    parser.add_argument("--timeout", type=float, default=3 * 3600.0, help="seconds one command may take")
    parser.add_argument("--list", action="store_true", help="print the commands and their last measurement")
    parser.add_argument("--write-only", action="store_true", help="rewrite the README's block, measure nothing")
    args = parser.parse_args(argv)
    log = lambda line: print(line, file=sys.stderr, flush=True)  # noqa: E731
    try:
        chosen = check(args)
        store = load_store()
        if args.list:
            for c in COMMANDS:
                m = store.get(c.name)
                print(f"{c.name:<15} {c.readme}\n{'':<15} " + (f"{fmt_seconds(m['seconds'])}, {fmt_bytes(m['bytes'])}, "
                                                                f"{m['measured']}" if m else "not measured"))
            return 0
        if not args.write_only:
            for n, cmd in enumerate(chosen, 1):
                log(f"readme_times: {n}/{len(chosen)} {cmd.readme}")
                store[cmd.name] = measure(cmd, args.timeout, log)
                STORE.write_text(json.dumps(store, indent=2) + "\n", encoding="utf-8")  # each one kept at once
        update_readme(store)
    except Refused as err:
        print(f"readme_times: error: {err}", file=sys.stderr)
        return 2
    except (RuntimeError, subprocess.TimeoutExpired) as err:
        print(f"readme_times: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
