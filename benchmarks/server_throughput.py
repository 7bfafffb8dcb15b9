"""Reference server vs KServe, and REST IPS vs the in-process ceiling, measured with wrk.

    python benchmarks/server_throughput.py [--models models/build] [--seconds 10]

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
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import orjson

from ipsbench.server.process import serving

REPO = Path(__file__).resolve().parents[1]
SKIL = {"IPSBENCH_SKIL_USER": "bench", "IPSBENCH_SKIL_PASSWORD": "benchmark-only"}


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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=Path, default=REPO / "models" / "build")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("benchmark: wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipsbench.cli",
            "models",
            "build",
            "mlp-100k",
            "mlp-10m",
            "cnn-1m",
            "--out",
            str(args.models),
        ],
        check=True,
        cwd=REPO,
    )
    manifest = {
        m["name"]: m for m in json.loads((args.models / "manifest.json").read_text())["models"]
    }
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        small = json_body((100,), 1)
        json_headers = {"Content-Type": "application/json"}
        engines = [
            ("reference", []),
            ("reference --max-batch 32", ["--max-batch", "32"]),
            ("kserve", ["--engine", "kserve"]),
        ]
        for label, extra in engines:
            with serving(
                "--models",
                str(args.models),
                "--model",
                "mlp-100k",
                *extra,
                env=SKIL,
                log=tmp / "server.log",
                cwd=REPO,
            ) as url:
                wrk(url + "/v1/models/mlp-100k:predict", small, json_headers, 32, 2, tmp)  # warm-up
                results[label] = wrk(
                    url + "/v1/models/mlp-100k:predict", small, json_headers, 32, args.seconds, tmp
                )
        rest = {}
        for name in ("mlp-10m", "cnn-1m"):
            shape = tuple(manifest[name]["input"]["shape"][1:])
            with serving(
                "--models",
                str(args.models),
                "--model",
                name,
                env=SKIL,
                log=tmp / "server.log",
                cwd=REPO,
            ) as url:
                body = json_body(shape, 32)
                wrk(url + f"/v1/models/{name}:predict", body, json_headers, 4, 2, tmp)
                rest[(name, "json")] = wrk(
                    url + f"/v1/models/{name}:predict", body, json_headers, 4, args.seconds, tmp
                )
                body, n = v2_binary_body(shape, 32)
                headers = {
                    "Content-Type": "application/octet-stream",
                    "Inference-Header-Content-Length": str(n),
                }
                rest[(name, "v2-binary")] = wrk(
                    url + f"/v2/models/{name}/infer", body, headers, 4, args.seconds, tmp
                )

    print("\nmlp-100k, batch 1, TF Serving :predict, 32 connections (wrk)")
    print(f"{'engine':<28}{'req/s':>10}{'p50 ms':>10}{'non-2xx':>9}")
    for label, r in results.items():
        print(f"{label:<28}{r['rps']:>10,.0f}{r['p50_ms'] or 0:>10.2f}{r['non_2xx']:>9}")
    kserve = results["kserve"]["rps"]
    for label in ("reference", "reference --max-batch 32"):
        print(f"{label} / kserve: {results[label]['rps'] / kserve:.2f}x (target >= 1.5x)")
    print(
        "\nreference server, batch 32, 4 connections: REST IPS vs in-process baseline at batch 32"
    )
    print(f"{'model':<10}{'wire':<11}{'REST IPS':>10}{'in-process':>12}{'ratio':>8}{'non-2xx':>9}")
    for (name, wire), r in rest.items():
        base = manifest[name]["baseline"]["batch_32"]["ips"]
        ips = r["rps"] * 32
        print(f"{name:<10}{wire:<11}{ips:>10,.0f}{base:>12,.0f}{ips / base:>8.0%}{r['non_2xx']:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
