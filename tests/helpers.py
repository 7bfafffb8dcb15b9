"""Shared test helpers: run the real `ipsbench` CLI as a process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ZOO = REPO / "models" / "zoo.toml"


def run_cli(
    *args: str, cwd: Path | None = None, timeout: float = 900, env: dict | None = None
) -> subprocess.CompletedProcess:
    full_env = dict(os.environ, IPSBENCH_ZOO=str(ZOO), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "ipsbench.cli", *args],
        cwd=cwd or REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=full_env,
    )


def assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit 2, exactly one line on stderr starting `ipsbench: error:`, no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip() and not _tf_noise(line)]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("ipsbench: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def _tf_noise(line: str) -> bool:
    # TensorFlow's C++ runtime prints these at import, before any of our code can stop it.
    return line.startswith(("I0000", "W0000", "WARNING: All log messages before absl"))
