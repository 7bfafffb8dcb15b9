#!/usr/bin/env bash
# The whole test suite, slow tests included; `.ci/run` calls exactly this.
source "$(dirname "$0")/bootstrap.sh"
bash "$ROOT/scripts/system-packages.sh"   # chromium, wrk
bash "$ROOT/scripts/kserve-venv.sh"   # KServe, the second engine the protocol tests run against
ruff check src tests benchmarks locustfiles
ruff format --check src tests benchmarks locustfiles
python -m pytest "$@"
