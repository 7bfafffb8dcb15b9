"""Start a real `ipsbench serve` process on 127.0.0.1 for a test, and stop it by its PID."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import requests

from tests.helpers import REPO

SKIL_ENV = {"IPSBENCH_SKIL_USER": "bench", "IPSBENCH_SKIL_PASSWORD": "test-only-password"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_server(
    *args: str, ready_timeout: float = 120.0, env: dict | None = None, log: Path | None = None
) -> Iterator[str]:
    """Yields the base URL once /v2/health/ready answers 200."""
    port = free_port()
    full_env = {**os.environ, **SKIL_ENV, **(env or {})}
    out = open(log, "wb") if log else subprocess.DEVNULL
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ipsbench.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        cwd=REPO,
        env=full_env,
        stdout=out,
        stderr=subprocess.STDOUT if log else subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}; see {log}")
            try:
                if requests.get(url + "/v2/health/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready in time")
            time.sleep(0.2)
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()


def login(url: str) -> dict[str, str]:
    r = requests.post(
        url + "/login",
        json={
            "userId": SKIL_ENV["IPSBENCH_SKIL_USER"],
            "password": SKIL_ENV["IPSBENCH_SKIL_PASSWORD"],
        },
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}
