"""Start an `ipsbench serve` process on loopback, wait until it is ready, stop it by its PID.

Used by the main job (the embedded default target), the benchmarks and the tests.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def answers(url: str) -> bool:
    """True when `url` answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def wait_until_answers(
    url: str, timeout_s: float = 60.0, proc: subprocess.Popen | None = None
) -> None:
    """Poll `url` until it answers 200; RuntimeError if `proc` exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not answers(url):
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the process serving {url} exited with code {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")
        time.sleep(0.2)


@contextlib.contextmanager
def serving(
    *args: str,
    host: str = "127.0.0.1",
    port: int | None = None,
    env: dict[str, str] | None = None,
    log: Path | None = None,
    ready_timeout_s: float = 180.0,
    cwd: Path | None = None,
) -> Iterator[str]:
    """Yields the server's base URL once `/v2/health/ready` answers 200."""
    port = port or free_port(host)
    out: IO[bytes] | int = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [sys.executable, "-m", "ipsbench.cli", "serve", "--host", host, "--port", str(port), *args],
        env={**os.environ, **(env or {})},
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
        cwd=cwd,
    )
    url = f"http://{host}:{port}"
    try:
        try:
            wait_until_answers(url + "/v2/health/ready", ready_timeout_s, proc)
        except RuntimeError as exc:
            where = f"; see {log}" if log else ""
            raise RuntimeError(f"the model server did not come up: {exc}{where}") from None
        yield url
    finally:
        stop(proc)
        if log and not isinstance(out, int):
            out.close()


def stop(proc: subprocess.Popen, grace_s: float = 15.0) -> None:
    """SIGTERM, then SIGKILL after `grace_s`: only the process we started, by its PID."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
