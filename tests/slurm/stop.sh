#!/usr/bin/env bash
# Stops the Slurm that tests/slurm/start.sh DIR started: cancels its jobs, stops slurmd,
# slurmctld and munged by their pid files, then removes DIR (kept when CROWDLOOP_SLURM_KEEP=1,
# for its logs).
set -uo pipefail

dir=${1:?usage: stop.sh DIR}
[ -d "$dir" ] || exit 0
export PATH=$PATH:/usr/sbin SLURM_CONF=$dir/slurm.conf
as_root=()
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null && as_root=(sudo -n)

# Jobs first, while slurmd still runs to end their steps.
if [ -f "$dir/slurmctld.pid" ]; then
  scancel --quiet --partition=debug 2>/dev/null
  for _ in $(seq 1 50); do
    [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break
    sleep 0.2
  done
fi

stop_pid_file() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  [ -n "$pid" ] || return 0
  "${as_root[@]}" kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    "${as_root[@]}" kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  "${as_root[@]}" kill -KILL "$pid" 2>/dev/null
}
stop_pid_file "$dir/slurmd.pid"
stop_pid_file "$dir/slurmctld.pid"
stop_pid_file "$dir/munge/munged.pid"

[ "${CROWDLOOP_SLURM_KEEP:-0}" = 1 ] || "${as_root[@]}" rm -rf "$dir"
