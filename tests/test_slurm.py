"""SLURM for real: a sweep with ``hydra/launcher=slurm`` runs as a job array on a one-node cluster on this machine.

``scripts/slurm/cluster.sh`` starts munged, slurmctld and slurmd (Debian's slurm-wlm and munge) with their state in
a temporary directory; the sweep is the command a user types, ``python -m sim -m ... hydra/launcher=slurm``, in a
subprocess pointed at that cluster by ``SLURM_CONF``. The test checks what only a real scheduler can show: the
points ran as the tasks of one array job (each task's log names its ``<array job>_<task>`` from SLURM's own
environment, and slurmctld lists the tasks as COMPLETED with the project as their working directory), in the
Python that launched the sweep, and they wrote the sweep tables with the numbers of the points computed in this
process. A resume after a task lost its results reruns that point and skips the finished one. The daemons are
stopped by their pids at the end and the test checks that none of the cluster's processes is left.

``python -m sim.uncertainty -m hydra/launcher=slurm`` runs its blocks of draws the same way: one array task per
block, the tables rebuilt from the blocks on the submitting side equal to the draws run in this process, and a
resume submits only the block that lost its results (none when every block is finished).

Without slurm-wlm and munge, or without root (slurmd starts jobs as their owner), the test skips and says what is
missing; under ``CI=true`` it fails instead, because CI installs them (``make test`` as root).
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import compose_cfg, missing_system_tool

from sim import app, sweep
from sim.analysis import uncertainty as unc
from sim.config.gate import validate
from sim.run import output, runner

ROOT = Path(__file__).resolve().parent.parent
CLUSTER = ROOT / "scripts" / "slurm" / "cluster.sh"
PROGRAMS = ("munged", "slurmctld", "slurmd", "sinfo", "squeue", "sbatch", "scontrol", "scancel")
DAEMONS = ("munged", "slurmctld", "slurmd")
TINY = ["region=demo", "run.years=1", "run.warmup_years=0.5", "run.replications=2", "run.event_log=false",
        "run.quiet=true"]
GRID_KEY, GRID_VALUES = "staffing.gi.fte", ("20", "34")
# The partition cluster.sh creates; 1 GB per point so that the array fits a small CI machine (the default 4 GB
# would be refused on a node with less memory, and CR_Core_Memory would run fewer points at once).
SLURM = ["hydra/launcher=slurm", "hydra.launcher.partition=debug", "hydra.launcher.mem_gb=1"]
TASK_DIR = re.compile(r"^(\d+)_(\d+)$")  # submitit's folder per array task: <array job id>_<task id>


@dataclass(frozen=True)
class Cluster:
    state: Path
    env: dict[str, str]  # this environment with SLURM_CONF naming the cluster's slurm.conf
    pids: dict[str, int]  # daemon -> pid, from the pid files cluster.sh start left
    node: str


def ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def alive(pid: int) -> bool:
    """The process exists and is not a zombie (a daemon's parent is an init that may never reap it)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def processes_of(conf: Path) -> list[str]:
    """Live processes started by this cluster: its daemons and everything they spawned (slurmstepd, the job's
    Python) carry SLURM_CONF=<its slurm.conf> in their environment, which no other process on the machine has."""
    needle = f"SLURM_CONF={conf}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid() or not alive(int(proc.name)):
            continue
        try:
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{proc.name} {command}")
        except OSError:  # ended meanwhile, or a kernel thread
            continue
    return found


def run_script(action: str, state: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(CLUSTER), action, str(state)], env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    missing = [p for p in PROGRAMS if shutil.which(p, path=search) is None]
    if missing:
        missing_system_tool(", ".join(missing), "the SLURM test starts a one-node cluster with "
                            "scripts/slurm/cluster.sh, which needs Debian's slurm-wlm and munge")
    if os.geteuid() != 0:
        message = ("the SLURM test needs root: slurmd starts each job as its owner "
                   "(run the suite as root, as CI does; `make test` as root also installs slurm-wlm and munge)")
        if ci():
            pytest.fail(message)
        pytest.skip(message)

    # One cluster at a time on this machine for this session, also with pytest-xdist (the workers share the
    # parent of their temporary roots): two would compete for the same two cores.
    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None
    lock_dir = tmp_path_factory.getbasetemp().parent if shared else tmp_path_factory.getbasetemp()
    with open(lock_dir / "slurm_cluster.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = tmp_path_factory.mktemp("slurm")
        env = {**os.environ, "PATH": search, "SLURM_CONF": str(state / "slurm.conf")}
        started = run_script("start", state, env)
        print(started.stdout, started.stderr, sep="")
        try:
            assert started.returncode == 0, f"cluster.sh start failed:\n{started.stdout}\n{started.stderr}"
            pids = {d: int((state / f"{d}.pid").read_text()) for d in DAEMONS}
            assert all(alive(pid) for pid in pids.values()), pids
            node = subprocess.run(["sinfo", "-h", "-N", "-o", "%N"], env=env, capture_output=True, text=True,
                                  check=True).stdout.strip()
            yield Cluster(state, env, pids, node)
        finally:
            pids = {d: int(p.read_text()) for d in DAEMONS if (p := state / f"{d}.pid").is_file()}
            stopped = run_script("stop", state, env)
            print(stopped.stdout, stopped.stderr, sep="")
            assert stopped.returncode == 0, f"cluster.sh stop failed:\n{stopped.stdout}\n{stopped.stderr}"
            assert not [d for d, pid in pids.items() if alive(pid)], f"daemons still running: {pids}"
            assert not processes_of(state / "slurm.conf"), "processes of the cluster left running"


def slurm_sweep(cluster: Cluster, sweep_dir: Path, title: str) -> str:
    """The README's SLURM sweep, tiny: two points, as a user runs it; its console output, printed for -rA."""
    args = [*TINY, f"{GRID_KEY}={','.join(GRID_VALUES)}", *SLURM, f"hydra.sweep.dir={sweep_dir}"]
    began = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "sim", "-m", *args], cwd=ROOT, env=cluster.env,
                              capture_output=True, text=True, timeout=180, check=False)
    except subprocess.TimeoutExpired as err:  # say why: a pending array (a drained node) looks like a hang
        queue = subprocess.run(["bash", "-c", "sinfo -N -l; squeue -l"], env=cluster.env, capture_output=True,
                               text=True, check=False)
        pytest.fail(f"{title} still running after {err.timeout}s:\n{queue.stdout}{queue.stderr}\n"
                    f"{(err.stdout or b'')[-3000:]!r}\n{(err.stderr or b'')[-3000:]!r}")
    out = proc.stdout + proc.stderr
    print(f"--- {title}: python -m sim -m {shlex.join(args)}  ({time.monotonic() - began:.1f}s, "
          f"exit {proc.returncode})\n{out}")
    assert proc.returncode == 0, f"{title} failed:\n{out[-4000:]}"
    return out


