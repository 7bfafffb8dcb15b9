"""What ipsbench's instrumentation costs the load generator.

    python benchmarks/load_overhead.py [--seconds 10] [--users 32]

Against a trivial endpoint (nginx answering a fixed V2 response, so the server is not the limit),
one load process each: requests/s of a bare Locust FastHttpUser posting the same body, of one
ipsbench worker (`ipsbench run`, which also decodes every answer and records it in HDR), and of
wrk. Target: ipsbench at most 5% slower than bare Locust. Needs nginx and wrk (Debian packages).
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, ipsbench

from ipsbench.results import load_steps
from ipsbench.server.process import free_port, stop

ANSWER = '{"model_name":"fast","outputs":[{"name":"output","shape":[1,1],"datatype":"FP32","data":[0.5]}]}'
BODY = b'{"inputs":[{"name":"input","shape":[1,1],"datatype":"FP32","data":[0.5]}]}'


def start_nginx(tmp: Path, port: int) -> subprocess.Popen:
    conf = tmp / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log stderr warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {tmp};
  server {{
    listen 127.0.0.1:{port};
    location / {{ default_type application/json; return 200 '{ANSWER}'; }}
  }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(tmp)])
    time.sleep(0.5)
    return proc


def bare_locust(url: str, users: int, seconds: int, tmp: Path) -> float:
    """Requests/s after a 2 s warm-up, from Locust's per-second history (as ipsbench discards
    its warm-up)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(Path(__file__).with_name("bare_fasthttp_locustfile.py")),
            "--headless",
            "-u",
            str(users),
            "-r",
            "1000",
            "-t",
            f"{seconds + 2}s",
            "--host",
            url,
            "--csv",
            str(tmp / "bare"),
            "--csv-full-history",
            "--only-summary",
        ],
        check=True,
        capture_output=True,
    )
    with open(tmp / "bare_stats_history.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"]
    points = [(int(r["Timestamp"]), int(r["Total Request Count"])) for r in rows]
    start = next(p for p in points if p[0] >= points[0][0] + 2)
    end = points[-1]
    return (end[1] - start[1]) / max(1, end[0] - start[0])


def ipsbench_worker(url: str, users: int, seconds: int, tmp: Path) -> tuple[float, float]:
    ipsbench(
        "run",
        "--target",
        url,
        "--models",
        "fast",
        "--input-shape",
        "1",
        "--users",
        str(users),
        "--warmup",
        "2",
        "--window",
        "2",
        "--min-windows",
        str(max(1, seconds // 2)),
        "--max-windows",
        str(max(1, seconds // 2)),
        "--results",
        str(tmp),
        "--run-id",
        "overhead",
        capture_output=True,
    )
    step = load_steps(tmp / "overhead")[0][0]
    return step["requests"] / step["duration_s"], step["client_cpu_max"]


def wrk(url: str, users: int, seconds: int, tmp: Path) -> float:
    script = tmp / "post.lua"
    script.write_text(
        f'wrk.method = "POST"\nwrk.body = \'{BODY.decode()}\'\nwrk.headers["Content-Type"] = "application/json"\n'
    )
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{users}",
            f"-d{seconds}s",
            "-s",
            str(script),
            url + "/v2/models/fast/infer",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument(
        "--repeat", type=int, default=3, help="alternate the tools this often; medians are printed"
    )
    args = parser.parse_args()
    for tool in ("nginx", "wrk"):
        if shutil.which(tool) is None:
            print(
                f"benchmark: {tool} is not installed (apt-get install -y {tool})", file=sys.stderr
            )
            return 2
    os.chdir(REPO)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        port = free_port()
        nginx = start_nginx(tmp, port)
        url = f"http://127.0.0.1:{port}"
        bares, ours_runs, fasts, cpus = [], [], [], []
        try:
            for _ in range(args.repeat):  # alternated, so a noisy moment hits every tool alike
                bares.append(bare_locust(url, args.users, args.seconds, tmp))
                ours_, cpu_ = ipsbench_worker(url, args.users, args.seconds, tmp)
                ours_runs.append(ours_)
                cpus.append(cpu_)
                fasts.append(wrk(url, args.users, args.seconds, tmp))
                shutil.rmtree(tmp / "overhead", ignore_errors=True)
        finally:
            stop(nginx)
    bare, ours, fast, cpu = (statistics.median(x) for x in (bares, ours_runs, fasts, cpus))
    print(f"runs: bare {[round(b) for b in bares]}, ipsbench {[round(o) for o in ours_runs]}")
    print(
        f"trivial endpoint (nginx), {args.users} users/connections, one load process, "
        f"{args.seconds} s, median of {args.repeat}"
    )
    print(f"{'load generator':<34}{'req/s':>10}")
    print(f"{'wrk':<34}{fast:>10,.0f}")
    print(f"{'Locust FastHttpUser (bare)':<34}{bare:>10,.0f}")
    print(f"{'ipsbench worker (decode + HDR)':<34}{ours:>10,.0f}   worker CPU {cpu:.0f}%")
    print(f"\nipsbench / bare Locust: {ours / bare:.3f} ({(ours / bare - 1):+.1%}; target >= -5%)")
    print(f"ipsbench / wrk: {ours / fast:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
