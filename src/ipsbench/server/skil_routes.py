"""SKIL's login and inference paths: predict, multipredict, classify."""

from __future__ import annotations

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipsbench.server.errors import bad_request, not_found
from ipsbench.server.http import json_response, parse_json_object, read_body
from ipsbench.server.indarray import read_indarray, write_indarray
from ipsbench.server.tensors import check_batch

OPERATIONS = ("predict", "multipredict", "classify")


def routes() -> list[Route]:
    return [
        Route("/login", login, methods=["POST"]),
        Route("/endpoints/{deployment}/model/{model}/{version}/{op}", infer, methods=["POST"]),
    ]


async def login(request: Request) -> Response:
    body = parse_json_object(await read_body(request))
    token = request.app.state.skil_auth.login(body.get("userId"), body.get("password"))
    return json_response({"token": token})


async def infer(request: Request) -> Response:
    request.app.state.skil_auth.require(request)
    params = request.path_params
    op = params["op"]
    if op not in OPERATIONS:
        raise not_found(f"unknown SKIL operation {op!r}; use one of {', '.join(OPERATIONS)}")
    model = request.app.state.skil.resolve(params["deployment"], params["model"], params["version"])
    body = parse_json_object(await read_body(request))
    if op == "multipredict":
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or len(inputs) != 1:
            raise bad_request("`inputs` must be a list of one INDArray (this model has one input)")
        array, form = read_indarray(inputs[0], "inputs[0]")
    else:
        array, form = read_indarray(body.get("prediction"), "prediction")
    x = check_batch(array, model.input_shape, "the INDArray")
    y, timing = await model.infer(x)
    headers = {"Server-Timing": timing.server_timing_header()}
    answer: dict = {
        "id": body.get("id") if isinstance(body.get("id"), str) else "",
        "needsPreProcessing": False,
    }
    if op == "predict":
        answer["prediction"] = write_indarray(y, form)
    elif op == "multipredict":
        answer["outputs"] = [write_indarray(y, form)]
    else:
        flat = y.reshape(len(y), -1)
        return json_response(
            {
                "results": np.argmax(flat, axis=1).astype(int).tolist(),
                "probabilities": flat.max(axis=1),
            },
            headers=headers,
        )
    return json_response(answer, headers=headers)