def array_tasks(sweep_dir: Path) -> dict[int, dict[int, Path]]:
    """submitit's task folders: array job id -> task id -> folder."""
    jobs: dict[int, dict[int, Path]] = {}
    for d in (sweep_dir / ".submitit").iterdir():
        if m := TASK_DIR.match(d.name):
            jobs.setdefault(int(m.group(1)), {})[int(m.group(2))] = d
    return jobs


def task_log(folder: Path) -> str:
    return (folder / f"{folder.name}_0_log.out").read_text() + (folder / f"{folder.name}_0_log.err").read_text()


def scontrol_records(cluster: Cluster, job_id: int) -> list[dict[str, str]]:
    """slurmctld's record of every task of an array job (kept MinJobAge seconds after it ends; no sacct here)."""
    text = subprocess.run(["scontrol", "-o", "show", "job", str(job_id)], env=cluster.env, capture_output=True,
                          text=True, check=True).stdout
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in text.splitlines() if line.strip()]


def point_dir(sweep_dir: Path, value: str) -> Path:
    found = [d for d in sweep_dir.iterdir()
             if d.is_dir() and f"{GRID_KEY}={value}" in (sweep.read_point_overrides(d) or ())]
    assert len(found) == 1, f"{GRID_KEY}={value}: {found}"
    return found[0]


