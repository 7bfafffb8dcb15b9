"""`ipsbench run` for real: Locust master and workers against real servers, results checked."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import requests

from ipsbench.load.histogram import decode
from tests.helpers import REPO, ZOO, assert_user_error, run_cli
from tests.server_proc import SKIL_ENV, running_server

pytestmark = pytest.mark.slow
FAST = ["--warmup", "1", "--window", "1", "--min-windows", "3", "--max-windows", "3"]
TWO_SECOND_WINDOWS = ["--warmup", "1", "--window", "2", "--min-windows", "3", "--max-windows", "3"]
STEP_KEYS = {
    "model",
    "protocol",
    "batch",
    "users",
    "app_servers",
    "model_servers",
    "duration_s",
    "requests",
    "inferences",
    "ips",
    "error_rate",
    "failures",
    "latency_ms",
    "server_ms",
    "hdr",
    "stable",
    "client_cpu_max",
    "client_bound",
    "started_at",
    "ended_at",
}


@pytest.fixture(scope="module")
def synthetic_server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("synthetic")
    with running_server(
        "--no-zoo",
        "--synthetic",
        "name=calib,service_ms=10,slots=4",
        "--synthetic",
        "name=fast,service_ms=1,slots=16",
        "--data-dir",
        str(tmp),
        log=tmp / "server.log",
    ) as url:
        yield url


def _run(tmp: Path, *args: str, timeout: float = 300) -> tuple[subprocess.CompletedProcess, Path]:
    result = run_cli(
        "run", "--results", str(tmp), "--run-id", "r", *args, env=SKIL_ENV, timeout=timeout
    )
    return result, tmp / "r"


def _steps(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "steps.jsonl").read_text().splitlines()]


def _stats(url: str, model: str) -> dict:
    return requests.get(f"{url}/v2/models/{model}/stats").json()["model_stats"][0]


@pytest.mark.parametrize(
    "protocol, extra", [("v2", []), ("v2", ["--binary"]), ("tfserving", []), ("skil", [])]
)
def test_every_protocol_against_the_reference_server(
    reference_server: str, tmp_path: Path, protocol: str, extra: list[str]
) -> None:
    before = _stats(reference_server, "mlp-100k")
    result, folder = _run(
        tmp_path,
        "--target",
        reference_server,
        "--protocol",
        protocol,
        "--models",
        "mlp-100k",
        "--users",
        "1,2",
        "--batch",
        "2",
        *extra,
        *FAST,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    after = _stats(reference_server, "mlp-100k")
    steps = _steps(folder)
    assert [(s["model"], s["users"]) for s in steps] == [("mlp-100k", 1), ("mlp-100k", 2)]
    for s in steps:
        assert STEP_KEYS <= set(s)
        assert (
            s["protocol"] == protocol
            and s["batch"] == 2
            and s["app_servers"] == 1
            and s["model_servers"] == 1
        )
        assert s["failures"] == {} and s["error_rate"] == 0
        assert s["inferences"] == 2 * s["requests"] > 0
        assert s["ips"] == pytest.approx(s["inferences"] / s["duration_s"], rel=0.01)
        hist = decode(s["hdr"])
        assert hist.get_total_count() == s["requests"]
        lat = s["latency_ms"]
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["p999"] <= lat["max"]
        assert s["server_ms"]["compute"] > 0
    # The server counted every measured request, plus warm-ups and the cut-off windows.
    served = (
        after["inference_stats"]["success"]["count"] - before["inference_stats"]["success"]["count"]
    )
    measured = sum(s["requests"] for s in steps)
    assert measured <= served <= measured * 2.2
    rows = after["inference_count"] - before["inference_count"]
    assert rows == 2 * served
    # Server-Timing, as the load engine aggregated it, agrees with the server's own counters.
    compute_ns = (
        after["inference_stats"]["compute_infer"]["ns"]
        - before["inference_stats"]["compute_infer"]["ns"]
    )
    server_mean_ms = compute_ns / served / 1e6
    ours = sum(s["server_ms"]["compute"] * s["requests"] for s in steps) / measured
    assert ours == pytest.approx(server_mean_ms, rel=0.35)
    assert (folder / "report.html").is_file()  # `ipsbench run` ends with its report
    run = json.loads((folder / "run.json").read_text())
    assert run["schema_version"] == 1 and run["status"] == "completed"
    assert run["topology"]["name"] == "1x1"
    assert run["target"]["self_description"]["url"] == reference_server
    assert run["system"]["cpu"]["cores"] and run["system"]["versions"]["locust"]
    assert run["configuration"]["protocol"] == protocol


@pytest.mark.parametrize("protocol", ["tfserving", "v2"])
def test_against_the_kserve_engine(kserve_server: str, tmp_path: Path, protocol: str) -> None:
    result, folder = _run(
        tmp_path,
        "--target",
        kserve_server,
        "--protocol",
        protocol,
        "--models",
        "identity",
        "--users",
        "2",
        *FAST,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (step,) = _steps(folder)
    assert step["requests"] > 0 and step["error_rate"] == 0 and step["server_ms"] is None


def test_synthetic_capacity_is_measured(synthetic_server: str, tmp_path: Path) -> None:
    """10 ms x 4 slots = 400/s: at 8 users IPS near 400; at 1 user p50 near 10 ms."""
    result, folder = _run(
        tmp_path,
        "--target",
        synthetic_server,
        "--models",
        "calib",
        "--users",
        "1,8",
        *TWO_SECOND_WINDOWS,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    one, eight = _steps(folder)
    # REST and wake-up costs on this 2-core VM add ~1.3 ms at 1 user (see README)
    assert abs(one["latency_ms"]["p50"] - 10.0) <= 2.0
    assert abs(eight["ips"] - 400) <= 0.05 * 400


def test_two_app_servers(synthetic_server: str, tmp_path: Path) -> None:
    result, folder = _run(
        tmp_path,
        "--target",
        synthetic_server,
        "--models",
        "fast",
        "--users",
        "4",
        "--app-servers",
        "2",
        *FAST,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (step,) = _steps(folder)
    assert step["app_servers"] == 2 and step["requests"] > 0
    run = json.loads((folder / "run.json").read_text())
    assert run["topology"]["name"] == "2x1"


def test_two_model_servers_share_the_load(tmp_path: Path) -> None:
    spec = "name=calib,service_ms=5,slots=4"
    with (
        running_server("--no-zoo", "--synthetic", spec, "--data-dir", str(tmp_path / "a")) as a,
        running_server("--no-zoo", "--synthetic", spec, "--data-dir", str(tmp_path / "b")) as b,
    ):
        result, folder = _run(
            tmp_path,
            "--target",
            f"{a},{b}",
            "--models",
            "calib",
            "--users",
            "8",
            "--app-servers",
            "2",
            *FAST,
        )
        counts = [_stats(url, "calib")["inference_stats"]["success"]["count"] for url in (a, b)]
    assert result.returncode == 0, result.stderr[-2000:]
    (step,) = _steps(folder)
    assert step["model_servers"] == 2 and step["app_servers"] == 2
    share = counts[0] / sum(counts)
    assert 0.4 <= share <= 0.6, counts
    # Two servers of 800/s each: the pinned users reach well past one server's capacity.
    assert step["ips"] > 900
    assert json.loads((folder / "run.json").read_text())["topology"]["name"] == "2x2"


def test_thresholds_set_exit_code_3(synthetic_server: str, tmp_path: Path) -> None:
    result, folder = _run(
        tmp_path,
        "--target",
        synthetic_server,
        "--models",
        "fast",
        "--users",
        "1",
        "--check-min-ips",
        "1000000",
        "--check-max-error-rate",
        "0",
        *FAST,
    )
    assert result.returncode == 3, result.stderr[-2000:]
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "completed" and "best stable IPS" in run["checks_failed"][0]
    result, _ = _run(
        tmp_path / "ok",
        "--target",
        synthetic_server,
        "--models",
        "fast",
        "--users",
        "1",
        "--check-max-error-rate",
        "0",
        "--check-max-p99-ms",
        "1000",
        *FAST,
    )
    assert result.returncode == 0, result.stderr[-2000:]


def test_skil_logs_in_again_after_expiry(tmp_path: Path) -> None:
    with running_server(
        "--no-zoo",
        "--synthetic",
        "name=fast,service_ms=1,slots=8",
        "--token-ttl-s",
        "2",
        "--data-dir",
        str(tmp_path / "d"),
    ) as url:
        result, folder = _run(
            tmp_path,
            "--target",
            url,
            "--protocol",
            "skil",
            "--models",
            "fast",
            "--users",
            "2",
            *TWO_SECOND_WINDOWS,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    (step,) = _steps(folder)
    assert step["requests"] > 100
    assert set(step["failures"]) <= {"http_401"}
    assert step["error_rate"] < 0.01


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--protocol", "grpc"], "--protocol 'grpc'"),
        (["--users", "1,x"], "--users '1,x'"),
        (["--models", "mlp-2m"], "unknown model 'mlp-2m'"),
        (["--target", "http://127.0.0.1:9", "--models", "calib"], "cannot reach the target"),
        (["--profile", "huge"], "--profile 'huge'"),
        (["--resume", "/nonexistent"], "not a results folder"),
    ],
)
def test_bad_input_before_any_load(tmp_path: Path, args: list[str], fragment: str) -> None:
    result, folder = _run(tmp_path, *args)
    assert_user_error(result, fragment)
    assert not (folder / "steps.jsonl").exists()


def test_a_target_that_does_not_speak_the_protocol(synthetic_server: str, tmp_path: Path) -> None:
    result, _ = _run(
        tmp_path,
        "--target",
        synthetic_server,
        "--protocol",
        "skil",
        "--models",
        "calib",
        "--deployment",
        "nowhere",
    )
    assert_user_error(result, "answered HTTP 404")
    with running_server("--no-zoo", "--synthetic", "name=x,service_ms=1,slots=1") as url:
        pass  # a port where nothing listens any more
    result, _ = _run(tmp_path, "--target", url, "--models", "x")
    assert_user_error(result, "cannot reach")


def _start_run(tmp: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ipsbench.cli",
            "run",
            "--results",
            str(tmp),
            "--run-id",
            "r",
            *args,
        ],
        cwd=REPO,
        env={**__import__("os").environ, **SKIL_ENV, "IPSBENCH_ZOO": str(ZOO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_steps(folder: Path, n: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        path = folder / "steps.jsonl"
        if path.exists() and len(path.read_text().splitlines()) >= n:
            return
        time.sleep(0.2)
    raise AssertionError(f"{n} step(s) not finished in time")


def test_sigterm_keeps_finished_steps_and_resume_finishes(
    synthetic_server: str, tmp_path: Path
) -> None:
    args = ["--target", synthetic_server, "--models", "fast", "--users", "1,2,3,4", *FAST]
    proc = _start_run(tmp_path, *args)
    folder = tmp_path / "r"
    _wait_steps(folder, 1)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "interrupted"
    done = [s["users"] for s in _steps(folder)]
    assert 1 <= len(done) < 4 and done == [1, 2, 3, 4][: len(done)]
    result = run_cli("run", "--resume", str(folder), *args, env=SKIL_ENV, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(s["users"] for s in _steps(folder)) == [1, 2, 3, 4]
    assert json.loads((folder / "run.json").read_text())["status"] == "completed"


def test_a_model_server_dying_mid_run_is_counted(tmp_path: Path) -> None:
    with running_server(
        "--no-zoo",
        "--synthetic",
        "name=fast,service_ms=1,slots=8",
        "--data-dir",
        str(tmp_path / "d"),
    ) as url:
        proc = _start_run(
            tmp_path,
            "--target",
            url,
            "--models",
            "fast",
            "--users",
            "1,2,3",
            "--timeout",
            "2",
            *FAST,
        )
        folder = tmp_path / "r"
        _wait_steps(folder, 1)
        port = url.rsplit(":", 1)[1]
        server = next(
            p for p in psutil.Process().children() if f"--port {port} " in " ".join(p.cmdline())
        )
        server.kill()  # the server this test started, by its PID
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err[-2000:]
    steps = _steps(folder)
    assert len(steps) == 3
    assert steps[0]["error_rate"] == 0
    assert steps[-1]["failures"].get("connection", 0) > 0 and steps[-1]["inferences"] == 0


def test_a_worker_dying_is_noticed(synthetic_server: str, tmp_path: Path) -> None:
    proc = _start_run(
        tmp_path,
        "--target",
        synthetic_server,
        "--models",
        "fast",
        "--users",
        "2,4,6",
        "--app-servers",
        "2",
        *FAST,
    )
    folder = tmp_path / "r"
    _wait_steps(folder, 1)
    workers = [p for p in psutil.Process(proc.pid).children() if "--worker" in p.cmdline()]
    workers[0].kill()  # started (indirectly) by this test, ended by its PID
    out, err = proc.communicate(timeout=180)
    steps = _steps(folder)
    assert any(s["worker_lost"] for s in steps[1:]), [s["worker_lost"] for s in steps]
    assert json.loads((folder / "run.json").read_text())["status"] in ("completed", "interrupted")
