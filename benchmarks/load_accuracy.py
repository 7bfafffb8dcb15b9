"""How exactly `ipsbench run` measures a server of known capacity.

    python benchmarks/load_accuracy.py

Starts the reference server with a synthetic model of 10 ms x 4 slots (400 inferences/s) and runs
`ipsbench run` over 1, 2, 8 and 16 users. Targets: at users >= 2x slots the measured IPS within
±3% of 400; at 1 user the p50 within 1 ms of the 10 ms service time.

Before the run, a bare client (one blocking socket, one request at a time, no HTTP library)
measures the same model's p50: what the server and this machine add to the service time with
almost nothing on the client side. The difference between ipsbench's p50 and that one is the
load engine's own share.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, SKIL_ENV, ipsbench

from ipsbench.bare_client import connect, exchange, post_request
from ipsbench.results import load_steps
from ipsbench.server.process import serving

CAPACITY, SERVICE_MS = 400.0, 10.0


def bare_client_p50_ms(url: str, model: str, requests: int = 400, warmup: int = 50) -> float:
    """p50 of sequential V2 requests from `ipsbench.bare_client` over one keep-alive socket."""
    body = json.dumps(
        {"inputs": [{"name": "input", "shape": [1, 1], "datatype": "FP32", "data": [1.0]}]}
    ).encode()
    request = post_request(url, f"/v2/models/{model}/infer", body)
    latencies = []
    with connect(url) as sock:
        for i in range(requests + warmup):
            started = time.perf_counter()
            status, _ = exchange(sock, request)
            if status != 200:
                raise RuntimeError(f"the server answered {status}")
            if i >= warmup:
                latencies.append((time.perf_counter() - started) * 1000)
    return statistics.median(latencies)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with serving(
            "--no-zoo",
            "--synthetic",
            "name=calib,service_ms=10,slots=4",
            env=SKIL_ENV,
            cwd=REPO,
            log=tmp / "server.log",
        ) as url:
            bare_p50 = bare_client_p50_ms(url, "calib")
            ipsbench(
                "run",
                "--target",
                url,
                "--models",
                "calib",
                "--users",
                "1,2,8,16",
                "--warmup",
                "2",
                "--window",
                "2",
                "--min-windows",
                "3",
                "--max-windows",
                "5",
                "--results",
                str(tmp),
                "--run-id",
                "acc",
                stdout=subprocess.DEVNULL,
            )
        steps = load_steps(tmp / "acc")[0]
    print(f"synthetic model: {SERVICE_MS:.0f} ms x 4 slots = {CAPACITY:.0f} inferences/s")
    print(f"{'users':>5} {'IPS':>8} {'vs capacity':>12} {'p50 ms':>8} {'p99 ms':>8} {'stable':>7}")
    for s in steps:
        expected = min(CAPACITY, s["users"] / (SERVICE_MS / 1000))
        print(
            f"{s['users']:>5} {s['ips']:>8.1f} {s['ips'] / expected - 1:>+11.1%} "
            f"{s['latency_ms']['p50']:>8.2f} {s['latency_ms']['p99']:>8.2f} {str(s['stable']):>7}"
        )
    one = steps[0]
    print(
        f"\n1 user: p50 {one['latency_ms']['p50']:.2f} ms = service time + "
        f"{one['latency_ms']['p50'] - SERVICE_MS:.2f} ms (target: within 1 ms)"
    )
    print(
        f"        a bare socket client: p50 {bare_p50:.2f} ms (server + this machine); "
        f"the load engine adds {one['latency_ms']['p50'] - bare_p50:+.2f} ms to it"
    )
    worst = max(abs(s["ips"] / CAPACITY - 1) for s in steps if s["users"] >= 8)
    print(f"users >= 8: worst IPS deviation from capacity {worst:.1%} (target: within 3%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
