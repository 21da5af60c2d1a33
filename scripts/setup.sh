#!/usr/bin/env bash
# Set up everything dockyard needs on a fresh Debian 12 machine (run as root):
# the field's components from Debian, and the Python package with its test extras in .venv.
# Idempotent: apt runs only for packages that are missing, pip only when the venv is stale.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  runc conmon tini busybox-static            # OCI runtime, per-container monitor, --init, bootstrap image
  golang-github-containers-common            # /usr/share/containers/seccomp.json (Docker's default profile)
  iptables uidmap fuse-overlayfs slirp4netns # firewall rules, user namespaces, rootless fallbacks
  netavark aardvark-dns containernetworking-plugins
  skopeo docker-registry                     # registry interop peers for the tests
  docker-compose                             # the real compose (1.29) as an API client in the tests
  python3-venv
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.dockyard-installed
if [[ ! -f $stamp || pyproject.toml -nt $stamp ]]; then
  .venv/bin/pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/pip install -q -e '.[test]'
  touch "$stamp"
fi
# Bytecode ahead of time: where PYTHONDONTWRITEBYTECODE is set, every CLI call would
# otherwise compile the modules it imports again (~45 ms of each `dockyard run`).
.venv/bin/python -m compileall -q dockyard >/dev/null || true
echo "setup: ready (.venv/bin/dockyard, .venv/bin/dockyardd)"
