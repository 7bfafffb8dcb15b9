"""KServe V2 / Open Inference Protocol, with Triton's config, stats and binary tensor extension."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ipsbench import __version__
from ipsbench.server.errors import bad_request
from ipsbench.server.http import json_response, parse_json_object, read_body
from ipsbench.server.models import ServedModel
from ipsbench.server.tensors import as_numeric_array, check_batch, v2_dtype, v2_shape_dims

BINARY_HEADER = "Inference-Header-Content-Length"
EXTENSIONS = ["binary_tensor_data", "statistics", "model_configuration"]


def routes() -> list[Route]:
    out = [
        Route("/v2", server_metadata),
        Route("/v2/health/live", live),
        Route("/v2/health/ready", ready),
    ]
    for prefix in ("/v2/models/{name}", "/v2/models/{name}/versions/{version}"):
        out += [
            Route(prefix, model_metadata),
            Route(prefix + "/ready", model_ready),
            Route(prefix + "/config", model_config),
            Route(prefix + "/stats", model_stats),
            Route(prefix + "/infer", infer, methods=["POST"]),
        ]
    out.append(Route("/v2/models/stats", all_stats))
    return out


def _model(request: Request) -> ServedModel:
    params = request.path_params
    return request.app.state.registry.get(params["name"], params.get("version"))


async def server_metadata(request: Request) -> Response:
    return json_response({"name": "ipsbench", "version": __version__, "extensions": EXTENSIONS})


async def live(request: Request) -> Response:
    return json_response({"live": True})


async def ready(request: Request) -> Response:
    registry = request.app.state.registry
    return json_response({"ready": registry.ready}, 200 if registry.ready else 503)


async def model_ready(request: Request) -> Response:
    _model(request)
    return json_response({"ready": True})


def _tensor_meta(name: str, shape: tuple[int, ...]) -> dict[str, Any]:
    return {"name": name, "datatype": "FP32", "shape": [-1, *shape]}


async def model_metadata(request: Request) -> Response:
    m = _model(request)
    return json_response(
        {
            "name": m.name,
            "versions": [m.version],
            "platform": m.platform,
            "inputs": [_tensor_meta(m.input_name, m.input_shape)],
            "outputs": [_tensor_meta(m.output_name, m.output_shape)],
        }
    )


async def model_config(request: Request) -> Response:
    m = _model(request)
    return json_response(
        {
            "name": m.name,
            "platform": m.platform,
            "backend": "ipsbench",
            "max_batch_size": m.max_batch_size,
            "input": [
                {"name": m.input_name, "data_type": "TYPE_FP32", "dims": list(m.input_shape)}
            ],
            "output": [
                {"name": m.output_name, "data_type": "TYPE_FP32", "dims": list(m.output_shape)}
            ],
        }
    )


async def model_stats(request: Request) -> Response:
    m = _model(request)
    return json_response({"model_stats": [m.stats.triton_json(m.name, m.version)]})


async def all_stats(request: Request) -> Response:
    models = request.app.state.registry.models.values()
    return json_response({"model_stats": [m.stats.triton_json(m.name, m.version) for m in models]})


async def infer(request: Request) -> Response:
    model = _model(request)
    body = await read_body(request)
    header, binary = _split_binary(body, request.headers.get(BINARY_HEADER))
    inputs = header.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1:
        raise bad_request(f"`inputs` must be a list holding one tensor named {model.input_name!r}")
    x = _input_tensor(inputs[0], model, binary)
    y, timing = await model.infer(x)
    return _answer(header, model, y, timing.server_timing_header())


def _split_binary(body: bytes, header_length: str | None) -> tuple[dict[str, Any], bytes]:
    if header_length is None:
        return parse_json_object(body), b""
    try:
        n = int(header_length)
    except ValueError:
        raise bad_request(f"{BINARY_HEADER} is not a number: {header_length!r}") from None
    if not 0 < n <= len(body):
        raise bad_request(f"{BINARY_HEADER} {n} does not fit a body of {len(body)} bytes")
    return parse_json_object(body[:n]), body[n:]


def _input_tensor(spec: Any, model: ServedModel, binary: bytes) -> np.ndarray:
    if not isinstance(spec, dict):
        raise bad_request("each entry of `inputs` must be an object")
    name = spec.get("name")
    if name != model.input_name:
        raise bad_request(f"input {name!r} is unknown; this model takes {model.input_name!r}")
    shape = v2_shape_dims(spec.get("shape"))
    dtype = v2_dtype(spec.get("datatype"))
    parameters = spec.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise bad_request("`parameters` must be an object")
    size = parameters.get("binary_data_size")
    if size is not None:
        if "data" in spec:
            raise bad_request("an input carries both `data` and `binary_data_size`")
        if not isinstance(size, int) or isinstance(size, bool) or size != len(binary):
            raise bad_request(
                f"binary_data_size {size!r} does not match the {len(binary)} bytes sent"
            )
        expected = math.prod(shape) * dtype.itemsize
        if size != expected:
            raise bad_request(
                f"binary input of {size} bytes does not fit shape {shape} of {dtype.name}"
            )
        array = np.frombuffer(binary, dtype=dtype.newbyteorder("<")).reshape(shape)
    else:
        if binary:
            raise bad_request("binary data was sent but no input declares binary_data_size")
        if "data" not in spec:
            raise bad_request(f"input {name!r} has no `data`")
        array = as_numeric_array(spec["data"], dtype, what=f"input {name!r}")
        if array.size != math.prod(shape):
            raise bad_request(
                f"input {name!r} has {array.size} values; shape {shape} needs {math.prod(shape)}"
            )
        array = array.reshape(shape)  # flat or nested data, read in row-major order
    return check_batch(array, model.input_shape, f"input {name!r}")


def _wants_binary(header: dict[str, Any], model: ServedModel) -> bool:
    parameters = header.get("parameters") or {}
    if isinstance(parameters, dict) and parameters.get("binary_data_output"):
        return True
    outputs = header.get("outputs") or []
    if not isinstance(outputs, list):
        raise bad_request("`outputs` must be a list")
    for out in outputs:
        if not isinstance(out, dict) or out.get("name") != model.output_name:
            raise bad_request(
                f"requested output {out!r} is unknown; this model has {model.output_name!r}"
            )
        params = out.get("parameters") or {}
        if isinstance(params, dict) and params.get("binary_data"):
            return True
    return False


def _answer(
    header: dict[str, Any], model: ServedModel, y: np.ndarray, server_timing: str
) -> Response:
    answer: dict[str, Any] = {"model_name": model.name, "model_version": model.version}
    if isinstance(header.get("id"), str):
        answer["id"] = header["id"]
    output: dict[str, Any] = {"name": model.output_name, "datatype": "FP32", "shape": list(y.shape)}
    answer["outputs"] = [output]
    if not _wants_binary(header, model):
        output["data"] = y.ravel()
        return json_response(answer, headers={"Server-Timing": server_timing})
    raw = np.ascontiguousarray(y, dtype="<f4").tobytes()
    output["parameters"] = {"binary_data_size": len(raw)}
    head = orjson.dumps(answer)
    return Response(
        head + raw,
        media_type="application/octet-stream",
        headers={BINARY_HEADER: str(len(head)), "Server-Timing": server_timing},
    )
