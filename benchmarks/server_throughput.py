"""Reference server vs KServe, and REST IPS vs the in-process ceiling, measured with wrk.

    python benchmarks/server_throughput.py [--models models/build] [--seconds 10] [--rounds 3]

Prints, in one run on this machine:
1. requests/s for mlp-100k at batch 1 (TF Serving-style `:predict`, 32 connections) of the
   reference server (batching off, and with --max-batch 32) and of the KServe engine;
2. the reference server's REST IPS at batch 32 for mlp-10m and cnn-1m (JSON `:predict` and V2
   binary tensors, 4 connections) beside the manifest's in-process baseline at batch 32.
wrk (Debian package `wrk`) is the load because it costs the client little CPU; on 2 cores it
still takes some of the server's, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import orjson
from common import REPO, SKIL_ENV, ipsbench

from ipsbench.server.process import serving


def wrk(
    url: str, body: bytes, headers: dict[str, str], connections: int, seconds: float, tmp: Path
) -> dict:
    body_file = tmp / "body.bin"
    body_file.write_bytes(body)
    lines = [
        f'local f = io.open("{body_file}", "rb")',
        'wrk.body = f:read("*a")',
        "f:close()",
        'wrk.method = "POST"',
    ]
    lines += [f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()]
    script = tmp / "post.lua"
    script.write_text("\n".join(lines) + "\n")
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    return {
        "rps": rps,
        "non_2xx": int(bad.group(1)) if bad else 0,
        "p50_ms": float(p50.group(1)) * scale[p50.group(2)] if p50 else None,
    }


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] or 0.0 for r in runs)


def json_body(shape: tuple[int, ...], batch: int) -> bytes:
    x = np.random.default_rng(1).standard_normal((batch, *shape)).astype(np.float32)
    return orjson.dumps({"instances": x}, option=orjson.OPT_SERIALIZE_NUMPY)


def v2_binary_body(shape: tuple[int, ...], batch: int) -> tuple[bytes, int]:
    raw = np.random.default_rng(1).standard_normal((batch, *shape)).astype("<f4").tobytes()
    header = orjson.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "shape": [batch, *shape],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": len(raw)},
                }
            ],
            "parameters": {"binary_data_output": True},
        }
    )
    return header + raw, len(header)


def compare_engines(models: Path, seconds: float, rounds: int, tmp: Path) -> dict[str, list[dict]]:
    """wrk runs per engine for mlp-100k at batch 1, 32 connections.

    All engines run at once (idle but the one under load) and take turns round by round, so a
    slow minute on this shared machine hits every engine alike.
    """
    engines = {
        "reference": [],
        "reference --max-batch 32": ["--max-batch", "32"],
        "kserve": ["--engine", "kserve"],
    }
    body, headers = json_body((100,), 1), {"Content-Type": "application/json"}
    runs: dict[str, list[dict]] = {label: [] for label in engines}
    with contextlib.ExitStack() as servers:
        urls = {
            label: servers.enter_context(
                serving(
                    "--models",
                    str(models),
                    "--model",
                    "mlp-100k",
                    *extra,
                    env=SKIL_ENV,
                    log=tmp / f"server-{i}.log",
                    cwd=REPO,
                )
            )
            + "/v1/models/mlp-100k:predict"
            for i, (label, extra) in enumerate(engines.items())
        }
        for url in urls.values():
            wrk(url, body, headers, 32, 2, tmp)  # warm-up
        for _ in range(rounds):
            for label, url in urls.items():
                runs[label].append(wrk(url, body, headers, 32, seconds, tmp))
    return runs


def rest_at_batch_32(
    models: Path, name: str, shape: tuple[int, ...], seconds: float, rounds: int, tmp: Path
) -> dict[str, list[dict]]:
    """wrk runs of the reference server for one model at batch 32, JSON and V2 binary, 4
    connections, the two wires alternating."""
    binary_body, header_length = v2_binary_body(shape, 32)
    calls = {
        "json": (
            f"/v1/models/{name}:predict",
            json_body(shape, 32),
            {"Content-Type": "application/json"},
        ),
        "v2-binary": (
            f"/v2/models/{name}/infer",
            binary_body,
            {
                "Content-Type": "application/octet-stream",
                "Inference-Header-Content-Length": str(header_length),
            },
        ),
    }
    runs: dict[str, list[dict]] = {wire: [] for wire in calls}
    with serving(
        "--models", str(models), "--model", name, env=SKIL_ENV, log=tmp / "server.log", cwd=REPO
    ) as url:
        path, body, headers = calls["json"]
        wrk(url + path, body, headers, 4, 2, tmp)  # warm-up
        for _ in range(rounds):
            for wire, (path, body, headers) in calls.items():
                runs[wire].append(wrk(url + path, body, headers, 4, seconds, tmp))
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=Path, default=REPO / "models" / "build")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per figure (median)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmark: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    ipsbench("models", "build", "mlp-100k", "mlp-10m", "cnn-1m", "--out", str(args.models))
    manifest = {
        m["name"]: m for m in json.loads((args.models / "manifest.json").read_text())["models"]
    }
    rounds = max(1, args.rounds)
    rest: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        results = compare_engines(args.models, args.seconds, rounds, tmp)
        for name in ("mlp-10m", "cnn-1m"):
            shape = tuple(manifest[name]["input"]["shape"][1:])
            by_wire = rest_at_batch_32(args.models, name, shape, args.seconds, rounds, tmp)
            rest.update({(name, wire): runs for wire, runs in by_wire.items()})

    print(
        f"\nmlp-100k, batch 1, TF Serving :predict, 32 connections (wrk; median of {rounds} "
        f"rounds of {args.seconds:g} s, engines alternating)"
    )
    print(f"{'engine':<28}{'req/s':>10}{'min-max':>17}{'p50 ms':>9}{'non-2xx':>9}")
    median = {label: _median(runs, "rps") for label, runs in results.items()}
    for label, runs in results.items():
        spread = f"{min(r['rps'] for r in runs):,.0f}-{max(r['rps'] for r in runs):,.0f}"
        print(
            f"{label:<28}{median[label]:>10,.0f}{spread:>17}"
            f"{_median(runs, 'p50_ms'):>9.2f}{sum(r['non_2xx'] for r in runs):>9}"
        )
    for label in ("reference", "reference --max-batch 32"):
        print(f"{label} / kserve: {median[label] / median['kserve']:.2f}x (target >= 1.5x)")
    print(
        "\nreference server, batch 32, 4 connections: REST IPS vs in-process baseline at batch 32"
        f" (median of {rounds})"
    )
    print(f"{'model':<10}{'wire':<11}{'REST IPS':>10}{'in-process':>12}{'ratio':>8}{'non-2xx':>9}")
    for (name, wire), runs in rest.items():
        base = manifest[name]["baseline"]["batch_32"]["ips"]
        ips = _median(runs, "rps") * 32
        bad = sum(r["non_2xx"] for r in runs)
        print(f"{name:<10}{wire:<11}{ips:>10,.0f}{base:>12,.0f}{ips / base:>8.0%}{bad:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
