#!/usr/bin/env bash
# What the test suite needs beyond Python, from Debian's packages: chromium and chromium-driver (the report opened
# in a real browser, tests/test_report_browser.py) and slurm-wlm with munge (a one-node SLURM cluster on localhost,
# tests/test_slurm.py, started by scripts/slurm/cluster.sh).
#
# `make test` runs this before pytest. As root with apt-get (CI, a fresh container) it installs what is missing;
# otherwise it says what is missing and how to get it, and the tests that need it skip with the same instruction
# (under CI=true they fail instead: a skipped browser or SLURM test would hide a broken report or sweep).
set -uo pipefail
export PATH="$PATH:/usr/sbin:/sbin"  # slurmctld, slurmd and munged live in /usr/sbin

declare -A provides=([chromium]=chromium [chromedriver]=chromium-driver [slurmctld]=slurm-wlm [slurmd]=slurm-wlm
                     [sbatch]=slurm-client [munged]=munge)
missing=()
for cmd in chromium chromedriver slurmctld slurmd sbatch munged; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${provides[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "make test: not installing ${packages}(needs root and apt-get); the browser and SLURM tests will skip." >&2
  echo "make test: to run them: sudo apt-get install -y chromium chromium-driver slurm-wlm munge" >&2
  exit 0
fi
echo "make test: installing Debian packages: ${packages}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq </dev/null && apt-get install -y -qq ${packages} </dev/null >/dev/null; }; then
  echo "make test: apt-get could not install ${packages}; the tests that need them will say so." >&2
fi
exit 0
