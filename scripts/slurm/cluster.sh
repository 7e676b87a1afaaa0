#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for trying `hydra/launcher=slurm` sweeps without a real cluster and
# for the test that runs one (tests/test_slurm.py).
#
#   scripts/slurm/cluster.sh start  [STATE_DIR]   write a munge key and slurm.conf, start munged, slurmctld and
#                                                 slurmd, wait until the node is idle
#   scripts/slurm/cluster.sh status [STATE_DIR]   sinfo and squeue of that cluster
#   scripts/slurm/cluster.sh stop   [STATE_DIR]   cancel its jobs, stop its daemons by their pids, wait until gone
#
# STATE_DIR defaults to results/slurm-cluster/ in the project. Everything the cluster writes lives there: the munge
# key, socket and seed, slurm.conf, the daemons' logs and pid files, slurmctld's state and slurmd's spool. No file
# under /etc, /run or /var is written (slurm.conf names every path; munged is told its own key, socket and seed).
# Client commands (sinfo, sbatch, squeue, scontrol) find this cluster through SLURM_CONF: after `start`, run
#   export SLURM_CONF=<STATE_DIR>/slurm.conf
# and submit, e.g. the README's sweep with hydra/launcher=slurm hydra.launcher.partition=debug.
#
# Needs Debian's slurm-wlm and munge (apt-get install slurm-wlm munge) and root: slurmd starts jobs as their
# owner, which needs root, and jobs here run as the user who submits them. Jobs run on this machine, in the
# directory they were submitted from, so the project and its .venv are "shared" with the compute node trivially.
# The node is this host with its real CPU count and memory (`slurmd -C`), in one partition named `debug`.
# Process tracking without cgroups (proctrack/linuxproc, task/none), so it also runs inside a container; no
# accounting database (sacct has nothing to show), jobs stay visible in `scontrol show job` for MinJobAge seconds.
#
# Ports: slurmctld and slurmd listen on two free TCP ports chosen at start (env SLURMCTLD_PORT / SLURMD_PORT to
# fix them), so the cluster does not collide with a real SLURM installation on the same machine.
# Env KETENSIM_SLURM_WAIT: seconds to wait for the node to become idle and for daemons to stop (default 30).
set -euo pipefail

usage() {
  echo "usage: $0 start|stop|status [STATE_DIR]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
command=$1
project=$(cd "$(dirname "$0")/../.." && pwd)
state=${2:-$project/results/slurm-cluster}
wait_seconds=${KETENSIM_SLURM_WAIT:-30}
PATH=$PATH:/usr/sbin:/sbin  # the daemons live in sbin, which a non-login shell may not have on its PATH

die() {
  echo "cluster.sh: error: $*" >&2
  exit 1
}

# A start that fails shows the daemons' logs; the EXIT trap set in start() then stops what it started.
start_failed() {
  show_logs
  die "$*"
}

need() {
  local missing=()
  for program in "$@"; do
    command -v "$program" >/dev/null 2>&1 || missing+=("$program")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    die "${missing[*]} not found (install Debian's slurm-wlm and munge: apt-get install slurm-wlm munge)"
  fi
}

# Is the process alive? A zombie (exited, not yet reaped by an init that never reaps) counts as gone.
running() {
  local pid=$1 stat
  kill -0 "$pid" 2>/dev/null || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }  # the field after "(comm)" is the state
  [[ ${stat:0:1} != Z ]]
}

# The pid in a pid file when that process is alive, else nothing.
alive_pid() {
  local file=$state/$1.pid pid
  [[ -s $file ]] || return 0
  pid=$(<"$file")
  if [[ $pid =~ ^[0-9]+$ ]] && running "$pid"; then
    echo "$pid"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

node_state() {
  { sinfo -h -N -o '%t' 2>/dev/null || true; } | head -n 1
}

# The job steps alive on the node (their sockets in slurmd's spool directory).
steps() {
  local socket
  for socket in "$state"/slurmd/*_*.*; do
    if [[ -S $socket ]]; then printf '%s ' "${socket##*/}"; fi
  done
}

