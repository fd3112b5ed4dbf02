#!/usr/bin/env bash
# Starts a one-node Slurm (munged, slurmctld, slurmd) for the executor's tests, all of it under
# the state directory DIR, with the configuration kept next to this script: two fake GPUs (links
# to /dev/null and /dev/zero), free ports picked at start. Waits until the node is idle.
#
#   tests/slurm/start.sh DIR      then: SLURM_CONF=DIR/slurm.conf sbatch ...; tests/slurm/stop.sh DIR
#
# Exits 0 when Slurm runs, 77 when it cannot be started here (Slurm or munge not installed, or
# neither root nor sudo), 1 when it was tried and failed (the logs' tails are printed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:?usage: start.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

cannot() { echo "tests/slurm/start.sh: cannot start Slurm here: $*" >&2; exit 77; }

for cmd in munged slurmctld slurmd sinfo sbatch; do
  PATH=$PATH:/usr/sbin command -v "$cmd" >/dev/null || cannot "$cmd is not installed (scripts/deps.sh installs it)"
done
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  cannot "the daemons run as root: run as root or with sudo rights"
fi
export PATH=$PATH:/usr/sbin

# Two ports nothing uses, so that two runs (build and build-asan) never meet: drawn below the
# kernel's ephemeral range (32768 and up), where the many short connections of the other tests
# take their local ports, and checked free on every address, as slurmctld binds them.
read -r ctld_port slurmd_port < <(python3 - <<'PY'
import random, socket
socks = []
while len(socks) < 2:
    s = socket.socket()
    try:
        s.bind(("0.0.0.0", random.randrange(20000, 32000)))
        socks.append(s)
    except OSError:
        s.close()
print(*(s.getsockname()[1] for s in socks))
PY
)
host=$(hostname -s)
node=crowdloop-node

mkdir -p "$dir"/{munge,ctld,slurmd,dev}
# Slurm wants character devices: links to two harmless ones stand in for the GPUs (mknod may
# be refused in a container, a link never is).
ln -sfn /dev/null "$dir/dev/nvidia0"
ln -sfn /dev/zero "$dir/dev/nvidia1"
: >"$dir/plugstack.conf"
for f in slurm.conf gres.conf cgroup.conf; do
  sed -e "s|@DIR@|$dir|g" -e "s|@HOST@|$host|g" -e "s|@NODE@|$node|g" \
    -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$slurmd_port|g" "$here/$f" >"$dir/$f"
done
export SLURM_CONF=$dir/slurm.conf

failed() {
  echo "tests/slurm/start.sh: $*" >&2
  for log in "$dir"/munge/munged.log "$dir"/slurmctld.log "$dir"/slurmd.log; do
    [ -f "$log" ] && { echo "--- $log" >&2; tail -n 20 "$log" >&2; }
  done
  exit 1
}

head -c 1024 /dev/urandom >"$dir/munge/munge.key"
chmod 0400 "$dir/munge/munge.key"
chmod 0700 "$dir/munge"
if [ ${#as_root[@]} -gt 0 ]; then
  "${as_root[@]}" chown -R root: "$dir/munge"
fi
# --force: the key and socket live in a temporary directory, not under /etc and /run.
"${as_root[@]}" munged --force --socket="$dir/munge/munge.socket" \
  --key-file="$dir/munge/munge.key" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed" ||
  failed "munged did not start"
# The socket's directory must let the tests' user in when the daemons run under sudo.
[ ${#as_root[@]} -gt 0 ] && "${as_root[@]}" chmod 0755 "$dir/munge"

"${as_root[@]}" env SLURM_CONF="$SLURM_CONF" slurmctld -f "$SLURM_CONF" || failed "slurmctld did not start"
"${as_root[@]}" env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF" -N "$node" || failed "slurmd did not start"

for _ in $(seq 1 150); do
  state=$(sinfo -h -N -o %T 2>/dev/null || true)
  [ "$state" = idle ] && { echo "Slurm is up: SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.2
done
failed "the node is not idle after 30 s (sinfo says: ${state:-nothing})"
