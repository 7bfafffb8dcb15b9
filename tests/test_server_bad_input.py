"""Client mistakes get a 4xx with a JSON error naming the problem; nothing makes the server fail."""

from __future__ import annotations

import base64
import json

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipsbench.protocols.nd4j import encode_array
from tests.helpers import assert_user_error, run_cli
from tests.server_proc import login

pytestmark = pytest.mark.slow
V1 = "/v1/models/mlp-100k:predict"
V2 = "/v2/models/mlp-100k/infer"
SKIL = "/endpoints/benchmark/model/mlp-100k/default/predict"


def _v2(shape, data, datatype="FP32", name="input"):
    return {"inputs": [{"name": name, "shape": shape, "datatype": datatype, "data": data}]}


CASES = [
    # (method, path, body or raw bytes, status, fragment of the error)
    (
        "POST",
        "/v1/models/nonesuch:predict",
        {"instances": [[1.0]]},
        404,
        "unknown model 'nonesuch'",
    ),
    ("POST", "/v2/models/nonesuch/infer", _v2([1, 1], [1]), 404, "unknown model"),
    ("GET", "/v2/models/mlp-100k/versions/7", None, 404, "no version '7'"),
    ("POST", V1, {"instances": [[1.0, 2.0]]}, 400, "expected [-1, 100]"),
    (
        "POST",
        V1,
        {"instances": [[1.0] * 100], "inputs": [[1.0] * 100]},
        400,
        "both `instances` and `inputs`",
    ),
    (
        "POST",
        V1,
        {"signature_name": "other", "instances": [[1.0] * 100]},
        400,
        "unknown signature_name",
    ),
    ("POST", V1, {"instances": [["a"] * 100]}, 400, "not a numeric tensor"),
    ("POST", V1, {"instances": []}, 400, "non-empty list"),
    ("POST", V1, {}, 400, "needs `instances`"),
    ("POST", V1, b"{not json", 400, "malformed JSON"),
    ("POST", V1, b"[1, 2]", 400, "must be a JSON object"),
    ("POST", V2, _v2([1, 99], [1.0] * 99), 400, "expected [-1, 100]"),
    ("POST", V2, _v2([1, 100], ["x"] * 100), 400, "not a numeric tensor"),
    (
        "POST",
        V2,
        _v2([1, 100], [1.0] * 100, datatype="BYTES"),
        400,
        "datatype 'BYTES' is not accepted",
    ),
    ("POST", V2, _v2([1, 100], [1.0] * 100, datatype="BOOL"), 400, "datatype 'BOOL'"),
    ("POST", V2, _v2([1, 100], [1.0] * 99), 400, "has 99 values"),
    ("POST", V2, _v2([1, 100], [1.0] * 100, name="x"), 400, "input 'x' is unknown"),
    ("POST", V2, _v2("1x100", [1.0] * 100), 400, "`shape` must be a list"),
    ("POST", V2, {"inputs": []}, 400, "`inputs` must be a list holding one tensor"),
    ("POST", SKIL, {"prediction": {"array": "@@@not base64@@@"}}, 400, "bad base64"),
    (
        "POST",
        SKIL,
        {"prediction": {"array": encode_array(__import__("numpy").ones((1, 100), "float32"))[:40]}},
        400,
        "truncated",
    ),
    (
        "POST",
        SKIL,
        {"prediction": {"ordering": "c", "shape": [1, 3], "data": [1, 2, 3]}},
        400,
        "expected [-1, 100]",
    ),
    (
        "POST",
        SKIL,
        {"prediction": {"ordering": "x", "shape": [1, 100], "data": [1] * 100}},
        400,
        "ordering",
    ),
    ("POST", SKIL, {"nothing": 1}, 400, "`prediction` must be an INDArray"),
    (
        "POST",
        "/endpoints/benchmark/model/mlp-100k/default/explain",
        {},
        404,
        "unknown SKIL operation",
    ),
    ("POST", "/endpoints/nodeploy/model/mlp-100k/default/predict", {}, 404, "unknown deployment"),
    ("POST", V1, b"x" * (2 << 20), 413, "exceeds the limit"),
    ("GET", "/no/such/path", None, 404, ""),
]


