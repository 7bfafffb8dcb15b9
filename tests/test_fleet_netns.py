"""The three topologies on real separate hosts (network namespaces), and faults among them.

Each host has its own address on a bridge: two model-server hosts (the reference server with a
synthetic model, so no TensorFlow), two app-server hosts (Locust workers) and the master's host,
where `ipsbench run --external-workers N` runs. All traffic stays inside these namespaces.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipsbench.load.run import LOCUSTFILE
from tests.helpers import REPO, ZOO
from tests.netns import Network, can_make_namespaces

pytestmark = pytest.mark.slow
PORT, MASTER_PORT = 9008, 5557
ENV = {
    **os.environ,
    "IPSBENCH_SKIL_USER": "bench",
    "IPSBENCH_SKIL_PASSWORD": "fleet-test",
    "IPSBENCH_ZOO": str(ZOO),
}
STEP = ["--warmup", "1", "--window", "1", "--min-windows", "3", "--max-windows", "3"]


@pytest.fixture(scope="module")
def fleet():
    reason = can_make_namespaces()
    if reason:
        pytest.skip(reason)
    with Network() as net:
        net.host("master")
        servers = []
        for i in range(2):
            address = net.host(f"m{i}")
            servers.append(
                net.popen(
                    f"m{i}",
                    [
                        sys.executable,
                        "-m",
                        "ipsbench.cli",
                        "serve",
                        "--no-zoo",
                        "--synthetic",
                        "name=calib,service_ms=5,slots=4",
                        "--host",
                        address,
                        "--port",
                        str(PORT),
                    ],
                    cwd=REPO,
                    env=ENV,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for i in range(2):
            net.host(f"a{i}")
        try:
            for i in range(2):
                _wait_ready(net, _url(net, i))
            yield net
        finally:
            for proc in servers:
                proc.kill()  # started by this fixture, ended by PID
                proc.wait()


def _url(net: Network, server: int) -> str:
    return f"http://{net.hosts[f'm{server}']}:{PORT}"


def _get_json(net: Network, url: str) -> dict:
    code = f"import urllib.request,sys;sys.stdout.write(urllib.request.urlopen({url!r},timeout=5).read().decode())"
    result = net.run("master", [sys.executable, "-c", code])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _wait_ready(net: Network, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    code = f"import urllib.request;urllib.request.urlopen({url + '/v2/health/ready'!r},timeout=1)"
    while net.run("master", [sys.executable, "-c", code]).returncode != 0:
        assert time.monotonic() < deadline, f"{url} not ready"
        time.sleep(0.3)


def _served(net: Network, servers: int) -> list[int]:
    return [
        _get_json(net, _url(net, i) + "/v2/models/calib/stats")["model_stats"][0]["inference_count"]
        for i in range(servers)
    ]


def _start(
    net: Network, tmp: Path, apps: int, servers: int, users: str, run_id: str
) -> tuple[subprocess.Popen, list]:
    targets = ",".join(_url(net, i) for i in range(servers))
    run = net.popen(
        "master",
        [
            sys.executable,
            "-m",
            "ipsbench.cli",
            "run",
            "--target",
            targets,
            "--models",
            "calib",
            "--users",
            users,
            "--external-workers",
            str(apps),
            "--master-bind-host",
            net.hosts["master"],
            "--master-port",
            str(MASTER_PORT),
            "--timeout",
            "2",
            "--results",
            str(tmp),
            "--run-id",
            run_id,
            *STEP,
        ],
        cwd=REPO,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)  # the master binds after its probe requests
    workers = [
        net.popen(
            f"a{i}",
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(LOCUSTFILE),
                "--worker",
                "--master-host",
                net.hosts["master"],
                "--master-port",
                str(MASTER_PORT),
                "--ips-targets",
                targets,
                "--ips-timeout",
                "2",
            ],
            cwd=REPO,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(apps)
    ]
    return run, workers


def _finish(run: subprocess.Popen, workers: list, timeout: float = 180) -> tuple[int, str]:
    try:
        _, err = run.communicate(timeout=timeout)
    finally:
        for w in workers:
            try:
                w.wait(timeout=15)  # workers quit when the master does
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
    return run.returncode, err


def _wait_first_step(folder: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not (folder / "steps.jsonl").exists():
        assert time.monotonic() < deadline, "no step finished in time"
        time.sleep(0.2)


def _steps(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("apps, servers", [(1, 1), (2, 1), (2, 2)])
def test_topologies_on_separate_hosts(
    fleet: Network, tmp_path: Path, apps: int, servers: int
) -> None:
    before = _served(fleet, 2)
    run, workers = _start(fleet, tmp_path, apps, servers, "8", f"{apps}x{servers}")
    code, err = _finish(run, workers)
    assert code == 0, err[-2000:]
    after = _served(fleet, 2)
    folder = tmp_path / f"{apps}x{servers}"
    (step,) = _steps(folder)
    run_json = json.loads((folder / "run.json").read_text())
    assert run_json["topology"]["name"] == f"{apps}x{servers}"
    assert (step["app_servers"], step["model_servers"]) == (apps, servers)
    served = [a - b for a, b in zip(after, before, strict=True)]
    # The servers counted every measured inference, plus warm-up and the cut-off window.
    assert step["inferences"] <= sum(served) <= 2.2 * step["inferences"], (
        served,
        step["inferences"],
    )
    assert step["error_rate"] == 0
    if servers == 2:
        share = served[0] / sum(served)
        assert 0.35 <= share <= 0.65, served
    else:
        assert served[1] == 0
    print(
        f"{apps}x{servers}: {step['ips']:.1f} IPS, p99 {step['latency_ms']['p99']} ms, "
        f"client CPU max {step['client_cpu_max']}%"
    )


def test_a_worker_host_dies_mid_run(fleet: Network, tmp_path: Path) -> None:
    run, workers = _start(fleet, tmp_path, 2, 1, "4,8,12", "worker-dies")
    folder = tmp_path / "worker-dies"
    _wait_first_step(folder)
    workers[1].kill()  # the app-server host's Locust worker, by its PID
    code, err = _finish(run, workers)
    steps = _steps(folder)
    assert code == 0, err[-2000:]
    assert len(steps) == 3 and not steps[0]["worker_lost"]
    assert any(s["worker_lost"] for s in steps[1:])
    assert steps[-1]["requests"] > 0  # the run went on with the other app server
    print("worker killed:", [(s["users"], s["worker_lost"], round(s["ips"])) for s in steps])


def test_a_model_server_host_cut_off(fleet: Network, tmp_path: Path) -> None:
    run, workers = _start(fleet, tmp_path, 1, 2, "4,8", "cut")
    folder = tmp_path / "cut"
    _wait_first_step(folder)
    started = time.monotonic()
    fleet.cut("m1")
    try:
        code, err = _finish(run, workers, timeout=120)
    finally:
        subprocess.run(
            ["ip", "-n", fleet.switch, "link", "set", fleet._links["m1"], "up"], capture_output=True
        )
    steps = _steps(folder)
    assert code == 0, err[-2000:]
    assert time.monotonic() - started < 60  # bounded by the 2 s request timeout, no hang
    assert steps[0]["error_rate"] == 0
    last = steps[-1]
    assert set(last["failures"]) <= {"timeout", "connection"} and sum(last["failures"].values()) > 0
    assert last["inferences"] > 0  # users pinned to the other server kept going
    print("server cut off:", last["failures"], round(last["ips"]))


def test_the_master_stopped_with_sigterm(fleet: Network, tmp_path: Path) -> None:
    run, workers = _start(fleet, tmp_path, 1, 1, "2,4,6,8", "stopped")
    folder = tmp_path / "stopped"
    _wait_first_step(folder)
    run.send_signal(signal.SIGTERM)
    code, _ = _finish(run, workers, timeout=60)
    assert code == 130
    assert json.loads((folder / "run.json").read_text())["status"] == "interrupted"
    assert 1 <= len(_steps(folder)) < 4
