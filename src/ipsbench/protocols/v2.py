"""KServe V2 / Open Inference Protocol, client side: JSON or Triton's binary tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from ipsbench.protocols.base import Codec, ProtocolError

BINARY_HEADER = "Inference-Header-Content-Length"


@dataclass
class V2Codec(Codec):
    binary: bool = False

    @property
    def path(self) -> str:
        version = f"/versions/{self.model.version}" if self.model.version else ""
        return f"/v2/models/{self.model.name}{version}/infer"

    def encode(self, batch: np.ndarray) -> tuple[bytes, dict[str, str]]:
        tensor: dict[str, Any] = {
            "name": self.model.input_name,
            "shape": list(batch.shape),
            "datatype": "FP32",
        }
        if not self.binary:
            tensor["data"] = batch.ravel()
            body = orjson.dumps({"inputs": [tensor]}, option=orjson.OPT_SERIALIZE_NUMPY)
            return body, {"Content-Type": "application/json"}
        raw = np.ascontiguousarray(batch, dtype="<f4").tobytes()
        tensor["parameters"] = {"binary_data_size": len(raw)}
        header = orjson.dumps({"inputs": [tensor], "parameters": {"binary_data_output": True}})
        return header + raw, {
            "Content-Type": "application/octet-stream",
            BINARY_HEADER: str(len(header)),
        }

    def decode(self, body: bytes, headers: dict[str, str]) -> int:
        length = _header(headers, BINARY_HEADER)
        if length is not None:
            try:
                n = int(length)
            except ValueError:
                raise ProtocolError(f"{BINARY_HEADER} is not a number") from None
            head, binary = body[:n], body[n:]
        else:
            head, binary = body, b""
        try:
            answer = orjson.loads(head)
            output = answer["outputs"][0]
            shape = [int(d) for d in output["shape"]]
        except (orjson.JSONDecodeError, KeyError, IndexError, TypeError, ValueError):
            raise ProtocolError("answer has no `outputs[0].shape`") from None
        if not shape:
            raise ProtocolError("answer's output has an empty shape")
        params = output.get("parameters") or {}
        size = params.get("binary_data_size") if isinstance(params, dict) else None
        if size is not None:
            if size != len(binary) or size != math.prod(shape) * 4:
                raise ProtocolError("binary output size does not match its shape")
        else:
            data = output.get("data")
            if not isinstance(data, list) or _flat_len(data) != math.prod(shape):
                raise ProtocolError("output `data` does not match its shape")
        return self.check_rows(shape[0])


def _flat_len(data: list) -> int:
    if data and isinstance(data[0], list):
        return sum(_flat_len(d) for d in data)
    return len(data)


def _header(headers: Any, name: str) -> str | None:
    """A header by name; Locust's header objects are case-insensitive, plain dicts are not."""
    return headers.get(name) or headers.get(name.lower())


def metadata_path(model: str) -> str:
    return f"/v2/models/{model}"


def input_shape_from_metadata(
    meta: Any, input_name: str | None = None
) -> tuple[tuple[int, ...], str]:
    """(row shape, input name) from V2 model metadata; -1 in the batch place is dropped."""
    try:
        inputs = meta["inputs"]
        spec = next(i for i in inputs if input_name in (None, i["name"]))
        dims = [int(d) for d in spec["shape"]]
    except (KeyError, TypeError, ValueError, StopIteration):
        raise ProtocolError("V2 model metadata lists no inputs (give --ips-input-shape)") from None
    return tuple(dims[1:]), spec["name"]
