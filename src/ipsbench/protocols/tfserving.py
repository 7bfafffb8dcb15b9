"""TensorFlow Serving REST, client side: `:predict` in the row form."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from ipsbench.protocols.base import Codec, ProtocolError

JSON_HEADERS = {"Content-Type": "application/json"}


@dataclass
class TFServingCodec(Codec):
    @property
    def path(self) -> str:
        version = f"/versions/{self.model.version}" if self.model.version else ""
        return f"/v1/models/{self.model.name}{version}:predict"

    def encode(self, batch: np.ndarray) -> tuple[bytes, dict[str, str]]:
        return orjson.dumps({"instances": batch}, option=orjson.OPT_SERIALIZE_NUMPY), JSON_HEADERS

    def decode(self, body: bytes, headers: dict[str, str]) -> int:
        answer = _json(body)
        predictions = answer.get("predictions") if isinstance(answer, dict) else None
        if not isinstance(predictions, list):
            raise ProtocolError("answer has no `predictions` list")
        return self.check_rows(len(predictions))


def metadata_path(model: str) -> str:
    return f"/v1/models/{model}/metadata"


def input_shape_from_metadata(
    meta: Any, input_name: str | None = None
) -> tuple[tuple[int, ...], str]:
    """(row shape, input name) from TF Serving's `/metadata` answer."""
    try:
        inputs = meta["metadata"]["signature_def"]["signature_def"]["serving_default"]["inputs"]
        name = input_name or next(iter(inputs))
        dims = [int(d["size"]) for d in inputs[name]["tensor_shape"]["dim"]]
    except (KeyError, TypeError, ValueError, StopIteration):
        raise ProtocolError("TF Serving metadata names no serving_default input") from None
    return tuple(dims[1:]), name


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ProtocolError("answer is not JSON") from None