@pytest.mark.parametrize(
    "method, path, body, status, fragment", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)]
)
def test_client_mistakes_get_4xx_with_a_json_error(
    reference_server: str, method, path, body, status, fragment
) -> None:
    headers = login(reference_server) if path.startswith("/endpoints") else {}
    kwargs = {"data": body} if isinstance(body, bytes) else {"json": body}
    r = requests.request(method, reference_server + path, headers=headers, **kwargs)
    assert r.status_code == status, r.text
    assert fragment in r.json()["error"]


def test_binary_extension_mistakes(reference_server: str) -> None:
    header = b'{"inputs": [{"name": "input", "shape": [1, 100], "datatype": "FP32", "parameters": {"binary_data_size": 400}}]}'
    for length, payload, fragment in [
        ("abc", header, "not a number"),
        ("9999", header, "does not fit a body"),
        (str(len(header)), header + b"\0" * 12, "does not match"),
    ]:
        r = requests.post(
            reference_server + V2, data=payload, headers={"Inference-Header-Content-Length": length}
        )
        assert r.status_code == 400 and fragment in r.json()["error"], r.text


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
PATHS = [
    V1,
    "/v1/models/identity:predict",
    V2,
    "/v2/models/identity/infer",
    SKIL,
    "/endpoints/benchmark/model/identity/default/multipredict",
    "/endpoints/benchmark/model/identity/default/classify",
    "/login",
]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path=st.sampled_from(PATHS),
    body=st.one_of(st.binary(max_size=300), JSONISH.map(lambda v: json.dumps(v).encode())),
    header=st.sampled_from(
        ["Inference-Header-Content-Length", "Content-Type", "Content-Length-X", "Authorization"]
    ),
    header_value=st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
    authorised=st.booleans(),
)
def test_fuzz_every_inference_path(
    fuzz_target, path, body, header, header_value, authorised
) -> None:
    url, token = fuzz_target
    headers = {header: header_value.strip() or "x"}
    if authorised and header != "Authorization":
        headers.update(token)
    r = requests.post(url + path, data=body, headers=headers, timeout=10)
    assert r.status_code < 500, (r.status_code, r.text)
    assert "error" in r.json() or r.status_code == 200


@pytest.fixture(scope="module")
def fuzz_target(reference_server: str):
    return reference_server, login(reference_server)


def test_server_still_answers_after_the_fuzzing(reference_server: str) -> None:
    r = requests.post(reference_server + "/v1/models/identity:predict", json={"instances": [[1.0]]})
    assert r.status_code == 200


def test_base64_form_survives_random_base64(reference_server: str) -> None:
    headers = login(reference_server)
    for junk in (b"\x00\x07JAVACPP", b"\x00" * 64, bytes(range(256))):
        body = {"prediction": {"array": base64.b64encode(junk).decode()}}
        r = requests.post(reference_server + SKIL, json=body, headers=headers)
        assert r.status_code == 400, r.text


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--no-zoo"], "nothing to serve"),
        (["--no-zoo", "--synthetic", "name=a,slots=2"], "needs service_ms"),
        (["--no-zoo", "--synthetic", "name=a,service_ms=x,slots=2"], "service_ms must be a float"),
        (
            ["--no-zoo", "--synthetic", "name=a,service_ms=5,slots=2,colour=red"],
            "'colour=red' is not one of",
        ),
        (["--models", "/nonexistent", "--model", "mlp-100k"], "no built zoo in /nonexistent"),
    ],
)
def test_serve_rejects_bad_options(args: list[str], fragment: str) -> None:
    assert_user_error(run_cli("serve", "--port", "0", *args, timeout=60), fragment)


def test_serve_refuses_a_busy_port(reference_server: str) -> None:
    port = reference_server.rsplit(":", 1)[1]
    result = run_cli(
        "serve",
        "--no-zoo",
        "--synthetic",
        "name=a,service_ms=1,slots=1",
        "--port",
        port,
        timeout=60,
    )
    assert_user_error(result, f"cannot listen on 127.0.0.1:{port}")
