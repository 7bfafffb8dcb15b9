"""What the benchmarks share: the repository root, fixed credentials, the CLI as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# Fixed SKIL credentials, so the reference server does not generate and print a password.
SKIL_ENV = {"IPSBENCH_SKIL_USER": "bench", "IPSBENCH_SKIL_PASSWORD": "benchmark-only"}


def ipsbench(*args: str, **run_kwargs: Any) -> subprocess.CompletedProcess:
    """`python -m ipsbench.cli ARGS` from the repository root; raises if it fails."""
    return subprocess.run(
        [sys.executable, "-m", "ipsbench.cli", *args],
        check=True,
        cwd=REPO,
        env={**os.environ, **SKIL_ENV},
        **run_kwargs,
    )
