"""Turn request payloads into the model's input array, checking shape and datatype."""

from __future__ import annotations

from typing import Any

import numpy as np

from ipsbench.server.errors import bad_request

# KServe V2 datatypes the models accept (all numeric; cast to the model's FP32 input).
V2_DTYPES: dict[str, np.dtype] = {
    "FP32": np.dtype("float32"),
    "FP64": np.dtype("float64"),
    "FP16": np.dtype("float16"),
    "INT8": np.dtype("int8"),
    "INT16": np.dtype("int16"),
    "INT32": np.dtype("int32"),
    "INT64": np.dtype("int64"),
    "UINT8": np.dtype("uint8"),
    "UINT16": np.dtype("uint16"),
    "UINT32": np.dtype("uint32"),
    "UINT64": np.dtype("uint64"),
}


def as_numeric_array(
    data: Any, dtype: np.dtype | str = "float32", what: str = "input"
) -> np.ndarray:
    """A numeric ndarray from nested lists, or a 400 saying why not."""
    if isinstance(data, (str, bytes, dict)) or data is None:
        raise bad_request(f"{what} must be numbers, not {type(data).__name__}")
    try:
        array = np.asarray(data, dtype=dtype)
    except (ValueError, TypeError, OverflowError) as exc:
        raise bad_request(
            f"{what} is not a numeric tensor of {np.dtype(dtype).name}: {exc}"
        ) from None
    return array


def check_batch(array: np.ndarray, row_shape: tuple[int, ...], what: str = "input") -> np.ndarray:
    """`array` must be [batch, *row_shape] with batch >= 1; returns it as float32."""
    expected = [-1, *row_shape]
    if array.ndim != len(row_shape) + 1 or tuple(array.shape[1:]) != tuple(row_shape):
        raise bad_request(
            f"{what} has shape {list(array.shape)}; expected {expected} (-1 = any batch)"
        )
    if array.shape[0] < 1:
        raise bad_request(f"{what} has an empty batch; expected {expected}")
    if array.dtype != np.float32:
        array = array.astype(np.float32)
    if not np.isfinite(array).all():
        raise bad_request(f"{what} holds NaN or infinity")
    return array


def v2_shape_dims(shape: Any) -> list[int]:
    if not isinstance(shape, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape
    ):
        raise bad_request(f"`shape` must be a list of non-negative integers, not {shape!r}")
    return shape


def v2_dtype(name: Any) -> np.dtype:
    if name not in V2_DTYPES:
        raise bad_request(
            f"datatype {name!r} is not accepted; use FP32 (or another numeric type: {', '.join(V2_DTYPES)})"
        )
    return V2_DTYPES[name]