def assert_array_ran(cluster: Cluster, sweep_dir: Path, job_id: int, tasks: dict[int, Path],
                     count: int = len(GRID_VALUES)) -> None:
    """Every point (``count`` of them) was one task of the array job ``job_id``, run by SLURM, in the sweep's Python
    and directory."""
    assert sorted(tasks) == list(range(count)), tasks
    script = (sweep_dir / ".submitit" / str(job_id) / f"{job_id}_submission.sh").read_text()
    assert f"#SBATCH --array=0-{count - 1}%" in script and "#SBATCH --partition=debug" in script
    srun = shlex.split(next(line for line in script.splitlines() if line.startswith("srun ")))
    assert sys.executable in srun, f"the job does not run the Python that launched the sweep: {srun}"
    for task, folder in tasks.items():
        log = task_log(folder)
        # submitit names the task from SLURM_ARRAY_JOB_ID and SLURM_ARRAY_TASK_ID in the job's environment
        assert f"Starting with JobEnvironment(job_id={job_id}_{task}," in log, log
        assert "Job completed successfully" in log, log
    records = {int(r["ArrayTaskId"]): r for r in scontrol_records(cluster, job_id)
               if r.get("ArrayJobId") == str(job_id)}
    assert sorted(records) == sorted(tasks), records
    for r in records.values():
        assert (r["JobState"], r["Partition"], r["NodeList"]) == ("COMPLETED", "debug", cluster.node), r
        assert Path(r["WorkDir"]) == ROOT, r  # submitted from the project: the job sees the same files


def test_sweep_runs_as_a_slurm_job_array_and_resume_skips_finished_points(cluster: Cluster, tmp_path: Path) -> None:
    sweep_dir = tmp_path / "sweep"
    first = slurm_sweep(cluster, sweep_dir, "SLURM sweep")
    assert f"ketensim: sweep {len(GRID_VALUES)}/{len(GRID_VALUES)} points done, elapsed" in first
    jobs = array_tasks(sweep_dir)
    assert len(jobs) == 1, f"expected one array job, got {sorted(jobs)}"
    (job_id, tasks), = jobs.items()
    assert_array_ran(cluster, sweep_dir, job_id, tasks)

    # the sweep tables, with the numbers of each point computed here, one by one
    table = pd.read_parquet(sweep_dir / "sweep.parquet")
    summary = pd.read_csv(sweep_dir / "sweep_summary.csv")
    assert len(table) == len(GRID_VALUES) * 2 and len(summary) == len(GRID_VALUES)
    assert (sweep_dir / "sweep.csv").is_file()
    for value in GRID_VALUES:
        want = runner.run(validate(compose_cfg([*TINY, f"{GRID_KEY}={value}"])), progress=False).runs
        got = table[table[GRID_KEY].astype(float) == float(value)].sort_values("replication").reset_index(drop=True)
        assert list(got["replication"]) == list(want["replication"])
        for c in ("capacity.gi", "gi_wait_mean", "lead_time_help_mean", "families_per_year"):
            assert np.array_equal(got[c].to_numpy(float), want[c].to_numpy(float), equal_nan=True), (value, c)

    # A task that lost its results (its marker gone, as when SLURM kills it mid-write): the same command again
    # reruns that point and skips the finished one, whose files stay as they were.
    lost, kept = (point_dir(sweep_dir, v) for v in GRID_VALUES)
    (lost / output.MARKER).unlink()
    kept_marker = json.loads((kept / output.MARKER).read_text())
    kept_mtime = (kept / "runs.parquet").stat().st_mtime_ns
    resumed = slurm_sweep(cluster, sweep_dir, "resumed SLURM sweep")
    assert f"ketensim: sweep {len(GRID_VALUES)}/{len(GRID_VALUES)} points done (1 already complete)" in resumed
    jobs = array_tasks(sweep_dir)
    (new_id, new_tasks), = ((j, t) for j, t in jobs.items() if j != job_id)
    assert_array_ran(cluster, sweep_dir, new_id, new_tasks)
    logs = "\n".join(task_log(folder) for folder in new_tasks.values())
    assert f"point {kept.name}: complete, skipped" in logs, logs
    assert f"point {lost.name}: INCOMPLETE: no {output.MARKER} marker" in logs, logs
    assert f"point {lost.name}: complete, skipped" not in logs
    assert json.loads((kept / output.MARKER).read_text()) == kept_marker
    assert (kept / "runs.parquet").stat().st_mtime_ns == kept_mtime
    assert sweep.check_point(lost).state == "complete"
    pd.testing.assert_frame_equal(pd.read_parquet(sweep_dir / "sweep.parquet"), table)


# ====================================================================== sim.uncertainty as a job array

