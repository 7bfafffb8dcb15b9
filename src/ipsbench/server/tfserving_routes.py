"""TensorFlow Serving REST: model status, metadata and `:predict` (row and column forms)."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipsbench.server.errors import bad_request, not_found
from ipsbench.server.http import json_response, parse_json_object, read_body
from ipsbench.server.models import ServedModel
from ipsbench.server.tensors import as_numeric_array, check_batch

# Starlette's path parameters stop at '/', but TF Serving puts the verb after a ':'.
_PATH = re.compile(
    r"^(?P<name>[^/:]+)(?:/versions/(?P<version>[^/:]+))?(?P<tail>:predict|/metadata)?$"
)


def routes() -> list[Route]:
    return [Route("/v1/models/{rest:path}", dispatch, methods=["GET", "POST"])]


async def dispatch(request: Request) -> Response:
    match = _PATH.match(request.path_params["rest"])
    if not match:
        raise not_found(f"no TF Serving route {request.url.path}")
    model = request.app.state.registry.get(match["name"], match["version"])
    tail = match["tail"]
    if tail == ":predict":
        if request.method != "POST":
            raise bad_request(":predict takes POST")
        return await predict(request, model)
    if request.method != "GET":
        raise bad_request(f"{request.url.path} takes GET")
    if tail == "/metadata":
        return json_response(metadata(model))
    return json_response(status(model))


def status(model: ServedModel) -> dict[str, Any]:
    return {
        "model_version_status": [
            {
                "version": model.version,
                "state": "AVAILABLE",
                "status": {"error_code": "OK", "error_message": ""},
            }
        ]
    }


def _tensor_info(name: str, shape: tuple[int, ...]) -> dict[str, Any]:
    return {
        "dtype": "DT_FLOAT",
        "tensor_shape": {
            "dim": [{"size": str(d), "name": ""} for d in (-1, *shape)],
            "unknown_rank": False,
        },
        "name": f"serving_default_{name}:0",
    }


def metadata(model: ServedModel) -> dict[str, Any]:
    return {
        "model_spec": {"name": model.name, "signature_name": "", "version": model.version},
        "metadata": {
            "signature_def": {
                "signature_def": {
                    "serving_default": {
                        "inputs": {
                            model.input_name: _tensor_info(model.input_name, model.input_shape)
                        },
                        "outputs": {
                            model.output_name: _tensor_info(model.output_name, model.output_shape)
                        },
                        "method_name": "tensorflow/serving/predict",
                    }
                }
            }
        },
    }


async def predict(request: Request, model: ServedModel) -> Response:
    body = parse_json_object(await read_body(request))
    signature = body.get("signature_name", "serving_default")
    if signature not in ("serving_default", ""):
        raise bad_request(f"unknown signature_name {signature!r}; this model has serving_default")
    if "instances" in body and "inputs" in body:
        raise bad_request("the body holds both `instances` and `inputs`; send exactly one")
    if "instances" in body:
        x, row_form = _rows(body["instances"], model), True
    elif "inputs" in body:
        x, row_form = _columns(body["inputs"], model), False
    else:
        raise bad_request("the body needs `instances` (row form) or `inputs` (column form)")
    y, timing = await model.infer(x)
    key = "predictions" if row_form else "outputs"
    return json_response({key: y}, headers={"Server-Timing": timing.server_timing_header()})


def _unwrap_named(value: Any, model: ServedModel, what: str) -> Any:
    """A named input (`{"input": ...}`) or the bare tensor."""
    if isinstance(value, dict):
        if set(value) != {model.input_name}:
            raise bad_request(
                f"{what} names inputs {sorted(value)}; this model takes only {model.input_name!r}"
            )
        return value[model.input_name]
    return value


def _rows(instances: Any, model: ServedModel) -> np.ndarray:
    if not isinstance(instances, list) or not instances:
        raise bad_request("`instances` must be a non-empty list of rows")
    rows = [_unwrap_named(row, model, "an instance") for row in instances]
    return check_batch(as_numeric_array(rows, what="instances"), model.input_shape, "instances")


def _columns(inputs: Any, model: ServedModel) -> np.ndarray:
    tensor = _unwrap_named(inputs, model, "`inputs`")
    return check_batch(as_numeric_array(tensor, what="inputs"), model.input_shape, "inputs")
