"""SKIL against the reference server: login and tokens, both INDArray forms, deployments."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
import requests

from ipsbench.protocols.nd4j import ND4JError, decode_array, encode_array
from tests.server_proc import SKIL_ENV, login, running_server

pytestmark = pytest.mark.slow
ENDPOINT = "/endpoints/benchmark/model/{model}/default/{op}"


def test_nd4j_round_trip_in_both_orders_and_wrapping() -> None:
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for order in "cf":
        for wrap in (False, True):
            text = encode_array(a, order, wrap)
            assert ("\r\n" in text) == (wrap and len(text) > 76)
            np.testing.assert_array_equal(decode_array(text), a)
    with pytest.raises(ND4JError, match="truncated"):
        decode_array(encode_array(a)[:-12])


def test_golden_identity_round_trip(reference_server: str, built_zoo: Path) -> None:
    """Encode, send, decode: identity gives back w*x+b for every row, in the base64 form."""
    from ipsbench.tf_env import import_tf

    _, keras = import_tf()
    w, b = keras.models.load_model(
        built_zoo / "keras" / "identity.keras", compile=False
    ).get_weights()
    x = np.array([[1.0], [2.0], [-3.5]], dtype=np.float32)
    body = {"id": "golden", "needsPreProcessing": False, "prediction": {"array": encode_array(x)}}
    r = requests.post(
        reference_server + ENDPOINT.format(model="identity", op="predict"),
        json=body,
        headers=login(reference_server),
    )
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["id"] == "golden" and set(answer["prediction"]) == {"array"}
    np.testing.assert_allclose(decode_array(answer["prediction"]["array"]), x @ w + b, rtol=1e-6)


def test_both_indarray_forms_agree(reference_server: str) -> None:
    headers = login(reference_server)
    x = np.random.default_rng(3).standard_normal((2, 100)).astype(np.float32)
    url = reference_server + ENDPOINT.format(model="mlp-100k", op="predict")
    wrapped = requests.post(
        url, json={"prediction": {"array": encode_array(x, "f", mime_wrap=True)}}, headers=headers
    ).json()
    assert "\r\n" in wrapped["prediction"]["array"]  # answered in the form it was asked in
    json_form = requests.post(
        url,
        json={"prediction": {"ordering": "c", "shape": [2, 100], "data": x.ravel().tolist()}},
        headers=headers,
    ).json()["prediction"]
    assert json_form["shape"] == [2, 10] and json_form["ordering"] == "c"
    np.testing.assert_allclose(
        decode_array(wrapped["prediction"]["array"]),
        np.asarray(json_form["data"]).reshape(2, 10),
        rtol=1e-5,
    )


def test_multipredict_and_classify(reference_server: str) -> None:
    headers = login(reference_server)
    x = np.random.default_rng(4).standard_normal((3, 100)).astype(np.float32)
    multi = requests.post(
        reference_server + ENDPOINT.format(model="mlp-100k", op="multipredict"),
        json={"id": "m", "needsPreProcessing": False, "inputs": [{"array": encode_array(x)}]},
        headers=headers,
    )
    assert multi.status_code == 200, multi.text
    probs = decode_array(multi.json()["outputs"][0]["array"])
    classify = requests.post(
        reference_server + ENDPOINT.format(model="mlp-100k", op="classify"),
        json={"prediction": {"array": encode_array(x)}},
        headers=headers,
    ).json()
    assert classify["results"] == probs.argmax(axis=1).tolist()
    np.testing.assert_allclose(classify["probabilities"], probs.max(axis=1), rtol=1e-5)


def test_skil_paths_need_a_valid_token(reference_server: str) -> None:
    url = reference_server + ENDPOINT.format(model="identity", op="predict")
    body = {"prediction": {"ordering": "c", "shape": [1, 1], "data": [1.0]}}
    assert requests.post(url, json=body).status_code == 401
    assert (
        requests.post(url, json=body, headers={"Authorization": "Bearer not.a.token"}).status_code
        == 401
    )
    assert requests.get(reference_server + "/deployments").status_code == 401
    bad = requests.post(reference_server + "/login", json={"userId": "bench", "password": "wrong"})
    assert bad.status_code == 401 and "error" in bad.json()


def test_token_expiry(built_zoo: Path, tmp_path: Path) -> None:
    with running_server(
        "--no-zoo",
        "--synthetic",
        "name=echo,service_ms=1,slots=1",
        "--token-ttl-s",
        "1",
        "--data-dir",
        str(tmp_path),
    ) as url:
        headers = login(url)
        endpoint = url + ENDPOINT.format(model="echo", op="predict")
        body = {"prediction": {"ordering": "c", "shape": [1, 1], "data": [5.0]}}
        first = requests.post(endpoint, json=body, headers=headers)
        assert first.status_code == 200 and first.json()["prediction"]["data"] == [5.0]
        time.sleep(2.2)
        expired = requests.post(endpoint, json=body, headers=headers)
        assert expired.status_code == 401 and "expired" in expired.json()["error"]
        assert requests.post(endpoint, json=body, headers=login(url)).status_code == 200


def test_generated_password_is_printed_once(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    env = {"IPSBENCH_SKIL_PASSWORD": ""}
    with running_server(
        "--no-zoo", "--synthetic", "name=echo,service_ms=1,slots=1", env=env, log=log
    ):
        pass
    lines = [line for line in log.read_text().splitlines() if "password" in line]
    assert len(lines) == 1 and SKIL_ENV["IPSBENCH_SKIL_PASSWORD"] not in lines[0]


def _wait_state(url: str, headers: dict, dep: str, model_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        entity = requests.get(f"{url}/deployment/{dep}/model/{model_id}", headers=headers).json()
        if entity["state"] in ("started", "failed"):
            return entity
        time.sleep(0.2)
    raise AssertionError("model did not start in time")


def test_deployment_api_serves_an_uploaded_h5(reference_server: str, built_zoo: Path) -> None:
    url, headers = reference_server, login(reference_server)
    with (built_zoo / "keras" / "mlp-100k.h5").open("rb") as f:
        up = requests.post(
            url + "/api/upload/model", files={"file": ("../../etc/evil.h5", f)}, headers=headers
        )
    assert up.status_code == 200, up.text
    stored = up.json()["fileUploadResponseList"][0]["path"]
    assert "evil" not in stored and ".." not in stored  # the server chose the name
    dep = requests.post(
        url + "/deployment", json={"name": "My_Deploy ment"}, headers=headers
    ).json()
    assert dep["deploymentSlug"] == "mydeployment"
    outside = requests.post(
        f"{url}/deployment/{dep['id']}/model",
        headers=headers,
        json={"name": "x", "scale": 1, "fileLocation": "file:///etc/passwd"},
    )
    assert outside.status_code == 400
    entity = requests.post(
        f"{url}/deployment/{dep['id']}/model",
        headers=headers,
        json={
            "name": "uploaded_mlp",
            "scale": 1,
            "uri": ["mydeployment/model/uploadedmlp/default"],
            "modelType": "model",
            "fileLocation": f"file://{stored}",
        },
    ).json()
    assert entity["state"] == "created"
    started = requests.post(
        f"{url}/deployment/{dep['id']}/model/{entity['id']}/state",
        json={"state": "start"},
        headers=headers,
    )
    assert started.status_code == 200
    assert _wait_state(url, headers, dep["id"], entity["id"])["state"] == "started"
    x = np.random.default_rng(5).standard_normal((2, 100)).astype(np.float32)
    body = {"prediction": {"array": encode_array(x)}}
    ours = requests.post(
        f"{url}/endpoints/mydeployment/model/uploadedmlp/default/predict",
        json=body,
        headers=headers,
    )
    zoo = requests.post(
        url + ENDPOINT.format(model="mlp-100k", op="predict"), json=body, headers=headers
    )
    assert ours.status_code == 200, ours.text
    np.testing.assert_allclose(
        decode_array(ours.json()["prediction"]["array"]),
        decode_array(zoo.json()["prediction"]["array"]),
        rtol=1e-5,
    )
    listing = requests.get(url + "/deployments", headers=headers).json()
    assert {d["name"] for d in listing} >= {"benchmark", "My_Deploy ment"}
    requests.post(
        f"{url}/deployment/{dep['id']}/model/{entity['id']}/state",
        json={"state": "stop"},
        headers=headers,
    )
    stopped = requests.post(
        f"{url}/endpoints/mydeployment/model/uploadedmlp/default/predict",
        json=body,
        headers=headers,
    )
    assert stopped.status_code == 503


def test_a_file_that_is_not_a_model_fails_cleanly(reference_server: str) -> None:
    url, headers = reference_server, login(reference_server)
    up = requests.post(
        url + "/api/upload/model", files={"file": ("junk.h5", b"not an hdf5 file")}, headers=headers
    )
    stored = up.json()["fileUploadResponseList"][0]["path"]
    dep = requests.post(url + "/deployment", json={"name": "junk"}, headers=headers).json()
    entity = requests.post(
        f"{url}/deployment/{dep['id']}/model",
        headers=headers,
        json={"name": "junk", "fileLocation": f"file://{stored}"},
    ).json()
    requests.post(
        f"{url}/deployment/{dep['id']}/model/{entity['id']}/state",
        json={"state": "start"},
        headers=headers,
    )
    failed = _wait_state(url, headers, dep["id"], entity["id"])
    assert failed["state"] == "failed" and failed["error"]
    assert requests.get(url + "/v2/health/live").status_code == 200


def test_models_push_skil_deploys_and_replaces(reference_server: str, built_zoo: Path) -> None:
    from tests.helpers import run_cli

    args = (
        "models",
        "push",
        "mlp-100k",
        "--protocol",
        "skil",
        "--url",
        reference_server,
        "--deployment",
        "Push_Test",
        "--out",
        str(built_zoo),
    )
    for _ in range(2):  # the second push replaces the first model
        result = run_cli(*args, env=SKIL_ENV, timeout=300)
        assert result.returncode == 0, result.stderr
        predict_url = result.stdout.strip().splitlines()[-1]
        assert (
            predict_url == f"{reference_server}/endpoints/pushtest/model/mlp-100k/default/predict"
        )
    headers = login(reference_server)
    dep = next(
        d
        for d in requests.get(reference_server + "/deployments", headers=headers).json()
        if d["name"] == "Push_Test"
    )
    assert [(m["name"], m["state"]) for m in dep["body"]["models"]] == [("mlp-100k", "started")]
    x = np.ones((1, 100), dtype=np.float32)
    r = requests.post(predict_url, json={"prediction": {"array": encode_array(x)}}, headers=headers)
    assert r.status_code == 200 and decode_array(r.json()["prediction"]["array"]).shape == (1, 10)


def test_models_push_skil_errors(reference_server: str, built_zoo: Path) -> None:
    from tests.helpers import assert_user_error, run_cli

    base = ("models", "push", "--protocol", "skil", "--out", str(built_zoo))
    assert_user_error(
        run_cli(*base, "mlp-100k", "--url", reference_server, env={"IPSBENCH_SKIL_PASSWORD": ""}),
        "set IPSBENCH_SKIL_PASSWORD",
    )
    wrong = {**SKIL_ENV, "IPSBENCH_SKIL_PASSWORD": "wrong"}
    assert_user_error(
        run_cli(*base, "mlp-100k", "--url", reference_server, env=wrong), "refused the login"
    )
    assert_user_error(
        run_cli(*base, "nonesuch", "--url", reference_server, env=SKIL_ENV),
        "'nonesuch' is not built",
    )
    assert_user_error(
        run_cli(*base, "mlp-100k", "--url", "http://127.0.0.1:9", env=SKIL_ENV), "cannot reach SKIL"
    )
    assert_user_error(run_cli(*base, "mlp-100k", env=SKIL_ENV), "needs --url")
