#!/usr/bin/env bash
# KServe's own environment for `ipsbench serve --engine kserve` (KServe pins protobuf<7 and
# psutil==5.9.8, which clash with ours). Idempotent; reinstalls when this file changes.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-kserve"
STAMP="$VENV/.ipsbench-installed"
WANT="$(sha256sum "$0" | cut -d' ' -f1)"
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  echo "installing KServe and TensorFlow into .venv-kserve" >&2
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q "kserve>=0.21,<0.22" "tensorflow-cpu>=2.16"
  # ipsbench itself without its dependencies: the engine needs only its manifest reader.
  "$VENV/bin/python" -m pip install -q --no-deps -e "$ROOT"
  echo "$WANT" > "$STAMP"
fi
