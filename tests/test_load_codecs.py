"""The protocol codecs: bodies encoded once, answers decoded and counted, malformed ones refused."""

from __future__ import annotations

import numpy as np
import orjson
import pytest

from ipsbench.errors import UserError
from ipsbench.load.plan import is_stable, parse_users
from ipsbench.protocols.base import ModelRef, ProtocolError, make_codec
from ipsbench.protocols.nd4j import encode_array

MODEL = ModelRef("m", (3,))


def test_tfserving_counts_rows() -> None:
    codec = make_codec("tfserving", MODEL, 2)
    np.testing.assert_allclose(orjson.loads(codec.body)["instances"], codec.sample_batch())
    assert codec.decode(b'{"predictions": [[1], [2]]}', {}) == 2
    with pytest.raises(ProtocolError, match="1 rows; the request sent 2"):
        codec.decode(b'{"predictions": [[1]]}', {})
    with pytest.raises(ProtocolError):
        codec.decode(b"<html>", {})


def test_v2_json_and_binary() -> None:
    codec = make_codec("v2", MODEL, 2)
    body = orjson.loads(codec.body)
    assert body["inputs"][0]["shape"] == [2, 3] and len(body["inputs"][0]["data"]) == 6
    ok = b'{"outputs": [{"name": "output", "shape": [2, 1], "datatype": "FP32", "data": [1, 2], "parameters": null}]}'
    assert codec.decode(ok, {}) == 2
    with pytest.raises(ProtocolError, match="does not match"):
        codec.decode(ok.replace(b"[1, 2]", b"[1]"), {})
    binary = make_codec("v2", MODEL, 2, binary=True)
    n = int(binary.headers["Inference-Header-Content-Length"])
    head = orjson.loads(binary.body[:n])
    assert head["inputs"][0]["parameters"]["binary_data_size"] == 2 * 3 * 4 == len(binary.body) - n
    answer_head = b'{"outputs": [{"name": "output", "shape": [2, 1], "datatype": "FP32", "parameters": {"binary_data_size": 8}}]}'
    answer = answer_head + np.zeros(2, "<f4").tobytes()
    assert binary.decode(answer, {"inference-header-content-length": str(len(answer_head))}) == 2


def test_skil_base64_answers() -> None:
    codec = make_codec("skil", ModelRef("My_Model", (3,)), 2, deployment="Bench Mark")
    assert codec.path == "/endpoints/benchmark/model/mymodel/default/predict"
    answer = orjson.dumps({"prediction": {"array": encode_array(np.zeros((2, 10), np.float32))}})
    assert codec.decode(answer, {}) == 2
    with pytest.raises(ProtocolError):
        codec.decode(b'{"prediction": {"array": "@@"}}', {})


def test_users_and_stability_rules() -> None:
    assert parse_users("1-32") == [1, 2, 4, 8, 16, 32]
    assert parse_users("3,5") == [3, 5]
    for bad in ("", "0,1", "a", "8-2"):
        with pytest.raises(UserError):
            parse_users(bad)
    w = [{"ips": 100, "p99_ms": 10}, {"ips": 105, "p99_ms": 10.5}, {"ips": 98, "p99_ms": 9.8}]
    assert is_stable(w, 0.10)
    assert not is_stable(w[:2], 0.10)
    assert not is_stable([*w[:2], {"ips": 150, "p99_ms": 10}], 0.10)
