"""Synthetic models: the declared capacity is what a concurrent client measures."""

from __future__ import annotations

import http.client
import threading
import time
from pathlib import Path

import orjson
import pytest

from tests.server_proc import running_server

pytestmark = pytest.mark.slow
BODY = orjson.dumps(
    {"inputs": [{"name": "input", "shape": [1, 1], "datatype": "FP32", "data": [1.0]}]}
)


def _hammer(
    url: str, model: str, users: int, seconds: float, warmup: float = 0.5
) -> tuple[int, list[float]]:
    """Closed loop, no think time, keep-alive connections; counts answers in the window."""
    host, port = url.removeprefix("http://").split(":")
    t_start = time.monotonic() + warmup
    t_end = t_start + seconds
    counts = [0] * users
    latencies: list[list[float]] = [[] for _ in range(users)]
    errors: list[str] = []

    def user(i: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        while (now := time.monotonic()) < t_end:
            conn.request(
                "POST", f"/v2/models/{model}/infer", BODY, {"Content-Type": "application/json"}
            )
            response = conn.getresponse()
            response.read()
            done = time.monotonic()
            if response.status != 200:
                errors.append(str(response.status))
            elif t_start <= done < t_end:
                counts[i] += 1
                latencies[i].append(done - now)
        conn.close()

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    return sum(counts), [x for per_user in latencies for x in per_user]


def test_capacity_matches_the_declaration(tmp_path: Path) -> None:
    """20 ms x 4 slots = 200 inferences/s, measured within 5%.

    The rate is kept low on purpose: this client is Python threads sharing a GIL and two cores
    with the server, and at 800/s a busy CI machine measured the client (748/s), not the model.
    """
    with running_server(
        "--no-zoo", "--synthetic", "name=calib,service_ms=20,slots=4", "--data-dir", str(tmp_path)
    ) as url:
        seconds = 4.0
        answered, latencies = _hammer(url, "calib", users=16, seconds=seconds)
    rate = answered / seconds
    assert abs(rate - 200) <= 0.05 * 200, rate
    assert min(latencies) >= 0.020


def test_periodic_stall_shows_in_latency(tmp_path: Path) -> None:
    spec = "name=stall,service_ms=5,slots=2,stall_every_s=1,stall_s=0.3"
    with running_server("--no-zoo", "--synthetic", spec, "--data-dir", str(tmp_path)) as url:
        answered, latencies = _hammer(url, "stall", users=4, seconds=3.0)
    # Outside stalls the model answers in ~5 ms; a request caught by a stall waits it out.
    assert max(latencies) >= 0.2
    assert sorted(latencies)[len(latencies) // 2] < 0.05
    # 2 slots / 5 ms = 400/s, minus 30% of the time stalled.
    assert 0.55 * 400 <= answered / 3.0 <= 0.8 * 400