# A tiny design on the demo region: two of the integrated team's own assumptions, 8 draws in 2 blocks of 4
UNCERTAINTY = ["region=demo", "run.start=empty", "run.warmup_years=0.1", "run.years=0.1",
               "uncertainty.only=[scenario.team.intake_hours,scenario.consults.vt.hours]", "uncertainty.draws=8",
               "uncertainty.block=4", "uncertainty.bootstrap=20"]


def slurm_uncertainty(cluster: Cluster, folder: Path, title: str) -> str:
    """docs/uncertainty.md's SLURM command, tiny; its console output, printed for -rA."""
    args = [*UNCERTAINTY, *SLURM, f"hydra.sweep.dir={folder}"]
    began = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "sim.uncertainty", "-m", *args], cwd=ROOT, env=cluster.env,
                          capture_output=True, text=True, timeout=240, check=False)
    out = proc.stdout + proc.stderr
    print(f"--- {title}: python -m sim.uncertainty -m {shlex.join(args)}  ({time.monotonic() - began:.1f}s, "
          f"exit {proc.returncode})\n{out}")
    assert proc.returncode == 0, f"{title} failed:\n{out[-4000:]}"
    return out


def block_marker(folder: Path, i: int) -> Path:
    return folder / unc.BLOCKS / f"block_{i:05d}" / output.MARKER


def test_uncertainty_runs_its_blocks_as_a_slurm_job_array_and_resume_submits_only_what_is_missing(
        cluster: Cluster, tmp_path: Path) -> None:
    folder = tmp_path / "uncertainty"
    first = slurm_uncertainty(cluster, folder, "SLURM uncertainty")
    assert f"2 blocks as 2 jobs of SlurmLauncher into {folder}" in first
    jobs = array_tasks(folder)
    assert len(jobs) == 1, f"expected one array job, got {sorted(jobs)}"
    (job_id, tasks), = jobs.items()
    assert_array_ran(cluster, folder, job_id, tasks, count=2)
    assert output.is_complete(folder) and (folder / "uncertainty_summary.csv").is_file()

    # the table rebuilt from the blocks is the one this process computes from the same design
    plan = app.validated("uncertainty", UNCERTAINTY, lambda cfg: unc.make_plan(cfg, None), example="x=1")
    assert unc.run_draws(plan, tmp_path / "here", jobs=1) == [0, 1]
    table = pd.read_parquet(folder / "uncertainty.parquet")
    pd.testing.assert_frame_equal(table, unc.collect(plan, tmp_path / "here"))

    # a task that lost its results: the same command submits an array of that one block only
    block_marker(folder, 1).unlink()
    kept = block_marker(folder, 0).stat().st_mtime_ns
    resumed = slurm_uncertainty(cluster, folder, "resumed SLURM uncertainty")
    assert f"1 blocks as 1 jobs of SlurmLauncher into {folder}" in resumed
    # (submitit submits one job as a plain job, not as an array of one)
    (single,) = [d for d in (folder / ".submitit").iterdir() if d.name.isdigit() and int(d.name) != job_id]
    script = (single / f"{single.name}_submission.sh").read_text()
    assert "#SBATCH --array" not in script and "#SBATCH --partition=debug" in script, script
    log = (single / f"{single.name}_0_log.out").read_text() + (single / f"{single.name}_0_log.err").read_text()
    assert f"Starting with JobEnvironment(job_id={single.name}," in log and "Job completed successfully" in log, log
    (record,) = scontrol_records(cluster, int(single.name))
    assert (record["JobState"], record["Partition"], record["NodeList"]) == ("COMPLETED", "debug", cluster.node)
    assert "uncertainty.task_block=1" in (folder / "tasks" / "block_1" / ".hydra" / "overrides.yaml").read_text() \
        .replace("- ", "").replace("\n", " ")
    assert block_marker(folder, 0).stat().st_mtime_ns == kept and block_marker(folder, 1).is_file()
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "uncertainty.parquet"), table)

    # every block finished: nothing is submitted, the tables are rebuilt here
    again = slurm_uncertainty(cluster, folder, "finished SLURM uncertainty")
    assert "nothing to submit, rebuilding the tables" in again
    assert len([d for d in (folder / ".submitit").iterdir() if d.name.isdigit()]) == 2 and output.is_complete(folder)
