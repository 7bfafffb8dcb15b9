"""Real `ipsbench serve` processes for tests (on 127.0.0.1), with test-only SKIL credentials."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import requests

from ipsbench.server.process import serving
from tests.helpers import REPO

SKIL_ENV = {"IPSBENCH_SKIL_USER": "bench", "IPSBENCH_SKIL_PASSWORD": "test-only-password"}


@contextlib.contextmanager
def running_server(*args: str, env: dict | None = None, log: Path | None = None) -> Iterator[str]:
    with serving(*args, env={**SKIL_ENV, **(env or {})}, log=log, cwd=REPO) as url:
        yield url


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
