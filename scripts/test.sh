#!/usr/bin/env bash
# Set everything up, then run the whole test suite (unit, golden, integration with real
# runc containers and real daemons). Each test session uses a private data root under /tmp.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest -n "${DOCKYARD_TEST_WORKERS:-2}" -q -p no:cacheprovider "$@" tests
