"""`ipsbench serve --engine kserve`: hand over to KServe's ModelServer in its own environment."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ipsbench.errors import UserError

PYTHON_ENV = "IPSBENCH_KSERVE_PYTHON"


def kserve_python() -> Path:
    """`$IPSBENCH_KSERVE_PYTHON`, else `.venv-kserve/bin/python` at the project root."""
    configured = os.environ.get(PYTHON_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / ".venv-kserve" / "bin" / "python"


def serve_kserve(args: argparse.Namespace) -> int:
    """Replace this process with the KServe engine (so its PID is the server's PID)."""
    python = kserve_python()
    if not python.exists():
        raise UserError(
            f"KServe's environment is missing ({python}); create it with `bash scripts/kserve-venv.sh`"
        )
    if args.synthetic or args.max_batch:
        raise UserError(
            "--synthetic and --max-batch are features of the reference engine, not of KServe"
        )
    if not (args.models / "manifest.json").exists():
        raise UserError(
            f"no built zoo in {args.models} (no manifest.json); run `ipsbench models build`"
        )
    argv = [
        str(python),
        "-m",
        "ipsbench.server.kserve_engine",
        "--models",
        str(args.models.resolve()),
        "--host",
        args.host,
        "--port",
        str(args.port),
    ]
    for name in args.only:
        argv += ["--model", name]
    os.execv(str(python), argv)
    return 0  # not reached
