#!/usr/bin/env bash
# Set everything up, then show dockyard working end to end with real parts: a daemon, the busybox
# image bootstrapped from the host's static busybox, runc containers under conmon, the dockyard
# CLI and the real docker CLI against the same daemon, and a daemon kill -9 that containers survive.
# The demo runs on its own roots under /tmp and stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

ROOT=$(mktemp -d /tmp/dockyard-demo.XXXXXX)
export DOCKYARD_DATA_ROOT=$ROOT/data DOCKYARD_EXEC_ROOT=$ROOT/run
export DOCKYARD_HOST=unix://$ROOT/run/dockyard.sock
DY=.venv/bin/dockyard
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

cleanup() {
  set +e
  for c in $($DY ps -aq 2>/dev/null); do $DY rm -f "$c" >/dev/null; done
  pid=$(cat "$ROOT/run/dockyardd.pid" 2>/dev/null)
  if [[ -n $pid ]]; then kill "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; fi
  grep " $ROOT/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
  rm -rf "$ROOT"
}
trap cleanup EXIT

echo "dockyard demo (data root $DOCKYARD_DATA_ROOT); the CLI starts the daemon itself"
step $DY image bootstrap busybox
step $DY images
step $DY run --rm busybox sh -c 'echo "hello from a runc container: $(hostname), pid $$"; id'
step $DY run -d --name web-ish --label demo=1 -m 64m --pids-limit 32 busybox \
     sh -c 'i=0; while :; do echo tick $i; i=$((i+1)); sleep 0.5; done'
sleep 1.2
step $DY ps --filter label=demo=1
step $DY logs --tail 2 web-ish
echo
echo "The real docker CLI, pointed at dockyardd:"
step env DOCKER_HOST=$DOCKYARD_HOST docker ps
step env DOCKER_HOST=$DOCKYARD_HOST docker run --rm busybox cat /sys/fs/cgroup/pids/pids.max
echo
echo "kill -9 the daemon: the container keeps running under its conmon, and is re-adopted"
kill -9 "$(cat "$ROOT/run/dockyardd.pid")"
sleep 1
step $DY ps
step $DY logs --tail 2 web-ish
step $DY stop -t 1 web-ish
step $DY ps -a --format 'table {{.Names}}\t{{.Status}}'
step $DY rm web-ish
echo
echo "demo finished"