show_logs() {
  for log in munged slurmctld slurmd; do
    if [[ -s $state/$log.log ]]; then
      echo "--- $state/$log.log (last lines)" >&2
      tail -n 15 "$state/$log.log" >&2
    fi
  done
}

write_config() {
  local node cpus_line ctld_port slurmd_port
  node=$(hostname -s)
  # The node as slurmd sees it (CPUs, sockets, cores, threads, memory): a configuration that claims more than
  # the hardware has would leave the node drained as INVAL.
  cpus_line=$(slurmd -C | head -n 1)
  [[ $cpus_line == NodeName=* ]] || die "slurmd -C did not describe this node: $cpus_line"
  ctld_port=${SLURMCTLD_PORT:-$(free_port)}
  slurmd_port=${SLURMD_PORT:-$(free_port)}
  while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done
  cat >"$state/slurm.conf" <<EOF
# One-node cluster for trying ketensim sweeps locally, written by scripts/slurm/cluster.sh start.
ClusterName=ketensim
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$state/munge.socket
CredType=cred/munge
StateSaveLocation=$state/slurmctld
SlurmdSpoolDir=$state/slurmd
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
# no cgroups (containers often have none to delegate): track job processes through /proc, bind no tasks
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
# cores and memory are consumable, so an array of 1-core points runs as many tasks at once as there are cores
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# a job that asks for no memory gets 1 GB per core, not the whole node (which would serialise an array)
DefMemPerCPU=1024
ReturnToService=2
MaxArraySize=10001
# finished jobs stay visible in scontrol show job (there is no accounting database behind sacct)
MinJobAge=600
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=2
$cpus_line State=UNKNOWN NodeAddr=127.0.0.1
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  need munged slurmctld slurmd sinfo
  [[ $(id -u) -eq 0 ]] || die "start needs root (slurmd starts every job as its owner); try: sudo $0 start $state"
  mkdir -p "$state"
  state=$(cd "$state" && pwd)
  export SLURM_CONF=$state/slurm.conf
  local up=()
  for daemon in munged slurmctld slurmd; do
    if [[ -n $(alive_pid "$daemon") ]]; then up+=("$daemon"); fi
  done
  if [[ ${#up[@]} -eq 3 ]]; then
    echo "cluster.sh: already running in $state"
    sinfo
    return 0
  elif [[ ${#up[@]} -gt 0 ]]; then
    die "${up[*]} already running from $state but not all three: run $0 stop $state first"
  fi
  # a Unix socket path is limited to 107 bytes
  [[ ${#state} -le 90 ]] || die "state directory path too long for munge's socket (${#state} > 90 characters): $state"
  # from here on, a start that fails half-way (an error or a refused daemon) stops what it started
  trap 'echo "cluster.sh: start failed, stopping what was started" >&2; stop >&2 || true' EXIT
  chmod 755 "$state"  # munged wants its socket directory searchable by all
  mkdir -p "$state/slurmctld" "$state/slurmd"
  rm -f "$state"/*.pid "$state/munge.socket" "$state/munge.socket.lock"
  : >"$state/munged.log"; : >"$state/slurmctld.log"; : >"$state/slurmd.log"  # the logs of this start only
  if [[ ! -s $state/munge.key ]]; then
    if command -v mungekey >/dev/null 2>&1; then
      mungekey --create --keyfile="$state/munge.key"
    else  # munge before 0.5.14 has no mungekey
      (umask 077 && dd if=/dev/urandom of="$state/munge.key" bs=1024 count=1 status=none)
    fi
  fi
  chmod 600 "$state/munge.key"
  write_config

  # munged refuses to run as root unless forced; it forks and writes its pid file before returning
  munged --force --socket="$state/munge.socket" --key-file="$state/munge.key" --pid-file="$state/munged.pid" \
    --log-file="$state/munged.log" --seed-file="$state/munged.seed" \
    || start_failed "munged did not start"
  # both daemons fork into the background and write the pid files named in slurm.conf
  slurmctld -f "$SLURM_CONF" || start_failed "slurmctld did not start"
  slurmd -f "$SLURM_CONF" || start_failed "slurmd did not start"

  local deadline=$((SECONDS + wait_seconds)) node_state_now=""
  while ((SECONDS < deadline)); do
    node_state_now=$(node_state)
    [[ $node_state_now == idle ]] && break
    for daemon in munged slurmctld slurmd; do  # a daemon that wrote its pid and died: fail now, not at the deadline
      if [[ -s $state/$daemon.pid && -z $(alive_pid "$daemon") ]]; then start_failed "$daemon exited"; fi
    done
    sleep 0.2
  done
  if [[ $node_state_now != idle ]]; then
    start_failed "the node is not idle after ${wait_seconds}s (sinfo state: '${node_state_now:-no answer}'); logs above"
  fi
  for daemon in munged slurmctld slurmd; do
    [[ -n $(alive_pid "$daemon") ]] || start_failed "$daemon has no live pid in $state/$daemon.pid"
  done
  trap - EXIT
  echo "cluster.sh: one-node cluster up in $state" \
    "(munged $(alive_pid munged), slurmctld $(alive_pid slurmctld), slurmd $(alive_pid slurmd))"
  sinfo
  echo "cluster.sh: for sbatch/sinfo/squeue and sweeps run:  export SLURM_CONF=$SLURM_CONF"
}

stop() {
  [[ -d $state ]] || die "no cluster state in $state"
  state=$(cd "$state" && pwd)
  export SLURM_CONF=$state/slurm.conf
  # Cancel this cluster's jobs first: slurmd's job steps (slurmstepd) are not its children and would outlive it.
  if [[ -n $(alive_pid slurmctld) && -n $(alive_pid munged) ]] && command -v squeue >/dev/null 2>&1; then
    local jobs deadline=$((SECONDS + wait_seconds))
    jobs=$(squeue -h -o '%A' 2>/dev/null || true)
    if [[ -n $jobs ]]; then
      # shellcheck disable=SC2086  # one job id per word
      scancel $jobs 2>/dev/null || true
      while [[ -n $(squeue -h -o '%A' 2>/dev/null || true) ]] && ((SECONDS < deadline)); do sleep 0.2; done
    fi
  fi
  # A job step (slurmstepd and the job's processes) keeps a socket <node>_<job>.<step> in slurmd's spool while it
  # lives: wait for those of finished or cancelled jobs to go, so that stopping slurmd leaves no step behind.
  local deadline=$((SECONDS + wait_seconds))
  while [[ -n $(steps) ]] && ((SECONDS < deadline)); do sleep 0.2; done
  [[ -z $(steps) ]] || echo "cluster.sh: warning: job steps still running after ${wait_seconds}s: $(steps)" >&2
  # slurmd before slurmctld before munged: each still needs the next one while it shuts down
  local daemon pid
  for daemon in slurmd slurmctld munged; do
    pid=$(alive_pid "$daemon")
    [[ -n $pid ]] || continue
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + wait_seconds))
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    if running "$pid"; then
      echo "cluster.sh: $daemon ($pid) still running after ${wait_seconds}s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      running "$pid" && die "$daemon ($pid) did not stop"
    fi
    echo "cluster.sh: $daemon ($pid) stopped"
  done
  rm -f "$state"/*.pid
}

status() {
  [[ -f $state/slurm.conf ]] || die "no cluster in $state (start it with: $0 start $state)"
  state=$(cd "$state" && pwd)
  export SLURM_CONF=$state/slurm.conf
  need sinfo squeue
  local daemon
  for daemon in munged slurmctld slurmd; do
    echo "$daemon: $(alive_pid "$daemon" | sed 's/^/pid /')" | sed 's/: $/: not running/'
  done
  sinfo || die "slurmctld does not answer (start it with: $0 start $state)"
  squeue
}

case $command in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
