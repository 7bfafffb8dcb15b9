#!/usr/bin/env bash
# The whole test suite, slow tests included; `.ci/run` calls exactly this.
source "$(dirname "$0")/bootstrap.sh"
ruff check src tests
ruff format --check src tests
python -m pytest "$@"
