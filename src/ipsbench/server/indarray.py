"""SKIL's two JSON forms of an INDArray, read and written back in the form they came in."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ipsbench.protocols.nd4j import ND4JError, decode_array, encode_array
from ipsbench.server.errors import bad_request
from ipsbench.server.tensors import as_numeric_array


@dataclass(frozen=True)
class Form:
    """How the client sent its array, so the answer uses the same form."""

    binary: bool  # {"array": base64} (SKIL 1.0) rather than {"ordering", "shape", "data"}
    mime_wrapped: bool = False


def read_indarray(value: Any, what: str = "prediction") -> tuple[np.ndarray, Form]:
    if not isinstance(value, dict):
        raise bad_request(f"`{what}` must be an INDArray object")
    if "array" in value:
        text = value["array"]
        if not isinstance(text, str):
            raise bad_request(f"`{what}.array` must be a base64 string")
        try:
            array = decode_array(text)
        except ND4JError as exc:
            raise bad_request(f"`{what}`: {exc}") from None
        return array, Form(binary=True, mime_wrapped="\n" in text)
    if "data" in value and "shape" in value:
        shape = value["shape"]
        if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
        ):
            raise bad_request(f"`{what}.shape` must be a list of non-negative integers")
        ordering = value.get("ordering", "c")
        if ordering not in ("c", "f"):
            raise bad_request(f"`{what}.ordering` must be 'c' or 'f', not {ordering!r}")
        flat = as_numeric_array(value["data"], what=f"`{what}.data`").ravel()
        if flat.size != math.prod(shape):
            raise bad_request(
                f"`{what}` has {flat.size} values; shape {shape} needs {math.prod(shape)}"
            )
        return flat.reshape(shape, order="F" if ordering == "f" else "C"), Form(binary=False)
    raise bad_request(f"`{what}` must hold `array` (base64) or `ordering`, `shape` and `data`")


def write_indarray(array: np.ndarray, form: Form) -> dict[str, Any]:
    if form.binary:
        return {"array": encode_array(np.asarray(array, dtype=np.float32), "c", form.mime_wrapped)}
    return {
        "ordering": "c",
        "shape": list(array.shape),
        "data": np.asarray(array, dtype=np.float32).ravel(),
        "dataType": "FLOAT",
    }
