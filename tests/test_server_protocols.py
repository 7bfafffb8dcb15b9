"""TF Serving REST and KServe V2 against a real server process (see conftest's fixtures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import orjson
import pytest
import requests

pytestmark = pytest.mark.slow
RNG = np.random.default_rng(11)
X = RNG.standard_normal((3, 100)).astype(np.float32)


@pytest.fixture(scope="module")
def expected(built_zoo: Path) -> np.ndarray:
    from ipsbench.tf_env import import_tf

    _, keras = import_tf()
    model = keras.models.load_model(built_zoo / "keras" / "mlp-100k.keras", compile=False)
    return model(X, training=False).numpy()


def _close(got, want) -> None:
    np.testing.assert_allclose(np.asarray(got, dtype=np.float32), want, rtol=1e-4, atol=1e-6)


def test_tfserving_status_and_metadata(server) -> None:
    server.lacks("TF Serving's model status and metadata")
    status = requests.get(server.url + "/v1/models/mlp-100k").json()
    assert status["model_version_status"][0]["state"] == "AVAILABLE"
    assert requests.get(server.url + "/v1/models/mlp-100k/versions/1").status_code == 200
    meta = requests.get(server.url + "/v1/models/mlp-100k/metadata").json()
    sig = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]
    dims = [int(d["size"]) for d in sig["inputs"]["input"]["tensor_shape"]["dim"]]
    assert dims == [-1, 100]


@pytest.mark.parametrize(
    "path", ["/v1/models/mlp-100k:predict", "/v1/models/mlp-100k/versions/1:predict"]
)
def test_tfserving_row_form(server, expected: np.ndarray, path: str) -> None:
    if "versions" in path:
        server.lacks("/versions/{v}:predict")
    r = requests.post(server.url + path, json={"instances": X.tolist()})
    assert r.status_code == 200, r.text
    _close(r.json()["predictions"], expected)


def test_tfserving_row_form_with_named_inputs(server, expected: np.ndarray) -> None:
    r = requests.post(
        server.url + "/v1/models/mlp-100k:predict",
        json={"instances": [{"input": row} for row in X.tolist()]},
    )
    assert r.status_code == 200, r.text
    _close(r.json()["predictions"], expected)


def test_tfserving_column_form(server, expected: np.ndarray) -> None:
    r = requests.post(server.url + "/v1/models/mlp-100k:predict", json={"inputs": X.tolist()})
    assert r.status_code == 200, r.text
    _close(r.json()["outputs"], expected)
    r = requests.post(
        server.url + "/v1/models/mlp-100k:predict", json={"inputs": {"input": X.tolist()}}
    )
    _close(r.json()["outputs"], expected)


def test_v2_metadata_ready_and_health(server) -> None:
    assert requests.get(server.url + "/v2/health/live").status_code == 200
    assert requests.get(server.url + "/v2/health/ready").status_code == 200
    assert requests.get(server.url + "/v2/models/mlp-100k/ready").status_code == 200
    meta = requests.get(server.url + "/v2/models/mlp-100k").json()
    assert meta["name"] == "mlp-100k"
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 100]}]
    assert meta["outputs"][0]["shape"] == [-1, 10]


@pytest.mark.parametrize("nested", [True, False])
def test_v2_infer_nested_and_flat(server, expected: np.ndarray, nested: bool) -> None:
    data = X.tolist() if nested else X.ravel().tolist()
    body = {
        "id": "req-1",
        "inputs": [{"name": "input", "shape": [3, 100], "datatype": "FP32", "data": data}],
    }
    r = requests.post(server.url + "/v2/models/mlp-100k/infer", json=body)
    assert r.status_code == 200, r.text
    out = r.json()["outputs"][0]
    assert out["shape"] == [3, 10] and out["datatype"] == "FP32"
    _close(np.asarray(out["data"]).reshape(3, 10), expected)


def test_v2_other_numeric_datatypes(server) -> None:
    ints = np.arange(300).reshape(3, 100) % 7
    body = {
        "inputs": [
            {"name": "input", "shape": [3, 100], "datatype": "INT32", "data": ints.ravel().tolist()}
        ]
    }
    as_int = requests.post(server.url + "/v2/models/mlp-100k/infer", json=body).json()["outputs"][
        0
    ]["data"]
    body["inputs"][0]["datatype"] = "FP64"
    as_fp64 = requests.post(server.url + "/v2/models/mlp-100k/infer", json=body).json()["outputs"][
        0
    ]["data"]
    assert as_int == as_fp64


def test_v2_binary_tensor_extension(server, expected: np.ndarray) -> None:
    raw = X.astype("<f4").tobytes()
    header = orjson.dumps(
        {
            "inputs": [
                {
                    "name": "input",
                    "shape": [3, 100],
                    "datatype": "FP32",
                    "parameters": {"binary_data_size": len(raw)},
                }
            ],
            "outputs": [{"name": "output", "parameters": {"binary_data": True}}],
        }
    )
    r = requests.post(
        # KServe 0.21 answers 501 to versioned paths; the reference server takes both.
        server.url
        + (
            "/v2/models/mlp-100k/versions/1/infer"
            if server.engine == "reference"
            else "/v2/models/mlp-100k/infer"
        ),
        data=header + raw,
        headers={
            "Inference-Header-Content-Length": str(len(header)),
            "Content-Type": "application/octet-stream",
        },
    )
    assert r.status_code == 200, r.text
    n = int(r.headers["Inference-Header-Content-Length"])
    head = orjson.loads(r.content[:n])
    out = head["outputs"][0]
    assert out["parameters"]["binary_data_size"] == 3 * 10 * 4 and "data" not in out
    _close(np.frombuffer(r.content[n:], dtype="<f4").reshape(3, 10), expected)


def test_v2_config_for_perf_analyzer(server) -> None:
    server.lacks("Triton's /config and statistics extension")
    assert "statistics" in requests.get(server.url + "/v2").json()["extensions"]
    config = requests.get(server.url + "/v2/models/mlp-100k/config").json()
    assert config["max_batch_size"] == 64
    assert config["input"] == [{"name": "input", "data_type": "TYPE_FP32", "dims": [100]}]
    assert config["output"] == [{"name": "output", "data_type": "TYPE_FP32", "dims": [10]}]


def test_stats_counters_rise_with_every_protocol(server) -> None:
    server.lacks("Triton's /stats")

    def counts() -> tuple[int, int]:
        stats = requests.get(server.url + "/v2/models/identity/stats").json()["model_stats"][0]
        return stats["inference_count"], stats["inference_stats"]["success"]["count"]

    before = counts()
    requests.post(
        server.url + "/v1/models/identity:predict", json={"instances": [[1.0], [2.0]]}
    ).raise_for_status()
    body = {
        "inputs": [{"name": "input", "shape": [4, 1], "datatype": "FP32", "data": [1, 2, 3, 4]}]
    }
    requests.post(server.url + "/v2/models/identity/infer", json=body).raise_for_status()
    after = counts()
    assert after[0] - before[0] == 6  # rows
    assert after[1] - before[1] == 2  # requests
    stats = requests.get(server.url + "/v2/models/identity/stats").json()["model_stats"][0]
    assert stats["inference_stats"]["compute_infer"]["ns"] > 0
    assert stats["execution_count"] >= 2


def test_server_timing_header(server) -> None:
    server.lacks("Server-Timing")
    r = requests.post(server.url + "/v1/models/identity:predict", json={"instances": [[1.0]]})
    parts = dict(p.strip().split(";dur=") for p in r.headers["Server-Timing"].split(","))
    assert set(parts) == {"queue", "compute"}
    assert float(parts["compute"]) > 0 and float(parts["queue"]) >= 0


def test_no_nagle_delay(server) -> None:
    """Small answers arrive without the ~40 ms of Nagle + delayed ACK (TCP_NODELAY is on)."""
    session = requests.Session()
    times = []
    for _ in range(30):
        r = session.post(server.url + "/v1/models/identity:predict", json={"instances": [[1.0]]})
        times.append(r.elapsed.total_seconds())
    assert sorted(times)[15] < 0.02, times
